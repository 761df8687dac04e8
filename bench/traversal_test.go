package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	dg "github.com/dominikbraun/graph"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/schemas"
)

// BenchmarkTraversal measures the graph algorithms the product runs, as it runs them (query's
// impact index, its map walk, query.Path, graph.RestoreOrder), against github.com/dominikbraun/graph
// doing the same work (BFS, ShortestPath, StronglyConnectedComponents, StableTopologicalSort) on
// the enriched graphs of BenchmarkOffline's four shapes at 10k and 100k nodes (issue #22, #16).
//
// Per-walk stages run on a sample of systems spread over the id order (name "xN": N walks per
// op); INFRA.md walks from every system, so multiply by the system count the line prints.
//
//	go test ./bench -run '^$' -bench Traversal -benchtime 1x -timeout 60m
func BenchmarkTraversal(b *testing.B) {
	fmt.Println("reproduce: go test ./bench -run '^$' -bench Traversal -benchtime 1x -timeout 60m")
	vocab, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	var mine []string
	defer func() {
		lines.Lock()
		defer lines.Unlock()
		for _, k := range mine {
			fmt.Println(lines.m[k])
		}
	}()
	for _, sh := range shapes {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/%dk", sh.name, n/1000), func(b *testing.B) {
				g := scan.MergeCarrying(sh.build(b, n), nil, time.Time{})
				scan.Enrich(context.Background(), g, enrichers(), enrich.Validator{Vocab: vocab, Threshold: scan.DefaultThreshold})
				mine = append(mine, traversal(b, vocab, sh.name, n, g)...)
			})
		}
	}
}

const walks = 16 // per-walk stages: this many start nodes per op

func traversal(b *testing.B, vocab *schemas.Vocabulary, shape string, n int, g *graph.Graph) []string {
	var names []string
	nodes, edges := g.Len()
	run := func(name string, f func()) {
		label := fmt.Sprintf("%s %dk %s", shape, n/1000, name)
		names = append(names, label)
		b.Run(name, func(b *testing.B) { stage(b, label, nodes, edges, f) })
	}
	var systems []string
	for _, nd := range g.Nodes() {
		if k, _ := vocab.Kind(nd.Provider, nd.Kind); k.System {
			systems = append(systems, nd.ID)
		}
	}
	sample := make([]string, 0, walks)
	for i := 0; i < walks && i < len(systems); i++ {
		sample = append(sample, systems[i*len(systems)/walks])
	}
	fmt.Printf("%s %dk: %d nodes, %d edges, %d systems\n", shape, n/1000, nodes, edges, len(systems))

	// impact: the product's index (INFRA.md asks it for every system), its map walk (the CLI's one
	// question), and a dominikbraun/graph mirror of the same edges walked by its BFS
	x, err := query.NewImpactIndex(g)
	if err != nil {
		b.Fatal(err)
	}
	run("impact index build", func() { _, _ = query.NewImpactIndex(g) })
	run("impact index summary every system", func() {
		for _, s := range systems {
			x.Summary(s)
		}
	})
	run(fmt.Sprintf("impact index summary x%d", len(sample)), func() {
		for _, s := range sample {
			x.Summary(s)
		}
	})
	run(fmt.Sprintf("impact query.Analyze x%d", len(sample)), func() {
		for _, s := range sample {
			_, _ = query.Analyze(g, s)
		}
	})
	var mirror dg.Graph[string, string]
	run("impact dominikbraun mirror build", func() { mirror = impactMirror(vocab, g) })
	if mirror == nil { // its stage filtered out (-bench): build it untimed
		mirror = impactMirror(vocab, g)
	}
	run(fmt.Sprintf("impact dominikbraun BFS x%d", len(sample)), func() {
		for _, s := range sample {
			_ = dg.BFS(mirror, s, func(string) bool { return false })
		}
	})

	// paths: query.Path (its own BFS, directed first) against ShortestPath over the graph's
	// dominikbraun view, between each sampled system and the farthest node it depends on
	var pairs [][2]string
	for _, s := range sample {
		if rs, _ := g.Reach(s, true, 0, nil); len(rs) > 0 {
			pairs = append(pairs, [2]string{s, rs[len(rs)-1].ID})
		}
	}
	run(fmt.Sprintf("path query.Path x%d", len(pairs)), func() {
		for _, p := range pairs {
			if _, err := query.Path(g, p[0], p[1]); err != nil {
				b.Fatal(err)
			}
		}
	})
	var view dg.Graph[string, string]
	run("path dominikbraun view build", func() { view = dgView(g) })
	if view == nil {
		view = dgView(g)
	}
	run(fmt.Sprintf("path dominikbraun ShortestPath x%d", len(pairs)), func() {
		for _, p := range pairs {
			if _, err := dg.ShortestPath(view, p[0], p[1]); err != nil {
				b.Fatal(err)
			}
		}
	})

	// cycles and restore order: graph.RestoreOrder (components and waves in one pass; the reach
	// counts, asked only for a node that reaches many, one more pass over 64 targets at a time)
	// against dominikbraun's components (every edge, both) and its stable topological sort (the
	// dependency edges that go down a wave: it refuses cycles)
	run("order graph.RestoreOrder", func() { g.RestoreOrder(nil) })
	run("order graph.RestoreOrder with reach counts", func() { g.RestoreOrder(nil).Reached(systems[0]) })
	run("order dominikbraun StronglyConnectedComponents", func() { _, _ = dg.StronglyConnectedComponents(view) })
	if n <= 10_000 { // quadratic: at 100k it runs for hours
		dag := dependencyMirror(vocab, g)
		run("order dominikbraun StableTopologicalSort", func() {
			_, _ = dg.StableTopologicalSort(dag, func(a, b string) bool { return a < b })
		})
	}
	return names
}

// dgView is the graph as dominikbraun/graph holds it: one directed edge per connected pair (what
// graph.Structure built before the product stopped using it).
func dgView(g *graph.Graph) dg.Graph[string, string] {
	m := dg.New(dg.StringHash, dg.Directed())
	for _, nd := range g.Nodes() {
		_ = m.AddVertex(nd.ID)
	}
	for _, e := range g.Edges() {
		_ = m.AddEdge(e.From, e.To)
	}
	return m
}

// impactMirror is a dominikbraun graph with an edge for every step the impact walk can take: a
// dependency edge reversed (the dependent breaks), a runtime unit's containment edge (its parts
// go down), a member's edge to a group that fails with it.
func impactMirror(vocab *schemas.Vocabulary, g *graph.Graph) dg.Graph[string, string] {
	m := dg.New(dg.StringHash, dg.Directed())
	kinds := map[string]schemas.Kind{}
	for _, nd := range g.Nodes() {
		_ = m.AddVertex(nd.ID)
		kinds[nd.ID], _ = vocab.Kind(nd.Provider, nd.Kind)
	}
	for _, e := range g.Edges() {
		t, ok := vocab.EdgeTypes[e.Type]
		switch {
		case !ok || t.Category == schemas.Dependency:
			_ = m.AddEdge(e.To, e.From)
		case t.Category == schemas.Containment:
			switch kinds[e.From].Category {
			case "compute", "app", "database":
				_ = m.AddEdge(e.From, e.To)
			}
			if kinds[e.From].FailsWithMembers || kinds[e.To].OwnerFails {
				_ = m.AddEdge(e.To, e.From)
			}
		}
	}
	return m
}

// dependencyMirror is a dominikbraun graph of the dependency edges, without the edges that close
// a cycle (its topological sorts refuse cycles).
func dependencyMirror(vocab *schemas.Vocabulary, g *graph.Graph) dg.Graph[string, string] {
	m := dg.New(dg.StringHash, dg.Directed())
	for _, nd := range g.Nodes() {
		_ = m.AddVertex(nd.ID)
	}
	o := g.RestoreOrder(nil)
	for _, e := range g.Edges() {
		if t, ok := vocab.EdgeTypes[e.Type]; (!ok || t.Category == schemas.Dependency) && o.Wave(e.From) > o.Wave(e.To) {
			_ = m.AddEdge(e.From, e.To)
		}
	}
	return m
}
