package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/digitalocean"
	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakescale"
	"github.com/infragraph/infragraph/collectors/odoo"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/collectors/supabase"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/collectors/vercel"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

// latency is the fixed delay every fake adds to every answer: a distant API region.
const latency = 50 * time.Millisecond

// logged wraps a fake API and records each request line in arrival order, with the body of
// XML-RPC calls (Odoo's model and method are in the body, not the URL).
type logged struct {
	h        http.Handler
	mu       sync.Mutex
	reqs     []string
	inFlight int
	maxIn    int
}

func (l *logged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r.Method+" "+r.URL.RequestURI())
	l.inFlight++
	l.maxIn = max(l.maxIn, l.inFlight)
	l.mu.Unlock()
	defer func() { l.mu.Lock(); l.inFlight--; l.mu.Unlock() }()
	l.h.ServeHTTP(w, r)
}

func (l *logged) maxInFlight() int { l.mu.Lock(); defer l.mu.Unlock(); return l.maxIn }

func (l *logged) log() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs...)
}

// provider is one collector against one scaled fake, with the rule that gives each request of
// its log the number of round trips that must precede it, itself included (its depth in the
// API's dependency order: page after page, list then detail).
type provider struct {
	name  string // the benchmark's label
	kind  string // the collector's provider (name when empty)
	start func(tb testing.TB) (collectors.Collector, *logged, func() []string)
	// depth returns the depth of every request in the log (same order).
	depth func(log []string) []int
	// ratePerMin and burst describe the provider's documented (or, for Odoo, our own) limit: the
	// scan cannot finish before (requests - burst) / rate, whatever the latency.
	ratePerMin, burst float64
	// limitOf, when set, is a limit counted per request path instead (Supabase counts per
	// scope and endpoint, and a path names both): the bound is the busiest path's.
	limitOf func(path string) (perMin, burst float64)
	note    string
}

// The Supabase providers read the Management API only (api_catalog: false): a project's catalog
// through the read-only SQL endpoint needs a PostgreSQL behind the fake, which the latency
// benchmark does not start (it would add two requests per project, on a path of their own).

// supabaseLimit is the Management API's documented limit for a path (supabasefake.Limit). The
// API refuses requests past it for the rest of the minute, so a window's whole budget may go at
// once: the burst is the limit itself. (The client's own smaller burst is its choice, not the
// API's rule: a bound built on it would not be a lower bound.)
func supabaseLimit(path string) (float64, float64) {
	n := float64(supabasefake.Limit(path))
	return n, n
}

// rateBound is how long the requests of log take at the provider's limit, whatever the latency.
func (p provider) rateBound(log []string) time.Duration {
	if p.limitOf != nil {
		byPath := map[string]int{}
		for _, line := range log {
			path, _ := parse(line)
			byPath[path]++
		}
		var worst time.Duration
		for path, n := range byPath {
			rate, burst := p.limitOf(path)
			if float64(n) > burst {
				worst = max(worst, time.Duration((float64(n)-burst)/rate*float64(time.Minute)))
			}
		}
		return worst
	}
	if p.ratePerMin > 0 && float64(len(log)) > p.burst {
		return time.Duration((float64(len(log)) - p.burst) / p.ratePerMin * float64(time.Minute))
	}
	return 0
}

func serve(tb testing.TB, h http.Handler) (*logged, string) {
	l := &logged{h: h}
	srv := httptest.NewServer(l)
	tb.Cleanup(srv.Close)
	return l, srv.URL
}

func parse(line string) (path string, q url.Values) {
	_, uri, _ := strings.Cut(line, " ")
	u, err := url.Parse(uri)
	if err != nil {
		return uri, url.Values{}
	}
	return u.Path, u.Query()
}

// sequel numbers the requests of each listing in log order: the k-th cursor page of a listing
// cannot be asked before the (k-1)-th answered.
type sequel map[string]int

func (s sequel) next(key string) int { s[key]++; return s[key] }

func providers() []provider {
	return []provider{
		{
			name: "digitalocean", ratePerMin: 250, burst: 250,
			note: "Scaled(500): 500 droplets, 50 domains × 10 records, 25 database clusters, 25 apps, ...",
			start: func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
				f := digitaloceanfake.New(fakescale.DigitalOcean(500))
				f.Latency = latency
				l, u := serve(tb, f)
				c, err := digitalocean.New(digitalocean.Config{Name: "bench", Token: digitaloceanfake.Token, APIURL: u})
				if err != nil {
					tb.Fatal(err)
				}
				return c, l, l.log
			},
			// Page-numbered listings: page 1 answers the total, so pages 2..n could all follow at
			// once (depth 2). A sub-listing (a domain's records, a cluster's pools) needs its parent
			// listed first (+1). Page-token listings are sequential.
			depth: func(log []string) []int {
				seq := sequel{}
				out := make([]int, len(log))
				for i, line := range log {
					p, q := parse(line)
					parts := strings.Split(strings.Trim(p, "/"), "/") // v2, family, [id, sub]
					d := 1
					if len(parts) >= 4 {
						d = 2
					}
					if pg, _ := strconv.Atoi(q.Get("page")); pg > 1 {
						d++
					}
					if strings.HasSuffix(p, "repositoriesV2") {
						d += seq.next(p) - 1
					}
					out[i] = d
				}
				return out
			},
		},
		{
			name: "vercel", ratePerMin: 0,
			note: "Scaled(120): 120 projects × (4 env vars, 2 domains, 3 deployments), a domain with 120 records, ...",
			start: func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
				l, u := serve(tb, vercelfake.New(fakescale.Vercel(120), vercelLatency(latency)))
				c, err := vercel.New(vercel.Config{Name: "bench", Token: "scaled-token", APIURL: u})
				if err != nil {
					tb.Fatal(err)
				}
				return c, l, l.log
			},
			// Cursor pagination (until / from): each page waits for the previous one. Team-scoped
			// listings need the team list (+1); nothing needs the user. A project's env, domains and
			// deployments need the projects page that named it: at worst the last one (+1); reading
			// one encrypted value needs the env list (+1). A domain's records need the domain list
			// (at worst its last page).
			depth: func(log []string) []int {
				seq := sequel{}
				out := make([]int, len(log))
				pagesOf := map[string]int{}
				for _, line := range log {
					p, q := parse(line)
					pagesOf[p+"|"+q.Get("teamId")]++
				}
				for i, line := range log {
					p, q := parse(line)
					scope := 0
					if q.Get("teamId") != "" {
						scope = 1
					}
					parts := strings.Split(strings.Trim(p, "/"), "/")
					switch {
					case len(parts) >= 4 && parts[1] == "projects": // /v9/projects/ID/env[/ENV], /domains
						d := scope + pagesOf["/v10/projects|"+q.Get("teamId")] + 1
						if len(parts) >= 5 {
							d++
						}
						out[i] = d
					case strings.HasSuffix(p, "/deployments") && q.Get("projectId") != "":
						// The production read (target=production) and the newest-first walk are two
						// listings: neither waits for the other.
						out[i] = scope + pagesOf["/v10/projects|"+q.Get("teamId")] + seq.next(p+"|"+q.Get("projectId")+"|"+q.Get("target"))
					case len(parts) >= 4 && parts[1] == "domains": // /v4/domains/D/records
						out[i] = scope + pagesOf["/v5/domains|"+q.Get("teamId")] + seq.next(p+"|"+q.Get("teamId"))
					default:
						out[i] = scope + seq.next(p+"|"+q.Get("teamId"))
					}
				}
				return out
			},
		},
		{
			name: "supabase", ratePerMin: 6000, burst: 500, // the raised limit; see supabaseDefaultLimit
			note: "Scaled(10): 10 projects × (5 functions, 8 secrets, 2 API keys, pooler, 3 buckets, auth); the client's limit raised to 6000/min for the latency run",
			start: func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
				e := fakescale.Supabase(10)
				l, u := serve(tb, supabasefake.New(e, supabasefake.Options{Latency: latency}))
				c, err := supabase.New(supabase.Config{Name: "bench", AccessToken: evidence.Secret(e.Token), APIURL: u, RequestsPerMinute: 6000, APICatalog: new(bool)})
				if err != nil {
					tb.Fatal(err)
				}
				return c, l, l.log
			},
			// Full arrays, no pagination: the organization and project lists, then every
			// per-project endpoint.
			depth: func(log []string) []int {
				out := make([]int, len(log))
				for i, line := range log {
					p, _ := parse(line)
					out[i] = 1
					if strings.Count(strings.Trim(p, "/"), "/") >= 3 {
						out[i] = 2
					}
				}
				return out
			},
		},
		{
			name: "docker",
			note: "Scaled(100): 100 Compose projects × 3 containers, a network and a volume each",
			start: func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
				f := dockerfake.New(fakescale.Docker(100))
				f.SetLatency(latency)
				l, u := serve(tb, f)
				c, err := docker.New(docker.Config{Name: "big-1", Host: "tcp://" + strings.TrimPrefix(u, "http://")})
				if err != nil {
					tb.Fatal(err)
				}
				return c, l, l.log
			},
			// /_ping negotiates the API version; lists follow; an inspect needs its list.
			depth: func(log []string) []int {
				out := make([]int, len(log))
				for i, line := range log {
					p, _ := parse(line)
					switch parts := strings.Split(strings.Trim(p, "/"), "/"); {
					case p == "/_ping":
						out[i] = 1
					case len(parts) >= 3 && parts[1] != "containers" || len(parts) >= 4:
						out[i] = 3 // /v1.x/containers/ID/json, /v1.x/networks/ID
					default:
						out[i] = 2
					}
				}
				return out
			},
		},
		odooProvider(0),
	}
}

// odooProvider: rps 0 keeps the collector's default throttle (5 requests a second, our own
// politeness: Odoo documents no limit).
func odooProvider(rps float64) provider {
	p := provider{
		name: "odoo", ratePerMin: 300, burst: 1,
		note: "Scaled(300): 300 modules, 300 crons, 300 server actions, 60 automations, 30 mail servers, ...; default throttle 5 requests/s",
	}
	if rps > 0 {
		p.name, p.kind, p.ratePerMin, p.note = "odoo-unthrottled", "odoo", 0, "as odoo, with requests_per_second raised to 1e6"
	}
	var fake *odoofake.Server
	p.start = func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
		fake = odoofake.New(fakescale.Odoo(300), odoofake.Options{Latency: latency})
		l, u := serve(tb, fake)
		c, err := odoo.New(odoo.Config{Name: "bench", URL: u, Database: "acme", Username: "admin", Password: "CANARY-odoo-scaled-admin", RequestsPerSecond: rps})
		if err != nil {
			tb.Fatal(err)
		}
		// XML-RPC names the model and method in the body: read them from the fake's call log.
		return c, l, func() []string {
			var out []string
			for _, c := range fake.Calls() {
				out = append(out, "POST "+c.Path+"?model="+url.QueryEscape(c.Model)+"&method="+c.Method)
			}
			return out
		}
	}
	// Authenticate first; a model's fields_get (probing which fields exist) before its
	// search_read; a model's further reads (the next page, or records named by the first read)
	// after the previous one.
	p.depth = func(log []string) []int {
		seq := sequel{}
		out := make([]int, len(log))
		probed := map[string]bool{}
		for _, line := range log {
			_, q := parse(line)
			if q.Get("method") == "fields_get" {
				probed[q.Get("model")] = true
			}
		}
		for i, line := range log {
			_, q := parse(line)
			m := q.Get("model")
			switch q.Get("method") {
			case "authenticate", "version", "login":
				out[i] = 1
			case "fields_get":
				out[i] = 2
			default:
				d := 1 + seq.next(m)
				if probed[m] {
					d++
				}
				out[i] = d
			}
		}
		return out
	}
	return p
}

// measurement is one provider's scan under latency.
type measurement struct {
	name                       string
	requests, nodes, chain     int
	maxInFlight                int
	wall, sequential, bound    time.Duration
	rateBound, boundWithLimits time.Duration
	status                     graph.Status
}

func (p provider) provider() string {
	if p.kind != "" {
		return p.kind
	}
	return p.name
}

func measure(b *testing.B, p provider) measurement {
	c, l, logf := p.start(b)
	begin := time.Now()
	res := collectors.Run(context.Background(), []collectors.Instance{{Provider: p.provider(), Name: "bench", Collector: c}}, collectors.Options{Timeout: 10 * time.Minute})
	wall := time.Since(begin)
	log := logf()
	chain := 0
	for _, d := range p.depth(log) {
		chain = max(chain, d)
	}
	m := measurement{name: p.name, requests: len(log), nodes: len(res[0].Nodes), chain: chain, wall: wall,
		sequential: time.Duration(len(log)) * latency, bound: time.Duration(chain) * latency, status: res[0].Status.Status,
		maxInFlight: l.maxInFlight()}
	m.rateBound = p.rateBound(log)
	m.boundWithLimits = max(m.bound, m.rateBound)
	if m.status != graph.StatusOK {
		b.Fatalf("%s: %s %s %.500v", p.name, m.status, res[0].Status.Reason, res[0].Status.Warnings)
	}
	return m
}

func (m measurement) report(b *testing.B) {
	b.ReportMetric(float64(m.wall.Milliseconds()), "wall-ms")
	b.ReportMetric(float64(m.requests), "requests")
	b.ReportMetric(float64(m.sequential.Milliseconds()), "sequential-ms")
	b.ReportMetric(float64(m.bound.Milliseconds()), "chain-bound-ms")
	b.ReportMetric(float64(m.boundWithLimits.Milliseconds()), "bound-with-limits-ms")
	b.ReportMetric(float64(m.wall)/float64(m.boundWithLimits), "x-bound")
	fmt.Printf("%-17s nodes %5d  requests %5d  wall %8s  one-after-another %8s  chain %2d (%s)  rate-limit bound %8s  wall/bound %5.2fx  in flight: max %2d, mean %4.1f\n",
		m.name, m.nodes, m.requests, m.wall.Round(time.Millisecond), m.sequential, m.chain, m.bound, m.rateBound.Round(time.Millisecond),
		float64(m.wall)/float64(m.boundWithLimits), m.maxInFlight, float64(m.sequential)/float64(m.wall))
}

// BenchmarkScanLatency scans each provider's scaled fake estate with 50 ms added to every
// answer, and compares the wall time with the requests made one after another and with the
// longest chain of requests that must follow each other.
//
//	go test ./bench -run '^$' -bench ScanLatency -benchtime 1x
func BenchmarkScanLatency(b *testing.B) {
	fmt.Println("reproduce: go test ./bench -run '^$' -bench ScanLatency -benchtime 1x")
	for _, p := range append(append(providers(), supabaseDefaultLimit(), odooProvider(1e6)), hubs()...) {
		b.Run(p.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				measure(b, p).report(b)
			}
		})
	}
}

// BenchmarkScanLatencyAll runs every provider at once, as a scan does: the wall time is the
// slowest provider's.
//
//	go test ./bench -run '^$' -bench ScanLatencyAll -benchtime 1x
func BenchmarkScanLatencyAll(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var insts []collectors.Instance
		var logs []func() []string
		ps := providers()
		for _, p := range ps {
			c, _, logf := p.start(b)
			insts = append(insts, collectors.Instance{Provider: p.provider(), Name: "bench", Collector: c})
			logs = append(logs, logf)
		}
		begin := time.Now()
		res := collectors.Run(context.Background(), insts, collectors.Options{Timeout: 10 * time.Minute})
		wall := time.Since(begin)
		var nodes, reqs int
		var bound time.Duration
		for _, r := range res {
			nodes += len(r.Nodes)
		}
		for j, p := range ps {
			log := logs[j]()
			reqs += len(log)
			chain := 0
			for _, d := range p.depth(log) {
				chain = max(chain, d)
			}
			bound = max(bound, time.Duration(chain)*latency, p.rateBound(log))
		}
		b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
		b.ReportMetric(float64(nodes), "nodes")
		fmt.Printf("all providers: nodes %d  requests %d  wall %s  one-after-another %s  bound (slowest provider, with limits) %s\n",
			nodes, reqs, wall.Round(time.Millisecond), time.Duration(reqs)*latency, bound)
	}
}

// supabaseDefaultLimit scans a smaller Supabase estate at the client's default pacing: the
// documented limits, 120 requests a minute per project (or organization) and endpoint.
func supabaseDefaultLimit() provider {
	p := providers()[2]
	p.name, p.kind, p.ratePerMin, p.burst, p.limitOf = "supabase-limited", "supabase", 0, 0, supabaseLimit
	p.note = "Scaled(3) at the documented limits (the client's default)"
	p.start = func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
		e := fakescale.Supabase(3)
		l, u := serve(tb, supabasefake.New(e, supabasefake.Options{Latency: latency}))
		c, err := supabase.New(supabase.Config{Name: "bench", AccessToken: evidence.Secret(e.Token), APIURL: u, APICatalog: new(bool)})
		if err != nil {
			tb.Fatal(err)
		}
		return c, l, l.log
	}
	return p
}

// hubs are the shapes real accounts have (issue #16): thousands of droplets in one account,
// project, VPC and tag; thousands of preview deployments of one Vercel project; hundreds of
// containers on one Docker network; an organization of 300 Supabase projects at the documented
// limits. Each uses its provider's rules for the chain bound.
func hubs() []provider {
	base := map[string]provider{}
	for _, p := range providers() {
		base[p.name] = p
	}
	do, vc, dk, sb := base["digitalocean"], base["vercel"], base["docker"], supabaseDefaultLimit()
	do.name, do.kind, do.note = "digitalocean-hub", "digitalocean", "Hub(3000): 3,000 droplets in one project, VPC and tag, ~90 other resources"
	do.start = func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
		f := digitaloceanfake.New(fakescale.DigitalOceanHub(3000))
		f.Latency = latency
		l, u := serve(tb, f)
		c, err := digitalocean.New(digitalocean.Config{Name: "bench", Token: digitaloceanfake.Token, APIURL: u})
		if err != nil {
			tb.Fatal(err)
		}
		return c, l, l.log
	}
	vc.name, vc.kind, vc.note = "vercel-hub", "vercel", "Hub(3000): Scaled(10) and 3,000 preview deployments of one project"
	vc.start = func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
		l, u := serve(tb, vercelfake.New(fakescale.VercelHub(3000), vercelLatency(latency)))
		c, err := vercel.New(vercel.Config{Name: "bench", Token: "scaled-token", APIURL: u})
		if err != nil {
			tb.Fatal(err)
		}
		return c, l, l.log
	}
	dk.name, dk.kind, dk.note = "docker-hub", "docker", "Hub(300): one Compose project, 300 containers on one network"
	dk.start = func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
		f := dockerfake.New(fakescale.DockerHub(300))
		f.SetLatency(latency)
		l, u := serve(tb, f)
		c, err := docker.New(docker.Config{Name: "hub-1", Host: "tcp://" + strings.TrimPrefix(u, "http://")})
		if err != nil {
			tb.Fatal(err)
		}
		return c, l, l.log
	}
	sb.name, sb.note = "supabase-org", "Organization(300): one organization of 300 projects, at the documented limits"
	sb.start = func(tb testing.TB) (collectors.Collector, *logged, func() []string) {
		e := fakescale.SupabaseOrganization(300)
		l, u := serve(tb, supabasefake.New(e, supabasefake.Options{Latency: latency}))
		c, err := supabase.New(supabase.Config{Name: "bench", AccessToken: evidence.Secret(e.Token), APIURL: u, APICatalog: new(bool)})
		if err != nil {
			tb.Fatal(err)
		}
		return c, l, l.log
	}
	return []provider{do, vc, dk, sb}
}

// BenchmarkScanLatencyHub scans the hub estates of DigitalOcean (3,000 droplets) and Vercel
// (3,000 deployments) at once, as one scan of such an account does.
//
//	go test ./bench -run '^$' -bench ScanLatencyHub -benchtime 1x
func BenchmarkScanLatencyHub(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ps := hubs()
		var insts []collectors.Instance
		for _, p := range ps {
			c, _, _ := p.start(b)
			insts = append(insts, collectors.Instance{Provider: p.provider(), Name: "bench", Collector: c})
		}
		begin := time.Now()
		res := collectors.Run(context.Background(), insts, collectors.Options{})
		wall := time.Since(begin)
		nodes := 0
		for _, r := range res {
			nodes += len(r.Nodes)
			if r.Status.Status != graph.StatusOK {
				b.Fatalf("%s: %s %s", r.Status.Key(), r.Status.Status, r.Status.Reason)
			}
		}
		b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
		fmt.Printf("hub estates at once (DigitalOcean, Vercel, Docker, Supabase): nodes %d  wall %s\n", nodes, wall.Round(time.Millisecond))
	}
}

// vercelLatency delays every answer of the Vercel fake by d.
func vercelLatency(d time.Duration) vercelfake.Option {
	return func(s *vercelfake.Server) { s.Latency = d }
}
