package serve

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/schemas"
)

// Page sizes. An agent's context is the scarce resource: every list is paged, and the default
// page is small enough to read whole.
const (
	DefaultLimit = 50
	MaxLimit     = 500
	// defaultChangesLimit is per list: a diff has nine of them.
	defaultChangesLimit = 20
	// maxCandidates bounds the candidates listed in an ambiguity error.
	maxCandidates = 20
)

// Error is a failed question, with a code both transports map (HTTP status, MCP tool error).
type Error struct {
	Code       string   `json:"code"` // not_found, ambiguous, bad_request, unavailable
	Message    string   `json:"message"`
	Candidates []string `json:"candidates,omitempty"` // for ambiguous references
}

func (e *Error) Error() string { return e.Message }

// Error codes.
const (
	CodeNotFound    = "not_found"
	CodeAmbiguous   = "ambiguous"
	CodeBadRequest  = "bad_request"
	CodeUnavailable = "unavailable"
)

func badRequest(format string, args ...any) *Error {
	return &Error{Code: CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// classify turns query's errors into an *Error: unknown references are not_found, ambiguous ones
// list (at most maxCandidates of) their candidates.
func classify(err error) error {
	var amb *query.AmbiguousError
	var e *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return e
	case errors.As(err, &amb):
		c := amb.Candidates
		msg := amb.Error()
		if len(c) > maxCandidates {
			msg = fmt.Sprintf("%q is ambiguous, it matches %d nodes: %s, and %d more; give a full id", amb.Ref, len(c), strings.Join(c[:maxCandidates], ", "), len(c)-maxCandidates)
			c = c[:maxCandidates]
		}
		return &Error{Code: CodeAmbiguous, Message: msg, Candidates: c}
	case errors.Is(err, query.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: err.Error()}
	}
	return err
}

// Service answers the questions both transports expose, over the store's latest graph.
type Service struct {
	Store *Store
}

func (s *Service) snapshot() (*Snapshot, error) {
	snap, err := s.Store.Current()
	if snap == nil {
		return nil, &Error{Code: CodeUnavailable, Message: err.Error()}
	}
	// A failed reload keeps the previous graph in service: answering from the last good scan
	// beats refusing, and scan_status still tells which scan it is.
	return snap, nil
}

// paging returns the page bounds for limit and cursor.
func paging(limit int, cursor string) (offset, n int, err error) {
	switch {
	case limit < 0:
		return 0, 0, badRequest("limit must not be negative")
	case limit == 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		o, ok := strings.CutPrefix(string(raw), "o:")
		if err != nil || !ok {
			return 0, 0, badRequest("cursor %q is not one this server gave", cursor)
		}
		if offset, err = strconv.Atoi(o); err != nil || offset < 0 {
			return 0, 0, badRequest("cursor %q is not one this server gave", cursor)
		}
	}
	return offset, limit, nil
}

func cursorAt(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

// page cuts items[offset:offset+n] and returns the cursor of the next page ("" at the end).
func page[T any](items []T, offset, n int) ([]T, string) {
	if offset >= len(items) {
		return []T{}, ""
	}
	end := min(offset+n, len(items))
	next := ""
	if end < len(items) {
		next = cursorAt(end)
	}
	return items[offset:end], next
}

// Paging is the part of a paged result that says where it is.
type Paging struct {
	Total      int    `json:"total"`
	Offset     int    `json:"offset"`
	NextCursor string `json:"next_cursor,omitempty" jsonschema:"pass as cursor to get the next page; absent on the last page"`
}

// SearchParams selects nodes. Every set field must match.
type SearchParams struct {
	Kind         string   `json:"kind,omitempty" jsonschema:"node kind, e.g. project or vercel:project"`
	Provider     string   `json:"provider,omitempty" jsonschema:"provider: the first part of a node id, e.g. vercel or external (scan_status lists the scanned providers)"`
	Name         string   `json:"name,omitempty" jsonschema:"case-insensitive substring of the node name"`
	Attrs        []string `json:"attrs,omitempty" jsonschema:"attribute filters: key=value (case-insensitive, any element of a list) or key (present)"`
	Stale        bool     `json:"stale,omitempty" jsonschema:"only nodes carried forward from an earlier scan (not observed in the latest)"`
	IncludeAttrs bool     `json:"include_attrs,omitempty" jsonschema:"include each node's attributes (larger results)"`
	Limit        int      `json:"limit,omitempty" jsonschema:"page size (default 50, at most 500)"`
	Cursor       string   `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

// SearchResult is one page of matching nodes, sorted by id.
type SearchResult struct {
	Scan  string       `json:"scan"`
	Nodes []query.Node `json:"nodes"`
	Paging
}

// Search finds nodes.
func (s *Service) Search(p SearchParams) (*SearchResult, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	offset, n, err := paging(p.Limit, p.Cursor)
	if err != nil {
		return nil, err
	}
	all, err := query.Find(snap.Graph, query.Filter{Kind: p.Kind, Provider: p.Provider, Name: p.Name, Attrs: p.Attrs, Stale: p.Stale})
	if err != nil {
		return nil, badRequest("%v", err)
	}
	nodes, next := page(all, offset, n)
	if !p.IncludeAttrs {
		nodes = append([]query.Node{}, nodes...) // never null in JSON, even with no match
		for i := range nodes {
			nodes[i].Attrs = nil
		}
	}
	return &SearchResult{Scan: snap.Graph.Scan.ID, Nodes: nodes, Paging: Paging{Total: len(all), Offset: offset, NextCursor: next}}, nil
}

// NodeParams names a node.
type NodeParams struct {
	ID        string `json:"id" jsonschema:"node id, an unambiguous id suffix (prj_storefront, droplet:1001) or a name (erp-odoo-1)"`
	EdgeLimit int    `json:"edge_limit,omitempty" jsonschema:"edges listed per direction (default 50, at most 500)"`
}

// EdgeDetail is an edge with its provenance: who asserted it, how sure, and on what evidence.
type EdgeDetail struct {
	query.Edge
	Origins    []graph.Origin   `json:"origins,omitempty"`
	Evidence   []graph.Evidence `json:"evidence,omitempty"`
	StaleSince string           `json:"stale_since,omitempty"`
}

// NodeResult is one node with its edges, out (what it depends on or contains) and in.
type NodeResult struct {
	Node      query.Node   `json:"node"`
	FirstSeen string       `json:"first_seen,omitempty"`
	System    bool         `json:"system,omitempty"`
	Out       []EdgeDetail `json:"out"`
	OutTotal  int          `json:"out_total"`
	In        []EdgeDetail `json:"in"`
	InTotal   int          `json:"in_total"`
}

// Node returns one node with its edges in both directions.
func (s *Service) Node(p NodeParams) (*NodeResult, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	_, n, err := paging(p.EdgeLimit, "")
	if err != nil {
		return nil, err
	}
	d, err := query.Show(snap.Graph, p.ID)
	if err != nil {
		return nil, classify(err)
	}
	detail := func(es []query.Edge) []EdgeDetail {
		es, _ = page(es, 0, n)
		out := make([]EdgeDetail, 0, len(es))
		for _, e := range es {
			full, _ := snap.Graph.Edge(graph.EdgeKey{From: e.From, To: e.To, Type: e.Type})
			out = append(out, EdgeDetail{Edge: e, Origins: full.Origins, Evidence: full.Evidence, StaleSince: full.StaleSince})
		}
		return out
	}
	return &NodeResult{Node: d.Node, FirstSeen: d.FirstSeen, System: isSystem(d.Node.Provider, d.Node.Kind),
		Out: detail(d.Out), OutTotal: len(d.Out), In: detail(d.In), InTotal: len(d.In)}, nil
}

func isSystem(provider, kind string) bool {
	v, err := schemas.Load()
	if err != nil {
		return false
	}
	k, ok := v.Kind(provider, kind)
	return ok && k.System
}

// WalkParams asks for what a node depends on, or what depends on it.
type WalkParams struct {
	ID     string `json:"id" jsonschema:"node id, an unambiguous id suffix or a name"`
	Depth  int    `json:"depth,omitempty" jsonschema:"hops to follow (default 0: no limit)"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size (default 50, at most 500)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

// WalkResult is one page of the nodes reached from a node, nearest first.
type WalkResult struct {
	Node  query.Node  `json:"node"`
	Depth int         `json:"depth"`
	Stale int         `json:"stale" jsonschema:"how many of all reached nodes are stale"`
	Hits  []query.Hit `json:"hits"`
	Paging
	// Impact only (query.Analysis, whatever the depth): the blast radius (Total at depth 0), what
	// builds from the node, how many parts go down with it, and the data a deletion destroys.
	BlastRadius *int         `json:"blast_radius,omitempty" jsonschema:"impact: how many nodes break at runtime if it goes down"`
	Rebuild     []query.Hit  `json:"rebuild,omitempty" jsonschema:"impact: what builds or deploys from it or a broken node (keeps running, cannot redeploy)"`
	Parts       int          `json:"parts,omitempty" jsonschema:"impact: how many nodes it and the broken ones contain, down with them"`
	Data        []query.Data `json:"data,omitempty" jsonschema:"impact: data a deletion destroys"`
}

// Dependencies returns what a node depends on, transitively.
func (s *Service) Dependencies(p WalkParams) (*WalkResult, error) {
	return s.walk(p, query.Deps, nil)
}

// Impact returns what depends on a node, transitively: what breaks when it goes down.
// Hits are query.Analysis's breaks; the result carries the rest of the analysis.
//
// One analysis per request: the hits are its breaks up to the depth (a breadth-first walk's first
// levels do not depend on how far it goes on), not a second walk.
func (s *Service) Impact(p WalkParams) (*WalkResult, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	var a query.Analysis
	breaks := func(g *graph.Graph, id string, depth int) ([]query.Hit, error) {
		x, err := snap.impacts()
		if err != nil {
			return nil, err
		}
		a = x.Analyze(id)
		if depth <= 0 {
			return a.Breaks, nil
		}
		hits := []query.Hit{}
		for _, h := range a.Breaks {
			if h.Distance <= depth {
				hits = append(hits, h)
			}
		}
		return hits, nil
	}
	return s.walkIn(snap, p, breaks, func(_ *graph.Graph, r *WalkResult) error {
		r.BlastRadius, r.Rebuild, r.Parts, r.Data = &a.BlastRadius, a.Rebuild, len(a.Parts), a.Data
		return nil
	})
}

// walk pages f's hits; more, when set, adds to the result from the same snapshot.
func (s *Service) walk(p WalkParams, f func(*graph.Graph, string, int) ([]query.Hit, error), more func(*graph.Graph, *WalkResult) error) (*WalkResult, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	return s.walkIn(snap, p, f, more)
}

// walkIn is walk over snap.
func (s *Service) walkIn(snap *Snapshot, p WalkParams, f func(*graph.Graph, string, int) ([]query.Hit, error), more func(*graph.Graph, *WalkResult) error) (*WalkResult, error) {
	if p.Depth < 0 {
		return nil, badRequest("depth must not be negative")
	}
	offset, n, err := paging(p.Limit, p.Cursor)
	if err != nil {
		return nil, err
	}
	id, err := query.Resolve(snap.Graph, p.ID)
	if err != nil {
		return nil, classify(err)
	}
	all, err := f(snap.Graph, id, p.Depth)
	if err != nil {
		return nil, classify(err)
	}
	stale := 0
	for _, h := range all {
		if h.Node.Stale {
			stale++
		}
	}
	hits, next := page(all, offset, n)
	root, _ := snap.Graph.Node(id)
	r := &WalkResult{Node: brief(root), Depth: p.Depth, Stale: stale, Hits: hits, Paging: Paging{Total: len(all), Offset: offset, NextCursor: next}}
	if more != nil {
		if err := more(snap.Graph, r); err != nil {
			return nil, classify(err)
		}
	}
	return r, nil
}

// brief is a node without its attributes.
func brief(n graph.Node) query.Node {
	return query.Node{ID: n.ID, Kind: n.Kind, Provider: n.Provider, Name: n.Name, Source: n.Source, LastSeen: n.LastSeen, Stale: n.Stale, StaleSince: n.StaleSince}
}

// PathParams names two nodes.
type PathParams struct {
	From string `json:"from" jsonschema:"node id, an unambiguous id suffix or a name"`
	To   string `json:"to" jsonschema:"node id, an unambiguous id suffix or a name"`
}

// PathResult is a shortest path between two nodes. Directed is true when every edge is followed
// in its own direction (from depends on, or contains, ... to); otherwise the two are only
// connected somehow. An empty path means they are not connected.
type PathResult struct {
	From      string       `json:"from"`
	To        string       `json:"to"`
	Connected bool         `json:"connected"`
	Directed  bool         `json:"directed"`
	Steps     []query.Step `json:"steps"`
}

// Path finds how two nodes connect.
func (s *Service) Path(p PathParams) (*PathResult, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	if p.From == "" || p.To == "" {
		return nil, badRequest("path needs from and to")
	}
	from, err := query.Resolve(snap.Graph, p.From)
	if err != nil {
		return nil, classify(err)
	}
	to, err := query.Resolve(snap.Graph, p.To)
	if err != nil {
		return nil, classify(err)
	}
	res := &PathResult{From: from, To: to, Steps: []query.Step{}}
	steps, err := query.Path(snap.Graph, from, to)
	if err != nil {
		return res, nil // both exist: the error can only be "not connected"
	}
	res.Connected, res.Directed, res.Steps = true, true, steps
	for _, st := range steps[1:] {
		if !st.Forward {
			res.Directed = false
		}
	}
	return res, nil
}

// ChangesParams names the scan to compare the latest with.
type ChangesParams struct {
	Since string `json:"since,omitempty" jsonschema:"previous (the default), a scan id like 20261121T060000Z or a prefix of one, or an RFC 3339 time or date (the last scan at or before it)"`
	Limit int    `json:"limit,omitempty" jsonschema:"items listed per change list (default 20, at most 500); the counts are always complete"`
}

// ChangesResult is what changed between an earlier scan and the latest: the counts, and each
// list cut to the limit (Truncated says whether any was cut).
type ChangesResult struct {
	Summary   graph.ChangeSummary `json:"summary"`
	Until     string              `json:"until"`
	Truncated bool                `json:"truncated"`
	Changes   *history.Changes    `json:"changes"`
}

// ChangesSince diffs the latest graph against an earlier scan of the history.
func (s *Service) ChangesSince(p ChangesParams) (*ChangesResult, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	limit := p.Limit
	if limit == 0 {
		limit = defaultChangesLimit
	}
	_, n, err := paging(limit, "")
	if err != nil {
		return nil, err
	}
	since := strings.TrimSpace(p.Since)
	if since == "" {
		since = "previous"
	}
	st := history.Store{Dir: s.Store.Dir()}
	sn, err := resolveScan(st, since, snap.Graph.Scan.ID)
	if err != nil {
		return nil, err
	}
	old, err := history.LoadFile(sn.Path)
	if err != nil {
		return nil, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("read scan %s: %v", sn.ID, err)}
	}
	c := history.Diff(old, snap.Graph)
	res := &ChangesResult{Summary: *c.Summary(), Until: c.Until}
	res.Truncated = cutChanges(c, n)
	res.Changes = c
	return res, nil
}

// cutChanges cuts each list of c to its first n items and reports whether any was cut.
func cutChanges(c *history.Changes, n int) (truncated bool) {
	cut := func(l int) int {
		if l > n {
			truncated = true
			return n
		}
		return l
	}
	c.NodesAdded = c.NodesAdded[:cut(len(c.NodesAdded))]
	c.NodesRemoved = c.NodesRemoved[:cut(len(c.NodesRemoved))]
	c.NodesChanged = c.NodesChanged[:cut(len(c.NodesChanged))]
	c.NodesStale = c.NodesStale[:cut(len(c.NodesStale))]
	c.NodesFresh = c.NodesFresh[:cut(len(c.NodesFresh))]
	c.EdgesAdded = c.EdgesAdded[:cut(len(c.EdgesAdded))]
	c.EdgesRemoved = c.EdgesRemoved[:cut(len(c.EdgesRemoved))]
	c.EdgesChanged = c.EdgesChanged[:cut(len(c.EdgesChanged))]
	c.EdgesStale = c.EdgesStale[:cut(len(c.EdgesStale))]
	return truncated
}

// resolveScan finds the snapshot named by ref. "previous" is the scan before the one being
// served (the newest snapshot is normally the latest scan itself); a time picks the last scan
// at or before it.
func resolveScan(st history.Store, ref, current string) (history.Snapshot, error) {
	notFound := func(err error) error { return &Error{Code: CodeNotFound, Message: err.Error()} }
	if t, ok := parseTime(ref); ok {
		snaps, err := st.List()
		if err != nil {
			return history.Snapshot{}, err
		}
		id := t.UTC().Format("20060102T150405Z")
		for i := len(snaps) - 1; i >= 0; i-- {
			if snaps[i].ID <= id {
				return snaps[i], nil
			}
		}
		return history.Snapshot{}, notFound(fmt.Errorf("no scan at or before %s in the history of %s", ref, st.Dir))
	}
	if ref == "previous" {
		snaps, err := st.List()
		if err != nil {
			return history.Snapshot{}, err
		}
		for i := len(snaps) - 1; i >= 0; i-- {
			if current != "" && snaps[i].ID < current {
				return snaps[i], nil
			}
		}
		if current == "" && len(snaps) >= 2 {
			return snaps[len(snaps)-2], nil
		}
		return history.Snapshot{}, notFound(fmt.Errorf("no scan before %s in the history of %s", orUnknown(current), st.Dir))
	}
	sn, err := st.Resolve(ref)
	if err != nil {
		return history.Snapshot{}, notFound(err)
	}
	return sn, nil
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == "2006-01-02" {
				t = t.Add(24*time.Hour - time.Second) // a date means up to its end
			}
			return t, true
		}
	}
	return time.Time{}, false
}

func orUnknown(s string) string {
	if s == "" {
		return "the latest scan"
	}
	return s
}

// StatusResult is the state of the latest scan: when, which collectors succeeded, what is stale.
type StatusResult struct {
	Scan       graph.ScanInfo          `json:"scan"`
	Nodes      int                     `json:"nodes"`
	Edges      int                     `json:"edges"`
	StaleNodes int                     `json:"stale_nodes"`
	StaleEdges int                     `json:"stale_edges"`
	Collectors []graph.CollectorStatus `json:"collectors"`
	Warnings   []string                `json:"warnings,omitempty" jsonschema:"what a reader must know before trusting the graph"`
}

// Status reports the latest scan's collectors and staleness.
func (s *Service) Status() (*StatusResult, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	d := snap.derived()
	g := snap.Graph
	scanInfo := g.Scan
	scanInfo.Enrichment = nil // free-form counters: large and not status
	return &StatusResult{Scan: scanInfo, Nodes: d.nodes, Edges: d.edges, StaleNodes: d.staleNodes, StaleEdges: d.staleEdges,
		Collectors: sortedCollectors(g), Warnings: d.warnings}, nil
}

func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{Name: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Count is a named count.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}
