package query

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/infragraph/infragraph/demo/demograph"
	"github.com/infragraph/infragraph/graph"
)

// Ids of the shared test estate (package demograph: the demo's scanned graph).
const (
	acmeAPI  = "digitalocean:app:c2a93513-8d9b-4223-9d61-5e7272c81cf5"
	recordA  = "digitalocean:dns_record:acme-coffee.com/28448433" // erp.acme-coffee.com A -> the droplet
	odooCtr  = "docker:container:erp-1/74c9f980a83afa91ae6a20a051156707eab6981f3d3be35da73c3ba9cde2a7ec"
	proxyCtr = "docker:container:erp-1/4405fb6763b7aa4c394bc98815d55f3c6f420e822e862de5d8719dfb502ec55c"
	dbCtr    = "docker:container:erp-1/9012ca8ecfc28947fad934e8ada910f3380cc0d30aa817d26628760129f94948"
	odoo     = "odoo:instance:erp.acme-coffee.com"
	sbProj   = "supabase:project:qwertyuiopasdfghjklz"
	staleAt  = "2026-11-21T06:00:00Z"
)

// acme is the demo's graph after a second scan in which DigitalOcean's collector failed for the
// acme-api app: the app and its edges are carried forward stale (as package history marks them).
func acme(t *testing.T) *graph.Graph {
	t.Helper()
	g := demograph.Graph(t)
	demograph.MarkStale(g, acmeAPI, staleAt)
	return g
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func hitIDs(hs []Hit) []string { return ids(hs, func(h Hit) string { return h.Node.ID }) }

func TestResolve(t *testing.T) {
	g := acme(t)
	for ref, want := range map[string]string{
		"digitalocean:droplet:1001": "digitalocean:droplet:1001", // full id
		"1001":                      "digitalocean:droplet:1001", // suffix at ":"
		"droplet:1001":              "digitalocean:droplet:1001",
		"sale.order":                "odoo:model:erp.acme-coffee.com/acme/sale.order", // after "/"
		"order":                     "odoo:model:erp.acme-coffee.com/acme/sale.order", // after "."
		"product-images":            "supabase:storage_bucket:qwertyuiopasdfghjklz/product-images",
		"ba9cde2a7ec":               odooCtr, // any suffix, last resort
		"ERP-ODOO-1":                odooCtr, // name, any case
		"prj_storefront":            "vercel:project:prj_storefront",
		"acme-api":                  acmeAPI,
		// an exact name beats an id that ends in it (git:repo:github.com/acme/storefront)
		"storefront": "vercel:project:prj_storefront",
	} {
		got, err := Resolve(g, ref)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
}

func TestResolveAmbiguousAndMissing(t *testing.T) {
	g := acme(t)
	for ref, want := range map[string][]string{
		// a DigitalOcean tag and the Compose project are both named erp
		"erp": {"digitalocean:tag:5df3e3004a17e242b7c20ca6c9fc25b701a47ece/erp", "docker:compose_project:erp-1/erp"},
		// the engine's id ends in erp-1, the droplet is named erp-1
		"erp-1": {"digitalocean:droplet:1001", "docker:engine:erp-1"},
		// the DigitalOcean project and the Supabase project share a name
		"acme-prod": {"digitalocean:project:4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679", sbProj},
	} {
		_, err := Resolve(g, ref)
		var amb *AmbiguousError
		if !errors.As(err, &amb) || !reflect.DeepEqual(amb.Candidates, want) {
			t.Errorf("Resolve(%q): %v, want candidates %v", ref, err, want)
			continue
		}
		for _, c := range want {
			if !strings.Contains(err.Error(), c) {
				t.Errorf("error %q does not list %s", err, c)
			}
		}
	}
	if _, err := Resolve(g, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}

func TestFind(t *testing.T) {
	g := acme(t)
	for name, c := range map[string]struct {
		f    Filter
		want []string
	}{
		"kind":            {Filter{Kind: "project"}, []string{"digitalocean:project:4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679", sbProj, "vercel:project:prj_admin", "vercel:project:prj_marketing", "vercel:project:prj_storefront"}},
		"qualified kind":  {Filter{Kind: "vercel:project"}, []string{"vercel:project:prj_admin", "vercel:project:prj_marketing", "vercel:project:prj_storefront"}},
		"provider + name": {Filter{Provider: "docker", Name: "ERP-"}, []string{proxyCtr, odooCtr, dbCtr, "docker:engine:erp-1"}},
		"attr value":      {Filter{Attrs: []string{"framework=NextJS"}}, []string{"vercel:project:prj_admin", "vercel:project:prj_storefront"}},
		"attr list value": {Filter{Attrs: []string{"domains=shop.acme-coffee.com"}}, []string{"vercel:project:prj_storefront"}},
		"attr presence":   {Filter{Attrs: []string{"env.ODOO_URL.host"}}, []string{acmeAPI}},
		"attr of a ref":   {Filter{Attrs: []string{"value.host=erp.acme-coffee.com"}}, []string{"vercel:env_var:prj_admin/env_admin_odoo_url", "vercel:env_var:prj_storefront/env_sf_odoo"}},
		"two attrs":       {Filter{Attrs: []string{"framework=nextjs", "repo=github.com/acme/admin"}}, []string{"vercel:project:prj_admin"}},
		"stale":           {Filter{Stale: true}, []string{acmeAPI}},
		"nothing":         {Filter{Kind: "droplet", Name: "zzz"}, []string{}},
	} {
		got, err := Find(g, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if ids := ids(got, func(n Node) string { return n.ID }); !reflect.DeepEqual(ids, c.want) {
			t.Errorf("%s: %v, want %v", name, ids, c.want)
		}
	}
	if _, err := Find(g, Filter{Attrs: []string{"=x"}}); err == nil {
		t.Error("malformed attribute filter accepted")
	}
	got, _ := Find(g, Filter{Stale: true})
	if !got[0].Stale || got[0].StaleSince == "" || got[0].Attrs["env.ODOO_URL.host"] != "erp.acme-coffee.com" {
		t.Errorf("stale marker or attrs missing: %+v", got[0])
	}
}

// "What breaks if this droplet goes down": the DNS record that points at it, the Docker engine
// and the Odoo instance running on it, everything calling Odoo (the admin and storefront projects,
// the stale acme-api app), and what reaches those (their domains, DNS records and aliases, the
// Odoo jobs calling the storefront). The engine's Compose project, services, images, networks
// and volumes and Odoo's database are parts (down with it, listed apart, not counted). The
// firewall protecting it (association) is not impacted.
func TestImpactAcrossProviders(t *testing.T) {
	g := acme(t)
	hits, err := Impact(g, "1001", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		recordA, "docker:engine:erp-1", odoo, // 1
		acmeAPI, "vercel:project:prj_admin", "vercel:project:prj_storefront", // 2: Odoo's callers
		"digitalocean:dns_record:acme-coffee.com/28448435", "digitalocean:dns_record:acme-coffee.com/28448436", "digitalocean:domain:acme-coffee.com", // 3
		proxyCtr, odooCtr, dbCtr, // 3: the containers run images of the engine
		"odoo:cron:erp.acme-coffee.com/acme/2", "odoo:server_action:erp.acme-coffee.com/acme/10",
		"vercel:project_domain:prj_admin/admin-acme.vercel.app", "vercel:project_domain:prj_storefront/shop.acme-coffee.com", "vercel:project_domain:prj_storefront/storefront-acme.vercel.app",
		"vercel:alias:als_admin_app", "vercel:alias:als_shop", "vercel:alias:als_storefront_app", // 4
	}
	if got := hitIDs(hits); !reflect.DeepEqual(got, want) {
		t.Fatalf("impact:\n got %v\nwant %v", got, want)
	}
	a, err := Analyze(g, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hitIDs(a.Breaks), want) || a.BlastRadius != len(want) {
		t.Errorf("Analyze breaks %v radius %d", hitIDs(a.Breaks), a.BlastRadius)
	}
	parts := hitIDs(a.Parts)
	for _, p := range []string{"docker:compose_project:erp-1/erp", "docker:compose_service:erp-1/erp/odoo", "docker:volume:erp-1/erp_db-data", "odoo:database:erp.acme-coffee.com/acme"} {
		if !slices.Contains(parts, p) {
			t.Errorf("parts lack %s: %v", p, parts)
		}
	}
	for _, b := range want {
		if slices.Contains(parts, b) {
			t.Errorf("%s is both a break and a part", b)
		}
	}
	if slices.Contains(parts, "digitalocean:firewall:bb4b2611-3d72-467b-8602-280330ecd65c") || slices.Contains(want, "digitalocean:firewall:bb4b2611-3d72-467b-8602-280330ecd65c") {
		t.Error("the firewall protecting the droplet is impacted")
	}
	// Deleting the droplet destroys what runs on it and holds data: the engine's three volumes,
	// and the Odoo database, a part of the instance that runs on it.
	var data []string
	for _, d := range a.Data {
		data = append(data, d.Node.ID)
	}
	if want := []string{"docker:volume:erp-1/erp_db-data", "docker:volume:erp-1/erp_letsencrypt", "docker:volume:erp-1/erp_odoo-data", "odoo:database:erp.acme-coffee.com/acme"}; !reflect.DeepEqual(data, want) {
		t.Errorf("data %v, want %v", data, want)
	}
	dist := map[string]int{}
	for _, h := range hits {
		dist[h.Node.ID] = h.Distance
	}
	if dist["docker:engine:erp-1"] != 1 || dist[odoo] != 1 || dist["vercel:project:prj_admin"] != 2 || dist["vercel:alias:als_shop"] != 4 {
		t.Errorf("distances %v", dist)
	}
	api := hits[3]
	if api.Node.ID != acmeAPI || !api.Node.Stale || api.Via.Type != "calls" || !api.Via.Stale || api.From != odoo {
		t.Errorf("stale hit: %+v", api)
	}
	if h := hits[1]; h.Via.Type != "runs_on" || h.Via.Origin != graph.Rule || h.From != "digitalocean:droplet:1001" {
		t.Errorf("engine via %+v", h)
	}

	// depth bounds the walk
	hits, _ = Impact(g, "droplet:1001", 1)
	if len(hits) != 3 {
		t.Errorf("depth 1: %v", hitIDs(hits))
	}
	// A Supabase project: its pooler (a part that is also a pool of it: a runtime dependent), the
	// storefront using its database, and what reaches the storefront (its domains and aliases,
	// the Odoo jobs calling it and the automation running one). The storefront's deployments and
	// env vars are parts of a break, not breaks.
	hits, _ = Impact(g, sbProj, 0)
	if got, want := hitIDs(hits), []string{"supabase:pooler:qwertyuiopasdfghjklz/qwertyuiopasdfghjklz", "vercel:project:prj_storefront",
		"digitalocean:dns_record:acme-coffee.com/28448435", "odoo:cron:erp.acme-coffee.com/acme/2", "odoo:server_action:erp.acme-coffee.com/acme/10",
		"vercel:project_domain:prj_storefront/shop.acme-coffee.com", "vercel:project_domain:prj_storefront/storefront-acme.vercel.app",
		"odoo:automation:erp.acme-coffee.com/acme/1", "vercel:alias:als_shop", "vercel:alias:als_storefront_app"}; !reflect.DeepEqual(got, want) {
		t.Errorf("supabase impact %v", got)
	}
	// Critical's counting walk and the prepared index (INFRA.md's) agree with Analyze on every node
	x, err := NewImpactIndex(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes() {
		a, _ := Analyze(g, n.ID)
		if r, _ := BlastRadius(g, n.ID); r != a.BlastRadius || r != len(a.Breaks) || x.Radius(n.ID) != r {
			t.Errorf("%s: BlastRadius %d, index %d, Analyze %d (%d breaks)", n.ID, r, x.Radius(n.ID), a.BlastRadius, len(a.Breaks))
		}
		if xa := x.Analyze(n.ID); !reflect.DeepEqual(xa, a) {
			t.Errorf("%s: index analysis differs:\n%+v\n%+v", n.ID, xa, a)
		}
		s := x.Summary(n.ID)
		if !reflect.DeepEqual(s, Summary{BlastRadius: a.BlastRadius, Breaks: hitIDs(a.Breaks), Parts: hitIDs(a.Parts), Rebuild: hitIDs(a.Rebuild), Data: a.Data}) {
			t.Errorf("%s: summary %+v, analysis %+v", n.ID, s, a)
		}
		// by node numbers (the order of g.Nodes, which the index was made from)
		v, ok := x.Num(n.ID)
		if !ok || x.RadiusOf(v) != a.BlastRadius {
			t.Errorf("%s: number %d (%v), radius %d, want %d", n.ID, v, ok, x.RadiusOf(v), a.BlastRadius)
		}
		w := x.WalkedOf(v, -1)
		ids := func(vs []int32) []string {
			out := []string{}
			for _, v := range vs {
				out = append(out, x.ids[v])
			}
			return out
		}
		if w.BlastRadius != a.BlastRadius || !reflect.DeepEqual(ids(w.Breaks), s.Breaks) || !reflect.DeepEqual(ids(w.Rebuild), s.Rebuild) || !reflect.DeepEqual(w.Data, s.Data) || w.Destroyed != len(s.Data) {
			t.Errorf("%s: walked %+v, summary %+v", n.ID, w, s)
		}
		if w1 := x.WalkedOf(v, 1); w1.Destroyed != len(s.Data) || len(w1.Data) != min(1, len(s.Data)) || (len(s.Data) > 0 && !reflect.DeepEqual(w1.Data[0], s.Data[0])) {
			t.Errorf("%s: walked with one data %+v, summary %+v", n.ID, w1, s)
		}
		if b := x.BreaksOf(v); !reflect.DeepEqual(ids(b), s.Breaks) {
			t.Errorf("%s: breaks %v, summary %v", n.ID, ids(b), s.Breaks)
		}
	}
	// The storefront builds from git: the repository going down breaks nothing at runtime; the
	// project (and its deployments) are listed as rebuilds.
	repo, _ := Analyze(g, "github.com/acme/storefront")
	if got := hitIDs(repo.Rebuild); repo.BlastRadius != 0 || len(repo.Breaks) != 0 || !reflect.DeepEqual(got, []string{"vercel:deployment:dpl_storefront_preview", "vercel:deployment:dpl_storefront_prod", "vercel:project:prj_storefront"}) {
		t.Errorf("git repo: breaks %v rebuild %v", hitIDs(repo.Breaks), got)
	}
	if _, err := Impact(g, "erp", 0); err == nil {
		t.Error("ambiguous reference accepted")
	}
}

func TestDeps(t *testing.T) {
	g := acme(t)
	hits, err := Deps(g, "erp-odoo-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	// the Odoo container uses the Compose database service, runs its image, is attached to the
	// project's network, mounts its volume and runs on its engine, which runs on the droplet in
	// its VPC
	if got, want := hitIDs(hits), []string{"docker:compose_service:erp-1/erp/db", "docker:image:erp-1/sha256:7a05d947a0d0853f9c704597faaef6ca65ef038372403906a85c290f69de7622",
		"docker:network:erp-1/c52135bab0a80cdb73677b22260565e6b3568a3868d6628bafc2ccda65900226", "docker:volume:erp-1/erp_odoo-data", "docker:engine:erp-1",
		"digitalocean:droplet:1001", "digitalocean:vpc:5a4981aa-9653-4bd1-bef5-d6bff52042e4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("deps %v", got)
	}
	hits, _ = Deps(g, "prj_admin", 1)
	if got := hitIDs(hits); !reflect.DeepEqual(got, []string{"git:repo:github.com/acme/admin", odoo}) {
		t.Errorf("depth 1: %v", got)
	}
	// admin calls Odoo, which runs on the droplet and on the reverse proxy's container (it serves
	// erp.acme-coffee.com), which runs on the engine
	hits, _ = Deps(g, "prj_admin", 0)
	if got := hitIDs(hits); !reflect.DeepEqual(got, []string{"git:repo:github.com/acme/admin", odoo, "digitalocean:droplet:1001", proxyCtr,
		"digitalocean:vpc:5a4981aa-9653-4bd1-bef5-d6bff52042e4", "docker:image:erp-1/sha256:c42ea63469aed0c53418855c5e558bc7a280ce681118048baa1a077786132b53",
		"docker:network:erp-1/c52135bab0a80cdb73677b22260565e6b3568a3868d6628bafc2ccda65900226", "docker:volume:erp-1/erp_letsencrypt", "docker:engine:erp-1"}) {
		t.Errorf("deps of admin: %v", got)
	}
	hits, _ = Deps(g, "prj_marketing", 0)
	if hits == nil || len(hits) != 0 {
		t.Errorf("marketing depends on nothing: %v", hits)
	}
}

// Two edges to the same node at the same distance: the hit shows the surer one, whichever type
// sorts first.
func TestDepsShowsSurestEdge(t *testing.T) {
	g := graph.New()
	for _, n := range []graph.Node{
		{ID: "vercel:project:p", Provider: "vercel", Kind: "project", Name: "storefront"},
		{ID: "supabase:project:r", Provider: "supabase", Kind: "project", Name: "acme-prod"},
	} {
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []graph.Edge{
		{From: "vercel:project:p", To: "supabase:project:r", Type: "calls", Origin: graph.Rule, Confidence: 0.85},
		{From: "vercel:project:p", To: "supabase:project:r", Type: "uses_database", Origin: graph.Rule, Confidence: 0.95},
	} {
		if err := g.AddEdge(e); err != nil {
			t.Fatal(err)
		}
	}
	hits, err := Deps(g, "storefront", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Via.Type != "uses_database" || hits[0].Via.Confidence != 0.95 {
		t.Errorf("hits %+v", hits)
	}
}

func TestPath(t *testing.T) {
	g := acme(t)
	steps, err := Path(g, "prj_admin", "erp_db-data")
	if err != nil {
		t.Fatal(err)
	}
	got := ids(steps, func(s Step) string { return s.Node.ID })
	want := []string{"vercel:project:prj_admin", odoo, "digitalocean:droplet:1001", "docker:engine:erp-1", "docker:volume:erp-1/erp_db-data"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("path %v", got)
	}
	// the engine runs on the droplet: that hop goes against the edge's direction
	if steps[0].Via != nil || !steps[1].Forward || !steps[2].Forward || steps[3].Forward || steps[3].Via.Type != "runs_on" || !steps[4].Forward || steps[4].Via.Type != "contains" {
		t.Errorf("steps %+v", steps)
	}
	// a directed path is preferred when one exists
	steps, _ = Path(g, "digitalocean:domain:acme-coffee.com", "1001")
	if len(steps) != 3 || steps[1].Node.ID != recordA || !steps[1].Forward || !steps[2].Forward {
		t.Errorf("directed path %+v", steps)
	}
	if _, err := Path(g, "prj_marketing", "product-images"); err != nil {
		t.Errorf("marketing and the bucket connect through the team and storefront: %v", err)
	}
	if err := g.AddNode(graph.Node{ID: "external:host:example.org", Provider: "external", Kind: "host", Name: "example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Path(g, "product-images", "example.org"); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("unconnected: %v", err)
	}
}

func TestShow(t *testing.T) {
	d, err := Show(acme(t), "acme-api")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range d.Out {
		out = append(out, e.Type+" "+e.To)
	}
	if want := []string{"contains digitalocean:app_component:c2a93513-8d9b-4223-9d61-5e7272c81cf5/api", "uses_database digitalocean:db_cluster:9cc10173-e9ea-4176-9dbc-a4cee4c4ff30", "calls " + odoo}; !d.Node.Stale || !reflect.DeepEqual(out, want) || len(d.In) != 4 || d.FirstSeen == "" {
		t.Errorf("%+v\nout %v", d, out)
	}
}

// chainGraph is a chain of n Vercel projects, each calling the one before, with what breaks a
// chain's shortcut: a cycle (p45 calls p50), a project with a part that calls the one before it
// too (p30 and its deployment d30, which c30 calls), a rebuild edge into a project (q builds from p20) and a repository
// p10 builds from.
func chainGraph(t *testing.T, n int) *graph.Graph {
	t.Helper()
	g := graph.New()
	node := func(id, provider, kind string) {
		if err := g.AddNode(graph.Node{ID: id, Provider: provider, Kind: kind, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	edge := func(from, to, typ string) {
		if err := g.AddEdge(graph.Edge{From: from, To: to, Type: typ, Origin: graph.Observed, Confidence: 1}); err != nil {
			t.Fatal(err)
		}
	}
	p := func(i int) string { return fmt.Sprintf("vercel:project:p%03d", i) }
	for i := range n {
		node(p(i), "vercel", "project")
		if i > 0 {
			edge(p(i), p(i-1), "calls")
		}
	}
	node("vercel:deployment:d30", "vercel", "deployment")
	edge(p(30), "vercel:deployment:d30", "contains")
	edge("vercel:deployment:d30", p(29), "calls")
	node("vercel:project:c30", "vercel", "project") // breaks with d30, a part of p30
	edge("vercel:project:c30", "vercel:deployment:d30", "calls")
	edge(p(45), p(50), "calls")
	node("vercel:project:q", "vercel", "project")
	edge("vercel:project:q", p(20), "builds_from")
	node("git:repo:r", "git", "repo")
	edge(p(10), "git:repo:r", "builds_from")
	return g
}

// TestRadiusAlongAChain: the radii RadiusOf derives along a chain (one more than the node before)
// are BlastRadius's, whatever order they are asked in, and across cycles, parts and rebuilds.
func TestRadiusAlongAChain(t *testing.T) {
	g := chainGraph(t, 60)
	nodes := g.Nodes()
	for _, reverse := range []bool{false, true} {
		x, err := NewImpactIndex(g)
		if err != nil {
			t.Fatal(err)
		}
		chained := 0
		for i := range nodes {
			if reverse {
				i = len(nodes) - 1 - i
			}
			id := nodes[i].ID
			v, _ := x.Num(id)
			if _, _, ok := x.Chain(v); ok {
				chained++
			}
			want, _ := BlastRadius(g, id)
			if got := x.RadiusOf(v); got != want {
				t.Errorf("reverse %v: %s radius %d, want %d", reverse, id, got, want)
			}
		}
		if chained < 40 {
			t.Errorf("only %d nodes continue a chain", chained)
		}
	}
	x, _ := NewImpactIndex(g)
	for _, id := range []string{"vercel:project:p046", "vercel:project:p029", "vercel:project:p030", "vercel:project:p020"} {
		if v, ok := x.Num(id); ok {
			if _, _, chain := x.Chain(v); chain {
				t.Errorf("%s continues a chain: it is in a cycle, has a part, two edges in, or a rebuild", id)
			}
		}
	}
}

// TestIndexSharedByGoroutines: the index's kept radii, components and data are safe to fill from
// many questions at once (serve shares one index per snapshot); run with -race.
func TestIndexSharedByGoroutines(t *testing.T) {
	g := chainGraph(t, 200)
	x, err := NewImpactIndex(g)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, n := range g.Nodes() {
		want[n.ID], _ = BlastRadius(g, n.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(want))
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes := g.Nodes()
			for j := range nodes {
				n := nodes[(j*(i+1))%len(nodes)]
				v, _ := x.Num(n.ID)
				if r := x.RadiusOf(v); r != want[n.ID] {
					errs <- fmt.Sprintf("%s: radius %d, want %d", n.ID, r, want[n.ID])
				}
				if w := x.WalkedOf(v, 1); w.BlastRadius != want[n.ID] {
					errs <- fmt.Sprintf("%s: walked radius %d, want %d", n.ID, w.BlastRadius, want[n.ID])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
