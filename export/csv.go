package export

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/graph"
)

// The column order is part of the format: new columns are only ever appended.
var (
	nodeColumns = []string{"id", "provider", "kind", "name", "source", "first_seen", "last_seen", "stale", "stale_since", "attrs"}
	edgeColumns = []string{"from", "to", "type", "origin", "origins", "confidence", "source", "first_seen", "last_seen", "stale", "stale_since", "evidence"}
)

// NodesCSV writes one row per node, sorted by id, after a header row. attrs is a JSON object
// (keys sorted), so a spreadsheet shows it and PostgreSQL casts it to jsonb.
func NodesCSV(w io.Writer, g *graph.Graph) error {
	cw := newCSVWriter(w)
	cw.row(nodeColumns...)
	for _, n := range g.Nodes() {
		attrs := ""
		if len(n.Attrs) > 0 {
			var err error
			if attrs, err = jsonText(n.Attrs); err != nil {
				return err
			}
		}
		cw.row(n.ID, n.Provider, n.Kind, n.Name, n.Source, n.FirstSeen, n.LastSeen, strconv.FormatBool(n.Stale), n.StaleSince, attrs)
	}
	return cw.flush()
}

// EdgesCSV writes one row per edge, sorted by (from, to, type), after a header row. origins is
// the origins joined with "|"; evidence a JSON array of {node, field, value}.
func EdgesCSV(w io.Writer, g *graph.Graph) error {
	cw := newCSVWriter(w)
	cw.row(edgeColumns...)
	for _, e := range g.Edges() {
		origins := make([]string, len(e.Origins))
		for i, o := range e.Origins {
			origins[i] = string(o)
		}
		ev := ""
		if len(e.Evidence) > 0 {
			var err error
			if ev, err = jsonText(e.Evidence); err != nil {
				return err
			}
		}
		cw.row(e.From, e.To, e.Type, string(e.Origin), strings.Join(origins, "|"),
			strconv.FormatFloat(e.Confidence, 'f', -1, 64), e.Source, e.FirstSeen, e.LastSeen,
			strconv.FormatBool(e.Stale), e.StaleSince, ev)
	}
	return cw.flush()
}

// jsonText is v as compact JSON, object keys sorted, with <, > and & left as they are.
func jsonText(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// csvWriter writes RFC 4180: records end with CRLF, a field holding a comma, a quote, CR or LF is
// quoted with quotes doubled. encoding/csv is not used because with UseCRLF it also rewrites a
// bare LF inside a field to CRLF, changing the data. An empty field is written bare, which
// PostgreSQL's COPY ... CSV reads as NULL (a missing stale_since, a node without attributes).
type csvWriter struct {
	w   *bufio.Writer
	err error
}

func newCSVWriter(w io.Writer) *csvWriter { return &csvWriter{w: bufio.NewWriter(w)} }

func (c *csvWriter) row(fields ...string) {
	for i, f := range fields {
		if i > 0 {
			c.w.WriteByte(',')
		}
		// NUL cannot be stored in a PostgreSQL text value; it is never meaningful in a name.
		f = strings.ReplaceAll(f, "\x00", "\uFFFD")
		if f == "" || !strings.ContainsAny(f, ",\"\r\n") && f[0] != ' ' && f[len(f)-1] != ' ' {
			c.w.WriteString(f)
			continue
		}
		c.w.WriteByte('"')
		c.w.WriteString(strings.ReplaceAll(f, `"`, `""`))
		c.w.WriteByte('"')
	}
	_, c.err = c.w.WriteString("\r\n")
}

func (c *csvWriter) flush() error {
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.err
}
