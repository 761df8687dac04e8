package history

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func mustGraph(t *testing.T, id string, nodes []graph.Node, edges []graph.Edge) *graph.Graph {
	t.Helper()
	g := graph.New()
	g.Scan.ID = id
	for _, n := range nodes {
		if err := g.SetNode(n); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range edges {
		if err := g.AddEdge(e); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func n(id, name string, attrs graph.Attrs) graph.Node {
	p, k, _, _ := graph.ParseID(id)
	return graph.Node{ID: id, Kind: k, Provider: p, Name: name, Attrs: attrs, Source: p + "/main"}
}

func stale(x graph.Node, since string) graph.Node {
	x.Stale, x.StaleSince = true, since
	return x
}

// old and new differ in every way Diff reports, plus volatile and freshness-only changes it must
// ignore.
func pair(t *testing.T) (*graph.Graph, *graph.Graph) {
	old := mustGraph(t, "20261120T060000Z", []graph.Node{
		n("vercel:project:prj_a", "a", graph.Attrs{"framework": "nextjs", "updated_at": "2026-11-19T10:00:00Z", "regions": []string{"iad1"}, "old": "x"}),
		n("vercel:project:prj_gone", "gone", nil),
		n("supabase:table:ref/public.orders", "orders", graph.Attrs{"estimated_rows": int64(1200), "stats.size_bytes": int64(9000), "columns": int64(7)}),
		n("digitalocean:droplet:1001", "erp-1", nil),
		stale(n("odoo:instance:erp", "erp", nil), "2026-11-19T06:00:00Z"),
	}, []graph.Edge{
		graph.Observe("vercel:project:prj_a", "vercel:project:prj_gone", "depends_on"),
		{From: "vercel:project:prj_a", To: "supabase:table:ref/public.orders", Type: "uses_database", Origin: graph.Rule, Confidence: 0.7},
		graph.Observe("odoo:instance:erp", "digitalocean:droplet:1001", "runs_on"),
	})
	a := n("vercel:project:prj_a", "a2", graph.Attrs{"framework": "remix", "updated_at": "2026-11-20T10:00:00Z", "regions": []string{"iad1", "sfo1"}, "new": true})
	a.LastSeen, a.FirstSeen = "2026-11-20T06:00:00Z", "2026-11-01T00:00:00Z" // freshness is not a change
	new := mustGraph(t, "20261120T120000Z", []graph.Node{
		a,
		n("vercel:project:prj_new", "new", nil),
		n("supabase:table:ref/public.orders", "orders", graph.Attrs{"estimated_rows": int64(1350), "stats.size_bytes": int64(9100), "columns": int64(7)}),
		stale(n("digitalocean:droplet:1001", "erp-1", nil), "2026-11-20T12:00:00Z"),
		n("odoo:instance:erp", "erp", nil),
	}, []graph.Edge{
		{From: "vercel:project:prj_a", To: "supabase:table:ref/public.orders", Type: "uses_database", Origin: graph.Rule, Confidence: 0.9},
		{From: "odoo:instance:erp", To: "digitalocean:droplet:1001", Type: "runs_on", Origin: graph.Observed, Confidence: 1, Stale: true, StaleSince: "2026-11-20T12:00:00Z"},
		graph.Observe("vercel:project:prj_new", "vercel:project:prj_a", "depends_on"),
	})
	new.Collectors = []graph.CollectorStatus{{Provider: "digitalocean", Instance: "main", Status: graph.StatusFailed, Reason: "401"}}
	return old, new
}

func TestDiff(t *testing.T) {
	old, new := pair(t)
	c := Diff(old, new)
	refs := func(ns []NodeRef) []string {
		out := []string{}
		for _, x := range ns {
			out = append(out, x.ID)
		}
		return out
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	check("added", refs(c.NodesAdded), []string{"vercel:project:prj_new"})
	check("removed", refs(c.NodesRemoved), []string{"vercel:project:prj_gone"})
	check("stale", refs(c.NodesStale), []string{"digitalocean:droplet:1001"})
	check("fresh", refs(c.NodesFresh), []string{"odoo:instance:erp"})
	if len(c.NodesChanged) != 1 || c.NodesChanged[0].ID != "vercel:project:prj_a" {
		t.Fatalf("changed: %+v (volatile estimated_rows, size_bytes, updated_at must not count)", c.NodesChanged)
	}
	check("fields", c.NodesChanged[0].Fields, []FieldChange{
		{Field: "name", Old: "a", New: "a2"},
		{Field: "attrs.framework", Old: "nextjs", New: "remix"},
		{Field: "attrs.new", New: true},
		{Field: "attrs.old", Old: "x"},
		{Field: "attrs.regions", Old: []string{"iad1"}, New: []string{"iad1", "sfo1"}},
	})
	check("edges added", len(c.EdgesAdded), 1)
	check("edges removed", c.EdgesRemoved[0].To, "vercel:project:prj_gone")
	check("edges stale", c.EdgesStale[0].From, "odoo:instance:erp")
	check("edge change", c.EdgesChanged[0].Fields, []FieldChange{{Field: "confidence", Old: 0.7, New: 0.9}})

	s := c.Summary()
	want := graph.ChangeSummary{Since: "20261120T060000Z", NodesAdded: 1, NodesRemoved: 1, NodesChanged: 1, NodesStale: 1, EdgesAdded: 1, EdgesRemoved: 1}
	s2 := *s
	s2.Highlights = nil
	check("summary", s2, want)
	if len(s.Highlights) == 0 || s.Highlights[0] != "1 node went stale: digitalocean/main (collector failed)" {
		t.Errorf("highlights %q", s.Highlights)
	}

	// identical graphs, and graphs that went through JSON (int64 → float64 → int64): no changes
	if c := Diff(old, old.Clone()); !c.Empty() {
		t.Errorf("self diff: %+v", c)
	}
	var buf bytes.Buffer
	if err := graph.Encode(&buf, new); err != nil {
		t.Fatal(err)
	}
	back, err := graph.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c := Diff(new, back); !c.Empty() {
		t.Errorf("round trip diff: %+v", c)
	}
}

func TestVolatile(t *testing.T) {
	for key, want := range map[string]bool{
		"updated_at": true, "stats.estimated_rows": true, "expires_at": true, "last_seen": true, "size_bytes": true,
		"framework": false, "status": false, "env.DATABASE_URL.host": false, "at": false, "format": false,
	} {
		if Volatile(key) != want {
			t.Errorf("Volatile(%q) = %v", key, !want)
		}
	}
}

func TestReportsGolden(t *testing.T) {
	old, new := pair(t)
	c := Diff(old, new)
	var text, md, js bytes.Buffer
	if err := WriteText(&text, c); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"changes.txt": text.Bytes(), "CHANGES.md": md.Bytes(), "changes.json": js.Bytes()} {
		golden(t, name, got)
	}
	var first bytes.Buffer
	WriteMarkdown(&first, nil)
	if !strings.Contains(first.String(), "first scan") {
		t.Errorf("first scan CHANGES.md: %s", first.String())
	}
	var none bytes.Buffer
	WriteText(&none, Diff(old, old))
	if !strings.Contains(none.String(), "No changes.") {
		t.Errorf("no changes: %s", none.String())
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./history -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test ./history -update and review):\n%s", name, p, got)
	}
}
