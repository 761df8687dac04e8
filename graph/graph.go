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
type Graph struct {
	// Scan and Collectors describe the run that produced the graph (graph.json carries them).
	Scan       ScanInfo          `json:"-"`
	Collectors []CollectorStatus `json:"-"`

	nodes map[string]*Node
	edges map[EdgeKey]*Edge
	out   map[string][]EdgeKey // edges by From
	in    map[string][]EdgeKey // edges by To

	// outSorted and inSorted mark the nodes whose out and in key lists are sorted: Out and In
	// sort a list in place the first time they are asked for it after it changed, not on every
	// call (a traversal asks for a hub's 100,000 edges once per visit). adjMu guards the sort.
	adjMu               sync.Mutex
	outSorted, inSorted map[string]bool
}

// New returns an empty graph.
func New() *Graph { return NewSized(0, 0) }

// NewSized returns an empty graph with room for about nodes nodes and edges edges: a graph
// built from 100k nodes otherwise spends a good part of its time growing its maps.
func NewSized(nodes, edges int) *Graph {
	return &Graph{
		nodes: make(map[string]*Node, nodes),
		edges: make(map[EdgeKey]*Edge, edges),
		out:   make(map[string][]EdgeKey, nodes),
		in:    make(map[string][]EdgeKey, nodes),
	}
}

// AddNode inserts n, or merges it into the node with the same id: attributes are united (the
// existing value wins on conflict) and empty fields are filled.
func (g *Graph) AddNode(n Node) error {
	if err := n.Validate(); err != nil {
		return err
	}
	n.Normalize()
	if old, ok := g.nodes[n.ID]; ok {
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
	c := n
	g.nodes[n.ID] = &c
	return nil
}

// SetNode replaces the node with n's id (or inserts it).
func (g *Graph) SetNode(n Node) error {
	if err := n.Validate(); err != nil {
		return err
	}
	n.Normalize()
	c := n
	g.nodes[n.ID] = &c
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
	if _, ok := g.nodes[e.From]; !ok {
		return fmt.Errorf("%w: %s: from %w", ErrBadEdge, e.Key(), ErrNodeNotFound)
	}
	if _, ok := g.nodes[e.To]; !ok {
		return fmt.Errorf("%w: %s: to %w", ErrBadEdge, e.Key(), ErrNodeNotFound)
	}
	if e.Confidence < 0 || e.Confidence > 1 {
		return fmt.Errorf("%w: %s: confidence %v outside [0,1]", ErrBadEdge, e.Key(), e.Confidence)
	}
	if e.Origin == "" {
		e.Origin = Observed
	}
	k := e.Key()
	if old, ok := g.edges[k]; ok {
		MergeEdge(old, e)
		return nil
	}
	c := e
	if len(e.Origins) > 0 { // one origin (nearly every edge) needs no merging
		c.Origins = mergeOrigins(nil, append([]Origin{e.Origin}, e.Origins...))
		if len(c.Origins) == 1 {
			c.Origins = nil
		}
	}
	c.Evidence = SortEvidence(c.Evidence)
	c.Via = unionSorted(nil, c.Via)
	g.edges[k] = &c
	g.out[e.From] = append(g.out[e.From], k)
	g.in[e.To] = append(g.in[e.To], k)
	delete(g.outSorted, e.From)
	delete(g.inSorted, e.To)
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
	if _, ok := g.nodes[id]; !ok {
		return
	}
	for _, k := range append(append([]EdgeKey(nil), g.out[id]...), g.in[id]...) {
		g.RemoveEdge(k)
	}
	delete(g.nodes, id)
	delete(g.out, id)
	delete(g.in, id)
	delete(g.outSorted, id)
	delete(g.inSorted, id)
}

// RemoveEdge deletes an edge if present.
func (g *Graph) RemoveEdge(k EdgeKey) {
	if _, ok := g.edges[k]; !ok {
		return
	}
	delete(g.edges, k)
	g.out[k.From] = removeKey(g.out[k.From], k)
	g.in[k.To] = removeKey(g.in[k.To], k)
}

func removeKey(ks []EdgeKey, k EdgeKey) []EdgeKey {
	for i, x := range ks {
		if x == k {
			return append(ks[:i], ks[i+1:]...)
		}
	}
	return ks
}

// Node returns the node with id.
func (g *Graph) Node(id string) (Node, bool) {
	n, ok := g.nodes[id]
	if !ok {
		return Node{}, false
	}
	return *n, true
}

// NodePtr returns a pointer to the stored node, for in-place updates by the pipeline.
func (g *Graph) NodePtr(id string) *Node { return g.nodes[id] }

// Edge returns the edge with key k.
func (g *Graph) Edge(k EdgeKey) (Edge, bool) {
	e, ok := g.edges[k]
	if !ok {
		return Edge{}, false
	}
	return *e, true
}

// EdgePtr returns a pointer to the stored edge, for in-place updates by the pipeline.
func (g *Graph) EdgePtr(k EdgeKey) *Edge { return g.edges[k] }

// HasNode reports whether id exists.
func (g *Graph) HasNode(id string) bool { _, ok := g.nodes[id]; return ok }

// Len returns the number of nodes and edges.
func (g *Graph) Len() (nodes, edges int) { return len(g.nodes), len(g.edges) }

// Nodes returns every node sorted by id.
func (g *Graph) Nodes() []Node {
	ps := g.sortedNodes()
	out := make([]Node, len(ps))
	for i, n := range ps {
		out[i] = *n
	}
	return out
}

// Edges returns every edge sorted by (from, to, type).
func (g *Graph) Edges() []Edge {
	ps := g.sortedEdges(g.sortedNodes())
	out := make([]Edge, len(ps))
	for i, e := range ps {
		out[i] = *e
	}
	return out
}

// sortedNodes returns the stored nodes sorted by id: pointers are sorted, not 150-byte nodes.
func (g *Graph) sortedNodes() []*Node {
	ps := make([]*Node, 0, len(g.nodes))
	for _, n := range g.nodes {
		ps = append(ps, n)
	}
	slices.SortFunc(ps, func(a, b *Node) int { return strings.Compare(a.ID, b.ID) })
	return ps
}

// sortedEdges returns the stored edges sorted by (from, to, type), given the nodes sorted by
// id. Edges are sorted by the ranks of their ends in that order: integer comparisons, where
// comparing keys compared long ids sharing their "provider:kind:" prefix, most of the sort's
// time at 100k nodes.
func (g *Graph) sortedEdges(nodes []*Node) []*Edge {
	rank := make(map[string]int32, len(nodes))
	for i, n := range nodes {
		rank[n.ID] = int32(i)
	}
	type ranked struct {
		from, to int32
		e        *Edge
	}
	rs := make([]ranked, 0, len(g.edges))
	for _, e := range g.edges {
		rs = append(rs, ranked{rank[e.From], rank[e.To], e})
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		if a.from != b.from {
			return int(a.from - b.from)
		}
		if a.to != b.to {
			return int(a.to - b.to)
		}
		return strings.Compare(a.e.Type, b.e.Type)
	})
	out := make([]*Edge, len(rs))
	for i, r := range rs {
		out[i] = r.e
	}
	return out
}

// compareKey orders keys as lessKey does, for slices.SortFunc.
func compareKey(a, b EdgeKey) int {
	if c := strings.Compare(a.From, b.From); c != 0 {
		return c
	}
	if c := strings.Compare(a.To, b.To); c != 0 {
		return c
	}
	return strings.Compare(a.Type, b.Type)
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
		f(n)
	}
}

// EachEdge is EachNode for edges.
func (g *Graph) EachEdge(f func(*Edge)) {
	for _, e := range g.edges {
		f(e)
	}
}

// Out returns the edges leaving id, sorted.
func (g *Graph) Out(id string) []Edge { return g.collect(g.sortedKeys(g.out, &g.outSorted, id)) }

// In returns the edges entering id, sorted.
func (g *Graph) In(id string) []Edge { return g.collect(g.sortedKeys(g.in, &g.inSorted, id)) }

// EachOut calls f with each edge leaving id, in Out's order, without copying the list: a walk
// that visits a hub (a project with 100,000 deployments) allocates nothing for its edges. f
// must not change the graph.
func (g *Graph) EachOut(id string, f func(*Edge)) {
	for _, k := range g.sortedKeys(g.out, &g.outSorted, id) {
		f(g.edges[k])
	}
}

// EachIn is EachOut for the edges entering id.
func (g *Graph) EachIn(id string, f func(*Edge)) {
	for _, k := range g.sortedKeys(g.in, &g.inSorted, id) {
		f(g.edges[k])
	}
}

// sortedKeys returns adj[id] sorted, sorting it in place if it changed since it last was.
// Removing a key keeps the order, so only AddEdge (and a fresh graph) clear the mark.
func (g *Graph) sortedKeys(adj map[string][]EdgeKey, sorted *map[string]bool, id string) []EdgeKey {
	g.adjMu.Lock()
	defer g.adjMu.Unlock()
	ks := adj[id]
	if len(ks) < 2 || (*sorted)[id] {
		return ks // nothing to sort, or sorted since it last changed: no map write per visit
	}
	slices.SortFunc(ks, compareKey)
	if *sorted == nil {
		*sorted = map[string]bool{}
	}
	(*sorted)[id] = true
	return ks
}

func (g *Graph) collect(ks []EdgeKey) []Edge {
	out := make([]Edge, 0, len(ks))
	for _, k := range ks {
		out = append(out, *g.edges[k])
	}
	return out
}
