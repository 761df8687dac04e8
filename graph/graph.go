// Package graph is infragraph's typed knowledge graph: nodes and edges with provenance, and the
// traversals the product runs over them (Reach, ReachFirst, RestoreOrder). They are written over
// the graph's own adjacency lists and dense node numbers, not github.com/dominikbraun/graph: its
// algorithms copy the whole graph into maps per call, and BENCHMARKS.md ("Graph algorithms")
// measures them at 100,000 nodes; it remains the reference the tests check cycles against.
//
// A node id is "provider:kind:native-id" (see ID). Edges point from the dependent to its
// dependency; containment edges point from parent to child. The package imports nothing else of
// infragraph, so every other package may depend on it.
package graph

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Origin says who asserted an edge.
type Origin string

const (
	// Observed edges were stated by a provider's API.
	Observed Origin = "observed"
	// Rule edges were inferred by a deterministic rule in enrich.
	Rule Origin = "rule"
	// LLM edges were proposed by a language model and accepted by the validator.
	LLM Origin = "llm"
)

// Attrs holds a node's attributes. Values are string, bool, int64, float64 or []string; Node
// normalises other integer and slice types on the way in (see NormalizeAttrs).
type Attrs map[string]any

// Node is one discovered (or referenced) thing.
type Node struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Provider string `json:"provider"`
	Name     string `json:"name"`
	Attrs    Attrs  `json:"attrs,omitempty"`
	// Refs are the references the collector recorded, by attribute prefix (see Ref). graph.json
	// carries them as attributes only.
	Refs map[string]Ref `json:"-"`

	// Provenance and freshness, filled by the scan pipeline, never by collectors.
	Source     string `json:"source,omitempty"` // collector instance, "digitalocean/main"
	FirstSeen  string `json:"first_seen,omitempty"`
	LastSeen   string `json:"last_seen,omitempty"`
	Stale      bool   `json:"stale,omitempty"`
	StaleSince string `json:"stale_since,omitempty"`
}

// Evidence is one fact that justifies an edge: the value of a field on a node.
type Evidence struct {
	Node  string `json:"node"`
	Field string `json:"field"`
	Value string `json:"value"`
}

// Edge is a typed, directed relationship from the dependent (or parent) to its dependency (or
// child).
type Edge struct {
	From       string     `json:"from"`
	To         string     `json:"to"`
	Type       string     `json:"type"`
	Origin     Origin     `json:"origin"`
	Origins    []Origin   `json:"origins,omitempty"` // every origin that asserted it, when merged
	Confidence float64    `json:"confidence"`
	Evidence   []Evidence `json:"evidence,omitempty"`
	// Via lists the nodes an inferred edge was found through, sorted: the env var of a project it
	// was lifted to (so rotating a password names every setting to update), a DNS record.
	Via []string `json:"via,omitempty"`

	Source     string `json:"source,omitempty"`
	FirstSeen  string `json:"first_seen,omitempty"`
	LastSeen   string `json:"last_seen,omitempty"`
	Stale      bool   `json:"stale,omitempty"`
	StaleSince string `json:"stale_since,omitempty"`
}

// Key identifies an edge: at most one edge of a type joins two nodes.
func (e Edge) Key() EdgeKey { return EdgeKey{From: e.From, To: e.To, Type: e.Type} }

// EdgeKey identifies an edge.
type EdgeKey struct{ From, To, Type string }

func (k EdgeKey) String() string { return k.From + " -" + k.Type + "-> " + k.To }

// ID builds a node id. native may itself be scoped with "/" ("<ref>/public.orders").
func ID(provider, kind, native string) string { return provider + ":" + kind + ":" + native }

// ParseID splits a node id into provider, kind and native id.
func ParseID(id string) (provider, kind, native string, err error) {
	// two Cuts, not SplitN: every node added is validated, and SplitN allocated a slice each
	provider, rest, ok1 := strings.Cut(id, ":")
	kind, native, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || provider == "" || kind == "" || native == "" {
		return "", "", "", fmt.Errorf("node id %q is not provider:kind:native-id", id)
	}
	return provider, kind, native, nil
}

// Errors returned by Graph.
var (
	ErrNodeNotFound = errors.New("node not found")
	ErrBadNode      = errors.New("invalid node")
	ErrBadEdge      = errors.New("invalid edge")
)

// Graph is a set of nodes and typed edges. It is safe for concurrent reads; writes must not race
// with each other or with reads.
//
// Storage is dense: nodes are numbered in the order they were first added (see Index), edges
// too, and adjacency lists hold edge numbers. One string-keyed map (node id -> number) remains;
// an edge is found by the numbers of its ends and its interned type, so adding an edge hashes
// its two ids once each and stores no string keys, and Clone copies slices instead of re-hashing
// every id and key. Removed nodes and edges leave a nil slot behind (numbers are not reused).
type Graph struct {
	// Scan and Collectors describe the run that produced the graph (graph.json carries them).
	Scan       ScanInfo          `json:"-"`
	Collectors []CollectorStatus `json:"-"`

	ids   map[string]int32 // node id -> node number
	nodes []*Node          // by node number; nil once removed
	live  int              // nodes not removed

	edges     []*Edge            // by edge number; nil once removed
	ends      []edgeSlot         // by edge number: its ends' node numbers and its type
	slots     map[edgeSlot]int32 // -> edge number
	types     map[string]int32   // edge type -> interned number
	typeNames []string           // interned number -> edge type
	liveEdges int

	out, in [][]int32 // by node number: edge numbers leaving and entering it

	// outSorted and inSorted mark the nodes whose out and in lists are sorted: Out and In sort a
	// list in place the first time they are asked for it after it changed, not on every call (a
	// traversal asks for a hub's 100,000 edges once per visit). adjMu guards the sort.
	adjMu               sync.Mutex
	outSorted, inSorted []bool

	// nodeOrder (node numbers by id), rank (node number -> position in nodeOrder) and edgeOrder
	// (edge numbers by (from, to, type)) are computed when first asked for after a change and
	// kept until the next: graph.json, the renderers, diff and carry-forward all ask for the
	// sorted graph, most of them of the same graph. They are never modified in place (a Clone
	// shares them). orderMu guards computing them.
	orderMu            sync.Mutex
	nodeOrder, rank    []int32
	edgeOrder          []int32
	nodeSorted, edgeOK bool

	// nodeSlab and edgeSlab are the unused rest of the blocks new nodes and edges are stored in:
	// a block of slab values is one allocation where a pointer per node was one each.
	nodeSlab []Node
	edgeSlab []Edge
}

// slab is how many nodes or edges a block holds.
const slab = 256

// newNode stores a copy of n in the current block.
func (g *Graph) newNode(n *Node) *Node {
	if len(g.nodeSlab) == 0 {
		g.nodeSlab = make([]Node, slab)
	}
	p := &g.nodeSlab[0]
	g.nodeSlab = g.nodeSlab[1:]
	*p = *n
	return p
}

// newEdge is newNode for edges.
func (g *Graph) newEdge(e *Edge) *Edge {
	if len(g.edgeSlab) == 0 {
		g.edgeSlab = make([]Edge, slab)
	}
	p := &g.edgeSlab[0]
	g.edgeSlab = g.edgeSlab[1:]
	*p = *e
	return p
}

// edgeSlot identifies an edge by the numbers of its ends and of its type.
type edgeSlot struct{ from, to, typ int32 }

// New returns an empty graph.
func New() *Graph { return NewSized(0, 0) }

// NewSized returns an empty graph with room for about nodes nodes and edges edges: a graph
// built from 100k nodes otherwise spends a good part of its time growing its maps.
func NewSized(nodes, edges int) *Graph {
	return &Graph{
		ids:       make(map[string]int32, nodes),
		nodes:     make([]*Node, 0, nodes),
		out:       make([][]int32, 0, nodes),
		in:        make([][]int32, 0, nodes),
		outSorted: make([]bool, 0, nodes),
		inSorted:  make([]bool, 0, nodes),
		edges:     make([]*Edge, 0, edges),
		ends:      make([]edgeSlot, 0, edges),
		slots:     make(map[edgeSlot]int32, edges),
		types:     map[string]int32{},
	}
}

// insertNode stores a new node under the next number.
func (g *Graph) insertNode(n *Node) {
	p := g.newNode(n)
	g.ids[p.ID] = int32(len(g.nodes))
	g.nodes = append(g.nodes, p)
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
	g.outSorted = append(g.outSorted, false)
	g.inSorted = append(g.inSorted, false)
	g.live++
	g.nodeSorted = false
}

// AddNode inserts n, or merges it into the node with the same id: attributes are united (the
// existing value wins on conflict) and empty fields are filled.
func (g *Graph) AddNode(n Node) error {
	if err := n.Validate(); err != nil {
		return err
	}
	n.Normalize()
	if i, ok := g.ids[n.ID]; ok {
		old := g.nodes[i]
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
	g.insertNode(&n)
	return nil
}

// SetNode replaces the node with n's id (or inserts it).
func (g *Graph) SetNode(n Node) error {
	if err := n.Validate(); err != nil {
		return err
	}
	n.Normalize()
	if i, ok := g.ids[n.ID]; ok {
		g.nodes[i] = g.newNode(&n)
		return nil
	}
	g.insertNode(&n)
	return nil
}

// Validate checks a node's id and its agreement with kind and provider.
func (n Node) Validate() error {
	p, k, _, err := ParseID(n.ID)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadNode, err)
	}
	if p != n.Provider || k != n.Kind {
		return fmt.Errorf("%w: id %q does not match provider %q kind %q", ErrBadNode, n.ID, n.Provider, n.Kind)
	}
	return nil
}

// AddEdge inserts e. Both endpoints must exist. An edge with the same (from, to, type) is merged:
// the higher confidence wins, evidence and origins are united.
func (g *Graph) AddEdge(e Edge) error {
	if e.From == "" || e.To == "" || e.Type == "" {
		return fmt.Errorf("%w: from, to and type are required (%s)", ErrBadEdge, e.Key())
	}
	from, ok := g.ids[e.From]
	if !ok {
		return fmt.Errorf("%w: %s: from %w", ErrBadEdge, e.Key(), ErrNodeNotFound)
	}
	to, ok := g.ids[e.To]
	if !ok {
		return fmt.Errorf("%w: %s: to %w", ErrBadEdge, e.Key(), ErrNodeNotFound)
	}
	if e.Confidence < 0 || e.Confidence > 1 {
		return fmt.Errorf("%w: %s: confidence %v outside [0,1]", ErrBadEdge, e.Key(), e.Confidence)
	}
	if e.Origin == "" {
		e.Origin = Observed
	}
	typ, ok := g.types[e.Type]
	if !ok {
		typ = int32(len(g.typeNames))
		g.types[e.Type] = typ
		g.typeNames = append(g.typeNames, e.Type)
	}
	s := edgeSlot{from, to, typ}
	if j, ok := g.slots[s]; ok {
		MergeEdge(g.edges[j], e)
		return nil
	}
	c := e
	// the graph's own copies of the ids and the type: 500,000 edges need not hold a million
	// strings equal to their nodes' ids (an edge decoded from graph.json has its own)
	c.From, c.To, c.Type = g.nodes[from].ID, g.nodes[to].ID, g.typeNames[typ]
	if len(e.Origins) > 0 { // one origin (nearly every edge) needs no merging
		c.Origins = mergeOrigins(nil, append([]Origin{e.Origin}, e.Origins...))
		if len(c.Origins) == 1 {
			c.Origins = nil
		}
	}
	c.Evidence = SortEvidence(c.Evidence)
	c.Via = unionSorted(nil, c.Via)
	j := int32(len(g.edges))
	g.edges = append(g.edges, g.newEdge(&c))
	g.ends = append(g.ends, s)
	g.slots[s] = j
	g.liveEdges++
	g.edgeOK = false
	g.out[from] = append(g.out[from], j)
	g.in[to] = append(g.in[to], j)
	g.outSorted[from] = false
	g.inSorted[to] = false
	return nil
}

// MergeEdge folds e into dst: highest confidence, union of evidence and origins. An observed
// origin always leads.
func MergeEdge(dst *Edge, e Edge) {
	if e.Confidence > dst.Confidence {
		dst.Confidence = e.Confidence
	}
	if len(e.Origins) > 0 || (e.Origin != dst.Origin && !slices.Contains(dst.Origins, e.Origin)) {
		all := mergeOrigins(append([]Origin{dst.Origin}, dst.Origins...), append([]Origin{e.Origin}, e.Origins...))
		dst.Origin = all[0]
		dst.Origins = all
		if len(all) == 1 {
			dst.Origins = nil
		}
	}
	dst.Evidence = SortEvidence(append(dst.Evidence, e.Evidence...))
	dst.Via = unionSorted(dst.Via, e.Via)
	if !e.Stale {
		dst.Stale, dst.StaleSince = false, ""
	}
}

// unionSorted returns the sorted union of a and b without duplicates (nil when both are empty).
func unionSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	all := append(append([]string(nil), a...), b...)
	sort.Strings(all)
	out := all[:1]
	for _, s := range all[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

var originRank = map[Origin]int{Observed: 0, Rule: 1, LLM: 2}

// mergeOrigins is the union of a and b, observed first: a few origins, so a linear search and
// no map (every AddEdge calls it: a map per edge was a tenth of applying 100,000 inferred edges).
func mergeOrigins(a, b []Origin) []Origin {
	out := make([]Origin, 0, len(a)+len(b))
	for _, xs := range [2][]Origin{a, b} {
		for _, o := range xs {
			if o != "" && !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Origin) int { return originRank[x] - originRank[y] })
	return out
}

// SortEvidence sorts and de-duplicates evidence items.
func SortEvidence(ev []Evidence) []Evidence {
	if len(ev) == 0 {
		return nil
	}
	if len(ev) == 1 {
		return ev
	}
	sort.Slice(ev, func(i, j int) bool {
		a, b := ev[i], ev[j]
		if a.Node != b.Node {
			return a.Node < b.Node
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Value < b.Value
	})
	out := ev[:1]
	for _, e := range ev[1:] {
		if e != out[len(out)-1] {
			out = append(out, e)
		}
	}
	return out
}

// RemoveNode deletes a node and every edge touching it.
func (g *Graph) RemoveNode(id string) {
	i, ok := g.ids[id]
	if !ok {
		return
	}
	for _, j := range append(append([]int32(nil), g.out[i]...), g.in[i]...) {
		g.removeEdge(j) // a loop is in both lists: the second removal finds it gone
	}
	delete(g.ids, id)
	g.nodes[i] = nil
	g.out[i], g.in[i] = nil, nil
	g.outSorted[i], g.inSorted[i] = false, false
	g.live--
	g.nodeSorted = false
}

// RemoveEdge deletes an edge if present.
func (g *Graph) RemoveEdge(k EdgeKey) {
	if j, ok := g.edgeNum(k); ok {
		g.removeEdge(j)
	}
}

func (g *Graph) removeEdge(j int32) {
	if g.edges[j] == nil {
		return
	}
	s := g.ends[j]
	delete(g.slots, s)
	g.edges[j] = nil
	g.liveEdges--
	g.edgeOK = false
	// removing keeps a sorted list sorted
	g.out[s.from] = removeNum(g.out[s.from], j)
	g.in[s.to] = removeNum(g.in[s.to], j)
}

func removeNum(js []int32, j int32) []int32 {
	if i := slices.Index(js, j); i >= 0 {
		return append(js[:i], js[i+1:]...)
	}
	return js
}

// edgeNum finds the number of the edge with key k.
func (g *Graph) edgeNum(k EdgeKey) (int32, bool) {
	from, ok := g.ids[k.From]
	if !ok {
		return 0, false
	}
	to, ok := g.ids[k.To]
	if !ok {
		return 0, false
	}
	typ, ok := g.types[k.Type]
	if !ok {
		return 0, false
	}
	j, ok := g.slots[edgeSlot{from, to, typ}]
	return j, ok
}

// Node returns the node with id.
func (g *Graph) Node(id string) (Node, bool) {
	i, ok := g.ids[id]
	if !ok {
		return Node{}, false
	}
	return *g.nodes[i], true
}

// NodePtr returns a pointer to the stored node, for in-place updates by the pipeline.
func (g *Graph) NodePtr(id string) *Node {
	if i, ok := g.ids[id]; ok {
		return g.nodes[i]
	}
	return nil
}

// Edge returns the edge with key k.
func (g *Graph) Edge(k EdgeKey) (Edge, bool) {
	j, ok := g.edgeNum(k)
	if !ok {
		return Edge{}, false
	}
	return *g.edges[j], true
}

// EdgePtr returns a pointer to the stored edge, for in-place updates by the pipeline.
func (g *Graph) EdgePtr(k EdgeKey) *Edge {
	if j, ok := g.edgeNum(k); ok {
		return g.edges[j]
	}
	return nil
}

// HasNode reports whether id exists.
func (g *Graph) HasNode(id string) bool { _, ok := g.ids[id]; return ok }

// Len returns the number of nodes and edges.
func (g *Graph) Len() (nodes, edges int) { return g.live, g.liveEdges }

// Nodes returns every node sorted by id.
func (g *Graph) Nodes() []Node {
	order, _ := g.order()
	out := make([]Node, len(order))
	for i, v := range order {
		out[i] = *g.nodes[v]
	}
	return out
}

// Edges returns every edge sorted by (from, to, type).
func (g *Graph) Edges() []Edge {
	order := g.edgeOrderSorted()
	out := make([]Edge, len(order))
	for i, j := range order {
		out[i] = *g.edges[j]
	}
	return out
}

// NodePtrs returns pointers to the stored nodes, sorted by id: Nodes without a copy of every
// node (the order is kept until the set of nodes changes; only the slice of pointers is new).
// The nodes are the graph's own, as NodePtr's.
func (g *Graph) NodePtrs() []*Node { return g.sortedNodes() }

// EdgePtrs returns pointers to the stored edges, sorted by (from, to, type): Edges without a
// copy of every edge. The edges are the graph's own, as EdgePtr's.
func (g *Graph) EdgePtrs() []*Edge { return g.sortedEdges() }

// sortedNodes returns the stored nodes sorted by id.
func (g *Graph) sortedNodes() []*Node {
	order, _ := g.order()
	ps := make([]*Node, len(order))
	for i, v := range order {
		ps[i] = g.nodes[v]
	}
	return ps
}

// sortedEdges returns the stored edges sorted by (from, to, type).
func (g *Graph) sortedEdges() []*Edge {
	order := g.edgeOrderSorted()
	ps := make([]*Edge, len(order))
	for i, j := range order {
		ps[i] = g.edges[j]
	}
	return ps
}

// order returns the node numbers sorted by id and each node number's position in that order
// (-1 for a removed node), computing them if the set of nodes changed since they last were.
func (g *Graph) order() (order, rank []int32) {
	g.orderMu.Lock()
	defer g.orderMu.Unlock()
	return g.orderLocked()
}

func (g *Graph) orderLocked() (order, rank []int32) {
	if g.nodeSorted {
		return g.nodeOrder, g.rank
	}
	order = make([]int32, 0, g.live)
	for v, n := range g.nodes {
		if n != nil {
			order = append(order, int32(v))
		}
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(g.nodes[a].ID, g.nodes[b].ID) })
	rank = make([]int32, len(g.nodes))
	for i := range rank {
		rank[i] = -1
	}
	for r, v := range order {
		rank[v] = int32(r)
	}
	g.nodeOrder, g.rank, g.nodeSorted = order, rank, true
	return order, rank
}

// edgeOrderSorted returns the edge numbers sorted by (from, to, type), computing them if the
// set of edges or nodes changed since they last were. Edges are sorted by the ranks of their
// ends among the nodes sorted by id: integer comparisons, where comparing keys compared long ids
// sharing their "provider:kind:" prefix, most of the sort's time at 100k nodes.
func (g *Graph) edgeOrderSorted() []int32 {
	g.orderMu.Lock()
	defer g.orderMu.Unlock()
	if g.edgeOK && g.nodeSorted {
		return g.edgeOrder
	}
	_, rank := g.orderLocked()
	order := make([]int32, 0, g.liveEdges)
	for j, e := range g.edges {
		if e != nil {
			order = append(order, int32(j))
		}
	}
	slices.SortFunc(order, func(a, b int32) int {
		sa, sb := g.ends[a], g.ends[b]
		if ra, rb := rank[sa.from], rank[sb.from]; ra != rb {
			return int(ra - rb)
		}
		if ra, rb := rank[sa.to], rank[sb.to]; ra != rb {
			return int(ra - rb)
		}
		return strings.Compare(g.edges[a].Type, g.edges[b].Type)
	})
	g.edgeOrder, g.edgeOK = order, true
	return order
}

// SortEdges sorts edges by (from, to, type).
func SortEdges(es []Edge) {
	sort.Slice(es, func(i, j int) bool { return lessKey(es[i].Key(), es[j].Key()) })
}

func lessKey(a, b EdgeKey) bool {
	if a.From != b.From {
		return a.From < b.From
	}
	if a.To != b.To {
		return a.To < b.To
	}
	return a.Type < b.Type
}

// EachNode calls f with each stored node, in no particular order: for updates in place that do
// not depend on order (freshness stamps), without Nodes' sort and copy of every node. f must not
// add or remove nodes.
func (g *Graph) EachNode(f func(*Node)) {
	for _, n := range g.nodes {
		if n != nil {
			f(n)
		}
	}
}

// EachEdge is EachNode for edges.
func (g *Graph) EachEdge(f func(*Edge)) {
	for _, e := range g.edges {
		if e != nil {
			f(e)
		}
	}
}

// Out returns the edges leaving id, sorted.
func (g *Graph) Out(id string) []Edge {
	i, ok := g.ids[id]
	if !ok {
		return []Edge{}
	}
	return g.collect(g.adjacent(i, true))
}

// In returns the edges entering id, sorted.
func (g *Graph) In(id string) []Edge {
	i, ok := g.ids[id]
	if !ok {
		return []Edge{}
	}
	return g.collect(g.adjacent(i, false))
}

// EachOut calls f with each edge leaving id, in Out's order, without copying the list: a walk
// that visits a hub (a project with 100,000 deployments) allocates nothing for its edges. f
// must not change the graph.
func (g *Graph) EachOut(id string, f func(*Edge)) {
	if i, ok := g.ids[id]; ok {
		for _, j := range g.adjacent(i, true) {
			f(g.edges[j])
		}
	}
}

// EachIn is EachOut for the edges entering id.
func (g *Graph) EachIn(id string, f func(*Edge)) {
	if i, ok := g.ids[id]; ok {
		for _, j := range g.adjacent(i, false) {
			f(g.edges[j])
		}
	}
}

// adjacent returns the numbers of the edges leaving (out) or entering node v, sorted by key,
// sorting the list in place if it changed since it last was. Removing an edge keeps the order,
// so only AddEdge (and a fresh graph) clear the mark.
func (g *Graph) adjacent(v int32, out bool) []int32 {
	adj, sorted := g.in, g.inSorted
	if out {
		adj, sorted = g.out, g.outSorted
	}
	g.adjMu.Lock()
	defer g.adjMu.Unlock()
	js := adj[v]
	if len(js) < 2 || sorted[v] {
		return js // nothing to sort, or sorted since it last changed
	}
	// one end is v itself: compare the other end, then the type
	slices.SortFunc(js, func(a, b int32) int {
		ea, eb := g.edges[a], g.edges[b]
		if out {
			if c := strings.Compare(ea.To, eb.To); c != 0 {
				return c
			}
		} else if c := strings.Compare(ea.From, eb.From); c != 0 {
			return c
		}
		return strings.Compare(ea.Type, eb.Type)
	})
	sorted[v] = true
	return js
}

func (g *Graph) collect(js []int32) []Edge {
	out := make([]Edge, 0, len(js))
	for _, j := range js {
		out = append(out, *g.edges[j])
	}
	return out
}
