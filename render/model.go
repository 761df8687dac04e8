package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/schemas"
)

// model is what the Mermaid and markdown renderers share: the vocabulary's view of every node
// (category, system flag), who contains whom, which system each node belongs to, and the system
// dependency graph that impact analysis walks. Everything is sorted, so every output built from
// it is deterministic.
type model struct {
	g     *graph.Graph
	vocab *schemas.Vocabulary
	nodes []graph.Node // sorted by id
	edges []graph.Edge // sorted by (from, to, type)
	// out and in are each node's edges, sorted like edges (built from it in one pass, so a
	// renderer asks the graph for neither a copy nor a sort per node).
	out, in map[string][]*graph.Edge
	byID    map[string]*graph.Node
	kinds   map[string]schemas.Kind // by node id; zero Kind for undeclared kinds

	parents  map[string][]string // containment parents, sorted
	children map[string][]string // containment children, sorted

	// rep maps every node to the unit it is drawn and reasoned about with: itself for a system,
	// an org or external node, otherwise its nearest system ancestor, otherwise the top of its
	// containment chain below the org level (a DNS record's domain).
	rep     map[string]string
	members map[string][]string // rep -> nodes it represents, itself excluded, sorted
	systems []string            // system node ids, sorted
	org     map[string]string   // node -> nearest org ancestor ("" none)

	// lifted is the dependency graph between reps: rep(u) -> rep(v) for every dependency edge
	// u -> v, and a contained system -> the system containing it (a compose project runs on its
	// engine). graph.Reach over it answers "depends on" (forward) and "depended on by" (back).
	lifted *graph.Graph
	// drawnSet is drawnUnits(), once computed (see drawn).
	drawnSet map[string]bool
	// impact caches query.Analyze per node: the one impact answer INFRA.md shares with `discover
	// query impact`, the MCP server and the HTTP API. It is computed only for the nodes the
	// document shows (its systems and the critical components).
	impact map[string]query.Summary
	crit   []query.Ranked // query.Critical, once: the full and the short table share it
	// index is query's impact walk prepared once for this graph (dense node numbers, classed
	// edges, visited marks reused across walks): INFRA.md asks it for every system.
	index *query.ImpactIndex
	// narratives are INFRA.md's model-written system narratives (InfraOptions.Narratives).
	narratives map[string]Narrative
	// order and near serve the transitive lists and the restore order (restore.go): the lifted
	// graph's cycles, waves and reach counts in one pass, and each rep's nearest dependencies.
	order *graph.Order
	near  map[string][]graph.Reached
	// owner caches owningSystem, asked for every node and again per system; kindLabels caches
	// kindLabel per provider and kind (asked for nearly every name written).
	owner      map[string]string
	kindLabels map[[2]string]string
}

// drawn is the set of units that get a diagram of their own.
func (m *model) drawn() map[string]bool {
	if m.drawnSet == nil {
		m.drawnSet = m.drawnUnits()
	}
	return m.drawnSet
}

func newModel(g *graph.Graph) (*model, error) {
	vocab, err := schemas.Load()
	if err != nil {
		return nil, fmt.Errorf("load vocabulary: %w", err)
	}
	nodes := g.Nodes()
	n := len(nodes)
	m := &model{
		g: g, vocab: vocab, nodes: nodes, edges: g.Edges(),
		out: make(map[string][]*graph.Edge, n), in: make(map[string][]*graph.Edge, n),
		byID: make(map[string]*graph.Node, n), kinds: make(map[string]schemas.Kind, n),
		parents: make(map[string][]string, n), children: map[string][]string{},
		rep: make(map[string]string, n), members: map[string][]string{}, org: make(map[string]string, n),
		impact: map[string]query.Summary{}, owner: make(map[string]string, n), kindLabels: map[[2]string]string{},
	}
	for i := range m.nodes {
		n := &m.nodes[i]
		m.byID[n.ID] = n
		k, _ := vocab.Kind(n.Provider, n.Kind)
		m.kinds[n.ID] = k
		if k.System {
			m.systems = append(m.systems, n.ID)
		}
	}
	for i := range m.edges { // sorted, so every list built here comes out sorted
		e := &m.edges[i]
		m.out[e.From] = append(m.out[e.From], e)
		m.in[e.To] = append(m.in[e.To], e)
		if m.category(e.Type) == schemas.Containment {
			m.parents[e.To] = append(m.parents[e.To], e.From)
			m.children[e.From] = append(m.children[e.From], e.To)
		}
	}
	for _, n := range m.nodes {
		m.rep[n.ID] = m.findRep(n.ID)
	}
	for _, n := range m.nodes {
		m.org[n.ID] = m.nearest(n.ID, m.isGroup)
	}
	for _, n := range m.nodes {
		if r := m.rep[n.ID]; r != n.ID {
			m.members[r] = append(m.members[r], n.ID)
		}
	}
	m.lift()
	return m, nil
}

// category returns an edge type's category ("" when the type is not declared).
func (m *model) category(typ string) string { return m.vocab.EdgeTypes[typ].Category }

func (m *model) isDependency(e graph.Edge) bool { return m.category(e.Type) == schemas.Dependency }

func (m *model) isSystem(id string) bool { return m.kinds[id].System }

// isGroup reports whether id is drawn as a subgraph around what it contains (a team, an account,
// a project of resources) rather than as a node: an org outside any system.
func (m *model) isGroup(id string) bool { return m.kinds[id].Category == "org" && m.rep[id] == id }

// nearest walks containment parents breadth-first and returns the closest ancestor passing ok
// (ties broken by id), or "".
func (m *model) nearest(id string, ok func(string) bool) string {
	if len(m.parents[id]) == 0 {
		return "" // most nodes of a large estate: no map to allocate
	}
	seen := map[string]bool{id: true}
	level := m.parents[id]
	for len(level) > 0 {
		var next []string
		for _, p := range level { // sorted within a level
			if seen[p] {
				continue
			}
			seen[p] = true
			if ok(p) {
				return p
			}
			next = append(next, m.parents[p]...)
		}
		sort.Strings(next)
		level = next
	}
	return ""
}

// ancestors returns every containment ancestor of id with its distance.
func (m *model) ancestors(id string) map[string]int {
	dist := map[string]int{}
	level, d := m.parents[id], 1
	for len(level) > 0 {
		var next []string
		for _, p := range level {
			if _, seen := dist[p]; seen || p == id {
				continue
			}
			dist[p] = d
			next = append(next, m.parents[p]...)
		}
		level, d = next, d+1
	}
	return dist
}

// owningSystem is the most specific system containing id: among its system ancestors, one that
// contains no other (a container listed under both its engine and its compose service belongs to
// the compose project), the nearest, then the smallest id.
func (m *model) owningSystem(id string) string {
	if s, ok := m.owner[id]; ok {
		return s
	}
	s := m.findOwningSystem(id)
	m.owner[id] = s
	return s
}

func (m *model) findOwningSystem(id string) string {
	if len(m.parents[id]) == 0 {
		return ""
	}
	anc := m.ancestors(id)
	var cands []string
	for a := range anc {
		if m.isSystem(a) {
			cands = append(cands, a)
		}
	}
	best := ""
	for _, c := range cands {
		specific := true
		for _, o := range cands {
			if o != c {
				if _, ok := m.ancestors(o)[c]; ok {
					specific = false
					break
				}
			}
		}
		if !specific {
			continue
		}
		if best == "" || anc[c] < anc[best] || (anc[c] == anc[best] && c < best) {
			best = c
		}
	}
	return best
}

func (m *model) findRep(id string) string {
	k := m.kinds[id]
	if k.System {
		return id
	}
	if s := m.owningSystem(id); s != "" {
		return s // an org inside a system (an Odoo company) is part of it
	}
	if k.Category == "org" || k.Category == "external" {
		return id
	}
	// The top of the containment chain below any org: a DNS record belongs to its domain.
	cur, seen := id, map[string]bool{id: true}
	for {
		next := ""
		for _, p := range m.parents[cur] {
			if m.kinds[p].Category != "org" && !seen[p] {
				next = p
				break
			}
		}
		if next == "" {
			return cur
		}
		seen[next] = true
		cur = next
	}
}

// lift builds the rep-level dependency graph.
func (m *model) lift() {
	reps, deps := 0, len(m.systems)
	for _, n := range m.nodes {
		if m.rep[n.ID] == n.ID {
			reps++
		}
	}
	for i := range m.edges {
		if m.category(m.edges[i].Type) == schemas.Dependency {
			deps++
		}
	}
	l := graph.NewSized(reps, deps)
	for _, n := range m.nodes {
		if m.rep[n.ID] == n.ID {
			_ = l.AddNode(graph.Node{ID: n.ID, Kind: n.Kind, Provider: n.Provider, Name: n.Name})
		}
	}
	add := func(from, to string, e graph.Edge) {
		if from == to {
			return
		}
		_ = l.AddEdge(graph.Edge{From: from, To: to, Type: "depends_on", Origin: e.Origin, Confidence: e.Confidence})
	}
	for _, e := range m.edges {
		if m.isDependency(e) {
			add(m.rep[e.From], m.rep[e.To], e)
		}
	}
	for _, s := range m.systems {
		if p := m.owningSystem(s); p != "" {
			add(s, p, graph.Edge{Origin: graph.Observed, Confidence: 1})
		}
	}
	m.lifted = l
}

// analysis is query.Analyze of id by node ids, computed once.
func (m *model) analysis(id string) query.Summary {
	a, ok := m.impact[id]
	if !ok {
		a = m.impacts().Summary(id)
		m.impact[id] = a
	}
	return a
}

// impacts is query's impact index over m.g, prepared on first use.
func (m *model) impacts() *query.ImpactIndex {
	if m.index == nil {
		m.index, _ = query.NewImpactIndexOf(m.g, m.nodes, m.edges) // only the vocabulary can fail, and newModel loaded it
	}
	return m.index
}

// unit returns a rep and its members, the rep first.
func (m *model) unit(rep string) []string {
	return append([]string{rep}, m.members[rep]...)
}

// label is a node's display name: its name, or its native id.
func (m *model) label(id string) string {
	if n := m.byID[id]; n != nil && n.Name != "" {
		return n.Name
	}
	if _, _, native, err := graph.ParseID(id); err == nil {
		return native
	}
	return id
}

// kindLabel is "vercel project", "docker compose project".
func kindLabel(provider, kind string) string {
	return provider + " " + strings.ReplaceAll(kind, "_", " ")
}

func (m *model) kindOf(id string) string {
	n := m.byID[id]
	if n == nil {
		return ""
	}
	k := [2]string{n.Provider, n.Kind}
	l, ok := m.kindLabels[k]
	if !ok {
		l = kindLabel(n.Provider, n.Kind)
		m.kindLabels[k] = l
	}
	return l
}

// slugs assigns every system (and any other rep that gets a diagram) a stable, unique slug
// "<provider>-<kind>-<name>", the anchor of its INFRA.md section and the name of its diagram.
// On a clash the native id disambiguates.
func (m *model) slugs(ids []string) map[string]string {
	base := map[string][]string{}
	for _, id := range ids {
		n := m.byID[id]
		b := slugify(n.Provider + "-" + n.Kind + "-" + m.label(id))
		base[b] = append(base[b], id)
	}
	out := map[string]string{}
	used := map[string]bool{}
	keys := make([]string, 0, len(base))
	for b := range base {
		keys = append(keys, b)
		used[b] = true
	}
	sort.Strings(keys)
	for _, b := range keys {
		ids := base[b]
		if len(ids) == 1 {
			out[ids[0]] = b
			continue
		}
		sort.Strings(ids)
		for _, id := range ids {
			_, _, native, _ := graph.ParseID(id)
			s := slugify(b + "-" + native)
			// The native id may be cut off by the length cap (two names sharing their first 80
			// characters) or clash anyway: then a hash of the full id, kept inside the cap, and
			// if even that is taken a counter after it. Each candidate differs from the last, so
			// this ends for any names.
			for i := 1; used[s]; i++ {
				suffix := mid("", id)
				if i > 1 {
					suffix += "-" + strconv.Itoa(i)
				}
				s = fitSlug(b, suffix)
			}
			used[s] = true
			out[id] = s
		}
	}
	return out
}

// maxSlug caps a slug's length: it names a file and a markdown anchor.
const maxSlug = 80

// fitSlug joins a slug and a suffix, cutting the slug so the suffix always survives the cap.
func fitSlug(slug, suffix string) string {
	if keep := maxSlug - len(suffix) - 1; len(slug) > keep {
		slug = strings.TrimRight(slug[:keep], "-")
	}
	return slug + "-" + suffix
}

// slugify lower-cases s and keeps letters and digits, joining everything else into single
// hyphens: "Vercel project: Store Front" -> "vercel-project-store-front".
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "x"
	}
	out := b.String()
	if len(out) > maxSlug {
		out = strings.TrimRight(out[:maxSlug], "-")
	}
	return out
}
