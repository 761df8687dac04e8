package graph

import (
	"fmt"
	"slices"
	"strings"
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
	start, ok := g.ids[id]
	if !ok {
		return nil, fmt.Errorf("%s: %w", id, ErrNodeNotFound)
	}
	seen := map[int32]bool{start: true} // node numbers: no id hashed per edge
	out := []Reached{}
	level := []int32{start}
	var nums []int32 // the numbers of out's nodes, in out's order
	for d := 1; len(level) > 0 && (depth <= 0 || d <= depth) && (enough <= 0 || len(out) < enough); d++ {
		first := len(nums)
		for _, cur := range level {
			// through adjacent: a list another reader sorts in place must not be read meanwhile
			for _, j := range g.adjacent(cur, forward) {
				e := g.edges[j]
				if filter != nil && !filter(*e) {
					continue
				}
				next := g.ends[j].to
				if !forward {
					next = g.ends[j].from
				}
				if !seen[next] {
					seen[next] = true
					nums = append(nums, next)
				}
			}
		}
		found := nums[first:]
		slices.SortFunc(found, func(a, b int32) int { return strings.Compare(g.nodes[a].ID, g.nodes[b].ID) })
		for _, v := range found {
			out = append(out, Reached{ID: g.nodes[v].ID, Distance: d})
		}
		level = append(level[:0], found...)
	}
	return out, nil
}

// Reached is a node found by Reach.
type Reached struct {
	ID       string `json:"id"`
	Distance int    `json:"distance"`
}
