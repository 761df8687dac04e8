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
	id     int32
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
	// appendFull appends the full section to a buffer: how write writes a section no budget
	// built (into one buffer reused for every section, no string per section).
	appendFull func([]byte) []byte
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
	// gen writes the full part, and stubGen makes the stub, when they are not made yet: a long
	// table (an inferred edge per row) is written straight into the document unless a size
	// budget needs its size (made then).
	gen     func(io.Writer)
	stubGen func() string
}

// made makes a part's full text and stub if they are generated.
func (p *part) made() {
	if p.gen != nil {
		var b strings.Builder
		w := bufio.NewWriter(&b)
		p.gen(w)
		_ = w.Flush()
		p.full, p.gen = b.String(), nil
	}
	if p.stubGen != nil {
		p.stub, p.stubGen = p.stubGen(), nil
	}
}

// writeTo writes the part's text to b, generating it there when it has not been made.
func (p *part) writeTo(b *bufio.Writer) {
	if !p.stubbed && p.gen != nil {
		p.gen(b)
		return
	}
	b.WriteString(p.text())
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
	for i := range d.tail[:2] { // map, critical components
		d.tail[i].writeTo(b)
	}
	b.WriteString("<a id=\"systems\"></a>\n## Systems\n\n")
	var buf []byte
	for i := range d.systems {
		if s := &d.systems[i]; s.build != nil && s.level == 0 && s.appendFull != nil {
			buf = s.appendFull(buf[:0])
			b.Write(buf)
			continue
		}
		b.WriteString(d.systems[i].text())
	}
	for i := range d.tail[2:] {
		d.tail[2+i].writeTo(b)
	}
	return b.Flush()
}

func (p *part) text() string {
	p.made()
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
	for i := range d.tail {
		d.tail[i].made()
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
	d.systems = make([]system, 0, len(m.systems))
	for _, v := range m.systems {
		d.systems = append(d.systems, system{id: v, anchor: slugs.of[v], heading: m.heading(v),
			build:      func() system { return m.systemSection(v, slugs) },
			appendFull: func(b []byte) []byte { return m.appendSection(b, v, slugs, 0) }})
	}
	sort.SliceStable(d.systems, func(i, j int) bool {
		x, y := d.systems[i].id, d.systems[j].id
		a, b := m.nodes[x], m.nodes[y]
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if la, lb := m.label(x), m.label(y); la != lb {
			return la < lb
		}
		return x < y
	})
	d.tail = []part{
		{name: "dependency map", full: m.depMap(), stub: "<a id=\"dependency-map\"></a>\n## Dependency map\n\nOmitted to fit the size budget: see graph.mmd and diagrams/.\n\n"},
		{name: "critical components", full: m.critical(slugs, 10), stubGen: func() string { return m.critical(slugs, 5) }},
		m.restorePart(slugs),
		{name: "inferred relationships", gen: func(w io.Writer) { m.inferred(w, slugs) }, stub: "<a id=\"inferred-relationships\"></a>\n## Inferred relationships\n\nOmitted to fit the size budget: see graph.json (edges whose origin is rule or llm) and proposals.json.\n\n"},
		{name: "external dependencies", gen: func(w io.Writer) { m.externals(w, slugs) }, stub: "<a id=\"external-dependencies\"></a>\n## External dependencies\n\nOmitted to fit the size budget: see graph.json (nodes external:*).\n\n"},
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

func (m *model) staleBySource() map[string][]int32 {
	out := map[string][]int32{}
	for v := range m.nodes {
		if n := m.nodes[v]; n.Stale {
			src := orDefault(n.Source, n.Provider)
			out[src] = append(out[src], int32(v))
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
		for _, v := range stale[src] {
			n := m.nodes[v]
			fmt.Fprintf(&b, "| %s `%s` | %s | %s | %s |\n", cell(md(m.label(v))), cell(n.ID), cell(m.kindOf(v)), cell(md(src)), cell(orDefault(n.StaleSince, "unknown")))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func (m *model) depMap() string {
	return "<a id=\"dependency-map\"></a>\n## Dependency map\n\nSystems and what they depend on (dashed: inferred). The same diagram is graph.mmd; diagrams/ has one per system.\n\n```mermaid\n" +
		m.overview().text() + "```\n\n"
}

// ref names a rep for prose: a link to its section when it has one. It is made once per node
// and slug set (a hub is named in thousands of sections).
func (m *model) ref(v int32, slugs *slugSet) string {
	if r := slugs.refs[v]; r != "" {
		return r
	}
	text := md(m.label(v)) + " (" + m.kindOf(v) + ")"
	var r string
	if s := slugs.of[v]; s != "" {
		r = "[" + text + "](#" + s + ")"
	} else {
		r = text + " `" + code(m.id(v)) + "`"
	}
	slugs.refs[v] = r
	return r
}

func (m *model) critical(slugs *slugSet, limit int) string {
	if m.crit == nil {
		// query.Critical over the prepared index; a system's radius is its section's (one walk
		// for both)
		m.crit = m.impacts().CriticalWith(0, func(v int32) int {
			if m.kinds[v].System {
				return m.digestOf(v).radius
			}
			return m.impacts().RadiusOf(v)
		})
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
		v := m.numOf(c.Node.ID)
		broken, n := m.brokenSystems(v, slugs)
		fmt.Fprintf(&b, "| %d | %s | %d | %s |\n", i+1, cell(m.nodeRef(v, slugs)), c.BlastRadius, cell(joinCount(broken, n, 4)))
	}
	b.WriteString("\n")
	return b.String()
}

// brokenSystems names the systems (reps) among what breaks when v goes down, nearest first, but
// v's own: the first four and how many (what the critical table shows).
func (m *model) brokenSystems(v int32, slugs *slugSet) (first []string, total int) {
	own := m.rep[v]
	var d *impactDigest
	if m.digests != nil && m.digests[v] != nil {
		d = m.digests[v]
	} else if _, _, ok := m.impacts().Chain(v); ok {
		d = m.digestOf(v) // derived, no walk
	}
	i := -1
	if d != nil {
		i = slices.IndexFunc(d.reps, func(b brokenRep) bool { return b.rep == own })
	}
	if d == nil || (i < 0 && d.nreps > len(d.reps) && (own != v || len(m.members.of(v)) > 0)) {
		// v's system may be past the digest's list: walk (a few rows of the table do)
		seen := map[int32]bool{own: true}
		for _, h := range m.impacts().BreaksOf(v) {
			if r := m.rep[h]; !seen[r] {
				seen[r] = true
				if len(first) < 4 {
					first = append(first, m.ref(r, slugs))
				}
				total++
			}
		}
		return first, total
	}
	total = d.nreps
	if i >= 0 {
		total--
	}
	for j, b := range d.reps {
		if j != i && len(first) < 4 {
			first = append(first, m.ref(b.rep, slugs))
		}
	}
	return first, total
}

// breaksList is an impact analysis's breaks grouped by system, nearest first: "[storefront]
// (vercel project): the project, 2 of its parts (shop.acme-coffee.com, ...)".
//
// Per system it names the first three broken members and counts the rest: a hub's thousands of
// broken members are counted, not labelled (the digest keeps what this shows).
func (m *model) breaksList(v int32, d *impactDigest, slugs *slugSet) string {
	var parts []string
	for _, b := range d.reps {
		p := m.ref(b.rep, slugs)
		if b.n > 0 {
			named := make([]string, len(b.named))
			for i, h := range b.named {
				named[i] = md(m.label(h)) + " (" + m.kindOf(h) + ")"
			}
			p += ": " + joinN(named, 3)
			if b.n > 3 {
				p += fmt.Sprintf(" and %d more", b.n-3)
			}
		}
		parts = append(parts, p)
	}
	if d.nreps > maxBreaks {
		parts = append(parts, fmt.Sprintf("and %d more (`discover query impact %s` lists them all)", d.nreps-maxBreaks, code(m.id(v))))
	}
	return strings.Join(parts, "; ")
}

// maxBreaks caps the systems a section's "If this goes down" names, nearest first; the count is the
// blast radius and the full list is one query away.
const maxBreaks = 8

// stateLines says what data the node holds or a deletion destroys, and what cannot redeploy.
func (m *model) stateLines(a *impactDigest, slugs *slugSet) string {
	var b strings.Builder
	var data []string
	for _, d := range a.data {
		x := md(d.Node.Name) + " (" + m.kindOf(m.numOf(d.Node.ID)) + ")"
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
		b.WriteString("- **Holds data**: deleting it destroys " + joinCount(data, a.ndata, 8) + "\n")
	}
	var rebuild []string
	for _, h := range a.rebuild {
		rebuild = append(rebuild, m.nodeRef(h, slugs))
	}
	if len(rebuild) > 0 {
		b.WriteString("- **Builds from it** (keep running, cannot redeploy while it is down): " + joinCount(rebuild, a.nrebuild, 8) + "\n")
	}
	return b.String()
}

// appendEvidenceWords appends the evidence of an inferred edge to b: who has which value.
func (m *model) appendEvidenceWords(b []byte, ev []graph.Evidence) []byte {
	if len(ev) == 0 {
		return append(b, "no evidence recorded"...)
	}
	for i, e := range ev {
		if i > 0 {
			b = append(b, "; "...)
		}
		if v, ok := m.node(e.Node); ok {
			b = appendMD(b, m.label(v))
			b = append(b, " ("...)
			b = append(b, m.kindOf(v)...)
			b = append(b, ')')
		} else {
			b = append(b, e.Node...)
		}
		b = append(b, " has `"...)
		b = appendCode(b, e.Field)
		b = append(b, "` = `"...)
		b = appendCode(b, e.Value)
		b = append(b, '`')
	}
	return b
}

func (m *model) inferred(b io.Writer, slugs *slugSet) {
	io.WriteString(b, "<a id=\"inferred-relationships\"></a>\n## Inferred relationships\n\nEdges no API states, proposed by rules or the LLM and accepted by the validator.\n\n")
	var es []int
	for j := range m.edges {
		if o := m.edges[j].Origin; o == graph.Rule || o == graph.LLM {
			es = append(es, j)
		}
	}
	if len(es) == 0 {
		io.WriteString(b, "None.\n\n")
		return
	}
	io.WriteString(b, "| from | relationship | to | origin | confidence | evidence |\n|---|---|---|---|---:|---|\n")
	var row, ev []byte // one row at a time, in place (a row per inferred edge: 100,000 on a hub)
	for _, j := range es {
		e := m.edges[j]
		row = append(row[:0], "| "...)
		row = appendCell(row, m.nodeRef(m.from[j], slugs))
		row = append(row, " | "...)
		row = append(row, e.Type...)
		row = append(row, " | "...)
		row = appendCell(row, m.nodeRef(m.to[j], slugs))
		row = append(row, " | "...)
		row = append(row, e.Origin...)
		row = append(row, " | "...)
		row = strconv.AppendFloat(row, e.Confidence, 'f', 2, 64)
		row = append(row, " | "...)
		ev = m.appendEvidenceWords(ev[:0], e.Evidence)
		row = appendCell(row, ev)
		row = append(row, " |\n"...)
		b.Write(row)
	}
	io.WriteString(b, "\n")
}

// nodeRef names any node: its name and kind, and the system it belongs to when it is a member.
// A member's is made once per slug set (a database a hub's containers use is named per edge).
func (m *model) nodeRef(v int32, slugs *slugSet) string {
	r := m.rep[v]
	if r == v {
		return m.ref(v, slugs)
	}
	if slugs.nodeRefs == nil {
		slugs.nodeRefs = map[int32]string{}
	}
	if s, ok := slugs.nodeRefs[v]; ok {
		return s
	}
	s := md(m.label(v)) + " (" + m.kindOf(v) + ") of " + m.ref(r, slugs)
	slugs.nodeRefs[v] = s
	return s
}

func (m *model) externals(b io.Writer, slugs *slugSet) {
	io.WriteString(b, "<a id=\"external-dependencies\"></a>\n## External dependencies\n\nHosts something references that no collector owns: third-party APIs, mail relays.\n\n")
	var rows []string
	for v := range m.nodes {
		n := m.nodes[v]
		if n.Provider != "external" {
			continue
		}
		var users []string
		for _, j := range m.in.of(int32(v)) {
			e := m.edges[j]
			users = append(users, m.nodeRef(m.from[j], slugs)+": "+e.Type+" ("+originWords(e)+")")
		}
		rows = append(rows, fmt.Sprintf("| %s `%s` | %s |\n", cell(md(m.label(int32(v)))), cell(code(n.ID)), cell(orDefault(joinN(users, 10), "nothing references it"))))
	}
	if len(rows) == 0 {
		io.WriteString(b, "None.\n\n")
		return
	}
	io.WriteString(b, "| host | used by |\n|---|---|\n")
	for _, r := range rows {
		io.WriteString(b, r)
	}
	io.WriteString(b, "\n")
}

func originWords(e *graph.Edge) string {
	if e.Origin == graph.Rule || e.Origin == graph.LLM {
		return fmt.Sprintf("%s, %.2f", e.Origin, e.Confidence)
	}
	return "observed"
}

// --- one section per system ---------------------------------------------------------------------

// systemSection is system v's section with its shorter variants, for a size budget.
func (m *model) systemSection(v int32, slugs *slugSet) system {
	return system{id: v, radius: m.digestOf(v).radius, anchor: slugs.of[v], heading: m.heading(v),
		full:  string(m.appendSection(nil, v, slugs, 0)),
		short: func(level int) string { return string(m.appendSection(nil, v, slugs, level)) }}
}

// appendSection appends system v's section to b: in full (level 0), compact (1) or as one
// line (2). Its parts are written into b as they are made, not joined first.
func (m *model) appendSection(b []byte, v int32, slugs *slugSet, level int) []byte {
	n := m.nodes[v]
	a := m.digestOf(v)
	anchor := slugs.of[v]
	if level == 2 {
		see := output.GraphFile + " and " + output.Diagram(anchor)
		if !m.drawn(v) {
			see = output.GraphFile + " (this system has no diagram of its own: see " + output.Diagram(moreUnitsSlug) + ")"
		}
		return fmt.Appendf(b, "<a id=\"%s\"></a>\n### %s\n\n`%s` · blast radius %d · detail trimmed by the size budget; see %s.\n\n",
			anchor, m.heading(v), code(n.ID), a.radius, see)
	}
	b = append(b, "<a id=\""...)
	b = append(b, anchor...)
	b = append(b, "\"></a>\n### "...)
	b = m.appendHeading(b, v)
	b = append(b, "\n\n`"...)
	b = appendCode(b, n.ID)
	b = append(b, '`')
	if n.Source != "" {
		b = append(b, " · source "...)
		b = appendMD(b, n.Source)
	}
	b = append(b, " · blast radius "...)
	b = strconv.AppendInt(b, int64(a.radius), 10)
	if n.Stale {
		b = append(b, " · **STALE** since "...)
		b = append(b, orDefault(n.StaleSince, "an earlier scan")...)
		b = append(b, ": not seen in this scan"...)
	}
	b = append(b, "\n\n- **What**: "...)
	b = appendMD(b, orDefault(m.kinds[v].Description, m.kindOf(v)))
	b = appendAttrSummary(b, n, 12)
	b = append(b, "\n- **Where it runs**: "...)
	b = m.appendWhere(b, v, slugs)
	b = append(b, '\n')
	if level == 0 {
		if domains := m.domains(v); domains != "" {
			b = append(b, "- **Domains**: "...)
			b = append(b, domains...)
			b = append(b, '\n')
		}
		if contains := m.containsSummary(v); contains != "" {
			b = append(b, "- **Contains**: "...)
			b = append(b, contains...)
			b = append(b, '\n')
		}
	}
	b = append(b, "- **Depends on** (direct):"...)
	b = appendList(b, capList(m.directDeps(v, slugs, true)))
	if level == 0 {
		b = append(b, "\n- **Depends on** (transitive): "...)
		b = append(b, orDefault(m.reachList(v, slugs), "nothing")...)
		b = append(b, "\n- **Depended on by** (direct):"...)
		b = appendList(b, capList(m.directDeps(v, slugs, false)))
	}
	b = append(b, "\n- **If this goes down, these break** (transitive, blast radius "...)
	b = strconv.AppendInt(b, int64(a.radius), 10)
	b = append(b, "): "...)
	b = append(b, orDefault(m.breaksList(v, a, slugs), "nothing breaks")...)
	b = append(b, '\n')
	b = append(b, m.stateLines(a, slugs)...)
	if level == 0 {
		b = append(b, m.narrativeText(m.id(v))...)
	}
	return append(b, '\n')
}

// heading is a system section's title (and its line in the contents).
func (m *model) heading(v int32) string { return md(m.label(v)) + " (" + m.kindOf(v) + ")" }

// appendHeading appends heading(v).
func (m *model) appendHeading(b []byte, v int32) []byte {
	b = appendMD(b, m.label(v))
	b = append(b, " ("...)
	b = append(b, m.kindOf(v)...)
	return append(b, ')')
}

// idAttr reports whether an attribute holds an identifier (urn, project_id, vpc_uuid): the node's
// id line and graph.json have those; in prose they spend an agent's context on noise.
func idAttr(k string) bool {
	return k == "urn" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_ids") || strings.HasSuffix(k, "_uuid") || strings.HasSuffix(k, ".id")
}

// appendAttrSummary appends " " and a node's scalar attributes in parentheses (not env-derived
// facts, which the dependency lists already explain), up to max of them, or nothing when there
// are none.
func appendAttrSummary(b []byte, n *graph.Node, max int) []byte {
	shown, total := 0, 0
	for _, k := range n.Attrs.Keys() {
		if strings.HasPrefix(k, "env.") || strings.HasPrefix(k, "value.") || idAttr(k) {
			continue
		}
		total++
		if shown == max {
			continue
		}
		if shown == 0 {
			b = append(b, " ("...)
		} else {
			b = append(b, "; "...)
		}
		shown++
		var v string
		if s, ok := n.Attrs[k].(string); ok {
			v = s
		} else {
			vs, _ := n.AttrValues(k)
			v = strings.Join(vs, ", ")
		}
		if len(v) > 80 { // more than 80 runes needs more than 80 bytes
			if r := []rune(v); len(r) > 80 {
				v = string(r[:79]) + "…"
			}
		}
		b = appendMD(b, k)
		b = append(b, " `"...)
		b = appendCode(b, v)
		b = append(b, '`')
	}
	if total > max {
		b = append(b, " and "...)
		b = strconv.AppendInt(b, int64(total-max), 10)
		b = append(b, " more attributes"...)
	}
	if shown > 0 {
		b = append(b, ')')
	}
	return b
}

// appendWhere appends where system v runs: its provider and account path, the system containing
// it, its region and what it runs on.
func (m *model) appendWhere(b []byte, v int32, slugs *slugSet) []byte {
	n := m.nodes[v]
	b = append(b, m.providerTitle(n.Provider)...)
	var chain []int32 // org ancestors, nearest first (groupsOf's path, reversed)
	for o := m.org[v]; o >= 0 && !slices.Contains(chain, o); o = m.org[o] {
		chain = append(chain, o)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		b = append(b, " › "...)
		b = appendMD(b, m.label(chain[i]))
		b = append(b, " ("...)
		b = appendMD(b, m.kindOf(chain[i]))
		b = append(b, ')')
	}
	if p := m.owningSystem(v); p >= 0 {
		b = append(b, "; inside "...)
		b = append(b, m.ref(p, slugs)...)
	}
	for _, k := range []string{"region", "regions"} {
		if vs, ok := n.AttrValues(k); ok {
			b = append(b, "; "...)
			b = append(b, k...)
			b = append(b, " `"...)
			b = appendCode(b, strings.Join(vs, ", "))
			b = append(b, '`')
		}
	}
	var on []int32
	for _, u := range m.unit(v) {
		for _, j := range m.out.of(u) {
			if r := m.rep[m.to[j]]; m.edges[j].Type == "runs_on" && r != v && !slices.Contains(on, r) {
				on = append(on, r)
			}
		}
	}
	for i, r := range on {
		if i == 0 {
			b = append(b, "; runs on "...)
		} else {
			b = append(b, ", "...)
		}
		b = append(b, m.ref(r, slugs)...)
	}
	return b
}

// domains lists the host names the system answers to: its own and its members' host identities,
// and the DNS records that resolve or route to it.
func (m *model) domains(v int32) string {
	var hosts []string
	for _, u := range m.unit(v) {
		n := m.nodes[u]
		for _, a := range hostAttrs(m.kinds[u], n) {
			vs, _ := n.AttrValues(a)
			hosts = append(hosts, vs...)
		}
		for _, j := range m.in.of(u) {
			e, f := m.edges[j], m.from[j]
			if (e.Type == "resolves_to" || e.Type == "routes_to") && m.kinds[f].Category == "dns" {
				src := m.nodes[f]
				for _, a := range hostAttrs(m.kinds[f], src) {
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

// hostAttrs is k.AttrsOfType(true, schemas.TypeHost, n.Attrs.Keys()): the attributes naming n's
// host identities, sorted; only those are sorted (a hub's members each have a dozen others).
func hostAttrs(k schemas.Kind, n *graph.Node) []string {
	decl := k.Identities[schemas.TypeHost]
	if len(decl) == 0 {
		return nil
	}
	var out []string
	for a := range n.Attrs {
		for _, p := range decl {
			if schemas.MatchAttr(p, a) {
				out = append(out, a)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func (m *model) containsSummary(v int32) string {
	ms := m.members.of(v)
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
func (m *model) directDeps(v int32, slugs *slugSet, forward bool) []string {
	// Edges between a member of this system and a member of another (a Compose project's
	// containers running the engine's images, mounting its volumes) are counted per system and
	// type, not listed one per row.
	type key struct {
		node int32
		typ  string
	}
	type group struct {
		rep   int32
		typ   string
		names []string           // the first three member names
		seen  map[[2]string]bool // every name (md label, kind words): how many
	}
	var groups []*group
	var byKey map[key]*group
	var out []string
	own := map[key]bool{} // (other end, type) of the system's own dependency edges
	edges := func(u int32) []int32 {
		if forward {
			return m.out.of(u)
		}
		return m.in.of(u)
	}
	other := func(j int32) int32 {
		if forward {
			return m.to[j]
		}
		return m.from[j]
	}
	for _, j := range edges(v) {
		own[key{other(j), m.edges[j].Type}] = true
	}
	for _, u := range m.unit(v) {
		for _, j := range edges(u) {
			e, o := m.edges[j], other(j)
			if !m.dep[j] || m.rep[o] == v || (u != v && own[key{o, e.Type}]) {
				continue
			}
			if r := m.rep[o]; r != o && u != v && e.Origin == graph.Observed {
				k := key{r, e.Type}
				g := byKey[k]
				if g == nil {
					if byKey == nil {
						byKey = map[key]*group{}
					}
					g = &group{rep: r, typ: e.Type, seen: map[[2]string]bool{}}
					byKey[k] = g
					groups = append(groups, g)
				}
				if name := [2]string{md(m.label(o)), m.kindOf(o)}; !g.seen[name] {
					g.seen[name] = true
					if len(g.names) < 3 {
						g.names = append(g.names, name[0]+" ("+name[1]+")")
					}
				}
				continue
			}
			line := m.nodeRef(o, slugs) + ": " + e.Type + " (" + originWords(e) + ")"
			var via []string
			if u != v {
				via = append(via, md(m.label(u))+" ("+m.kindOf(u)+")")
			}
			if len(e.Via) > 0 { // SettingsOf reads Via alone
				for _, s := range query.SettingsOf(m.g, *e) {
					if sv, ok := m.node(s.ID); ok && sv != u && m.rep[sv] == m.rep[m.from[j]] { // the source side's settings: what to update
						via = append(via, md(s.Words()))
					}
				}
			}
			if len(via) > 0 {
				line += ", via " + strings.Join(via, ", ")
			}
			out = append(out, line)
		}
	}
	for _, g := range groups {
		names := joinCount(g.names, len(g.seen), 3)
		if forward {
			out = append(out, fmt.Sprintf("%s: %s %s, from its members", m.ref(g.rep, slugs), g.typ, names))
		} else {
			out = append(out, fmt.Sprintf("%s: %s, from %s", m.ref(g.rep, slugs), g.typ, names))
		}
	}
	return uniq(out)
}

// maxReach caps a transitive list (nearest first): in a long chain of calls every system
// reaches every other, and the lists would grow with the square of the estate.
const maxReach = 12

// reachList is what rep v depends on transitively, nearest first: the first maxReach and a
// count of the rest. The count comes from the restore order's one pass, so a system in a long
// chain does not walk the chain (a walk per system was quadratic).
func (m *model) reachList(v int32, slugs *slugSet) string {
	var parts []string
	for i, r := range m.nearDeps(v) {
		if i == maxReach {
			parts = append(parts, fmt.Sprintf("and %d more further away (graph.json has them all)", m.restore().Reached(m.id(v))-maxReach))
			break
		}
		parts = append(parts, m.ref(m.numOf(r.ID), slugs)+" ("+strconv.Itoa(r.Distance)+")")
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

func appendList(b []byte, items []string) []byte {
	if len(items) == 0 {
		return append(b, " nothing"...)
	}
	for _, it := range items {
		b = append(b, "\n  - "...)
		b = append(b, it...)
	}
	return b
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

// appendMD appends md(s).
func appendMD(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || strings.IndexByte("\\`*[]<>|", c) >= 0 {
			return append(b, md(s)...)
		}
	}
	return append(b, s...)
}

// appendCode appends code(s).
func appendCode(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '`' {
			return append(b, code(s)...)
		}
	}
	return append(b, s...)
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

// appendCell appends cell(s).
func appendCell[T string | []byte](b []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '|' && (i == 0 || s[i-1] != '\\'):
			b = append(b, '\\', '|')
		case s[i] == '\n':
			b = append(b, ' ')
		default:
			b = append(b, s[i])
		}
	}
	return b
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

// joinCount is joinN(all, n) given only the first n (or more) of all's total items.
func joinCount(first []string, total, n int) string {
	if total <= len(first) {
		return joinN(first, n)
	}
	return joinN(first[:min(n, len(first))], n) + fmt.Sprintf(" and %d more", total-min(n, len(first)))
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
