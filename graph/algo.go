package graph

import (
	"errors"
	"fmt"
	"sort"

	dg "github.com/dominikbraun/graph"
)

// EdgeFilter selects the edges a traversal follows; nil follows every edge.
type EdgeFilter func(Edge) bool

func (g *Graph) invalidate() {
	g.stMu.Lock()
	g.st = nil
	g.stMu.Unlock()
}

// structure returns the dominikbraun graph mirroring g: one directed edge per connected (from, to)
// pair, carrying the edge types in its Data. It is built lazily and dropped on every change.
func (g *Graph) structure() dg.Graph[string, string] {
	g.stMu.Lock()
	defer g.stMu.Unlock()
	if g.st != nil {
		return g.st
	}
	st := dg.New(dg.StringHash, dg.Directed())
	ids := make([]string, 0, len(g.nodes))
	for id := range g.nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		_ = st.AddVertex(id)
	}
	for _, e := range g.Edges() {
		if err := st.AddEdge(e.From, e.To, dg.EdgeData([]string{e.Type})); errors.Is(err, dg.ErrEdgeAlreadyExists) {
			old, _ := st.Edge(e.From, e.To)
			types := append(old.Properties.Data.([]string), e.Type)
			_ = st.UpdateEdge(e.From, e.To, dg.EdgeData(types))
		}
	}
	g.st = st
	return st
}

// Structure exposes the dominikbraun/graph view of g for algorithms this package does not wrap.
func (g *Graph) Structure() dg.Graph[string, string] { return g.structure() }

// Reach walks from id along outgoing edges (forward) or incoming edges (!forward) that pass
// filter, up to depth hops (depth <= 0: unlimited). It returns the reached node ids with their
// distance, id itself excluded, sorted by distance then id.
func (g *Graph) Reach(id string, forward bool, depth int, filter EdgeFilter) ([]Reached, error) {
	return g.reach(id, forward, depth, 0, filter)
}

// ReachFirst is the beginning of Reach(id, forward, 0, filter) without walking the rest: whole
// distance levels, nearest first, until it holds at least n nodes (or all there are). Its first
// n items are Reach's first n; Order.Reached counts the rest.
func (g *Graph) ReachFirst(id string, forward bool, n int, filter EdgeFilter) ([]Reached, error) {
	return g.reach(id, forward, 0, max(n, 1), filter)
}

func (g *Graph) reach(id string, forward bool, depth, enough int, filter EdgeFilter) ([]Reached, error) {
	if !g.HasNode(id) {
		return nil, fmt.Errorf("%s: %w", id, ErrNodeNotFound)
	}
	seen := map[string]bool{id: true}
	out := []Reached{}
	level := []string{id}
	for d := 1; len(level) > 0 && (depth <= 0 || d <= depth) && (enough <= 0 || len(out) < enough); d++ {
		first := len(out)
		for _, cur := range level {
			// through sortedKeys: a list another reader sorts in place must not be read meanwhile
			var ks []EdgeKey
			if forward {
				ks = g.sortedKeys(g.out, &g.outSorted, cur)
			} else {
				ks = g.sortedKeys(g.in, &g.inSorted, cur)
			}
			for _, k := range ks {
				e := g.edges[k]
				if filter != nil && !filter(*e) {
					continue
				}
				next := e.To
				if !forward {
					next = e.From
				}
				if !seen[next] {
					seen[next] = true
					out = append(out, Reached{ID: next, Distance: d})
				}
			}
		}
		sort.Slice(out[first:], func(i, j int) bool { return out[first+i].ID < out[first+j].ID })
		level = level[:0]
		for _, r := range out[first:] {
			level = append(level, r.ID)
		}
	}
	return out, nil
}

// Reached is a node found by Reach.
type Reached struct {
	ID       string `json:"id"`
	Distance int    `json:"distance"`
}

// Path returns a shortest directed path from a to b (following edge direction), using
// dominikbraun/graph's ShortestPath.
func (g *Graph) Path(a, b string) ([]string, error) {
	for _, id := range []string{a, b} {
		if !g.HasNode(id) {
			return nil, fmt.Errorf("%s: %w", id, ErrNodeNotFound)
		}
	}
	p, err := dg.ShortestPath(g.structure(), a, b)
	if err != nil {
		return nil, fmt.Errorf("no path from %s to %s", a, b)
	}
	return p, nil
}

// Cycles returns the strongly connected components with more than one node, each sorted, the
// list sorted by first id.
func (g *Graph) Cycles() ([][]string, error) {
	sccs, err := dg.StronglyConnectedComponents(g.structure())
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, c := range sccs {
		if len(c) > 1 {
			sort.Strings(c)
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out, nil
}
