package graph

import (
	"fmt"
	"testing"
)

// EachEdgeEnds visits every stored edge once, removed ones not, with the numbers of its ends.
func TestEachEdgeEnds(t *testing.T) {
	g := New()
	for i := 0; i < 6; i++ {
		if err := g.AddNode(Node{ID: fmt.Sprintf("a:x:%d", i), Provider: "a", Kind: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 6; i++ {
		for _, typ := range []string{"uses", "contains"} {
			if err := g.AddEdge(Edge{From: fmt.Sprintf("a:x:%d", i), To: fmt.Sprintf("a:x:%d", (i+1)%6), Type: typ}); err != nil {
				t.Fatal(err)
			}
		}
	}
	g.RemoveEdge(EdgeKey{"a:x:2", "a:x:3", "uses"})
	g.RemoveNode("a:x:4") // and its three edges
	seen := map[EdgeKey]int{}
	g.EachEdgeEnds(func(e *Edge, from, to int32) {
		if g.NodeAt(from).ID != e.From || g.NodeAt(to).ID != e.To {
			t.Errorf("%s: ends %d %d are %s %s", e.Key(), from, to, g.NodeAt(from).ID, g.NodeAt(to).ID)
		}
		if g.EdgeBetween(from, to, e.Type) != e {
			t.Errorf("%s: EdgeBetween its ends is another edge", e.Key())
		}
		seen[e.Key()]++
	})
	if _, n := g.Len(); len(seen) != n || n != 12-1-4 {
		t.Errorf("visited %d edges, the graph holds %d: %v", len(seen), n, seen)
	}
	for k, c := range seen {
		if c != 1 || g.EdgePtr(k) == nil {
			t.Errorf("%s visited %d times, stored %v", k, c, g.EdgePtr(k) != nil)
		}
	}
}
