package termtext

import (
	"bytes"
	"testing"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain name":                 "plain name",
		"café 日本 🎉":                  "café 日本 🎉",
		"\x1b[2J\x1b]0;pwned\x07":    `\x1b[2J\x1b]0;pwned\x07`,
		"ok\rFAKE":                   `ok\rFAKE`,
		"a\nb\tc":                    `a\nb\tc`,
		"\u009b31m":                  `\x9b31m`,
		"\x7f":                       `\x7f`,
		"abc\u202edcba\u2066x\u2069": `abc\u202edcba\u2066x\u2069`,
		"\u200e\u200f\u061c\u2028":   `\u200e\u200f\u061c\u2028`,
		"bad \xff utf8":              `bad \xff utf8`,
		`back\slash`:                 `back\slash`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriterKeepsLayout(t *testing.T) {
	var b bytes.Buffer
	w := Writer(&b)
	in := "ID\tNAME\nx\t\x1b]8;;https://evil\x07link\u202e\r\n"
	n, err := w.Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if want := "ID\tNAME\nx\t\\x1b]8;;https://evil\\x07link\\u202e\\r\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
