package graph

import (
	"maps"
	"math/bits"
	"slices"
	"strings"
)

// Order is a graph's restore order: its strongly connected components (dependency cycles), the
// wave each node comes back in, and how many nodes each one reaches. Edges point from the
// dependent to its dependency, so a node is restored after everything it reaches: wave 1 reaches
// nothing, wave w only nodes of earlier waves or of its own cycle.
//
// It is computed in one pass over dense node numbers (Tarjan's algorithm, iterative, then the
// condensation in the order Tarjan emits it, dependencies first), not with dominikbraun/graph:
// its StronglyConnectedComponents copies the graph into maps of maps and recurses once per
// node, and its topological sorts scan every vertex's predecessors after each one they emit
// (quadratic); BENCHMARKS.md has the numbers. The answer does not depend on the walk's order.
type Order struct {
	ids   []string
	num   map[string]int32 // id -> the graph's node number (a copy of its map: no id hashed here)
	pos   []int32          // the graph's node number -> position in ids
	comp  []int32          // node -> component, numbered dependencies first
	wave  []int32          // component -> wave (1-based)
	size  []int32          // component -> number of nodes
	reach []int32          // node -> nodes it reaches, itself excluded; counted on the first Reached
	adj   [][]int32
}

// RestoreOrder computes g's Order along the edges that pass filter (nil: every edge).
func (g *Graph) RestoreOrder(filter EdgeFilter) *Order {
	// the nodes sorted by id, numbered in that order: the graph's cached order, no sort here
	order, rank := g.order()
	o := &Order{num: maps.Clone(g.ids), pos: rank, ids: make([]string, len(order))}
	for i, v := range order {
		o.ids[i] = g.nodes[v].ID
	}
	adj := make([][]int32, len(order))
	for i, v := range order {
		for _, j := range g.adjacent(v, true) {
			if filter == nil || filter(*g.edges[j]) {
				adj[i] = append(adj[i], rank[g.ends[j].to])
			}
		}
	}
	o.comp, o.size = components(adj)
	o.waves(adj)
	o.adj = adj
	return o
}

// components is Tarjan's strongly connected components, iterative (a chain of 100,000 nodes
// must not recurse 100,000 deep). Components are numbered in the order Tarjan completes them:
// every component a node reaches is numbered before its own, so ascending numbers put
// dependencies first.
func components(adj [][]int32) (comp, size []int32) {
	n := len(adj)
	index := make([]int32, n) // 0: not visited; else discovery order + 1
	low := make([]int32, n)
	onStack := make([]bool, n)
	comp = make([]int32, n)
	var stack []int32
	type frame struct{ v, i int32 }
	var calls []frame
	next := int32(1)
	visit := func(v int32) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		calls = append(calls, frame{v: v})
	}
	for s := range int32(n) {
		if index[s] != 0 {
			continue
		}
		visit(s)
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			v := f.v
			if int(f.i) < len(adj[v]) {
				w := adj[v][f.i]
				f.i++
				if index[w] == 0 {
					visit(w)
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			calls = calls[:len(calls)-1]
			if low[v] == index[v] {
				c := int32(len(size))
				k := int32(0)
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = c
					k++
					if w == v {
						break
					}
				}
				size = append(size, k)
			}
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				low[p] = min(low[p], low[v])
			}
		}
	}
	return comp, size
}

// waves gives each component 1 + the highest wave of a component it depends on.
func (o *Order) waves(adj [][]int32) {
	o.wave = make([]int32, len(o.size))
	for _, v := range o.byComponent() {
		c := o.comp[v]
		w := max(o.wave[c], 1)
		for _, t := range adj[v] {
			if d := o.comp[t]; d != c {
				w = max(w, o.wave[d]+1)
			}
		}
		o.wave[c] = w
	}
}

// byComponent returns the node numbers ordered by component (dependencies first), then number.
func (o *Order) byComponent() []int32 {
	vs := make([]int32, len(o.ids))
	for i := range vs {
		vs[i] = int32(i)
	}
	slices.SortStableFunc(vs, func(a, b int32) int { return int(o.comp[a] - o.comp[b]) })
	return vs
}

// counts finds how many nodes each node reaches without a walk per node (a walk per node is
// quadratic on a long dependency chain): over the condensation, 64 target components at a time,
// a component's bit set is the union of its dependencies' sets and their own bits, computed
// dependencies first. Each weakly connected part of the graph is done on its own, so an estate
// of many small systems costs what its size does; one long chain costs its length squared / 64.
func (o *Order) counts(adj [][]int32) {
	nc := len(o.size)
	// the condensation's edges, and its weakly connected parts (union-find)
	cadj := make([][]int32, nc)
	parent := make([]int32, nc)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for v, ts := range adj {
		c := o.comp[v]
		for _, t := range ts {
			if d := o.comp[t]; d != c {
				cadj[c] = append(cadj[c], d)
				if a, b := find(c), find(d); a != b {
					parent[a] = b
				}
			}
		}
	}
	parts := map[int32][]int32{} // root -> components, ascending (dependencies first)
	for c := range int32(nc) {
		r := find(c)
		parts[r] = append(parts[r], c)
	}
	reached := make([]int32, nc) // nodes reachable from a component, its own excluded
	local := make([]int32, nc)
	var set []uint64
	for _, cs := range parts {
		if len(cs) == 1 {
			continue
		}
		for i, c := range cs {
			local[c] = int32(i)
		}
		set = append(set[:0], make([]uint64, len(cs))...)
		for lo := 0; lo < len(cs); lo += 64 {
			hi := min(lo+64, len(cs))
			unit := true // every target in the block is one node: a popcount counts them
			for _, c := range cs[lo:hi] {
				unit = unit && o.size[c] == 1
			}
			// a component only reaches lower numbers: those below lo reach no target here
			for i := lo; i < len(cs); i++ {
				var s uint64
				for _, d := range cadj[cs[i]] {
					l := int(local[d])
					if l >= lo {
						s |= set[l]
						if l < hi {
							s |= 1 << (l - lo)
						}
					}
				}
				set[i] = s
				if unit {
					reached[cs[i]] += int32(bits.OnesCount64(s))
					continue
				}
				for b := s; b != 0; b &= b - 1 {
					reached[cs[i]] += o.size[cs[lo+bits.TrailingZeros64(b)]]
				}
			}
			clear(set)
		}
	}
	o.reach = make([]int32, len(o.ids))
	for v := range o.reach {
		c := o.comp[v]
		o.reach[v] = reached[c] + o.size[c] - 1
	}
}

// at returns id's position in o.ids.
func (o *Order) at(id string) (int32, bool) {
	v, ok := o.num[id]
	if !ok {
		return 0, false
	}
	return o.pos[v], true
}

// Wave is the wave id is restored in (1: it depends on nothing), 0 for a node not in the graph.
func (o *Order) Wave(id string) int {
	v, ok := o.at(id)
	if !ok {
		return 0
	}
	return int(o.wave[o.comp[v]])
}

// Reached is how many nodes id reaches, itself excluded: the length of Reach(id, true, 0, filter).
// The first call counts for every node (see counts): a caller that knows a node reaches few
// (ReachFirst returned them all) need not ask. Not safe for concurrent first calls.
func (o *Order) Reached(id string) int {
	v, ok := o.at(id)
	if !ok {
		return 0
	}
	if o.reach == nil {
		o.counts(o.adj)
		o.adj = nil
	}
	return int(o.reach[v])
}

// Cycles returns the strongly connected components of more than one node: each sorted, the list
// sorted by first id.
func (o *Order) Cycles() [][]string {
	var big []int32
	for c, k := range o.size {
		if k > 1 {
			big = append(big, int32(c))
		}
	}
	if len(big) == 0 {
		return nil
	}
	members := map[int32][]string{}
	for v, id := range o.ids { // ids are sorted, so each member list is
		if c := o.comp[v]; o.size[c] > 1 {
			members[c] = append(members[c], id)
		}
	}
	out := make([][]string, 0, len(big))
	for _, c := range big {
		out = append(out, members[c])
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// InCycle reports whether id is part of a dependency cycle.
func (o *Order) InCycle(id string) bool {
	v, ok := o.at(id)
	return ok && o.size[o.comp[v]] > 1
}

// Waves returns the node ids of each wave, sorted, wave 1 first.
func (o *Order) Waves() [][]string {
	top := int32(0)
	for _, w := range o.wave {
		top = max(top, w)
	}
	out := make([][]string, top)
	for v, id := range o.ids {
		w := o.wave[o.comp[v]]
		out[w-1] = append(out[w-1], id)
	}
	return out
}

// Sort orders ids for restoring: by wave, then id (dependencies before what needs them).
func (o *Order) Sort(ids []string) {
	slices.SortFunc(ids, func(a, b string) int {
		if wa, wb := o.Wave(a), o.Wave(b); wa != wb {
			return wa - wb
		}
		return strings.Compare(a, b)
	})
}
