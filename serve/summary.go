package serve

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/schemas"
)

// derived is what a snapshot computes once: counts, warnings, systems and critical components.
type derived struct {
	nodes, edges           int
	staleNodes, staleEdges int
	providers, kinds       map[string]int
	warnings               []string
	systems                []query.Node
	critical               []Critical
}

// Critical is a node many others depend on, with query.Analysis's blast radius: the same number
// INFRA.md and `discover query impact` give.
type Critical struct {
	Node        query.Node `json:"node"`
	BlastRadius int        `json:"blast_radius" jsonschema:"how many nodes break at runtime if it goes down (query.Analysis)"`
}

// criticalShown is how many critical components the summary lists.
const criticalShown = 5

func (s *Snapshot) derived() *derived {
	s.derivedOnce.Do(func() { s.derivedData = computeDerived(s.Graph) })
	return &s.derivedData
}

func computeDerived(g *graph.Graph) derived {
	d := derived{providers: map[string]int{}, kinds: map[string]int{}, systems: []query.Node{}, critical: []Critical{}}
	v, _ := schemas.Load()
	nodes := g.Nodes()
	d.nodes = len(nodes)
	for _, n := range nodes {
		d.providers[n.Provider]++
		d.kinds[n.Provider+":"+n.Kind]++
		if n.Stale {
			d.staleNodes++
		}
		if v != nil {
			if k, ok := v.Kind(n.Provider, n.Kind); ok && k.System {
				d.systems = append(d.systems, brief(n))
			}
		}
	}
	edges := g.Edges()
	d.edges = len(edges)
	for _, e := range edges {
		if e.Stale {
			d.staleEdges++
		}
	}
	for _, c := range sortedCollectors(g) {
		switch c.Status {
		case graph.StatusOK, graph.StatusSkipped, graph.StatusExcluded:
			// A skipped collector is one without credentials: the collector list says so, and
			// what it found before, if anything, is counted as stale below. An excluded one
			// (--only, --skip) keeps what it found as it was.
		default:
			// our sentence, then what was reported, quoted (render.DataNote)
			w := fmt.Sprintf("%s %s: %s.", c.Key(), c.Status, render.Problem(c))
			if r := firstNonEmpty(c.Reason, strings.Join(c.Warnings, "; ")); r != "" {
				w += " " + c.Key() + " reported: " + render.Quote(r)
			}
			d.warnings = append(d.warnings, w)
		}
		if c.Stale > 0 {
			d.warnings = append(d.warnings, fmt.Sprintf("%s: %d node(s) carried forward from an earlier scan (stale)", c.Key(), c.Stale))
		}
	}
	if d.staleNodes > 0 {
		d.warnings = append(d.warnings, fmt.Sprintf("%d of %d nodes are stale: not observed in the latest scan (search_nodes with stale=true lists them)", d.staleNodes, d.nodes))
	}
	d.critical = critical(g)
	return d
}

// critical ranks nodes by blast radius with query.Critical, the ranking INFRA.md shows.
func critical(g *graph.Graph) []Critical {
	rs, err := query.Critical(g, criticalShown)
	out := []Critical{}
	if err != nil {
		return out
	}
	for _, r := range rs {
		n, _ := g.Node(r.Node.ID)
		out = append(out, Critical{Node: brief(n), BlastRadius: r.BlastRadius})
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// SummaryResult is the overview to read first.
type SummaryResult struct {
	Scan       graph.ScanInfo       `json:"scan"`
	Nodes      int                  `json:"nodes"`
	Edges      int                  `json:"edges"`
	StaleNodes int                  `json:"stale_nodes"`
	StaleEdges int                  `json:"stale_edges"`
	Providers  []Count              `json:"providers"`
	Kinds      []Count              `json:"kinds"`
	Collectors []CollectorBrief     `json:"collectors"`
	Warnings   []string             `json:"warnings,omitempty"`
	Critical   []Critical           `json:"critical"`
	Systems    []query.Node         `json:"systems"`
	Changes    *graph.ChangeSummary `json:"changes,omitempty"`
}

// CollectorBrief is a collector's outcome in one line.
type CollectorBrief struct {
	Collector string       `json:"collector"` // provider/instance
	Status    graph.Status `json:"status"`
	Reason    string       `json:"reason,omitempty"`
	Warnings  int          `json:"warnings,omitempty"`
	Stale     int          `json:"stale,omitempty"`
}

// Summary returns the overview of the latest scan.
func (s *Service) Summary() (*SummaryResult, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	return summaryOf(snap), nil
}

func summaryOf(snap *Snapshot) *SummaryResult {
	d := snap.derived()
	g := snap.Graph
	info := g.Scan
	info.Enrichment, info.Changes = nil, nil
	r := &SummaryResult{Scan: info, Nodes: d.nodes, Edges: d.edges, StaleNodes: d.staleNodes, StaleEdges: d.staleEdges,
		Providers: sortedCounts(d.providers), Kinds: sortedCounts(d.kinds), Collectors: []CollectorBrief{},
		Warnings: d.warnings, Critical: d.critical, Systems: d.systems, Changes: g.Scan.Changes}
	for _, c := range sortedCollectors(g) {
		r.Collectors = append(r.Collectors, CollectorBrief{Collector: c.Key(), Status: c.Status, Reason: c.Reason, Warnings: len(c.Warnings), Stale: c.Stale})
	}
	return r
}

// writeSummary renders the summary as short markdown, the first thing an agent reads.
func writeSummary(w io.Writer, r *SummaryResult) {
	fmt.Fprintf(w, "# Infrastructure summary\n\n")
	scan := orUnknown(r.Scan.ID)
	if r.Scan.FinishedAt != "" {
		scan += " (finished " + r.Scan.FinishedAt + ")"
	}
	fmt.Fprintf(w, "Scan %s: %d nodes, %d edges", scan, r.Nodes, r.Edges)
	if r.StaleNodes+r.StaleEdges > 0 {
		fmt.Fprintf(w, "; %d nodes and %d edges stale", r.StaleNodes, r.StaleEdges)
	}
	fmt.Fprintln(w, ".")
	if r.Scan.Demo {
		fmt.Fprintln(w, "\n**Demo data**: this graph comes from `discover scan --demo`, not from real accounts.")
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\n## Warnings")
		for _, x := range r.Warnings {
			fmt.Fprintf(w, "- %s\n", x)
		}
	}
	fmt.Fprintln(w, "\n## Collectors")
	for _, c := range r.Collectors {
		fmt.Fprintf(w, "- %s: %s", c.Collector, c.Status)
		if c.Reason != "" {
			fmt.Fprintf(w, "; reported: %s", render.Quote(c.Reason))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\n## Nodes per provider and kind")
	for _, c := range r.Providers {
		var kinds []string
		for _, k := range r.Kinds {
			if p, kind, _ := strings.Cut(k.Name, ":"); p == c.Name {
				kinds = append(kinds, fmt.Sprintf("%s %d", render.Markdown(kind), k.Count))
			}
		}
		fmt.Fprintf(w, "- %s: %d (%s)\n", render.Markdown(c.Name), c.Count, strings.Join(kinds, ", "))
	}
	if len(r.Critical) > 0 {
		fmt.Fprintln(w, "\n## Most depended on")
		for _, c := range r.Critical {
			fmt.Fprintf(w, "- %s %s: blast radius %d%s\n", render.Markdown(c.Node.Name), render.Code(c.Node.ID), c.BlastRadius, staleMark(c.Node))
		}
	}
	if len(r.Systems) > 0 {
		fmt.Fprintln(w, "\n## Systems")
		for i, n := range r.Systems {
			if i == DefaultLimit {
				fmt.Fprintf(w, "- ... and %d more (search_nodes lists them)\n", len(r.Systems)-i)
				break
			}
			fmt.Fprintf(w, "- %s (%s %s) %s%s\n", render.Markdown(n.Name), n.Provider, n.Kind, render.Code(n.ID), staleMark(n))
		}
	}
	if c := r.Changes; c != nil {
		fmt.Fprintf(w, "\n## Since scan %s\n", c.Since)
		fmt.Fprintf(w, "%d nodes added, %d removed, %d changed, %d gone stale; %d edges added, %d removed.\n",
			c.NodesAdded, c.NodesRemoved, c.NodesChanged, c.NodesStale, c.EdgesAdded, c.EdgesRemoved)
		for _, h := range c.Highlights {
			fmt.Fprintf(w, "- %s\n", render.Markdown(h))
		}
	}
	fmt.Fprintln(w, "\nAsk further with the tools: search_nodes, get_node, dependencies, impact, path, restore_order, changes_since, scan_status.")
}

func staleMark(n query.Node) string {
	if !n.Stale {
		return ""
	}
	if n.StaleSince != "" {
		return " **stale since " + n.StaleSince + "**"
	}
	return " **stale**"
}

// systemLimit bounds each list of a system's page.
const systemLimit = 30

// writeSystem renders one system node as markdown: what it is, what it contains, what it
// depends on and what depends on it.
func writeSystem(w io.Writer, g *graph.Graph, id string) error {
	n, ok := g.Node(id)
	if !ok {
		return &Error{Code: CodeNotFound, Message: fmt.Sprintf("no node %s", id)}
	}
	fmt.Fprintf(w, "# %s\n\n%s %s %s%s\n", render.Markdown(orDash(n.Name)), n.Provider, n.Kind, render.Code(n.ID), staleMark(brief(n)))
	if n.Source != "" {
		fmt.Fprintf(w, "Source %s, last seen %s.\n", n.Source, orDash(n.LastSeen))
	}
	if len(n.Attrs) > 0 {
		fmt.Fprintln(w, "\n## Attributes")
		for i, k := range n.Attrs.Keys() {
			if i == systemLimit {
				fmt.Fprintf(w, "- ... %d more (get_node)\n", len(n.Attrs)-i)
				break
			}
			vals, _ := n.AttrValues(k)
			fmt.Fprintf(w, "- %s: %s\n", render.Markdown(k), render.Markdown(strings.Join(vals, ", ")))
		}
	}
	var children []string
	for _, e := range g.Out(id) {
		if category(e.Type) == schemas.Containment {
			c, _ := g.Node(e.To)
			children = append(children, fmt.Sprintf("%s (%s) %s%s", render.Markdown(orDash(c.Name)), c.Kind, render.Code(c.ID), staleMark(brief(c))))
		}
	}
	list(w, "Contains", children)
	deps, err := query.Deps(g, id, 0)
	if err != nil {
		return err
	}
	list(w, "Depends on", hitLines(deps))
	imp, err := query.Impact(g, id, 0)
	if err != nil {
		return err
	}
	list(w, "Depended on by", hitLines(imp))
	return nil
}

func hitLines(hs []query.Hit) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		hops := ""
		if h.Distance > 1 {
			hops = fmt.Sprintf(", %d hops", h.Distance)
		}
		out = append(out, fmt.Sprintf("%s (%s %s) %s via %s, %s%s%s", render.Markdown(orDash(h.Node.Name)), h.Node.Provider, h.Node.Kind, render.Code(h.Node.ID), h.Via.Type, h.Via.Origin, hops, staleMark(h.Node)))
	}
	return out
}

func list(w io.Writer, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## %s (%d)\n", title, len(lines))
	for i, l := range lines {
		if i == systemLimit {
			fmt.Fprintf(w, "- ... %d more (use the tools)\n", len(lines)-i)
			break
		}
		fmt.Fprintf(w, "- %s\n", l)
	}
}

func category(edgeType string) string {
	v, err := schemas.Load()
	if err != nil {
		return schemas.Dependency
	}
	if t, ok := v.EdgeTypes[edgeType]; ok {
		return t.Category
	}
	return schemas.Dependency
}

// sortedCollectors returns the collector statuses sorted by provider/instance (Graph.Document
// would sort every node and edge too).
func sortedCollectors(g *graph.Graph) []graph.CollectorStatus {
	cs := append([]graph.CollectorStatus{}, g.Collectors...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Key() < cs[j].Key() })
	return cs
}
