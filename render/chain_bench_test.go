package render

import (
	"fmt"
	"io"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// BenchmarkInfraChain renders INFRA.md and the diagrams for a chain of n Vercel projects, each
// calling the one before it: every system depends, transitively, on all those below it, and all
// those above it break with it (issue #16: the transitive lists and then the impact analysis
// walked the chain once per system, n²/2 steps). Time and allocation grow ~10x per 10x.
//
//	go test ./render -run '^$' -bench InfraChain -benchtime 1x
func BenchmarkInfraChain(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		g := graph.New()
		for i := range n {
			id := fmt.Sprintf("vercel:project:prj_%05d", i)
			if err := g.AddNode(graph.Node{ID: id, Provider: "vercel", Kind: "project", Name: fmt.Sprintf("shop-%05d", i)}); err != nil {
				b.Fatal(err)
			}
			if i > 0 {
				if err := g.AddEdge(graph.Edge{From: id, To: fmt.Sprintf("vercel:project:prj_%05d", i-1), Type: "calls", Origin: graph.Observed, Confidence: 1}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(fmt.Sprintf("%d/INFRA.md", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if err := Infra(InfraOptions{})(io.Discard, g); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/mermaid", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := Diagrams(g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
