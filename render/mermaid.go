package render

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/termtext"
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

// Diagrams renders graph.mmd (the overview) and one diagram per system and other unit
// (diagrams/<slug>.mmd, split into -2, -3 ... pages when one would exceed mermaid's limits).
func Diagrams(g *graph.Graph) ([]Document, error) {
	m, err := newModel(g)
	if err != nil {
		return nil, err
	}
	ov := m.overview()
	docs := []Document{{Name: output.OverviewFile, Data: []byte(ov.text()), Nodes: m.links(ov)}}
	all := m.diagramUnits()
	slugs := m.slugs(all) // over every unit, so a file's name does not depend on the cap
	units, left := m.capUnits(all)
	for _, u := range units {
		for i, d := range m.unitDiagrams(u) {
			slug := slugs.of[u]
			if i > 0 {
				slug += "-" + strconv.Itoa(i+1)
			}
			docs = append(docs, Document{Name: output.Diagram(slug), Data: []byte(d.text()), Unit: m.id(u), Nodes: m.links(d)})
		}
	}
	if len(left) > 0 {
		d := m.moreUnits(len(units), left)
		docs = append(docs, Document{Name: output.Diagram(moreUnitsSlug), Data: []byte(d.text())})
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
	note  string // said after the title, a constant of ours (written as is)
	nodes []dnode
	edges []dedge
	ids   *ids   // the mermaid ids given out, for links
	txt   string // text(), once written
}

// setTitle changes the title (and so the text).
func (d *diagram) setTitle(t string) { d.title, d.txt = t, "" }

// links maps the diagram's mermaid ids to the graph nodes they draw.
func (m *model) links(d *diagram) map[string]string {
	out := map[string]string{}
	if d.ids == nil {
		return out
	}
	for _, n := range d.nodes {
		if key := d.ids.used[n.id]; m.has(key) {
			out[n.id] = key
		}
	}
	return out
}

// minNodeBytes is the least text a node line takes ("  n1[\"x\"]\n"): a diagram with more
// nodes than MaxTextSize/minNodeBytes cannot fit, whatever its labels, and is not written out
// to find that out.
const minNodeBytes = 10

func (d *diagram) fits() bool {
	return len(d.edges) <= MaxEdges && len(d.nodes)*minNodeBytes <= MaxTextSize && len(d.text()) <= MaxTextSize
}

// text writes the diagram: subgraphs nested by group path, nodes, edges, then styles. It is
// written once; setTitle is the only change made after.
func (d *diagram) text() string {
	if d.txt == "" {
		d.txt = d.write()
	}
	return d.txt
}

func (d *diagram) write() string {
	var b strings.Builder
	b.WriteString("%% " + comment(d.title))
	if d.note != "" {
		b.WriteString(". " + d.note) // one comment line: names never add a second
	}
	b.WriteString("\n")
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
		case termtext.Unsafe(r):
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

// providerTitle is a provider's name for people: its vocabulary's title (a provider package's
// own vocabulary when it brings one, see collectors.Provider).
func (m *model) providerTitle(p string) string { return m.vocab.Title(p) }

// groupsOf is a node's subgraph path: its provider, then its org ancestors outermost first.
func (m *model) groupsOf(v int32) []group {
	n := m.nodes[v]
	gs := []group{{key: "provider:" + n.Provider, title: m.providerTitle(n.Provider)}}
	var chain []int32 // nearest first
	for o := m.org[v]; o >= 0 && !slices.Contains(chain, o); o = m.org[o] {
		chain = append(chain, o)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		o := chain[i]
		gs = append(gs, group{key: m.id(o), title: m.label(o) + " (" + m.kindOf(o) + ")"})
	}
	return gs
}

func (m *model) dnode(x *ids, v int32, groups []group) dnode {
	return dnode{id: x.get(m.id(v)), label: m.label(v), sub: m.kindOf(v), shape: m.kinds[v].Category, groups: groups, stale: m.nodes[v].Stale}
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

func (m *model) aggregate(mapTo func(int32) string) (map[[2]string]*aggEdge, [][2]string) {
	agg := map[[2]string]*aggEdge{}
	var keys [][2]string
	for j := range m.edges {
		if !m.dep[j] {
			continue
		}
		a, b := mapTo(m.from[j]), mapTo(m.to[j])
		if a == "" || b == "" || a == b {
			continue
		}
		e := m.edges[j]
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

// overviewDetail follows the overview's title: where the detail it leaves out lives.
const overviewDetail = "Detail: one diagram per system in diagrams/ (diagrams/SLUG.mmd, SLUG being the system anchor in INFRA.md)"

// overview returns the most detailed overview that fits: one node per system (and external
// host), nested by provider, account and containing system, with labelled aggregated
// dependencies; then without labels; then accounts; then providers, which always fits.
// Containment is drawn only as nesting: never as an edge.
func (m *model) overview() *diagram {
	for _, level := range []func() *diagram{
		func() *diagram { return m.systemOverview(true) },
		func() *diagram { return m.systemOverview(false) },
		func() *diagram { return m.groupOverview(false) },
		func() *diagram { return m.groupOverview(true) },
	} {
		if d := level(); d != nil && d.fits() {
			return d
		}
	}
	// Unreachable with real provider names: the provider level has a handful of nodes. Still
	// never emit a diagram mermaid refuses.
	return &diagram{title: "infragraph overview: too large to draw; see INFRA.md", note: overviewDetail}
}

// inOverview reports whether a node is drawn in the system overview: a system or an external
// host. Everything else (aliases, domains and their records, networks, repositories, members of
// a system) is detail of the per-system diagrams.
func (m *model) inOverview(v int32) bool {
	if m.rep[v] != v {
		return false
	}
	k := m.kinds[v]
	return k.System || k.Category == "external"
}

// hostSystems is the chain of systems containing system id, nearest first (a compose project's
// Docker engine): the overview nests id inside each of them.
func (m *model) hostSystems(v int32) []int32 {
	var chain []int32
	for p := m.owningSystem(v); p >= 0 && p != v && !slices.Contains(chain, p); p = m.owningSystem(p) {
		chain = append(chain, p)
	}
	return chain
}

// overviewGroups is a drawn node's subgraph path in the overview: the provider and account
// path of its outermost containing system, then one subgraph per containing system, then its
// own subgraph when it contains other drawn systems (so it sits inside the box it draws).
func (m *model) overviewGroups(v int32, hosts bool) []group {
	chain := m.hostSystems(v)
	top := v
	if len(chain) > 0 {
		top = chain[len(chain)-1]
	}
	gs := m.groupsOf(top)
	for i := len(chain) - 1; i >= 0; i-- {
		gs = append(gs, m.systemGroup(chain[i]))
	}
	if hosts {
		gs = append(gs, m.systemGroup(v))
	}
	return gs
}

func (m *model) systemGroup(v int32) group {
	return group{key: "unit:" + m.id(v), title: m.label(v) + " (" + m.kindOf(v) + ")"}
}

// nested reports whether a is drawn inside b's box or b inside a's: an edge between them would
// draw containment a second time.
func nested(hosts map[int32][]int32, a, b int32) bool {
	return slices.Contains(hosts[a], b) || slices.Contains(hosts[b], a)
}

func (m *model) systemOverview(labels bool) *diagram {
	if len(m.systems)*minNodeBytes > MaxTextSize {
		return nil // every system is drawn: cannot fit, whatever the edges
	}
	mapTo := func(v int32) string {
		if r := m.rep[v]; m.inOverview(r) {
			return m.id(r)
		}
		return ""
	}
	agg, all := m.aggregate(mapTo)
	hosts := map[int32][]int32{}
	hosting := map[int32]bool{}
	for _, s := range m.systems {
		hosts[s] = m.hostSystems(s)
		for _, h := range hosts[s] {
			hosting[h] = true
		}
	}
	var keys [][2]string
	for _, k := range all {
		if !nested(hosts, m.numOf(k[0]), m.numOf(k[1])) {
			keys = append(keys, k)
		}
	}
	shown := map[int32]bool{}
	for _, s := range m.systems {
		shown[s] = true
	}
	for _, k := range keys {
		shown[m.numOf(k[0])], shown[m.numOf(k[1])] = true, true
	}
	if len(keys) > MaxEdges || len(shown)*minNodeBytes > MaxTextSize {
		return nil // cannot fit: not worth drawing
	}
	title := "infragraph overview: systems and their dependencies"
	if !labels {
		title = "infragraph overview: systems and their dependencies (edge labels dropped to fit mermaid's limits)"
	}
	x := newIDs()
	d := &diagram{title: title, note: overviewDetail, ids: x}
	for v := range int32(len(m.nodes)) {
		if shown[v] {
			d.nodes = append(d.nodes, m.dnode(x, v, m.overviewGroups(v, hosting[v])))
		}
	}
	for _, k := range keys {
		d.edges = append(d.edges, agg[k].edge(x.get(k[0]), x.get(k[1]), labels))
	}
	return d
}

// topOrg is the outermost org containing id (or id itself when it is a group): its account.
func (m *model) topOrg(v int32) int32 {
	top := int32(-1)
	if m.isGroup(v) {
		top = v
	}
	var seen []int32
	for o := m.org[v]; o >= 0 && !slices.Contains(seen, o); o = m.org[o] {
		seen = append(seen, o)
		top = o
	}
	return top
}

// groupOverview draws accounts (outermost org ancestor, or the provider) or providers alone.
// Accounts do not nest (a project of resources is drawn as its account), so no edge between
// two of them means containment.
func (m *model) groupOverview(providers bool) *diagram {
	memo := make([]string, len(m.nodes)) // asked for both ends of every edge
	mapTo := func(v int32) string {
		if to := memo[v]; to != "" {
			return to
		}
		to := "provider:" + m.nodes[v].Provider
		if !providers {
			if o := m.topOrg(v); o >= 0 {
				to = m.id(o)
			}
		}
		memo[v] = to
		return to
	}
	counts := map[string]int{}
	for _, s := range m.systems {
		counts[mapTo(s)]++
	}
	var nodes []string
	seen := map[string]bool{}
	for v := range int32(len(m.nodes)) {
		k := mapTo(v)
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
	d := &diagram{title: title, note: overviewDetail, ids: x}
	for _, k := range nodes {
		sub := fmt.Sprintf("%d systems", counts[k])
		if p, ok := strings.CutPrefix(k, "provider:"); ok {
			d.nodes = append(d.nodes, dnode{id: x.get(k), label: m.providerTitle(p), sub: sub, shape: "org"})
			continue
		}
		v := m.numOf(k)
		p := m.nodes[v].Provider
		d.nodes = append(d.nodes, dnode{id: x.get(k), label: m.label(v) + " (" + m.kindOf(v) + ")", sub: sub, shape: "org",
			groups: []group{{key: "provider:" + p, title: m.providerTitle(p)}}})
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
func (m *model) diagramUnits() []int32 {
	var out []int32
	for v := range int32(len(m.nodes)) {
		if m.rep[v] != v {
			continue
		}
		k := m.kinds[v]
		if k.System || (!m.isGroup(v) && k.Category != "external" && len(m.members.of(v)) > 0) {
			out = append(out, v)
		}
	}
	return out
}

// Bounds on the per-unit diagrams, so the number and total size of diagram files stay bounded
// however large the estate: a diagram of 3,000 deployments helps no one, and mermaid draws
// none past its limits anyway. A unit gets at most maxUnitPages pages; the members left out are
// counted by kind in a node saying where to find them. At most maxDiagramUnits units get
// diagrams, those with the largest blast radius first; the rest are counted in
// diagrams/more-systems.mmd.
const (
	maxUnitPages    = 4
	maxDiagramUnits = 1000
)

// moreUnitsSlug names the diagram counting the units without one of their own (no unit's slug:
// those start with a provider name).
const moreUnitsSlug = "more-systems"

// capUnits keeps at most maxDiagramUnits units, those with the largest blast radius, then the
// most members, then by id; it returns them sorted by id, and the others.
func (m *model) capUnits(units []int32) (drawn, left []int32) {
	if len(units) <= maxDiagramUnits {
		return units, nil
	}
	order := slices.Clone(units)
	radius := make(map[int32]int, len(units))
	for _, u := range units {
		// the count alone (query's walk that builds no hits): the full analysis of every unit
		// was most of what the diagrams cost on an estate of 10,000 systems
		radius[u] = m.impacts().RadiusOf(u)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if radius[a] != radius[b] {
			return radius[a] > radius[b]
		}
		if na, nb := len(m.members.of(a)), len(m.members.of(b)); na != nb {
			return na > nb
		}
		return a < b
	})
	drawn, left = order[:maxDiagramUnits], order[maxDiagramUnits:]
	slices.Sort(drawn)
	slices.Sort(left)
	return drawn, left
}

// drawnUnits is the set of units that get a diagram of their own.
func (m *model) drawnUnits() []bool {
	drawn, _ := m.capUnits(m.diagramUnits())
	out := make([]bool, len(m.nodes))
	for _, u := range drawn {
		out[u] = true
	}
	return out
}

// moreUnits counts, by kind, the units without a diagram of their own, each with the query that
// lists them.
func (m *model) moreUnits(drawn int, left []int32) *diagram {
	x := newIDs()
	d := &diagram{ids: x, title: fmt.Sprintf("%d more systems and units have no diagram of their own: only the %d with the largest blast radius get one. INFRA.md has a section for every system; discover query lists them", len(left), drawn)}
	counts := m.kindCounts(left)
	kinds := sortedKeys(counts)
	sort.SliceStable(kinds, func(i, j int) bool { return counts[kinds[i]] > counts[kinds[j]] })
	for _, k := range kinds {
		p, kind, _ := strings.Cut(k, ":")
		d.nodes = append(d.nodes, dnode{id: x.get("left:" + k), label: fmt.Sprintf("%d more: %s", counts[k], kindLabel(p, kind)),
			sub: "discover query --kind " + k, shape: "more", groups: []group{{key: "provider:" + p, title: m.providerTitle(p)}}})
	}
	return d
}

// unitDiagrams draws a unit: its rep and members inside a subgraph, with every node one edge away
// outside it. A unit too large for one diagram is split into pages of members, each page with
// the rep and its members' neighbours, in one pass over the members: each is added to the page
// while an estimate of the page's text stays within mermaid's limits. A member (or the rep) with
// too many neighbours gets a "N more neighbours" node; members past maxUnitPages pages are
// counted on the last page by kind, with the query that lists them.
func (m *model) unitDiagrams(rep int32) []*diagram {
	members := m.members.of(rep)
	var pages []*diagram
	start := 0
	for page := 1; start < len(members) || page == 1; page++ {
		last := page == maxUnitPages
		n := m.fill(rep, members[start:], last)
		d := m.unitPage(rep, members[start:start+n], members[start+n:], last)
		for !d.fits() && n > 1 { // the estimate was short: rare, shorten the page
			n = n * 9 / 10
			d = m.unitPage(rep, members[start:start+n], members[start+n:], last)
		}
		pages = append(pages, d)
		start += n
		if last {
			break
		}
	}
	if len(pages) > 1 {
		for i, d := range pages {
			d.setTitle(d.title + fmt.Sprintf(" (page %d of %d)", i+1, len(pages)))
		}
	}
	return pages
}

// pageBudget is what a page's estimate may reach: mermaid's limits less room for the title's
// page numbers, the "more" nodes and the estimate's slack.
const pageBudget = MaxTextSize - 2000

// unitEdges are the edges a page draws for id: all of its edges except those to a group (drawn
// as the enclosing subgraph) and, for the rep, those to its own members (drawn with the member,
// on the member's page).
func (m *model) unitEdges(rep, v int32) []int32 {
	var out []int32 // edge numbers: copies of a hub's edges were most of what diagrams allocated
	for _, es := range [2][]int32{m.out.of(v), m.in.of(v)} {
		for _, j := range es {
			other := m.to[j]
			if other == v {
				other = m.from[j]
			}
			in := m.rep[other] == rep // in the unit: the rep or one of its members
			if m.isGroup(other) && !in {
				continue
			}
			if v == rep && in && other != rep {
				continue
			}
			out = append(out, j)
		}
	}
	return out
}

// nodeCost estimates the bytes a node adds to a diagram: its line and the subgraph lines of
// groups not yet open (recorded in open).
func (m *model) nodeCost(v int32, groups []group, open map[string]bool) int {
	n := len(shape(m.kinds[v].Category, label(m.label(v), m.kindOf(v)))) + 2*len(groups) + 12
	for i, g := range groups {
		if !open[g.key] {
			open[g.key] = true
			n += len(escape(g.title)) + 4*i + 32
		}
	}
	if m.nodes[v].Stale {
		n += 12
	}
	return n
}

func edgeCost(e *graph.Edge) int {
	_, lb := edgeLabel(*e)
	return len(escape(lb)) + 28
}

// fill returns how many of rest fit on one page with rep (at least one): one pass, each member's
// cost its node, its new neighbours and its edges. On the last page room is kept for the nodes
// counting what is left out.
func (m *model) fill(rep int32, rest []int32, last bool) int {
	budget := pageBudget
	if last {
		budget -= 200 * min(len(m.kindCounts(rest)), 20)
	}
	open := map[string]bool{}
	unitGroups := m.unitGroups(rep)
	size := 200 + m.nodeCost(rep, unitGroups, open)
	edges := 0
	seenNode := map[int32]bool{rep: true}
	seenEdge := map[int32]bool{}
	// add returns what v adds to the page; past the room left it stops counting (the member
	// is not taken, or, first on its page, is taken with its neighbours capped).
	add := func(v int32) (int, int) {
		var sz, ne int
		for _, j := range m.unitEdges(rep, v) {
			if size+sz > budget || edges+ne > MaxEdges {
				break
			}
			if seenEdge[j] {
				continue
			}
			seenEdge[j] = true
			ne++
			sz += edgeCost(m.edges[j])
			for _, o := range [2]int32{m.from[j], m.to[j]} {
				if !seenNode[o] {
					seenNode[o] = true
					sz += m.nodeCost(o, m.groupsOf(o), open)
				}
			}
		}
		return sz, ne
	}
	sz, ne := add(rep)
	size, edges = size+sz, edges+ne
	for i, v := range rest {
		cost := 0
		if !seenNode[v] {
			seenNode[v] = true
			cost = m.nodeCost(v, unitGroups, open)
		}
		sz, ne := add(v)
		if i > 0 && (size+cost+sz > budget || edges+ne > MaxEdges) {
			return i
		}
		size, edges = size+cost+sz, edges+ne
	}
	return len(rest)
}

func (m *model) unitGroups(rep int32) []group {
	return append(m.groupsOf(rep), m.systemGroup(rep))
}

// kindCounts counts ids by provider:kind.
func (m *model) kindCounts(vs []int32) map[string]int {
	out := map[string]int{}
	for _, v := range vs {
		n := m.nodes[v]
		out[n.Provider+":"+n.Kind]++
	}
	return out
}

// unitPage draws rep and chunk with their neighbours, as many as fit; left are the members no
// page draws (on the last page), counted by kind.
func (m *model) unitPage(rep int32, chunk, left []int32, last bool) *diagram {
	x := newIDs()
	d := &diagram{title: fmt.Sprintf("%s (%s): %s", m.label(rep), m.kindOf(rep), m.id(rep)), ids: x}
	in := make(map[int32]bool, len(chunk)+1)
	in[rep] = true
	for _, c := range chunk {
		in[c] = true
	}
	unitGroups := m.unitGroups(rep)
	var counts map[string]int
	if last {
		counts = m.kindCounts(left)
	}
	open := map[string]bool{}
	size := 200 + 200*min(len(counts), 20)
	for _, v := range append([]int32{rep}, chunk...) {
		d.nodes = append(d.nodes, m.dnode(x, v, unitGroups))
		size += m.nodeCost(v, unitGroups, open)
	}
	// Edges and neighbours, member by member; a neighbour that would take the page past its
	// budget is hidden, with its edges, and counted.
	var edges []int32
	neighbours := map[int32]bool{}
	hidden := map[int32]bool{}
	seen := map[int32]bool{}
	maxEdges := MaxEdges - 1 - min(len(counts), 20) // room for the "more" nodes' lines
	dropped := 0                                    // edges between drawn nodes past maxEdges
	var firstDropped int32
	for _, v := range append([]int32{rep}, chunk...) {
		for _, j := range m.unitEdges(rep, v) {
			if seen[j] {
				continue
			}
			seen[j] = true
			e := m.edges[j]
			other := m.to[j]
			if other == v {
				other = m.from[j]
			}
			if !in[other] && !neighbours[other] {
				if hidden[other] {
					continue
				}
				if size >= pageBudget || len(edges) >= maxEdges { // full: no need to cost it
					hidden[other] = true
					continue
				}
				cost := m.nodeCost(other, m.groupsOf(other), open) + edgeCost(e)
				if size+cost > pageBudget {
					hidden[other] = true
					continue
				}
				neighbours[other] = true
				size += cost
			} else {
				if len(edges) >= maxEdges {
					if dropped == 0 {
						firstDropped = j
					}
					dropped++
					continue
				}
				size += edgeCost(e)
			}
			edges = append(edges, j)
		}
	}
	if dropped == 1 && len(hidden) == 0 { // no "more" node: its line is free
		edges, dropped = append(edges, firstDropped), 0
	}
	slices.Sort(edges) // the model's edges are sorted by (from, to, type)
	nb := make([]int32, 0, len(neighbours))
	for v := range neighbours {
		nb = append(nb, v)
	}
	slices.Sort(nb)
	for _, v := range nb {
		d.nodes = append(d.nodes, m.dnode(x, v, m.groupsOf(v)))
	}
	for _, j := range edges {
		e := m.edges[j]
		st, lb := edgeLabel(*e)
		if m.category(e.Type) == "containment" {
			if m.from[j] == rep && m.rep[m.to[j]] == rep {
				continue // its subgraph already draws the unit containing its members: once, not twice
			}
			st, lb = stylePlain, ""
		}
		d.edges = append(d.edges, dedge{from: x.get(e.From), to: x.get(e.To), style: st, label: lb})
	}
	if len(hidden) > 0 || dropped > 0 {
		more := "more:" + m.id(rep)
		text := fmt.Sprintf("%d more neighbours", len(hidden))
		if dropped > 0 {
			text += fmt.Sprintf(" and %d more edges", dropped)
		}
		d.nodes = append(d.nodes, dnode{id: x.get(more), label: text, sub: "see INFRA.md", shape: "more"})
		d.edges = append(d.edges, dedge{from: x.get(m.id(rep)), to: x.get(more), style: stylePlain})
	}
	// Members left out, by kind, most numerous first, each with the query that lists them.
	kinds := sortedKeys(counts)
	sort.SliceStable(kinds, func(i, j int) bool { return counts[kinds[i]] > counts[kinds[j]] })
	for i, k := range kinds {
		if i == 20 {
			break
		}
		p, kind, _ := strings.Cut(k, ":")
		id := x.get("left:" + m.id(rep) + ":" + k)
		d.nodes = append(d.nodes, dnode{id: id, label: fmt.Sprintf("%d more: %s", counts[k], kindLabel(p, kind)),
			sub: "discover query --kind " + k, shape: "more", groups: unitGroups})
		d.edges = append(d.edges, dedge{from: x.get(m.id(rep)), to: id, style: stylePlain})
	}
	return d
}
