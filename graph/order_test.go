package graph

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	dg "github.com/dominikbraun/graph"
)

func TestRestoreOrder(t *testing.T) {
	// web -> app -> db -> disk; app -> cache; worker <-> queue (a cycle), worker -> db
	g := build(t, []string{"p:k:web", "p:k:app", "p:k:db", "p:k:disk", "p:k:cache", "p:k:worker", "p:k:queue", "p:k:island"}, [][3]string{
		{"p:k:web", "calls", "p:k:app"}, {"p:k:app", "uses", "p:k:db"}, {"p:k:db", "mounts", "p:k:disk"}, {"p:k:app", "uses", "p:k:cache"},
		{"p:k:worker", "reads", "p:k:queue"}, {"p:k:queue", "calls", "p:k:worker"}, {"p:k:worker", "uses", "p:k:db"},
	})
	o := g.RestoreOrder(nil)
	want := map[string]int{"p:k:disk": 1, "p:k:cache": 1, "p:k:island": 1, "p:k:db": 2, "p:k:app": 3, "p:k:web": 4, "p:k:worker": 3, "p:k:queue": 3}
	for id, w := range want {
		if o.Wave(id) != w {
			t.Errorf("%s: wave %d, want %d", id, o.Wave(id), w)
		}
	}
	if got := o.Waves(); !reflect.DeepEqual(got, [][]string{
		{"p:k:cache", "p:k:disk", "p:k:island"}, {"p:k:db"}, {"p:k:app", "p:k:queue", "p:k:worker"}, {"p:k:web"},
	}) {
		t.Errorf("waves %v", got)
	}
	if c := o.Cycles(); !reflect.DeepEqual(c, [][]string{{"p:k:queue", "p:k:worker"}}) {
		t.Errorf("cycles %v", c)
	}
	if !o.InCycle("p:k:worker") || o.InCycle("p:k:app") || o.InCycle("p:k:nope") {
		t.Error("InCycle")
	}
	// worker reaches queue, db and disk (itself, through queue, is not counted)
	for id, n := range map[string]int{"p:k:web": 4, "p:k:app": 3, "p:k:worker": 3, "p:k:queue": 3, "p:k:island": 0, "p:k:nope": 0} {
		if o.Reached(id) != n {
			t.Errorf("%s reaches %d, want %d", id, o.Reached(id), n)
		}
	}
	ids := []string{"p:k:web", "p:k:db", "p:k:queue", "p:k:disk", "p:k:app"}
	o.Sort(ids)
	if !slices.Equal(ids, []string{"p:k:disk", "p:k:db", "p:k:app", "p:k:queue", "p:k:web"}) {
		t.Errorf("sorted %v", ids)
	}
	// a filter drops edges: without "uses", app depends only on nothing
	if w := g.RestoreOrder(func(e Edge) bool { return e.Type != "uses" }).Wave("p:k:app"); w != 1 {
		t.Errorf("filtered wave %d", w)
	}
}

// TestRestoreOrderAgrees checks the one-pass answers against a walk per node and against
// dominikbraun/graph's strongly connected components, on random graphs with cycles, chains longer
// than a 64-bit block and components of several nodes inside a block.
func TestRestoreOrderAgrees(t *testing.T) {
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 7))
		size := 5 + r.IntN(200)
		var ids []string
		for i := range size {
			ids = append(ids, fmt.Sprintf("p:k:%04d", i))
		}
		var edges [][3]string
		for i := 0; i < size*(1+r.IntN(3))/2; i++ {
			a, b := r.IntN(size), r.IntN(size)
			if a == b {
				continue
			}
			if r.IntN(8) != 0 && a < b { // mostly downhill: long chains, a few cycles
				a, b = b, a
			}
			edges = append(edges, [3]string{ids[a], "uses", ids[b]})
		}
		g := New()
		for _, id := range ids {
			_ = g.AddNode(n(id))
		}
		for _, e := range edges {
			_ = g.AddEdge(Observe(e[0], e[2], e[1]))
		}
		o := g.RestoreOrder(nil)
		for _, id := range ids {
			rs, _ := g.Reach(id, true, 0, nil)
			count := 0
			for _, x := range rs {
				if x.ID != id {
					count++
				}
			}
			if o.Reached(id) != count {
				t.Fatalf("seed %d: %s reaches %d, walk says %d", seed, id, o.Reached(id), count)
			}
			first, _ := g.ReachFirst(id, true, 12, nil)
			if k := min(12, len(rs)); len(first) < k || !reflect.DeepEqual(first[:k], rs[:k]) {
				t.Fatalf("seed %d: ReachFirst(%s) %v is not the start of Reach %v", seed, id, first, rs)
			}
			// every dependency outside a node's cycle is in an earlier wave, and the wave is the
			// lowest such: one more than its highest dependency's
			top := 0
			for _, e := range g.Out(id) {
				if sameCycle(o, id, e.To) {
					continue
				}
				if o.Wave(e.To) >= o.Wave(id) {
					t.Fatalf("seed %d: %s (wave %d) depends on %s (wave %d)", seed, id, o.Wave(id), e.To, o.Wave(e.To))
				}
				top = max(top, o.Wave(e.To))
			}
			if !o.InCycle(id) && o.Wave(id) != top+1 {
				t.Fatalf("seed %d: %s wave %d, its dependencies' highest is %d", seed, id, o.Wave(id), top)
			}
		}
		ref := dg.New(dg.StringHash, dg.Directed())
		for _, id := range ids {
			_ = ref.AddVertex(id)
		}
		for _, e := range edges {
			_ = ref.AddEdge(e[0], e[2]) // a repeated pair is one edge to it: fine for components
		}
		sccs, err := dg.StronglyConnectedComponents(ref)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, c := range sccs {
			if len(c) > 1 {
				slices.Sort(c)
				want = append(want, c)
			}
		}
		slices.SortFunc(want, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		if got := o.Cycles(); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: cycles %v, dominikbraun/graph says %v", seed, got, want)
		}
	}
}

func sameCycle(o *Order, a, b string) bool {
	return o.comp[o.num[a]] == o.comp[o.num[b]]
}

// TestRestoreOrderLongChain: a chain of 100,000 nodes has no recursion to overflow and counts
// every node reaching every one below it.
func TestRestoreOrderLongChain(t *testing.T) {
	g := New()
	const size = 100_000
	for i := range size {
		_ = g.AddNode(n(fmt.Sprintf("p:k:%06d", i)))
	}
	for i := 1; i < size; i++ {
		_ = g.AddEdge(Observe(fmt.Sprintf("p:k:%06d", i), fmt.Sprintf("p:k:%06d", i-1), "uses"))
	}
	o := g.RestoreOrder(nil)
	if o.Reached("p:k:099999") != size-1 || o.Wave("p:k:099999") != size || o.Reached("p:k:000000") != 0 || o.Cycles() != nil {
		t.Errorf("top reaches %d, wave %d", o.Reached("p:k:099999"), o.Wave("p:k:099999"))
	}
}
