package graph

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"testing"
)

// escapes8 agrees with a byte-by-byte look at every byte value in every position, beside safe
// bytes and beside random ones.
func TestEscapes8(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	naive := func(w [8]byte) bool {
		for _, c := range w {
			if c >= 0x80 || !jsonSafe[c] {
				return true
			}
		}
		return false
	}
	pack := func(w [8]byte) uint64 {
		var x uint64
		for i, c := range w {
			x |= uint64(c) << (8 * i)
		}
		return x
	}
	for round := 0; round < 200; round++ {
		var w [8]byte
		for i := range w {
			if round%2 == 0 {
				w[i] = byte(0x20 + r.Intn(0x5f)) // safe ASCII, quote and backslash aside
				for w[i] == '"' || w[i] == '\\' {
					w[i] = byte(0x20 + r.Intn(0x5f))
				}
			} else {
				w[i] = byte(r.Intn(256))
			}
		}
		for p := 0; p < 8; p++ {
			for v := 0; v < 256; v++ {
				x := w
				x[p] = byte(v)
				if got, want := escapes8(pack(x)), naive(x); got != want {
					t.Fatalf("escapes8(%q) = %v, want %v", x[:], got, want)
				}
			}
		}
	}
}

// appendJSONString writes what encoding/json writes (without HTML escaping) for strings of every
// length with the characters it escapes anywhere in them.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	pieces := []string{"a", "host.example", "Z", "0", " ", "\"", "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "<", "&",
		"é", "😀", "\u2028", "\u2029", "\xff", "\xc3", "\xe2\x80", "/"}
	for i := 0; i < 5000; i++ {
		var b bytes.Buffer
		for n := r.Intn(12); n > 0; n-- {
			if r.Intn(3) == 0 {
				b.WriteString(pieces[r.Intn(len(pieces))])
			} else {
				b.WriteString(pieces[r.Intn(4)])
			}
		}
		s := b.String()
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := string(appendJSONString(nil, s)) + "\n"; got != want.String() {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want.String())
		}
	}
}
