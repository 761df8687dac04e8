package render

import (
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/graph"
)

// Mermaid refuses to render a diagram beyond these (its defaults; mermaid.initialize maxEdges and
// maxTextSize, https://mermaid.js.org/config/schema-docs/config.html). Every diagram we write
// stays within both.
const (
	MaxEdges    = 500
	MaxTextSize = 50000 // bytes here; mermaid counts UTF-16 units, never more than UTF-8 bytes
)

// maxLabel caps a label so one absurd name cannot blow a diagram's text budget.
const maxLabel = 80

// Document is one rendered file of a set whose members depend on the graph (one diagram per
// system). Name is a slash-separated path relative to the output directory.
type Document struct {
	Name string
	Data []byte
	// Unit is the graph id of the system or other unit a per-unit diagram draws ("" for the
	// overview and other documents).
	Unit string
	// Nodes maps each mermaid node id in the diagram to the graph node it draws, so a viewer can
	// link the drawn nodes (aggregate nodes such as "N more" are absent).
	Nodes map[string]string
}

// Mermaid writes the overview diagram (graph.mmd): providers, accounts and systems with
// aggregated dependencies, coarsened until it fits mermaid's limits.
func Mermaid(w io.Writer, g *graph.Graph) error {
	m, err := newModel(g)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, m.overview().text())
	return err
}

// Diagrams renders graph.mmd (the overview) and one diagram per system and other unit
// (diagrams/<slug>.mmd, split into -2, -3 ... pages when one would exceed mermaid's limits).
func Diagrams(g *graph.Graph) ([]Document, error) {
	m, err := newModel(g)
	if err != nil {
		return nil, err
	}
	ov := m.overview()
	docs := []Document{{Name: "graph.mmd", Data: []byte(ov.text()), Nodes: m.links(ov)}}
	units := m.diagramUnits()
	slugs := m.slugs(units)
	for _, u := range units {
		for i, d := range m.unitDiagrams(u) {
			name := "diagrams/" + slugs[u]
			if i > 0 {
				name += "-" + strconv.Itoa(i+1)
			}
			docs = append(docs, Document{Name: name + ".mmd", Data: []byte(d.text()), Unit: u, Nodes: m.links(d)})
		}
	}
	return docs, nil
}

// --- the diagram builder -------------------------------------------------------------------------

type edgeStyle int

const (
	styleSolid  edgeStyle = iota // observed
	styleDashed                  // inferred
	stylePlain                   // containment: a line, no arrow
)

type group struct{ key, title string }

type dnode struct {
	id     string // mermaid id
	label  string // raw text; escaped when written
	sub    string // second line (kind), raw
	shape  string // category
	groups []group
	stale  bool
}

type dedge struct {
	from, to string // mermaid ids
	style    edgeStyle
	label    string
}

type diagram struct {
	title string
	nodes []dnode
	edges []dedge
	ids   *ids // the mermaid ids given out, for links
}

// links maps the diagram's mermaid ids to the graph nodes they draw.
func (m *model) links(d *diagram) map[string]string {
	out := map[string]string{}
	if d.ids == nil {
		return out
	}
	for _, n := range d.nodes {
		if key := d.ids.used[n.id]; m.byID[key] != nil {
			out[n.id] = key
		}
	}
	return out
}

func (d *diagram) fits() bool {
	return len(d.edges) <= MaxEdges && len(d.text()) <= MaxTextSize
}

// text writes the diagram: subgraphs nested by group path, nodes, edges, then styles.
func (d *diagram) text() string {
	var b strings.Builder
	b.WriteString("%% " + comment(d.title) + "\n")
	b.WriteString("flowchart LR\n")
	type tree struct {
		g        group
		nodes    []dnode
		children map[string]*tree
	}
	root := &tree{children: map[string]*tree{}}
	for _, n := range d.nodes {
		t := root
		for _, gr := range n.groups {
			c, ok := t.children[gr.key]
			if !ok {
				c = &tree{g: gr, children: map[string]*tree{}}
				t.children[gr.key] = c
			}
			t = c
		}
		t.nodes = append(t.nodes, n)
	}
	var walk func(t *tree, depth int)
	walk = func(t *tree, depth int) {
		ind := strings.Repeat("  ", depth)
		for _, n := range t.nodes {
			b.WriteString(ind + n.id + shape(n.shape, label(n.label, n.sub)) + "\n")
		}
		keys := make([]string, 0, len(t.children))
		for k := range t.children {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			a, c := t.children[keys[i]].g, t.children[keys[j]].g
			if a.title != c.title {
				return a.title < c.title
			}
			return a.key < c.key
		})
		for _, k := range keys {
			c := t.children[k]
			b.WriteString(ind + "subgraph " + mid("g", c.g.key) + "[\"" + escape(c.g.title) + "\"]\n")
			walk(c, depth+1)
			b.WriteString(ind + "end\n")
		}
	}
	walk(root, 1)
	for _, e := range d.edges {
		arrow := " --> "
		switch e.style {
		case styleDashed:
			arrow = " -.-> "
		case stylePlain:
			arrow = " --- "
		}
		if e.label != "" {
			arrow = strings.TrimSuffix(arrow, " ") + "|\"" + escape(e.label) + "\"| "
		}
		b.WriteString("  " + e.from + arrow + e.to + "\n")
	}
	var stale []string
	for _, n := range d.nodes {
		if n.stale {
			stale = append(stale, n.id)
		}
	}
	if len(stale) > 0 {
		b.WriteString("  classDef stale stroke-dasharray: 4 4,opacity:0.6\n")
		b.WriteString("  class " + strings.Join(stale, ",") + " stale\n")
	}
	return b.String()
}

// shape wraps a quoted label in the node shape of a kind category: databases are cylinders,
// external hosts hexagons, and so on (https://mermaid.js.org/syntax/flowchart.html#node-shapes).
func shape(category, quoted string) string {
	switch category {
	case "database":
		return "[(" + quoted + ")]"
	case "external":
		return "{{" + quoted + "}}"
	case "app":
		return "(" + quoted + ")"
	case "network":
		return "([" + quoted + "])"
	case "dns":
		return ">" + quoted + "]"
	case "storage":
		return "[/" + quoted + "/]"
	case "code":
		return "[[" + quoted + "]]"
	case "config", "secret":
		return "[/" + quoted + "\\]"
	case "messaging":
		return "[\\" + quoted + "\\]"
	case "more":
		return "((" + quoted + "))"
	}
	return "[" + quoted + "]"
}

func label(text, sub string) string {
	s := "\"" + escape(truncate(text))
	if sub != "" {
		s += "<br/>" + escape(truncate(sub))
	}
	return s + "\""
}

func truncate(s string) string {
	r := []rune(s)
	if len(r) > maxLabel {
		return string(r[:maxLabel-1]) + "…"
	}
	return s
}

// escape makes text safe inside a double-quoted mermaid label with mermaid's entity codes
// (https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters). Quotes,
// angle brackets, '#', '&' and backticks (which would start a markdown string) become codes;
// a second '-', '=' or '.' after '-' is coded too, so no label contains an arrow ("-->", "==>",
// "---", "-.-") that a size check counting arrows would mistake for an edge. '%', braces and
// single quotes are coded as well: mermaid looks for "%%{...}%%" directives anywhere in the text,
// labels included, so a name like "%%{init: {'themeCSS': ...}}%%" would otherwise become the
// diagram's configuration (issue #26 item 18). Control characters (C0, DEL, C1, line and
// paragraph separators) become spaces.
func escape(s string) string {
	var b strings.Builder
	var prev rune
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString("#quot;")
		case r == '<':
			b.WriteString("#lt;")
		case r == '>':
			b.WriteString("#gt;")
		case r == '#':
			b.WriteString("#35;")
		case r == '&':
			b.WriteString("#amp;")
		case r == '`':
			b.WriteString("#96;")
		case r == '|':
			b.WriteString("#124;")
		case r == '%':
			b.WriteString("#37;")
		case r == '{':
			b.WriteString("#123;")
		case r == '}':
			b.WriteString("#125;")
		case r == '\'':
			b.WriteString("#39;")
		case (r == '-' || r == '.') && prev == '-', r == '=' && prev == '=':
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		case r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// comment makes text safe on a %% comment line: escaped like a label, so a name can neither
// open a directive ("%%{") nor hold an arrow a size check would count.
func comment(s string) string {
	return escape(s)
}

// mid is a mermaid id for a graph id: a prefix and a short hash, so it needs no escaping, is
// never a keyword ("end") and is the same in every diagram and every scan.
func mid(prefix, key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	return prefix + strconv.FormatUint(h.Sum64()%2821109907456, 36) // 36^8
}

// ids assigns mermaid ids to graph ids, resolving (unlikely) hash clashes in sorted order.
type ids struct {
	byKey map[string]string
	used  map[string]string
}

func newIDs() *ids { return &ids{byKey: map[string]string{}, used: map[string]string{}} }

func (x *ids) get(key string) string {
	if v, ok := x.byKey[key]; ok {
		return v
	}
	v := mid("n", key)
	for i := 2; x.used[v] != "" && x.used[v] != key; i++ {
		v = mid("n", key) + "_" + strconv.Itoa(i)
	}
	x.byKey[key], x.used[v] = v, key
	return v
}

// --- placement ----------------------------------------------------------------------------------

var providerTitles = map[string]string{
	"vercel": "Vercel", "supabase": "Supabase", "digitalocean": "DigitalOcean", "docker": "Docker",
	"odoo": "Odoo", "git": "Git repositories", "external": "External",
}

func providerTitle(p string) string {
	if t, ok := providerTitles[p]; ok {
		return t
	}
	return p
}

// groupsOf is a node's subgraph path: its provider, then its org ancestors outermost first.
func (m *model) groupsOf(id string) []group {
	n := m.byID[id]
	gs := []group{{key: "provider:" + n.Provider, title: providerTitle(n.Provider)}}
	var chain []group
	seen := map[string]bool{}
	for o := m.org[id]; o != "" && !seen[o]; o = m.org[o] {
		seen[o] = true
		chain = append([]group{{key: o, title: m.label(o) + " (" + m.kindOf(o) + ")"}}, chain...)
	}
	return append(gs, chain...)
}

func (m *model) dnode(x *ids, id string, groups []group) dnode {
	n := m.byID[id]
	return dnode{id: x.get(id), label: m.label(id), sub: m.kindOf(id), shape: m.kinds[id].Category, groups: groups, stale: n.Stale}
}

func edgeLabel(e graph.Edge) (edgeStyle, string) {
	if e.Origin == graph.Rule || e.Origin == graph.LLM {
		return styleDashed, fmt.Sprintf("%s %s %.2f", e.Type, e.Origin, e.Confidence)
	}
	return styleSolid, e.Type
}

// --- the overview -------------------------------------------------------------------------------

type aggEdge struct {
	types    map[string]bool
	observed bool
	conf     float64
}

// overview returns the most detailed overview that fits: systems and other top-level units with
// labelled aggregated dependencies; then without labels; then systems and external hosts only;
// then accounts; then providers, which always fits.
func (m *model) overview() *diagram {
	for _, level := range []func() *diagram{
		func() *diagram { return m.unitOverview(true, false) },
		func() *diagram { return m.unitOverview(false, false) },
		func() *diagram { return m.unitOverview(false, true) },
		func() *diagram { return m.groupOverview(false) },
		func() *diagram { return m.groupOverview(true) },
	} {
		if d := level(); d.fits() {
			return d
		}
	}
	// Unreachable with real provider names: the provider level has a handful of nodes. Still
	// never emit a diagram mermaid refuses.
	return &diagram{title: "infragraph overview: too large to draw; see INFRA.md"}
}

func (m *model) aggregate(mapTo func(string) string) (map[[2]string]*aggEdge, [][2]string) {
	agg := map[[2]string]*aggEdge{}
	var keys [][2]string
	for _, e := range m.g.Edges() {
		if !m.isDependency(e) {
			continue
		}
		a, b := mapTo(e.From), mapTo(e.To)
		if a == "" || b == "" || a == b {
			continue
		}
		k := [2]string{a, b}
		x := agg[k]
		if x == nil {
			x = &aggEdge{types: map[string]bool{}}
			agg[k] = x
			keys = append(keys, k)
		}
		x.types[e.Type] = true
		if e.Origin == graph.Observed || e.Origin == "" {
			x.observed = true
		} else if e.Confidence > x.conf {
			x.conf = e.Confidence
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	return agg, keys
}

func (a *aggEdge) edge(from, to string, withLabel bool) dedge {
	e := dedge{from: from, to: to, style: styleSolid}
	if !a.observed {
		e.style = styleDashed
	}
	if withLabel {
		types := make([]string, 0, len(a.types))
		for t := range a.types {
			types = append(types, t)
		}
		sort.Strings(types)
		e.label = strings.Join(types, ", ")
		if !a.observed {
			e.label += fmt.Sprintf(" %.2f", a.conf)
		}
	}
	return e
}

func (m *model) unitOverview(labels, systemsOnly bool) *diagram {
	keep := func(id string) bool {
		k := m.kinds[id]
		if systemsOnly {
			return k.System || k.Category == "external"
		}
		return !m.isGroup(id)
	}
	mapTo := func(id string) string {
		if r := m.rep[id]; keep(r) {
			return r
		}
		return ""
	}
	agg, keys := m.aggregate(mapTo)
	shown := map[string]bool{}
	for _, s := range m.systems {
		shown[s] = true
	}
	for _, k := range keys {
		shown[k[0]], shown[k[1]] = true, true
	}
	title := "infragraph overview: systems and their dependencies"
	if systemsOnly {
		title = "infragraph overview: systems and external hosts (aggregated to fit mermaid's limits)"
	}
	x := newIDs()
	d := &diagram{title: title, ids: x}
	for _, n := range m.nodes {
		if shown[n.ID] {
			d.nodes = append(d.nodes, m.dnode(x, n.ID, m.groupsOf(n.ID)))
		}
	}
	for _, k := range keys {
		d.edges = append(d.edges, agg[k].edge(x.get(k[0]), x.get(k[1]), labels))
	}
	return d
}

// groupOverview draws accounts (nearest org ancestor, or the provider) or providers alone.
func (m *model) groupOverview(providers bool) *diagram {
	mapTo := func(id string) string {
		n := m.byID[id]
		if !providers {
			if o := m.org[id]; o != "" {
				return o
			}
			if m.isGroup(id) {
				return id
			}
		}
		return "provider:" + n.Provider
	}
	counts := map[string]int{}
	for _, s := range m.systems {
		counts[mapTo(s)]++
	}
	var nodes []string
	seen := map[string]bool{}
	for _, n := range m.nodes {
		k := mapTo(n.ID)
		if !seen[k] {
			seen[k] = true
			nodes = append(nodes, k)
		}
	}
	sort.Strings(nodes)
	agg, keys := m.aggregate(mapTo)
	title := "infragraph overview: accounts (aggregated to fit mermaid's limits)"
	if providers {
		title = "infragraph overview: providers (aggregated to fit mermaid's limits)"
	}
	x := newIDs()
	d := &diagram{title: title, ids: x}
	for _, k := range nodes {
		sub := fmt.Sprintf("%d systems", counts[k])
		if p, ok := strings.CutPrefix(k, "provider:"); ok {
			d.nodes = append(d.nodes, dnode{id: x.get(k), label: providerTitle(p), sub: sub, shape: "org"})
			continue
		}
		d.nodes = append(d.nodes, dnode{id: x.get(k), label: m.label(k) + " (" + m.kindOf(k) + ")", sub: sub, shape: "org",
			groups: []group{{key: "provider:" + m.byID[k].Provider, title: providerTitle(m.byID[k].Provider)}}})
	}
	for _, k := range keys {
		d.edges = append(d.edges, agg[k].edge(x.get(k[0]), x.get(k[1]), false))
	}
	return d
}

// --- one diagram per unit -----------------------------------------------------------------------

// diagramUnits are the reps that get their own diagram: every system, every other top-level
// container with members (a DNS zone and its records), and "external" when there are external
// hosts. Sorted by id.
func (m *model) diagramUnits() []string {
	var out []string
	for _, n := range m.nodes {
		if m.rep[n.ID] != n.ID {
			continue
		}
		k := m.kinds[n.ID]
		if k.System || (!m.isGroup(n.ID) && k.Category != "external" && len(m.members[n.ID]) > 0) {
			out = append(out, n.ID)
		}
	}
	return out
}

// unitDiagrams draws a unit: its rep and members inside a subgraph, with every node one edge away
// outside it. A unit too large for one diagram is split into pages of members, each page with
// the rep and the members' neighbours; a member with too many neighbours gets a "N more" node.
func (m *model) unitDiagrams(rep string) []*diagram {
	members := m.members[rep]
	var pages []*diagram
	start := 0
	for page := 1; start < len(members) || page == 1; page++ {
		// the largest count of further members that fits, by binary search
		lo, hi := 0, len(members)-start
		if m.unitPage(rep, members[start:], page, -1).fits() {
			lo = hi // the common case: everything left fits
		}
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if m.unitPage(rep, members[start:start+mid], page, -1).fits() {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		if lo == 0 && start < len(members) {
			lo = 1 // one member with too many neighbours: cap its neighbours below
		}
		d := m.unitPage(rep, members[start:start+lo], page, -1)
		if !d.fits() {
			l, h := 0, len(d.nodes)
			for l < h {
				mid := (l + h + 1) / 2
				if m.unitPage(rep, members[start:start+lo], page, mid).fits() {
					l = mid
				} else {
					h = mid - 1
				}
			}
			d = m.unitPage(rep, members[start:start+lo], page, l)
		}
		pages = append(pages, d)
		start += lo
	}
	if len(pages) > 1 {
		for i, d := range pages {
			d.title += fmt.Sprintf(" (page %d of %d)", i+1, len(pages))
		}
	}
	return pages
}

// unitPage draws rep and chunk with their neighbours; maxNeighbours < 0 means all.
func (m *model) unitPage(rep string, chunk []string, page, maxNeighbours int) *diagram {
	x := newIDs()
	d := &diagram{title: fmt.Sprintf("%s (%s): %s", m.label(rep), m.kindOf(rep), rep), ids: x}
	in := map[string]bool{rep: true}
	for _, c := range chunk {
		in[c] = true
	}
	unitGroups := append(m.groupsOf(rep), group{key: "unit:" + rep, title: m.label(rep) + " (" + m.kindOf(rep) + ")"})
	for _, id := range append([]string{rep}, chunk...) {
		d.nodes = append(d.nodes, m.dnode(x, id, unitGroups))
	}
	var edges []graph.Edge
	neighbours := map[string]bool{}
	seen := map[graph.EdgeKey]bool{}
	for _, id := range append([]string{rep}, chunk...) {
		for _, e := range append(m.g.Out(id), m.g.In(id)...) {
			other := e.To
			if other == id {
				other = e.From
			}
			if (m.isGroup(other) && !in[other]) || seen[e.Key()] {
				continue // a group: drawn as the enclosing subgraph
			}
			seen[e.Key()] = true
			if !in[other] {
				neighbours[other] = true
			}
			edges = append(edges, e)
		}
	}
	graph.SortEdges(edges)
	var nb []string
	for id := range neighbours {
		nb = append(nb, id)
	}
	sort.Strings(nb)
	var hidden map[string]bool
	if maxNeighbours >= 0 && len(nb) > maxNeighbours {
		hidden = map[string]bool{}
		for _, id := range nb[maxNeighbours:] {
			hidden[id] = true
		}
		nb = nb[:maxNeighbours]
	}
	for _, id := range nb {
		d.nodes = append(d.nodes, m.dnode(x, id, m.groupsOf(id)))
	}
	for _, e := range edges {
		if hidden[e.From] || hidden[e.To] {
			continue
		}
		st, lb := edgeLabel(e)
		if m.category(e.Type) == "containment" {
			st, lb = stylePlain, ""
		}
		d.edges = append(d.edges, dedge{from: x.get(e.From), to: x.get(e.To), style: st, label: lb})
	}
	if len(hidden) > 0 {
		more := "more:" + rep
		d.nodes = append(d.nodes, dnode{id: x.get(more), label: fmt.Sprintf("%d more neighbours", len(hidden)), sub: "see INFRA.md", shape: "more"})
		d.edges = append(d.edges, dedge{from: x.get(rep), to: x.get(more), style: stylePlain})
	}
	return d
}
