package scan

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
)

// referenceMerge is MergeCarrying as it was before it tried each edge first and looked its ends
// up only when one was missing: both ends checked, carried ones added, then the edge.
func referenceMerge(results []collectors.Result, prev *graph.Graph, now time.Time) *graph.Graph {
	g := graph.New()
	sorted := append([]collectors.Result(nil), results...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Status.Key() < sorted[j].Status.Key() })
	statuses := make([]graph.CollectorStatus, len(sorted))
	for i, r := range sorted {
		statuses[i] = r.Status
		for _, n := range r.Nodes {
			if n.Source == "" && n.Provider == r.Status.Provider {
				n.Source = r.Status.Key()
			}
			_ = g.AddNode(n)
		}
	}
	for i := range sorted {
		r := &sorted[i]
		r.Status.Warnings = append([]string(nil), r.Status.Warnings...)
		for _, e := range r.Edges {
			if e.Source == "" {
				e.Source = r.Status.Key()
			}
			for _, id := range []string{e.From, e.To} {
				if g.HasNode(id) {
					continue
				}
				if n, ok := history.CarriedNode(prev, statuses, id, now); ok {
					_ = g.SetNode(n)
				}
			}
			if err := g.AddEdge(e); err != nil {
				r.Status.Warnings = append(r.Status.Warnings, "dropped edge: "+err.Error())
				if r.Status.Status == graph.StatusOK {
					r.Status.Status = graph.StatusPartial
				}
			}
		}
		g.Collectors = append(g.Collectors, r.Status)
	}
	return g
}

// MergeCarrying builds what referenceMerge builds, edge for edge and warning for warning, for
// edges between nodes of this scan, to nodes only history holds (one end, both ends, one carried
// and the other gone), to nodes gone for good, with a bad confidence beside a carried end, and
// without a previous scan.
func TestMergeCarryingAsReference(t *testing.T) {
	node := func(p, k, id string) graph.Node {
		return graph.Node{ID: graph.ID(p, k, id), Provider: p, Kind: k, Name: id}
	}
	prev := graph.New()
	for i := 0; i < 6; i++ {
		n := node("digitalocean", "droplet", fmt.Sprint(i))
		n.Source = "digitalocean/prod"
		_ = prev.AddNode(n)
	}
	gone := node("docker", "container", "gone")
	gone.Source = "docker/erp"
	_ = prev.AddNode(gone)
	ok := graph.CollectorStatus{Provider: "docker", Instance: "erp", Status: graph.StatusOK}
	failed := graph.CollectorStatus{Provider: "digitalocean", Instance: "prod", Status: graph.StatusFailed}
	var nodes []graph.Node
	for i := 0; i < 4; i++ {
		nodes = append(nodes, node("docker", "engine", fmt.Sprint(i)))
	}
	d := func(i int) string { return graph.ID("digitalocean", "droplet", fmt.Sprint(i)) }
	en := func(i int) string { return graph.ID("docker", "engine", fmt.Sprint(i)) }
	edges := []graph.Edge{
		graph.Observe(en(0), en(1), "links"),  // both ends fresh
		graph.Observe(en(0), d(0), "runs_on"), // to a carried droplet
		graph.Observe(d(1), en(1), "hosts"),   // from a carried droplet
		graph.Observe(d(2), d(3), "peers"),    // both ends carried
		graph.Observe(d(4), gone.ID, "runs"),  // one carried, the other gone for good
		graph.Observe(en(2), gone.ID, "runs"), // gone for good
		graph.Observe(en(3), "docker:engine:x", "links"),
		{From: en(3), To: d(5), Type: "runs_on", Confidence: 2}, // bad confidence, carried end
		graph.Observe(en(0), d(0), "runs_on"),                   // again: merged
		{From: "", To: d(0), Type: "runs_on"},
	}
	results := func() []collectors.Result {
		return []collectors.Result{
			{Status: ok, Nodes: append([]graph.Node(nil), nodes...), Edges: append([]graph.Edge(nil), edges...)},
			{Status: failed},
		}
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, p := range []*graph.Graph{prev, nil} {
		got, want := MergeCarrying(results(), p, now), referenceMerge(results(), p, now)
		if !reflect.DeepEqual(got.Nodes(), want.Nodes()) {
			t.Errorf("prev %v: nodes\n got %+v\nwant %+v", p != nil, got.Nodes(), want.Nodes())
		}
		if !reflect.DeepEqual(got.Edges(), want.Edges()) {
			t.Errorf("prev %v: edges\n got %+v\nwant %+v", p != nil, got.Edges(), want.Edges())
		}
		if !reflect.DeepEqual(got.Collectors, want.Collectors) {
			t.Errorf("prev %v: statuses\n got %+v\nwant %+v", p != nil, got.Collectors, want.Collectors)
		}
		if n, _ := got.Len(); p != nil && n != 4+6 {
			t.Errorf("%d nodes, want the 4 engines and all 6 droplets carried (those of dropped edges too)", n)
		}
	}
}
