package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
)

// WriteProposals writes every proposal with its verdict, sorted by edge (then enricher, stable),
// deterministic. It streams: each verdict is appended to one reused buffer in the bytes
// json.Encoder with SetIndent("", "  ") and SetEscapeHTML(false) writes for the document
// {"schema_version", "proposals"}, flushed every 64 KiB, so 100k verdicts (or one with 100k
// evidence items) cost neither a copy of the document in memory nor reflection
// (TestProposalsMatchEncodingJSON compares both on every value type). A value JSON cannot hold (a NaN confidence) is an error, as from encoding/json;
// what was written before it is then incomplete.
func WriteProposals(w io.Writer, vs []enrich.Verdict) error {
	order := make([]int32, len(vs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return compareVerdicts(&vs[a], &vs[b]) })
	o := &proposalsOut{w: w, buf: make([]byte, 0, 1<<17)}
	o.buf = append(o.buf, "{\n  \"schema_version\": "...)
	o.buf = appendJSONString(o.buf, graph.SchemaVersion, false)
	o.buf = append(o.buf, ",\n  \"proposals\": "...)
	o.array(1, len(order), func(i int) { o.verdict(2, &vs[order[i]]) })
	o.buf = append(o.buf, "\n}\n"...)
	o.flush(true)
	return o.err
}

// compareVerdicts orders verdicts by edge (from, to, type), then enricher.
func compareVerdicts(a, b *enrich.Verdict) int {
	ea, eb := &a.Proposal.Edge, &b.Proposal.Edge
	if c := strings.Compare(ea.From, eb.From); c != 0 {
		return c
	}
	if c := strings.Compare(ea.To, eb.To); c != 0 {
		return c
	}
	if c := strings.Compare(ea.Type, eb.Type); c != 0 {
		return c
	}
	return strings.Compare(a.Proposal.Enricher, b.Proposal.Enricher)
}

// proposalsOut appends proposals.json's elements to buf at their depth of the document (two
// spaces per level), in encoding/json's bytes.
type proposalsOut struct {
	w   io.Writer
	buf []byte
	err error
	el  bytes.Buffer // encoding/json's output for values outside the types written here
}

func (o *proposalsOut) flush(force bool) {
	if o.err != nil {
		o.buf = o.buf[:0]
		return
	}
	if !force && len(o.buf) < 1<<16 {
		return
	}
	_, o.err = o.w.Write(o.buf)
	o.buf = o.buf[:0]
}

func (o *proposalsOut) fail(err error) {
	if o.err == nil {
		o.err = err
	}
}

// indent starts a line at depth d.
func (o *proposalsOut) indent(d int) {
	o.buf = append(o.buf, '\n')
	for i := 0; i < d; i++ {
		o.buf = append(o.buf, ' ', ' ')
	}
}

// field starts `"name": ` on its own line at depth d, after a comma unless it is the first.
func (o *proposalsOut) field(d int, first bool, name string) {
	if !first {
		o.buf = append(o.buf, ',')
	}
	o.indent(d)
	o.buf = appendJSONString(o.buf, name, false)
	o.buf = append(o.buf, ':', ' ')
}

func (o *proposalsOut) str(d int, first bool, name, v string) {
	o.field(d, first, name)
	o.buf = appendJSONString(o.buf, v, false)
}

// strOmit writes a string field tagged omitempty.
func (o *proposalsOut) strOmit(d int, name, v string) {
	if v != "" {
		o.str(d, false, name, v)
	}
}

// array writes n elements at depth d+1 inside brackets closed at depth d; empty is "[]". The
// buffer is flushed between elements: one proposal merged from 10,000 env vars has as many
// evidence items, and the buffer stays small.
func (o *proposalsOut) array(d, n int, elem func(i int)) {
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
		o.flush(false)
	}
	o.indent(d)
	o.buf = append(o.buf, ']')
}

// strings writes a non-empty list of strings (its field is omitempty).
func (o *proposalsOut) strings(d int, vs []string) {
	o.array(d, len(vs), func(i int) { o.buf = appendJSONString(o.buf, vs[i], false) })
}

func (o *proposalsOut) verdict(d int, v *enrich.Verdict) {
	p := &v.Proposal
	o.buf = append(o.buf, '{')
	o.field(d+1, true, "proposal")
	o.buf = append(o.buf, '{')
	o.field(d+2, true, "edge")
	o.edge(d+2, &p.Edge)
	o.str(d+2, false, "enricher", p.Enricher)
	o.strOmit(d+2, "rationale", p.Rationale)
	if len(p.Via) > 0 {
		o.field(d+2, false, "via")
		o.strings(d+2, p.Via)
	}
	if len(p.NewNodes) > 0 {
		o.field(d+2, false, "new_nodes")
		o.array(d+2, len(p.NewNodes), func(i int) { o.node(d+3, &p.NewNodes[i]) })
	}
	o.indent(d + 1)
	o.buf = append(o.buf, '}')
	o.field(d+1, false, "accepted")
	o.buf = strconv.AppendBool(o.buf, v.Accepted)
	if len(v.Reasons) > 0 {
		// Reason.MarshalJSON is json.Marshal of its string: HTML characters escaped ("<" is
		// \u003c), which the encoder keeps as the marshaler wrote them
		o.field(d+1, false, "reasons")
		o.array(d+1, len(v.Reasons), func(i int) { o.buf = appendJSONString(o.buf, v.Reasons[i].String(), true) })
	}
	if len(v.Notes) > 0 {
		o.field(d+1, false, "notes")
		o.strings(d+1, v.Notes)
	}
	o.indent(d)
	o.buf = append(o.buf, '}')
}

// edge writes e at depth d (its opening brace where the line already is).
func (o *proposalsOut) edge(d int, e *graph.Edge) {
	o.buf = append(o.buf, '{')
	o.str(d+1, true, "from", e.From)
	o.str(d+1, false, "to", e.To)
	o.str(d+1, false, "type", e.Type)
	o.str(d+1, false, "origin", string(e.Origin))
	if len(e.Origins) > 0 {
		o.field(d+1, false, "origins")
		o.array(d+1, len(e.Origins), func(i int) { o.buf = appendJSONString(o.buf, string(e.Origins[i]), false) })
	}
	o.field(d+1, false, "confidence")
	o.float(e.Confidence)
	if len(e.Evidence) > 0 {
		o.field(d+1, false, "evidence")
		o.array(d+1, len(e.Evidence), func(i int) {
			ev := &e.Evidence[i]
			o.buf = append(o.buf, '{')
			o.str(d+3, true, "node", ev.Node)
			o.str(d+3, false, "field", ev.Field)
			o.str(d+3, false, "value", ev.Value)
			o.indent(d + 2)
			o.buf = append(o.buf, '}')
		})
	}
	if len(e.Via) > 0 {
		o.field(d+1, false, "via")
		o.strings(d+1, e.Via)
	}
	o.provenance(d, e.Source, e.FirstSeen, e.LastSeen, e.Stale, e.StaleSince)
}

// node writes n at depth d.
func (o *proposalsOut) node(d int, n *graph.Node) {
	o.buf = append(o.buf, '{')
	o.str(d+1, true, "id", n.ID)
	o.str(d+1, false, "kind", n.Kind)
	o.str(d+1, false, "provider", n.Provider)
	o.str(d+1, false, "name", n.Name)
	if len(n.Attrs) > 0 {
		o.field(d+1, false, "attrs")
		keys := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		o.buf = append(o.buf, '{')
		for i, k := range keys {
			o.field(d+2, i == 0, k)
			o.value(d+2, n.Attrs[k])
		}
		o.indent(d + 1)
		o.buf = append(o.buf, '}')
	}
	o.provenance(d, n.Source, n.FirstSeen, n.LastSeen, n.Stale, n.StaleSince)
}

// provenance writes the fields nodes and edges end with, and closes the object.
func (o *proposalsOut) provenance(d int, source, first, last string, stale bool, since string) {
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

// float writes f as encoding/json does (ES6 number formatting); NaN and infinities are
// encoding/json's error.
func (o *proposalsOut) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		_, err := json.Marshal(f)
		o.fail(fmt.Errorf("encode proposals: %w", err))
		return
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	o.buf = strconv.AppendFloat(o.buf, f, format, -1, 64)
	if format == 'e' { // e-09 -> e-9, as encoding/json
		n := len(o.buf)
		if n >= 4 && o.buf[n-4] == 'e' && o.buf[n-3] == '-' && o.buf[n-2] == '0' {
			o.buf[n-2] = o.buf[n-1]
			o.buf = o.buf[:n-1]
		}
	}
}

// value writes an attribute value at depth d: the types graph.NormalizeAttrs produces here,
// anything else as encoding/json writes it at this depth.
func (o *proposalsOut) value(d int, v any) {
	switch x := v.(type) {
	case string:
		o.buf = appendJSONString(o.buf, x, false)
		return
	case bool:
		o.buf = strconv.AppendBool(o.buf, x)
		return
	case int64:
		o.buf = strconv.AppendInt(o.buf, x, 10)
		return
	case float64:
		o.float(x)
		return
	case []string:
		if x == nil {
			o.buf = append(o.buf, "null"...)
			return
		}
		o.strings(d, x)
		return
	}
	o.el.Reset()
	enc := json.NewEncoder(&o.el)
	enc.SetIndent(strings.Repeat("  ", d), "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		o.fail(fmt.Errorf("encode proposals: %w", err))
		return
	}
	o.buf = append(o.buf, bytes.TrimSuffix(o.el.Bytes(), []byte("\n"))...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does: quotes, backslashes and control characters
// escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped, and with html <, > and & as
// \u003c, \u003e, \u0026 (json.Marshal's default; the encoder here has SetEscapeHTML(false)).
func appendJSONString(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || (c != '<' && c != '>' && c != '&')) {
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
