package odoo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
	"github.com/infragraph/infragraph/collectors/fakescale"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

type fixture struct {
	fake *odoofake.Server
	srv  *httptest.Server
	est  *odoofake.Estate
}

func start(t testing.TB, estate string, opts odoofake.Options) *fixture {
	t.Helper()
	var e *odoofake.Estate
	if estate == "scaled" {
		e = fakescale.Odoo(600)
	} else {
		e = odoofake.MustLoad(estate)
	}
	fk := odoofake.New(e, opts)
	srv := httptest.NewServer(fk)
	t.Cleanup(srv.Close)
	return &fixture{fake: fk, srv: srv, est: e}
}

// collector builds a fast collector (no throttle, millisecond backoff) against the fake.
func (f *fixture) collector(t testing.TB, cfg Config) *Collector {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = f.srv.URL
	}
	if cfg.Username == "" && cfg.Protocol != "json2" {
		cfg.Username = "admin"
	}
	if !cfg.Password.Set() && !cfg.APIKey.Set() {
		cfg.Password = "CANARY-odoo-test-admin-password"
	}
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond = 10000
	}
	c, err := New(cfg, WithHTTPClient(odoofake.Redirect(f.srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	c.cl.backoff = time.Millisecond
	return c
}

// check asserts what every scan must satisfy: no secret requested, no canary in the output.
func (f *fixture) check(t *testing.T, out collectorstest.Output) {
	t.Helper()
	for _, v := range f.fake.Violations() {
		t.Errorf("secret requested: %s", v)
	}
	canaries := f.est.Canaries()
	if len(canaries) < 5 {
		t.Fatalf("estate has only %d canaries", len(canaries))
	}
	collectorstest.AssertAbsent(t, canaries, out.JSON())
}

// shape is the set of node kinds and (type, from kind, to kind) edge triples.
func shape(out collectorstest.Output) (kinds, edges []string) {
	kind := map[string]string{}
	ks, es := map[string]bool{}, map[string]bool{}
	for _, n := range out.Nodes {
		kind[n.ID] = n.Kind
		ks[n.Kind] = true
	}
	for _, e := range out.Edges {
		es[fmt.Sprintf("%s -%s-> %s", kind[e.From], e.Type, kind[e.To])] = true
	}
	for k := range ks {
		kinds = append(kinds, k)
	}
	for e := range es {
		edges = append(edges, e)
	}
	sort.Strings(kinds)
	sort.Strings(edges)
	return kinds, edges
}

var wantKinds = []string{"automation", "company", "config_param", "cron", "database", "fetchmail_server", "instance", "mail_server",
	"model", "module", "payment_provider", "server_action", "website"}

var wantEdges = []string{
	"automation -acts_on-> model", "automation -executes-> server_action",
	"cron -acts_on-> model",
	"database -contains-> automation", "database -contains-> company", "database -contains-> config_param", "database -contains-> cron",
	"database -contains-> fetchmail_server", "database -contains-> mail_server", "database -contains-> model", "database -contains-> module",
	"database -contains-> payment_provider", "database -contains-> server_action", "database -contains-> website",
	"instance -contains-> database", "module -depends_on-> module", "payment_provider -belongs_to-> company",
	"server_action -acts_on-> model", "website -belongs_to-> company",
}

// TestVersions scans Odoo 15 to 19 shaped fakes over every protocol: the same kinds of nodes and
// edges come out, no secret is requested, no canary leaks.
func TestVersions(t *testing.T) {
	cases := []struct {
		version  int
		protocol string
	}{
		{15, "xmlrpc"}, {16, "xmlrpc"}, {16, "jsonrpc"}, {17, "xmlrpc"}, {17, "jsonrpc"}, {18, "xmlrpc"}, {18, "jsonrpc"},
		{19, "xmlrpc"}, {19, "json2"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d-%s", tc.version, tc.protocol), func(t *testing.T) {
			f := start(t, "test", odoofake.Options{Version: tc.version})
			cfg := Config{Database: "erp", Protocol: tc.protocol}
			if tc.protocol == "json2" {
				cfg.APIKey = "CANARY-odoo-test-admin-api-key"
			}
			out := collectorstest.Collect(t, "odoo", f.collector(t, cfg))
			if out.Err != nil {
				t.Fatalf("Collect: %v", out.Err)
			}
			if len(out.Warnings) > 0 {
				t.Errorf("warnings: %v", out.Warnings)
			}
			f.check(t, out)
			kinds, edges := shape(out)
			if strings.Join(kinds, ",") != strings.Join(wantKinds, ",") {
				t.Errorf("kinds\n got %v\nwant %v", kinds, wantKinds)
			}
			if strings.Join(edges, "\n") != strings.Join(wantEdges, "\n") {
				t.Errorf("edges\n got %v\nwant %v", edges, wantEdges)
			}
			inst := out.Node(t, graph.ID("odoo", "instance", hostOf(f.srv.URL)))
			if inst.Attrs["version_major"] != int64(tc.version) || inst.Str("base_url_host") != "erp.test.example" {
				t.Errorf("instance attrs %v", inst.Attrs)
			}
			checkTestEstate(t, out, hostOf(f.srv.URL), tc.version)
		})
	}
}

func hostOf(u string) string { return strings.TrimPrefix(u, "http://") }

// checkTestEstate asserts the details of the test estate's erp database.
func checkTestEstate(t *testing.T, out collectorstest.Output, host string, v int) {
	t.Helper()
	id := func(kind, native string) string { return graph.ID("odoo", kind, host+"/erp/"+native) }
	// Modules: installed and "to upgrade" ones; crm is uninstalled, so acme_connector's
	// dependency on it is not an edge.
	if n := out.CountKind("module"); n != 7 {
		t.Errorf("modules = %d, want 7", n)
	}
	if !out.HasEdge(id("module", "acme_connector"), "depends_on", id("module", "stock")) || out.Graph.HasNode(id("module", "crm")) {
		t.Error("module dependencies wrong")
	}
	// System parameters: the allow-list only.
	var keys []string
	for _, n := range out.Nodes {
		if n.Kind == "config_param" {
			keys = append(keys, n.Str("key"))
		}
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "database.create_date,database.uuid,mail.catchall.domain,mail.default.from,report.url,web.base.url,web.base.url.freeze" {
		t.Errorf("config params %s", got)
	}
	if p := out.Node(t, id("config_param", "report.url")); p.Str("value_host") != "odoo-internal" {
		t.Errorf("report.url %v", p.Attrs)
	}
	// Cron: hosts of URL literals only, and the version's own fields.
	cron := out.Node(t, id("cron", "1"))
	if hs, _ := cron.AttrValues("code_hosts"); strings.Join(hs, ",") != "warehouse.test.example" || cron.Str("model") != "stock.picking" {
		t.Errorf("cron attrs %v", cron.Attrs)
	}
	if _, ok := cron.Attrs["numbercall"]; ok != (v <= 17) {
		t.Errorf("numbercall present=%v on Odoo %d", ok, v)
	}
	if _, ok := cron.Attrs["failure_count"]; ok != (v >= 18) {
		t.Errorf("failure_count present=%v on Odoo %d", ok, v)
	}
	if !out.HasEdge(id("cron", "1"), "acts_on", id("model", "stock.picking")) {
		t.Error("cron does not act on stock.picking")
	}
	if c2 := out.Node(t, id("cron", "2")); c2.Attrs["active"] != false {
		t.Error("inactive cron not read")
	}
	// Mail servers: host normalised, user kept unless it looks like a token.
	ms := out.Node(t, id("mail_server", "1"))
	if ms.Str("smtp_host") != "smtp.mailgun.org" || ms.Attrs["smtp_port"] != int64(465) || ms.Str("smtp_encryption") != "ssl" || ms.Str("smtp_user") != "postmaster@test.example" {
		t.Errorf("mail server attrs %v", ms.Attrs)
	}
	if ms2 := out.Node(t, id("mail_server", "2")); ms2.Str("smtp_user") != "" {
		t.Errorf("token-looking smtp_user kept: %v", ms2.Attrs)
	}
	if fm := out.Node(t, id("fetchmail_server", "1")); fm.Str("server") != "imap.test.example" || fm.Attrs["is_ssl"] != true {
		t.Errorf("fetchmail attrs %v", fm.Attrs)
	}
	// Server actions: the code one with a URL and the automation's; the plain one is left out.
	if out.Graph.HasNode(id("server_action", "23")) {
		t.Error("server action without URL or automation emitted")
	}
	if sa := out.Node(t, id("server_action", "24")); strings.Join(must(sa.AttrValues("code_hosts")), ",") != "printer.test.example" {
		t.Errorf("server action 24 %v", sa.Attrs)
	}
	if !out.HasEdge(id("automation", "1"), "executes", id("server_action", "20")) || !out.HasEdge(id("automation", "1"), "acts_on", id("model", "sale.order")) {
		t.Error("automation 1 edges missing")
	}
	if v >= 17 {
		hook := out.Node(t, id("server_action", "21"))
		if hook.Str("webhook_host") != "hooks.test.example" || hook.Str("webhook_path") != "/odoo/order/…" || hook.Str("webhook_url") != "https://hooks.test.example/odoo/order/…" {
			t.Errorf("webhook attrs %v", hook.Attrs)
		}
		if !out.HasEdge(id("automation", "1"), "executes", id("server_action", "21")) {
			t.Error("automation 1 does not execute its webhook action")
		}
		in := out.Node(t, id("automation", "2"))
		if in.Str("trigger") != "on_webhook" || in.Str("inbound_host") != "erp.test.example" || in.Str("inbound_path") != "/web/hook/…" {
			t.Errorf("inbound webhook automation %v", in.Attrs)
		}
	} else if out.Graph.HasNode(id("automation", "2")) {
		t.Errorf("on_webhook automation on Odoo %d", v)
	}
	// Companies, websites, payment providers.
	if c := out.Node(t, id("company", "1")); c.Str("website_host") != "www.test.example" {
		t.Errorf("company attrs %v", c.Attrs)
	}
	w := out.Node(t, id("website", "1"))
	if w.Str("domain") != "shop.test.example" || w.Str("cdn_host") != "cdn.test.example" {
		t.Errorf("website attrs %v", w.Attrs)
	}
	if !out.HasEdge(id("website", "2"), "belongs_to", id("company", "2")) {
		t.Error("website 2 not in company 2")
	}
	if n := out.CountKind("payment_provider"); n != 2 {
		t.Errorf("payment providers = %d, want 2 (disabled ones left out)", n)
	}
	pp := out.Node(t, id("payment_provider", "1"))
	if pp.Str("code") != "stripe" || pp.Str("state") != "enabled" || !out.HasEdge(pp.ID, "belongs_to", id("company", "1")) {
		t.Errorf("payment provider %v", pp.Attrs)
	}
	if want := map[bool]string{true: "payment.acquirer", false: "payment.provider"}[v <= 15]; pp.Str("model") != want {
		t.Errorf("payment model %q on Odoo %d, want %s", pp.Str("model"), v, want)
	}
	db := out.Node(t, graph.ID("odoo", "database", host+"/erp"))
	if db.Str("uuid") != "0f9e8d7c-6b5a-4321-8fed-cba987654321" {
		t.Errorf("database attrs %v", db.Attrs)
	}
}

func must(v []string, _ bool) []string { return v }

// TestDemo scans the Acme Coffee estate as https://erp.acme-coffee.com.
func TestDemo(t *testing.T) {
	f := start(t, "demo", odoofake.Options{Version: 17, Enterprise: true})
	c := f.collector(t, Config{URL: "https://erp.acme-coffee.com", Database: "acme", Password: "CANARY-odoo-demo-admin-password"})
	out := collectorstest.Collect(t, "odoo", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	f.check(t, out)
	inst := out.Node(t, "odoo:instance:erp.acme-coffee.com")
	if inst.Str("version") != "17.0" || inst.Str("edition") != "enterprise" || inst.Str("host") != "erp.acme-coffee.com" || inst.Str("base_url_host") != "erp.acme-coffee.com" {
		t.Errorf("instance %v", inst.Attrs)
	}
	ms := out.Node(t, "odoo:mail_server:erp.acme-coffee.com/acme/1")
	if ms.Str("smtp_host") != "smtp.sendgrid.net" || ms.Attrs["smtp_port"] != int64(587) {
		t.Errorf("mail server %v", ms.Attrs)
	}
	hook := out.Node(t, "odoo:server_action:erp.acme-coffee.com/acme/10")
	if hook.Str("webhook_url") != "https://shop.acme-coffee.com/api/odoo-webhook" {
		t.Errorf("webhook %v", hook.Attrs)
	}
	if !out.HasEdge("odoo:automation:erp.acme-coffee.com/acme/1", "executes", hook.ID) {
		t.Error("automation does not execute the webhook action")
	}
	if pp := out.Node(t, "odoo:payment_provider:erp.acme-coffee.com/acme/1"); pp.Str("code") != "stripe" {
		t.Errorf("payment %v", pp.Attrs)
	}
	if cron := out.Node(t, "odoo:cron:erp.acme-coffee.com/acme/2"); strings.Join(must(cron.AttrValues("code_hosts")), ",") != "shop.acme-coffee.com" {
		t.Errorf("cron %v", cron.Attrs)
	}
	if out.CountKind("website") != 0 || out.Graph.HasNode("odoo:module:erp.acme-coffee.com/acme/website") {
		t.Error("uninstalled website module read")
	}
}

// TestWrongPassword: the instance fails with a clear message that holds no secret.
func TestWrongPassword(t *testing.T) {
	for _, proto := range []string{"xmlrpc", "jsonrpc", "json2"} {
		t.Run(proto, func(t *testing.T) {
			f := start(t, "test", odoofake.Options{Version: 19})
			cfg := Config{Database: "erp", Protocol: proto, Password: "CANARY-odoo-wrong-password"}
			if proto == "json2" {
				cfg.APIKey = "CANARY-odoo-wrong-password"
			}
			out := collectorstest.Collect(t, "odoo", f.collector(t, cfg))
			want := "odoo: authentication failed for user admin on database erp"
			if proto == "json2" {
				want = "odoo: authentication failed for the API key on database erp"
			}
			if out.Err == nil || !strings.HasPrefix(out.Err.Error(), want) {
				t.Fatalf("err = %v, want %q", out.Err, want)
			}
			if len(out.Nodes) != 0 {
				t.Errorf("%d nodes emitted by a failed scan", len(out.Nodes))
			}
			collectorstest.AssertAbsent(t, []string{"CANARY"}, out.JSON())
		})
	}
}

// TestForbiddenModel: a non-admin user may not read ir.mail_server; the scan is partial and the
// rest is kept.
func TestForbiddenModel(t *testing.T) {
	for _, proto := range []string{"xmlrpc", "jsonrpc", "json2"} {
		t.Run(proto, func(t *testing.T) {
			f := start(t, "test", odoofake.Options{Version: 19})
			cfg := Config{Database: "erp", Protocol: proto, Username: "viewer", Password: "CANARY-odoo-test-viewer-password"}
			if proto == "json2" {
				cfg.Username, cfg.Password, cfg.APIKey = "", "", "CANARY-odoo-test-viewer-api-key"
			}
			out := collectorstest.Collect(t, "odoo", f.collector(t, cfg))
			if out.Err != nil {
				t.Fatalf("Collect: %v", out.Err)
			}
			if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "outgoing mail servers (ir.mail_server) skipped") ||
				!strings.Contains(out.Warnings[0], "access error") {
				t.Fatalf("warnings = %q", out.Warnings)
			}
			if out.CountKind("mail_server") != 0 || out.CountKind("module") != 7 || out.CountKind("cron") != 3 || out.CountKind("website") != 2 {
				k, _ := shape(out)
				t.Errorf("kinds after a forbidden model: %v", k)
			}
			// code is admin-only (groups="base.group_system"): fields_get hides it from the
			// viewer, so it is not asked for and crons come without code hosts.
			h := hostOf(f.srv.URL)
			if c := out.Node(t, graph.ID("odoo", "cron", h+"/erp/1")); c.Attrs["code_hosts"] != nil || c.Str("model") != "stock.picking" {
				t.Errorf("viewer cron %v", c.Attrs)
			}
			for _, c := range f.fake.Calls() {
				for _, fl := range c.Fields {
					if fl == "code" && (c.Model == "ir.cron" || c.Model == "ir.actions.server") {
						t.Errorf("admin-only field code requested on %s", c.Model)
					}
				}
			}
			f.check(t, out)
		})
	}
}

// TestForbidSeveral: two forbidden families are two warnings.
func TestForbidSeveral(t *testing.T) {
	f := start(t, "test", odoofake.Options{Version: 17, Forbid: []string{"ir.config_parameter", "ir.module.module"}})
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp"}))
	if out.Err != nil || len(out.Warnings) != 2 {
		t.Fatalf("err %v warnings %q", out.Err, out.Warnings)
	}
	if out.CountKind("module") != 0 || out.CountKind("config_param") != 0 || out.CountKind("cron") != 3 {
		t.Error("wrong families kept")
	}
	// Without web.base.url the instance has no base URL host, and nothing breaks.
	if n := out.Node(t, graph.ID("odoo", "instance", hostOf(f.srv.URL))); n.Attrs["base_url_host"] != nil {
		t.Errorf("base_url_host without config params: %v", n.Attrs)
	}
}

// TestListDatabases: with no database configured, every listed database is scanned.
func TestListDatabases(t *testing.T) {
	f := start(t, "test", odoofake.Options{Version: 18})
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{}))
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	h := hostOf(f.srv.URL)
	for _, db := range []string{"erp", "staging"} {
		if !out.HasEdge(graph.ID("odoo", "instance", h), "contains", graph.ID("odoo", "database", h+"/"+db)) {
			t.Errorf("database %s missing", db)
		}
	}
	if !out.Graph.HasNode(graph.ID("odoo", "company", h+"/staging/1")) {
		t.Error("staging not scanned")
	}
	f.check(t, out)

	// JSON-2 lists databases through /web/database/list; the API key is valid on both.
	f2 := start(t, "test", odoofake.Options{Version: 19})
	out = collectorstest.Collect(t, "odoo", f2.collector(t, Config{Protocol: "json2", APIKey: "CANARY-odoo-test-admin-api-key"}))
	if out.Err != nil || out.CountKind("database") != 2 {
		t.Fatalf("json2: err %v, %d databases", out.Err, out.CountKind("database"))
	}
	f2.check(t, out)
}

// TestListDatabasesOneRefused: a login valid on one listed database only is a partial scan.
func TestListDatabasesOneRefused(t *testing.T) {
	f := start(t, "test", odoofake.Options{Version: 17})
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Username: "viewer", Password: "CANARY-odoo-test-viewer-password"}))
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	w := strings.Join(out.Warnings, "\n")
	if !strings.Contains(w, "authentication failed for user viewer on database staging") || !strings.Contains(w, "ir.mail_server") {
		t.Errorf("warnings %s", w)
	}
	if out.CountKind("database") != 1 || out.CountKind("cron") != 3 {
		t.Errorf("databases %d crons %d", out.CountKind("database"), out.CountKind("cron"))
	}
	f.check(t, out)
}

func TestListDBDenied(t *testing.T) {
	f := start(t, "test", odoofake.Options{Version: 17, NoListDB: true})
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{}))
	if out.Err == nil || !strings.Contains(out.Err.Error(), "list_db = False") || !strings.Contains(out.Err.Error(), "ODOO_DB") {
		t.Fatalf("err = %v", out.Err)
	}
}

func TestJSON2NeedsOdoo19(t *testing.T) {
	f := start(t, "test", odoofake.Options{Version: 18})
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp", Protocol: "json2", APIKey: "CANARY-odoo-test-admin-api-key"}))
	if out.Err == nil || !strings.Contains(out.Err.Error(), "json2 needs Odoo 19") {
		t.Fatalf("err = %v", out.Err)
	}
}

// TestTransientFaults: 503s and a 429 with Retry-After are retried; the scan is complete.
func TestTransientFaults(t *testing.T) {
	f := start(t, "test", odoofake.Options{Version: 17})
	f.fake.Fault("/xmlrpc/2/object", 2, fakeapi.Fault{Status: http.StatusServiceUnavailable})
	f.fake.Fault("/xmlrpc/2/common", 1, fakeapitest.RateLimited(1))
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp"}))
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	if out.CountKind("module") != 7 {
		t.Error("scan incomplete after retries")
	}
}

func TestPersistentFailures(t *testing.T) {
	t.Run("garbage", func(t *testing.T) {
		f := start(t, "test", odoofake.Options{Version: 17})
		f.fake.Fault("/xmlrpc/2/common", 1, fakeapi.Fault{Garbage: true})
		out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp"}))
		if out.Err == nil || !strings.Contains(out.Err.Error(), "not an XML-RPC response") {
			t.Fatalf("err = %v", out.Err)
		}
	})
	t.Run("5xx", func(t *testing.T) {
		f := start(t, "test", odoofake.Options{Version: 17})
		f.fake.Fault("/jsonrpc", 100, fakeapi.Fault{Status: http.StatusBadGateway})
		out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp", Protocol: "jsonrpc"}))
		if out.Err == nil || !strings.Contains(out.Err.Error(), "HTTP 502") {
			t.Fatalf("err = %v", out.Err)
		}
		if n := f.fake.Requests(); n != 4 {
			t.Errorf("%d requests, want 4 (one try and three retries)", n)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		c, err := New(Config{URL: "http://127.0.0.1:1", Database: "erp", Username: "admin", Password: "CANARY-x"})
		if err != nil {
			t.Fatal(err)
		}
		c.cl.backoff = time.Millisecond
		out := collectorstest.Collect(t, "odoo", c)
		if out.Err == nil || !strings.HasPrefix(out.Err.Error(), "odoo: detect version of 127.0.0.1:1") {
			t.Fatalf("err = %v", out.Err)
		}
	})
}

// TestFaultMessages: faults become short errors with neither the credentials nor tokens.
func TestFaultMessages(t *testing.T) {
	c := &client{secret: evidence.Secret("hunter2-CANARY")}
	tb := "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad login hunter2-CANARY with ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"
	got := c.clean(tb)
	if got != "ValueError: bad login [redacted] with …" {
		t.Errorf("clean = %q", got)
	}
	if got := c.clean("You are not allowed to access 'Mail Server' (ir.mail_server) records.\n\nThis operation..."); got != "You are not allowed to access 'Mail Server' (ir.mail_server) records." {
		t.Errorf("clean = %q", got)
	}
	// A fault quoting a server action's or mail server's settings: URL userinfo and
	// key=value secrets go, the host stays.
	got = c.clean("ValueError: cannot reach redis://:pw3@db.example.com (password=pw4)")
	if strings.Contains(got, "pw3") || strings.Contains(got, "pw4") || !strings.Contains(got, "db.example.com") {
		t.Errorf("clean = %q", got)
	}
	if got := c.clean(strings.Repeat("word ", 100)); len([]rune(got)) > 201 {
		t.Errorf("not truncated: %d", len(got))
	}
}

func TestSecretField(t *testing.T) {
	for _, f := range []string{"smtp_pass", "password", "webhook_uuid", "stripe_secret_key", "smtp_ssl_private_key", "smtp_ssl_certificate",
		"google_gmail_refresh_token", "microsoft_outlook_access_token", "adyen_hmac_key", "totp_secret"} {
		if !SecretField("x", f) {
			t.Errorf("%s not secret", f)
		}
	}
	if !SecretField("base.automation", "url") || SecretField("res.company", "website") {
		t.Error("base.automation.url must be secret, website not")
	}
	for _, f := range []string{"code", "smtp_user", "smtp_authentication", "name", "key", "value", "webhook_url", "domain"} {
		if SecretField("x", f) {
			t.Errorf("%s secret", f)
		}
	}
}

func TestPaging(t *testing.T) {
	f := start(t, "scaled", odoofake.Options{Version: 17})
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "acme", Password: "CANARY-odoo-scaled-admin"}))
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	if n := out.CountKind("module"); n != 601 {
		t.Errorf("modules = %d, want 601", n)
	}
	if n := out.CountKind("cron"); n != 600 {
		t.Errorf("crons = %d, want 600", n)
	}
	pages := 0
	for _, c := range f.fake.Calls() {
		if c.Model == "ir.module.module" && c.Method == "search_read" {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("%d pages of modules, want 2", pages)
	}
	f.check(t, out)
}

func TestCancelled(t *testing.T) {
	f := start(t, "test", odoofake.Options{Version: 17, Latency: 50 * time.Millisecond})
	collectorstest.CheckCancelled(t, "odoo", f.collector(t, Config{Database: "erp"}))
}

func TestThrottle(t *testing.T) {
	c, err := New(Config{URL: "https://erp.example.com", Database: "x", Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if c.cl.throttle.interval != 200*time.Millisecond {
		t.Errorf("default interval %v, want 200ms (5 requests/s)", c.cl.throttle.interval)
	}
	// Reserved slots are spaced by the interval, whatever the clock does.
	th := &throttle{interval: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	if err := th.wait(ctx); err != nil {
		t.Fatal(err)
	}
	first := th.next
	cancel()
	if err := th.wait(ctx); err == nil {
		t.Error("second wait within the interval did not block until ctx was done")
	}
	if th.next.Sub(first) != time.Hour {
		t.Errorf("slots %v apart", th.next.Sub(first))
	}
}

func TestParseVersion(t *testing.T) {
	cases := []struct {
		info []any
		want version
	}{
		{[]any{int64(17), int64(0), int64(0), "final", int64(0), ""}, version{17, 0, "17.0", "community"}},
		{[]any{json.Number("18"), json.Number("0"), json.Number("0"), "final", json.Number("0"), "e"}, version{18, 0, "18.0", "enterprise"}},
		{[]any{"saas~17", int64(2), int64(0), "final", int64(0), ""}, version{17, 2, "saas~17.2", "community"}},
		{[]any{"saas~16.4", int64(1), int64(0), "final", int64(0), "e"}, version{16, 4, "saas~16.4", "enterprise"}},
	}
	for _, tc := range cases {
		if got := parseVersion(tc.info); got != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.info, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "url:"},
		{Config{URL: "ftp://x"}, "url:"},
		{Config{URL: "https://x", Protocol: "soap", Username: "u", Password: "p"}, "protocol:"},
		{Config{URL: "https://x", Protocol: "json2"}, "api_key:"},
		{Config{URL: "https://x"}, "username:"},
		{Config{URL: "https://x", Username: "u", Password: "p", RequestsPerSecond: -1}, "requests_per_second:"},
	}
	for _, tc := range cases {
		err := tc.cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %s", tc.cfg, err, tc.want)
		}
	}
	if err := (&Config{URL: "https://x", Username: "u", APIKey: "k"}).Validate(); err != nil {
		t.Error(err)
	}
}

// BenchmarkCollect scans a 200-resource estate (201 modules, 200 crons, 200 server actions, ...)
// without throttling, over each protocol.
func BenchmarkCollect(b *testing.B) {
	for _, proto := range []string{"xmlrpc", "jsonrpc"} {
		b.Run(proto, func(b *testing.B) {
			fk := odoofake.New(fakescale.Odoo(200), odoofake.Options{Version: 17})
			srv := httptest.NewServer(fk)
			defer srv.Close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, _ := New(Config{URL: srv.URL, Database: "acme", Username: "admin", Password: "CANARY-odoo-scaled-admin", Protocol: proto, RequestsPerSecond: 1e6})
				out := collectorstest.Collect(b, "odoo", c)
				if out.Err != nil {
					b.Fatal(out.Err)
				}
			}
			b.ReportMetric(float64(fk.Requests())/float64(b.N), "requests/op")
		})
	}
}

// TestAutomaticProtocol: without a protocol the collector reads the version and speaks JSON-2
// on Odoo 19+ when it has an API key (XML-RPC and JSON-RPC are deprecated from 19:
// odoo/documentation external_rpc_api.rst), XML-RPC below (issue #20).
func TestAutomaticProtocol(t *testing.T) {
	paths := func(f *fixture) map[string]int {
		m := map[string]int{}
		for _, c := range f.fake.Calls() {
			switch {
			case strings.HasPrefix(c.Path, "/json/2/"):
				m["json2"]++
			case strings.HasPrefix(c.Path, "/xmlrpc/2/object"):
				m["xmlrpc"]++
			}
		}
		return m
	}
	cfg := Config{Database: "erp", Username: "admin", Password: "CANARY-odoo-test-admin-password", APIKey: "CANARY-odoo-test-admin-api-key"}
	f := start(t, "test", odoofake.Options{Version: 19})
	out := collectorstest.Collect(t, "odoo", f.collector(t, cfg))
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("19: err %v warnings %v", out.Err, out.Warnings)
	}
	if p := paths(f); p["json2"] == 0 || p["xmlrpc"] != 0 {
		t.Errorf("Odoo 19 with an API key: %v, want JSON-2 only", p)
	}
	f.check(t, out)

	// Only an API key (no username) is a valid configuration for JSON-2.
	f = start(t, "test", odoofake.Options{Version: 19})
	out = collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp", APIKey: "CANARY-odoo-test-admin-api-key"}))
	if out.Err != nil || out.CountKind("database") != 1 {
		t.Fatalf("19, API key only: err %v, %d databases", out.Err, out.CountKind("database"))
	}

	f = start(t, "test", odoofake.Options{Version: 18})
	out = collectorstest.Collect(t, "odoo", f.collector(t, cfg))
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("18: err %v warnings %v", out.Err, out.Warnings)
	}
	if p := paths(f); p["xmlrpc"] == 0 || p["json2"] != 0 {
		t.Errorf("Odoo 18: %v, want XML-RPC only", p)
	}
}

// TestNoDBServiceAsksForDatabase: Odoo 20 (and Online 19.1) have no db service
// (external_rpc_api.rst: "The db service was removed in Odoo 20"): without a configured
// database the collector asks for ODOO_DB and never calls db.list (issue #20).
func TestNoDBServiceAsksForDatabase(t *testing.T) {
	for _, cfg := range []Config{{}, {Protocol: "json2", APIKey: "CANARY-odoo-test-admin-api-key"}, {APIKey: "CANARY-odoo-test-admin-api-key"}} {
		f := start(t, "test", odoofake.Options{Version: 20})
		out := collectorstest.Collect(t, "odoo", f.collector(t, cfg))
		if out.Err == nil || !strings.Contains(out.Err.Error(), "ODOO_DB") || !strings.Contains(out.Err.Error(), "no database listing") {
			t.Errorf("%+v: err = %v, want a request for ODOO_DB", cfg.Protocol, out.Err)
		}
		for _, c := range f.fake.Calls() {
			if c.Method == "db.list" || c.Path == "/web/database/list" {
				t.Errorf("%+v: called %s %s where the db service is gone", cfg.Protocol, c.Path, c.Method)
			}
		}
	}
	// With the database configured, Odoo 20 is scanned.
	f := start(t, "test", odoofake.Options{Version: 20})
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp", APIKey: "CANARY-odoo-test-admin-api-key"}))
	if out.Err != nil || out.CountKind("database") != 1 {
		t.Fatalf("20 with ODOO_DB: err %v, %d databases", out.Err, out.CountKind("database"))
	}
}

// TestCronWebhookAndMultiActions: a scheduled action that runs a webhook (17+) keeps its URL
// (ir.cron _inherits ir.actions.server, so webhook_url is the cron's field), and a multi server
// action is linked to its child actions (child_ids), through a multi of multis too (issue #20).
func TestCronWebhookAndMultiActions(t *testing.T) {
	e := odoofake.MustLoad("test")
	db := e.Databases["erp"]
	db.Records["ir.cron"] = append(db.Records["ir.cron"], map[string]any{"id": int64(4), "name": "Nightly export", "cron_name": "Nightly export",
		"active": true, "interval_number": int64(1), "interval_type": "days", "priority": int64(5), "numbercall": int64(-1), "doall": false,
		"failure_count": int64(0), "model_id": int64(301), "state": "webhook", "webhook_url": "https://user:CANARY-odoo-cron-hook-pass@export.test.example/odoo/nightly?token=CANARY-odoo-cron-hook-token"})
	db.Records["ir.actions.server"] = append(db.Records["ir.actions.server"],
		map[string]any{"id": int64(30), "name": "Print and mark", "state": "multi", "usage": "ir_actions_server", "model_id": int64(303), "child_ids": []any{int64(24), int64(23)}},
		map[string]any{"id": int64(31), "name": "Only internal", "state": "multi", "usage": "ir_actions_server", "model_id": int64(301), "child_ids": []any{int64(23)}},
		map[string]any{"id": int64(32), "name": "Outer", "state": "multi", "usage": "ir_actions_server", "model_id": int64(303), "child_ids": []any{int64(30)}})
	fk := odoofake.New(e, odoofake.Options{Version: 17})
	srv := httptest.NewServer(fk)
	t.Cleanup(srv.Close)
	f := &fixture{fake: fk, srv: srv, est: e}
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp"}))
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	h := hostOf(srv.URL)
	cron := out.Node(t, graph.ID("odoo", "cron", h+"/erp/4"))
	if cron.Attrs["webhook_host"] != "export.test.example" || cron.Attrs["webhook_path"] != "/odoo/nightly" {
		t.Errorf("cron webhook attrs: %v", cron.Attrs)
	}
	sa := func(id string) string { return graph.ID("odoo", "server_action", h+"/erp/"+id) }
	for _, e := range [][2]string{{"30", "24"}, {"30", "23"}, {"32", "30"}} {
		if !out.HasEdge(sa(e[0]), "executes", sa(e[1])) {
			t.Errorf("missing %s executes %s", e[0], e[1])
		}
	}
	if out.Graph.HasNode(sa("31")) {
		t.Error("a multi action running nothing external was emitted")
	}
	f.check(t, out)
	collectorstest.AssertAbsent(t, []string{"CANARY-odoo-cron-hook"}, out.JSON())
}

// TestDomainsFromReportedFields: an instance whose models lack `active` (reported by fields_get)
// is read without an `active` leaf; before, every such family failed with Invalid field
// (issue #20).
func TestDomainsFromReportedFields(t *testing.T) {
	f := start(t, "test", odoofake.Options{Version: 17, Missing: []string{"ir.cron.active", "res.company.active", "ir.mail_server.active"}})
	out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Database: "erp"}))
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	h := hostOf(f.srv.URL)
	out.Node(t, graph.ID("odoo", "cron", h+"/erp/1"))
	out.Node(t, graph.ID("odoo", "company", h+"/erp/1"))
	out.Node(t, graph.ID("odoo", "mail_server", h+"/erp/1"))
	for _, c := range f.fake.Calls() {
		if c.Method == "search_read" && (c.Model == "ir.cron" || c.Model == "res.company") && strings.Contains(c.Domain, "active") {
			t.Errorf("%s searched with %s, a field it lacks", c.Model, c.Domain)
		}
	}
	f.check(t, out)
}
