package serve

import (
	"fmt"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// scaled builds an estate of n Vercel projects, each with 8 env vars, calling one of n/20 Supabase
// projects through its pooler, and the Acme estate beside it: about 10n nodes and 11n edges.
func scaled(b *testing.B, n int) string {
	b.Helper()
	g := acme(true)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n/20+1; i++ {
		ref := fmt.Sprintf("ref%017d", i)
		must(g.AddNode(graph.Node{ID: "supabase:project:" + ref, Kind: "project", Provider: "supabase", Name: "db-" + ref}))
		must(g.AddNode(graph.Node{ID: "supabase:pooler:" + ref + "/transaction", Kind: "pooler", Provider: "supabase", Name: "pooler"}))
		must(g.AddEdge(graph.Observe("supabase:pooler:"+ref+"/transaction", "supabase:project:"+ref, "pool_of")))
	}
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("vercel:project:prj_%06d", i)
		must(g.AddNode(graph.Node{ID: p, Kind: "project", Provider: "vercel", Name: fmt.Sprintf("app-%06d", i), Attrs: graph.Attrs{"framework": "nextjs"}}))
		must(g.AddEdge(graph.Observe("vercel:team:team_acme", p, "contains")))
		for j := 0; j < 8; j++ {
			ev := fmt.Sprintf("vercel:env_var:prj_%06d/VAR_%d", i, j)
			must(g.AddNode(graph.Node{ID: ev, Kind: "env_var", Provider: "vercel", Name: fmt.Sprintf("VAR_%d", j)}))
			must(g.AddEdge(graph.Observe(p, ev, "contains")))
		}
		ref := fmt.Sprintf("ref%017d", i/20)
		must(g.AddEdge(graph.Edge{From: p, To: "supabase:pooler:" + ref + "/transaction", Type: "uses_database", Origin: graph.Rule, Confidence: 0.9}))
		must(g.AddEdge(graph.Edge{From: p, To: acmeAPI, Type: "calls", Origin: graph.Rule, Confidence: 0.8}))
	}
	dir := b.TempDir()
	writeGraph(b, dir, g)
	return dir
}

func benchService(b *testing.B, n int) *Service {
	st, err := Open(scaled(b, n))
	if err != nil {
		b.Fatal(err)
	}
	return &Service{Store: st}
}

// BenchmarkLoad: reading and decoding graph.json, what a reload costs.
func BenchmarkLoad(b *testing.B) {
	dir := scaled(b, 2000)
	b.ResetTimer()
	for b.Loop() {
		st := NewStore(dir)
		if _, err := st.Current(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummary: counts, warnings and the critical components of a fresh snapshot.
func BenchmarkSummary(b *testing.B) {
	svc := benchService(b, 2000)
	snap, _ := svc.Store.Current()
	b.ResetTimer()
	for b.Loop() {
		computeDerived(snap.Graph)
	}
}

func BenchmarkSearchPage(b *testing.B) {
	svc := benchService(b, 2000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.Search(SearchParams{Kind: "env_var", Name: "VAR_3"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkImpactPage(b *testing.B) {
	svc := benchService(b, 2000)
	b.ResetTimer()
	for b.Loop() {
		r, err := svc.Impact(WalkParams{ID: acmeAPI})
		if err != nil || r.Total < 2000 {
			b.Fatal(err, r.Total)
		}
	}
}
