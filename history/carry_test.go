package history_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/schemas/schemastest"
)

// fake is a collector over an estate the test edits between scans.
type fake func(ctx context.Context, emit graph.Emitter) error

func (f fake) Collect(ctx context.Context, emit graph.Emitter) error { return f(ctx, emit) }

// estate is one instance's resources.
type estate struct {
	nodes []graph.Node
	edges []graph.Edge
}

func (e *estate) emit(emit graph.Emitter, keep func(id string) bool) {
	for _, n := range e.nodes {
		if keep(n.ID) {
			emit.Node(n)
		}
	}
	for _, ed := range e.edges {
		if keep(ed.From) && keep(ed.To) {
			emit.Edge(ed)
		}
	}
}

func (e *estate) remove(id string) {
	var ns []graph.Node
	for _, n := range e.nodes {
		if n.ID != id {
			ns = append(ns, n)
		}
	}
	var es []graph.Edge
	for _, ed := range e.edges {
		if ed.From != id && ed.To != id {
			es = append(es, ed)
		}
	}
	e.nodes, e.edges = ns, es
}

func all(string) bool { return true }

func node(id, name string, attrs graph.Attrs) graph.Node {
	p, k, _, err := graph.ParseID(id)
	if err != nil {
		panic(err)
	}
	return graph.Node{ID: id, Kind: k, Provider: p, Name: name, Attrs: attrs}
}

func acmeVercel() *estate {
	return &estate{
		nodes: []graph.Node{
			node("vercel:team:team_acme", "acme", nil),
			node("vercel:project:prj_storefront", "storefront", graph.Attrs{"framework": "nextjs"}),
			node("vercel:project:prj_admin", "admin", nil),
			node("git:repo:github.com/acme/storefront", "acme/storefront", graph.Attrs{"repo": "github.com/acme/storefront"}),
		},
		edges: []graph.Edge{
			graph.Observe("vercel:team:team_acme", "vercel:project:prj_storefront", "contains"),
			graph.Observe("vercel:team:team_acme", "vercel:project:prj_admin", "contains"),
			graph.Observe("vercel:project:prj_storefront", "git:repo:github.com/acme/storefront", "builds_from"),
		},
	}
}

func acmeDO() *estate {
	return &estate{
		nodes: []graph.Node{
			node("digitalocean:account:acme", "acme", nil),
			node("digitalocean:droplet:1001", "erp-1", graph.Attrs{"public_ipv4": "203.0.113.10"}),
			node("digitalocean:droplet:1002", "worker-1", graph.Attrs{"public_ipv4": "203.0.113.11"}),
			node("digitalocean:domain:acme-coffee.com", "acme-coffee.com", nil),
			node("digitalocean:dns_record:acme-coffee.com/erp", "erp", graph.Attrs{"fqdn": "erp.acme-coffee.com", "ip": "203.0.113.10"}),
			node("digitalocean:app:acme-api", "acme-api", nil),
			node("git:repo:github.com/acme/api", "acme/api", graph.Attrs{"repo": "github.com/acme/api"}),
		},
		edges: []graph.Edge{
			graph.Observe("digitalocean:account:acme", "digitalocean:domain:acme-coffee.com", "contains"),
			graph.Observe("digitalocean:domain:acme-coffee.com", "digitalocean:dns_record:acme-coffee.com/erp", "contains"),
			graph.Observe("digitalocean:dns_record:acme-coffee.com/erp", "digitalocean:droplet:1001", "resolves_to"),
			graph.Observe("digitalocean:app:acme-api", "git:repo:github.com/acme/api", "builds_from"),
		},
	}
}

// outcome is how an instance behaves in one scan.
type outcome int

const (
	ok      outcome = iota
	partial         // a resource family fails: some nodes missing, a warning
	failed          // the whole instance fails after emitting some nodes
	skipped         // no credentials (an expired token, a cron job without the variable)
	timeout         // hangs until the runner's deadline
)

func (o outcome) String() string {
	return [...]string{"ok", "partial", "failed", "skipped", "timeout"}[o]
}

// instance builds a collector instance for e behaving as o; half decides which nodes a partial or
// failed run still emits.
func instance(provider, name string, e *estate, o outcome, half func(string) bool) collectors.Instance {
	inst := collectors.Instance{Provider: provider, Name: name}
	switch o {
	case skipped:
		inst.Skip = "not configured: set the token"
		return inst
	case timeout:
		inst.Timeout = time.Millisecond
	}
	inst.Collector = fake(func(ctx context.Context, emit graph.Emitter) error {
		switch o {
		case partial:
			e.emit(emit, half)
			emit.Warn(errors.New("list droplets: 500 Internal Server Error"))
		case failed:
			e.emit(emit, half)
			return errors.New("list domains: 401 Unauthorized")
		case timeout:
			<-ctx.Done()
			return ctx.Err()
		default:
			e.emit(emit, all)
		}
		return nil
	})
	return inst
}

// run does one scan with its history: the previous graph comes from the store, the result is
// saved to it (so every scan goes through graph.json and back).
func run(t *testing.T, store history.Store, at time.Time, insts []collectors.Instance, enrichers ...enrich.Enricher) *scan.Result {
	t.Helper()
	prev, skipped, err := store.Previous()
	if err != nil || len(skipped) > 0 {
		t.Fatalf("previous: %v %v", err, skipped)
	}
	res, err := scan.Run(context.Background(), scan.Options{
		Instances: insts, Enrichers: enrichers, Previous: prev,
		Now: func() time.Time { return at },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Save(res.Graph, 5); err != nil {
		t.Fatal(err)
	}
	return res
}

var t0 = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

func at(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

func ts(h int) string { return at(h).Format(time.RFC3339) }

func statusOf(g *graph.Graph, key string) graph.CollectorStatus {
	for _, c := range g.Collectors {
		if c.Key() == key {
			return c
		}
	}
	return graph.CollectorStatus{}
}

// The scenario: a provider fails, its nodes stay (stale) while the others update; it
// recovers with one resource deleted, and only that resource disappears.
func TestFailingProviderKeepsItsNodes(t *testing.T) {
	store := history.Store{Dir: t.TempDir()}
	vercel, do := acmeVercel(), acmeDO()
	insts := func(o outcome) []collectors.Instance {
		return []collectors.Instance{
			instance("vercel", "acme", vercel, ok, nil),
			instance("digitalocean", "prod", do, o, func(string) bool { return false }),
		}
	}

	first := run(t, store, at(0), insts(ok)).Graph
	if first.Scan.Changes != nil {
		t.Errorf("first scan has changes: %+v", first.Scan.Changes)
	}
	n1, e1 := first.Len()

	// Scan 2: DigitalOcean fails outright; Vercel changes a project and gains one.
	vercel.nodes[1].Attrs = graph.Attrs{"framework": "remix"}
	vercel.nodes = append(vercel.nodes, node("vercel:project:prj_new", "new", nil))
	vercel.edges = append(vercel.edges, graph.Observe("vercel:team:team_acme", "vercel:project:prj_new", "contains"))
	res2 := run(t, store, at(6), insts(failed))
	g2 := res2.Graph
	for _, n := range do.nodes {
		got, present := g2.Node(n.ID)
		if !present {
			t.Fatalf("scan 2 lost %s", n.ID)
		}
		if n.Provider == "git" {
			// shared: carried because the stale builds_from edge needs it
			if !got.Stale {
				t.Errorf("%s carried for a stale edge should be stale", n.ID)
			}
			continue
		}
		if !got.Stale || got.StaleSince != ts(6) || got.LastSeen != ts(0) || got.FirstSeen != ts(0) || got.Source != "digitalocean/prod" {
			t.Errorf("scan 2 %s: %+v", n.ID, got)
		}
	}
	for _, e := range do.edges {
		if got, ok := g2.Edge(e.Key()); !ok || !got.Stale {
			t.Errorf("scan 2 edge %s: %+v present=%v", e.Key(), got, ok)
		}
	}
	if st := statusOf(g2, "digitalocean/prod"); st.Status != graph.StatusFailed || st.Stale != 7 {
		t.Errorf("digitalocean status %+v, want failed with 7 stale (6 nodes + the repo its edge needs)", st)
	}
	sf, _ := g2.Node("vercel:project:prj_storefront")
	if sf.Attrs["framework"] != "remix" || sf.Stale || sf.LastSeen != ts(6) || sf.FirstSeen != ts(0) {
		t.Errorf("vercel not updated: %+v", sf)
	}
	if n, _ := g2.Node("vercel:project:prj_new"); n.FirstSeen != ts(6) {
		t.Errorf("new project first_seen %q", n.FirstSeen)
	}
	ch := g2.Scan.Changes
	if ch == nil || ch.Since != first.Scan.ID || ch.NodesAdded != 1 || ch.NodesRemoved != 0 || ch.NodesChanged != 1 || ch.NodesStale != 7 || ch.EdgesRemoved != 0 {
		t.Errorf("scan 2 changes %+v", ch)
	}
	if len(ch.Highlights) == 0 || !strings.Contains(ch.Highlights[0], "digitalocean/prod (collector failed)") {
		t.Errorf("highlights %q", ch.Highlights)
	}

	// Scan 3: still failing, by timeout this time: stale_since stays at the first failure.
	g3 := run(t, store, at(12), insts(timeout)).Graph
	if d, _ := g3.Node("digitalocean:droplet:1002"); !d.Stale || d.StaleSince != ts(6) || d.LastSeen != ts(0) {
		t.Errorf("scan 3 droplet: %+v", d)
	}
	if e, _ := g3.Edge(do.edges[2].Key()); !e.Stale || e.StaleSince != ts(6) || e.FirstSeen != ts(0) {
		t.Errorf("scan 3 edge: %+v", e)
	}
	if g3.Scan.Changes.NodesStale != 0 {
		t.Errorf("nothing newly stale in scan 3: %+v", g3.Scan.Changes)
	}

	// Scan 4: DigitalOcean is back, and droplet 1002 was deleted meanwhile.
	do.remove("digitalocean:droplet:1002")
	res4 := run(t, store, at(18), insts(ok))
	g4 := res4.Graph
	if g4.HasNode("digitalocean:droplet:1002") {
		t.Error("deleted droplet still present after its owner completed")
	}
	for _, n := range do.nodes {
		got, ok := g4.Node(n.ID)
		if !ok || got.Stale || got.StaleSince != "" || got.LastSeen != ts(18) || got.FirstSeen != ts(0) {
			t.Errorf("scan 4 %s: %+v present=%v", n.ID, got, ok)
		}
	}
	if n4, e4 := g4.Len(); n4 != n1 || e4 != e1+1 {
		t.Errorf("scan 4 has %d nodes %d edges, want %d and %d (one droplet gone, one project added)", n4, e4, n1, e1+1)
	}
	c := res4.Changes
	if len(c.NodesRemoved) != 1 || c.NodesRemoved[0].ID != "digitalocean:droplet:1002" || len(c.NodesFresh) != 6 || len(c.NodesAdded) != 0 {
		t.Errorf("scan 4 changes: removed %+v fresh %d added %d", c.NodesRemoved, len(c.NodesFresh), len(c.NodesAdded))
	}
	if st := statusOf(g4, "digitalocean/prod"); st.Stale != 0 {
		t.Errorf("stale count after recovery: %d", st.Stale)
	}
}

// A partial instance keeps what it did not return; another instance's completion does not
// remove anything of it (staleness is scoped to the owner).
func TestPartialIsScopedToItsInstance(t *testing.T) {
	store := history.Store{Dir: t.TempDir()}
	prod, staging := acmeDO(), &estate{nodes: []graph.Node{node("digitalocean:droplet:2001", "stg", nil)}}
	insts := func(o outcome) []collectors.Instance {
		return []collectors.Instance{
			instance("digitalocean", "prod", prod, o, func(id string) bool { return !strings.Contains(id, "droplet") }),
			instance("digitalocean", "staging", staging, ok, nil),
		}
	}
	run(t, store, at(0), insts(ok))
	g := run(t, store, at(1), insts(partial)).Graph
	for _, id := range []string{"digitalocean:droplet:1001", "digitalocean:droplet:1002"} {
		if n, ok := g.Node(id); !ok || !n.Stale {
			t.Errorf("%s: %+v present=%v", id, n, ok)
		}
	}
	if n, _ := g.Node("digitalocean:domain:acme-coffee.com"); n.Stale {
		t.Error("returned node marked stale")
	}
	if e, ok := g.Edge(graph.EdgeKey{From: "digitalocean:dns_record:acme-coffee.com/erp", To: "digitalocean:droplet:1001", Type: "resolves_to"}); !ok || !e.Stale {
		t.Errorf("edge to a stale droplet: %+v present=%v", e, ok)
	}
	if st := statusOf(g, "digitalocean/prod"); st.Status != graph.StatusPartial || st.Stale != 2 {
		t.Errorf("prod: %+v", st)
	}
	if st := statusOf(g, "digitalocean/staging"); st.Stale != 0 {
		t.Errorf("staging: %+v", st)
	}
}

// An expired token or a cron job without the variable makes an instance skipped: it must not wipe
// the map. An instance removed from the configuration is gone, with what it contributed.
func TestSkippedCarriesRemovedInstanceDrops(t *testing.T) {
	store := history.Store{Dir: t.TempDir()}
	vercel, do := acmeVercel(), acmeDO()
	run(t, store, at(0), []collectors.Instance{instance("vercel", "acme", vercel, ok, nil), instance("digitalocean", "prod", do, ok, nil)})
	g := run(t, store, at(1), []collectors.Instance{instance("vercel", "acme", vercel, skipped, nil), instance("digitalocean", "prod", do, ok, nil)}).Graph
	if n, ok := g.Node("vercel:project:prj_storefront"); !ok || !n.Stale {
		t.Errorf("skipped instance lost its nodes: %+v", n)
	}
	if st := statusOf(g, "vercel/acme"); st.Status != graph.StatusSkipped || st.Stale != 4 {
		t.Errorf("vercel: %+v", st)
	}
	g = run(t, store, at(2), []collectors.Instance{instance("digitalocean", "prod", do, ok, nil)}).Graph
	for _, n := range g.Nodes() {
		if n.Provider == "vercel" || n.ID == "git:repo:github.com/acme/storefront" {
			t.Errorf("%s kept after its instance left the configuration", n.ID)
		}
	}
}

type ruleEnricher struct {
	name string
	ps   []enrich.Proposal
	err  error
}

func (r ruleEnricher) Name() string { return r.name }
func (r ruleEnricher) Propose(context.Context, *graph.Graph) ([]enrich.Proposal, error) {
	return r.ps, r.err
}

func uses(from, to string, o graph.Origin) enrich.Proposal {
	// LLM proposals must quote both endpoints (enrich.ReasonOneSided): the from side by name,
	// which is enough next to a real reference on the other side.
	_, _, native, _ := graph.ParseID(from)
	name := map[string]string{"prj_storefront": "storefront", "prj_admin": "admin"}[native]
	return enrich.Proposal{Enricher: string(o), Edge: graph.Edge{From: from, To: to, Type: "calls", Origin: o, Confidence: 0.9,
		Evidence: []graph.Evidence{{Node: to, Field: "public_ipv4", Value: "203.0.113.10"}, {Node: from, Field: "name", Value: name}}}}
}

// Inferred edges are recomputed every scan; an earlier one survives (stale) only when it could not
// be re-checked: an endpoint is stale, or its enricher did not complete.
func TestInferredEdges(t *testing.T) {
	vercel, do := acmeVercel(), acmeDO()
	// The validator must accept the fixture's proposals, or this test would prove nothing.
	if !schemastest.Vocabulary().EdgeAllowed("calls", "vercel:project", "digitalocean:droplet") {
		t.Fatal("inferred.yaml no longer allows calls from a Vercel project to a droplet; pick another pair")
	}
	prop := uses("vercel:project:prj_admin", "digitalocean:droplet:1001", graph.Rule)
	llm := uses("vercel:project:prj_storefront", "digitalocean:droplet:1001", graph.LLM)
	key := prop.Edge.Key()
	lkey := llm.Edge.Key()
	insts := func(o outcome) []collectors.Instance {
		return []collectors.Instance{instance("vercel", "acme", vercel, ok, nil), instance("digitalocean", "prod", do, o, func(string) bool { return false })}
	}
	rules := func(ps ...enrich.Proposal) enrich.Enricher { return ruleEnricher{name: "rules/test", ps: ps} }
	llmE := func(err error, ps ...enrich.Proposal) enrich.Enricher {
		return ruleEnricher{name: "llm/test", ps: ps, err: err}
	}

	store := history.Store{Dir: t.TempDir()}
	g := run(t, store, at(0), insts(ok), rules(prop), llmE(nil, llm)).Graph
	if _, ok := g.Edge(key); !ok {
		t.Fatal("rule edge not added")
	}
	// DigitalOcean fails and the rule proposes nothing (as if it could not read the droplet):
	// the edge survives because its endpoint is stale. The LLM errors: its edge survives too.
	g = run(t, store, at(1), insts(failed), rules(), llmE(errors.New("llm: 503"))).Graph
	if e, ok := g.Edge(key); !ok || !e.Stale || e.StaleSince != ts(1) || e.FirstSeen != ts(0) {
		t.Errorf("rule edge to a stale droplet: %+v present=%v", e, ok)
	}
	if e, ok := g.Edge(lkey); !ok || !e.Stale {
		t.Errorf("llm edge with a failing llm: %+v present=%v", e, ok)
	}
	// Everything healthy, the rule proposes it again: fresh, first_seen kept. The LLM runs
	// cleanly and does not propose its edge: gone.
	g = run(t, store, at(2), insts(ok), rules(prop), llmE(nil)).Graph
	if e, ok := g.Edge(key); !ok || e.Stale || e.FirstSeen != ts(0) || e.LastSeen != ts(2) {
		t.Errorf("re-proposed rule edge: %+v present=%v", e, ok)
	}
	if _, ok := g.Edge(lkey); ok {
		t.Error("llm edge kept although the llm ran and no longer proposes it")
	}
	// Healthy, the rule no longer proposes it (the env var changed): gone.
	g = run(t, store, at(3), insts(ok), rules()).Graph
	if _, ok := g.Edge(key); ok {
		t.Error("rule edge kept although its evidence is gone")
	}
	// An LLM edge from a scan with the LLM, then a scan without an LLM configured: kept, stale.
	run(t, store, at(4), insts(ok), rules(), llmE(nil, llm))
	g = run(t, store, at(5), insts(ok), rules()).Graph
	if e, ok := g.Edge(lkey); !ok || !e.Stale {
		t.Errorf("llm edge without an llm this scan: %+v present=%v", e, ok)
	}
	// An endpoint removed by its completed owner takes the inferred edge with it.
	do.remove("digitalocean:droplet:1001")
	g = run(t, store, at(6), insts(ok), rules()).Graph
	if _, ok := g.Edge(lkey); ok {
		t.Error("inferred edge kept without its endpoint")
	}
}

// The property behind the "done when": over random sequences of outcomes (ok, partial,
// failed, skipped, timed out) and estate edits, every node and edge an instance contributed is
// present until that instance completes ok without it, stale exactly when not returned this
// scan. Every scan goes through graph.json on disk, with retention and compression at work.
func TestNoSequenceOfFailuresLosesANode(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { propertyRun(t, seed, 30) })
	}
}

func propertyRun(t *testing.T, seed uint64, scans int) {
	rng := rand.New(rand.NewPCG(seed, 42))
	names := []string{"a", "b", "c"}
	estates := map[string]*estate{}
	for _, name := range names {
		e := &estate{}
		for i := 0; i < 6; i++ {
			e.nodes = append(e.nodes, node(fmt.Sprintf("docker:container:%s/%d", name, i), fmt.Sprint(i), nil))
		}
		for i := 1; i < 6; i++ {
			e.edges = append(e.edges, graph.Observe(e.nodes[0].ID, e.nodes[i].ID, "links_to"))
		}
		estates[name] = e
	}
	nextID := 6
	type set map[string]bool
	wantN := map[string]set{}
	wantE := map[string]set{}
	store := history.Store{Dir: t.TempDir()}
	var trace []string
	for step := 0; step < scans; step++ {
		var insts []collectors.Instance
		emittedN := map[string]set{}
		emittedE := map[string]set{}
		outcomes := map[string]outcome{}
		for _, name := range names {
			e := estates[name]
			// the estate changes: a container removed or created now and then
			if rng.IntN(4) == 0 && len(e.nodes) > 1 {
				e.remove(e.nodes[1+rng.IntN(len(e.nodes)-1)].ID)
			}
			if rng.IntN(4) == 0 {
				n := node(fmt.Sprintf("docker:container:%s/%d", name, nextID), fmt.Sprint(nextID), nil)
				nextID++
				e.nodes = append(e.nodes, n)
				e.edges = append(e.edges, graph.Observe(e.nodes[0].ID, n.ID, "links_to"))
			}
			o := outcome(rng.IntN(5))
			if rng.IntN(3) == 0 {
				o = ok
			}
			outcomes[name] = o
			keep := map[string]bool{}
			for _, n := range e.nodes {
				keep[n.ID] = o == ok || ((o == partial || o == failed) && rng.IntN(2) == 0)
			}
			insts = append(insts, instance("docker", name, e, o, func(id string) bool { return keep[id] }))
			emittedN[name], emittedE[name] = set{}, set{}
			for _, n := range e.nodes {
				if keep[n.ID] {
					emittedN[name][n.ID] = true
				}
			}
			for _, ed := range e.edges {
				if keep[ed.From] && keep[ed.To] {
					emittedE[name][ed.Key().String()] = true
				}
			}
		}
		trace = append(trace, fmt.Sprint(outcomes))
		g := run(t, store, at(step), insts).Graph
		for _, name := range names {
			if outcomes[name] == ok || wantN[name] == nil {
				wantN[name], wantE[name] = set{}, set{}
			}
			for id := range emittedN[name] {
				wantN[name][id] = true
			}
			for k := range emittedE[name] {
				wantE[name][k] = true
			}
			gotN, gotE := set{}, set{}
			for _, n := range g.Nodes() {
				if n.Source != "docker/"+name {
					continue
				}
				gotN[n.ID] = true
				if n.Stale == emittedN[name][n.ID] {
					t.Fatalf("step %d %s: %s stale=%v but emitted=%v\n%s", step, name, n.ID, n.Stale, emittedN[name][n.ID], strings.Join(trace, "\n"))
				}
			}
			for _, e := range g.Edges() {
				if e.Source == "docker/"+name {
					gotE[e.Key().String()] = true
				}
			}
			if d := setDiff(wantN[name], gotN); d != "" {
				t.Fatalf("step %d %s nodes: %s\n%s", step, name, d, strings.Join(trace, "\n"))
			}
			if d := setDiff(wantE[name], gotE); d != "" {
				t.Fatalf("step %d %s edges: %s\n%s", step, name, d, strings.Join(trace, "\n"))
			}
		}
	}
	snaps, err := store.List()
	if err != nil || len(snaps) != 5 {
		t.Errorf("retention: %d snapshots, %v", len(snaps), err)
	}
}

func setDiff[K comparable](want, got map[K]bool) string {
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, fmt.Sprint(k))
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, fmt.Sprint(k))
		}
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return fmt.Sprintf("lost %v, unexpected %v", missing, extra)
}
