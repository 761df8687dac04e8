package query

import (
	"fmt"
	"sort"
	"sync"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// Analysis is the one answer to "what happens if this node goes down, or is deleted". Every
// surface asks it here: `discover query impact`, INFRA.md, the MCP server and the HTTP API
// (serve), so a number or a list never differs between them.
//
// The rule, walked breadth-first from the node (edge categories are declared in
// schemas/vocabulary/edges.yaml):
//
//   - Runtime dependents break: the source of every dependency edge into a broken node (edges
//     point from the dependent to its dependency), transitively. They are Breaks, and their count
//     is the BlastRadius.
//   - Parts go down with their whole: the children of a broken runtime unit (a node of category
//     compute, app or database: an engine's images and volumes, a project's deployments, a Compose
//     service's container). They are Parts, listed apart and not counted, and what depends on a
//     part breaks in turn. An organisation unit (a team, an account) or a DNS zone is no runtime
//     unit: its children do not go down with it.
//   - A group whose kind fails with its members (a Compose service, its container) breaks when a
//     member does: stopping erp-odoo-1 breaks what depends on the odoo service, and vice versa.
//     So does the owner of a setting it reads at runtime (kinds marked owner_fails: a project
//     and its env var), not the owner of any config (Supabase auth's mail relay down breaks
//     sign-up mail, not the project).
//   - Build-time dependents (an edge type marked build: builds_from) do not break: they could not
//     rebuild or redeploy. They are Rebuild, listed apart, not counted and not walked through.
//   - Data: the nodes that hold data (kinds marked state: a volume, a database, a bucket) among the
//     node itself, its parts and what runs on it (runs_on) and their parts, transitively: what a
//     deletion destroys.
//
// An edge type missing from the vocabulary counts as a runtime dependency: over-reporting impact
// is safer than missing some.
type Analysis struct {
	Node        Node   `json:"node"`
	BlastRadius int    `json:"blast_radius" jsonschema:"how many nodes break at runtime if it goes down (len of breaks)"`
	Breaks      []Hit  `json:"breaks" jsonschema:"what stops working, nearest first"`
	Parts       []Hit  `json:"parts" jsonschema:"what it and the broken nodes contain, down with them"`
	Rebuild     []Hit  `json:"rebuild" jsonschema:"what builds or deploys from it or a broken node: keeps running, cannot redeploy"`
	Data        []Data `json:"data" jsonschema:"data a deletion destroys"`
}

// Data is a node holding data that a deletion destroys, and who uses that data.
type Data struct {
	Node   Node     `json:"node"`
	UsedBy []string `json:"used_by,omitempty" jsonschema:"names of the nodes that mount or use it"`
}

// rules is the vocabulary's view that the walk needs, loaded once per Analyze.
type rules struct {
	v     *schemas.Vocabulary
	kinds map[[2]string]schemas.Kind // by provider, kind: no key built per lookup
}

func (r rules) edge(typ string) (cat string, build bool) {
	t, ok := r.v.EdgeTypes[typ]
	if !ok {
		return schemas.Dependency, false
	}
	return t.Category, t.Build
}

func (r rules) kind(n graph.Node) schemas.Kind {
	return r.kinds[[2]string{n.Provider, n.Kind}]
}

// runtimeUnit reports whether n's parts go down with it.
func (r rules) runtimeUnit(n graph.Node) bool {
	switch r.kind(n).Category {
	case "compute", "app", "database":
		return true
	}
	return false
}

// loadRules indexes the vocabulary once per process: built on every call, it was most of what
// a per-node walk (a blast radius per system) allocated. rules is read-only after.
func loadRules() (rules, error) { return rulesOnce() }

var rulesOnce = sync.OnceValues(buildRules)

func buildRules() (rules, error) {
	v, err := schemas.Load()
	if err != nil {
		return rules{}, fmt.Errorf("load vocabulary: %w", err)
	}
	r := rules{v: v, kinds: make(map[[2]string]schemas.Kind, len(v.Kinds))}
	for _, k := range v.Kinds {
		r.kinds[[2]string{k.Provider, k.Name}] = k
	}
	return r, nil
}

// relation says how a walk reached a node.
type relation uint8

const (
	relBreaks relation = iota
	relPart
	relRebuild
)

type reached struct {
	hit Hit
	rel relation
	on  bool // destroyed with the start node: a part of it, or run on it, transitively
}

// analyze walks from id up to depth hops (depth <= 0: no limit); it returns what it reached in
// the order found (by distance, then id).
func (r rules) analyze(g *graph.Graph, id string, depth int) []reached {
	seen := map[string]int{id: -1} // index in out; -1 the start
	onStart := map[string]bool{id: true}
	var out []reached
	frontier := []string{id}
	for d := 1; len(frontier) > 0 && (depth <= 0 || d <= depth); d++ {
		var level []reached
		at := map[string]int{}
		add := func(from, to string, e graph.Edge, rel relation, on bool) {
			if i, ok := at[to]; ok {
				l := &level[i]
				// reached again at this distance: a runtime break beats a part, a surer edge a
				// weaker one (uses_database 0.95 beside calls 0.85); on is kept if either says so
				if rel < l.rel || (rel == l.rel && e.Confidence > l.hit.Via.Confidence) {
					l.rel, l.hit.From, l.hit.Via = rel, from, edgeOf(g, e)
				}
				l.on = l.on || on
				return
			}
			if _, ok := seen[to]; ok {
				return
			}
			n, _ := g.Node(to)
			at[to] = len(level)
			level = append(level, reached{hit: Hit{Node: nodeOf(n, false), Distance: d, From: from, Via: edgeOf(g, e)}, rel: rel, on: on})
		}
		for _, cur := range frontier {
			cn, _ := g.Node(cur)
			curOn := onStart[cur]
			if i := seen[cur]; i >= 0 && out[i].rel == relRebuild {
				continue // build-time dependents are listed, not walked through
			}
			// EachIn and EachOut: a hub's edges are walked without copying them per visit
			g.EachIn(cur, func(ep *graph.Edge) {
				e := *ep
				cat, build := r.edge(e.Type)
				switch {
				case cat == schemas.Dependency && build:
					add(cur, e.From, e, relRebuild, false)
				case cat == schemas.Dependency:
					add(cur, e.From, e, relBreaks, curOn && e.Type == "runs_on")
				case cat == schemas.Containment:
					// a group that fails with its members; the owner of a broken setting (the
					// project whose DATABASE_URL names a database that is down)
					if p, ok := g.Node(e.From); ok && (r.kind(p).FailsWithMembers || r.kind(cn).OwnerFails) {
						add(cur, e.From, e, relBreaks, false)
					}
				}
			})
			if r.runtimeUnit(cn) {
				g.EachOut(cur, func(ep *graph.Edge) {
					if cat, _ := r.edge(ep.Type); cat == schemas.Containment {
						add(cur, ep.To, *ep, relPart, curOn)
					}
				})
			}
		}
		sort.Slice(level, func(i, j int) bool { return level[i].hit.Node.ID < level[j].hit.Node.ID })
		frontier = frontier[:0]
		for _, l := range level {
			seen[l.hit.Node.ID] = len(out)
			if l.on {
				onStart[l.hit.Node.ID] = true
			}
			out = append(out, l)
			frontier = append(frontier, l.hit.Node.ID)
		}
	}
	return out
}

// Analyze answers what happens to everything else if ref goes down or is deleted; see Analysis
// for the rule. Lists are sorted by distance, then id.
func Analyze(g *graph.Graph, ref string) (Analysis, error) {
	id, err := Resolve(g, ref)
	if err != nil {
		return Analysis{}, err
	}
	r, err := loadRules()
	if err != nil {
		return Analysis{}, err
	}
	n, _ := g.Node(id)
	a := Analysis{Node: nodeOf(n, false), Breaks: []Hit{}, Parts: []Hit{}, Rebuild: []Hit{}, Data: []Data{}}
	destroyed := []graph.Node{}
	if r.kind(n).State {
		destroyed = append(destroyed, n)
	}
	for _, x := range r.analyze(g, id, 0) {
		switch x.rel {
		case relBreaks:
			a.Breaks = append(a.Breaks, x.hit)
		case relPart:
			a.Parts = append(a.Parts, x.hit)
		case relRebuild:
			a.Rebuild = append(a.Rebuild, x.hit)
		}
		if x.on {
			if dn, _ := g.Node(x.hit.Node.ID); r.kind(dn).State {
				destroyed = append(destroyed, dn)
			}
		}
	}
	a.BlastRadius = len(a.Breaks)
	for _, dn := range destroyed {
		a.Data = append(a.Data, dataOf(g, r, dn))
	}
	return a, nil
}

// dataOf is a node holding data and the names of those using it.
func dataOf(g *graph.Graph, r rules, dn graph.Node) Data {
	d := Data{Node: nodeOf(dn, false)}
	g.EachIn(dn.ID, func(e *graph.Edge) {
		if cat, build := r.edge(e.Type); cat == schemas.Dependency && !build {
			if u, _ := g.Node(e.From); len(d.UsedBy) == 0 || d.UsedBy[len(d.UsedBy)-1] != u.Name {
				d.UsedBy = append(d.UsedBy, u.Name) // sorted by from: one name per user
			}
		}
	})
	return d
}

// BlastRadius is Analysis.BlastRadius without building the lists: how many nodes break at runtime
// if id goes down. id must be a node id.
func BlastRadius(g *graph.Graph, id string) (int, error) {
	if !g.HasNode(id) {
		return 0, fmt.Errorf("%s: %w", id, graph.ErrNodeNotFound)
	}
	r, err := loadRules()
	if err != nil {
		return 0, err
	}
	return r.radius(g, id), nil
}

// radius counts what analyze classes as breaks without building hits: the same walk (levels,
// a break outranking a part reached at the same distance, rebuilds not walked through), with
// only a relation per node, so ranking a hub's 100,000 dependents allocates two maps.
func (r rules) radius(g *graph.Graph, id string) int {
	seen := map[string]relation{id: relBreaks}
	level := map[string]relation{}
	frontier := []string{id}
	count := 0
	for len(frontier) > 0 {
		clear(level)
		add := func(to string, rel relation) {
			if old, ok := level[to]; ok {
				if rel < old {
					level[to] = rel
				}
				return
			}
			if _, ok := seen[to]; !ok {
				level[to] = rel
			}
		}
		for _, cur := range frontier {
			if cur != id && seen[cur] == relRebuild {
				continue
			}
			cn, _ := g.Node(cur)
			cnk := r.kind(cn)
			g.EachIn(cur, func(e *graph.Edge) {
				cat, build := r.edge(e.Type)
				switch {
				case cat == schemas.Dependency && build:
					add(e.From, relRebuild)
				case cat == schemas.Dependency:
					add(e.From, relBreaks)
				case cat == schemas.Containment:
					if p, ok := g.Node(e.From); ok && (r.kind(p).FailsWithMembers || cnk.OwnerFails) {
						add(e.From, relBreaks)
					}
				}
			})
			if r.runtimeUnit(cn) {
				g.EachOut(cur, func(e *graph.Edge) {
					if cat, _ := r.edge(e.Type); cat == schemas.Containment {
						add(e.To, relPart)
					}
				})
			}
		}
		frontier = frontier[:0]
		for n, rel := range level {
			seen[n] = rel
			if rel == relBreaks {
				count++
			}
			frontier = append(frontier, n)
		}
	}
	return count
}

// Ranked is a node with its blast radius.
type Ranked struct {
	Node        Node `json:"node"`
	BlastRadius int  `json:"blast_radius" jsonschema:"how many nodes break at runtime if it goes down"`
}

// criticalCandidates bounds the walks Critical makes: the nodes with the most direct runtime
// dependents, plus every system. Walking from every node costs the sum of every node's impact
// set, quadratic on a long chain; a node with few direct dependents rarely tops the ranking.
const criticalCandidates = 64

// Critical ranks nodes by blast radius, largest first (ties by id), keeping those with a radius
// of at least 1, at most limit of them (limit <= 0: all candidates). INFRA.md's critical
// components and the MCP summary both call it, so they rank and count alike.
func Critical(g *graph.Graph, limit int) ([]Ranked, error) {
	x, err := NewImpactIndex(g)
	if err != nil {
		return nil, err
	}
	return x.Critical(limit), nil
}
