package graph

import (
	"fmt"
	"sync"
	"testing"
)

// Out and In stay sorted when edges arrive out of order, after a sort is cached and more edges
// arrive, and under concurrent readers (go test -race).
func TestOutInSortedAcrossAdds(t *testing.T) {
	g := New()
	_ = g.AddNode(Node{ID: "x:hub:h", Kind: "hub", Provider: "x"})
	for _, i := range []int{5, 3, 9, 1} {
		id := fmt.Sprintf("x:leaf:%d", i)
		_ = g.AddNode(Node{ID: id, Kind: "leaf", Provider: "x"})
		_ = g.AddEdge(Edge{From: id, To: "x:hub:h", Type: "uses"})
	}
	check := func(want ...string) {
		t.Helper()
		var wg sync.WaitGroup
		for r := 0; r < 4; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = g.Reach("x:hub:h", false, 0, nil)
				in := g.In("x:hub:h")
				if len(in) != len(want) {
					t.Errorf("%d edges in, want %d", len(in), len(want))
					return
				}
				for i, e := range in {
					if e.From != want[i] {
						t.Errorf("edge %d from %s, want %s", i, e.From, want[i])
					}
				}
			}()
		}
		wg.Wait()
	}
	check("x:leaf:1", "x:leaf:3", "x:leaf:5", "x:leaf:9")
	_ = g.AddNode(Node{ID: "x:leaf:2", Kind: "leaf", Provider: "x"})
	_ = g.AddEdge(Edge{From: "x:leaf:2", To: "x:hub:h", Type: "uses"})
	check("x:leaf:1", "x:leaf:2", "x:leaf:3", "x:leaf:5", "x:leaf:9")
	g.RemoveEdge(EdgeKey{From: "x:leaf:3", To: "x:hub:h", Type: "uses"})
	check("x:leaf:1", "x:leaf:2", "x:leaf:5", "x:leaf:9")
	if out := g.Clone().In("x:hub:h"); len(out) != 4 || out[0].From != "x:leaf:1" || out[3].From != "x:leaf:9" {
		t.Errorf("clone: %v", out)
	}
}
