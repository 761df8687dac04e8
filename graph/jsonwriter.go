package graph

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// JSONWriter is graph.json's writer for other documents that hold nodes and edges
// (proposals.json): it streams a document through one reused buffer in the bytes json.Encoder
// with SetIndent("", "  ") and SetEscapeHTML(false) would write, with no reflection for the
// types the graph holds. Depths count two spaces each; an object or array opens where the line
// already is. The first error (a write, or a value JSON cannot hold, such as a NaN confidence)
// is kept and returned by Close; what follows it is not written.
type JSONWriter struct{ o jsonOut }

// NewJSONWriter writes to w; what names the document in errors ("encode what: ...").
func NewJSONWriter(w io.Writer, what string) *JSONWriter {
	return &JSONWriter{o: jsonOut{w: w, buf: make([]byte, 0, 1<<17), what: what}}
}

// Raw appends s as it is.
func (j *JSONWriter) Raw(s string) { j.o.buf = append(j.o.buf, s...) }

// String appends s quoted.
func (j *JSONWriter) String(s string) { j.o.buf = appendJSONString(j.o.buf, s) }

// HTMLString appends s quoted as json.Marshal quotes it: <, > and & escaped too (a value whose
// own MarshalJSON used json.Marshal, which the encoder keeps as it was written).
func (j *JSONWriter) HTMLString(s string) {
	if !strings.ContainsAny(s, "<>&") {
		j.String(s)
		return
	}
	b, _ := json.Marshal(s) // a string always marshals
	j.o.buf = append(j.o.buf, b...)
}

// Bool appends true or false.
func (j *JSONWriter) Bool(b bool) { j.o.buf = strconv.AppendBool(j.o.buf, b) }

// Indent starts a line at depth d.
func (j *JSONWriter) Indent(d int) { j.o.indent(d) }

// Field starts `"name": ` on its own line at depth d, after a comma unless it is the first.
func (j *JSONWriter) Field(d int, first bool, name string) { j.o.field(d, first, name) }

// Str writes a string field.
func (j *JSONWriter) Str(d int, first bool, name, v string) { j.o.str(d, first, name, v) }

// StrOmit writes a string field tagged omitempty.
func (j *JSONWriter) StrOmit(d int, name, v string) { j.o.strOmit(d, name, v) }

// Strings writes a list of strings at depth d (null for nil).
func (j *JSONWriter) Strings(d int, vs []string) { j.o.strings(d, vs) }

// Array writes n elements at depth d+1, each by elem, inside brackets closed at depth d ("[]"
// when empty), flushing the buffer between elements.
func (j *JSONWriter) Array(d, n int, elem func(i int)) {
	j.o.array(d, n, func(i int) { elem(i); j.o.flush(false) })
}

// Node writes n at depth d as graph.json does.
func (j *JSONWriter) Node(d int, n *Node) { j.o.node(d, n) }

// Edge writes e at depth d as graph.json does.
func (j *JSONWriter) Edge(d int, e *Edge) { j.o.edge(d, e) }

// Close writes what is buffered and returns the first error.
func (j *JSONWriter) Close() error {
	j.o.flush(true)
	return j.o.err
}
