package alerts_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/alerts"
	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/scan"
)

// The Globex estate: a Vercel project reading a Supabase database through DATABASE_URL and an
// external payments API, a bucket and network restrictions, a DigitalOcean firewall and managed
// database, and an Odoo instance. Each test scans it twice (or more) through the real pipeline
// (rules, validator, history) with a change scripted between the scans.
const (
	refMain    = "globexmainaaaaaaaaaa"
	refReplica = "globexreplicabbbbbbb"
)

type estate struct {
	dbHost      string   // DATABASE_URL's host
	extraAPI    string   // a second external API the project reads ("" none)
	bucket      bool     // the avatars bucket is public
	cidrs       []string // the Supabase network restriction's allowed CIDRs
	inbound     []string // the firewall's inbound addresses
	openPorts   []string // the firewall's ports open to anyone (nil: not recorded, as older scans)
	trusted     []string // the managed database's trusted sources
	deployRepo  string   // a second production deployment's repository ("" none)
	odooDown    bool     // the Odoo collector fails
	extraSource bool     // a second Supabase instance, new in this scan
}

func baseEstate() estate {
	return estate{
		dbHost:  "db." + refMain + ".supabase.co",
		cidrs:   []string{"198.51.100.0/24"},
		inbound: []string{"198.51.100.0/24"},
		trusted: []string{"ip_addr:198.51.100.7"},
	}
}

type emitFunc func(ctx context.Context, emit graph.Emitter) error

func (f emitFunc) Collect(ctx context.Context, emit graph.Emitter) error { return f(ctx, emit) }

func contains(from, to string) graph.Edge {
	return graph.Edge{From: from, To: to, Type: "contains", Origin: graph.Observed, Confidence: 1}
}

func (s estate) instances() []collectors.Instance {
	vercel := emitFunc(func(ctx context.Context, emit graph.Emitter) error {
		team, prj := "vercel:team:team_globex", "vercel:project:prj_web"
		emit.Node(graph.Node{ID: team, Kind: "team", Provider: "vercel", Name: "globex"})
		emit.Node(graph.Node{ID: prj, Kind: "project", Provider: "vercel", Name: "web", Attrs: graph.Attrs{"repo": "github.com/globex/web"}})
		emit.Edge(contains(team, prj))
		env := func(id, key, url, host string) {
			emit.Node(graph.Node{ID: "vercel:env_var:prj_web/" + id, Kind: "env_var", Provider: "vercel", Name: key,
				Attrs: graph.Attrs{"key": key, "targets": []string{"production"}, "type": "plain", "value.url": url, "value.host": host}})
			emit.Edge(contains(prj, "vercel:env_var:prj_web/"+id))
		}
		env("env_db", "DATABASE_URL", "postgres://"+s.dbHost+":5432", s.dbHost)
		env("env_pay", "PAYMENTS_URL", "https://api.paybox.example/v2", "api.paybox.example")
		if s.extraAPI != "" {
			env("env_extra", "MAIL_API_URL", "https://"+s.extraAPI+"/v1", s.extraAPI)
		}
		deploy := func(id, repo string) {
			emit.Node(graph.Node{ID: "vercel:deployment:" + id, Kind: "deployment", Provider: "vercel", Name: id + "-globex.vercel.app",
				Attrs: graph.Attrs{"target": "production", "repo": repo, "state": "READY"}})
			emit.Edge(contains(prj, "vercel:deployment:"+id))
		}
		deploy("dpl_web_1", "github.com/globex/web")
		if s.deployRepo != "" {
			deploy("dpl_web_2", s.deployRepo)
		}
		return nil
	})
	supa := func(ref, name string, restrict bool) emitFunc {
		return func(ctx context.Context, emit graph.Emitter) error {
			p := "supabase:project:" + ref
			emit.Node(graph.Node{ID: p, Kind: "project", Provider: "supabase", Name: name, Attrs: graph.Attrs{
				"ref": ref, "db_host": "db." + ref + ".supabase.co", "api_host": ref + ".supabase.co"}})
			if ref == refMain || ref == "globexeuropecccccccc" {
				emit.Node(graph.Node{ID: "supabase:storage_bucket:" + ref + "/avatars", Kind: "storage_bucket", Provider: "supabase", Name: "avatars",
					Attrs: graph.Attrs{"public": s.bucket || ref != refMain}})
				emit.Edge(contains(p, "supabase:storage_bucket:"+ref+"/avatars"))
			}
			if restrict {
				emit.Node(graph.Node{ID: "supabase:network_restriction:" + ref, Kind: "network_restriction", Provider: "supabase", Name: "network restrictions",
					Attrs: graph.Attrs{"allowed_cidrs": s.cidrs}})
				emit.Edge(contains(p, "supabase:network_restriction:"+ref))
			}
			return nil
		}
	}
	supabase := emitFunc(func(ctx context.Context, emit graph.Emitter) error {
		if err := supa(refMain, "globex-main", true)(ctx, emit); err != nil {
			return err
		}
		return supa(refReplica, "globex-replica", false)(ctx, emit)
	})
	do := emitFunc(func(ctx context.Context, emit graph.Emitter) error {
		emit.Node(graph.Node{ID: "digitalocean:firewall:fw-globex", Kind: "firewall", Provider: "digitalocean", Name: "globex-fw",
			Attrs: fwAttrs(s)})
		emit.Node(graph.Node{ID: "digitalocean:db_cluster:db-globex", Kind: "db_cluster", Provider: "digitalocean", Name: "globex-pg",
			Attrs: graph.Attrs{"trusted_sources": s.trusted, "engine": "pg"}})
		return nil
	})
	odoo := emitFunc(func(ctx context.Context, emit graph.Emitter) error {
		if s.odooDown {
			return errors.New("XML-RPC: connection refused")
		}
		emit.Node(graph.Node{ID: "odoo:instance:erp.globex.example", Kind: "instance", Provider: "odoo", Name: "erp.globex.example"})
		return nil
	})
	insts := []collectors.Instance{
		{Provider: "vercel", Name: "globex", Collector: vercel},
		{Provider: "supabase", Name: "globex", Collector: supabase},
		{Provider: "digitalocean", Name: "globex", Collector: do},
		{Provider: "odoo", Name: "globex", Collector: odoo},
	}
	if s.extraSource {
		insts = append(insts, collectors.Instance{Provider: "supabase", Name: "globex-eu", Collector: supa("globexeuropecccccccc", "globex-eu", false)})
	}
	return insts
}

// scans runs the estates in order, each on top of the previous graph, and returns the last
// scan's graph.
func scans(t *testing.T, o alerts.Options, states ...estate) *graph.Graph {
	t.Helper()
	var prev *graph.Graph
	at := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	for i, s := range states {
		res, err := scan.Run(context.Background(), scan.Options{
			Instances: s.instances(),
			Enrichers: []enrich.Enricher{enrich.Rules{}},
			Now:       func() time.Time { return at },
			Previous:  prev,
			Alerts:    o,
		})
		if err != nil {
			t.Fatalf("scan %d: %v", i+1, err)
		}
		prev = res.Graph
		at = at.Add(6 * time.Hour)
	}
	return prev
}

func kinds(as []graph.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Kind+" "+a.Subject)
	}
	return out
}

// only asserts that g raised exactly one alert, of kind about subject, and returns it.
func only(t *testing.T, g *graph.Graph, kind, subject string) graph.Alert {
	t.Helper()
	as := g.Scan.Alerts
	if len(as) != 1 || as[0].Kind != kind || as[0].Subject != subject {
		t.Fatalf("want one %s alert about %s, got %q", kind, subject, kinds(as))
	}
	for _, id := range as[0].Nodes {
		if !g.HasNode(id) {
			t.Errorf("alert cites %s, which the graph does not have", id)
		}
	}
	return as[0]
}

func TestUnchangedRescanRaisesNothing(t *testing.T) {
	g := scans(t, alerts.Options{}, baseEstate(), baseEstate())
	if len(g.Scan.Alerts) != 0 {
		t.Fatalf("unchanged rescan raised %q", kinds(g.Scan.Alerts))
	}
	if g.Scan.Changes == nil {
		t.Fatal("the second scan was not compared with the first")
	}
	// The estate is not trivially quiet: it has a database setting and an external host.
	if g.Scan.ImplicitEdges == nil || g.Scan.ImplicitEdges.Rule == 0 {
		t.Fatalf("implicit edges %+v: the estate's rules found nothing, so the test proves nothing", g.Scan.ImplicitEdges)
	}
	if want := graph.Implicit(g); *g.Scan.ImplicitEdges != want {
		t.Errorf("implicit edges recorded %+v, counted %+v", *g.Scan.ImplicitEdges, want)
	}
}

func TestFirstScanRaisesNothing(t *testing.T) {
	s := baseEstate()
	s.bucket, s.inbound = true, []string{"0.0.0.0/0"}
	if g := scans(t, alerts.Options{}, s); len(g.Scan.Alerts) != 0 {
		t.Fatalf("first scan raised %q", kinds(g.Scan.Alerts))
	}
}

func TestFirewallOpenedToTheWorld(t *testing.T) {
	s := baseEstate()
	s.inbound = []string{"198.51.100.0/24", "::/0"}
	a := only(t, scans(t, alerts.Options{}, baseEstate(), s), graph.AlertExposureOpened, "digitalocean:firewall:fw-globex")
	if a.Now != "inbound traffic from ::/0" || !strings.Contains(a.Message, `"globex-fw"`) {
		t.Errorf("alert %+v", a)
	}
}

func fwAttrs(s estate) graph.Attrs {
	a := graph.Attrs{"inbound_addresses": s.inbound, "inbound_ports": []string{"tcp:22", "tcp:443"}}
	if s.openPorts != nil {
		a["inbound_open_ports"] = s.openPorts
	}
	return a
}

// A firewall already open to the world on one port opens a second one: the addresses do not
// change, the ports anyone reaches do, and that is what an operator must see.
func TestFirewallOpensAnotherPortToTheWorld(t *testing.T) {
	s := baseEstate()
	s.inbound, s.openPorts = []string{"0.0.0.0/0", "198.51.100.0/24"}, []string{"tcp:443"}
	s2 := s
	s2.openPorts = []string{"tcp:22", "tcp:443"}
	a := only(t, scans(t, alerts.Options{}, s, s2), graph.AlertExposureOpened, "digitalocean:firewall:fw-globex")
	if a.Now != "inbound tcp:22 from anywhere" || a.Was != "inbound tcp:443 from anywhere" {
		t.Errorf("alert %+v", a)
	}
	// A previous scan that did not record the ports (an older version) is compared by addresses:
	// the first scan that records them raises nothing.
	old := s
	old.openPorts = nil
	if g := scans(t, alerts.Options{}, old, s); len(g.Scan.Alerts) != 0 {
		t.Errorf("recording the open ports for the first time raised %q", kinds(g.Scan.Alerts))
	}
}

func TestNetworkRestrictionOpened(t *testing.T) {
	s := baseEstate()
	s.cidrs = []string{"0.0.0.0/0"}
	a := only(t, scans(t, alerts.Options{}, baseEstate(), s), graph.AlertExposureOpened, "supabase:network_restriction:"+refMain)
	if !slices.Contains(a.Nodes, "supabase:project:"+refMain) {
		t.Errorf("the alert does not name the project the restriction belongs to: %v", a.Nodes)
	}
}

func TestBucketMadePublic(t *testing.T) {
	s := baseEstate()
	s.bucket = true
	only(t, scans(t, alerts.Options{}, baseEstate(), s), graph.AlertExposureOpened, "supabase:storage_bucket:"+refMain+"/avatars")
}

func TestLastTrustedSourceRemoved(t *testing.T) {
	s := baseEstate()
	s.trusted = nil
	a := only(t, scans(t, alerts.Options{}, baseEstate(), s), graph.AlertExposureOpened, "digitalocean:db_cluster:db-globex")
	if a.Was != "ip_addr:198.51.100.7" {
		t.Errorf("was %q", a.Was)
	}
}

func TestClosingIsNotAnAlert(t *testing.T) {
	open := baseEstate()
	open.inbound, open.bucket, open.cidrs = []string{"0.0.0.0/0"}, true, []string{"0.0.0.0/0"}
	if g := scans(t, alerts.Options{}, open, baseEstate()); len(g.Scan.Alerts) != 0 {
		t.Fatalf("closing exposures raised %q", kinds(g.Scan.Alerts))
	}
}

func TestNewExternalHost(t *testing.T) {
	s := baseEstate()
	s.extraAPI = "api.mailfox.example"
	a := only(t, scans(t, alerts.Options{}, baseEstate(), s), graph.AlertNewExternalHost, "external:host:api.mailfox.example")
	if !slices.Contains(a.Nodes, "vercel:project:prj_web") {
		t.Errorf("the alert does not name who uses the host: %v", a.Nodes)
	}
}

func TestDatabaseSettingMoved(t *testing.T) {
	s := baseEstate()
	s.dbHost = "db." + refReplica + ".supabase.co"
	g := scans(t, alerts.Options{}, baseEstate(), s)
	a := only(t, g, graph.AlertDatabaseMoved, "vercel:env_var:prj_web/env_db")
	if a.Was != "supabase:project:"+refMain || a.Now != "supabase:project:"+refReplica {
		t.Errorf("was %q now %q", a.Was, a.Now)
	}
	if !strings.Contains(a.Message, `"DATABASE_URL" of "web"`) {
		t.Errorf("message %q", a.Message)
	}
}

func TestDatabaseSettingMovedOutOfTheGraph(t *testing.T) {
	s := baseEstate()
	s.dbHost = "pg.elsewhere.example"
	as := scans(t, alerts.Options{}, baseEstate(), s).Scan.Alerts
	// The new host is an external host nobody used before, too: both are news.
	if got := kinds(as); !slices.Equal(got, []string{
		"database_moved vercel:env_var:prj_web/env_db",
		"new_external_host external:host:pg.elsewhere.example",
	}) {
		t.Fatalf("alerts %q", got)
	}
	// the rules may or may not link the variable to the new host's node: either way the alert
	// says where it points now
	if !strings.HasSuffix(as[0].Now, "pg.elsewhere.example") {
		t.Errorf("now %q", as[0].Now)
	}
}

func TestProductionDeployFromUnknownRepository(t *testing.T) {
	s := baseEstate()
	s.deployRepo = "github.com/mallory/web-fork"
	a := only(t, scans(t, alerts.Options{}, baseEstate(), s), graph.AlertUnknownRepoDeploy, "vercel:deployment:dpl_web_2")
	if a.Now != "github.com/mallory/web-fork" {
		t.Errorf("now %q", a.Now)
	}
	// a repository earlier scans knew, or one the configuration lists, is no news
	s.deployRepo = "github.com/globex/web"
	if g := scans(t, alerts.Options{}, baseEstate(), s); len(g.Scan.Alerts) != 0 {
		t.Errorf("a known repository raised %q", kinds(g.Scan.Alerts))
	}
	s.deployRepo = "github.com/globex/web-next"
	if g := scans(t, alerts.Options{KnownRepos: []string{"github.com/globex/*"}}, baseEstate(), s); len(g.Scan.Alerts) != 0 {
		t.Errorf("a repository of a listed owner raised %q", kinds(g.Scan.Alerts))
	}
}

func TestProviderStaleForMoreThanNScans(t *testing.T) {
	down := baseEstate()
	down.odooDown = true
	// limit 2: the third failing scan in a row crosses it, once
	states := []estate{baseEstate(), down, down, down, down}
	for n, want := range []int{2: 0, 3: 0, 4: 1, 5: 0} {
		if n < 2 {
			continue
		}
		g := scans(t, alerts.Options{StaleScans: 2}, states[:n]...)
		got := len(g.Scan.Alerts)
		if got != want {
			t.Errorf("after %d scans (%d failing): %d alerts %q, want %d", n, n-1, got, kinds(g.Scan.Alerts), want)
		}
		if want == 1 {
			only(t, g, graph.AlertProviderStale, "odoo/globex")
		}
	}
	// the count restarts once the collector completes
	g := scans(t, alerts.Options{StaleScans: 2}, baseEstate(), down, down, baseEstate(), down, down)
	if len(g.Scan.Alerts) != 0 {
		t.Errorf("the streak did not restart: %q", kinds(g.Scan.Alerts))
	}
	for _, c := range g.Collectors {
		if c.Key() == "odoo/globex" && c.StaleScans != 2 {
			t.Errorf("odoo/globex stale_scans %d, want 2", c.StaleScans)
		}
	}
}

func TestNewCollectorInstanceIsBaseline(t *testing.T) {
	s := baseEstate()
	s.extraSource = true // brings a public bucket
	if g := scans(t, alerts.Options{}, baseEstate(), s); len(g.Scan.Alerts) != 0 {
		t.Fatalf("a newly configured instance raised %q", kinds(g.Scan.Alerts))
	}
	// once it is part of the estate, its changes are news like any other
	t2 := s
	t2.bucket = true
	only(t, scans(t, alerts.Options{}, s, t2), graph.AlertExposureOpened, "supabase:storage_bucket:"+refMain+"/avatars")
}

func TestEveryKindAtOnceIsSortedAndValid(t *testing.T) {
	s := baseEstate()
	s.inbound = []string{"0.0.0.0/0"}
	s.extraAPI = "api.mailfox.example"
	s.dbHost = "db." + refReplica + ".supabase.co"
	s.deployRepo = "github.com/mallory/web-fork"
	s.odooDown = true
	g := scans(t, alerts.Options{StaleScans: 0}, baseEstate(), s, s, s, s)
	got := kinds(g.Scan.Alerts)
	// only the last scan's news: the others were raised (and seen) the scan they happened
	if !slices.Equal(got, []string{"provider_stale odoo/globex"}) {
		t.Errorf("fifth scan: %q", got)
	}
	g = scans(t, alerts.Options{}, baseEstate(), s)
	got = kinds(g.Scan.Alerts)
	want := []string{
		"database_moved vercel:env_var:prj_web/env_db",
		"exposure_opened digitalocean:firewall:fw-globex",
		"new_external_host external:host:api.mailfox.example",
		"unknown_repo_deploy vercel:deployment:dpl_web_2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("second scan: %q, want %q", got, want)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []alerts.Options{{StaleScans: -1}, {KnownRepos: []string{""}}, {KnownRepos: []string{"github.com/*/web"}}} {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if err := (alerts.Options{StaleScans: 5, KnownRepos: []string{"github.com/globex/*", "gitlab.com/a/b"}}).Validate(); err != nil {
		t.Error(err)
	}
}
