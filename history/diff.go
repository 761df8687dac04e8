package history

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/graph"
)

// Changes is what differs between two graphs: nodes and edges added, removed, changed (ignoring
// volatile attributes) and gone stale, and stale ones observed again. Every list is sorted; the
// struct encodes as JSON for `discover diff --json`.
type Changes struct {
	Since string `json:"since"` // the old scan's id
	Until string `json:"until"` // the new scan's id

	NodesAdded   []NodeRef    `json:"nodes_added"`
	NodesRemoved []NodeRef    `json:"nodes_removed"`
	NodesChanged []NodeChange `json:"nodes_changed"`
	NodesStale   []NodeRef    `json:"nodes_stale"` // fresh before, stale now
	NodesFresh   []NodeRef    `json:"nodes_fresh"` // stale before, observed again
	EdgesAdded   []EdgeRef    `json:"edges_added"`
	EdgesRemoved []EdgeRef    `json:"edges_removed"`
	EdgesChanged []EdgeChange `json:"edges_changed"`
	EdgesStale   []EdgeRef    `json:"edges_stale"`

	// ImplicitEdges are the two scans' inferred-edge counts by origin (graph.json's
	// scan.implicit_edges, counted for graphs written before it): the trend of what rules and the
	// LLM find.
	ImplicitEdges ImplicitTrend `json:"implicit_edges"`

	// statuses of the new graph's collectors, to explain staleness in highlights.
	statuses map[string]graph.CollectorStatus
}

// ImplicitTrend is the inferred-edge count of the old scan and of the new one.
type ImplicitTrend struct {
	Old graph.EdgeCounts `json:"old"`
	New graph.EdgeCounts `json:"new"`
}

// implicit is g's recorded inferred-edge count, or its count now for a graph that has none.
func implicit(g *graph.Graph) graph.EdgeCounts {
	if g.Scan.ImplicitEdges != nil {
		return *g.Scan.ImplicitEdges
	}
	return graph.Implicit(g)
}

// NodeRef names a node in a change list.
type NodeRef struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Provider   string `json:"provider"`
	Name       string `json:"name"`
	Source     string `json:"source,omitempty"`
	StaleSince string `json:"stale_since,omitempty"`
}

// NodeChange is a node whose name or non-volatile attributes changed.
type NodeChange struct {
	NodeRef
	Fields []FieldChange `json:"fields"`
}

// FieldChange is one changed field: "name", "attrs.<key>", or for edges "origin", "confidence".
// Old is absent for an added attribute, New for a removed one.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old,omitempty"`
	New   any    `json:"new,omitempty"`
}

// EdgeRef names an edge in a change list.
type EdgeRef struct {
	From       string       `json:"from"`
	To         string       `json:"to"`
	Type       string       `json:"type"`
	Origin     graph.Origin `json:"origin"`
	Confidence float64      `json:"confidence"`
	StaleSince string       `json:"stale_since,omitempty"`
}

// EdgeChange is an edge whose origin or confidence changed.
type EdgeChange struct {
	EdgeRef
	Fields []FieldChange `json:"fields"`
}

// Empty reports whether nothing changed.
func (c *Changes) Empty() bool {
	return len(c.NodesAdded)+len(c.NodesRemoved)+len(c.NodesChanged)+len(c.NodesStale)+len(c.NodesFresh)+
		len(c.EdgesAdded)+len(c.EdgesRemoved)+len(c.EdgesChanged)+len(c.EdgesStale) == 0
}

// VolatileAttrs are attribute names whose changes are noise, not news: clocks and counters that
// move on every scan. An attribute is volatile when the last segment of its dotted name
// ("stats.estimated_rows" → "estimated_rows") is listed here or ends in "_at" (a timestamp:
// updated_at, started_at, expires_at). Fix Inventory excludes the same kind of field from its
// change history (PropsToIgnoreForHistory).
var VolatileAttrs = []string{
	"last_seen", "uptime", "status_text",
	"estimated_rows", "row_count", "rows", "live_rows", "dead_rows",
	"size", "size_bytes", "total_bytes", "table_bytes", "disk_usage", "bytes",
	"connections", "active_connections", "restart_count", "memory_usage", "cpu_percent",
	"nextcall", "lastcall", "next_call", "last_call", "next_run", "last_run",
}

var volatile = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range VolatileAttrs {
		m[k] = true
	}
	return m
}()

// Volatile reports whether changes of the attribute key are ignored by Diff.
func Volatile(key string) bool {
	last := key[strings.LastIndexByte(key, '.')+1:]
	return volatile[last] || strings.HasSuffix(last, "_at")
}

// Diff compares two graphs. Freshness fields (first_seen, last_seen, source) never count as
// changes; staleness is reported apart: a node stale in new and fresh in old "went stale", one
// stale in old and fresh in new was "observed again". Something absent from old is added even
// when it is stale in new (possible only between non-adjacent scans).
func Diff(old, new *graph.Graph) *Changes {
	c := &Changes{Since: old.Scan.ID, Until: new.Scan.ID, statuses: map[string]graph.CollectorStatus{},
		ImplicitEdges: ImplicitTrend{Old: implicit(old), New: implicit(new)}}
	for _, s := range new.Collectors {
		c.statuses[s.Key()] = s
	}
	// Each graph is walked in its own order, the other looked up: no sorted copy of either. An
	// id is hashed once per node, mapping each graph's node numbers to the other's; edges are
	// looked up by those numbers (graph.EdgeBetween), not by their two ids. Pointers are gathered
	// and sorted, by id or (from, to, type) as Nodes and Edges would give them, then each list
	// is built at its size (a hub's failed collector makes 100,000s).
	toOld, toNew := numbers(new.IndexLen()), numbers(old.IndexLen())
	var added, removed, stale, fresh []*graph.Node
	var changed []nodeChange
	for i := range toOld {
		n := new.NodeAt(int32(i))
		if n == nil {
			continue
		}
		oi, ok := old.Index(n.ID)
		if !ok {
			added = append(added, n)
			continue
		}
		toOld[i], toNew[oi] = oi, int32(i)
		o := old.NodeAt(oi)
		switch {
		case n.Stale && !o.Stale:
			stale = append(stale, n)
		case !n.Stale && o.Stale:
			fresh = append(fresh, n)
		}
		if fs := nodeFields(o, n); len(fs) > 0 {
			changed = append(changed, nodeChange{n, fs})
		}
	}
	for oi, i := range toNew {
		if o := old.NodeAt(int32(oi)); o != nil && i < 0 {
			removed = append(removed, o)
		}
	}
	c.NodesAdded, c.NodesRemoved = nodeRefs(added), nodeRefs(removed)
	c.NodesStale, c.NodesFresh = nodeRefs(stale), nodeRefs(fresh)
	slices.SortFunc(changed, func(a, b nodeChange) int { return strings.Compare(a.n.ID, b.n.ID) })
	c.NodesChanged = make([]NodeChange, len(changed))
	for i, ch := range changed {
		c.NodesChanged[i] = NodeChange{NodeRef: nodeRef(ch.n), Fields: ch.fields}
	}

	var eAdded, eRemoved, eStale []*graph.Edge
	var eChanged []edgeChange
	kept := 0 // edges of old found in new
	new.EachEdgeEnds(func(e *graph.Edge, from, to int32) {
		var o *graph.Edge
		if f, t := toOld[from], toOld[to]; f >= 0 && t >= 0 {
			o = old.EdgeBetween(f, t, e.Type)
		}
		switch {
		case o == nil:
			eAdded = append(eAdded, e)
		case e.Stale && !o.Stale:
			eStale = append(eStale, e)
		}
		if o != nil {
			kept++
			if fs := edgeFields(o, e); len(fs) > 0 {
				eChanged = append(eChanged, edgeChange{e, fs})
			}
		}
	})
	// Each edge of old is found at most once: when all were, none was removed (the common case,
	// and a failed hub's), and old's edges need no walk.
	if _, n := old.Len(); kept < n {
		old.EachEdgeEnds(func(o *graph.Edge, from, to int32) {
			if f, t := toNew[from], toNew[to]; f < 0 || t < 0 || new.EdgeBetween(f, t, o.Type) == nil {
				eRemoved = append(eRemoved, o)
			}
		})
	}
	c.EdgesAdded, c.EdgesRemoved, c.EdgesStale = edgeRefs(eAdded), edgeRefs(eRemoved), edgeRefs(eStale)
	slices.SortFunc(eChanged, func(a, b edgeChange) int { return compareEdges(a.e, b.e) })
	c.EdgesChanged = make([]EdgeChange, len(eChanged))
	for i, ch := range eChanged {
		c.EdgesChanged[i] = EdgeChange{EdgeRef: edgeRef(ch.e), Fields: ch.fields}
	}
	return c
}

// numbers returns n node numbers of another graph, all -1 (none).
func numbers(n int) []int32 {
	m := make([]int32, n)
	for i := range m {
		m[i] = -1
	}
	return m
}

type nodeChange struct {
	n      *graph.Node
	fields []FieldChange
}

type edgeChange struct {
	e      *graph.Edge
	fields []FieldChange
}

// nodeRefs sorts ns by id and names each: an empty list, not null, for scripts reading the JSON.
func nodeRefs(ns []*graph.Node) []NodeRef {
	slices.SortFunc(ns, func(a, b *graph.Node) int { return strings.Compare(a.ID, b.ID) })
	refs := make([]NodeRef, len(ns))
	for i, n := range ns {
		refs[i] = nodeRef(n)
	}
	return refs
}

// edgeRefs is nodeRefs for edges, sorted by (from, to, type).
func edgeRefs(es []*graph.Edge) []EdgeRef {
	slices.SortFunc(es, compareEdges)
	refs := make([]EdgeRef, len(es))
	for i, e := range es {
		refs[i] = edgeRef(e)
	}
	return refs
}

// compareEdges orders edges by (from, to, type), the order of graph.Edges.
func compareEdges(a, b *graph.Edge) int {
	if a.From != b.From { // != first: a hub's edges share their from string, compared at once
		return strings.Compare(a.From, b.From)
	}
	if c := strings.Compare(a.To, b.To); c != 0 {
		return c
	}
	return strings.Compare(a.Type, b.Type)
}

func nodeRef(n *graph.Node) NodeRef {
	r := NodeRef{ID: n.ID, Kind: n.Kind, Provider: n.Provider, Name: n.Name, Source: n.Source}
	if n.Stale {
		r.StaleSince = n.StaleSince
	}
	return r
}

func edgeRef(e *graph.Edge) EdgeRef {
	r := EdgeRef{From: e.From, To: e.To, Type: e.Type, Origin: e.Origin, Confidence: e.Confidence}
	if e.Stale {
		r.StaleSince = e.StaleSince
	}
	return r
}

func nodeFields(o, n *graph.Node) []FieldChange {
	var fs []FieldChange
	if o.Name != n.Name {
		fs = append(fs, FieldChange{Field: "name", Old: o.Name, New: n.Name})
	}
	if sameAttrs(o.Attrs, n.Attrs) {
		return fs // the common case, answered without building the sorted key list
	}
	keys := map[string]bool{}
	for k := range o.Attrs {
		keys[k] = true
	}
	for k := range n.Attrs {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		if !Volatile(k) {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		ov, okO := o.Attrs[k]
		nv, okN := n.Attrs[k]
		if okO && okN && sameValue(ov, nv) {
			continue
		}
		fs = append(fs, FieldChange{Field: "attrs." + k, Old: ov, New: nv})
	}
	return fs
}

// sameAttrs reports whether two attribute sets hold the same values, volatile keys aside. Equal
// sets, the common case, cost one lookup per key and no Volatile test.
func sameAttrs(a, b graph.Attrs) bool {
	inB := 0 // keys of a that b holds too
	for k, av := range a {
		bv, ok := b[k]
		if ok {
			inB++
			if sameValue(av, bv) {
				continue
			}
		}
		if !Volatile(k) {
			return false
		}
	}
	if inB == len(b) {
		return true // b holds no key a lacks
	}
	for k := range b {
		if _, ok := a[k]; !ok && !Volatile(k) {
			return false
		}
	}
	return true
}

// sameValue compares attribute values after a JSON round trip may have changed their Go types.
func sameValue(a, b any) bool {
	// the types a graph holds compare directly; normalising builds two maps per call, most of a
	// 100k-node diff's time
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case []string:
		if y, ok := b.([]string); ok && slices.Equal(x, y) {
			return true // unequal lists may still hold the same set
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	case int64:
		if y, ok := b.(int64); ok {
			return x == y
		}
	}
	a = graph.NormalizeAttrs(graph.Attrs{"v": a})["v"]
	b = graph.NormalizeAttrs(graph.Attrs{"v": b})["v"]
	return reflect.DeepEqual(a, b)
}

func edgeFields(o, n *graph.Edge) []FieldChange {
	var fs []FieldChange
	if o.Origin != n.Origin {
		fs = append(fs, FieldChange{Field: "origin", Old: o.Origin, New: n.Origin})
	}
	// Confidence is shown with two decimals; smaller moves are noise.
	if math.Abs(o.Confidence-n.Confidence) >= 0.005 {
		fs = append(fs, FieldChange{Field: "confidence", Old: o.Confidence, New: n.Confidence})
	}
	return fs
}

// Summary condenses c into the graph's ChangeSummary, with a few highlights, most important
// first: what went stale and why, what was removed, added and changed.
func (c *Changes) Summary() *graph.ChangeSummary {
	s := &graph.ChangeSummary{
		Since:        c.Since,
		NodesAdded:   len(c.NodesAdded),
		NodesRemoved: len(c.NodesRemoved),
		NodesChanged: len(c.NodesChanged),
		NodesStale:   len(c.NodesStale),
		EdgesAdded:   len(c.EdgesAdded),
		EdgesRemoved: len(c.EdgesRemoved),
	}
	s.Highlights = c.highlights(8)
	return s
}

func (c *Changes) highlights(max int) []string {
	var hs []string
	bySource := map[string]int{}
	for _, n := range c.NodesStale {
		bySource[n.Source]++
	}
	for _, src := range sortedKeys(bySource) {
		why := ""
		if st, ok := c.statuses[src]; ok && src != "" {
			why = fmt.Sprintf(" (collector %s)", st.Status)
		}
		hs = append(hs, fmt.Sprintf("%s went stale: %s%s", plural(bySource[src], "node"), orNone(src), why))
	}
	if n := len(c.NodesRemoved); n > 0 {
		hs = append(hs, fmt.Sprintf("%s removed: %s", plural(n, "node"), listNodes(c.NodesRemoved, 3)))
	}
	if n := len(c.NodesAdded); n > 0 {
		hs = append(hs, fmt.Sprintf("%s added: %s", plural(n, "node"), countKinds(c.NodesAdded)))
	}
	if n := len(c.NodesChanged); n > 0 {
		parts := make([]string, 0, 3)
		for i, ch := range c.NodesChanged {
			if i == 3 {
				parts = append(parts, fmt.Sprintf("and %d more", n-3))
				break
			}
			fields := make([]string, 0, len(ch.Fields))
			for _, f := range ch.Fields {
				fields = append(fields, strings.TrimPrefix(f.Field, "attrs."))
			}
			parts = append(parts, fmt.Sprintf("%s (%s)", ch.ID, strings.Join(fields, ", ")))
		}
		hs = append(hs, fmt.Sprintf("%s changed: %s", plural(n, "node"), strings.Join(parts, "; ")))
	}
	if n := len(c.NodesFresh); n > 0 {
		hs = append(hs, fmt.Sprintf("%s observed again after being stale", plural(n, "node")))
	}
	if a, r := len(c.EdgesAdded), len(c.EdgesRemoved); a+r > 0 {
		hs = append(hs, fmt.Sprintf("%s added, %d removed", plural(a, "edge"), r))
	}
	if len(hs) > max {
		hs = hs[:max]
	}
	return hs
}

func listNodes(ns []NodeRef, max int) string {
	parts := make([]string, 0, max+1)
	for i, n := range ns {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(ns)-max))
			break
		}
		parts = append(parts, n.ID)
	}
	return strings.Join(parts, ", ")
}

func countKinds(ns []NodeRef) string {
	by := map[string]int{}
	for _, n := range ns {
		by[n.Provider+":"+n.Kind]++
	}
	parts := make([]string, 0, len(by))
	for _, k := range sortedKeys(by) {
		parts = append(parts, fmt.Sprintf("%d %s", by[k], k))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orNone(s string) string {
	if s == "" {
		return "shared nodes"
	}
	return s
}
