package vercel

import (
	"bytes"
	"context"
	"fmt"
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
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
	"github.com/infragraph/infragraph/collectors/fakescale"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/retry"
)

// waits records the client's retry waits instead of sleeping.
type waits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

type harness struct {
	fake  *vercelfake.Server
	c     *Collector
	waits *waits
}

func setup(t testing.TB, estate string, mod func(*Config), opts ...vercelfake.Option) harness {
	t.Helper()
	e := vercelfake.MustLoad(estate)
	fake := vercelfake.New(e, opts...)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	token := e.Token
	if token == "" {
		token = "any-token"
	}
	cfg := Config{Name: "test", Token: evidence.Secret(token), APIURL: srv.URL}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &waits{}
	c.client.wait = w.wait
	c.client.now = func() time.Time { return time.Unix(1_760_000_000, 0) }
	return harness{fake: fake, c: c, waits: w}
}

func has(t *testing.T, out collectorstest.Output, from, typ, to string) {
	t.Helper()
	if !out.HasEdge(from, typ, to) {
		t.Errorf("missing edge %s -%s-> %s", from, typ, to)
	}
}

func attr(t *testing.T, out collectorstest.Output, id, field string, want any) {
	t.Helper()
	n := out.Node(t, id)
	got := n.Attrs[field]
	if w, ok := want.([]string); ok {
		g, _ := got.([]string)
		if !slices.Equal(g, w) {
			t.Errorf("%s.%s = %v, want %v", id, field, got, want)
		}
		return
	}
	if got != want {
		t.Errorf("%s.%s = %#v, want %#v", id, field, got, want)
	}
}

func noAttrPrefix(t *testing.T, out collectorstest.Output, id, prefix string) {
	t.Helper()
	for k := range out.Node(t, id).Attrs {
		if strings.HasPrefix(k, prefix) {
			t.Errorf("%s has attr %s; want none under %s", id, k, prefix)
		}
	}
}

// A project whose targets list only production still shows its latest preview: the production
// deployment is read directly, and the newest-first walk is not skipped for that.
func TestPreviewBesideDirectProductionRead(t *testing.T) {
	h := setup(t, "demo", nil)
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	out.Node(t, "vercel:deployment:dpl_storefront_preview")
	out.Node(t, "vercel:deployment:dpl_storefront_prod")
}

func TestCollectTestEstate(t *testing.T) {
	h := setup(t, "test", nil)
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil {
		t.Fatalf("Collect: %v", out.Err)
	}
	if len(out.Warnings) > 0 {
		t.Fatalf("unexpected warnings: %v", out.Warnings)
	}
	// Every secret in the estate contains CANARY: none may appear anywhere.
	collectorstest.AssertAbsent(t, []string{"CANARY", "sk_live", "deploy/prj_web", "tok_1"}, out.JSON())

	for kind, want := range map[string]int{
		"team": 3, "project": 7, "env_var": 12, "shared_env_var": 3, "deployment": 8, "domain": 3, "dns_record": 6,
		"project_domain": 4, "alias": 4, "integration_config": 2, "edge_config": 1, "storage_store": 3,
		"drain": 2, "webhook": 2, "secure_network": 1, "repo": 6,
	} {
		if got := out.CountKind(kind); got != want {
			t.Errorf("%d %s nodes, want %d", got, kind, want)
		}
	}

	const (
		alpha = "vercel:team:team_alpha"
		web   = "vercel:project:prj_web"
		api   = "vercel:project:prj_api"
		docs  = "vercel:project:prj_docs"
	)
	has(t, out, alpha, "contains", web)
	has(t, out, "vercel:team:usr_tess", "contains", "vercel:project:prj_blog")
	has(t, out, "vercel:team:team_beta", "contains", "vercel:project:prj_beta_site")
	has(t, out, web, "contains", "vercel:deployment:dpl_web_prod")
	has(t, out, web, "contains", "vercel:env_var:prj_web/env_db")
	has(t, out, web, "contains", "vercel:project_domain:prj_web/web.alpha.dev")
	has(t, out, "vercel:project_domain:prj_web/web.alpha.dev", "routes_to", web)
	has(t, out, "vercel:project_domain:prj_web/www.alpha.dev", "routes_to", "vercel:project_domain:prj_web/web.alpha.dev")
	has(t, out, "vercel:alias:als_web_dev", "routes_to", "vercel:deployment:dpl_web_prod")
	has(t, out, "vercel:alias:als_pinned", "routes_to", "vercel:deployment:dpl_web_old_prod")
	has(t, out, "vercel:domain:alpha.dev", "contains", "vercel:dns_record:alpha.dev/rec_api")
	has(t, out, web, "builds_from", "git:repo:github.com/alpha/web")
	has(t, out, api, "builds_from", "git:repo:gitlab.com/alpha/api")
	has(t, out, docs, "builds_from", "git:repo:bitbucket.org/alpha/docs")
	has(t, out, "vercel:project:prj_shop", "builds_from", "git:repo:git.alpha.dev/alpha/shop")
	has(t, out, "vercel:project:prj_blog", "builds_from", "git:repo:github.com/tess/blog")
	has(t, out, "vercel:deployment:dpl_web_prod", "builds_from", "git:repo:github.com/alpha/web")
	has(t, out, "vercel:deployment:dpl_api_prod", "builds_from", "git:repo:gitlab.com/alpha/api")
	has(t, out, "vercel:env_var:prj_web/env_kv", "created_by", "vercel:integration_config:icfg_upstash")
	has(t, out, "vercel:env_var:prj_web/env_kv", "uses_store", "vercel:storage_store:store_kv")
	has(t, out, "vercel:env_var:prj_web/env_neon", "uses_store", "vercel:storage_store:store_neon")
	has(t, out, "vercel:env_var:prj_web/env_neon", "created_by", "vercel:integration_config:icfg_neon")
	has(t, out, "vercel:storage_store:store_neon", "created_by", "vercel:integration_config:icfg_neon")
	has(t, out, "vercel:env_var:prj_web/env_edge", "reads_from", "vercel:edge_config:ecfg_flags")
	has(t, out, web, "uses_store", "vercel:storage_store:store_kv")
	has(t, out, docs, "uses_store", "vercel:storage_store:store_blob")
	has(t, out, "vercel:integration_config:icfg_upstash", "installed_on", web)
	for _, p := range []string{"prj_web", "prj_api", "prj_docs", "prj_shop", "prj_blank"} { // projectSelection: all
		has(t, out, "vercel:integration_config:icfg_neon", "installed_on", "vercel:project:"+p)
	}
	has(t, out, "vercel:drain:drn_logs", "notifies", web)
	has(t, out, "vercel:drain:drn_traces", "notifies", alpha)
	has(t, out, "vercel:webhook:hook_deploys", "notifies", web)
	has(t, out, "vercel:webhook:hook_deploys", "notifies", api)
	has(t, out, "vercel:webhook:hook_team", "notifies", alpha)
	has(t, out, web, "uses_network", "vercel:secure_network:net_alpha")
	has(t, out, web, "depends_on", "vercel:shared_env_var:env_shared_cache")
	has(t, out, api, "depends_on", "vercel:shared_env_var:env_shared_cache")
	has(t, out, alpha, "contains", "vercel:shared_env_var:env_shared_cache")

	// Project facts.
	attr(t, out, web, "framework", "nextjs")
	attr(t, out, web, "root_directory", "apps/web")
	attr(t, out, web, "production_branch", "main")
	attr(t, out, web, "repo", "github.com/alpha/web")
	attr(t, out, web, "regions", []string{"fra1", "iad1"})
	attr(t, out, web, "domains", []string{"preview.alpha.dev", "web-alpha.vercel.app", "web.alpha.dev", "www.alpha.dev"})
	attr(t, out, web, "deploy_hooks", int64(1))
	attr(t, out, api, "production_branch", "trunk")

	// Env vars: plain and encrypted values become facts; sensitive, system and legacy never.
	attr(t, out, "vercel:env_var:prj_web/env_db", "value.host", "db.zzzzzzzzzzzzzzzzzzzz.supabase.co")
	attr(t, out, "vercel:env_var:prj_web/env_db", "value.user", "app")
	attr(t, out, "vercel:env_var:prj_web/env_db", "value.port", int64(5432))
	attr(t, out, "vercel:env_var:prj_web/env_db", "type", "encrypted")
	attr(t, out, "vercel:env_var:prj_web/env_db", "targets", []string{"production"})
	attr(t, out, "vercel:env_var:prj_web/env_api", "value.url", "https://api.alpha.dev/v1")
	attr(t, out, "vercel:env_var:prj_web/env_kv", "value.host", "alpha-kv.upstash.io")
	attr(t, out, "vercel:env_var:prj_web/env_kv", "content_hint", "redis-rest-api-url")
	attr(t, out, "vercel:env_var:prj_web/env_neon", "value.host", "ep-cool-1.eu-central-1.aws.neon.tech")
	attr(t, out, "vercel:env_var:prj_web/env_branch", "git_branch", "develop")
	attr(t, out, "vercel:env_var:prj_api/env_dsn", "value.host", "pg.alpha.internal")
	for _, id := range []string{"prj_web/env_stripe", "prj_web/env_sys", "prj_web/env_legacy", "prj_api/env_pw"} {
		noAttrPrefix(t, out, "vercel:env_var:"+id, "value")
	}
	attr(t, out, "vercel:shared_env_var:env_shared_cache", "value.host", "cache.alpha.dev")
	attr(t, out, "vercel:shared_env_var:env_shared_hook", "value.host", "alerts.alpha.dev")
	noAttrPrefix(t, out, "vercel:shared_env_var:env_shared_sens", "value")

	// Encrypted values are read one by one; sensitive ones never are.
	if n := h.fake.Count("/v1/projects/prj_web/env/"); n != 4 {
		t.Errorf("%d single env reads for prj_web, want 4 (the encrypted ones)", n)
	}
	for _, never := range []string{"/v1/projects/prj_web/env/env_stripe", "/v1/projects/prj_web/env/env_legacy", "/v1/env/env_shared_sens"} {
		if n := h.fake.Count(never); n != 0 {
			t.Errorf("%s read %d times", never, n)
		}
	}

	// Deployments: the latest per target, across pages; older ones only when an alias pins them.
	attr(t, out, "vercel:deployment:dpl_web_prod", "commit_sha", "cccc000000000000000000000000000000000000")
	attr(t, out, "vercel:deployment:dpl_web_prod", "commit_ref", "main")
	attr(t, out, "vercel:deployment:dpl_web_prod", "url_host", "web-prod-alpha.vercel.app")
	attr(t, out, "vercel:deployment:dpl_web_prod", "target", "production")
	attr(t, out, "vercel:deployment:dpl_web_prev2", "target", "preview")
	attr(t, out, "vercel:deployment:dpl_web_old_prod", "pinned_by_alias", true)
	if _, ok := out.Node(t, "vercel:deployment:dpl_web_old_prod").Attrs["target"]; ok {
		t.Error("an alias-pinned deployment's target is unknown, not preview")
	}
	seen := map[string]bool{}
	for _, n := range out.Nodes {
		if seen[n.ID] {
			t.Errorf("node %s emitted twice", n.ID)
		}
		seen[n.ID] = true
	}
	for _, e := range out.Edges {
		if seen[e.Key().String()] {
			t.Errorf("edge %s emitted twice", e.Key())
		}
		seen[e.Key().String()] = true
	}
	for _, gone := range []string{"vercel:deployment:dpl_web_prev1", "vercel:deployment:dpl_web_older", "vercel:alias:als_stale_preview"} {
		if _, ok := out.Graph.Node(gone); ok {
			t.Errorf("%s emitted; only the latest deployment per target (and alias-pinned ones) should be", gone)
		}
	}

	// DNS records: ip for A/AAAA, target host for CNAME/ALIAS, never a TXT value.
	attr(t, out, "vercel:dns_record:alpha.dev/rec_apex", "ip", "76.76.21.21")
	attr(t, out, "vercel:dns_record:alpha.dev/rec_apex", "fqdn", "alpha.dev")
	attr(t, out, "vercel:dns_record:alpha.dev/rec_api", "target", "api-alpha.fly.dev")
	attr(t, out, "vercel:dns_record:alpha.dev/rec_api", "fqdn", "api.alpha.dev")
	attr(t, out, "vercel:dns_record:alpha.dev/rec_www", "target", "cname.vercel-dns.com")
	attr(t, out, "vercel:dns_record:alpha.dev/rec_v6", "ip", "2001:db8::1")
	attr(t, out, "vercel:domain:alpha.io", "nameservers", []string{"ns1.digitalocean.com", "ns2.digitalocean.com"})

	// Drains, webhooks, networks: endpoint facts only.
	attr(t, out, "vercel:drain:drn_logs", "endpoint.host", "logs.alpha-observe.io")
	attr(t, out, "vercel:drain:drn_logs", "endpoint.url", "https://logs.alpha-observe.io/ingest")
	attr(t, out, "vercel:drain:drn_logs", "header_names", []string{"Authorization"})
	attr(t, out, "vercel:drain:drn_traces", "endpoint.host", "otel.alpha-observe.io")
	attr(t, out, "vercel:webhook:hook_deploys", "url.host", "ci.alpha.dev")
	attr(t, out, "vercel:secure_network:net_alpha", "egress_ips", []string{"3.120.1.1", "3.120.1.2"})
	attr(t, out, "vercel:secure_network:net_alpha", "cidr", "10.1.0.0/16")

	// Pagination: projects page with `from` (a continuation token), the rest with `until`.
	var projectPages, deploymentPages int
	for _, r := range h.fake.Requests() {
		if strings.HasPrefix(r, "GET /v10/projects?") && strings.Contains(r, "teamId=team_alpha") {
			projectPages++
			if strings.Contains(r, "until=") {
				t.Errorf("projects paged with until: %s", r)
			}
		}
		if strings.HasPrefix(r, "GET /v6/deployments?") && strings.Contains(r, "projectId=prj_web") {
			deploymentPages++
		}
	}
	if projectPages != 3 {
		t.Errorf("%d project pages for team_alpha, want 3 (5 projects, page size 2)", projectPages)
	}
	if deploymentPages < 2 {
		t.Errorf("%d deployment pages for prj_web, want several", deploymentPages)
	}
	// Stores page like the other lists (page size 2, three stores): the third is on page two.
	out.Node(t, "vercel:storage_store:store_kv")
	out.Node(t, "vercel:storage_store:store_blob")
	storePages := 0
	for _, r := range h.fake.Requests() {
		if strings.HasPrefix(r, "GET /v1/storage/stores?") && strings.Contains(r, "teamId=team_alpha") {
			storePages++
		}
	}
	if storePages != 2 {
		t.Errorf("%d store list pages for team_alpha, want 2", storePages)
	}
	if n := h.fake.Count("/v1/storage/stores/store_neon"); n != 1 {
		t.Errorf("store without projectsMetadata read %d times, want 1", n)
	}
	if len(h.waits.all()) != 0 {
		t.Errorf("waited %v without faults", h.waits.all())
	}
}

func TestReadEncryptedOff(t *testing.T) {
	off := false
	h := setup(t, "test", func(c *Config) { c.ReadEncrypted = &off })
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if n := h.fake.Count("/v1/projects/") + h.fake.Count("/v1/env/"); n != 0 {
		t.Errorf("%d single env reads with read_encrypted: false", n)
	}
	noAttrPrefix(t, out, "vercel:env_var:prj_web/env_db", "value")
	attr(t, out, "vercel:env_var:prj_web/env_api", "value.host", "api.alpha.dev") // plain still read
	has(t, out, "vercel:env_var:prj_web/env_kv", "uses_store", "vercel:storage_store:store_kv")
	collectorstest.AssertAbsent(t, []string{"CANARY"}, out.JSON())
}

func TestRepeatedCursorEndsWithWarning(t *testing.T) {
	h := setup(t, "test", nil, withRepeatCursor("/v5/domains/alpha.dev/records"))
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "cursor repeated") {
		t.Fatalf("warnings %v, want one about the repeated cursor", out.Warnings)
	}
	if n := h.fake.Count("/v5/domains/alpha.dev/records"); n > 3 {
		t.Errorf("records requested %d times; the loop guard should stop at the first repeat", n)
	}
	// The pages read before the repeat are kept, and everything else too.
	if out.CountKind("dns_record") < 2 || out.CountKind("project") != 7 {
		t.Errorf("%d records, %d projects after the loop guard", out.CountKind("dns_record"), out.CountKind("project"))
	}
}

func TestPageCapEndsWithWarning(t *testing.T) {
	h := setup(t, "test", nil)
	h.c.client.MaxPages = 2
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	found := false
	for _, w := range out.Warnings {
		if strings.Contains(w, "projects") && strings.Contains(w, "more than 2 pages") {
			found = true
		}
	}
	if !found {
		t.Fatalf("warnings %v, want one about the projects page cap", out.Warnings)
	}
	if n := out.CountKind("project"); n != 1+4+1 {
		t.Errorf("%d projects, want the 4 of alpha's first two pages plus one per other scope", n)
	}
}

func TestRateLimitThenSuccess(t *testing.T) {
	h := setup(t, "test", nil,
		withFault("/v10/projects", 2, fakeapitest.RateLimited(3)),
		withFault("/v5/domains", 1, fakeapi.Fault{Status: 429, Header: http.Header{"X-RateLimit-Reset": {strconv.FormatInt(1_760_000_007, 10)}}}),
	)
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	got := h.waits.all()
	slices.Sort(got) // scopes, and a scope's families and project list, are read at once
	want := []time.Duration{3 * time.Second, 3 * time.Second, 7 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v (Retry-After twice, then X-RateLimit-Reset)", got, want)
	}
	if out.CountKind("project") != 7 {
		t.Errorf("%d projects after retries", out.CountKind("project"))
	}
}

func TestRateLimitBeyondCap(t *testing.T) {
	h := setup(t, "test", nil, withFault("/v1/webhooks", fakeapi.Always, fakeapitest.RateLimited(3600)))
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if len(out.Warnings) == 0 || !strings.Contains(strings.Join(out.Warnings, "\n"), "wait cap") {
		t.Errorf("warnings %v, want the webhooks family given up with the wait cap", out.Warnings)
	}
	if len(h.waits.all()) != 0 {
		t.Errorf("waited %v for a Retry-After beyond the cap", h.waits.all())
	}
}

func TestServerErrorsRetryWithBackoff(t *testing.T) {
	// One scope: scopes are read at once, and two scopes' first attempts would share the faults.
	h := setup(t, "test", func(c *Config) { c.TeamIDs = []string{"team_alpha"} }, withFault("/v1/drains", 2, fakeapi.Fault{Status: 502}))
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if got, want := h.waits.all(), []time.Duration{500 * time.Millisecond, time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if out.CountKind("drain") != 2 {
		t.Errorf("%d drains", out.CountKind("drain"))
	}

	// A persistent 500 gives up after MaxRetries and becomes a warning.
	h = setup(t, "test", nil, withFault("/v1/drains", fakeapi.Always, fakeapi.Fault{Status: 500}))
	out = collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil || len(out.Warnings) != 3 || !strings.Contains(out.Warnings[0], "drains: /v1/drains: 500") {
		t.Fatalf("err %v, warnings %v, want one per scope", out.Err, out.Warnings)
	}
	if n := h.fake.Count("/v1/drains"); n != 3*4 {
		t.Errorf("%d drain requests, want 1 + 3 retries per scope", n)
	}
	if out.CountKind("project") != 7 {
		t.Errorf("%d projects; the drains failure must not lose the rest", out.CountKind("project"))
	}
}

func TestUnauthorized(t *testing.T) {
	h := setup(t, "test", nil, withFault("*", fakeapi.Always, fakeapi.Fault{Status: 401}))
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "401") || !strings.Contains(out.Err.Error(), "token") {
		t.Fatalf("err = %v, want a clear 401", out.Err)
	}
	if len(out.Nodes) != 0 {
		t.Errorf("%d nodes after a 401", len(out.Nodes))
	}

	// Vercel answers an expired or wrong token with 403 invalidToken: the instance fails too.
	h = setup(t, "test", func(c *Config) { c.Token = "wrong-CANARY-token" })
	out = collectorstest.Collect(t, "vercel", h.c)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "token was rejected") {
		t.Fatalf("err = %v, want the rejected token", out.Err)
	}
	collectorstest.AssertAbsent(t, []string{"CANARY"}, out.JSON())

	// A token revoked mid-scan fails the instance as well, even inside a family.
	h = setup(t, "test", nil, withFault("/v1/projects/prj_web/env/", fakeapi.Always, fakeapi.Fault{Status: 401}))
	out = collectorstest.Collect(t, "vercel", h.c)
	if out.Err == nil {
		t.Fatal("a 401 on an env read did not fail the instance")
	}
}

func TestForbiddenEndpointIsPartial(t *testing.T) {
	h := setup(t, "test", nil, withFault("/v1/connect/networks", fakeapi.Always, fakeapi.Fault{Status: 403, Message: "Secure Compute is available on Enterprise plans"}))
	res := collectors.Run(context.Background(), []collectors.Instance{{Provider: "vercel", Name: "test", Collector: h.c}}, collectors.Options{})
	st := res[0].Status
	if st.Status != graph.StatusPartial {
		t.Fatalf("status %s (%s), want partial", st.Status, st.Reason)
	}
	// The Enterprise team's 403 is a partial failure; the Hobby team's and the personal scope's
	// are what their plan explains, no warning (issue #20).
	if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "scope alpha: secure compute networks: not available") {
		t.Errorf("warnings %v, want one, for the Enterprise team's networks family", st.Warnings)
	}
	var networks, projects int
	for _, n := range res[0].Nodes {
		switch n.Kind {
		case "secure_network":
			networks++
		case "project":
			projects++
		}
	}
	if networks != 0 || projects != 7 {
		t.Errorf("%d networks, %d projects; want 0 and everything else kept", networks, projects)
	}
	for _, e := range res[0].Edges {
		if e.Type == "uses_network" {
			t.Errorf("edge to a network that was not collected: %v", e.Key())
		}
	}
}

func TestGarbageBody(t *testing.T) {
	h := setup(t, "test", nil, withFault("/v2/user", fakeapi.Always, fakeapi.Fault{Garbage: true}))
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "not valid JSON") {
		t.Fatalf("err = %v, want a clear decode error", out.Err)
	}
	if strings.Contains(out.Err.Error(), "<html>") {
		t.Errorf("error echoes the body: %v", out.Err)
	}
}

func TestConfiguredTeams(t *testing.T) {
	h := setup(t, "test", func(c *Config) { c.TeamIDs = []string{"team_beta", "alpha", "nope"} })
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if out.CountKind("team") != 2 || h.fake.Count("/v2/user") != 0 {
		t.Errorf("%d teams, %d user reads; want the two configured teams and no personal scope", out.CountKind("team"), h.fake.Count("/v2/user"))
	}
	if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], `"nope"`) {
		t.Errorf("warnings %v, want the unknown slug", out.Warnings)
	}
	for _, r := range h.fake.Requests() { // a team by its id, or by its slug while it is listed
		if strings.HasPrefix(r, "GET /v10/projects") && !strings.Contains(r, "teamId=team_") && !strings.Contains(r, "slug=") {
			t.Errorf("request without a team: %s", r)
		}
	}
}

// TestConfiguredTeamReadBesideItsTeam: a team configured by id or slug names its scope, so its
// reads start while the team itself is read (the fake holds GET /v2/teams/team_alpha, or the
// team list a slug is looked up in, until alpha's project list is asked for, or 3 s pass);
// before, they waited for it. A configured team the token cannot read is one warning: what its
// reads found, and warned, meanwhile is dropped.
func TestConfiguredTeamReadBesideItsTeam(t *testing.T) {
	for _, tc := range []struct {
		teams []string
		held  string
		warn  string
	}{
		{[]string{"team_alpha", "team_gone"}, "/v2/teams/team_alpha", "team team_gone: "},
		{[]string{"alpha", "gone"}, "/v2/teams", `team "gone": not among the token's teams`},
	} {
		e := vercelfake.MustLoad("test")
		fake := vercelfake.New(e)
		projects := make(chan struct{})
		var once sync.Once
		var released atomic.Bool
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			switch {
			case r.URL.Path == tc.held:
				select {
				case <-projects:
					released.Store(true)
				case <-time.After(3 * time.Second):
				}
			case r.URL.Path == "/v10/projects" && (q.Get("teamId") == "team_alpha" || q.Get("slug") == "alpha"):
				once.Do(func() { close(projects) })
			}
			fake.ServeHTTP(w, r)
		}))
		c, err := New(Config{Name: "test", Token: evidence.Secret(e.Token), APIURL: srv.URL, TeamIDs: tc.teams})
		if err != nil {
			t.Fatal(err)
		}
		out := collectorstest.Collect(t, "vercel", c)
		srv.Close()
		if out.Err != nil {
			t.Fatal(out.Err)
		}
		if !released.Load() {
			t.Errorf("%v: alpha's projects were not asked for while alpha was being read: the scope waits for its team", tc.teams)
		}
		if len(out.Warnings) != 1 || !strings.HasPrefix(out.Warnings[0], tc.warn) {
			t.Errorf("%v: warnings %q, want the one unreadable team", tc.teams, out.Warnings)
		}
		want := collectorstest.Collect(t, "vercel", setup(t, "test", func(c *Config) { c.TeamIDs = []string{"team_alpha"} }).c)
		want.Warnings = out.Warnings // the unreadable team's, checked above
		if !bytes.Equal(out.JSON(), want.JSON()) {
			t.Errorf("%v: alpha read beside its team differs from alpha read alone", tc.teams)
		}
		if out.CountKind("team") != 1 || out.CountKind("project") != 5 {
			t.Errorf("%v: %d teams, %d projects; want alpha and its 5 projects", tc.teams, out.CountKind("team"), out.CountKind("project"))
		}
	}
}

func TestDemoEstate(t *testing.T) {
	h := setup(t, "demo", nil)
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	collectorstest.AssertAbsent(t, []string{"CANARY", "sk_live"}, out.JSON())
	if n := out.CountKind("team"); n != 1 {
		t.Errorf("%d teams; the user's defaultTeamId replaces the personal scope", n)
	}
	db := "vercel:env_var:prj_storefront/env_sf_db"
	attr(t, out, db, "value.host", "aws-0-eu-central-1.pooler.supabase.com")
	attr(t, out, db, "value.user", "postgres.qwertyuiopasdfghjklz")
	attr(t, out, db, "value.port", int64(6543))
	attr(t, out, "vercel:env_var:prj_storefront/env_sf_supabase", "value.host", "qwertyuiopasdfghjklz.supabase.co")
	attr(t, out, "vercel:env_var:prj_admin/env_admin_odoo_url", "value.host", "erp.acme-coffee.com")
	noAttrPrefix(t, out, "vercel:env_var:prj_admin/env_admin_odoo_pw", "value")
	noAttrPrefix(t, out, "vercel:env_var:prj_storefront/env_sf_stripe", "value")
	attr(t, out, "vercel:project:prj_storefront", "domains", []string{"shop.acme-coffee.com", "storefront-acme.vercel.app"})
	has(t, out, "vercel:project:prj_storefront", "builds_from", "git:repo:github.com/acme/storefront")
	has(t, out, "vercel:alias:als_shop", "routes_to", "vercel:deployment:dpl_storefront_prod")
	if out.Node(t, "vercel:project:prj_marketing").Attrs["repo"] != nil {
		t.Error("the marketing decoy has no repo")
	}
}

func TestCancelled(t *testing.T) {
	h := setup(t, "test", nil)
	collectorstest.CheckCancelled(t, "vercel", h.c)
}

func TestRetryWaitHonoursContext(t *testing.T) {
	h := setup(t, "test", nil, withFault("/v2/user", fakeapi.Always, fakeapitest.RateLimited(30)))
	h.c.client.wait = retry.Sleep
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.c.Collect(ctx, &collectors.Recorder{Provider: "vercel"})
	if err == nil {
		t.Fatal("Collect returned nil while rate limited past its deadline")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the 30s Retry-After wait ignored the context")
	}
}

func TestConcurrentScopesDeterministic(t *testing.T) {
	// Per-project reads run concurrently; the emitted graph must not depend on their order.
	a := collectorstest.Collect(t, "vercel", setup(t, "test", nil).c)
	b := collectorstest.Collect(t, "vercel", setup(t, "test", nil).c)
	if string(a.JSON()) != string(b.JSON()) {
		t.Error("two scans of the same estate differ")
	}
}

// BenchmarkCollectScaled scans vercelfake.Scaled estates; the latency cases show what the
// parallel per-project reads buy against a remote API (each request waits that long).
func BenchmarkCollectScaled(b *testing.B) {
	for _, tc := range []struct {
		n       int
		latency time.Duration
	}{{100, 0}, {1000, 0}, {100, 5 * time.Millisecond}} {
		b.Run(fmt.Sprintf("%dprojects/latency=%s", tc.n, tc.latency), func(b *testing.B) {
			n := tc.n
			e := fakescale.Vercel(n)
			srv := httptest.NewServer(vercelfake.New(e, withLatency(tc.latency)))
			defer srv.Close()
			c, err := New(Config{Name: "bench", Token: evidence.Secret(e.Token), APIURL: srv.URL})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := &collectors.Recorder{Provider: "vercel"}
				if err := c.Collect(context.Background(), rec); err != nil {
					b.Fatal(err)
				}
				nodes, _, warns := rec.Snapshot()
				if len(warns) > 0 || len(nodes) < n*8 {
					b.Fatalf("%d nodes, warnings %v", len(nodes), warns)
				}
			}
		})
	}
}

// inFlight counts the requests a handler serves at once.
type inFlight struct {
	h        http.Handler
	mu       sync.Mutex
	now, top int
	// scopeWide is the most requests in flight while a scope-wide family (webhooks, drains,
	// aliases) was being read.
	scopeWide int
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.now++
	f.top = max(f.top, f.now)
	for _, p := range []string{"/v1/webhooks", "/v1/drains", "/v4/aliases"} {
		if strings.HasPrefix(r.URL.Path, p) && r.URL.Query().Get("teamId") != "" {
			f.scopeWide = max(f.scopeWide, f.now)
		}
	}
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.now--; f.mu.Unlock() }()
	f.h.ServeHTTP(w, r)
}

// Behind a slow API the per-project reads and the scope-wide families keep the whole pool busy.
func TestProjectReadsConcurrentUnderLatency(t *testing.T) {
	e := fakescale.Vercel(40)
	counter := &inFlight{h: vercelfake.New(e, withLatency(20*time.Millisecond))}
	srv := httptest.NewServer(counter)
	defer srv.Close()
	c, err := New(Config{Name: "bench", Token: "scaled-token", APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "vercel", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	if counter.top != c.parallel || c.parallel != 16 {
		t.Errorf("at most %d requests in flight, want the pool's %d (16)", counter.top, c.parallel)
	}
	// the scope-wide families are read beside the rest, not one after another
	if counter.scopeWide < 2 {
		t.Errorf("scope-wide families read alone (%d in flight)", counter.scopeWide)
	}
}

// A project's domains and deployments are read beside its env vars, not after them: the env
// listing is held until the project's domains are asked for (or 3 s pass). Before, a project's
// reads followed each other and the hold always ran out.
func TestProjectReadsOverlap(t *testing.T) {
	fake := vercelfake.New(fakescale.Vercel(1))
	domains := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	released := false // the env listing was let go by a domains request, not the timer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/v10/projects/") && strings.HasSuffix(r.URL.Path, "/env"):
			select {
			case <-domains:
				mu.Lock()
				released = true
				mu.Unlock()
			case <-time.After(3 * time.Second):
			}
		case strings.HasPrefix(r.URL.Path, "/v9/projects/") && strings.HasSuffix(r.URL.Path, "/domains"):
			once.Do(func() { close(domains) })
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := New(Config{Name: "overlap", Token: "scaled-token", APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "vercel", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	mu.Lock()
	defer mu.Unlock()
	if !released {
		t.Error("no project domains were asked for while the env vars were being read: a project's reads follow each other")
	}
}

// TestChainsShortened: what needs nothing from an answer does not wait for it. The fake holds a
// request until the one that should be on its way beside it arrives (or 3 s pass): the user
// until the teams are asked, the personal scope's project list until the alpha team's scope is
// being read, and alpha's project list until its team-wide families are asked. Before, each
// followed the other: user, teams, then each scope in turn, its families after its projects.
func TestChainsShortened(t *testing.T) {
	e := vercelfake.MustLoad("test")
	fake := vercelfake.New(e)
	type hold struct {
		name             string
		held, releasedBy func(r *http.Request) bool
		release          chan struct{}
		once             sync.Once
		released         atomic.Bool
	}
	team := func(r *http.Request) string { return r.URL.Query().Get("teamId") }
	holds := []*hold{
		{name: "the user waits for the teams", held: func(r *http.Request) bool { return r.URL.Path == "/v2/user" },
			releasedBy: func(r *http.Request) bool { return r.URL.Path == "/v2/teams" }},
		{name: "the personal scope waits for the alpha team's", held: func(r *http.Request) bool { return r.URL.Path == "/v10/projects" && team(r) == "" },
			releasedBy: func(r *http.Request) bool { return team(r) == "team_alpha" }},
		{name: "alpha's team-wide families wait for its project list", held: func(r *http.Request) bool { return r.URL.Path == "/v10/projects" && team(r) == "team_alpha" },
			releasedBy: func(r *http.Request) bool { return r.URL.Path == "/v1/webhooks" && team(r) == "team_alpha" }},
	}
	for _, h := range holds {
		h.release = make(chan struct{})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range holds {
			if h.releasedBy(r) {
				h.once.Do(func() { close(h.release) })
			}
		}
		for _, h := range holds {
			if h.held(r) {
				select {
				case <-h.release:
					h.released.Store(true)
				case <-time.After(3 * time.Second):
				}
			}
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := New(Config{Name: "chains", Token: evidence.Secret(e.Token), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "vercel", c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	want := collectorstest.Collect(t, "vercel", setup(t, "test", nil).c)
	if !bytes.Equal(out.JSON(), want.JSON()) || !slices.Equal(out.Warnings, want.Warnings) {
		t.Error("the estate read through the holding fake differs from the one read directly")
	}
	for _, h := range holds {
		if !h.released.Load() {
			t.Errorf("%s: it was not on its way while the other was held", h.name)
		}
	}
}

// An error body that echoes what it was sent (the token, a connection string) must not carry it
// into a warning or the instance's error.
func TestErrorMessageEchoIsScrubbed(t *testing.T) {
	const echo = "token test-token is not allowed; tried postgres://app:CANARY-pw-echo@db.example.com/orders?password=CANARY-q"
	h := setup(t, "test", nil,
		withFault("/v1/connect/networks", fakeapi.Always, fakeapi.Fault{Status: 403, Message: echo}))
	res := collectors.Run(context.Background(), []collectors.Instance{{Provider: "vercel", Name: "test", Collector: h.c}}, collectors.Options{})
	st := res[0].Status
	if st.Status != graph.StatusPartial || len(st.Warnings) == 0 {
		t.Fatalf("status %s %v, want partial with warnings", st.Status, st.Warnings)
	}
	if !strings.Contains(st.Warnings[0], "db.example.com") {
		t.Errorf("warning %q lost the non-secret facts of the message", st.Warnings[0])
	}
	h = setup(t, "test", nil,
		withFault("/v2/user", fakeapi.Always, fakeapi.Fault{Status: 400, Message: echo}))
	out := collectorstest.Collect(t, "vercel", h.c)
	if out.Err == nil {
		t.Fatal("no error for a failing /v2/user")
	}
	collectorstest.AssertAbsent(t, []string{"CANARY", "test-token"}, []byte(strings.Join(st.Warnings, "\n")), []byte(st.Reason), []byte(out.Err.Error()))
}

// TestProductionOlderThanManyPreviews: 700 previews newer than the production deployment are 7
// pages of 100, beyond the bounded newest-first walk (5 pages). The production deployment is read
// directly (GET /v6/deployments?target=production, Vercel REST reference "List deployments"), so
// it and its edges are there (issue #20).
func TestProductionOlderThanManyPreviews(t *testing.T) {
	const base = int64(1_750_000_000_000)
	sc := &vercelfake.Scope{
		Team: vercelfake.Object{"id": "team_busy", "slug": "busy", "name": "Busy", "createdAt": base},
		Projects: []vercelfake.Object{{"id": "prj_busy", "name": "busy", "accountId": "team_busy", "createdAt": base, "updatedAt": base,
			"link": vercelfake.Object{"type": "github", "org": "busy", "repo": "app", "productionBranch": "main"}}},
	}
	sc.Deployments = append(sc.Deployments, vercelfake.Object{"uid": "dpl_prod", "name": "busy", "projectId": "prj_busy",
		"url": "busy-prod.vercel.app", "target": "production", "state": "READY", "createdAt": base + 1,
		"meta": vercelfake.Object{"githubCommitSha": "abc123", "githubCommitRef": "main", "githubOrg": "busy", "githubRepo": "app"}})
	for i := 0; i < 700; i++ {
		sc.Deployments = append(sc.Deployments, vercelfake.Object{"uid": fmt.Sprintf("dpl_prev%03d", i), "name": "busy", "projectId": "prj_busy",
			"url": fmt.Sprintf("busy-prev%03d.vercel.app", i), "target": nil, "state": "READY", "createdAt": base + 1000 + int64(i)})
	}
	e := &vercelfake.Estate{Token: "busy-token", User: vercelfake.Object{"id": "usr_busy", "username": "busy"}, Scopes: []*vercelfake.Scope{sc}}
	fake := vercelfake.New(e)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "busy", Token: "busy-token", APIURL: srv.URL, TeamIDs: []string{"team_busy"}})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "vercel", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	attr(t, out, "vercel:deployment:dpl_prod", "target", "production")
	has(t, out, "vercel:project:prj_busy", "contains", "vercel:deployment:dpl_prod")
	has(t, out, "vercel:deployment:dpl_prod", "builds_from", "git:repo:github.com/busy/app")
	has(t, out, "vercel:project:prj_busy", "contains", "vercel:deployment:dpl_prev699") // the latest preview
	if n := fake.Count("/v6/deployments"); n > 2 {
		t.Errorf("%d deployment requests, want 2 (production directly, one page of previews)", n)
	}
}

// TestHobbyScopeTeamOnlyFamiliesAreNotWarnings: a personal (Hobby) account answers 403 on the
// team-only endpoints (shared env vars, webhooks, drains, Secure Compute) on every scan. That is
// an expected absence: no warning, the collector is ok, the rest is collected (issue #20).
func TestHobbyScopeTeamOnlyFamiliesAreNotWarnings(t *testing.T) {
	e := &vercelfake.Estate{Token: "hobby-token", User: vercelfake.Object{"id": "usr_solo", "username": "solo"},
		Scopes: []*vercelfake.Scope{{Projects: []vercelfake.Object{{"id": "prj_solo", "name": "solo", "accountId": "usr_solo", "createdAt": 1, "updatedAt": 1}}}}}
	var opts []vercelfake.Option
	for _, p := range []string{"/v1/env", "/v1/webhooks", "/v1/drains", "/v1/connect/networks"} {
		opts = append(opts, withFault(p, fakeapi.Always, fakeapi.Fault{Status: 403, Message: "You don't have permission to access this resource on your current plan"}))
	}
	fake := vercelfake.New(e, opts...)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "solo", Token: "hobby-token", APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	res := collectors.Run(context.Background(), []collectors.Instance{{Provider: "vercel", Name: "solo", Collector: c}}, collectors.Options{})
	st := res[0].Status
	if st.Status != graph.StatusOK || len(st.Warnings) != 0 {
		t.Fatalf("status %s, warnings %v; want ok and none", st.Status, st.Warnings)
	}
	if n := fake.Count("/v1/webhooks"); n != 1 {
		t.Errorf("webhooks asked %d times, want 1 (the plan may change; the absence is read, not assumed)", n)
	}
	found := false
	for _, n := range res[0].Nodes {
		found = found || n.ID == "vercel:project:prj_solo"
	}
	if !found {
		t.Error("the personal project was not collected")
	}

	// The same 403 on a family every plan has (projects' domains) is still a warning.
	fake2 := vercelfake.New(e, withFault("/v5/domains", fakeapi.Always, fakeapi.Fault{Status: 403}))
	srv2 := httptest.NewServer(fake2)
	t.Cleanup(srv2.Close)
	c2, _ := New(Config{Name: "solo", Token: "hobby-token", APIURL: srv2.URL})
	res = collectors.Run(context.Background(), []collectors.Instance{{Provider: "vercel", Name: "solo", Collector: c2}}, collectors.Options{})
	if st := res[0].Status; st.Status != graph.StatusPartial || len(st.Warnings) != 1 {
		t.Errorf("a 403 on domains: status %s, warnings %v; want partial with one", st.Status, st.Warnings)
	}
}

// TestSecureComputeConnectConfigurations: a project's Secure Compute networks are read from
// connectConfigurations (per environment; vercel/sdk GetProjectsConnectConfigurations) first and
// the deprecated connectConfigurationId second: a project with only the new field is linked, and
// one naming two networks is linked to both (issue #20).
func TestSecureComputeConnectConfigurations(t *testing.T) {
	sc := &vercelfake.Scope{
		Team: vercelfake.Object{"id": "team_sc", "slug": "sc", "name": "SC", "createdAt": 1, "billing": vercelfake.Object{"plan": "enterprise"}},
		Projects: []vercelfake.Object{
			{"id": "prj_new", "name": "new", "accountId": "team_sc", "createdAt": 1, "updatedAt": 1,
				"connectConfigurations": []any{vercelfake.Object{"envId": "production", "connectConfigurationId": "net_prod", "passive": false, "buildsEnabled": true, "createdAt": 1, "updatedAt": 1}}},
			{"id": "prj_both", "name": "both", "accountId": "team_sc", "createdAt": 2, "updatedAt": 2, "connectConfigurationId": "net_prod",
				"connectConfigurations": []any{
					vercelfake.Object{"envId": "production", "connectConfigurationId": "net_prod", "passive": false, "buildsEnabled": false, "createdAt": 1, "updatedAt": 1},
					vercelfake.Object{"envId": "preview", "connectConfigurationId": "net_preview", "passive": true, "buildsEnabled": false, "createdAt": 1, "updatedAt": 1}}},
		},
		Networks: []vercelfake.Object{
			{"id": "net_prod", "name": "prod", "region": "iad1", "awsRegion": "us-east-1", "cidr": "10.1.0.0/16", "status": "ready", "egressIpAddresses": []any{"3.1.1.1"}},
			{"id": "net_preview", "name": "preview", "region": "iad1", "awsRegion": "us-east-1", "cidr": "10.2.0.0/16", "status": "ready", "egressIpAddresses": []any{"3.1.1.2"}},
		},
	}
	e := &vercelfake.Estate{Token: "sc-token", User: vercelfake.Object{"id": "usr_sc", "username": "sc"}, Scopes: []*vercelfake.Scope{sc}}
	srv := httptest.NewServer(vercelfake.New(e))
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "sc", Token: "sc-token", APIURL: srv.URL, TeamIDs: []string{"team_sc"}})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "vercel", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	has(t, out, "vercel:project:prj_new", "uses_network", "vercel:secure_network:net_prod")
	attr(t, out, "vercel:project:prj_new", "secure_network_id", "net_prod")
	has(t, out, "vercel:project:prj_both", "uses_network", "vercel:secure_network:net_prod")
	has(t, out, "vercel:project:prj_both", "uses_network", "vercel:secure_network:net_preview")
	attr(t, out, "vercel:project:prj_both", "secure_network_ids", []string{"net_preview", "net_prod"}) // lists are kept sorted
}

// TestRateLimitLongerThanCapWaitsWithinBudget: a 429 window longer than MaxWait (60 s) is waited
// out when the collector's deadline leaves room for it, instead of failing the family; one
// longer than the time left still fails it (issue #20).
func TestRateLimitLongerThanCapWaitsWithinBudget(t *testing.T) {
	h := setup(t, "test", nil, withFault("/v1/webhooks", 1, fakeapitest.RateLimited(90)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := collectorstest.CollectContext(t, ctx, "vercel", h.c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if got := h.waits.all(); !slices.Equal(got, []time.Duration{90 * time.Second}) {
		t.Errorf("waits %v, want the 90 s window waited out", got)
	}
	out.Node(t, "vercel:webhook:hook_deploys")

	h = setup(t, "test", nil, withFault("/v1/webhooks", 1, fakeapitest.RateLimited(90)))
	ctx, cancel = context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	out = collectorstest.CollectContext(t, ctx, "vercel", h.c)
	if len(out.Warnings) == 0 || !strings.Contains(strings.Join(out.Warnings, "\n"), "remaining time") {
		t.Errorf("warnings %v, want the webhooks family given up: 90 s does not fit in 80 s", out.Warnings)
	}
	if len(h.waits.all()) != 0 {
		t.Errorf("waited %v past the budget", h.waits.all())
	}
}

// withFault makes the fake's next times requests on route answer f (fakeapi.Injector.Fault: a
// path, a family "…/", or "*"). A 429 carries Vercel's X-RateLimit-Limit and X-RateLimit-Remaining.
func withFault(route string, times int, f fakeapi.Fault) vercelfake.Option {
	return func(s *vercelfake.Server) { s.Fault(route, times, f) }
}

// withRepeatCursor makes the lists on route repeat the incoming cursor as pagination.next.
func withRepeatCursor(route string) vercelfake.Option {
	return func(s *vercelfake.Server) { s.RepeatCursor.Add(fakeapi.Route(route), fakeapi.Always, true) }
}

// withLatency delays every answer of the fake by d.
func withLatency(d time.Duration) vercelfake.Option {
	return func(s *vercelfake.Server) { s.Latency = d }
}
