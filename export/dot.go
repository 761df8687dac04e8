package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// DOT writes a Graphviz digraph: one cluster per provider, a node per graph node labelled with
// its name and kind (its full id as tooltip), an edge per graph edge labelled with its type.
// Dependencies are solid, containment grey, associations dotted; inferred edges dashed. Node ids
// in the file are n0, n1, ... in id order, so nothing from a provider is ever a DOT identifier;
// every text is a quoted string escaped by dotString.
func DOT(w io.Writer, g *graph.Graph) error {
	vocab, err := schemas.Load()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	nodes := g.Nodes()
	ids := make(map[string]string, len(nodes))
	byProvider := map[string][]int{}
	var providers []string
	for i, n := range nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i)
		if _, ok := byProvider[n.Provider]; !ok {
			providers = append(providers, n.Provider)
		}
		byProvider[n.Provider] = append(byProvider[n.Provider], i)
	}
	fmt.Fprintln(bw, "digraph infragraph {")
	fmt.Fprintln(bw, `  graph [rankdir=LR, fontname="Helvetica", fontsize=11];`)
	fmt.Fprintln(bw, `  node [shape=box, style="rounded,filled", fillcolor="#f8f8f8", fontname="Helvetica", fontsize=10];`)
	fmt.Fprintln(bw, `  edge [fontname="Helvetica", fontsize=9];`)
	// nodes are sorted by id, whose first part is the provider, so providers come out sorted.
	for ci, p := range providers {
		fmt.Fprintf(bw, "  subgraph cluster_%d {\n    label=%s;\n", ci, dotString(p))
		for _, i := range byProvider[p] {
			n := nodes[i]
			style := ""
			if n.Stale {
				style = `, style="rounded,dashed"`
			}
			fmt.Fprintf(bw, "    %s [label=%s, tooltip=%s%s];\n", ids[n.ID], dotString(n.Name+"\n"+n.Kind), dotString(n.ID), style)
		}
		fmt.Fprintln(bw, "  }")
	}
	for _, e := range g.Edges() {
		attrs := []string{"label=" + dotString(e.Type)}
		style := ""
		switch vocab.EdgeTypes[e.Type].Category {
		case schemas.Containment:
			attrs = append(attrs, `color="#999999"`, `fontcolor="#999999"`)
		case schemas.Dependency:
		default:
			style = "dotted"
		}
		if e.Origin != graph.Observed {
			style = "dashed"
			attrs = append(attrs, "tooltip="+dotString(fmt.Sprintf("%s, confidence %.2f", e.Origin, e.Confidence)))
		}
		if style != "" {
			attrs = append(attrs, "style="+style)
		}
		fmt.Fprintf(bw, "  %s -> %s [%s];\n", ids[e.From], ids[e.To], strings.Join(attrs, ", "))
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// dotString quotes s as a DOT string used as an escString (label, tooltip): backslash and quote
// are escaped, a newline becomes \n (a centred line break), other control characters a space.
// Quoted, "<script>" is text: only an unquoted <...> is an HTML-like label.
func dotString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
