// Package termtext makes untrusted text (names, ids and messages from providers) safe to print on
// a terminal. A name holding ESC or OSC sequences could recolour, retitle or clear the terminal or
// plant a hyperlink; CR and line separators could overwrite or forge lines; bidi overrides
// (CVE-2021-42574, "Trojan Source") could make text read differently from what it is. Every human
// printer passes such text through Escape; JSON output needs nothing (encoding/json escapes it).
package termtext

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every control character written as a Go-style escape: C0 (tab and newline
// included, so a value stays on its line and in its column), DEL, C1, the line and paragraph
// separators, the bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and bytes
// that are not UTF-8. Everything else, non-Latin scripts and emoji included, is kept.
func Escape(s string) string {
	if !needs(s, false) {
		return s
	}
	var b strings.Builder
	write(&b, s, false)
	return b.String()
}

// Writer returns a writer that escapes like Escape but lets newline and tab through, for printers
// that lay out lines and tab-separated columns themselves.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (x writer) Write(p []byte) (int, error) {
	s := string(p)
	if !needs(s, true) {
		return x.w.Write(p)
	}
	var b strings.Builder
	write(&b, s, true)
	if _, err := io.WriteString(x.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unsafe reports whether r is a character Escape writes as an escape (invalid UTF-8 aside): the
// one list of terminal controls, which the document renderers also keep out of INFRA.md and the
// diagrams (read with cat, less and editors as often as by agents).
func Unsafe(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029, r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func needs(s string, layout bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (Unsafe(r) && !(layout && (r == '\n' || r == '\t'))) {
			return true
		}
		i += size
	}
	return false
}

func write(b *strings.Builder, s string, layout bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(b, `\x%02x`, s[i])
		case layout && (r == '\n' || r == '\t'), !Unsafe(r):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x100:
			fmt.Fprintf(b, `\x%02x`, r)
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
		i += size
	}
}
