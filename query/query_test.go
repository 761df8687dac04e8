package query

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// acme is testdata/acme.json: the Acme Coffee estate across the five providers, with the
// acme-api app stale (its DigitalOcean collector failed).
func acme(t *testing.T) *graph.Graph {
	t.Helper()
	f, err := os.Open("testdata/acme.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := graph.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
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
		"orders":                    "supabase:table:qwertyuiopasdfghjklz/public.orders", // after "."
		"public.orders":             "supabase:table:qwertyuiopasdfghjklz/public.orders",
		"c0ffee01":                  "docker:container:erp-1/c0ffee01", // after "/"
		"ffee01":                    "docker:container:erp-1/c0ffee01", // any suffix, last resort
		"ERP-ODOO-1":                "docker:container:erp-1/c0ffee01", // name, any case
		"prj_storefront":            "vercel:project:prj_storefront",
		"acme-prod":                 "supabase:project:qwertyuiopasdfghjklz",
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
		// names of three nodes, and a suffix of two ids
		"erp": {"digitalocean:dns_record:acme-coffee.com/erp", "docker:compose_project:erp-1/erp", "odoo:instance:erp.acme-coffee.com"},
		// the engine's id ends in erp-1, the droplet is named erp-1
		"erp-1": {"digitalocean:droplet:1001", "docker:engine:erp-1"},
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
		"kind":            {Filter{Kind: "project"}, []string{"supabase:project:qwertyuiopasdfghjklz", "vercel:project:prj_admin", "vercel:project:prj_marketing", "vercel:project:prj_storefront"}},
		"qualified kind":  {Filter{Kind: "vercel:project"}, []string{"vercel:project:prj_admin", "vercel:project:prj_marketing", "vercel:project:prj_storefront"}},
		"provider + name": {Filter{Provider: "docker", Name: "ERP-"}, []string{"docker:container:erp-1/c0ffee01", "docker:container:erp-1/c0ffee02", "docker:engine:erp-1"}},
		"attr value":      {Filter{Attrs: []string{"framework=NextJS"}}, []string{"vercel:project:prj_admin", "vercel:project:prj_storefront"}},
		"attr list value": {Filter{Attrs: []string{"domains=shop.acme-coffee.com"}}, []string{"vercel:project:prj_storefront"}},
		"attr presence":   {Filter{Attrs: []string{"env.ODOO_URL.host"}}, []string{"digitalocean:app:acme-api", "vercel:project:prj_admin"}},
		"two attrs":       {Filter{Attrs: []string{"framework=nextjs", "env.ODOO_URL.host=erp.acme-coffee.com"}}, []string{"vercel:project:prj_admin"}},
		"stale":           {Filter{Stale: true}, []string{"digitalocean:app:acme-api"}},
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

// "What breaks if this droplet goes down": DNS that points at it, the Docker engine on it, the Odoo
// running in one of the engine's containers, and the Vercel project and DigitalOcean app calling
// Odoo. The engine's containers and Compose project are parts (down with the engine, listed
// apart, not counted). The firewall protecting it (association) and the domain containing the
// record (containment from a non-host) are not impacted.
func TestImpactAcrossProviders(t *testing.T) {
	g := acme(t)
	hits, err := Impact(g, "1001", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"digitalocean:dns_record:acme-coffee.com/erp", "docker:engine:erp-1", // 1
		"odoo:instance:erp.acme-coffee.com",                     // 3
		"digitalocean:app:acme-api", "vercel:project:prj_admin", // 4
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
	if got, want := hitIDs(a.Parts), []string{"docker:compose_project:erp-1/erp", "docker:container:erp-1/c0ffee01", "docker:container:erp-1/c0ffee02", "odoo:database:erp.acme-coffee.com/acme"}; !reflect.DeepEqual(got, want) {
		t.Errorf("parts %v, want %v", got, want)
	}
	// Deleting the droplet destroys what runs on it and holds data: Odoo runs on a container of
	// the engine that runs on the droplet, and its database is a part of it.
	if len(a.Data) != 1 || a.Data[0].Node.ID != "odoo:database:erp.acme-coffee.com/acme" {
		t.Errorf("data %+v", a.Data)
	}
	dist := map[string]int{}
	for _, h := range hits {
		dist[h.Node.ID] = h.Distance
	}
	if dist["docker:engine:erp-1"] != 1 || dist["odoo:instance:erp.acme-coffee.com"] != 3 || dist["vercel:project:prj_admin"] != 4 {
		t.Errorf("distances %v", dist)
	}
	last := hits[3]
	if last.Node.ID != "digitalocean:app:acme-api" || !last.Node.Stale || last.Via.Type != "calls" || !last.Via.Stale || last.From != "odoo:instance:erp.acme-coffee.com" {
		t.Errorf("stale hit: %+v", last)
	}
	if h := hits[1]; h.Via.Type != "runs_on" || h.Via.Origin != graph.Rule || h.From != "digitalocean:droplet:1001" {
		t.Errorf("engine via %+v", h)
	}

	// depth bounds the walk
	hits, _ = Impact(g, "droplet:1001", 2)
	if len(hits) != 2 {
		t.Errorf("depth 2: %v", hitIDs(hits))
	}
	// A Supabase project: its pooler (a part that is also a pool of it: a runtime dependent), the
	// Vercel project using the pooler and its domain, and the database webhook calling the Vercel
	// project (a part of the project too: a break outranks a part). The storefront builds from git: the repository
	// going down breaks nothing at runtime, it is listed as a rebuild.
	hits, _ = Impact(g, "acme-prod", 0)
	if got, want := hitIDs(hits), []string{"supabase:pooler:qwertyuiopasdfghjklz", "vercel:project:prj_storefront", "supabase:db_webhook:qwertyuiopasdfghjklz/order-created", "vercel:project_domain:prj_storefront/shop.acme-coffee.com"}; !reflect.DeepEqual(got, want) {
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
	}
	repo, _ := Analyze(g, "github.com/acme/storefront")
	if repo.BlastRadius != 0 || len(repo.Breaks) != 0 || hitIDs(repo.Rebuild)[0] != "vercel:project:prj_storefront" || len(repo.Rebuild) != 1 {
		t.Errorf("git repo: breaks %v rebuild %v", hitIDs(repo.Breaks), hitIDs(repo.Rebuild))
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
	// the container depends on the container it links to and on its engine (its runtime host),
	// which runs on the droplet
	if got, want := hitIDs(hits), []string{"docker:container:erp-1/c0ffee02", "docker:engine:erp-1", "digitalocean:droplet:1001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("deps %v", got)
	}
	hits, _ = Deps(g, "prj_admin", 1)
	if got := hitIDs(hits); !reflect.DeepEqual(got, []string{"odoo:instance:erp.acme-coffee.com"}) {
		t.Errorf("depth 1: %v", got)
	}
	hits, _ = Deps(g, "prj_admin", 0)
	if got := hitIDs(hits); !reflect.DeepEqual(got, []string{"odoo:instance:erp.acme-coffee.com", "docker:container:erp-1/c0ffee01",
		"docker:container:erp-1/c0ffee02", "docker:engine:erp-1", "digitalocean:droplet:1001"}) {
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
	steps, err := Path(g, "prj_admin", "1001")
	if err != nil {
		t.Fatal(err)
	}
	got := ids(steps, func(s Step) string { return s.Node.ID })
	want := []string{"vercel:project:prj_admin", "odoo:instance:erp.acme-coffee.com", "docker:container:erp-1/c0ffee01", "docker:engine:erp-1", "digitalocean:droplet:1001"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("path %v", got)
	}
	// the engine contains the container: that hop goes against the edge's direction
	if steps[0].Via != nil || !steps[1].Forward || steps[3].Forward || steps[3].Via.Type != "contains" || !steps[4].Forward {
		t.Errorf("steps %+v", steps)
	}
	// a directed path is preferred when one exists
	steps, _ = Path(g, "digitalocean:domain:acme-coffee.com", "1001")
	if len(steps) != 3 || !steps[1].Forward || !steps[2].Forward {
		t.Errorf("directed path %+v", steps)
	}
	if _, err := Path(g, "prj_marketing", "orders"); err != nil {
		t.Errorf("marketing and orders connect through the team and storefront: %v", err)
	}
	if _, err := Path(g, "orders", "smtp.sendgrid.net"); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("unconnected: %v", err)
	}
}

func TestShow(t *testing.T) {
	d, err := Show(acme(t), "acme-api")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Node.Stale || len(d.Out) != 1 || d.Out[0].Type != "calls" || len(d.In) != 0 || d.FirstSeen == "" {
		t.Errorf("%+v", d)
	}
}
