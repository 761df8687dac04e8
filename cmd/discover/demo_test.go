package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// demoProviders are the providers whose collectors the demo runs.
var demoProviders = []string{"digitalocean", "docker", "odoo", "supabase", "vercel"}

// runDemo runs `discover scan --demo` in-process and returns the output directory, the decoded
// graph and the log.
func runDemo(t *testing.T, vars map[string]string, args ...string) (string, *graph.Graph, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	e, _, errb := testEnv(vars)
	code := runEnv(context.Background(), append([]string{"scan", "--demo", "--out", dir}, args...), e)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	if problems := schemas.ValidateJSON(raw); len(problems) > 0 {
		t.Fatalf("graph.json does not validate: %v", problems)
	}
	g, err := graph.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, dir)
	return dir, g, errb.String()
}

// assertNoCanary reads every file the scan wrote: no planted secret may appear in any.
func assertNoCanary(t *testing.T, dir string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		if i := bytes.Index(b, []byte("CANARY")); i >= 0 {
			lo := max(0, i-80)
			t.Errorf("%s holds a CANARY secret: ...%s...", p, b[lo:min(len(b), i+40)])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Fatalf("only %d files written", files)
	}
}

func statuses(g *graph.Graph) map[string]graph.CollectorStatus {
	st := map[string]graph.CollectorStatus{}
	for _, c := range g.Collectors {
		st[c.Key()] = c
	}
	return st
}

func TestDemoScan(t *testing.T) {
	// LLM credentials in the environment: the demo still spends no tokens unless --llm on.
	_, g, log := runDemo(t, map[string]string{"AI_GATEWAY_API_KEY": "CANARY-gateway-key"})
	if !g.Scan.Demo {
		t.Error("graph.json does not say demo")
	}
	if !strings.Contains(log, "DEMO scan") {
		t.Errorf("the log does not say demo:\n%s", log)
	}
	if g.Scan.Enrichment["llm.status"] != "off" {
		t.Errorf("LLM not off in the demo: %v", g.Scan.Enrichment)
	}
	perProvider := map[string]int{}
	for _, n := range g.Nodes() {
		perProvider[n.Provider]++
	}
	st := statuses(g)
	for _, p := range demoProviders {
		if perProvider[p] == 0 {
			t.Errorf("no %s nodes (per provider: %v)", p, perProvider)
		}
		found := false
		for k, c := range st {
			if c.Provider == p && c.Status == graph.StatusOK {
				found = true
			} else if c.Provider == p && c.Status != graph.StatusSkipped {
				t.Errorf("%s: %s %s %v", k, c.Status, c.Reason, c.Warnings)
			}
		}
		if !found {
			t.Errorf("no %s collector ran ok: %v", p, st)
		}
	}
	if c := st["supabase/acme-catalog"]; c.Status != graph.StatusSkipped || !strings.Contains(c.Reason, "PostgreSQL") {
		t.Errorf("without a database the Supabase catalog must be reported skipped: %+v", c)
	}
	assertInferred(t, g)
	// what each fake's demo estate holds, read through the real collectors
	for _, id := range []string{
		"vercel:project:prj_storefront",
		"supabase:project:qwertyuiopasdfghjklz",
		"digitalocean:droplet:1001",
		"git:repo:github.com/acme/storefront",
	} {
		if _, ok := g.Node(id); !ok {
			t.Errorf("missing %s", id)
		}
	}
}

// Two demo scans of the same estate are the same graph: nothing of the fakes' loopback ports
// (new every run) reaches it, so the second scan reports no change.
func TestDemoScanTwiceChangesNothing(t *testing.T) {
	dir, _, _ := runDemo(t, nil)
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--demo", "--out", dir}, e); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := g.Scan.Changes
	if c == nil {
		t.Fatal("the second scan has no change summary")
	}
	if c.NodesAdded+c.NodesRemoved+c.NodesChanged+c.NodesStale+c.EdgesAdded+c.EdgesRemoved != 0 {
		t.Errorf("the same demo estate changed between two scans: %+v", *c)
	}
}

// byName returns the id of the one node of provider and kind named name.
func byName(t *testing.T, g *graph.Graph, provider, kind, name string) string {
	t.Helper()
	var ids []string
	for _, n := range g.Nodes() {
		if n.Provider == provider && n.Kind == kind && n.Name == name {
			ids = append(ids, n.ID)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d %s %s nodes named %q: %v", len(ids), provider, kind, name, ids)
	}
	return ids[0]
}

// assertInferred checks the links between providers that docs/demo-estate.md describes: no API
// states them, so inference must find them, and it must leave the decoys alone.
func assertInferred(t *testing.T, g *graph.Graph) {
	t.Helper()
	const ref = "qwertyuiopasdfghjklz"
	storefront, admin := "vercel:project:prj_storefront", "vercel:project:prj_admin"
	supa := "supabase:project:" + ref
	erp := "odoo:instance:erp.acme-coffee.com"
	api := byName(t, g, "digitalocean", "app", "acme-api")
	droplet := "digitalocean:droplet:1001"
	smtp := "external:host:smtp.sendgrid.net"
	for _, w := range []struct{ from, typ, to, why string }{
		{storefront, "uses_database", supa, "DATABASE_URL names the Supabase pooler"},
		{storefront, "calls", supa, "NEXT_PUBLIC_SUPABASE_URL"},
		{storefront, "calls", "external:host:api.stripe.com", "PAYMENTS_API"},
		{admin, "calls", erp, "ODOO_URL"},
		{api, "calls", erp, "the app's ODOO_URL"},
		{byName(t, g, "odoo", "server_action", "Notify storefront of confirmed order"), "calls", storefront, "the Odoo webhook to shop.acme-coffee.com"},
		{byName(t, g, "digitalocean", "dns_record", "shop.acme-coffee.com CNAME"), "resolves_to", storefront, "shop CNAME cname.vercel-dns.com"},
		{byName(t, g, "digitalocean", "dns_record", "api.acme-coffee.com CNAME"), "resolves_to", api, "api CNAME the app's ingress"},
		{"docker:engine:erp-1", "runs_on", droplet, "the engine's address is the droplet's"},
		{byName(t, g, "odoo", "mail_server", "SendGrid"), "sends_mail_via", smtp, "Odoo's mail server"},
		{"supabase:auth_config:" + ref, "sends_mail_via", smtp, "Supabase auth SMTP"},
	} {
		found := false
		for _, e := range g.Out(w.from) {
			if e.To == w.to && e.Type == w.typ {
				found = true
				if e.Origin == graph.Observed {
					t.Errorf("%s -%s-> %s is observed; the demo expects inference to find it", w.from, w.typ, w.to)
				}
			}
		}
		if !found {
			t.Errorf("missing inferred %s -%s-> %s (%s)", w.from, w.typ, w.to, w.why)
		}
	}
	// decoys: the marketing project references nothing, nobody owns the legacy record's IP
	for _, e := range append(g.Out("vercel:project:prj_marketing"), g.In("vercel:project:prj_marketing")...) {
		if e.Origin != graph.Observed {
			t.Errorf("decoy linked: %s -%s-> %s", e.From, e.Type, e.To)
		}
	}
	for _, e := range g.Out(byName(t, g, "digitalocean", "dns_record", "legacy.acme-coffee.com A")) {
		if e.Type == "resolves_to" {
			t.Errorf("decoy legacy record resolves to %s", e.To)
		}
	}
}

// The Supabase catalog half on a real PostgreSQL: loaded into a temporary database that is gone
// afterwards, with the webhook to the storefront read from it.
func TestDemoScanWithDatabase(t *testing.T) {
	dsn := os.Getenv("INFRAGRAPH_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INFRAGRAPH_TEST_PG_DSN is not set: run the tests through scripts/test.sh")
		}
		t.Skip("INFRAGRAPH_TEST_PG_DSN not set (scripts/test.sh starts PostgreSQL)")
	}
	_, g, log := runDemo(t, map[string]string{"INFRAGRAPH_DEMO_PG_DSN": dsn})
	st := statuses(g)
	if c := st["supabase/acme"]; c.Status != graph.StatusOK {
		t.Errorf("supabase: %+v", c)
	}
	if _, ok := st["supabase/acme-catalog"]; ok {
		t.Error("catalog reported skipped although a database was given")
	}
	const ref = "qwertyuiopasdfghjklz"
	for _, id := range []string{"supabase:table:" + ref + "/public.orders", "supabase:db_webhook:" + ref + "/public.orders.order-created"} {
		if _, ok := g.Node(id); !ok {
			t.Errorf("missing catalog node %s", id)
		}
	}
	assertInferred(t, g)
	hookCalls := false
	for _, e := range g.Out("supabase:db_webhook:" + ref + "/public.orders.order-created") {
		hookCalls = hookCalls || e.Type == "calls" && e.To == "vercel:project:prj_storefront"
	}
	if !hookCalls {
		t.Error("the database webhook on public.orders does not call the storefront")
	}
	if !strings.Contains(log, "temporary database") {
		t.Errorf("the log does not say where the catalog came from:\n%s", log)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname LIKE 'infragraph_demo_%'").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d temporary demo databases left behind", left)
	}
}

// The demo never writes into a directory holding scans of real infrastructure.
func TestDemoRefusesRealHistory(t *testing.T) {
	dir := t.TempDir()
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("real scan: exit %d\n%s", code, errb)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	e, _, errb = testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--demo", "--out", dir}, e); code != exitUsage {
		t.Fatalf("demo over a real history: exit %d, want %d\n%s", code, exitUsage, errb)
	}
	if !strings.Contains(errb.String(), "real infrastructure") {
		t.Errorf("unclear refusal: %s", errb)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	if !bytes.Equal(before, after) {
		t.Error("the refused demo changed graph.json")
	}
}

// A real scan after a demo in the same directory starts a fresh history: none of the demo's
// nodes is carried forward as stale, and its change log does not report them as removed.
func TestRealScanAfterDemoCarriesNothing(t *testing.T) {
	dir, g, _ := runDemo(t, nil)
	if n, _ := g.Len(); n == 0 {
		t.Fatal("empty demo")
	}
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("real scan: exit %d\n%s", code, errb)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	real, err := graph.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := real.Len(); n != 0 || real.Scan.Demo {
		t.Errorf("real scan holds %d nodes of the demo (demo %v)", n, real.Scan.Demo)
	}
	if c := real.Scan.Changes; c != nil && c.NodesRemoved != 0 {
		t.Errorf("the real scan's changes count the demo: %+v", c)
	}
	if !strings.Contains(errb.String(), "starting a fresh history") {
		t.Errorf("no word about the fresh history:\n%s", errb)
	}
}
