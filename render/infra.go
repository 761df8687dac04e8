package render

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/termtext"
)

// InfraOptions configure INFRA.md.
type InfraOptions struct {
	// MaxBytes caps the document's size (0: no cap). Detail is trimmed from the least critical
	// systems first, then from the long tables; the title, the warnings and the summary are
	// never trimmed, so a document whose summary alone is larger stays larger.
	MaxBytes int
	// Narratives are the systems' checked, model-written narratives by system id (nil: none,
	// the LLM was off); see Narrative.
	Narratives map[string]Narrative
}

// Infra returns the renderer of INFRA.md, the memory doc an agent reads before it touches the
// system: loud warnings first, a summary, one section per system with a stable anchor, the
// dependency map, critical components by blast radius, inferred relationships with their
// evidence, external dependencies and what changed.
func Infra(o InfraOptions) Renderer {
	return func(w io.Writer, g *graph.Graph) error {
		m, err := newModel(g)
		if err != nil {
			return err
		}
		m.narratives = o.Narratives
		doc := m.infra()
		doc.fit(o.MaxBytes)
		return doc.write(w)
	}
}

// infraDoc is INFRA.md in parts, so the budget can swap detailed parts for shorter ones.
type infraDoc struct {
	head    string   // title, warnings, summary: never trimmed
	kinds   part     // node counts by provider and kind: the first part the budget trims
	head2   string   // changes, stale list: never trimmed
	systems []system // sorted for reading (by provider, name)
	tail    []part   // map, critical, inferred, external, legend
	trimmed []string // what the budget trimmed, reported in the summary
	budget  int
}

type system struct {
	id     string
	radius int
	full   string
	// short writes the compact (1) or minimal (2) section, on demand: only a size budget
	// needs them, and building all three for every system tripled what a large estate
	// allocated.
	short           func(level int) string
	level           int // 0 full, 1 compact, 2 minimal
	heading, anchor string
	// build makes the section when it is written, and nothing keeps it: without a size budget
	// no section is needed before then, and holding 100,000 of them (and their analyses) was
	// most of what a large estate's INFRA.md kept in memory. fit builds them all first.
	build func() system
}

// built makes a lazily built section's text and variants (see system.build).
func (s *system) built() {
	if s.build != nil {
		level := s.level
		*s = s.build()
		s.level = level
	}
}

type part struct {
	name       string
	full, stub string
	stubbed    bool
}

func (s *system) text() string {
	if s.build != nil {
		t := *s
		t.built()
		return t.text()
	}
	if s.level == 0 {
		return s.full
	}
	return s.short(s.level)
}

func (d *infraDoc) String() string {
	var b strings.Builder
	_ = d.write(&b)
	return b.String()
}

// write writes the document to w, part by part.
func (d *infraDoc) write(w io.Writer) error {
	b := bufio.NewWriterSize(w, 64<<10)
	b.WriteString(d.head)
	b.WriteString(d.kinds.text())
	b.WriteString(d.head2)
	if len(d.trimmed) > 0 {
		fmt.Fprintf(b, "_Trimmed to fit %d bytes (--max-bytes): %s. graph.json has everything._\n\n", d.budget, strings.Join(d.trimmed, "; "))
	}
	b.WriteString("<a id=\"contents\"></a>\n## Contents\n\n")
	for _, s := range d.systems {
		fmt.Fprintf(b, "- [%s](#%s)\n", s.heading, s.anchor)
	}
	if len(d.systems) == 0 {
		b.WriteString("No systems were found.\n")
	}
	b.WriteString("\n")
	for _, p := range d.tail[:2] { // map, critical components
		b.WriteString(p.text())
	}
	b.WriteString("<a id=\"systems\"></a>\n## Systems\n\n")
	for i := range d.systems {
		b.WriteString(d.systems[i].text())
	}
	for _, p := range d.tail[2:] {
		b.WriteString(p.text())
	}
	return b.Flush()
}

func (p *part) text() string {
	if p.stubbed {
		return p.stub
	}
	return p.full
}

// fit trims detail until the document fits max bytes: system sections from the least critical
// up (full, then compact, then one line), then the long tables, each replaced by a pointer.
func (d *infraDoc) fit(max int) {
	d.budget = max
	if max <= 0 {
		return
	}
	for i := range d.systems { // every size is needed
		d.systems[i].built()
	}
	const note = 300 // room for the trim note itself (at most about 270 bytes)
	size := func() int { return len(d.String()) + note }
	if size() <= max {
		return
	}
	// The per-kind table first: a count of every kind helps an agent least, and the line that
	// replaces it still says how to ask.
	var omitted []string
	if !d.kinds.stubbed && d.kinds.full != d.kinds.stub {
		d.kinds.stubbed = true
		omitted = append(omitted, "node counts by kind shortened to one line")
		if size() <= max {
			d.trimmed = omitted
			return
		}
	}
	if d.shortenRestore() {
		omitted = append(omitted, "restore order shortened to its waves")
		if size() <= max {
			d.trimmed = omitted
			return
		}
	}
	order := make([]int, len(d.systems))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := d.systems[order[a]], d.systems[order[b]]
		if x.radius != y.radius {
			return x.radius < y.radius
		}
		return x.id > y.id
	})
	total := size()
	counts := [3]int{}
	for level := 1; level <= 2 && total > max; level++ {
		for _, i := range order {
			if total <= max {
				break
			}
			s := &d.systems[i]
			before := len(s.text())
			s.level = level
			total += len(s.text()) - before
			counts[level]++
		}
	}
	for _, name := range []string{"dependency map", "inferred relationships", "external dependencies", "restore order", "critical components"} {
		if total <= max {
			break
		}
		if name == "restore order" {
			if saved := d.omitRestore(); saved > 0 {
				total -= saved
				omitted = slices.DeleteFunc(omitted, func(s string) bool { return strings.HasPrefix(s, name+" shortened") })
				omitted = append(omitted, name+" omitted (`discover query restore` lists it)")
			}
			continue
		}
		for i := range d.tail {
			p := &d.tail[i]
			if p.name == name && !p.stubbed {
				total += len(p.stub) - len(p.full)
				p.stubbed = true
				omitted = append(omitted, name+" omitted")
			}
		}
	}
	// Omitting a table may have freed room: give detail back, most critical systems first, and
	// stop at the first that does not fit so no system has more detail than a more critical one.
restore:
	for i := len(order) - 1; i >= 0; i-- {
		s := &d.systems[order[i]]
		for s.level > 0 {
			before := len(s.text())
			s.level--
			if total+len(s.text())-before > max {
				s.level++
				break restore
			}
			total += len(s.text()) - before
		}
	}
	counts = [3]int{}
	for _, s := range d.systems {
		counts[s.level]++
	}
	if counts[1] > 0 {
		d.trimmed = append(d.trimmed, plural(counts[1], "system section")+" shortened")
	}
	if counts[2] > 0 {
		d.trimmed = append(d.trimmed, plural(counts[2], "system section")+" reduced to one line")
	}
	d.trimmed = append(d.trimmed, omitted...)
}

// --- building the parts -------------------------------------------------------------------------

func (m *model) infra() *infraDoc {
	d := &infraDoc{}
	var b strings.Builder
	b.WriteString("# INFRA.md: infrastructure map\n\n")
	b.WriteString(DataNote + "\n\n")
	b.WriteString(m.alerts())
	b.WriteString(m.warnings())
	b.WriteString(m.summary())
	d.head = b.String()
	d.kinds = m.kindTable()
	d.head2 = m.changes() + m.staleList()

	slugs := m.slugs(m.systems)
	for _, id := range m.systems {
		d.systems = append(d.systems, system{id: id, anchor: slugs[id], heading: m.heading(id), build: func() system {
			s := m.systemSection(id, slugs)
			delete(m.impact, id) // the section has what it needed of the analysis
			return s
		}})
	}
	sort.SliceStable(d.systems, func(i, j int) bool {
		a, b := m.byID[d.systems[i].id], m.byID[d.systems[j].id]
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if la, lb := m.label(a.ID), m.label(b.ID); la != lb {
			return la < lb
		}
		return a.ID < b.ID
	})
	d.tail = []part{
		{name: "dependency map", full: m.depMap(), stub: "<a id=\"dependency-map\"></a>\n## Dependency map\n\nOmitted to fit the size budget: see graph.mmd and diagrams/.\n\n"},
		{name: "critical components", full: m.critical(slugs, 10), stub: m.critical(slugs, 5)},
		m.restorePart(slugs),
		{name: "inferred relationships", full: m.inferred(slugs), stub: "<a id=\"inferred-relationships\"></a>\n## Inferred relationships\n\nOmitted to fit the size budget: see graph.json (edges whose origin is rule or llm) and proposals.json.\n\n"},
		{name: "external dependencies", full: m.externals(slugs), stub: "<a id=\"external-dependencies\"></a>\n## External dependencies\n\nOmitted to fit the size budget: see graph.json (nodes external:*).\n\n"},
		{name: "legend", full: legend, stub: legend},
	}
	return d
}

const legend = `<a id="reading-this-file"></a>
## Reading this file

- Node ids are ` + "`provider:kind:native-id`" + `; graph.json has every attribute. Anchors (` + "`#vercel-project-storefront`" + `) are stable across scans.
- Edges point from the dependent to its dependency. **observed** edges were stated by a provider's API; **rule** and **llm** edges were inferred, validated and carry a confidence and their evidence.
- "Depends on" follows dependency edges forward, lifted to systems. "If this goes down" is the impact analysis discover query impact, the MCP server and the HTTP API share: runtime dependents, grouped by system; parts and build-time dependents are not counted.
- Blast radius: how many nodes break at runtime if a component goes down (see the README).
`

func (m *model) warnings() string {
	var b strings.Builder
	cs := append([]graph.CollectorStatus(nil), m.g.Collectors...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Key() < cs[j].Key() })
	for _, c := range cs {
		switch c.Status {
		// Our sentence first; the recorded error, which may quote the provider, only after it,
		// quoted and clipped (DataNote).
		case graph.StatusFailed:
			fmt.Fprintf(&b, "> **WARNING: collector %s FAILED**: %s. Everything it would have found is missing from this map or carried over as stale; do not conclude that its resources are gone.\n",
				md(c.Key()), Problem(c))
			if c.Reason != "" {
				fmt.Fprintf(&b, "> %s reported: %s\n", md(c.Key()), Quote(c.Reason))
			}
			b.WriteString(">\n")
		case graph.StatusPartial:
			fmt.Fprintf(&b, "> **WARNING: collector %s is PARTIAL** (%s): some of its resources or relationships may be missing.\n> %s reported: %s\n>\n",
				md(c.Key()), plural(len(c.Warnings), "warning"), md(c.Key()), quoteN(c.Warnings, 3))
		}
	}
	if st, _ := m.g.Scan.Enrichment["llm.status"].(string); strings.HasPrefix(st, "failed") {
		cause := strings.TrimPrefix(strings.TrimPrefix(st, "failed"), ": ")
		b.WriteString("> **WARNING: LLM enrichment FAILED**. This scan has only observed and rule-inferred edges; what the LLM inferred in earlier scans is carried over as stale.\n")
		if cause != "" {
			fmt.Fprintf(&b, "> The LLM stage reported: %s\n", Quote(cause))
		}
		b.WriteString(">\n")
	}
	current := 0
	for _, c := range cs {
		if c.Status == graph.StatusOK || c.Status == graph.StatusPartial {
			current++
		}
	}
	if current == 0 {
		b.WriteString("> **WARNING: no collector completed**, so nothing below is current. Configure a provider (see the collectors' reasons in the summary) and scan again.\n>\n")
	}
	stale := m.staleBySource()
	if len(stale) > 0 {
		var parts []string
		total := 0
		for _, s := range sortedKeys(stale) {
			parts = append(parts, fmt.Sprintf("%s: %d", md(s), len(stale[s])))
			total += len(stale[s])
		}
		fmt.Fprintf(&b, "> **WARNING: %d STALE resources**, carried over from an earlier scan and not seen in this one (%s). They may no longer exist; see [Stale resources](#stale-resources).\n>\n",
			total, strings.Join(parts, ", "))
	}
	if b.Len() == 0 {
		return ""
	}
	return strings.TrimSuffix(b.String(), ">\n") + "\n"
}

func (m *model) staleBySource() map[string][]string {
	out := map[string][]string{}
	for _, n := range m.nodes {
		if n.Stale {
			src := orDefault(n.Source, n.Provider)
			out[src] = append(out[src], n.ID)
		}
	}
	return out
}

func (m *model) summary() string {
	var b strings.Builder
	b.WriteString("<a id=\"summary\"></a>\n## Summary\n\n")
	s := m.g.Scan
	var facts []string
	if s.ID != "" {
		facts = append(facts, "scan `"+s.ID+"`")
	}
	if s.StartedAt != "" {
		facts = append(facts, "started "+s.StartedAt)
	}
	if s.FinishedAt != "" {
		facts = append(facts, "finished "+s.FinishedAt)
	}
	if s.Generator != "" {
		facts = append(facts, "by "+md(s.Generator))
	}
	if s.Demo {
		facts = append(facts, "**demo data**")
	}
	if len(facts) > 0 {
		b.WriteString(strings.Join(facts, ", ") + ".\n\n")
	}
	nodes, edges := m.g.Len()
	byOrigin := map[graph.Origin]int{}
	for _, e := range m.edges {
		byOrigin[e.Origin]++
	}
	fmt.Fprintf(&b, "%d nodes, %d edges (%d observed, %d inferred by rules, %d inferred by the LLM), %d systems.\n\n",
		nodes, edges, byOrigin[graph.Observed], byOrigin[graph.Rule], byOrigin[graph.LLM], len(m.systems))
	if len(m.g.Collectors) > 0 {
		b.WriteString("| collector | status | nodes | edges | stale | duration | notes |\n|---|---|---:|---:|---:|---:|---|\n")
		cs := append([]graph.CollectorStatus(nil), m.g.Collectors...)
		sort.Slice(cs, func(i, j int) bool { return cs[i].Key() < cs[j].Key() })
		for _, c := range cs {
			status := string(c.Status)
			if c.Status == graph.StatusFailed || c.Status == graph.StatusPartial {
				status = "**" + strings.ToUpper(status) + "**"
			}
			// reasons and warnings may quote the provider: code spans, clipped (DataNote)
			var notes []string
			if c.Reason != "" {
				notes = append(notes, Quote(c.Reason))
			}
			if len(c.Warnings) > 0 {
				notes = append(notes, plural(len(c.Warnings), "warning")+": "+quoteN(c.Warnings, 3))
			}
			dur := (time.Duration(c.DurationMS) * time.Millisecond).String()
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s | %s |\n", cell(md(c.Key())), status, c.Nodes, c.Edges, c.Stale, dur, cell(strings.Join(notes, "; ")))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// kindTable counts nodes by provider and kind: the table in full, and the one line the size
// budget swaps it for first (an agent asks `discover query --kind` for a kind it needs).
func (m *model) kindTable() part {
	type pk struct{ p, k string }
	counts := map[pk]int{}
	byProvider := map[string]int{}
	var keys []pk
	for _, n := range m.nodes {
		k := pk{n.Provider, n.Kind}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
		byProvider[n.Provider]++
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].p != keys[j].p {
			return keys[i].p < keys[j].p
		}
		return keys[i].k < keys[j].k
	})
	if len(keys) == 0 {
		return part{name: "node counts by kind"}
	}
	var b strings.Builder
	b.WriteString("| provider | kind | count |\n|---|---|---:|\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "| %s | %s | %d |\n", cell(md(k.p)), cell(md(k.k)), counts[k])
	}
	b.WriteString("\n")
	var ps []string
	for _, p := range sortedKeys(byProvider) {
		ps = append(ps, fmt.Sprintf("%s %d", md(p), byProvider[p]))
	}
	stub := fmt.Sprintf("Nodes by provider: %s, in %d kinds (`discover query --provider P --kind K` lists them).\n\n", strings.Join(ps, ", "), len(keys))
	return part{name: "node counts by kind", full: b.String(), stub: stub}
}

func (m *model) changes() string {
	c := m.g.Scan.Changes
	if c == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("<a id=\"what-changed\"></a>\n## What changed\n\n")
	fmt.Fprintf(&b, "Since scan `%s`: nodes +%d added, -%d removed, %d changed, %d stale; edges +%d added, -%d removed.\n\n",
		c.Since, c.NodesAdded, c.NodesRemoved, c.NodesChanged, c.NodesStale, c.EdgesAdded, c.EdgesRemoved)
	for _, h := range c.Highlights {
		b.WriteString("- " + md(h) + "\n")
	}
	if len(c.Highlights) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

func (m *model) staleList() string {
	stale := m.staleBySource()
	if len(stale) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<a id=\"stale-resources\"></a>\n## Stale resources\n\nNot seen in this scan; kept from an earlier one because their collector did not complete.\n\n")
	b.WriteString("| resource | kind | source | stale since |\n|---|---|---|---|\n")
	for _, src := range sortedKeys(stale) {
		for _, id := range stale[src] {
			n := m.byID[id]
			fmt.Fprintf(&b, "| %s `%s` | %s | %s | %s |\n", cell(md(m.label(id))), cell(id), cell(m.kindOf(id)), cell(md(src)), cell(orDefault(n.StaleSince, "unknown")))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func (m *model) depMap() string {
	return "<a id=\"dependency-map\"></a>\n## Dependency map\n\nSystems and what they depend on (dashed: inferred). The same diagram is graph.mmd; diagrams/ has one per system.\n\n```mermaid\n" +
		m.overview().text() + "```\n\n"
}

// ref names a rep for prose: a link to its section when it has one.
func (m *model) ref(id string, slugs map[string]string) string {
	text := md(m.label(id)) + " (" + m.kindOf(id) + ")"
	if s, ok := slugs[id]; ok {
		return "[" + text + "](#" + s + ")"
	}
	return text + " `" + code(id) + "`"
}

func (m *model) critical(slugs map[string]string, limit int) string {
	if m.crit == nil {
		m.crit = m.impacts().Critical(0) // query.Critical over the prepared index
	}
	cs := m.crit
	var b strings.Builder
	b.WriteString("<a id=\"critical-components\"></a>\n## Critical components\n\nRanked by blast radius: how many nodes break at runtime if the component goes down (the same number `discover query impact` and the MCP server give).\n\n")
	if len(cs) == 0 {
		b.WriteString("No component has dependents.\n\n")
		return b.String()
	}
	b.WriteString("| rank | component | blast radius | systems that break |\n|---:|---|---:|---|\n")
	for i, c := range cs {
		if i == limit {
			fmt.Fprintf(&b, "\n%d more components have a smaller blast radius (`discover query impact` or the MCP impact tool answer for any node).\n", len(cs)-limit)
			break
		}
		fmt.Fprintf(&b, "| %d | %s | %d | %s |\n", i+1, cell(m.nodeRef(c.Node.ID, slugs)), c.BlastRadius, cell(joinN(m.brokenSystems(c.Node.ID, slugs), 4)))
	}
	b.WriteString("\n")
	return b.String()
}

// brokenSystems names the systems (reps) among what breaks when id goes down, nearest first.
func (m *model) brokenSystems(id string, slugs map[string]string) []string {
	var out []string
	seen := map[string]bool{m.rep[id]: true}
	for _, h := range m.analysis(id).Breaks {
		if r := m.rep[h]; !seen[r] {
			seen[r] = true
			out = append(out, m.ref(r, slugs))
		}
	}
	return out
}

// breaksList is an impact analysis's breaks grouped by system, nearest first: "[storefront]
// (vercel project): the project, 2 of its parts (shop.acme-coffee.com, ...)".
func (m *model) breaksList(id string, slugs map[string]string) string {
	a := m.analysis(id)
	// per system: its first three broken members (the words joinN shows) and how many there are;
	// a hub's thousands of broken members are counted, not labelled
	type broken struct {
		named []string
		n     int
	}
	var order []string
	members := map[string]*broken{}
	for _, h := range a.Breaks {
		r := m.rep[h]
		b, ok := members[r]
		if !ok {
			b = &broken{}
			members[r] = b
			order = append(order, r)
		}
		if h != r {
			if b.n < 3 {
				b.named = append(b.named, md(m.label(h))+" ("+m.kindOf(h)+")")
			}
			b.n++
		}
	}
	var parts []string
	for i, r := range order {
		if i == maxBreaks {
			parts = append(parts, fmt.Sprintf("and %d more (`discover query impact %s` lists them all)", len(order)-maxBreaks, code(id)))
			break
		}
		p := m.ref(r, slugs)
		if b := members[r]; b.n > 0 {
			p += ": " + joinN(b.named, 3)
			if b.n > 3 {
				p += fmt.Sprintf(" and %d more", b.n-3)
			}
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// maxBreaks caps the systems a section's "If this goes down" names, nearest first; the count is the
// blast radius and the full list is one query away.
const maxBreaks = 8

// stateLines says what data the node holds or a deletion destroys, and what cannot redeploy.
func (m *model) stateLines(id string, slugs map[string]string) string {
	a := m.analysis(id)
	var b strings.Builder
	var data []string
	for _, d := range a.Data {
		x := md(d.Node.Name) + " (" + m.kindOf(d.Node.ID) + ")"
		if len(d.UsedBy) > 0 {
			var used []string
			for _, u := range d.UsedBy {
				used = append(used, md(u))
			}
			x += ", used by " + joinN(used, 4)
		}
		data = append(data, x)
	}
	if len(data) > 0 {
		b.WriteString("- **Holds data**: deleting it destroys " + joinN(data, 8) + "\n")
	}
	var rebuild []string
	for _, h := range a.Rebuild {
		rebuild = append(rebuild, m.nodeRef(h, slugs))
	}
	if len(rebuild) > 0 {
		b.WriteString("- **Builds from it** (keep running, cannot redeploy while it is down): " + joinN(rebuild, 8) + "\n")
	}
	return b.String()
}

func (m *model) evidenceWords(ev []graph.Evidence) string {
	if len(ev) == 0 {
		return "no evidence recorded"
	}
	var parts []string
	for _, e := range ev {
		who := e.Node
		if m.byID[e.Node] != nil {
			who = md(m.label(e.Node)) + " (" + m.kindOf(e.Node) + ")"
		}
		parts = append(parts, fmt.Sprintf("%s has `%s` = `%s`", who, code(e.Field), code(e.Value)))
	}
	return strings.Join(parts, "; ")
}

func (m *model) inferred(slugs map[string]string) string {
	var b strings.Builder
	b.WriteString("<a id=\"inferred-relationships\"></a>\n## Inferred relationships\n\nEdges no API states, proposed by rules or the LLM and accepted by the validator.\n\n")
	var es []graph.Edge
	for _, e := range m.edges {
		if e.Origin == graph.Rule || e.Origin == graph.LLM {
			es = append(es, e)
		}
	}
	if len(es) == 0 {
		b.WriteString("None.\n\n")
		return b.String()
	}
	b.WriteString("| from | relationship | to | origin | confidence | evidence |\n|---|---|---|---|---:|---|\n")
	for _, e := range es {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.2f | %s |\n", cell(m.nodeRef(e.From, slugs)), e.Type, cell(m.nodeRef(e.To, slugs)), e.Origin, e.Confidence, cell(m.evidenceWords(e.Evidence)))
	}
	b.WriteString("\n")
	return b.String()
}

// nodeRef names any node: its name and kind, and the system it belongs to when it is a member.
func (m *model) nodeRef(id string, slugs map[string]string) string {
	r := m.rep[id]
	if r == id {
		return m.ref(id, slugs)
	}
	return md(m.label(id)) + " (" + m.kindOf(id) + ") of " + m.ref(r, slugs)
}

func (m *model) externals(slugs map[string]string) string {
	var b strings.Builder
	b.WriteString("<a id=\"external-dependencies\"></a>\n## External dependencies\n\nHosts something references that no collector owns: third-party APIs, mail relays.\n\n")
	var rows []string
	for _, n := range m.nodes {
		if n.Provider != "external" {
			continue
		}
		var users []string
		for _, e := range m.in[n.ID] {
			users = append(users, m.nodeRef(e.From, slugs)+": "+e.Type+" ("+originWords(*e)+")")
		}
		rows = append(rows, fmt.Sprintf("| %s `%s` | %s |\n", cell(md(m.label(n.ID))), cell(code(n.ID)), cell(orDefault(joinN(users, 10), "nothing references it"))))
	}
	if len(rows) == 0 {
		b.WriteString("None.\n\n")
		return b.String()
	}
	b.WriteString("| host | used by |\n|---|---|\n")
	b.WriteString(strings.Join(rows, ""))
	b.WriteString("\n")
	return b.String()
}

func originWords(e graph.Edge) string {
	if e.Origin == graph.Rule || e.Origin == graph.LLM {
		return fmt.Sprintf("%s, %.2f", e.Origin, e.Confidence)
	}
	return "observed"
}

// --- one section per system ---------------------------------------------------------------------

func (m *model) systemSection(id string, slugs map[string]string) system {
	n := m.byID[id]
	k := m.kinds[id]
	s := system{id: id, radius: m.analysis(id).BlastRadius, anchor: slugs[id], heading: m.heading(id)}
	head := fmt.Sprintf("<a id=\"%s\"></a>\n### %s\n\n", s.anchor, s.heading)
	meta := "`" + code(id) + "`"
	if n.Source != "" {
		meta += " · source " + md(n.Source)
	}
	meta += fmt.Sprintf(" · blast radius %d", s.radius)
	if n.Stale {
		meta += " · **STALE** since " + orDefault(n.StaleSince, "an earlier scan") + ": not seen in this scan"
	}
	head += meta + "\n\n"

	var what strings.Builder
	what.WriteString("- **What**: " + md(orDefault(k.Description, m.kindOf(id))))
	if attrs := attrSummary(*n, 12); attrs != "" {
		what.WriteString(" " + attrs)
	}
	what.WriteString("\n")
	where := m.where(id, slugs)
	domains := m.domains(id)
	contains := m.containsSummary(id)

	deps, depsOn := m.directDeps(id, slugs, true), m.directDeps(id, slugs, false)
	fwd, back := m.reachList(id, slugs), m.breaksList(id, slugs)
	state := m.stateLines(id, slugs)

	// One allocation for the section: its parts written in place, not concatenated first.
	var full strings.Builder
	depsText, depsOnText := list(capList(deps)), list(capList(depsOn))
	fwdText, backText := orDefault(fwd, "nothing"), orDefault(back, "nothing breaks")
	radius := strconv.Itoa(s.radius)
	full.Grow(len(head) + what.Len() + len(where) + len(domains) + len(contains) + len(depsText) + len(depsOnText) + len(fwdText) + len(backText) + len(state) + 300)
	for _, p := range []string{head, what.String(), "- **Where it runs**: ", where, "\n"} {
		full.WriteString(p)
	}
	if domains != "" {
		full.WriteString("- **Domains**: ")
		full.WriteString(domains)
		full.WriteString("\n")
	}
	if contains != "" {
		full.WriteString("- **Contains**: ")
		full.WriteString(contains)
		full.WriteString("\n")
	}
	for _, p := range []string{"- **Depends on** (direct):", depsText, "\n- **Depends on** (transitive): ", fwdText,
		"\n- **Depended on by** (direct):", depsOnText, "\n- **If this goes down, these break** (transitive, blast radius ", radius, "): ", backText, "\n",
		state, m.narrativeText(id), "\n"} {
		full.WriteString(p)
	}
	s.full = full.String()

	whatText := what.String()
	s.short = func(level int) string {
		if level == 1 {
			var compact strings.Builder
			compact.WriteString(head + whatText)
			compact.WriteString("- **Where it runs**: " + where + "\n")
			compact.WriteString("- **Depends on** (direct):" + depsText + "\n")
			compact.WriteString("- **If this goes down, these break** (transitive, blast radius " + radius + "): " + backText + "\n")
			compact.WriteString(state + "\n")
			return compact.String()
		}
		see := output.GraphFile + " and " + output.Diagram(s.anchor)
		if !m.drawn()[id] {
			see = output.GraphFile + " (this system has no diagram of its own: see " + output.Diagram(moreUnitsSlug) + ")"
		}
		return fmt.Sprintf("<a id=\"%s\"></a>\n### %s\n\n`%s` · blast radius %d · detail trimmed by the size budget; see %s.\n\n",
			s.anchor, s.heading, code(id), s.radius, see)
	}
	return s
}

// heading is a system section's title (and its line in the contents).
func (m *model) heading(id string) string { return md(m.label(id)) + " (" + m.kindOf(id) + ")" }

// idAttr reports whether an attribute holds an identifier (urn, project_id, vpc_uuid): the node's
// id line and graph.json have those; in prose they spend an agent's context on noise.
func idAttr(k string) bool {
	return k == "urn" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_ids") || strings.HasSuffix(k, "_uuid") || strings.HasSuffix(k, ".id")
}

// attrSummary lists a node's scalar attributes (not env-derived facts, which the dependency
// lists already explain), up to max of them.
func attrSummary(n graph.Node, max int) string {
	var parts []string
	for _, k := range n.Attrs.Keys() {
		if strings.HasPrefix(k, "env.") || strings.HasPrefix(k, "value.") || idAttr(k) {
			continue
		}
		vs, _ := n.AttrValues(k)
		v := strings.Join(vs, ", ")
		if len(v) > 80 { // more than 80 runes needs more than 80 bytes
			if r := []rune(v); len(r) > 80 {
				v = string(r[:79]) + "…"
			}
		}
		parts = append(parts, md(k)+" `"+code(v)+"`")
	}
	more := ""
	if len(parts) > max {
		more = fmt.Sprintf(" and %d more attributes", len(parts)-max)
		parts = parts[:max]
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, "; ") + more + ")"
}

func (m *model) where(id string, slugs map[string]string) string {
	n := m.byID[id]
	path := []string{m.providerTitle(n.Provider)}
	for _, g := range m.groupsOf(id)[1:] {
		path = append(path, md(g.title))
	}
	out := strings.Join(path, " › ")
	if p := m.owningSystem(id); p != "" {
		out += "; inside " + m.ref(p, slugs)
	}
	for _, k := range []string{"region", "regions"} {
		if vs, ok := n.AttrValues(k); ok {
			out += "; " + k + " `" + code(strings.Join(vs, ", ")) + "`"
		}
	}
	var on []string
	for _, u := range m.unit(id) {
		for _, e := range m.out[u] {
			if e.Type == "runs_on" && m.rep[e.To] != id {
				on = append(on, m.ref(m.rep[e.To], slugs))
			}
		}
	}
	if len(on) > 0 {
		out += "; runs on " + strings.Join(uniq(on), ", ")
	}
	return out
}

// domains lists the host names the system answers to: its own and its members' host identities,
// and the DNS records that resolve or route to it.
func (m *model) domains(id string) string {
	var hosts []string
	for _, u := range m.unit(id) {
		n := m.byID[u]
		k := m.kinds[u]
		for _, a := range k.AttrsOfType(true, schemas.TypeHost, n.Attrs.Keys()) {
			vs, _ := n.AttrValues(a)
			hosts = append(hosts, vs...)
		}
		for _, e := range m.in[u] {
			if (e.Type == "resolves_to" || e.Type == "routes_to") && m.kinds[e.From].Category == "dns" {
				src := m.byID[e.From]
				for _, a := range m.kinds[e.From].AttrsOfType(true, schemas.TypeHost, src.Attrs.Keys()) {
					vs, _ := src.AttrValues(a)
					hosts = append(hosts, vs...)
				}
			}
		}
	}
	var out []string
	for _, h := range uniq(hosts) {
		if strings.Contains(h, ".") { // not a compose service's network alias
			out = append(out, "`"+code(h)+"`")
		}
	}
	return strings.Join(out, ", ")
}

func (m *model) containsSummary(id string) string {
	ms := m.members[id]
	if len(ms) == 0 {
		return ""
	}
	counts := map[string]int{}
	for _, x := range ms {
		counts[m.kindOf(x)]++
	}
	var parts []string
	for _, k := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return fmt.Sprintf("%d resources (%s)", len(ms), strings.Join(parts, ", "))
}

// directDeps lists the dependency edges leaving the system (forward) or entering it (!forward)
// from any of its members, with the member, edge type and origin.
//
// A member's edge that the system itself also has (a deployment builds from the repository its
// project builds from) adds nothing and is left out.
func (m *model) directDeps(id string, slugs map[string]string, forward bool) []string {
	// Edges between a member of this system and a member of another (a Compose project's
	// containers running the engine's images, mounting its volumes) are counted per system and
	// type, not listed one per row.
	type group struct {
		rep, typ string
		names    []string
	}
	var groups []*group
	byKey := map[[2]string]*group{}
	var out []string
	own := map[[2]string]bool{} // (other end, type) of the system's own dependency edges
	es := m.out[id]
	if !forward {
		es = m.in[id]
	}
	for _, e := range es {
		if forward {
			own[[2]string{e.To, e.Type}] = true
		} else {
			own[[2]string{e.From, e.Type}] = true
		}
	}
	for _, u := range m.unit(id) {
		es := m.out[u]
		if !forward {
			es = m.in[u]
		}
		for _, e := range es {
			other := e.To
			if !forward {
				other = e.From
			}
			if !m.isDependency(*e) || m.rep[other] == id || (u != id && own[[2]string{other, e.Type}]) {
				continue
			}
			if r := m.rep[other]; r != other && u != id && e.Origin == graph.Observed {
				k := [2]string{r, e.Type}
				g := byKey[k]
				if g == nil {
					g = &group{rep: r, typ: e.Type}
					byKey[k] = g
					groups = append(groups, g)
				}
				g.names = append(g.names, md(m.label(other))+" ("+m.kindOf(other)+")")
				continue
			}
			line := m.nodeRef(other, slugs) + ": " + e.Type + " (" + originWords(*e) + ")"
			var via []string
			if u != id {
				via = append(via, md(m.label(u))+" ("+m.kindOf(u)+")")
			}
			for _, s := range query.SettingsOf(m.g, *e) {
				if s.ID != u && m.rep[s.ID] == m.rep[e.From] { // the source side's settings: what to update
					via = append(via, md(s.Words()))
				}
			}
			if len(via) > 0 {
				line += ", via " + strings.Join(via, ", ")
			}
			out = append(out, line)
		}
	}
	for _, g := range groups {
		names := uniq(g.names)
		if forward {
			out = append(out, fmt.Sprintf("%s: %s %s, from its members", m.ref(g.rep, slugs), g.typ, joinN(names, 3)))
		} else {
			out = append(out, fmt.Sprintf("%s: %s, from %s", m.ref(g.rep, slugs), g.typ, joinN(names, 3)))
		}
	}
	return uniq(out)
}

// maxReach caps a transitive list (nearest first): in a long chain of calls every system
// reaches every other, and the lists would grow with the square of the estate.
const maxReach = 12

// reachList is what rep id depends on transitively, nearest first: the first maxReach and a
// count of the rest. The count comes from the restore order's one pass, so a system in a long
// chain does not walk the chain (a walk per system was quadratic).
func (m *model) reachList(id string, slugs map[string]string) string {
	var parts []string
	for i, r := range m.nearDeps(id) {
		if i == maxReach {
			parts = append(parts, fmt.Sprintf("and %d more further away (graph.json has them all)", m.restore().Reached(id)-maxReach))
			break
		}
		parts = append(parts, m.ref(r.ID, slugs)+" ("+strconv.Itoa(r.Distance)+")")
	}
	return strings.Join(parts, ", ")
}

// --- small text helpers -------------------------------------------------------------------------

// capList keeps the first maxReach items of a direct-dependency list and says how many more
// there are: a hub (a database 3,000 containers use) would otherwise list every one of them.
func capList(items []string) []string {
	if len(items) <= maxReach {
		return items
	}
	return append(items[:maxReach:maxReach], fmt.Sprintf("and %d more (graph.json has them all; `discover query` lists them)", len(items)-maxReach))
}

func list(items []string) string {
	if len(items) == 0 {
		return " nothing"
	}
	return "\n  - " + strings.Join(items, "\n  - ")
}

// md escapes text for markdown prose: no links, html, code or stars from names. Underscores
// stay (GFM ignores them inside words, and agents grep for DATABASE_URL).
func md(s string) string {
	plain := true // printable ASCII with nothing to escape: s itself, no copy
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && strings.IndexByte("\\`*[]<>|", c) < 0
	}
	if plain {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\`*[]<>|", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case termtext.Unsafe(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// code makes s safe inside a single-backtick code span.
func code(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '`' {
			return '\''
		}
		if termtext.Unsafe(r) {
			return ' '
		}
		return r
	}, s)
	return s
}

// cell makes text safe in a GFM table cell: pipes are escaped (also inside code spans).
func cell(s string) string {
	if !strings.ContainsAny(s, "|\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '|' && (i == 0 || s[i-1] != '\\') {
			b.WriteString("\\|")
			continue
		}
		b.WriteByte(s[i])
	}
	return strings.ReplaceAll(b.String(), "\n", " ")
}

func joinN(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
