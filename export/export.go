// Package export writes a graph in the formats of the tools teams already run: Backstage catalog
// entities, Graphviz DOT, GraphML, a Neo4j Cypher import script and CSV for spreadsheets and
// PostgreSQL COPY. Like the renderers, every writer is func(w, g) with no files, flags or clock,
// and sorts what it writes, so the same graph gives the same bytes.
//
// graph.json carries no secret values (the collectors keep names only), and the exports read
// nothing else, so they carry none either. Every name is hostile input: each writer escapes it for
// its language (see the tests with <script>, quotes, newlines and backslashes).
package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/infragraph/infragraph/graph"
)

// File is one file a format writes.
type File struct {
	Name  string // file name, "nodes.csv"
	Write func(w io.Writer, g *graph.Graph) error
}

// Format is one export format: one file, or several (csv).
type Format struct {
	Name        string
	Description string
	Files       []File
}

// Formats lists every format, sorted by name.
func Formats() []Format {
	return []Format{
		{Name: "backstage", Description: "Backstage catalog entities (Component, Resource, System) as multi-document YAML",
			Files: []File{{Name: "catalog-info.yaml", Write: Backstage}}},
		{Name: "csv", Description: "nodes.csv and edges.csv (RFC 4180, header row) for spreadsheets and PostgreSQL COPY",
			Files: []File{{Name: "nodes.csv", Write: NodesCSV}, {Name: "edges.csv", Write: EdgesCSV}}},
		{Name: "cypher", Description: "a Neo4j import script (MERGE, re-runnable)",
			Files: []File{{Name: "graph.cypher", Write: Cypher}}},
		{Name: "dot", Description: "Graphviz DOT, clustered by provider",
			Files: []File{{Name: "graph.dot", Write: DOT}}},
		{Name: "graphml", Description: "GraphML 1.1 (yEd, Gephi, NetworkX, igraph)",
			Files: []File{{Name: "graph.graphml", Write: GraphML}}},
	}
}

// Lookup returns the format named name.
func Lookup(name string) (Format, error) {
	var names []string
	for _, f := range Formats() {
		if f.Name == name {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return Format{}, fmt.Errorf("unknown export format %q (one of %s)", name, strings.Join(names, ", "))
}
