package export

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/graph"
)

// graphmlKeys are the data keys declared for nodes and edges, in file order. Attributes that are
// not one of these are written as the node's "attrs" key, one "name=value" per line: GraphML keys
// are declared per file and an attribute name (env.DATABASE_URL.host) is not an NMTOKEN.
var graphmlKeys = []struct{ id, target, name, typ string }{
	{"d0", "node", "node_id", "string"},
	{"d1", "node", "provider", "string"},
	{"d2", "node", "kind", "string"},
	{"d3", "node", "name", "string"},
	{"d4", "node", "source", "string"},
	{"d5", "node", "stale", "boolean"},
	{"d6", "node", "attrs", "string"},
	{"d7", "edge", "type", "string"},
	{"d8", "edge", "origin", "string"},
	{"d9", "edge", "confidence", "double"},
	{"d10", "edge", "source", "string"},
	{"d11", "edge", "stale", "boolean"},
}

// GraphML writes a GraphML 1.1 document (http://graphml.graphdrawing.org/specification.html),
// valid against its XML Schema: node ids are n0, n1, ... in id order (a GraphML id is an
// NMTOKEN, ours hold "/"), the real id is the node_id data; edges are e0, e1, ... in edge order.
// Text goes through xml.EscapeText, which also replaces characters XML cannot hold.
func GraphML(w io.Writer, g *graph.Graph) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.1/graphml.xsd">
`)
	for _, k := range graphmlKeys {
		fmt.Fprintf(bw, "  <key id=%q for=%q attr.name=%q attr.type=%q/>\n", k.id, k.target, k.name, k.typ)
	}
	nodes := g.Nodes()
	_, edgeCount := g.Len()
	fmt.Fprintf(bw, "  <graph id=\"infragraph\" edgedefault=\"directed\" parse.nodeids=\"canonical\" parse.edgeids=\"canonical\" parse.order=\"nodesfirst\" parse.nodes=\"%d\" parse.edges=\"%d\">\n", len(nodes), edgeCount)
	ids := make(map[string]string, len(nodes))
	for i, n := range nodes {
		ids[n.ID] = "n" + strconv.Itoa(i)
		fmt.Fprintf(bw, "    <node id=%q>\n", ids[n.ID])
		xmlData(bw, "d0", n.ID)
		xmlData(bw, "d1", n.Provider)
		xmlData(bw, "d2", n.Kind)
		xmlData(bw, "d3", n.Name)
		if n.Source != "" {
			xmlData(bw, "d4", n.Source)
		}
		xmlData(bw, "d5", strconv.FormatBool(n.Stale))
		if len(n.Attrs) > 0 {
			lines := make([]string, 0, len(n.Attrs))
			for _, k := range n.Attrs.Keys() {
				lines = append(lines, k+"="+attrText(n.Attrs[k]))
			}
			xmlData(bw, "d6", strings.Join(lines, "\n"))
		}
		bw.WriteString("    </node>\n")
	}
	for i, e := range g.Edges() {
		fmt.Fprintf(bw, "    <edge id=\"e%d\" source=%q target=%q>\n", i, ids[e.From], ids[e.To])
		xmlData(bw, "d7", e.Type)
		xmlData(bw, "d8", string(e.Origin))
		xmlData(bw, "d9", strconv.FormatFloat(e.Confidence, 'f', -1, 64))
		if e.Source != "" {
			xmlData(bw, "d10", e.Source)
		}
		xmlData(bw, "d11", strconv.FormatBool(e.Stale))
		bw.WriteString("    </edge>\n")
	}
	bw.WriteString("  </graph>\n</graphml>\n")
	return bw.Flush()
}

func xmlData(w *bufio.Writer, key, text string) {
	fmt.Fprintf(w, "      <data key=%q>", key)
	_ = xml.EscapeText(w, []byte(text)) // writes to a bufio.Writer: its error surfaces at Flush
	w.WriteString("</data>\n")
}

// attrText renders an attribute value as text: a list joined with ", ", a scalar as Go prints it.
func attrText(v any) string {
	if l, ok := v.([]string); ok {
		return strings.Join(l, ", ")
	}
	return fmt.Sprint(v)
}
