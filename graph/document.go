package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
)

// SchemaVersion is the version of graph.json's format (schemas/graph.schema.json). Bump the minor
// for additions, the major for anything a reader of the previous version would misread.
const SchemaVersion = "1.2.0" // 1.1: collector status "excluded"; 1.2: scan.alerts, scan.implicit_edges, collectors[].stale_scans

// ScanInfo describes the run that produced a graph.
type ScanInfo struct {
	ID         string `json:"id,omitempty"`
	StartedAt  string `json:"started_at,omitempty"` // RFC 3339, UTC
	FinishedAt string `json:"finished_at,omitempty"`
	Demo       bool   `json:"demo,omitempty"`
	Generator  string `json:"generator,omitempty"` // "infragraph <version>"
	// Enrichment summarises the enrich stage (rules, LLM): free-form counters and notes.
	Enrichment map[string]any `json:"enrichment,omitempty"`
	// Changes summarises what changed since the previous scan (filled by the history stage).
	Changes *ChangeSummary `json:"changes,omitempty"`
	// ImplicitEdges counts the inferred edges by origin (a trend across scans in `discover diff`).
	ImplicitEdges *EdgeCounts `json:"implicit_edges,omitempty"`
	// Alerts are what changed since the previous scan that an operator must see (package alerts);
	// absent on the first scan and when there is nothing to report.
	Alerts []Alert `json:"alerts,omitempty"`
}

// ChangeSummary counts what changed between the previous scan and this one.
type ChangeSummary struct {
	Since        string   `json:"since"` // the previous scan's id
	NodesAdded   int      `json:"nodes_added"`
	NodesRemoved int      `json:"nodes_removed"`
	NodesChanged int      `json:"nodes_changed"`
	NodesStale   int      `json:"nodes_stale"`
	EdgesAdded   int      `json:"edges_added"`
	EdgesRemoved int      `json:"edges_removed"`
	Highlights   []string `json:"highlights,omitempty"` // a few human-readable lines, most important first
}

// Status is a collector instance's outcome.
type Status string

// Collector statuses.
const (
	StatusOK      Status = "ok"
	StatusPartial Status = "partial"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
	// StatusExcluded is an instance left out on purpose (--only, --skip): what it found before is
	// kept as it was, not marked stale.
	StatusExcluded Status = "excluded"
)

// CollectorStatus is one collector instance's outcome, kept in graph.json.
type CollectorStatus struct {
	Provider   string   `json:"provider"`
	Instance   string   `json:"instance"`
	Status     Status   `json:"status"`
	Reason     string   `json:"reason,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
	StartedAt  string   `json:"started_at,omitempty"`
	DurationMS int64    `json:"duration_ms"`
	Nodes      int      `json:"nodes"`
	Edges      int      `json:"edges"`
	// Stale counts the nodes carried forward from an earlier scan because this instance did not
	// complete.
	Stale int `json:"stale,omitempty"`
	// StaleScans counts the scans in a row, this one included, in which this instance failed or
	// was skipped while holding data from an earlier scan (0: it completed, or never held any).
	StaleScans int `json:"stale_scans,omitempty"`
}

// Key is "provider/instance", the scope of staleness.
func (c CollectorStatus) Key() string { return c.Provider + "/" + c.Instance }

// Document is graph.json.
type Document struct {
	SchemaVersion string            `json:"schema_version"`
	Scan          ScanInfo          `json:"scan"`
	Collectors    []CollectorStatus `json:"collectors"`
	Nodes         []Node            `json:"nodes"`
	Edges         []Edge            `json:"edges"`
}

// Document returns g as a sorted document.
func (g *Graph) Document() Document {
	cs := append([]CollectorStatus(nil), g.Collectors...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Key() < cs[j].Key() })
	if cs == nil {
		cs = []CollectorStatus{}
	}
	return Document{SchemaVersion: SchemaVersion, Scan: g.Scan, Collectors: cs, Nodes: g.Nodes(), Edges: g.Edges()}
}

// Encode writes g as indented, deterministic JSON (keys of attrs sorted, as encoding/json sorts
// them). It streams: nodes and edges are written one at a time into a reused buffer by
// jsonOut, in the bytes json.Encoder with SetIndent("", "  ") and SetEscapeHTML(false) writes
// for g.Document(), without copying the graph into a Document first.
func Encode(w io.Writer, g *Graph) error {
	o := &jsonOut{w: w, buf: make([]byte, 0, 1<<17)}
	cs := append([]CollectorStatus(nil), g.Collectors...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Key() < cs[j].Key() })
	if cs == nil {
		cs = []CollectorStatus{}
	}
	o.buf = append(o.buf, "{\n  \"schema_version\": "...)
	o.buf = appendJSONString(o.buf, SchemaVersion)
	o.buf = append(o.buf, ",\n  \"scan\": "...)
	o.value(1, g.Scan)
	o.buf = append(o.buf, ",\n  \"collectors\": "...)
	o.value(1, cs)
	o.buf = append(o.buf, ",\n  \"nodes\": "...)
	nodes := g.sortedNodes()
	o.array(1, len(nodes), func(i int) { o.node(2, nodes[i]); o.flush(false) })
	o.buf = append(o.buf, ",\n  \"edges\": "...)
	edges := g.sortedEdges()
	o.array(1, len(edges), func(i int) { o.edge(2, edges[i]); o.flush(false) })
	o.buf = append(o.buf, "\n}\n"...)
	o.flush(true)
	return o.err
}

// elementEncoder holds the buffer jsonOut hands encoding/json for values it does not write
// itself.
type elementEncoder struct {
	buf bytes.Buffer
}

// Decode reads a graph.json document.
func Decode(r io.Reader) (*Graph, error) {
	var d Document
	dec := json.NewDecoder(r)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode graph: %w", err)
	}
	return FromDocument(d)
}

// FromDocument builds a graph from a decoded document. Edges whose endpoints are missing are an
// error: graph.json never holds dangling edges.
func FromDocument(d Document) (*Graph, error) {
	g := New()
	g.Scan = d.Scan
	g.Collectors = d.Collectors
	for _, n := range d.Nodes {
		if err := g.SetNode(n); err != nil {
			return nil, err
		}
	}
	for _, e := range d.Edges {
		if err := g.AddEdge(e); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Clone returns a deep copy of g: nodes (and their attribute maps, which callers change in
// place) and edges (their evidence and origins) are copied; Refs maps and Via lists are shared,
// as nothing changes them in place. The copy numbers nodes and edges as g does (see Index), so
// its lookups, adjacency lists and sorted orders are copied as they are, not rebuilt: nodes,
// edges, evidence and adjacency lists each go into one allocation.
func (g *Graph) Clone() *Graph {
	g.orderMu.Lock() // the caches are read, and shared: never changed in place
	c := &Graph{
		Scan:       g.Scan,
		Collectors: append([]CollectorStatus(nil), g.Collectors...),
		ids:        maps.Clone(g.ids),
		nodes:      make([]*Node, len(g.nodes)),
		live:       g.live,
		edges:      make([]*Edge, len(g.edges)),
		ends:       slices.Clone(g.ends),
		slots:      maps.Clone(g.slots),
		types:      maps.Clone(g.types),
		typeNames:  slices.Clone(g.typeNames),
		liveEdges:  g.liveEdges,
		nodeOrder:  g.nodeOrder,
		rank:       g.rank,
		edgeOrder:  g.edgeOrder,
		nodeSorted: g.nodeSorted,
		edgeOK:     g.edgeOK,
	}
	g.orderMu.Unlock()
	if c.ids == nil {
		c.ids = map[string]int32{}
	}
	if c.slots == nil {
		c.slots = map[edgeSlot]int32{}
	}
	if c.types == nil {
		c.types = map[string]int32{}
	}
	ns := make([]Node, g.live)
	k := 0
	for i, n := range g.nodes {
		if n == nil {
			continue
		}
		cn := &ns[k]
		k++
		*cn = *n
		if n.Attrs != nil {
			cn.Attrs = maps.Clone(n.Attrs)
		}
		c.nodes[i] = cn
	}
	evs, ors := 0, 0
	for _, e := range g.edges {
		if e != nil {
			evs, ors = evs+len(e.Evidence), ors+len(e.Origins)
		}
	}
	es := make([]Edge, g.liveEdges)
	ev := make([]Evidence, evs)
	or := make([]Origin, ors)
	k = 0
	for j, e := range g.edges {
		if e == nil {
			continue
		}
		ce := &es[k]
		k++
		*ce = *e
		// each copy capped at its length: appending to one reallocates, never overwrites the next
		if m := len(e.Evidence); m > 0 {
			copy(ev, e.Evidence)
			ce.Evidence, ev = ev[:m:m], ev[m:]
		} else {
			ce.Evidence = nil
		}
		if m := len(e.Origins); m > 0 {
			copy(or, e.Origins)
			ce.Origins, or = or[:m:m], or[m:]
		} else {
			ce.Origins = nil
		}
		c.edges[j] = ce
	}
	g.adjMu.Lock() // a reader may be sorting a list in place
	c.out, c.outSorted = cloneAdjacency(g.out, g.liveEdges), slices.Clone(g.outSorted)
	c.in, c.inSorted = cloneAdjacency(g.in, g.liveEdges), slices.Clone(g.inSorted)
	g.adjMu.Unlock()
	return c
}

// cloneAdjacency copies adjacency lists holding n edge numbers in all into one allocation, each
// list capped at its length.
func cloneAdjacency(adj [][]int32, n int) [][]int32 {
	out := make([][]int32, len(adj))
	all := make([]int32, n)
	for i, js := range adj {
		if m := len(js); m > 0 {
			copy(all, js)
			out[i], all = all[:m:m], all[m:]
		}
	}
	return out
}
