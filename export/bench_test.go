package export

import (
	"io"
	"strconv"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// large is the demo estate copied n times (ids and names suffixed): 94n nodes, 142n edges.
func large(b *testing.B, n int) *graph.Graph {
	b.Helper()
	demo := demoGraph(b)
	g := graph.New()
	for i := range n {
		sfx := "-" + strconv.Itoa(i)
		for _, nd := range demo.Nodes() {
			nd.ID += sfx
			nd.Name += sfx
			if err := g.AddNode(nd); err != nil {
				b.Fatal(err)
			}
		}
		for _, e := range demo.Edges() {
			e.From += sfx
			e.To += sfx
			if err := g.AddEdge(e); err != nil {
				b.Fatal(err)
			}
		}
	}
	return g
}

// BenchmarkExport writes each format of a 18,800-node, 28,400-edge graph.
//
//	go test -run '^$' -bench Export -benchtime 3x -benchmem ./export
func BenchmarkExport(b *testing.B) {
	g := large(b, 200)
	for _, f := range Formats() {
		b.Run(f.Name, func(b *testing.B) {
			for b.Loop() {
				for _, file := range f.Files {
					if err := file.Write(io.Discard, g); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
