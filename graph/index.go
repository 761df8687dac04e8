package graph

// Dense node numbers, for callers that keep per-node state in slices instead of maps keyed by id
// (a renderer's model, a diff, a walk over 100,000 nodes): a number is hashed once, with Index,
// and every later step indexes a slice.
//
// Nodes are numbered 0, 1, 2, ... in the order they were first added. A node keeps its number
// until it is removed; numbers are not reused, so a removed node leaves a hole (NodeAt returns
// nil for it) and numbers stay below IndexLen. Clone numbers its copy as the original.

// Index returns the number of the node with id.
func (g *Graph) Index(id string) (int32, bool) {
	i, ok := g.ids[id]
	return i, ok
}

// NodeAt returns the stored node numbered i (as NodePtr), nil for a removed node.
func (g *Graph) NodeAt(i int32) *Node { return g.nodes[i] }

// IndexLen is one more than the highest node number: a slice of IndexLen items holds a value
// per node.
func (g *Graph) IndexLen() int { return len(g.nodes) }

// SortedIndex returns the node numbers sorted by id, Nodes' order. The slice is the graph's own,
// kept until the set of nodes changes: read it, never modify it.
func (g *Graph) SortedIndex() []int32 {
	order, _ := g.order()
	return order
}

// EachOutIndex calls f with each edge leaving node i and the number of the node it enters, in
// Out's order. f must not change the graph.
func (g *Graph) EachOutIndex(i int32, f func(e *Edge, to int32)) {
	for _, j := range g.adjacent(i, true) {
		f(g.edges[j], g.ends[j].to)
	}
}

// EachInIndex calls f with each edge entering node i and the number of the node it leaves, in
// In's order. f must not change the graph.
func (g *Graph) EachInIndex(i int32, f func(e *Edge, from int32)) {
	for _, j := range g.adjacent(i, false) {
		f(g.edges[j], g.ends[j].from)
	}
}

// EachEdgeIndex calls f with each edge and the numbers of its ends, in Edges' order (sorted by
// (from, to, type), computed once until the edges change). f must not change the graph.
func (g *Graph) EachEdgeIndex(f func(e *Edge, from, to int32)) {
	for _, j := range g.edgeOrderSorted() {
		f(g.edges[j], g.ends[j].from, g.ends[j].to)
	}
}

// EdgeBetween returns the stored edge of type typ from node number from to node number to (as
// EdgePtr), nil when there is none: a lookup that hashes no id, for a caller that numbered the
// ends already (walking another graph's edges, it maps each node to this graph's number once,
// not each edge's two ids).
func (g *Graph) EdgeBetween(from, to int32, typ string) *Edge {
	t, ok := g.types[typ]
	if !ok {
		return nil
	}
	if j, ok := g.slots[edgeSlot{from, to, t}]; ok {
		return g.edges[j]
	}
	return nil
}

// EachEdgeEnds calls f with each edge and the numbers of its ends, in no particular order
// (EachEdge's): EachEdgeIndex without its sort, for a walk whose result does not depend on the
// order (a diff against another graph, freshness stamps). f must not change the graph.
func (g *Graph) EachEdgeEnds(f func(e *Edge, from, to int32)) {
	for j, e := range g.edges {
		if e != nil {
			f(e, g.ends[j].from, g.ends[j].to)
		}
	}
}
