package digitalocean

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
	"github.com/infragraph/infragraph/collectors/fakescale"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

type retried struct {
	status int
	wait   time.Duration
}

type harness struct {
	srv *digitaloceanfake.Server
	c   *Collector
	mu  sync.Mutex
	got []retried // every retry the transport made, with its wait
}

func (h *harness) retries() []retried {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]retried(nil), h.got...)
}

// start serves estate through the fake and returns a collector pointed at it. Backoffs are
// shortened; Retry-After waits are real unless fastWaits is set.
func start(t testing.TB, e *digitaloceanfake.Estate, token string, setup func(*digitaloceanfake.Server)) *harness {
	t.Helper()
	h := &harness{srv: digitaloceanfake.New(e)}
	if setup != nil {
		setup(h.srv)
	}
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close)
	c, err := New(Config{Name: "test", Token: evidence.Secret(token), APIURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = 5 * time.Millisecond
	c.onRetried = func(status int, wait time.Duration) {
		h.mu.Lock()
		h.got = append(h.got, retried{status, wait})
		h.mu.Unlock()
	}
	h.c = c
	return h
}

func testEstate(t testing.TB) *digitaloceanfake.Estate {
	t.Helper()
	e, err := digitaloceanfake.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func canaries() []string {
	return append(append([]string(nil), digitaloceanfake.Canaries...), digitaloceanfake.Token)
}

func did(kind, native string) string { return graph.ID("digitalocean", kind, native) }

const (
	vpc1    = "5a4981aa-9653-4bd1-bef5-d6bff52042e4"
	pg      = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
	cache   = "d4a9c1b0-7f3e-4a55-9c1e-2b6a8f4e5d60"
	k8s     = "bd5f5959-5e1e-4205-a714-a914373942af"
	app1    = "c2a93513-8d9b-4223-9d61-5e7272c81cf5"
	app2    = "7f1c2e3d-0a9b-4c8d-9e7f-6a5b4c3d2e1f"
	lb      = "4de7ac8b-495b-4884-9a69-1050c6793cd6"
	fw      = "bb4b2611-3d72-467b-8602-280330ecd65c"
	cert    = "892071a0-bb95-49bc-8021-3afd67a210bf"
	cdnCert = "ba9b9c18-6c59-46c2-99df-70da170a42ba"
	vol     = "506f78a4-e098-11e5-ad9f-000f53306ae1"
	prod    = "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679"
	staging = "b6f9a3f4-4f63-4c8b-9c2c-2f1d5f0e8a11"
	team    = "5df3e3004a17e242b7c20ca6c9fc25b701a47ece"
	pool    = "cdda885e-7663-40c8-bc74-3a036c66545d"
)

func TestCollectTestEstate(t *testing.T) {
	// Two items per page: every listing with more than two items needs several pages.
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) { s.MaxPerPage = 2 })
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil {
		t.Fatalf("Collect: %v", out.Err)
	}
	if len(out.Warnings) > 0 {
		t.Fatalf("warnings on a healthy estate: %v", out.Warnings)
	}

	wantCounts := map[string]int{
		"account": 1, "project": 2, "droplet": 5, "volume": 1, "vpc": 2, "firewall": 1, "load_balancer": 1, "reserved_ip": 2,
		"domain": 2, "dns_record": 12, "db_cluster": 2, "db_replica": 1, "db_pool": 1, "db_trusted_source": 1, "k8s_cluster": 1,
		"node_pool": 1, "app": 2, "app_component": 6, "registry": 1, "registry_repo": 3, "certificate": 2, "cdn_endpoint": 1,
		"tag": 5, "repo": 4,
	}
	for kind, n := range wantCounts {
		if got := out.CountKind(kind); got != n {
			t.Errorf("%s nodes: got %d, want %d", kind, got, n)
		}
	}

	// Pagination: droplets 2001 and 2002 are on page 3, records on pages 2..6, the third
	// registry repository behind a page token.
	for _, want := range []string{"/v2/droplets?page=3&per_page=200", "/v2/domains/acme-coffee.com/records?page=6&per_page=200"} {
		if !slices.Contains(h.srv.Requests(), "GET "+want) {
			t.Errorf("no request %s; requests: %v", want, h.srv.Requests())
		}
	}
	out.Node(t, did("droplet", "2002"))
	out.Node(t, did("dns_record", "acme-coffee.com/28448441"))
	out.Node(t, did("registry_repo", "acme/tools"))
	if !slices.ContainsFunc(h.srv.Requests(), func(r string) bool {
		return strings.Contains(r, "repositoriesV2") && strings.Contains(r, "page_token=cursor-2")
	}) {
		t.Errorf("registry repositories: no page_token request: %v", h.srv.Requests())
	}

	erp := out.Node(t, did("droplet", "1001"))
	for k, v := range map[string]any{"public_ipv4": "203.0.113.10", "private_ipv4": "10.110.0.2", "public_ipv6": "2a03:b0c0:3:d0::1", "urn": "do:droplet:1001", "region": "fra1"} {
		if erp.Attrs[k] != v {
			t.Errorf("droplet erp-1 %s = %v, want %v", k, erp.Attrs[k], v)
		}
	}
	db := out.Node(t, did("db_cluster", pg))
	for k, v := range map[string]any{"host": "acme-pg-do-user-1-0.b.db.ondigitalocean.com", "private_host": "private-acme-pg-do-user-1-0.b.db.ondigitalocean.com",
		"port": int64(25060), "user": "doadmin", "database": "defaultdb", "urn": "do:dbaas:" + pg, "standby_host": "replica-acme-pg-do-user-1-0.b.db.ondigitalocean.com"} {
		if db.Attrs[k] != v {
			t.Errorf("db acme-pg %s = %v, want %v", k, db.Attrs[k], v)
		}
	}
	api := out.Node(t, did("app", app1))
	for k, v := range map[string]any{"default_ingress_host": "acme-api-x7k2p.ondigitalocean.app", "live_domain": "api.acme-coffee.com",
		"env.ODOO_URL.host": "erp.acme-coffee.com", "env.ODOO_URL.scheme": "https"} {
		if api.Attrs[k] != v {
			t.Errorf("app acme-api %s = %v, want %v", k, api.Attrs[k], v)
		}
	}
	if keys := api.Attrs["env_keys"]; !slices.Equal(keys.([]string), []string{"API_TOKEN", "JWT_SECRET", "LOG_LEVEL", "ODOO_URL"}) {
		t.Errorf("app env_keys = %v", keys)
	}
	if ips, _ := api.Attrs["dedicated_ips"].([]string); !slices.Equal(ips, []string{"203.0.113.200"}) {
		t.Errorf("app dedicated_ips = %v", api.Attrs["dedicated_ips"])
	}
	worker := out.Node(t, did("app_component", app1+"/mailer"))
	if worker.Attrs["env.SMTP_URL.host"] != "smtp.sendgrid.net" || worker.Attrs["env.SMTP_URL.port"] != int64(587) {
		t.Errorf("worker SMTP_URL facts: %v", worker.Attrs)
	}
	k := out.Node(t, did("k8s_cluster", k8s))
	if k.Attrs["endpoint_host"] != k8s+".k8s.ondigitalocean.com" {
		t.Errorf("k8s endpoint_host = %v", k.Attrs["endpoint_host"])
	}
	rec := func(native string) graph.Node { return out.Node(t, did("dns_record", "acme-coffee.com/"+native)) }
	if r := rec("28448433"); r.Attrs["ip"] != "203.0.113.10" || r.Attrs["fqdn"] != "erp.acme-coffee.com" || r.Attrs["type"] != "A" {
		t.Errorf("erp A record: %v", r.Attrs)
	}
	if r := rec("28448435"); r.Attrs["target"] != "cname.vercel-dns.com" {
		t.Errorf("shop CNAME target = %v", r.Attrs["target"])
	}
	if r := rec("28448441"); r.Attrs["target"] != "acme-coffee.com" || r.Attrs["fqdn"] != "www.acme-coffee.com" {
		t.Errorf("www CNAME @: %v", r.Attrs)
	}
	if r := rec("28448439"); r.Attrs["target"] != "mx.sendgrid.net" || r.Attrs["priority"] != int64(10) {
		t.Errorf("MX record: %v", r.Attrs)
	}
	if ts := out.Node(t, did("db_trusted_source", pg+"/d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a")); ts.Attrs["cidr"] != "198.51.100.0/24" {
		t.Errorf("trusted source cidr = %v", ts.Attrs["cidr"])
	}
	if p := out.Node(t, did("project", prod)); !slices.Equal(p.Attrs["unresolved_resources"].([]string), []string{"do:space:static-images"}) {
		t.Errorf("project unresolved_resources = %v", p.Attrs["unresolved_resources"])
	}

	acct := did("account", team)
	edges := []struct{ from, typ, to string }{
		{acct, "contains", did("project", prod)},
		{acct, "contains", did("vpc", vpc1)},
		{acct, "contains", did("domain", "acme-coffee.com")},
		{acct, "contains", did("registry", "acme")},
		{did("project", prod), "contains", did("droplet", "1001")},
		{did("project", prod), "contains", did("volume", vol)},
		{did("project", prod), "contains", did("load_balancer", lb)},
		{did("project", prod), "contains", did("db_cluster", cache)},
		{did("project", prod), "contains", did("k8s_cluster", k8s)},
		{did("project", prod), "contains", did("domain", "acme-coffee.com")},
		{did("project", prod), "contains", did("reserved_ip", "203.0.113.100")}, // listed as do:floatingip
		{did("project", staging), "contains", did("app", app2)},
		{did("project", staging), "contains", did("reserved_ip", "203.0.113.101")},
		{did("droplet", "1001"), "mounts", did("volume", vol)},
		{did("droplet", "1001"), "attached_to", did("vpc", vpc1)},
		{did("k8s_cluster", k8s), "attached_to", did("vpc", vpc1)},
		{did("load_balancer", lb), "attached_to", did("vpc", vpc1)},
		{did("db_cluster", pg), "attached_to", did("vpc", vpc1)},
		{did("db_replica", "1b9a8f5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"), "attached_to", did("vpc", vpc1)},
		{did("app", app1), "attached_to", did("vpc", vpc1)},
		{did("firewall", fw), "protects", did("droplet", "1001")},
		{did("firewall", fw), "protects", did("tag", team+"/web")},
		{did("firewall", fw), "allows", did("droplet", "1002")},
		{did("firewall", fw), "allows", did("tag", team+"/k8s")},
		{did("firewall", fw), "allows", did("load_balancer", lb)},
		{did("firewall", fw), "allows", did("k8s_cluster", k8s)},
		{did("tag", team+"/web"), "contains", did("droplet", "1003")},
		{did("load_balancer", lb), "routes_to", did("droplet", "1002")},
		{did("load_balancer", lb), "routes_to", did("droplet", "1003")},
		{did("load_balancer", lb), "routes_to", did("tag", team+"/web")},
		{did("load_balancer", lb), "uses_certificate", did("certificate", cert)},
		{did("cdn_endpoint", "19f06b6a-3ace-4315-b086-499a0e521b76"), "uses_certificate", did("certificate", cdnCert)},
		{did("domain", "acme-coffee.com"), "contains", did("dns_record", "acme-coffee.com/28448433")},
		{did("dns_record", "acme-coffee.com/28448433"), "resolves_to", did("droplet", "1001")},
		{did("dns_record", "acme-coffee.com/28448434"), "resolves_to", did("droplet", "1001")},
		{did("dns_record", "acme-coffee.com/28448432"), "resolves_to", did("load_balancer", lb)},
		{did("dns_record", "acme-coffee.com/28448438"), "resolves_to", did("reserved_ip", "203.0.113.100")},
		{did("reserved_ip", "203.0.113.100"), "assigned_to", did("droplet", "1001")},
		{did("k8s_cluster", k8s), "contains", did("node_pool", pool)},
		{did("node_pool", pool), "contains", did("droplet", "2001")},
		{did("node_pool", pool), "contains", did("droplet", "2002")},
		{did("db_replica", "1b9a8f5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"), "replica_of", did("db_cluster", pg)},
		{did("db_pool", pg+"/shop-pool"), "pool_of", did("db_cluster", pg)},
		{did("db_cluster", pg), "allows", did("droplet", "1001")},
		{did("db_cluster", pg), "allows", did("k8s_cluster", k8s)},
		{did("db_cluster", pg), "allows", did("app", app1)},
		{did("db_cluster", pg), "allows", did("tag", team+"/web")},
		{did("db_cluster", pg), "contains", did("db_trusted_source", pg+"/d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a")},
		{did("app", app1), "uses_database", did("db_cluster", pg)},
		{did("app", app1), "contains", did("app_component", app1+"/api")},
		{did("app_component", app1+"/api"), "uses_database", did("db_cluster", pg)},
		{did("app_component", app1+"/migrate"), "uses_database", did("db_cluster", pg)},
		{did("app_component", app1+"/api"), "builds_from", "git:repo:github.com/acme/api"},
		{did("app_component", app1+"/docs"), "builds_from", "git:repo:gitlab.com/acme/docs"},
		{did("app_component", app1+"/migrate"), "builds_from", "git:repo:gitlab.com/acme/migrations"},
		{did("app_component", app1+"/hooks"), "builds_from", "git:repo:github.com/acme/functions"},
		{did("app_component", app1+"/mailer"), "builds_from", did("registry_repo", "acme/mailer")},
		{did("domain", "acme-coffee.com"), "routes_to", did("app", app1)},
		{did("domain", "example-shop.net"), "routes_to", did("app", app2)},
		{did("registry", "acme"), "contains", did("registry_repo", "acme/api")},
	}
	for _, e := range edges {
		if !out.HasEdge(e.from, e.typ, e.to) {
			t.Errorf("missing edge %s -%s-> %s", e.from, e.typ, e.to)
		}
	}
	// The decoy: nobody owns 198.51.100.77, so the legacy record resolves to nothing.
	if n := len(out.Graph.Out(did("dns_record", "acme-coffee.com/28448437"))); n != 0 {
		t.Errorf("legacy record has %d outgoing edges", n)
	}
	// The Docker Hub image of acme-admin is kept without its credentials.
	if adm := out.Node(t, did("app_component", app2+"/admin")); adm.Attrs["image"] != "acme/admin:2.0" {
		t.Errorf("admin image = %v", adm.Attrs["image"])
	}

	collectorstest.AssertAbsent(t, canaries(), out.JSON())
	for _, n := range out.Nodes {
		for k := range n.Attrs {
			if strings.Contains(strings.ToLower(k), "password") || strings.HasSuffix(k, ".uri") || strings.Contains(k, "credentials") {
				t.Errorf("node %s keeps attribute %s", n.ID, k)
			}
		}
	}
}

func TestDemoEstate(t *testing.T) {
	h := start(t, digitaloceanfake.MustLoad("demo"), digitaloceanfake.Token, nil)
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("demo: err %v, warnings %v (no registry is a 404 and must not warn)", out.Err, out.Warnings)
	}
	if h.srv.Count("/v2/registries") != 1 || h.srv.Count("/v2/registry") != 0 {
		t.Errorf("registries asked %d times, the legacy single registry %d times; want 1 and 0",
			h.srv.Count("/v2/registries"), h.srv.Count("/v2/registry"))
	}
	app := out.Node(t, did("app", app1))
	if app.Attrs["default_ingress_host"] != "acme-api-x7k2p.ondigitalocean.app" || app.Attrs["env.ODOO_URL.host"] != "erp.acme-coffee.com" {
		t.Errorf("demo app attrs: %v", app.Attrs)
	}
	for _, e := range []struct{ from, typ, to string }{
		{did("dns_record", "acme-coffee.com/28448433"), "resolves_to", did("droplet", "1001")},
		{did("app", app1), "uses_database", did("db_cluster", pg)},
		{did("app_component", app1+"/api"), "builds_from", "git:repo:github.com/acme/api"},
		{did("firewall", fw), "protects", did("tag", team+"/erp")},
		{did("tag", team+"/erp"), "contains", did("droplet", "1001")},
	} {
		if !out.HasEdge(e.from, e.typ, e.to) {
			t.Errorf("missing edge %s -%s-> %s", e.from, e.typ, e.to)
		}
	}
	if r := out.Node(t, did("dns_record", "acme-coffee.com/28448436")); r.Attrs["target"] != "acme-api-x7k2p.ondigitalocean.app" {
		t.Errorf("api CNAME target = %v", r.Attrs["target"])
	}
	collectorstest.AssertAbsent(t, canaries(), out.JSON())
}

func TestServerErrorThenSuccess(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/droplets", 1, fakeapi.Fault{Status: http.StatusInternalServerError})
		s.Fault("/v2/domains/acme-coffee.com/records", 2, fakeapi.Fault{Status: http.StatusBadGateway})
	})
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if got := h.srv.Count("/v2/droplets"); got != 2 {
		t.Errorf("droplets requested %d times, want 2 (one 500, one success)", got)
	}
	if got := out.CountKind("droplet"); got != 5 {
		t.Errorf("droplets after retry: %d", got)
	}
	if got := out.CountKind("dns_record"); got != 12 {
		t.Errorf("records after retries: %d", got)
	}
	statuses := map[int]int{}
	for _, r := range h.retries() {
		statuses[r.status]++
	}
	if statuses[500] != 1 || statuses[502] != 2 {
		t.Errorf("retries by status: %v", statuses)
	}
}

func TestFailingFamilyIsPartial(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/load_balancers", -1, fakeapi.Fault{Status: http.StatusInternalServerError})
		s.Fault("/v2/tags", -1, fakeapi.Fault{Garbage: true})
	})
	res := collectors.Run(context.Background(), []collectors.Instance{{Provider: "digitalocean", Name: "test", Collector: h.c}}, collectors.Options{})
	st := res[0].Status
	if st.Status != graph.StatusPartial {
		t.Fatalf("status %s (%s), want partial", st.Status, st.Reason)
	}
	if len(st.Warnings) != 2 || !strings.HasPrefix(st.Warnings[0], "load balancers: ") || !strings.HasPrefix(st.Warnings[1], "tags: ") {
		t.Errorf("warnings: %q", st.Warnings)
	}
	// 5xx retries are bounded: the first attempt and c.retries more.
	if got := h.srv.Count("/v2/load_balancers"); got != 1+h.c.retries {
		t.Errorf("load balancers requested %d times, want %d", got, 1+h.c.retries)
	}
	kinds := map[string]int{}
	for _, n := range res[0].Nodes {
		kinds[n.Kind]++
	}
	if kinds["load_balancer"] != 0 || kinds["droplet"] != 5 || kinds["app"] != 2 || kinds["dns_record"] != 12 {
		t.Errorf("kept kinds: %v", kinds)
	}
	// Tags referenced by droplets and firewalls are still nodes, so tag edges survive.
	if kinds["tag"] == 0 {
		t.Error("no tag nodes: referenced tags should not depend on the tags listing")
	}
	for _, p := range collectorstest.Check(res[0].Nodes, res[0].Edges) {
		t.Errorf("conformance: %s", p)
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/droplets", 1, fakeapitest.RateLimited(1))
	})
	begin := time.Now()
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if !slices.Contains(h.retries(), retried{429, time.Second}) {
		t.Errorf("no 1s wait after the 429: %v", h.retries())
	}
	if time.Since(begin) < time.Second {
		t.Error("Collect finished before Retry-After elapsed")
	}
	if out.CountKind("droplet") != 5 {
		t.Errorf("droplets after 429: %d", out.CountKind("droplet"))
	}
}

func TestRateLimitTooLongIsPartial(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/certificates", -1, fakeapitest.RateLimited(3600)) // the hourly quota is spent
	})
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "certificates") || !strings.Contains(out.Warnings[0], "rate limited") {
		t.Errorf("warnings: %v", out.Warnings)
	}
	if h.srv.Count("/v2/certificates") != 1 {
		t.Errorf("certificates requested %d times; a Retry-After beyond maxWait must not be waited for", h.srv.Count("/v2/certificates"))
	}
}

func TestTokenRejected(t *testing.T) {
	bad := start(t, testEstate(t), "dop_v1_wrong", nil)
	good := start(t, digitaloceanfake.MustLoad("demo"), digitaloceanfake.Token, nil)
	res := collectors.Run(context.Background(), []collectors.Instance{
		{Provider: "digitalocean", Name: "bad", Collector: bad.c},
		{Provider: "digitalocean", Name: "good", Collector: good.c},
	}, collectors.Options{})
	byName := map[string]collectors.Result{}
	for _, r := range res {
		byName[r.Status.Instance] = r
	}
	if st := byName["bad"].Status; st.Status != graph.StatusFailed || st.Reason != "digitalocean: token rejected (401)" {
		t.Errorf("bad token: status %s reason %q", st.Status, st.Reason)
	}
	if len(byName["bad"].Nodes) != 0 {
		t.Errorf("bad token emitted %d nodes", len(byName["bad"].Nodes))
	}
	if st := byName["good"].Status; st.Status != graph.StatusOK || st.Nodes == 0 {
		t.Errorf("good instance beside a bad one: %+v", st)
	}
	// The listings are asked beside the account: each is asked once (a 401 is not retried), and
	// no sub-listing follows a rejected one.
	asked := map[string]int{}
	for _, r := range bad.srv.Requests() {
		_, p, _ := strings.Cut(r, " ") // "GET /v2/account"
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		asked[p]++
	}
	for p, n := range asked {
		if n != 1 {
			t.Errorf("%s asked %d times: a 401 is not retried", p, n)
		}
		if strings.Count(strings.Trim(p, "/"), "/") >= 3 && !strings.HasPrefix(p, "/v2/kubernetes/clusters") {
			t.Errorf("sub-listing %s asked with a rejected token", p)
		}
	}
	if asked["/v2/account"] != 1 {
		t.Errorf("account asked %d times, want 1", asked["/v2/account"])
	}
}

// TestListingsStartBesideTheAccount: nothing in the listings needs the account's answer, so
// they are asked while it is on its way (the fake holds the account until a droplet listing
// arrives). Before, every listing waited for the account: a round trip on every scan.
func TestListingsStartBesideTheAccount(t *testing.T) {
	fake := digitaloceanfake.New(testEstate(t))
	droplets := make(chan struct{})
	var once sync.Once
	var released atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/account":
			select {
			case <-droplets:
				released.Store(true)
			case <-time.After(3 * time.Second):
			}
		case "/v2/droplets":
			once.Do(func() { close(droplets) })
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := New(Config{Name: "beside", Token: evidence.Secret(digitaloceanfake.Token), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "digitalocean", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	if !released.Load() {
		t.Error("no droplet listing was asked for while the account was on its way: the listings wait for the account")
	}
	out.Node(t, did("account", team)) // the account's answer is still mapped
}

func TestTokenRevokedMidScan(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/droplets", -1, fakeapi.Fault{Status: http.StatusUnauthorized})
	})
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if !errors.Is(out.Err, errTokenRejected) {
		t.Errorf("Collect = %v, want the token error", out.Err)
	}
}

func TestOptionalFamilies404(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/kubernetes/clusters", -1, fakeapi.Fault{Status: http.StatusNotFound})
		s.Fault("/v2/registries", -1, fakeapi.Fault{Status: http.StatusNotFound})
		s.Fault("/v2/cdn/endpoints", -1, fakeapi.Fault{Status: http.StatusNotFound})
	})
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if out.CountKind("k8s_cluster")+out.CountKind("registry")+out.CountKind("node_pool") != 0 {
		t.Error("404 families still produced nodes")
	}
	// Worker droplets stay, without their pool.
	out.Node(t, did("droplet", "2001"))
}

func TestCancelled(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, nil)
	collectorstest.CheckCancelled(t, "digitalocean", h.c)
}

func TestCancelDuringRetryAfter(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/account", -1, fakeapitest.RateLimited(60))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := h.c.Collect(ctx, &collectors.Recorder{Provider: "digitalocean"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Collect = %v, want the context's error", err)
	}
	if time.Since(begin) > 10*time.Second {
		t.Error("the Retry-After wait ignored the context")
	}
}

func TestScaledEstate(t *testing.T) {
	e := fakescale.DigitalOcean(450)
	h := start(t, e, digitaloceanfake.Token, nil)
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if got := out.CountKind("droplet"); got != 450 {
		t.Errorf("droplets: %d (450 need three pages of 200)", got)
	}
	if got := h.srv.Count("/v2/droplets"); got != 3 {
		t.Errorf("droplet pages: %d", got)
	}
	if got := out.CountKind("dns_record"); got != 450 {
		t.Errorf("records: %d", got)
	}
	collectorstest.AssertAbsent(t, canaries(), out.JSON())
}

// DigitalOcean's 429 waits (Retry-After, then ratelimit-reset) are retry.Transport's, tested
// there; this checks the policy reads them.
func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tr := &retryTransport{backoff: time.Second, now: func() time.Time { return now }}
	for _, c := range []struct {
		header http.Header
		want   time.Duration
	}{
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{http.Header{"Retry-After": {now.Add(7 * time.Second).Format(http.TimeFormat)}}, 7 * time.Second},
		{http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{http.Header{"Retry-After": {"soon"}}, time.Second},
		// Without Retry-After, an exhausted window waits for ratelimit-reset.
		{http.Header{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"1735787065"}}, 20 * time.Second}, // now + 20s
		{http.Header{}, time.Second},
	} {
		if got := tr.policy().RateWait(c.header, now, 0); got != c.want {
			t.Errorf("429 with %v: wait %v, want %v", c.header, got, c.want)
		}
	}
}

func TestRecordTarget(t *testing.T) {
	for data, want := range map[string]string{
		"@":                     "acme-coffee.com",
		"cname.vercel-dns.com.": "cname.vercel-dns.com",
		"www":                   "www.acme-coffee.com",
		"Mail.Example.NET":      "mail.example.net",
	} {
		if got := recordTarget(data, "acme-coffee.com"); got != want {
			t.Errorf("recordTarget(%q) = %q, want %q", data, got, want)
		}
	}
	for u, want := range map[string]string{
		"https://gitlab.com/acme/migrations.git": "gitlab.com/acme/migrations",
		"git@github.com:acme/api.git":            "github.com/acme/api",
		"not a url":                              "",
	} {
		if got := cloneRepo(u); got != want {
			t.Errorf("cloneRepo(%q) = %q, want %q", u, got, want)
		}
	}
}

func BenchmarkCollectScaled(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			h := start(b, fakescale.DigitalOcean(n), digitaloceanfake.Token, func(s *digitaloceanfake.Server) { s.Latency = 20 * time.Millisecond })
			b.ReportAllocs()
			var nodes, edges int
			for b.Loop() {
				rec := &collectors.Recorder{Provider: "digitalocean"}
				if err := h.c.Collect(context.Background(), rec); err != nil {
					b.Fatal(err)
				}
				ns, es, _ := rec.Snapshot()
				nodes, edges = len(ns), len(es)
			}
			b.ReportMetric(float64(nodes), "nodes")
			b.ReportMetric(float64(edges), "edges")
			b.ReportMetric(float64(len(h.srv.Requests()))/float64(b.N), "requests/op")
		})
	}
}

func TestDeterministic(t *testing.T) {
	var first []byte
	for i, parallel := range []int{1, 6, 16} {
		h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) { s.MaxPerPage = 3 })
		h.c.parallel = parallel
		out := collectorstest.Collect(t, "digitalocean", h.c)
		if i == 0 {
			first = out.JSON()
			continue
		}
		if got := out.JSON(); string(got) != string(first) {
			t.Errorf("parallel %d: output differs from parallel 1", parallel)
		}
	}
}

func TestUnreachableAndHung(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there now
	c, err := New(Config{Name: "gone", Token: evidence.Secret(digitaloceanfake.Token), APIURL: url})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = time.Millisecond
	out := collectorstest.Collect(t, "digitalocean", c)
	if out.Err == nil || !strings.HasPrefix(out.Err.Error(), "digitalocean: get account: ") {
		t.Errorf("unreachable API: %v", out.Err)
	}

	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) { s.Latency = 300 * time.Millisecond })
	h.c.attemptTimeout = 20 * time.Millisecond
	// Attempts are counted where they are sent: an attempt given up after 20ms on a loaded
	// machine may close its connection before the fake's handler has counted it.
	sent := &countingTransport{next: http.DefaultTransport, path: "/v2/account"}
	h.c.base = sent
	out = collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "no answer within 20ms") {
		t.Errorf("hung API: %v", out.Err)
	}
	if got := sent.count.Load(); got != int64(1+h.c.retries) {
		t.Errorf("hung account asked %d times, want %d", got, 1+h.c.retries)
	}
	if got := h.srv.Count("/v2/account"); got > 1+h.c.retries {
		t.Errorf("the fake saw %d asks for the account, more than the %d sent", got, 1+h.c.retries)
	}
	collectorstest.AssertAbsent(t, canaries(), out.JSON())
}

func TestSubFamilyFailureIsPartial(t *testing.T) {
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/domains/acme-coffee.com/records", -1, fakeapi.Fault{Status: http.StatusServiceUnavailable})
		s.Fault("/v2/databases/"+pg+"/firewall", -1, fakeapi.Fault{Status: http.StatusForbidden})
	})
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	want := []string{"records of domain acme-coffee.com: ", "trusted sources of database acme-pg: "}
	if len(out.Warnings) != 2 || !strings.HasPrefix(out.Warnings[0], want[0]) || !strings.HasPrefix(out.Warnings[1], want[1]) {
		t.Fatalf("warnings: %q", out.Warnings)
	}
	if !strings.Contains(out.Warnings[1], "lacks the read scope") {
		t.Errorf("403 without a hint: %s", out.Warnings[1])
	}
	// The other domain's records, and the cluster itself, are kept.
	out.Node(t, did("dns_record", "example-shop.net/39000001"))
	out.Node(t, did("db_cluster", pg))
	if out.CountKind("dns_record") != 1 || out.HasEdge(did("db_cluster", pg), "allows", did("droplet", "1001")) {
		t.Error("records or trusted sources appeared although their listing failed")
	}
}

func TestTagsAreScopedToTheAccount(t *testing.T) {
	other := testEstate(t)
	other.Account = json.RawMessage(`{"uuid": "c0ffee", "status": "active", "team": {"uuid": "other-team", "name": "Other"}}`)
	a := collectorstest.Collect(t, "digitalocean", start(t, testEstate(t), digitaloceanfake.Token, nil).c)
	b := collectorstest.Collect(t, "digitalocean", start(t, other, digitaloceanfake.Token, nil).c)
	web := a.Node(t, did("tag", team+"/web"))
	if web.Name != "web" || web.Attrs["tag"] != "web" {
		t.Errorf("tag node: %+v", web)
	}
	b.Node(t, did("tag", "other-team/web"))
	if _, ok := b.Graph.Node(did("tag", team+"/web")); ok {
		t.Error("the second account emitted the first account's tag")
	}
}

// countingTransport counts the requests sent for one path.
type countingTransport struct {
	next  http.RoundTripper
	path  string
	count atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == c.path {
		c.count.Add(1)
	}
	return c.next.RoundTrip(r)
}

// inFlight counts the requests a handler serves at once.
type inFlight struct {
	h        http.Handler
	mu       sync.Mutex
	now, top int
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.now++
	f.top = max(f.top, f.now)
	f.mu.Unlock()
	// The answer is buffered and the request counted out before a byte of it is sent: a client
	// that frees its slot on reading the answer may start its next request before a deferred
	// decrement here would run, which counted one request too many now and then.
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	f.mu.Lock()
	f.now--
	f.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// Behind a slow API the collector keeps its whole pool busy: the sub-resources of 40 domains
// and 10 database clusters are read 16 at a time, not a handful (bench/ measures the time).
func TestConcurrencyUnderLatency(t *testing.T) {
	fake := digitaloceanfake.New(fakescale.DigitalOcean(400))
	fake.Latency = 20 * time.Millisecond
	counter := &inFlight{h: fake}
	srv := httptest.NewServer(counter)
	defer srv.Close()
	c, err := New(Config{Name: "bench", Token: evidence.Secret(digitaloceanfake.Token), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if c.parallel != 16 {
		t.Fatalf("parallel %d", c.parallel)
	}
	out := collectorstest.Collect(t, "digitalocean", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	if counter.top != c.parallel {
		t.Errorf("at most %d requests in flight, want the pool's %d", counter.top, c.parallel)
	}
}

// godo puts an error body's message, or the whole body when it is not JSON, into its error.
// An answer that echoes the token or a connection string must not carry it into a warning or
// the instance's error.
func TestErrorBodyEchoIsScrubbed(t *testing.T) {
	echo := "token " + digitaloceanfake.Token + " refused for postgres://doadmin:CANARY-pw-echo@db.example.com:25060/defaultdb?password=CANARY-q"
	h := start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/load_balancers", -1, fakeapi.Fault{Status: http.StatusConflict, Message: echo})
		s.Fault("/v2/tags", -1, fakeapi.Fault{Status: http.StatusBadGateway, Body: "<html>proxy: Authorization: Bearer " + digitaloceanfake.Token + " CANARY-html</html>"})
	})
	res := collectors.Run(context.Background(), []collectors.Instance{{Provider: "digitalocean", Name: "test", Collector: h.c}}, collectors.Options{})
	st := res[0].Status
	if st.Status != graph.StatusPartial || len(st.Warnings) != 2 {
		t.Fatalf("status %s, warnings %q: want partial with two warnings", st.Status, st.Warnings)
	}
	if !strings.Contains(st.Warnings[0], "db.example.com") || !strings.Contains(st.Warnings[1], "502") {
		t.Errorf("warnings %q lost the non-secret facts", st.Warnings)
	}
	h = start(t, testEstate(t), digitaloceanfake.Token, func(s *digitaloceanfake.Server) {
		s.Fault("/v2/account", -1, fakeapi.Fault{Status: http.StatusBadRequest, Message: echo})
	})
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err == nil {
		t.Fatal("no error for a failing account read")
	}
	collectorstest.AssertAbsent(t, []string{"CANARY", digitaloceanfake.Token}, []byte(strings.Join(st.Warnings, "\n")), []byte(out.Err.Error()))
}

// A listing's pages after the first are asked for at once (page one answers the total): 3,000
// droplets in one account are two round trips, not fifteen. Before, pages followed each other.
func TestPagesReadAtOnce(t *testing.T) {
	fake := digitaloceanfake.New(fakescale.DigitalOceanHub(3000))
	fake.Latency = 20 * time.Millisecond
	droplets := &inFlight{h: fake}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/droplets" {
			droplets.ServeHTTP(w, r)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := New(Config{Name: "hub", Token: evidence.Secret(digitaloceanfake.Token), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "digitalocean", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	n := 0
	for _, nd := range out.Nodes {
		if nd.Kind == "droplet" {
			n++
		}
	}
	if n != 3000 {
		t.Errorf("%d droplets, want 3000", n)
	}
	if droplets.top < pagesInFlight/2 {
		t.Errorf("at most %d droplet pages in flight: pages are read one after another", droplets.top)
	}
}

// A top-level listing's sub-listings start once it is read, not after every other top-level
// listing: the project's resources are asked for while the droplets are still being read. The
// droplet listing is held until a project-resources request arrives (or 3 s pass); before,
// sub-listings waited for every listing and the hold always ran out.
func TestSubListingsStartWithTheirParent(t *testing.T) {
	fake := digitaloceanfake.New(fakescale.DigitalOceanHub(300))
	resources := make(chan struct{})
	var once sync.Once
	var released atomic.Bool // the droplets were let go by a resources request, not the timer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2/droplets":
			select {
			case <-resources:
				released.Store(true)
			case <-time.After(3 * time.Second):
			}
		case strings.HasPrefix(r.URL.Path, "/v2/projects/") && strings.HasSuffix(r.URL.Path, "/resources"):
			once.Do(func() { close(resources) })
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := New(Config{Name: "hub", Token: evidence.Secret(digitaloceanfake.Token), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "digitalocean", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	if !released.Load() {
		t.Error("no project resources were asked for while the droplets were being read: sub-listings wait for every top-level listing")
	}
}

// TestSeveralRegistriesAndReservedIPv6: an account with two container registries keeps both and
// their repositories (GET /v2/registries, /v2/registries/{name}/repositoriesV2; the legacy
// /v2/registry answers one), and reserved IPv6 addresses (GET /v2/reserved_ipv6) are read, with
// the droplet they are assigned to (issue #20).
func TestSeveralRegistriesAndReservedIPv6(t *testing.T) {
	e := testEstate(t)
	e.Registries = []json.RawMessage{json.RawMessage(`{"name": "acme-ml", "storage_usage_bytes": 1024, "created_at": "2025-01-02T03:04:05Z", "region": "sfo3"}`)}
	e.RegistriesRepositories = map[string][]json.RawMessage{"acme-ml": {
		json.RawMessage(`{"registry_name": "acme-ml", "name": "trainer", "tag_count": 2, "manifest_count": 2, "latest_manifest": {"digest": "sha256:aa", "tags": ["v2"]}}`),
	}}
	e.ReservedIPv6s = []json.RawMessage{
		json.RawMessage(`{"ip": "2409:40d0:f7:1017:74b4:3a96:105e:1c77", "region_slug": "nyc3", "reserved_at": "2024-06-20T16:44:05Z", "droplet": {"id": 1001, "name": "web-1"}}`),
		json.RawMessage(`{"ip": "2409:40d0:f7:1017::1", "region_slug": "fra1", "reserved_at": "2024-06-21T16:44:05Z"}`),
	}
	h := start(t, e, digitaloceanfake.Token, nil)
	out := collectorstest.Collect(t, "digitalocean", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	for _, r := range []string{"acme", "acme-ml"} {
		if !out.HasEdge(did("account", team), "contains", did("registry", r)) {
			t.Errorf("registry %s missing", r)
		}
	}
	if !out.HasEdge(did("registry", "acme-ml"), "contains", did("registry_repo", "acme-ml/trainer")) {
		t.Error("the second registry's repository is missing")
	}
	out.Node(t, did("registry_repo", "acme/tools")) // the first registry's repositories are still read
	v6 := did("reserved_ip", "2409:40d0:f7:1017:74b4:3a96:105e:1c77")
	if n := out.Node(t, v6); n.Attrs["region"] != "nyc3" || n.Attrs["urn"] != "do:reservedipv6:2409:40d0:f7:1017:74b4:3a96:105e:1c77" {
		t.Errorf("reserved IPv6 attrs %v", n.Attrs)
	}
	if !out.HasEdge(v6, "assigned_to", did("droplet", "1001")) {
		t.Error("the reserved IPv6 is not assigned to its droplet")
	}
	out.Node(t, did("reserved_ip", "2409:40d0:f7:1017::1"))
	if h.srv.Count("/v2/registry") != 0 {
		t.Error("the legacy single-registry endpoint was asked")
	}
}
