// Package query answers questions about a graph: find nodes by kind, provider, name or attribute;
// what a node depends on (Deps), what depends on it (Impact, Analyze), and how two nodes connect
// (Path). Node references may be a full id, an unambiguous id suffix or a name (Resolve). Results
// are plain structs that encode as JSON, shared by `discover query`, INFRA.md, the MCP server and
// the HTTP API.
//
// Impact semantics live in one place, Analysis (impact.go): runtime dependents break and are
// counted (the blast radius); parts go down with their whole and build-time dependents cannot
// redeploy, both listed apart. Deps is the mirror image of the dependency walk: the targets of
// a node's dependency edges, and the runtime host that contains it.
package query

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// Node is a node in a result, with its freshness so that stale data is shown as stale.
type Node struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind"`
	Provider   string      `json:"provider"`
	Name       string      `json:"name"`
	Source     string      `json:"source,omitempty"`
	LastSeen   string      `json:"last_seen,omitempty"`
	Stale      bool        `json:"stale,omitempty"`
	StaleSince string      `json:"stale_since,omitempty"`
	Attrs      graph.Attrs `json:"attrs,omitempty"`
}

// Edge is an edge in a result.
type Edge struct {
	From       string       `json:"from"`
	To         string       `json:"to"`
	Type       string       `json:"type"`
	Origin     graph.Origin `json:"origin"`
	Confidence float64      `json:"confidence"`
	Stale      bool         `json:"stale,omitempty"`
	// Via names the settings an inferred edge was found through (graph.Edge.Via): rotating the
	// database's password means updating each, in each of its targets.
	Via []Setting `json:"via,omitempty"`
}

// Setting is a node an edge was found through: an env var with the deployment targets it applies
// to, a DNS record.
type Setting struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Targets []string `json:"targets,omitempty" jsonschema:"deployment targets of an env var (production, preview, development)"`
}

// SettingsOf resolves an edge's Via ids to settings, skipping ids no longer in g.
func SettingsOf(g *graph.Graph, e graph.Edge) []Setting {
	var out []Setting
	for _, id := range e.Via {
		n, ok := g.Node(id)
		if !ok {
			continue
		}
		s := Setting{ID: n.ID, Kind: n.Kind, Name: n.Name}
		s.Targets, _ = n.AttrValues("targets")
		out = append(out, s)
	}
	return out
}

// Words is "DATABASE_URL (env var; targets preview, production)".
func (s Setting) Words() string {
	w := s.Name + " (" + strings.ReplaceAll(s.Kind, "_", " ")
	if len(s.Targets) > 0 {
		w += "; targets " + strings.Join(s.Targets, ", ")
	}
	return w + ")"
}

func nodeOf(n graph.Node, attrs bool) Node {
	r := Node{ID: n.ID, Kind: n.Kind, Provider: n.Provider, Name: n.Name, Source: n.Source, LastSeen: n.LastSeen, Stale: n.Stale, StaleSince: n.StaleSince}
	if attrs {
		r.Attrs = n.Attrs
	}
	return r
}

func edgeOf(g *graph.Graph, e graph.Edge) Edge {
	return Edge{From: e.From, To: e.To, Type: e.Type, Origin: e.Origin, Confidence: e.Confidence, Stale: e.Stale, Via: SettingsOf(g, e)}
}

// Filter selects nodes; empty fields match everything, and every set field must match.
type Filter struct {
	Kind     string   `json:"kind,omitempty"`     // "droplet" or "digitalocean:droplet"
	Provider string   `json:"provider,omitempty"` // "digitalocean"
	Name     string   `json:"name,omitempty"`     // case-insensitive substring of the name
	Attrs    []string `json:"attrs,omitempty"`    // "key=value" (case-insensitive; any element of a list) or "key" (present)
	Stale    bool     `json:"stale,omitempty"`    // only stale nodes
}

// Find returns the nodes matching f, sorted by id, with their attributes. A kind or provider
// that neither the vocabulary nor the graph knows is an ErrUnknown error with suggestions.
func Find(g *graph.Graph, f Filter) ([]Node, error) {
	if err := checkFilter(g, f); err != nil {
		return nil, err
	}
	type cond struct{ key, value string }
	var conds []cond
	for _, a := range f.Attrs {
		k, v, hasValue := strings.Cut(a, "=")
		k = strings.TrimSpace(k)
		if k == "" {
			return nil, fmt.Errorf("attribute filter %q: want key=value or key", a)
		}
		c := cond{key: k, value: "\x00"} // "\x00": presence only
		if hasValue {
			c.value = strings.TrimSpace(v)
		}
		conds = append(conds, c)
	}
	kp, kk, qualified := strings.Cut(f.Kind, ":")
	out := []Node{}
	for _, n := range g.Nodes() {
		switch {
		case f.Provider != "" && !strings.EqualFold(n.Provider, f.Provider),
			f.Kind != "" && qualified && !(strings.EqualFold(n.Provider, kp) && strings.EqualFold(n.Kind, kk)),
			f.Kind != "" && !qualified && !strings.EqualFold(n.Kind, f.Kind),
			f.Name != "" && !strings.Contains(strings.ToLower(n.Name), strings.ToLower(f.Name)),
			f.Stale && !n.Stale:
			continue
		}
		match := true
		for _, c := range conds {
			vals, ok := n.AttrValues(c.key)
			if !ok || (c.value != "\x00" && !containsFold(vals, c.value)) {
				match = false
				break
			}
		}
		if match {
			out = append(out, nodeOf(n, true))
		}
	}
	return out, nil
}

func containsFold(vals []string, v string) bool {
	for _, x := range vals {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// ErrNotFound is returned when a reference matches no node.
var ErrNotFound = errors.New("no such node")

// AmbiguousError is returned when a reference matches several nodes.
type AmbiguousError struct {
	Ref        string   `json:"ref"`
	Candidates []string `json:"candidates"`
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%q is ambiguous, it matches %d nodes: %s", e.Ref, len(e.Candidates), strings.Join(e.Candidates, ", "))
}

// Resolve turns a reference into a node id. It tries, in order, and stops at the first step with
// any match: the full id; then a name (case-insensitive) or an id suffix starting at a boundary
// (after ":", "/" or "."), so "erp-1", "droplet:1001", "1001" and "public.orders" work; then any
// id suffix (case-insensitive). A step with several matches is an *AmbiguousError listing them.
// "provider:ref" (supabase:acme-prod) resolves ref among that provider's nodes only.
func Resolve(g *graph.Graph, ref string) (string, error) {
	return ResolveIn(g, ref, "")
}

// resolveAmong is Resolve's matching over nodes.
func resolveAmong(nodes []graph.Node, ref string) (string, error) {
	lower := strings.ToLower(ref)
	// Most specific first: an exact name beats an id that merely ends in it ("storefront" is the
	// Vercel project, not git:repo:github.com/acme/storefront).
	steps := []func(graph.Node) bool{
		func(n graph.Node) bool { return strings.EqualFold(n.Name, ref) },
		func(n graph.Node) bool {
			if len(n.ID) <= len(ref) || !strings.HasSuffix(n.ID, ref) {
				return false
			}
			before := n.ID[len(n.ID)-len(ref)-1]
			return before == ':' || before == '/' || before == '.'
		},
		func(n graph.Node) bool { return strings.HasSuffix(strings.ToLower(n.ID), lower) },
	}
	for _, match := range steps {
		var ids []string
		for _, n := range nodes {
			if match(n) {
				ids = append(ids, n.ID)
			}
		}
		switch len(ids) {
		case 0:
			continue
		case 1:
			return ids[0], nil
		}
		return "", &AmbiguousError{Ref: ref, Candidates: ids}
	}
	hint := "give a full id, an id suffix or a name; `discover query --name` lists candidates"
	if s := suggest(ref, nodeWords(nodes), 3); len(s) > 0 {
		hint = "did you mean " + strings.Join(s, ", ") + "?"
	}
	return "", fmt.Errorf("%q: %w (%s)", ref, ErrNotFound, hint)
}

// Hit is a node reached by Deps or Impact: how far, and the edge that reached it.
type Hit struct {
	Node     Node   `json:"node"`
	Distance int    `json:"distance"`
	From     string `json:"from"` // the node it was reached from
	Via      Edge   `json:"via"`
}

// Deps returns what id depends on, transitively up to depth hops (depth <= 0: no limit): the
// targets of its dependency edges, and the runtime host that contains it.
func Deps(g *graph.Graph, ref string, depth int) ([]Hit, error) {
	return walk(g, ref, depth)
}

// Impact returns what breaks at runtime if id goes down, transitively up to depth hops (depth <=
// 0: no limit): Analysis.Breaks. Parts, build-time dependents and data are in Analyze.
func Impact(g *graph.Graph, ref string, depth int) ([]Hit, error) {
	id, err := Resolve(g, ref)
	if err != nil {
		return nil, err
	}
	r, err := loadRules()
	if err != nil {
		return nil, err
	}
	hits := []Hit{}
	for _, x := range r.analyze(g, id, depth) {
		if x.rel == relBreaks {
			hits = append(hits, x.hit)
		}
	}
	return hits, nil
}

type category func(graph.Edge) string

func categories() (category, func(graph.Node) bool, error) {
	v, err := schemas.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("load vocabulary: %w", err)
	}
	cat := func(e graph.Edge) string {
		if t, ok := v.EdgeTypes[e.Type]; ok {
			return t.Category
		}
		return schemas.Dependency
	}
	host := func(n graph.Node) bool {
		k, ok := v.Kind(n.Provider, n.Kind)
		return ok && k.Category == "compute"
	}
	return cat, host, nil
}

func walk(g *graph.Graph, ref string, depth int) ([]Hit, error) {
	id, err := Resolve(g, ref)
	if err != nil {
		return nil, err
	}
	cat, host, err := categories()
	if err != nil {
		return nil, err
	}
	// next lists the neighbours one hop away: dependency targets and the runtime host, with the edge.
	next := func(cur graph.Node) (ids []string, via []graph.Edge) {
		add := func(n string, e graph.Edge) { ids, via = append(ids, n), append(via, e) }
		for _, e := range g.Out(cur.ID) {
			if cat(e) == schemas.Dependency {
				add(e.To, e)
			}
		}
		for _, e := range g.In(cur.ID) {
			if cat(e) == schemas.Containment {
				if parent, ok := g.Node(e.From); ok && host(parent) {
					add(e.From, e)
				}
			}
		}
		return ids, via
	}
	seen := map[string]bool{id: true}
	var hits []Hit
	frontier := []string{id}
	for d := 1; len(frontier) > 0 && (depth <= 0 || d <= depth); d++ {
		var level []Hit
		at := map[string]int{} // index in level of a node first reached at this distance
		for _, cur := range frontier {
			n, _ := g.Node(cur)
			ids, via := next(n)
			for i, nid := range ids {
				if j, ok := at[nid]; ok && via[i].Confidence > level[j].Via.Confidence {
					// reached again at the same distance on a surer edge (uses_database 0.95
					// beside calls 0.85): show that one
					level[j].From, level[j].Via = cur, edgeOf(g, via[i])
				}
				if seen[nid] {
					continue
				}
				seen[nid] = true
				at[nid] = len(level)
				nn, _ := g.Node(nid)
				level = append(level, Hit{Node: nodeOf(nn, false), Distance: d, From: cur, Via: edgeOf(g, via[i])})
			}
		}
		sort.Slice(level, func(i, j int) bool { return level[i].Node.ID < level[j].Node.ID })
		frontier = frontier[:0]
		for _, h := range level {
			frontier = append(frontier, h.Node.ID)
		}
		hits = append(hits, level...)
	}
	if hits == nil {
		hits = []Hit{}
	}
	return hits, nil
}

// Step is one node on a path, with the edge that led to it (nil for the first) and whether that
// edge was followed in its own direction.
type Step struct {
	Node    Node  `json:"node"`
	Via     *Edge `json:"via,omitempty"`
	Forward bool  `json:"forward,omitempty"`
}

// Path returns a shortest path from a to b: following edge directions when such a path exists
// (a depends on, or contains, ... b), else ignoring them (the two are connected somehow).
func Path(g *graph.Graph, a, b string) ([]Step, error) {
	from, err := Resolve(g, a)
	if err != nil {
		return nil, err
	}
	to, err := Resolve(g, b)
	if err != nil {
		return nil, err
	}
	if p := bfs(g, from, to, true); p != nil {
		return p, nil
	}
	if p := bfs(g, from, to, false); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("%s and %s are not connected", from, to)
}

func bfs(g *graph.Graph, from, to string, directed bool) []Step {
	type back struct {
		prev    string
		edge    graph.Edge
		forward bool
	}
	parent := map[string]back{from: {}}
	queue := []string{from}
	for len(queue) > 0 && !has(parent, to) {
		cur := queue[0]
		queue = queue[1:]
		visit := func(next string, e graph.Edge, forward bool) {
			if !has(parent, next) {
				parent[next] = back{prev: cur, edge: e, forward: forward}
				queue = append(queue, next)
			}
		}
		for _, e := range g.Out(cur) {
			visit(e.To, e, true)
		}
		if !directed {
			for _, e := range g.In(cur) {
				visit(e.From, e, false)
			}
		}
	}
	if !has(parent, to) {
		return nil
	}
	var steps []Step
	for cur := to; ; {
		n, _ := g.Node(cur)
		s := Step{Node: nodeOf(n, false)}
		if cur == from {
			steps = append(steps, s)
			break
		}
		b := parent[cur]
		e := edgeOf(g, b.edge)
		s.Via, s.Forward = &e, b.forward
		steps = append(steps, s)
		cur = b.prev
	}
	for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
		steps[i], steps[j] = steps[j], steps[i]
	}
	return steps
}

func has[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

// Show returns one node with its attributes and its edges, out then in.
func Show(g *graph.Graph, ref string) (Detail, error) {
	id, err := Resolve(g, ref)
	if err != nil {
		return Detail{}, err
	}
	n, _ := g.Node(id)
	d := Detail{Node: nodeOf(n, true), FirstSeen: n.FirstSeen, Out: []Edge{}, In: []Edge{}}
	for _, e := range g.Out(id) {
		d.Out = append(d.Out, edgeOf(g, e))
	}
	for _, e := range g.In(id) {
		d.In = append(d.In, edgeOf(g, e))
	}
	return d, nil
}

// Detail is one node in full.
type Detail struct {
	Node      Node   `json:"node"`
	FirstSeen string `json:"first_seen,omitempty"`
	Out       []Edge `json:"out"`
	In        []Edge `json:"in"`
}
