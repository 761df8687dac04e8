package collectors

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/infragraph/infragraph/graph"
)

// The kernel every collector shares: a Builder that turns what a collector found into nodes and
// edges emitted once each, and Families, which decides by the provider's rule whether a resource
// family that failed is a warning or the collector's failure.

// Builder gathers a collector's nodes and edges and emits them on Flush, each once and sorted:
// a node found twice (a git repo two projects build from, a bucket both the API and the catalog
// list) is one node whose later sightings fill the attributes the first lacked; an edge is held
// until Flush and emitted only when both its ends exist by then and differ, so a reference to
// something not listed (its family failed, it lives in another account) stays an attribute, never
// a dangling edge. An edge found twice is one edge with the evidence of both.
//
// Warn passes straight to the emitter. A Builder is safe for concurrent use.
type Builder struct {
	emit graph.Emitter

	mu    sync.Mutex
	nodes map[string]*graph.Node
	owned map[string]bool // nodes whose Attrs the builder copied, so merging never writes a caller's map
	edges map[graph.EdgeKey]*graph.Edge
}

// NewBuilder returns a builder that flushes to emit.
func NewBuilder(emit graph.Emitter) *Builder {
	return &Builder{emit: emit, nodes: map[string]*graph.Node{}, owned: map[string]bool{}, edges: map[graph.EdgeKey]*graph.Edge{}}
}

// Node records n, or merges it into the node of the same id found before: the first name and
// kind stay, and each attribute the first sighting lacked (absent or empty) is taken from n.
func (b *Builder) Node(n graph.Node) { b.Add(n) }

// Add is Node that reports whether n was new.
func (b *Builder) Add(n graph.Node) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.nodes[n.ID]
	if !ok {
		b.nodes[n.ID] = &n
		return true
	}
	for k, v := range n.Attrs {
		if empty(v) || !empty(old.Attrs[k]) {
			continue
		}
		if !b.owned[n.ID] {
			old.Attrs = maps.Clone(old.Attrs)
			if old.Attrs == nil {
				old.Attrs = graph.Attrs{}
			}
			b.owned[n.ID] = true
		}
		old.Attrs[k] = v
	}
	return false
}

// empty reports a value that says nothing: nil, "" or an empty list (NormalizeAttrs drops them).
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// Has reports whether a node with id was recorded.
func (b *Builder) Has(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nodes[id] != nil
}

// Kind returns the kind of the node with id ("" when there is none).
func (b *Builder) Kind(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := b.nodes[id]; n != nil {
		return n.Kind
	}
	return ""
}

// Edge records e, or merges its evidence into the edge of the same key (graph.MergeEdge). An edge
// without an origin is observed, with confidence 1.
func (b *Builder) Edge(e graph.Edge) {
	if e.Origin == "" {
		e.Origin, e.Confidence = graph.Observed, 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.edges[e.Key()]; ok {
		graph.MergeEdge(old, e)
		return
	}
	b.edges[e.Key()] = &e
}

// Warn records a partial failure at once.
func (b *Builder) Warn(err error) { b.emit.Warn(err) }

// Flush emits the nodes sorted by id, then the edges whose ends both exist, sorted by key, and
// empties the builder.
func (b *Builder) Flush() {
	b.mu.Lock()
	nodes, edges := b.nodes, b.edges
	b.nodes, b.owned, b.edges = map[string]*graph.Node{}, map[string]bool{}, map[graph.EdgeKey]*graph.Edge{}
	b.mu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(nodes)) {
		b.emit.Node(*nodes[id])
	}
	keep := make([]graph.Edge, 0, len(edges))
	for _, e := range edges {
		if e.From != e.To && nodes[e.From] != nil && nodes[e.To] != nil {
			keep = append(keep, *e)
		}
	}
	slices.SortFunc(keep, func(x, y graph.Edge) int {
		return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To), cmp.Compare(x.Type, y.Type))
	})
	for _, e := range keep {
		b.emit.Edge(e)
	}
}

// Verdict is what a provider's rule makes of a resource family's failure.
type Verdict int

const (
	// Warn records the failure as a warning; the collector goes on and ends partial.
	Warn Verdict = iota
	// Fail fails the collector with it (a rejected token: every other call would fail too).
	Fail
	// Absent records nothing: an absence the account explains (a product not used, a feature
	// the plan does not offer), not a failure.
	Absent
)

// Rule is a provider's reading of a family's failure: the verdict, and err worded as the
// warning or the failure should read (naming the family, adding a hint). err is never nil.
type Rule func(family string, err error) (Verdict, error)

// Families records the failures of a collector's resource families by its provider's rule.
type Families struct {
	Emit graph.Emitter
	Rule Rule // nil: every failure is a warning "family: err"
}

// Check decides what err, the failure of family, means: nil when there was none, or it was
// recorded as a warning, or the rule says it is an expected absence; else the error that fails
// the collector. Once ctx is done a failure is never a warning (the scan is over, not the
// family): Check returns the rule's wording if it said Fail, else ctx's error. A call that timed
// out on its own while the scan goes on is the rule's to judge.
func (f Families) Check(ctx context.Context, family string, err error) error {
	if err == nil {
		return nil
	}
	v, werr := Warn, fmt.Errorf("%s: %w", family, err)
	if f.Rule != nil {
		v, werr = f.Rule(family, err)
	}
	switch {
	case v == Fail:
		return cmp.Or(werr, err)
	case ctx.Err() != nil:
		return ctx.Err()
	case v == Warn:
		f.Emit.Warn(cmp.Or(werr, err))
	}
	return nil
}

// HeldWarnings is an Emitter whose warnings wait until Pass: a read started beside the call
// that decides whether it counts (Docker's lists beside /info, a Vercel scope beside its team)
// hands its warnings on once that call has answered, and drops them by never passing them.
// Nodes and edges go straight through.
type HeldWarnings struct {
	graph.Emitter
	mu    sync.Mutex
	warns []error
}

// Warn holds err until Pass.
func (h *HeldWarnings) Warn(err error) { h.mu.Lock(); h.warns = append(h.warns, err); h.mu.Unlock() }

// Pass hands the held warnings on, in the order they came.
func (h *HeldWarnings) Pass() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, err := range h.warns {
		h.Emitter.Warn(err)
	}
	h.warns = nil
}
