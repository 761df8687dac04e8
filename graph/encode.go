package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// jsonOut writes graph.json's nodes and edges without encoding/json's reflection and indent
// pass: each node or edge is appended to one reused buffer in the bytes json.Encoder would
// write (SetIndent("", "  "), SetEscapeHTML(false)) at its depth of the document. At 100k
// nodes encoding/json spent seconds and a few hundred MB per document on reflection, maps of
// sorted keys and re-indenting; this allocates nearly nothing per element. Values outside the
// types NormalizeAttrs produces go through encoding/json, so the bytes stay the same for any
// attribute (TestEncodeMatchesEncodingJSON compares both on every type).
type jsonOut struct {
	w    io.Writer
	buf  []byte
	err  error
	keys []string // reused for sorting attribute keys
	el   elementEncoder
	what string // the document, for errors: "graph" unless set
}

// flush writes the buffer once it is large; done writes what is left.
func (o *jsonOut) flush(force bool) {
	if o.err != nil {
		o.buf = o.buf[:0] // nothing more is written: keep none of it
		return
	}
	if !force && len(o.buf) < 1<<16 {
		return
	}
	_, o.err = o.w.Write(o.buf)
	o.buf = o.buf[:0]
}

// indent starts a line at depth d (two spaces per level).
func (o *jsonOut) indent(d int) {
	if n := 1 + 2*d; n <= len(newlineIndent) {
		o.buf = append(o.buf, newlineIndent[:n]...)
		return
	}
	o.buf = append(o.buf, '\n')
	for i := 0; i < d; i++ {
		o.buf = append(o.buf, ' ', ' ')
	}
}

// newlineIndent is a newline and the indentation of the deepest levels graph.json has.
const newlineIndent = "\n                                "

// field starts `"name": ` on its own line at depth d, after a comma unless it is the first.
func (o *jsonOut) field(d int, first bool, name string) {
	if !first {
		o.buf = append(o.buf, ',')
	}
	o.indent(d)
	o.buf = appendJSONString(o.buf, name)
	o.buf = append(o.buf, ':', ' ')
}

func (o *jsonOut) str(d int, first bool, name, v string) {
	o.field(d, first, name)
	o.buf = appendJSONString(o.buf, v)
}

// strOmit writes a string field tagged omitempty.
func (o *jsonOut) strOmit(d int, name, v string) {
	if v != "" {
		o.str(d, false, name, v)
	}
}

// array writes n elements at depth d+1, each by elem, inside brackets closed at depth d; an
// empty array is "[]".
func (o *jsonOut) array(d, n int, elem func(i int)) {
	if n == 0 {
		o.buf = append(o.buf, '[', ']')
		return
	}
	o.buf = append(o.buf, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			o.buf = append(o.buf, ',')
		}
		o.indent(d + 1)
		elem(i)
	}
	o.indent(d)
	o.buf = append(o.buf, ']')
}

func (o *jsonOut) strings(d int, vs []string) {
	if vs == nil {
		o.buf = append(o.buf, "null"...)
		return
	}
	stringArray(o, d, vs)
}

// stringArray writes vs as array does, without array's closure (one allocation per list).
func stringArray[S ~string](o *jsonOut, d int, vs []S) {
	if len(vs) == 0 {
		o.buf = append(o.buf, '[', ']')
		return
	}
	o.buf = append(o.buf, '[')
	for i, v := range vs {
		if i > 0 {
			o.buf = append(o.buf, ',')
		}
		o.indent(d + 1)
		o.buf = appendJSONString(o.buf, string(v))
		o.flush(false)
	}
	o.indent(d)
	o.buf = append(o.buf, ']')
}

// value writes an attribute value at depth d.
func (o *jsonOut) value(d int, v any) {
	switch x := v.(type) {
	case string:
		o.buf = appendJSONString(o.buf, x)
		return
	case bool:
		o.buf = strconv.AppendBool(o.buf, x)
		return
	case int64:
		o.buf = strconv.AppendInt(o.buf, x, 10)
		return
	case float64:
		if b, ok := appendJSONFloat(o.buf, x); ok {
			o.buf = b
			return
		}
	case []string:
		o.strings(d, x)
		return
	}
	// anything else as encoding/json writes it at this depth (an error for NaN, as before)
	prefix := string(bytes.Repeat([]byte("  "), d))
	o.el.buf.Reset()
	enc := json.NewEncoder(&o.el.buf)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		if o.err == nil {
			what := o.what
			if what == "" {
				what = "graph"
			}
			o.err = fmt.Errorf("encode %s: %w", what, err)
		}
		return
	}
	o.buf = append(o.buf, bytes.TrimSuffix(o.el.buf.Bytes(), []byte("\n"))...)
}

// node writes n at depth d (its opening brace where the line already is).
func (o *jsonOut) node(d int, n *Node) {
	o.buf = append(o.buf, '{')
	o.str(d+1, true, "id", n.ID)
	o.str(d+1, false, "kind", n.Kind)
	o.str(d+1, false, "provider", n.Provider)
	o.str(d+1, false, "name", n.Name)
	if len(n.Attrs) > 0 {
		o.field(d+1, false, "attrs")
		o.keys = o.keys[:0]
		for k := range n.Attrs {
			o.keys = append(o.keys, k)
		}
		slices.Sort(o.keys)
		o.buf = append(o.buf, '{')
		for i, k := range o.keys {
			o.field(d+2, i == 0, k)
			o.value(d+2, n.Attrs[k])
		}
		o.indent(d + 1)
		o.buf = append(o.buf, '}')
	}
	o.provenance(d, n.Source, n.FirstSeen, n.LastSeen, n.Stale, n.StaleSince)
}

// provenance writes the fields nodes and edges end with, and closes the object.
func (o *jsonOut) provenance(d int, source, first, last string, stale bool, since string) {
	o.strOmit(d+1, "source", source)
	o.strOmit(d+1, "first_seen", first)
	o.strOmit(d+1, "last_seen", last)
	if stale {
		o.field(d+1, false, "stale")
		o.buf = append(o.buf, "true"...)
	}
	o.strOmit(d+1, "stale_since", since)
	o.indent(d)
	o.buf = append(o.buf, '}')
}

// edge writes e at depth d.
func (o *jsonOut) edge(d int, e *Edge) {
	o.buf = append(o.buf, '{')
	o.str(d+1, true, "from", e.From)
	o.str(d+1, false, "to", e.To)
	o.str(d+1, false, "type", e.Type)
	o.str(d+1, false, "origin", string(e.Origin))
	if len(e.Origins) > 0 {
		o.field(d+1, false, "origins")
		stringArray(o, d+1, e.Origins)
	}
	o.field(d+1, false, "confidence")
	if b, ok := appendJSONFloat(o.buf, e.Confidence); ok {
		o.buf = b // not through value: a float64 in an any is an allocation per edge
	} else {
		o.value(d+1, e.Confidence)
	}
	if len(e.Evidence) > 0 {
		o.field(d+1, false, "evidence")
		// array's layout, written out: a closure over e was an allocation per edge
		o.buf = append(o.buf, '[')
		for i, ev := range e.Evidence {
			if i > 0 {
				o.buf = append(o.buf, ',')
			}
			o.indent(d + 2)
			o.buf = append(o.buf, '{')
			o.str(d+3, true, "node", ev.Node)
			o.str(d+3, false, "field", ev.Field)
			o.str(d+3, false, "value", ev.Value)
			o.indent(d + 2)
			o.buf = append(o.buf, '}')
			o.flush(false) // an edge merged from 10,000 env vars has as many items
		}
		o.indent(d + 1)
		o.buf = append(o.buf, ']')
	}
	if len(e.Via) > 0 {
		o.field(d+1, false, "via")
		o.strings(d+1, e.Via)
	}
	o.provenance(d, e.Source, e.FirstSeen, e.LastSeen, e.Stale, e.StaleSince)
}

// appendJSONFloat formats f as encoding/json does (ES6 number formatting); false for NaN and
// infinities, which JSON cannot hold.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 -> e-9, as encoding/json
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

const hexDigits = "0123456789abcdef"

// escapes8 reports whether any of the eight bytes packed in x is one appendJSONString does not
// copy as it is: a quote, a backslash, a control character or a byte of a multi-byte sequence.
// The tests are the classic "has a zero byte" / "has a byte less than n" word tricks, exact for
// whether any byte matches (only which byte would need care, and that is not asked).
func escapes8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	if x&highs != 0 {
		return true // a byte >= 0x80
	}
	less := (x - 0x20*ones) & ^x & highs // a byte < 0x20 (all bytes are < 0x80 here)
	q := x ^ ('"' * ones)
	b := x ^ ('\\' * ones)
	return less|((q-ones) & ^q & highs)|((b-ones) & ^b & highs) != 0
}

// jsonSafe marks the ASCII bytes appendJSONString copies as they are: one load per byte instead
// of three comparisons.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString quotes s as encoding/json does without HTML escaping: quotes, backslashes
// and control characters escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// eight bytes at a time while none needs a look (ids, names, hosts: nearly all)
		if i+8 <= len(s) && !escapes8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
