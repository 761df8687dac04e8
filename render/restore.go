package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/graph"
)

// The restore order: after an outage, which systems come back first. It is computed over the
// lifted graph (what each system's "Depends on" follows) by graph.RestoreOrder, which also finds
// the dependency cycles and counts the transitive lists.

// restore is the lifted graph's restore order, computed once.
func (m *model) restore() *graph.Order {
	if m.order == nil {
		m.order = m.lifted.RestoreOrder(nil)
	}
	return m.order
}

// nearDeps is the start of what rep id depends on, transitively, nearest first: at least
// maxReach+1 reps when it has that many (Order.Reached counts them all, asked only then),
// computed once.
func (m *model) nearDeps(v int32) []graph.Reached {
	if m.near == nil {
		m.near = map[int32][]graph.Reached{}
	}
	r, ok := m.near[v]
	if !ok {
		r, _ = m.lifted.ReachFirst(m.id(v), true, maxReach+1, nil)
		m.near[v] = r
	}
	return r
}

// restoreSteps is what rep id depends on, in restore order, when it depends on at most maxReach
// reps (all of them); otherwise the nearest maxReach in restore order, and false.
func (m *model) restoreSteps(v int32) ([]string, bool) {
	near := m.nearDeps(v)
	all := len(near) <= maxReach // ReachFirst returned everything: no count needed
	ids := make([]string, 0, min(len(near), maxReach))
	for i, r := range near {
		if i == maxReach {
			break
		}
		ids = append(ids, r.ID)
	}
	m.restore().Sort(ids)
	return ids, all
}

// systemIDs is the systems' ids, sorted.
func (m *model) systemIDs() []string {
	ids := make([]string, len(m.systems))
	for i, v := range m.systems {
		ids[i] = m.id(v)
	}
	return ids
}

// waveWords is "wave 3", or "wave 3, cycle" for a rep in a dependency cycle.
func (m *model) waveWords(id string) string {
	w := "wave " + strconv.Itoa(m.restore().Wave(id))
	if m.restore().InCycle(id) {
		w += ", cycle"
	}
	return w
}

// restoreSection is INFRA.md's "Restore order": the dependency cycles, then every system by
// wave with what to bring back before it.
func (m *model) restoreSection(w io.Writer, slugs *slugSet) {
	o := m.restore()
	var b strings.Builder
	m.restoreHead(&b, slugs)
	io.WriteString(w, b.String())
	if len(m.systems) == 0 {
		return
	}
	systems := m.systemIDs()
	o.Sort(systems)
	// one row per wave and list: a hub's thousands of droplets, each needing the same VPC first,
	// are one row, not thousands
	type row struct {
		wave, first string
		systems     []string
	}
	var rows []*row
	byKey := map[[2]string]*row{}
	for _, id := range systems {
		v := m.numOf(id)
		steps, all := m.restoreSteps(v)
		words := make([]string, len(steps))
		for i, s := range steps {
			sv := m.numOf(s)
			words[i] = md(m.label(sv)) + " (" + m.kindOf(sv) + ", " + m.waveWords(s) + ")"
		}
		first := strings.Join(words, ", ")
		switch {
		case len(steps) == 0:
			first = "nothing"
		case !all:
			first = fmt.Sprintf("%d systems and services, wave by wave; the nearest: %s", o.Reached(id), first)
		}
		wave := strconv.Itoa(o.Wave(id))
		if o.InCycle(id) {
			wave += " (cycle)"
		}
		k := [2]string{wave, first}
		r := byKey[k]
		if r == nil {
			r = &row{wave: wave, first: first}
			byKey[k] = r
			rows = append(rows, r)
		}
		r.systems = append(r.systems, m.ref(v, slugs))
	}
	io.WriteString(w, "| wave | system | restore first, in order |\n|---:|---|---|\n")
	for _, r := range rows {
		names := joinN(r.systems, maxReach)
		if len(r.systems) > maxReach {
			names += " (`discover query restore` lists them)"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.wave, cell(names), cell(r.first))
	}
	io.WriteString(w, "\n")
}

// restoreHead writes the section's heading, what it means and the dependency cycles.
func (m *model) restoreHead(b *strings.Builder, slugs *slugSet) {
	b.WriteString("<a id=\"restore-order\"></a>\n## Restore order\n\n")
	b.WriteString("After an outage, bring systems back dependencies first, top to bottom: wave 1 depends on nothing, each later wave only on earlier waves (or on its own dependency cycle). Dependencies are those of each system's \"Depends on\": dependency edges lifted to systems. `discover query restore <system>` lists one system's order in full.\n\n")
	b.WriteString("<a id=\"dependency-cycles\"></a>\n### Dependency cycles\n\n")
	cycles := m.restore().Cycles()
	if len(cycles) == 0 {
		b.WriteString("None: every system can come back after what it depends on.\n\n")
		return
	}
	b.WriteString("These depend on each other, directly or through others: none of them can come back first. Restore each group together, and break the cycle where you can.\n\n")
	for i, c := range cycles {
		if i == maxListed {
			fmt.Fprintf(b, "- and %d more cycles (`discover query restore` lists them)\n", len(cycles)-maxListed)
			break
		}
		refs := make([]string, len(c))
		for i, id := range c {
			refs[i] = m.ref(m.numOf(id), slugs)
		}
		fmt.Fprintf(b, "- %s\n", joinN(refs, maxReach))
	}
	b.WriteString("\n")
}

// maxListed caps the cycles and waves the section lists.
const maxListed = 40

// restoreShort is the section in short, for a size budget: the cycles and the systems of each
// wave by name.
func (m *model) restoreShort(slugs *slugSet) string {
	var b strings.Builder
	m.restoreHead(&b, slugs)
	waves := map[int][]string{}
	top := 0
	for _, v := range m.systems {
		w := m.restore().Wave(m.id(v))
		waves[w] = append(waves[w], "["+md(m.label(v))+"](#"+slugs.of[v]+")")
		top = max(top, w)
	}
	listed := 0
	for w := 1; w <= top; w++ {
		if len(waves[w]) == 0 {
			continue
		}
		if listed == maxListed {
			fmt.Fprintf(&b, "- and more waves, up to %d (`discover query restore` lists them)\n", top)
			break
		}
		fmt.Fprintf(&b, "- Wave %d: %s\n", w, joinN(waves[w], maxListed))
		listed++
	}
	b.WriteString("\n")
	return b.String()
}

// shortenRestore swaps the restore order for its short form, if the document has one and it is
// not short already: the budget's second cut, after the per-kind table (the waves and the cycles
// stay; what to restore before each system is one question away).
func (d *infraDoc) shortenRestore() bool {
	for i := range d.tail {
		if p := &d.tail[i]; p.name == "restore order" && !p.stubbed && p.text() != p.stub {
			p.stubbed = true
			return true
		}
	}
	return false
}

// omitRestore drops the restore order (the budget's cut after the long tables; the trim note
// says so, and `discover query restore` answers) and returns how many bytes that saved. Nothing
// stays of it: at the budget's floor every byte counts.
func (d *infraDoc) omitRestore() int {
	for i := range d.tail {
		if p := &d.tail[i]; p.name == "restore order" && p.text() != "" {
			before := len(p.text())
			p.stub, p.stubbed = "", true
			return before
		}
	}
	return 0
}

// restorePart is the section as a part of INFRA.md, its short form the budget's second cut.
func (m *model) restorePart(slugs *slugSet) part {
	return part{name: "restore order", gen: func(w io.Writer) { m.restoreSection(w, slugs) },
		stubGen: func() string { return m.restoreShort(slugs) }}
}

// RestoreStep is one system or service in a restore order.
type RestoreStep struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Kind  string `json:"kind" jsonschema:"provider and kind, as INFRA.md names it"`
	Wave  int    `json:"wave" jsonschema:"restore wave: 1 depends on nothing, each later wave only on earlier ones or its own cycle"`
	Cycle bool   `json:"cycle,omitempty" jsonschema:"part of a dependency cycle: restore it with the others of its cycle"`
}

// RestorePlan is INFRA.md's restore order as data, for `discover query restore` and the MCP
// server: the same lifted graph, waves and cycles.
type RestorePlan struct {
	// System is the system asked about ("" for the whole estate), Steps what to bring back before
	// it and the system itself last; for the whole estate, every system.
	System string        `json:"system,omitempty"`
	Steps  []RestoreStep `json:"steps" jsonschema:"dependencies first: by wave, then id"`
	Cycles [][]string    `json:"cycles" jsonschema:"dependency cycles between systems and services, node ids"`
}

// Restore returns the restore order of the system holding id (a node id, or "" for every system).
func Restore(g *graph.Graph, id string) (RestorePlan, error) {
	m, err := newModel(g)
	if err != nil {
		return RestorePlan{}, err
	}
	o := m.restore()
	p := RestorePlan{Steps: []RestoreStep{}, Cycles: o.Cycles()}
	if p.Cycles == nil {
		p.Cycles = [][]string{}
	}
	var ids []string
	if id == "" {
		ids = m.systemIDs()
	} else {
		v, ok := m.node(id)
		if !ok {
			return RestorePlan{}, fmt.Errorf("%s: %w", id, graph.ErrNodeNotFound)
		}
		rep := m.id(m.rep[v])
		p.System = rep
		rs, _ := m.lifted.Reach(rep, true, 0, nil) // one question: the whole list
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
	}
	o.Sort(ids)
	if p.System != "" {
		ids = append(ids, p.System)
	}
	for _, s := range ids {
		v := m.numOf(s)
		p.Steps = append(p.Steps, RestoreStep{ID: s, Name: m.label(v), Kind: m.kindOf(v), Wave: o.Wave(s), Cycle: o.InCycle(s)})
	}
	return p, nil
}
