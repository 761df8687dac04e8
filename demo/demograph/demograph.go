// Package demograph is the shared test estate: the demo's graph (Acme Coffee, docs/demo-estate.md)
// as a scan of it writes graph.json, read by the real collectors from the fake provider APIs,
// enriched by the rules, at a fixed clock. Tests across packages (render, serve, query, enrich)
// start from it instead of each building its own copy of the estate by hand, copies that drifted
// from what the collectors emit.
//
// testdata/demo.graph.json is a golden file: `go test ./demo -run TestDemoGraphGolden -update`
// rewrites it from a fresh scan of the demo; review the diff like any golden.
package demograph

import (
	"bytes"
	_ "embed"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

//go:embed testdata/demo.graph.json
var demoJSON []byte

// Path is the golden file, relative to the module root.
const Path = "demo/demograph/testdata/demo.graph.json"

// Graph returns the demo's graph as scanned: observed edges and the rules' accepted ones. Each
// call decodes a fresh copy the caller may change.
func Graph(tb testing.TB) *graph.Graph {
	tb.Helper()
	g, err := graph.Decode(bytes.NewReader(demoJSON))
	if err != nil {
		tb.Fatalf("decode %s: %v", Path, err)
	}
	return g
}

// Collected returns the demo's graph as the collectors emitted it: Graph without the inferred
// edges (and the external nodes only they named), what enrichment starts from.
func Collected(tb testing.TB) *graph.Graph {
	tb.Helper()
	g := Graph(tb)
	named := map[string]bool{}
	for _, e := range g.Edges() {
		if e.Origin == graph.Observed {
			named[e.From], named[e.To] = true, true
			continue
		}
		g.RemoveEdge(e.Key())
	}
	for _, n := range g.Nodes() {
		if n.Provider == "external" && !named[n.ID] {
			g.RemoveNode(n.ID)
		}
	}
	return g
}

// MarkStale marks node id and its edges stale since the given time, as history carries forward
// what a collector that failed in a later scan found before.
func MarkStale(g *graph.Graph, id, since string) {
	n := g.NodePtr(id)
	n.Stale, n.StaleSince = true, since
	for _, e := range append(g.Out(id), g.In(id)...) {
		p := g.EdgePtr(e.Key())
		p.Stale, p.StaleSince = true, since
	}
}
