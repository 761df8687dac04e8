package history

import (
	"fmt"
	"testing"
	"time"

	"github.com/infragraph/infragraph/graph"
)

// big builds a graph of n containers on n/50 engines over 10 instances, edges included.
func big(n int, id string) *graph.Graph {
	g := graph.New()
	g.Scan.ID = id
	for i := 0; i < n/50; i++ {
		inst := fmt.Sprintf("docker/e%d", i%10)
		g.SetNode(graph.Node{ID: fmt.Sprintf("docker:engine:e%d", i), Kind: "engine", Provider: "docker", Name: "e", Source: inst})
	}
	for i := 0; i < n; i++ {
		e := i / 50
		inst := fmt.Sprintf("docker/e%d", e%10)
		id := fmt.Sprintf("docker:container:e%d/%d", e, i)
		g.SetNode(graph.Node{ID: id, Kind: "container", Provider: "docker", Name: "c", Source: inst, Attrs: graph.Attrs{"image": "odoo:17", "state": "running", "started_at": "x"}})
		g.AddEdge(graph.Edge{From: fmt.Sprintf("docker:engine:e%d", e), To: id, Type: "contains", Origin: graph.Observed, Confidence: 1, Source: inst})
	}
	for i := 0; i < 10; i++ {
		g.Collectors = append(g.Collectors, graph.CollectorStatus{Provider: "docker", Instance: fmt.Sprintf("e%d", i), Status: graph.StatusOK})
	}
	return g
}

// BenchmarkCarry: 50k nodes, half the instances failed and returned nothing.
func BenchmarkCarry(b *testing.B) {
	prev := big(50000, "20261120T060000Z")
	cur := big(50000, "20261120T120000Z")
	for _, n := range cur.Nodes() {
		if n.Source >= "docker/e5" {
			cur.RemoveNode(n.ID)
		}
	}
	for i := 5; i < 10; i++ {
		cur.Collectors[i].Status = graph.StatusFailed
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		g := cur.Clone() // Carry carries into the graph it is given: a fresh one each time
		Carry(prev, g, now)
		if n, _ := g.Len(); n != 51000 {
			b.Fatal(n)
		}
	}
}

func BenchmarkDiff(b *testing.B) {
	prev := big(50000, "20261120T060000Z")
	cur := big(50000, "20261120T120000Z")
	b.ReportAllocs()
	for b.Loop() {
		Diff(prev, cur)
	}
}
