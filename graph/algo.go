package graph

import (
	"fmt"
	"sort"
)

// EdgeFilter selects the edges a traversal follows; nil follows every edge.
type EdgeFilter func(Edge) bool

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
