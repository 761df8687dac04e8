package supabase

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
	"github.com/infragraph/infragraph/collectors/fakescale"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/retry"
)

const testRef = "abcdefghijklmnopqrst"

// newTestCollector points a collector at a fake serving estate, without client-side pacing
// (the limiter is tested on its own) and with a short 5xx backoff.
func newTestCollector(t testing.TB, estate *supabasefake.Estate, opts supabasefake.Options, cfg Config) (*Collector, *supabasefake.Fake) {
	t.Helper()
	fake := supabasefake.New(estate, opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg.APIURL = srv.URL
	if !cfg.AccessToken.Set() {
		cfg.AccessToken = evidence.Secret(estate.Token)
	}
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	// A fake without databases cannot answer the read-only query endpoint: tests of the API
	// families leave the catalog to the connection strings they configure.
	if cfg.APICatalog == nil && opts.Databases == nil {
		cfg.APICatalog = new(bool)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.api.limits = newLimits(0)
	c.api.backoff = time.Millisecond
	return c, fake
}

func attr(t testing.TB, o collectorstest.Output, nodeID, key string) any {
	t.Helper()
	return o.Node(t, nodeID).Attrs[key]
}

func TestManagementAPI(t *testing.T) {
	c, fake := newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil {
		t.Fatalf("Collect: %v", out.Err)
	}
	if len(out.Warnings) != 0 {
		t.Errorf("warnings: %v", out.Warnings)
	}
	p := "supabase:project:" + testRef
	for k, want := range map[string]any{
		"ref": testRef, "region": "eu-central-1", "status": "ACTIVE_HEALTHY",
		"db_host": "db." + testRef + ".supabase.co", "api_host": testRef + ".supabase.co",
		"custom_hostname": "api.shop.example.com", "vanity_subdomain": "shop-prod.supabase.co",
		"db_version": "15.8.1.054", "organization": "testorgaaaaaaaaaaaaa",
	} {
		if got := attr(t, out, p, k); got != want {
			t.Errorf("project %s = %v, want %v", k, got, want)
		}
	}
	for _, e := range [][3]string{
		{"supabase:organization:testorgaaaaaaaaaaaaa", "contains", p},
		{"supabase:organization:otherorgaaaaaaaaaaaa", "contains", "supabase:project:cdefghijklmnopqrstuv"},
		{p, "contains", "supabase:branch:" + testRef + "/feature-checkout"},
		{p, "contains", "supabase:edge_function:" + testRef + "/send-order-email"},
		{p, "contains", "supabase:secret:" + testRef + "/STRIPE_SECRET_KEY"},
		{p, "contains", "supabase:api_key:" + testRef + "/service_role"},
		{p, "contains", "supabase:pooler:" + testRef + "/" + testRef},
		{"supabase:pooler:" + testRef + "/" + testRef, "pool_of", p},
		{p, "contains", "supabase:storage_bucket:" + testRef + "/invoices"},
		{p, "contains", "supabase:auth_config:" + testRef},
		{p, "contains", "supabase:network_restriction:" + testRef},
	} {
		if !out.HasEdge(e[0], e[1], e[2]) {
			t.Errorf("missing edge %s -%s-> %s", e[0], e[1], e[2])
		}
	}
	br := "supabase:branch:" + testRef + "/feature-checkout"
	if attr(t, out, br, "db_host") != "db.zyxwvutsrqponmlkjihg.supabase.co" || attr(t, out, br, "git_branch") != "feature/checkout" || attr(t, out, br, "pr_number") != int64(42) {
		t.Errorf("branch attrs: %v", out.Node(t, br).Attrs)
	}
	fn := "supabase:edge_function:" + testRef + "/send-order-email"
	if attr(t, out, fn, "url") != "https://"+testRef+".supabase.co/functions/v1/send-order-email" || attr(t, out, fn, "verify_jwt") != true {
		t.Errorf("edge function attrs: %v", out.Node(t, fn).Attrs)
	}
	pool := "supabase:pooler:" + testRef + "/" + testRef
	if attr(t, out, pool, "db_host") != "aws-0-eu-central-1.pooler.supabase.com" || attr(t, out, pool, "db_user") != "postgres."+testRef || attr(t, out, pool, "db_port") != int64(6543) {
		t.Errorf("pooler attrs: %v", out.Node(t, pool).Attrs)
	}
	if got := attr(t, out, pool, "ports"); !reflect.DeepEqual(got, []string{"5432", "6543"}) {
		t.Errorf("pooler ports = %v", got)
	}
	key := "supabase:api_key:" + testRef + "/backend"
	if attr(t, out, key, "type") != "secret" || attr(t, out, key, "prefix") != "sb_secret_Ab" {
		t.Errorf("api key attrs: %v", out.Node(t, key).Attrs)
	}
	nr := "supabase:network_restriction:" + testRef
	if got := attr(t, out, nr, "allowed_cidrs"); !reflect.DeepEqual(got, []string{"198.51.100.7/32", "2001:db8::/32", "203.0.113.0/24"}) {
		t.Errorf("allowed_cidrs = %v", got)
	}
	auth := "supabase:auth_config:" + testRef
	for k, want := range map[string]any{
		"site_url_host":  "shop.example.com",
		"redirect_hosts": []string{"localhost", "preview.example.com", "shop.example.com"},
		"smtp_host":      "smtp.sendgrid.net",
		"hook_hosts":     []string{"hooks.example.com"},
		"hook_functions": []string{"public.custom_access_token_hook"},
	} {
		if got := attr(t, out, auth, k); !reflect.DeepEqual(got, want) {
			t.Errorf("auth %s = %#v, want %#v", k, got, want)
		}
	}
	if n := out.CountKind("organization"); n != 2 {
		t.Errorf("%d organizations, want 2", n)
	}
	if n := out.CountKind("project"); n != 3 {
		t.Errorf("%d projects, want 3", n)
	}
	// api-keys is always asked with reveal=false; a paused project's own services are not asked.
	var sawKeys bool
	for _, r := range fake.Requests() {
		if strings.Contains(r, "/api-keys") {
			sawKeys = true
			if !strings.HasSuffix(r, "?reveal=false") {
				t.Errorf("api keys requested without reveal=false: %s", r)
			}
		}
		if strings.Contains(r, "cdefghijklmnopqrstuv/config/auth") || strings.Contains(r, "cdefghijklmnopqrstuv/storage") {
			t.Errorf("asked a paused project's services: %s", r)
		}
	}
	if !sawKeys {
		t.Error("api keys never requested")
	}
	collectorstest.AssertAbsent(t, []string{"CANARY", fakeapi.Must(supabasefake.Load("test")).Token, "[YOUR-PASSWORD]"}, out.JSON())
}

func TestDemoEstate(t *testing.T) {
	c, _ := newTestCollector(t, supabasefake.Demo(), supabasefake.Options{}, Config{})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	p := "supabase:project:qwertyuiopasdfghjklz"
	if out.Node(t, p).Name != "acme-prod" || attr(t, out, p, "db_host") != "db.qwertyuiopasdfghjklz.supabase.co" {
		t.Errorf("project: %+v", out.Node(t, p))
	}
	if attr(t, out, "supabase:pooler:qwertyuiopasdfghjklz/qwertyuiopasdfghjklz", "db_user") != "postgres.qwertyuiopasdfghjklz" {
		t.Error("demo pooler user")
	}
	if attr(t, out, "supabase:auth_config:qwertyuiopasdfghjklz", "site_url_host") != "shop.acme-coffee.com" {
		t.Error("demo site url host")
	}
	out.Node(t, "supabase:edge_function:qwertyuiopasdfghjklz/send-order-email")
	collectorstest.AssertAbsent(t, []string{"CANARY"}, out.JSON())
}

func TestRateLimited429(t *testing.T) {
	c, fake := newTestCollector(t, supabasefake.Demo(), supabasefake.Options{}, Config{})
	fake.Fault("*", 3, fakeapitest.RateLimited(1))
	var slept []time.Duration
	c.api.sleep = func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		return retry.Sleep(ctx, time.Millisecond)
	}
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if !reflect.DeepEqual(slept, []time.Duration{time.Second, time.Second, time.Second}) {
		t.Errorf("waits %v, want three of Retry-After's 1s", slept)
	}
	reqs := fake.Requests()
	if reqs[0] != reqs[1] || reqs[1] != reqs[2] || reqs[2] != reqs[3] {
		t.Errorf("the rate-limited request was not retried: %v", reqs[:4])
	}
	out.Node(t, "supabase:project:qwertyuiopasdfghjklz")
}

func TestRateLimitWaitHonoursContext(t *testing.T) {
	c, fake := newTestCollector(t, supabasefake.Demo(), supabasefake.Options{}, Config{})
	fake.Fault("*", 100, fakeapitest.RateLimited(30))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	out := collectorstest.CollectContext(t, ctx, "supabase", c)
	if out.Err == nil || !errors.Is(out.Err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", out.Err)
	}
}

func TestRetryAfter(t *testing.T) {
	for name, tc := range map[string]struct {
		h    http.Header
		want time.Duration
	}{
		"retry-after seconds":  {http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		"retry-after wins":     {http.Header{"Retry-After": {"2"}, "X-Ratelimit-Reset": {"40"}}, 2 * time.Second},
		"reset seconds":        {http.Header{"X-Ratelimit-Reset": {"12"}}, 12 * time.Second},
		"nothing: full window": {http.Header{}, 60 * time.Second},
		"capped":               {http.Header{"Retry-After": {"3600"}}, maxRetryWait},
		"past date: reset":     {http.Header{"Retry-After": {"Mon, 02 Jan 2006 15:04:05 GMT"}, "X-Ratelimit-Reset": {"5"}}, 5 * time.Second},
		"garbage: full window": {http.Header{"Retry-After": {"soon"}}, 60 * time.Second},
	} {
		// The wait retry.Transport makes under Supabase's policy: RateWait, capped at MaxWait.
		p := (&client{}).policy("/v1/projects")
		if got := min(p.RateWait(tc.h, time.Now(), 0), p.MaxWait); got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}

// The limiter never lets more than 120 requests start in any 60-second window, and does let
// nearly that many through.
func TestLimiterStaysUnderSupabaseLimit(t *testing.T) {
	l := newLimiter(DefaultRequestsPerMinute)
	start := time.Unix(1_700_000_000, 0)
	var allowed []time.Time
	for ms := 0; ms < 180_000; ms += 10 {
		now := start.Add(time.Duration(ms) * time.Millisecond)
		if l.AllowN(now, 1) {
			allowed = append(allowed, now)
		}
	}
	for i := range allowed {
		n := 0
		for j := i; j < len(allowed) && allowed[j].Sub(allowed[i]) < time.Minute; j++ {
			n++
		}
		if n > DefaultRequestsPerMinute {
			t.Fatalf("%d requests in the minute from %s", n, allowed[i].Sub(start))
		}
	}
	if len(allowed) < 3*DefaultRequestsPerMinute-30 {
		t.Errorf("only %d requests in 3 minutes", len(allowed))
	}
}

func TestUnauthorized(t *testing.T) {
	c, fake := newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{AccessToken: "sbp_CANARY_wrong_token"})
	out := collectorstest.Collect(t, "supabase", c)
	if !errors.Is(out.Err, ErrUnauthorized) || !strings.Contains(out.Err.Error(), "401") {
		t.Fatalf("err = %v, want a clear 401", out.Err)
	}
	if len(out.Nodes) != 0 || fake.Count() != 1 {
		t.Errorf("%d nodes, %d requests after a 401", len(out.Nodes), fake.Count())
	}
	collectorstest.AssertAbsent(t, []string{"CANARY"}, out.JSON())

	// A token revoked mid-scan fails the instance too.
	c, fake = newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{})
	fake.Fault("/v1/projects/"+testRef+"/secrets", fakeapi.Always, fakeapi.Fault{Status: 401})
	out = collectorstest.Collect(t, "supabase", c)
	if !errors.Is(out.Err, ErrUnauthorized) {
		t.Fatalf("mid-scan 401: err = %v", out.Err)
	}
}

func TestPlanGatedAndFailingFamiliesArePartial(t *testing.T) {
	base := "/v1/projects/" + testRef
	c, fake := newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{})
	fake.Fault(base+"/network-restrictions", fakeapi.Always, fakeapi.Fault{Status: 402})
	fake.Fault(base+"/branches", fakeapi.Always, fakeapi.Fault{Status: 403})
	fake.Fault(base+"/custom-hostname", fakeapi.Always, fakeapi.Fault{Status: 404})
	fake.Fault(base+"/secrets", fakeapi.Always, fakeapi.Fault{Status: 500})
	fake.Fault(base+"/storage/buckets", fakeapi.Always, fakeapi.Fault{Garbage: true})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil {
		t.Fatalf("Collect: %v", out.Err)
	}
	want := []string{"branches: not available to this plan or token (HTTP 403)", "custom hostname: not available to this plan or token (HTTP 404)",
		"network restrictions: not available to this plan or token (HTTP 402)", "secrets: gave up after 5 attempts", "storage buckets: GET /v1/projects/" + testRef + "/storage/buckets: the answer is not the expected JSON"}
	if len(out.Warnings) != len(want) {
		t.Fatalf("warnings %q", out.Warnings)
	}
	for i, w := range want {
		if !strings.Contains(out.Warnings[i], w) || !strings.Contains(out.Warnings[i], testRef) {
			t.Errorf("warning %q lacks %q", out.Warnings[i], w)
		}
	}
	// The rest is kept.
	out.Node(t, "supabase:edge_function:"+testRef+"/send-order-email")
	out.Node(t, "supabase:auth_config:"+testRef)
	if _, ok := out.Graph.Node("supabase:network_restriction:" + testRef); ok {
		t.Error("a gated family was emitted")
	}
	if attr(t, out, "supabase:project:"+testRef, "custom_hostname") != nil {
		t.Error("custom hostname kept after a 404")
	}
	n := 0
	for _, r := range fake.Requests() {
		if r == "GET "+base+"/secrets" {
			n++
		}
	}
	if n != maxAttempts {
		t.Errorf("a 500 was tried %d times, want %d", n, maxAttempts)
	}
}

func TestProjectsUnreadableFailsInstance(t *testing.T) {
	c, fake := newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{})
	fake.Fault("/v1/projects", fakeapi.Always, fakeapi.Fault{Status: 503})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "list projects") {
		t.Fatalf("err = %v", out.Err)
	}
}

func TestCancelled(t *testing.T) {
	c, _ := newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{})
	collectorstest.CheckCancelled(t, "supabase", c)
	c, err := New(Config{DBURL: "postgres://postgres:pw@db." + testRef + ".supabase.co:5432/postgres"})
	if err != nil {
		t.Fatal(err)
	}
	collectorstest.CheckCancelled(t, "supabase", c)
}

func TestRefFromDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://postgres:CANARY@db." + testRef + ".supabase.co:5432/postgres":                           testRef,
		"postgresql://postgres." + testRef + ":CANARY@aws-0-eu-central-1.pooler.supabase.com:6543/postgres": testRef,
		"host=db." + testRef + ".supabase.co port=5432 user=postgres password=CANARY dbname=postgres":       testRef,
		"postgres://postgres:CANARY@127.0.0.1:5432/postgres":                                                "",
		"postgres://postgres:CANARY@db.zzzz.supabase.co:5432/postgres":                                      "",
	} {
		got, ok := refFromDSN(evidence.Secret(dsn))
		if got != want || ok != (want != "") {
			t.Errorf("refFromDSN(%q) = %q, %v; want %q", dsn, got, ok, want)
		}
	}
}

func TestDBURLProject(t *testing.T) {
	one := []apiProject{{Ref: testRef}}
	c := &Collector{cfg: Config{DBURL: "postgres://postgres:x@127.0.0.1:5432/postgres"}, api: &client{}}
	dbs, err := c.databases(context.Background(), one)
	if err != nil || dbs[testRef] == "" {
		t.Errorf("the only project: %v %v", dbs, err)
	}
	_, err = c.databases(context.Background(), append(one, apiProject{Ref: "bcdefghijklmnopqrstu"}))
	if err == nil || !strings.HasPrefix(err.Error(), "db_url: ") || !strings.Contains(err.Error(), "2 projects") {
		t.Errorf("two projects: %v", err)
	}
	c.api = nil
	if _, err = c.databases(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "no access token") {
		t.Errorf("no token: %v", err)
	}
	// Without a token, an unattributable db_url fails the instance with that error.
	c2, _ := New(Config{DBURL: "postgres://postgres:CANARY@127.0.0.1:1/postgres"})
	out := collectorstest.Collect(t, "supabase", c2)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "db_url: cannot tell which project") {
		t.Errorf("err = %v", out.Err)
	}
	collectorstest.AssertAbsent(t, []string{"CANARY"}, out.JSON())
}

func TestConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  Config
		want string
	}{
		"nothing":      {Config{}, "access_token: "},
		"bad ref":      {Config{AccessToken: "x", Databases: map[string]evidence.Secret{"NOPE": "postgres://h/db"}}, "databases: "},
		"bad url":      {Config{AccessToken: "x", APIURL: "api.supabase.com"}, "api_url: "},
		"negative rpm": {Config{AccessToken: "x", RequestsPerMinute: -1}, "requests_per_minute: "},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want prefix %q", name, err, tc.want)
		}
	}
	if err := (&Config{DBURL: "postgres://x"}).Validate(); err != nil {
		t.Errorf("db_url alone: %v", err)
	}
}

func edgeKey(from, to, typ string) graph.EdgeKey { return graph.EdgeKey{From: from, To: to, Type: typ} }

// inFlight counts the most requests a handler serves at once.
type inFlight struct {
	next     http.Handler
	mu       sync.Mutex
	now, max int
}

func (h *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.now++
	h.max = max(h.max, h.now)
	h.mu.Unlock()
	defer func() { h.mu.Lock(); h.now--; h.mu.Unlock() }()
	h.next.ServeHTTP(w, r)
}

// TestConnectionsReused: the connections of one round of projects serve the next. The fake
// counts the connections it accepts while 96 projects are read, 32 at a time: about as many as the
// collector can have requests in flight (32 projects' reads at once; a dial that an idle
// connection overtook adds one), never twice that. With the default of two idle connections per
// host, every round after the first opened its connections anew (~900 for 962 requests).
func TestConnectionsReused(t *testing.T) {
	estate := fakescale.SupabaseOrganization(3 * projectsInFlight)
	h := &inFlight{next: supabasefake.New(estate, supabasefake.Options{Latency: 20 * time.Millisecond})}
	srv := httptest.NewUnstartedServer(h)
	var opened atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "org", APIURL: srv.URL, AccessToken: evidence.Secret(estate.Token), APICatalog: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if n, most := int(opened.Load()), projectsInFlight*readsPerProject; n > 2*most {
		t.Errorf("%d connections opened for %d requests, at most %d in flight: connections are not reused", n, 2+3*projectsInFlight*readsPerProject, most)
	}
}

// Behind a slow API with a raised rate limit, projects are read concurrently (the limiter still
// paces every request), and the output is the same as a one-at-a-time read.
func TestProjectsReadConcurrently(t *testing.T) {
	estate := fakescale.Supabase(8)
	h := &inFlight{next: supabasefake.New(estate, supabasefake.Options{Latency: 20 * time.Millisecond})}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "test", APIURL: srv.URL, AccessToken: evidence.Secret(estate.Token)})
	if err != nil {
		t.Fatal(err)
	}
	c.api.limits = newLimits(0)
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if h.max < 3 {
		t.Errorf("at most %d request(s) in flight: projects are read one after another", h.max)
	}
	again := collectorstest.Collect(t, "supabase", c)
	if string(again.JSON()) != string(out.JSON()) {
		t.Error("concurrent reads made the output depend on timing")
	}
}

// TestProjectReadsAtOnce: a project's reads are endpoints of their own, each with its own
// budget, so they are asked at once. The fake holds the project's branches until its auth
// config is asked for (or 3 s pass); before, a project's ten reads followed each other. The
// output is the one a direct read gives.
func TestProjectReadsAtOnce(t *testing.T) {
	est := fakeapi.Must(supabasefake.Load("test"))
	fake := supabasefake.New(est, supabasefake.Options{})
	base := "/v1/projects/" + testRef
	auth := make(chan struct{})
	var once sync.Once
	var released atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case base + "/branches":
			select {
			case <-auth:
				released.Store(true)
			case <-time.After(3 * time.Second):
			}
		case base + "/config/auth":
			once.Do(func() { close(auth) })
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "test", APIURL: srv.URL, AccessToken: evidence.Secret(est.Token), APICatalog: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	c.api.limits = newLimits(0)
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if !released.Load() {
		t.Error("the project's auth config was not asked for while its branches were: a project's reads follow each other")
	}
	direct, _ := newTestCollector(t, est, supabasefake.Options{}, Config{})
	want := collectorstest.Collect(t, "supabase", direct)
	if string(out.JSON()) != string(want.JSON()) || !reflect.DeepEqual(out.Warnings, want.Warnings) {
		t.Error("reading a project's endpoints at once changed the output")
	}
}

// An error body that echoes the token or a connection string must not carry it into a warning
// or the instance's error.
func TestErrorMessageEchoIsScrubbed(t *testing.T) {
	est := fakeapi.Must(supabasefake.Load("test"))
	echo := "token " + est.Token + " refused for postgres://postgres:CANARY-pw-echo@db.example.com:5432/postgres?password=CANARY-q"
	base := "/v1/projects/" + testRef
	c, fake := newTestCollector(t, est, supabasefake.Options{}, Config{})
	fake.Fault(base+"/secrets", fakeapi.Always, fakeapi.Fault{Status: 409, Message: echo})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "db.example.com") {
		t.Fatalf("err %v, warnings %q: want one warning keeping the message's facts", out.Err, out.Warnings)
	}
	c, fake = newTestCollector(t, est, supabasefake.Options{}, Config{})
	fake.Fault("/v1/projects", fakeapi.Always, fakeapi.Fault{Status: 400, Message: echo})
	out2 := collectorstest.Collect(t, "supabase", c)
	if out2.Err == nil {
		t.Fatal("no error for an unreadable project list")
	}
	collectorstest.AssertAbsent(t, []string{"CANARY", est.Token}, []byte(strings.Join(out.Warnings, "\n")), []byte(out2.Err.Error()))
}

// The Management API counts its limit per scope (project or organization) and endpoint: a
// limiter per path lets every project's first request through at once, and still holds one
// path to 120 a minute. A single limiter for the whole API (what the collector had) lets 10
// through and then one every 0.55 s: an organisation of 300 projects took 25 minutes.
func TestLimitsArePerScopeAndEndpoint(t *testing.T) {
	l := newLimits(0)
	now := time.Now()
	for i := 0; i < 300; i++ {
		for _, ep := range []string{"/functions", "/secrets", "/config/vanity-subdomain"} {
			if !l.path(fmt.Sprintf("/v1/projects/p%03d%s", i, ep)).lim.AllowN(now, 1) {
				t.Fatalf("project %d %s: held back, though no endpoint of its scope was called", i, ep)
			}
		}
	}
	one := l.path("/v1/projects/p000/functions").lim
	n := 1 // allowed above
	for ms := 0; ms < 60_000; ms += 10 {
		if one.AllowN(now.Add(time.Duration(ms)*time.Millisecond), 1) {
			n++
		}
	}
	if n > DefaultRequestsPerMinute || n < DefaultRequestsPerMinute-15 {
		t.Errorf("%d requests to one endpoint of one project in a minute, want just under %d", n, DefaultRequestsPerMinute)
	}
	vanity := l.path("/v1/projects/p001/config/vanity-subdomain")
	if vanity.limit != 10 {
		t.Errorf("vanity subdomain limit %d, want the documented 10 a minute", vanity.limit)
	}
}

// The client reads every answer's rate-limit headers (limits.observe was written, tested on its
// own and never called): an answer saying nothing remains on a path holds that path's next
// request until the reset.
func TestClientReadsRateLimitHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "120")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "7")
		io.WriteString(w, "[]")
	}))
	defer srv.Close()
	c, err := newClient(srv.URL, "sbp_test", 0)
	if err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	var out []apiOrganization
	for range 2 {
		if err := c.get(context.Background(), "/v1/organizations", nil, &out); err != nil {
			t.Fatal(err)
		}
	}
	if len(slept) != 1 || slept[0] < 6*time.Second || slept[0] > 7*time.Second {
		t.Errorf("waits %v, want one of the 7 s to the reset before the second request", slept)
	}
}

// The rate-limit headers of every answer are read: a path with nothing remaining waits for its
// reset before its next request, and a path's limiter follows the limit the API states.
func TestRateLimitHeadersAreRead(t *testing.T) {
	l := newLimits(0)
	path := "/v1/projects/p000/functions"
	l.observe(path, http.StatusOK, http.Header{"X-Ratelimit-Limit": {"30"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"7"}})
	var slept time.Duration
	if err := l.wait(context.Background(), path, func(_ context.Context, d time.Duration) error { slept = d; return nil }); err != nil {
		t.Fatal(err)
	}
	if slept < 6*time.Second || slept > 7*time.Second {
		t.Errorf("waited %v before the next request, want the 7 s to the reset", slept)
	}
	if p := l.path(path); p.limit != 30 || p.lim.Burst() != newLimiter(30).Burst() {
		t.Errorf("limit %d burst %d after X-RateLimit-Limit: 30", p.limit, p.lim.Burst())
	}
	// Another path is not held back.
	slept = 0
	_ = l.wait(context.Background(), "/v1/projects/p000/secrets", func(_ context.Context, d time.Duration) error { slept = d; return nil })
	if slept != 0 {
		t.Errorf("an unrelated path waited %v", slept)
	}
}

// An organisation of 300 projects is read completely against a fake that enforces the
// documented limits (a 429 past 120 a minute per path), with no request refused: the plan and
// the pacing hold, and the collector says how long it expects to take.
func TestOrganizationOf300Projects(t *testing.T) {
	estate := fakescale.SupabaseOrganization(300)
	fake := supabasefake.New(estate, supabasefake.Options{})
	var statuses sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, code: 200}
		fake.ServeHTTP(rec, r)
		if rec.code == http.StatusTooManyRequests {
			statuses.Store(r.URL.Path, rec.code)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "org", APIURL: srv.URL, AccessToken: evidence.Secret(estate.Token), APICatalog: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	projects := 0
	for _, n := range out.Nodes {
		if n.Kind == "project" {
			projects++
		}
	}
	if projects != 300 {
		t.Errorf("%d projects, want 300", projects)
	}
	if want := 2 + 300*readsPerProject; fake.Count() != want {
		t.Errorf("%d requests, want %d (no retries)", fake.Count(), want)
	}
	statuses.Range(func(k, v any) bool { t.Errorf("%s answered 429", k); return true })
	if d := c.plan(context.Background(), make([]apiProject, 300)); d <= 0 || d > time.Minute {
		t.Errorf("planned %v for 300 projects at the measured round trip", d)
	}
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }
