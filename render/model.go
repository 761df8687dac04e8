package render

import (
	"fmt"
	"slices"
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
//
// Nodes are known by number: a node's index in nodes, which is sorted by id, so comparing two
// numbers compares the ids (as query.ImpactIndex numbers them: the same numbers). Every per-node
// fact is a slice indexed by number, not a map keyed by id: on 100,000 nodes the maps' string
// hashing and probing were the largest single cost of both renderers.
type model struct {
	g     *graph.Graph
	vocab *schemas.Vocabulary
	nodes []*graph.Node // the graph's own, sorted by id
	edges []*graph.Edge // the graph's own, sorted by (from, to, type)
	rank  []int32       // the graph's node number (graph.Graph.Index) -> the model's
	// from and to are each edge's ends by number; dep marks dependency edges.
	from, to []int32
	dep      []bool
	// out and in are each node's edges (indexes into edges), sorted like edges (built from it in
	// one pass, so a renderer asks the graph for neither a copy nor a sort per node).
	out, in csr
	kinds   []schemas.Kind // zero Kind for undeclared kinds

	parents  csr // containment parents, sorted
	children csr // containment children, sorted

	// rep maps every node to the unit it is drawn and reasoned about with: itself for a system,
	// an org or external node, otherwise its nearest system ancestor, otherwise the top of its
	// containment chain below the org level (a DNS record's domain).
	rep     []int32
	members csr     // rep -> nodes it represents, itself excluded, sorted
	systems []int32 // system nodes, sorted
	org     []int32 // node -> nearest org ancestor (-1 none)

	// lifted is the dependency graph between reps: rep(u) -> rep(v) for every dependency edge
	// u -> v, and a contained system -> the system containing it (a compose project runs on its
	// engine). graph.Reach over it answers "depends on" (forward) and "depended on by" (back).
	lifted *graph.Graph
	// drawnSet is drawnUnits(), once computed (see drawn).
	drawnSet []bool
	crit     []query.Ranked // query.Critical, once: the full and the short table share it
	// index is query's impact walk prepared once for this graph (dense node numbers, classed
	// edges, visited marks reused across walks): INFRA.md asks it for every system.
	index *query.ImpactIndex
	// digests are INFRA.md's impact digests by node, made once (digestOf); walkAll makes every
	// one by a walk (a test compares the two).
	digests []*impactDigest
	walkAll bool
	// narratives are INFRA.md's model-written system narratives (InfraOptions.Narratives).
	narratives map[string]Narrative
	// order and near serve the transitive lists and the restore order (restore.go): the lifted
	// graph's cycles, waves and reach counts in one pass, and each rep's nearest dependencies.
	order *graph.Order
	near  map[int32][]graph.Reached
	// owner is owningSystem of every node (-1 none); labels and kindLabels each node's display
	// name and "provider kind" words, built once (asked for nearly every name written).
	owner      []int32
	labels     []string
	kindLabels []string
}

// csr is a list per node number in one array (compressed sparse rows): of(v) is v's list.
type csr struct {
	start []int32 // len nodes+1
	items []int32
}

func (c *csr) of(v int32) []int32 { return c.items[c.start[v]:c.start[v+1]] }

// newCSR builds lists for n nodes from pairs (key, item) given in the order the lists keep: count
// returns how many pairs there are and each calls f with each pair in order.
func newCSR(n int, each func(f func(key, item int32))) csr {
	c := csr{start: make([]int32, n+1)}
	each(func(k, _ int32) { c.start[k+1]++ })
	for i := 1; i <= n; i++ {
		c.start[i] += c.start[i-1]
	}
	c.items = make([]int32, c.start[n])
	next := slices.Clone(c.start[:n])
	each(func(k, x int32) {
		c.items[next[k]] = x
		next[k]++
	})
	return c
}

// drawn reports whether unit v gets a diagram of its own.
func (m *model) drawn(v int32) bool {
	if m.drawnSet == nil {
		m.drawnSet = m.drawnUnits()
	}
	return m.drawnSet[v]
}

func newModel(g *graph.Graph) (*model, error) {
	vocab, err := schemas.Load()
	if err != nil {
		return nil, fmt.Errorf("load vocabulary: %w", err)
	}
	order := g.SortedIndex()
	n := len(order)
	m := &model{
		g: g, vocab: vocab, nodes: make([]*graph.Node, n), rank: make([]int32, g.IndexLen()),
		kinds: make([]schemas.Kind, n), rep: make([]int32, n), org: make([]int32, n), owner: make([]int32, n),
		labels: make([]string, n), kindLabels: make([]string, n),
	}
	var lastP, lastK, lastL string
	var lastKind schemas.Kind
	for i, gi := range order {
		nd := g.NodeAt(gi)
		m.nodes[i], m.rank[gi] = nd, int32(i)
		if i == 0 || nd.Provider != lastP || nd.Kind != lastK { // sorted by id: runs of one kind
			lastP, lastK = nd.Provider, nd.Kind
			lastKind, _ = vocab.Kind(nd.Provider, nd.Kind)
			lastL = kindLabel(nd.Provider, nd.Kind)
		}
		m.kinds[i], m.kindLabels[i] = lastKind, lastL
		if lastKind.System {
			m.systems = append(m.systems, int32(i))
		}
		m.labels[i] = labelOf(nd)
		m.owner[i] = unknown
	}
	_, ne := g.Len()
	m.edges = make([]*graph.Edge, 0, ne)
	m.from, m.to, m.dep = make([]int32, 0, ne), make([]int32, 0, ne), make([]bool, 0, ne)
	contains := make([]bool, 0, ne)
	var lastT, lastC string
	g.EachEdgeIndex(func(e *graph.Edge, f, t int32) { // sorted by (from, to, type)
		if e.Type != lastT {
			lastT, lastC = e.Type, m.category(e.Type)
		}
		m.edges = append(m.edges, e)
		m.from, m.to = append(m.from, m.rank[f]), append(m.to, m.rank[t])
		m.dep = append(m.dep, lastC == schemas.Dependency)
		contains = append(contains, lastC == schemas.Containment)
	})
	ne = len(m.edges)
	m.out = csr{start: make([]int32, n+1)}
	for j := range m.edges {
		m.out.start[m.from[j]+1]++
	}
	for i := 1; i <= n; i++ {
		m.out.start[i] += m.out.start[i-1]
	}
	m.out.items = make([]int32, ne)
	for j := range m.out.items {
		m.out.items[j] = int32(j)
	}
	m.in = newCSR(n, func(f func(k, x int32)) {
		for j := range m.edges {
			f(m.to[j], int32(j))
		}
	})
	m.parents = newCSR(n, func(f func(k, x int32)) {
		for j := range m.edges {
			if contains[j] {
				f(m.to[j], m.from[j])
			}
		}
	})
	m.children = newCSR(n, func(f func(k, x int32)) {
		for j := range m.edges {
			if contains[j] {
				f(m.from[j], m.to[j])
			}
		}
	})
	for v := range int32(n) {
		m.rep[v] = m.findRep(v)
	}
	for v := range int32(n) {
		m.org[v] = m.nearest(v, m.isGroup)
	}
	m.members = newCSR(n, func(f func(k, x int32)) {
		for v := range int32(n) {
			if r := m.rep[v]; r != v {
				f(r, v)
			}
		}
	})
	m.lift()
	return m, nil
}

// unknown marks an owningSystem not computed yet.
const unknown = -2

// node returns the number of a node id, and whether the graph has it.
func (m *model) node(id string) (int32, bool) {
	gi, ok := m.g.Index(id)
	if !ok {
		return 0, false
	}
	return m.rank[gi], true
}

// numOf is the number of a node id the graph has.
func (m *model) numOf(id string) int32 {
	v, _ := m.node(id)
	return v
}

// has reports whether the graph has a node id.
func (m *model) has(id string) bool {
	_, ok := m.node(id)
	return ok
}

// id is node v's id.
func (m *model) id(v int32) string { return m.nodes[v].ID }

// category returns an edge type's category ("" when the type is not declared).
func (m *model) category(typ string) string { return m.vocab.EdgeTypes[typ].Category }

func (m *model) isSystem(v int32) bool { return m.kinds[v].System }

// isGroup reports whether v is drawn as a subgraph around what it contains (a team, an account,
// a project of resources) rather than as a node: an org outside any system.
func (m *model) isGroup(v int32) bool { return m.kinds[v].Category == "org" && m.rep[v] == v }

// nearest walks containment parents breadth-first and returns the closest ancestor passing ok
// (ties broken by id), or -1.
func (m *model) nearest(v int32, ok func(int32) bool) int32 {
	level := m.parents.of(v)
	if len(level) == 0 {
		return -1 // most nodes of a large estate: nothing to allocate
	}
	seen := map[int32]bool{v: true}
	for len(level) > 0 {
		var next []int32
		for _, p := range level { // sorted within a level
			if seen[p] {
				continue
			}
			seen[p] = true
			if ok(p) {
				return p
			}
			next = append(next, m.parents.of(p)...)
		}
		slices.Sort(next)
		level = next
	}
	return -1
}

// ancestor is a containment ancestor and its distance.
type ancestor struct{ v, d int32 }

// ancestors returns every containment ancestor of v with its distance, nearest first (a short
// list: containment is a few levels deep).
func (m *model) ancestors(v int32) []ancestor {
	var out []ancestor
	has := func(p int32) bool {
		for _, a := range out {
			if a.v == p {
				return true
			}
		}
		return false
	}
	level, d := m.parents.of(v), int32(1)
	for len(level) > 0 {
		var next []int32
		for _, p := range level {
			if p == v || has(p) {
				continue
			}
			out = append(out, ancestor{p, d})
			next = append(next, m.parents.of(p)...)
		}
		level, d = next, d+1
	}
	return out
}

// owningSystem is the most specific system containing v (-1 none): among its system ancestors,
// one that contains no other (a container listed under both its engine and its compose service
// belongs to the compose project), the nearest, then the smallest id.
func (m *model) owningSystem(v int32) int32 {
	if s := m.owner[v]; s != unknown {
		return s
	}
	s := m.findOwningSystem(v)
	m.owner[v] = s
	return s
}

func (m *model) findOwningSystem(v int32) int32 {
	if len(m.parents.of(v)) == 0 {
		return -1
	}
	var cands []ancestor
	for _, a := range m.ancestors(v) {
		if m.isSystem(a.v) {
			cands = append(cands, a)
		}
	}
	best := ancestor{-1, 0}
	for _, c := range cands {
		specific := true
		for _, o := range cands {
			if o.v != c.v && slices.ContainsFunc(m.ancestors(o.v), func(a ancestor) bool { return a.v == c.v }) {
				specific = false
				break
			}
		}
		if !specific {
			continue
		}
		if best.v < 0 || c.d < best.d || (c.d == best.d && c.v < best.v) {
			best = c
		}
	}
	return best.v
}

func (m *model) findRep(v int32) int32 {
	k := m.kinds[v]
	if k.System {
		return v
	}
	if s := m.owningSystem(v); s >= 0 {
		return s // an org inside a system (an Odoo company) is part of it
	}
	if k.Category == "org" || k.Category == "external" {
		return v
	}
	// The top of the containment chain below any org: a DNS record belongs to its domain.
	cur, seen := v, []int32{v}
	for {
		next := int32(-1)
		for _, p := range m.parents.of(cur) {
			if m.kinds[p].Category != "org" && !slices.Contains(seen, p) {
				next = p
				break
			}
		}
		if next < 0 {
			return cur
		}
		seen = append(seen, next)
		cur = next
	}
}

// lift builds the rep-level dependency graph.
func (m *model) lift() {
	reps, deps := 0, len(m.systems)
	for v := range m.rep {
		if m.rep[v] == int32(v) {
			reps++
		}
	}
	for j := range m.edges {
		if m.dep[j] {
			deps++
		}
	}
	l := graph.NewSized(reps, deps)
	for v, n := range m.nodes {
		if m.rep[v] == int32(v) {
			_ = l.AddNode(graph.Node{ID: n.ID, Kind: n.Kind, Provider: n.Provider, Name: n.Name})
		}
	}
	add := func(from, to int32, e *graph.Edge) {
		if from == to {
			return
		}
		_ = l.AddEdge(graph.Edge{From: m.id(from), To: m.id(to), Type: "depends_on", Origin: e.Origin, Confidence: e.Confidence})
	}
	for j := range m.edges {
		if m.dep[j] {
			add(m.rep[m.from[j]], m.rep[m.to[j]], m.edges[j])
		}
	}
	for _, s := range m.systems {
		if p := m.owningSystem(s); p >= 0 {
			add(s, p, &graph.Edge{Origin: graph.Observed, Confidence: 1})
		}
	}
	m.lifted = l
}

// impacts is query's impact index over m.g, prepared on first use. It numbers the nodes as the
// model does (both from the same sorted nodes).
func (m *model) impacts() *query.ImpactIndex {
	if m.index == nil {
		m.index, _ = query.NewImpactIndex(m.g) // only the vocabulary can fail, and newModel loaded it
	}
	return m.index
}

// unit returns a rep and its members, the rep first.
func (m *model) unit(rep int32) []int32 {
	return append([]int32{rep}, m.members.of(rep)...)
}

// label is a node's display name: its name, or its native id.
func (m *model) label(v int32) string { return m.labels[v] }

func labelOf(n *graph.Node) string {
	if n.Name != "" {
		return n.Name
	}
	return labelID(n.ID)
}

// labelID is the label of an id that may not be in the graph: its native id.
func labelID(id string) string {
	if _, _, native, err := graph.ParseID(id); err == nil {
		return native
	}
	return id
}

// kindLabel is "vercel project", "docker compose project".
func kindLabel(provider, kind string) string {
	return provider + " " + strings.ReplaceAll(kind, "_", " ")
}

func (m *model) kindOf(v int32) string { return m.kindLabels[v] }

// slugSet is the slug of every node that has one ("" for the others), by node number, and the
// prose references made with it (see ref), each made once.
type slugSet struct {
	of       []string
	refs     []string
	nodeRefs map[int32]string // nodeRef of members, made once
}

// slugs assigns every system (and any other rep that gets a diagram) a stable, unique slug
// "<provider>-<kind>-<name>", the anchor of its INFRA.md section and the name of its diagram.
// On a clash the native id disambiguates.
func (m *model) slugs(vs []int32) *slugSet {
	base := make(map[string][]int32, len(vs))
	for _, v := range vs {
		n := m.nodes[v]
		b := slugify(n.Provider + "-" + n.Kind + "-" + m.label(v))
		base[b] = append(base[b], v)
	}
	out := &slugSet{of: make([]string, len(m.nodes)), refs: make([]string, len(m.nodes))}
	used := make(map[string]bool, len(base))
	keys := make([]string, 0, len(base))
	for b := range base {
		keys = append(keys, b)
		used[b] = true
	}
	sort.Strings(keys)
	for _, b := range keys {
		vs := base[b]
		if len(vs) == 1 {
			out.of[vs[0]] = b
			continue
		}
		slices.Sort(vs)
		for _, v := range vs {
			id := m.id(v)
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
			out.of[v] = s
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
