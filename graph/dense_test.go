package graph

import (
	"fmt"
	"maps"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// model is the graph as it was stored before the dense storage, maps keyed by ids and keys: the
// straightforward implementation the dense Graph must behave exactly like.
type model struct {
	nodes map[string]*Node
	edges map[EdgeKey]*Edge
}

func newModel() *model { return &model{nodes: map[string]*Node{}, edges: map[EdgeKey]*Edge{}} }

func (m *model) addNode(n Node) error {
	if err := n.Validate(); err != nil {
		return err
	}
	n.Normalize()
	if old, ok := m.nodes[n.ID]; ok {
		if old.Name == "" {
			old.Name = n.Name
		}
		for k, v := range n.Attrs {
			if _, ok := old.Attrs[k]; !ok {
				if old.Attrs == nil {
					old.Attrs = Attrs{}
				}
				old.Attrs[k] = v
			}
		}
		for k, r := range n.Refs {
			if _, ok := old.Refs[k]; !ok {
				if old.Refs == nil {
					old.Refs = map[string]Ref{}
				}
				old.Refs[k] = r
			}
		}
		return nil
	}
	m.nodes[n.ID] = &n
	return nil
}

func (m *model) setNode(n Node) error {
	if err := n.Validate(); err != nil {
		return err
	}
	n.Normalize()
	m.nodes[n.ID] = &n
	return nil
}

func (m *model) addEdge(e Edge) error {
	if e.From == "" || e.To == "" || e.Type == "" || m.nodes[e.From] == nil || m.nodes[e.To] == nil || e.Confidence < 0 || e.Confidence > 1 {
		return ErrBadEdge
	}
	if e.Origin == "" {
		e.Origin = Observed
	}
	if old, ok := m.edges[e.Key()]; ok {
		MergeEdge(old, e)
		return nil
	}
	if len(e.Origins) > 0 {
		e.Origins = mergeOrigins(nil, append([]Origin{e.Origin}, e.Origins...))
		if len(e.Origins) == 1 {
			e.Origins = nil
		}
	}
	e.Evidence = SortEvidence(e.Evidence)
	e.Via = unionSorted(nil, e.Via)
	m.edges[e.Key()] = &e
	return nil
}

func (m *model) removeNode(id string) {
	if m.nodes[id] == nil {
		return
	}
	for k := range m.edges {
		if k.From == id || k.To == id {
			delete(m.edges, k)
		}
	}
	delete(m.nodes, id)
}

func (m *model) clone() *model {
	c := newModel()
	for id, n := range m.nodes {
		cn := *n
		cn.Attrs = maps.Clone(n.Attrs)
		c.nodes[id] = &cn
	}
	for k, e := range m.edges {
		ce := *e
		ce.Evidence = slices.Clone(e.Evidence)
		ce.Origins = slices.Clone(e.Origins)
		c.edges[k] = &ce
	}
	return c
}

func (m *model) sortedNodes() []Node {
	var out []Node
	for _, id := range slices.Sorted(maps.Keys(m.nodes)) {
		out = append(out, *m.nodes[id])
	}
	return out
}

// compareKey orders keys by (from, to, type), as Edges does.
func compareKey(a, b EdgeKey) int {
	if c := strings.Compare(a.From, b.From); c != 0 {
		return c
	}
	if c := strings.Compare(a.To, b.To); c != 0 {
		return c
	}
	return strings.Compare(a.Type, b.Type)
}

func (m *model) sortedEdges(keep func(EdgeKey) bool) []Edge {
	var out []Edge
	for _, k := range slices.SortedFunc(maps.Keys(m.edges), compareKey) {
		if keep == nil || keep(k) {
			out = append(out, *m.edges[k])
		}
	}
	return out
}

// same fails t unless g and m hold the same nodes and edges, in the same orders.
func same(t *testing.T, step int, op string, g *Graph, m *model, ids []string) {
	t.Helper()
	fail := func(what string, got, want any) {
		t.Helper()
		t.Fatalf("step %d (%s): %s:\n got %+v\nwant %+v", step, op, what, got, want)
	}
	if got, want := g.Nodes(), m.sortedNodes(); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
		fail("Nodes", got, want)
	}
	if got, want := g.Edges(), m.sortedEdges(nil); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
		fail("Edges", got, want)
	}
	for i, p := range g.NodePtrs() {
		if p != g.NodePtr(p.ID) || i >= len(g.Nodes()) || !reflect.DeepEqual(*p, g.Nodes()[i]) {
			fail("NodePtrs", *p, i)
		}
	}
	for i, p := range g.EdgePtrs() {
		if p != g.EdgePtr(p.Key()) || i >= len(g.Edges()) || !reflect.DeepEqual(*p, g.Edges()[i]) {
			fail("EdgePtrs", *p, i)
		}
	}
	if len(g.NodePtrs()) != len(m.nodes) || len(g.EdgePtrs()) != len(m.edges) {
		fail("NodePtrs, EdgePtrs", [2]int{len(g.NodePtrs()), len(g.EdgePtrs())}, [2]int{len(m.nodes), len(m.edges)})
	}
	if n, e := g.Len(); n != len(m.nodes) || e != len(m.edges) {
		fail("Len", [2]int{n, e}, [2]int{len(m.nodes), len(m.edges)})
	}
	var each []string
	g.EachNode(func(n *Node) { each = append(each, n.ID) })
	if slices.Sort(each); !slices.Equal(each, slices.Sorted(maps.Keys(m.nodes))) {
		fail("EachNode", each, slices.Sorted(maps.Keys(m.nodes)))
	}
	edges := 0
	g.EachEdge(func(*Edge) { edges++ })
	if edges != len(m.edges) {
		fail("EachEdge", edges, len(m.edges))
	}
	for _, id := range ids {
		if g.HasNode(id) != (m.nodes[id] != nil) {
			fail("HasNode "+id, g.HasNode(id), m.nodes[id] != nil)
		}
		out := m.sortedEdges(func(k EdgeKey) bool { return k.From == id })
		in := m.sortedEdges(func(k EdgeKey) bool { return k.To == id })
		if got := g.Out(id); !reflect.DeepEqual(got, out) && len(got)+len(out) > 0 {
			fail("Out "+id, got, out)
		}
		if got := g.In(id); !reflect.DeepEqual(got, in) && len(got)+len(in) > 0 {
			fail("In "+id, got, in)
		}
		var each []Edge
		g.EachIn(id, func(e *Edge) { each = append(each, *e) })
		if !reflect.DeepEqual(each, in) && len(each)+len(in) > 0 {
			fail("EachIn "+id, each, in)
		}
		each = each[:0]
		g.EachOut(id, func(e *Edge) { each = append(each, *e) })
		if !reflect.DeepEqual(each, out) && len(each)+len(out) > 0 {
			fail("EachOut "+id, each, out)
		}
		// Reach against a walk over the model's sorted edges
		got, err := g.Reach(id, true, 0, nil)
		if (err != nil) != (m.nodes[id] == nil) {
			fail("Reach error "+id, err, m.nodes[id] != nil)
		}
		if err == nil {
			if want := m.reach(id); !reflect.DeepEqual(got, want) {
				fail("Reach "+id, got, want)
			}
		}
	}
}

func (m *model) reach(id string) []Reached {
	seen := map[string]bool{id: true}
	out := []Reached{}
	level := []string{id}
	for d := 1; len(level) > 0; d++ {
		var next []string
		for _, e := range m.sortedEdges(nil) {
			if slices.Contains(level, e.From) && !seen[e.To] {
				seen[e.To] = true
				next = append(next, e.To)
			}
		}
		slices.Sort(next)
		for _, n := range next {
			out = append(out, Reached{ID: n, Distance: d})
		}
		level = next
	}
	return out
}

// The dense graph behaves exactly like the map model under random sequences of every change,
// Clone included (after a Clone, both go on; changing one leaves the other as it was): the same
// nodes and edges, merged edges with the same evidence, origins and via, the same orders of
// Nodes, Edges, Out, In, EachOut, EachIn, the same Reach.
func TestDenseGraphMatchesMapModel(t *testing.T) {
	for seed := int64(1); seed <= 16; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomOps(t, seed, 300) })
	}
}

func randomOps(t *testing.T, seed int64, steps int) {
	r := rand.New(rand.NewSource(seed))
	var ids []string
	for i := 0; i < 12; i++ {
		ids = append(ids, ID([]string{"a", "bb"}[i%2], []string{"x", "y", "z"}[i%3], fmt.Sprintf("n%d", (i*7)%12)))
	}
	types := []string{"uses", "contains", "calls"}
	origins := []Origin{Observed, Rule, LLM, ""}
	pick := func(xs []string) string { return xs[r.Intn(len(xs))] }
	node := func() Node {
		id := pick(ids)
		p, k, _, _ := ParseID(id)
		n := Node{ID: id, Provider: p, Kind: k}
		if r.Intn(2) == 0 {
			n.Name = fmt.Sprint("name", r.Intn(3))
		}
		if r.Intn(2) == 0 {
			n.Attrs = Attrs{}
			for i := r.Intn(4); i > 0; i-- {
				var v any
				switch r.Intn(6) {
				case 0:
					v = fmt.Sprint(r.Intn(3))
				case 1:
					v = r.Intn(5)
				case 2:
					v = []string{"b", "a", "b", ""}[r.Intn(4):]
				case 3:
					v = float64(r.Intn(4)) / 2
				case 4:
					v = ""
				default:
					v = Ref{Host: "h" + fmt.Sprint(r.Intn(2)), Port: 5432}
				}
				n.Attrs[[]string{"a", "b", "value.", "c"}[r.Intn(4)]] = v
			}
		}
		if r.Intn(5) == 0 {
			n.Stale = true
		}
		return n
	}
	edge := func() Edge {
		e := Edge{From: pick(ids), To: pick(ids), Type: pick(types), Origin: origins[r.Intn(len(origins))], Confidence: float64(r.Intn(11)) / 10}
		for i := r.Intn(3); i > 0; i-- {
			e.Evidence = append(e.Evidence, Evidence{Node: pick(ids), Field: "f", Value: fmt.Sprint(r.Intn(3))})
		}
		for i := r.Intn(3) - 1; i > 0; i-- {
			e.Origins = append(e.Origins, origins[r.Intn(len(origins))])
		}
		for i := r.Intn(3) - 1; i > 0; i-- {
			e.Via = append(e.Via, pick(ids))
		}
		e.Stale = r.Intn(4) == 0
		if r.Intn(20) == 0 {
			e.Confidence = 2
		}
		return e
	}
	g, m := New(), newModel()
	var others []struct {
		g *Graph
		m *model
	}
	for step := 0; step < steps; step++ {
		var op string
		switch x := r.Intn(100); {
		case x < 25:
			n := node()
			op = "AddNode " + n.ID
			if (g.AddNode(n) == nil) != (m.addNode(n) == nil) {
				t.Fatalf("step %d: AddNode errors differ", step)
			}
		case x < 30:
			n := node()
			op = "SetNode " + n.ID
			_, _ = g.SetNode(n), m.setNode(n)
		case x < 70:
			e := edge()
			op = "AddEdge " + e.Key().String()
			if (g.AddEdge(e) == nil) != (m.addEdge(e) == nil) {
				t.Fatalf("step %d: AddEdge %s errors differ", step, e.Key())
			}
		case x < 80:
			k := EdgeKey{From: pick(ids), To: pick(ids), Type: pick(types)}
			op = "RemoveEdge " + k.String()
			g.RemoveEdge(k)
			delete(m.edges, k)
		case x < 85:
			id := pick(ids)
			op = "RemoveNode " + id
			g.RemoveNode(id)
			m.removeNode(id)
		case x < 90:
			op = "Clone"
			others = append(others, struct {
				g *Graph
				m *model
			}{g, m})
			if r.Intn(2) == 0 { // go on with the copy or with the original
				g, m = g.Clone(), m.clone()
			} else {
				others[len(others)-1].g, others[len(others)-1].m = g.Clone(), m.clone()
			}
		case x < 95:
			id := pick(ids)
			op = "NodePtr " + id
			if p := g.NodePtr(id); (p == nil) != (m.nodes[id] == nil) {
				t.Fatalf("step %d: NodePtr %s", step, id)
			} else if p != nil {
				for _, n := range []*Node{p, m.nodes[id]} {
					if n.Attrs == nil {
						n.Attrs = Attrs{}
					}
					n.Attrs["touched"] = int64(step)
					n.LastSeen = fmt.Sprint(step)
				}
			}
		default:
			k := EdgeKey{From: pick(ids), To: pick(ids), Type: pick(types)}
			op = "EdgePtr " + k.String()
			if p := g.EdgePtr(k); (p == nil) != (m.edges[k] == nil) {
				t.Fatalf("step %d: EdgePtr %s", step, k)
			} else if p != nil {
				MergeEdge(p, Edge{Origin: Rule, Evidence: []Evidence{{Node: "z", Field: "f", Value: fmt.Sprint(step)}}})
				MergeEdge(m.edges[k], Edge{Origin: Rule, Evidence: []Evidence{{Node: "z", Field: "f", Value: fmt.Sprint(step)}}})
			}
		}
		same(t, step, op, g, m, ids)
		if step%25 == 0 {
			for _, o := range others {
				same(t, step, op+" (an earlier graph)", o.g, o.m, ids)
			}
		}
	}
	for _, o := range others {
		same(t, steps, "end (an earlier graph)", o.g, o.m, ids)
	}
}

// The dense numbers name the same nodes and edges as the ids: Index and NodeAt agree, numbers
// survive removals of other nodes and a Clone, SortedIndex is Nodes' order, and the Each*Index
// walks give Out's, In's and Edges' orders with the numbers of the other ends.
func TestIndex(t *testing.T) {
	g := build(t, []string{"a:x:3", "a:x:1", "a:x:2", "a:x:0"}, [][3]string{
		{"a:x:3", "uses", "a:x:1"}, {"a:x:3", "calls", "a:x:1"}, {"a:x:3", "uses", "a:x:0"}, {"a:x:2", "uses", "a:x:3"}, {"a:x:0", "uses", "a:x:3"},
	})
	g.RemoveNode("a:x:2")
	c := g.Clone()
	for _, h := range []*Graph{g, c} {
		if h.IndexLen() != 4 {
			t.Errorf("IndexLen %d", h.IndexLen())
		}
		if _, ok := h.Index("a:x:2"); ok || h.NodeAt(2) != nil {
			t.Error("removed node still numbered")
		}
		var sorted []string
		for _, i := range h.SortedIndex() {
			sorted = append(sorted, h.NodeAt(i).ID)
		}
		if want := []string{"a:x:0", "a:x:1", "a:x:3"}; !slices.Equal(sorted, want) {
			t.Errorf("SortedIndex %v", sorted)
		}
		for _, id := range []string{"a:x:0", "a:x:1", "a:x:3"} {
			i, ok := h.Index(id)
			if !ok || h.NodeAt(i).ID != id || h.NodeAt(i) != h.NodePtr(id) {
				t.Errorf("Index(%s) = %d", id, i)
			}
			var out, in []Edge
			h.EachOutIndex(i, func(e *Edge, to int32) {
				if h.NodeAt(to).ID != e.To {
					t.Errorf("%s: to %d is not %s", e.Key(), to, e.To)
				}
				out = append(out, *e)
			})
			h.EachInIndex(i, func(e *Edge, from int32) {
				if h.NodeAt(from).ID != e.From {
					t.Errorf("%s: from %d is not %s", e.Key(), from, e.From)
				}
				in = append(in, *e)
			})
			if !reflect.DeepEqual(out, h.Out(id)) && len(out)+len(h.Out(id)) > 0 || !reflect.DeepEqual(in, h.In(id)) && len(in)+len(h.In(id)) > 0 {
				t.Errorf("%s: out %v in %v", id, out, in)
			}
		}
		var all []Edge
		h.EachEdgeIndex(func(e *Edge, from, to int32) {
			if h.NodeAt(from).ID != e.From || h.NodeAt(to).ID != e.To {
				t.Errorf("%s: ends %d %d", e.Key(), from, to)
			}
			if h.EdgeBetween(from, to, e.Type) != e || h.EdgeBetween(to, from, e.Type) != h.EdgePtr(EdgeKey{e.To, e.From, e.Type}) || h.EdgeBetween(from, to, "other") != nil {
				t.Errorf("EdgeBetween(%d, %d, %s)", from, to, e.Type)
			}
			all = append(all, *e)
		})
		if !reflect.DeepEqual(all, h.Edges()) || len(all) != 4 {
			t.Errorf("EachEdgeIndex %v", all)
		}
	}
}

// The sorted orders are computed by the first reader that asks: readers that ask at once get
// the same answers (go test -race: computing them is guarded).
func TestConcurrentReadersShareSortedOrders(t *testing.T) {
	g := New()
	for i := 0; i < 3000; i++ {
		_ = g.AddNode(n(fmt.Sprintf("a:x:%04d", (i*37)%3000)))
	}
	for i := 0; i < 3000; i++ {
		_ = g.AddEdge(Observe(fmt.Sprintf("a:x:%04d", i), fmt.Sprintf("a:x:%04d", (i*7)%3000), "uses"))
	}
	want := fmt.Sprint(newModelOf(g).sortedNodes(), newModelOf(g).sortedEdges(nil))
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	start := make(chan struct{})
	for r := 0; r < 8; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start // all at once, before any has sorted
			h := g
			if r%2 == 1 {
				h = g.Clone()
			}
			if got := fmt.Sprint(h.Nodes(), h.Edges()); got != want {
				errs <- "Nodes/Edges differ"
			}
			if o := h.RestoreOrder(nil); o.Wave("a:x:0000") == 0 {
				errs <- "no wave"
			}
			if len(h.SortedIndex()) != 3000 || len(h.EdgePtrs()) != 3000 {
				errs <- "SortedIndex/EdgePtrs"
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// newModelOf copies g into the map model, for comparisons.
func newModelOf(g *Graph) *model {
	m := newModel()
	g.EachNode(func(n *Node) { c := *n; m.nodes[n.ID] = &c })
	g.EachEdge(func(e *Edge) { c := *e; m.edges[e.Key()] = &c })
	return m
}
