// Package supabasefake serves an in-memory Supabase estate over the Management API (v1) in
// Supabase's wire format (packages/api/src/generated/openapi.json in supabase/cli): the same
// field names, full arrays for lists, {"message": …} error bodies and X-RateLimit-* headers. It
// injects faults (a status per path, 429 with Retry-After and X-RateLimit-Reset, garbage bodies,
// 401) and latency, and logs requests. Tests, the demo command and benchmarks share it.
package supabasefake

import (
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

//go:embed testdata/*.json testdata/*.sql
var fixtures embed.FS

// DemoSQL is the demo estate's database (project qwertyuiopasdfghjklz): tables, a webhook to the
// storefront and the notify-orders pg_cron job calling the send-order-email edge function. It
// creates pg_cron, so load it into the database cron.database_name names.
func DemoSQL() string {
	b, err := fixtures.ReadFile("testdata/demo.sql")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Estate is one account: its organizations and projects, each with what the per-project
// endpoints answer, kept as raw wire JSON.
type Estate struct {
	// Token is the bearer token the fake accepts.
	Token         string            `json:"token"`
	Organizations []json.RawMessage `json:"organizations"`
	Projects      []Project         `json:"projects"`
}

// Project is one project: its V1ProjectWithDatabaseResponse and the bodies of its endpoints. A
// nil body answers the endpoint's empty form (an empty list, no custom hostname, ...).
type Project struct {
	Project             json.RawMessage `json:"project"`
	Branches            json.RawMessage `json:"branches,omitempty"`
	Functions           json.RawMessage `json:"functions,omitempty"`
	Secrets             json.RawMessage `json:"secrets,omitempty"`
	APIKeys             json.RawMessage `json:"api_keys,omitempty"`
	Pooler              json.RawMessage `json:"pooler,omitempty"`
	CustomHostname      json.RawMessage `json:"custom_hostname,omitempty"`
	VanitySubdomain     json.RawMessage `json:"vanity_subdomain,omitempty"`
	NetworkRestrictions json.RawMessage `json:"network_restrictions,omitempty"`
	Buckets             json.RawMessage `json:"buckets,omitempty"`
	AuthConfig          json.RawMessage `json:"auth_config,omitempty"`
}

// Ref is the project's ref, read from its project body.
func (p Project) Ref() string {
	var x struct {
		Ref string `json:"ref"`
	}
	_ = json.Unmarshal(p.Project, &x)
	return x.Ref
}

// Load reads an embedded estate: "demo" (the Acme Coffee estate of docs/demo-estate.md) or
// "test" (every kind and edge, with CANARY secrets).
func Load(name string) (*Estate, error) {
	e, err := fakeapi.Load[Estate](fixtures, "testdata", name)
	if err != nil {
		return nil, fmt.Errorf("supabasefake: %w", err)
	}
	return e, nil
}

// Demo is the Acme Coffee estate.
func Demo() *Estate { return fakeapi.Must(Load("demo")) }

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Options are the latency and databases of a fake; faults are said with Fault (fakeapi.Injector).
type Options struct {
	// Latency is added to every request.
	Latency time.Duration
	// Databases maps a project ref to a PostgreSQL DSN: the read-only query endpoint runs the
	// SQL it receives there, in a read-only transaction. A project without one answers that
	// endpoint 404, as an unknown route.
	Databases map[string]string
	// Role, when set, runs the read-only queries as that role (SET LOCAL ROLE), as Supabase runs
	// them as supabase_read_only_user (BYPASSRLS, pg_read_all_data).
	Role string
}

// Fake is an http.Handler serving an Estate.
type Fake struct {
	estate   *Estate
	opts     Options
	projects map[string]*Project
	log      fakeapi.Log

	fakeapi.Injector // Fault: a status, rate limit, garbage, hang or hollow answer on a route

	mu      sync.Mutex
	windows map[string]*window // rate-limit windows by path
}

// window counts the requests to one path (one scope and endpoint) in its current minute.
type window struct {
	start time.Time
	n     int
}

// Limits are the Management API's documented rate limits: 120 requests a minute per user,
// scope (a project or organization; the user for the project and organization lists) and
// endpoint, 10 a minute for a project's vanity subdomain; past it, 429 until the minute is over
// (https://supabase.com/docs/reference/api/introduction, "Rate limits"). A request's path
// names its scope and endpoint, so the fake counts by path.
func Limit(path string) int {
	if strings.HasSuffix(path, "/config/vanity-subdomain") {
		return 10
	}
	return 120
}

// count records a request to path: its limit, the requests in the path's minute so far (this
// one included) and the seconds until that minute is over.
func (f *Fake) count(path string) (limit, used, reset int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.windows == nil {
		f.windows = map[string]*window{}
	}
	now := time.Now()
	w := f.windows[path]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &window{start: now}
		f.windows[path] = w
	}
	w.n++
	left := time.Minute - now.Sub(w.start)
	return Limit(path), w.n, int((left + time.Second - 1) / time.Second)
}

// New returns a fake serving e with opts.
func New(e *Estate, opts Options) *Fake {
	f := &Fake{estate: e, opts: opts, projects: map[string]*Project{}}
	for i := range e.Projects {
		f.projects[e.Projects[i].Ref()] = &e.Projects[i]
	}
	return f
}

// Requests returns the request log ("GET /v1/projects?…"), in arrival order.
func (f *Fake) Requests() []string { return f.log.Lines() }

// Count returns how many requests arrived.
func (f *Fake) Count() int { return f.log.Len() }

var projectPath = regexp.MustCompile(`^/v1/projects/([a-z]{20})(/.*)?$`)

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	line := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		line += "?" + r.URL.RawQuery
	}
	f.log.Add(line)
	if !fakeapi.Delay(r, f.opts.Latency) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	limit, used, reset := f.count(r.URL.Path)
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(0, limit-used)))
	w.Header().Set("X-RateLimit-Reset", strconv.Itoa(reset))
	if used > limit {
		writeError(w, http.StatusTooManyRequests, "Too many requests")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.estate.Token {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if ft, ok := f.Take(r.URL.Path); ok {
		ft.Serve(w, r, providerError, http.HandlerFunc(f.serve))
		return
	}
	f.serve(w, r)
}

// providerError is the Management API's answer to a fault's status: {"message"}, and on a 429
// nothing remaining until the Retry-After (X-RateLimit-Reset in seconds, as Supabase sends it).
func providerError(w http.ResponseWriter, status int, message string) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("X-RateLimit-Remaining", "0")
		if ra := w.Header().Get("Retry-After"); ra != "" {
			w.Header().Set("X-RateLimit-Reset", ra)
		}
	}
	writeError(w, status, cmp.Or(message, http.StatusText(status)))
}

// serve answers a request that no fault took.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if m := projectPath.FindStringSubmatch(r.URL.Path); m != nil && m[2] == "/database/query/read-only" && r.Method == http.MethodPost {
		if dsn, ok := f.opts.Databases[m[1]]; ok && f.projects[m[1]] != nil {
			f.readOnlyQuery(w, r, dsn)
			return
		}
		writeError(w, http.StatusNotFound, "Cannot POST "+r.URL.Path)
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "read-only fake")
		return
	}
	body, ok := f.route(r)
	if !ok {
		writeError(w, http.StatusNotFound, "Cannot GET "+r.URL.Path)
		return
	}
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func (f *Fake) route(r *http.Request) ([]byte, bool) {
	switch r.URL.Path {
	case "/v1/organizations":
		return orEmpty(raw(f.estate.Organizations), "[]"), true
	case "/v1/projects":
		var out []json.RawMessage
		for _, p := range f.estate.Projects {
			out = append(out, p.Project)
		}
		return orEmpty(raw(out), "[]"), true
	}
	m := projectPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return nil, false
	}
	p, ok := f.projects[m[1]]
	if !ok {
		return nil, false
	}
	switch m[2] {
	case "":
		return p.Project, true
	case "/branches":
		return orEmpty(p.Branches, "[]"), true
	case "/functions":
		return orEmpty(p.Functions, "[]"), true
	case "/secrets":
		return orEmpty(p.Secrets, "[]"), true
	case "/api-keys":
		return orEmpty(p.APIKeys, "[]"), true
	case "/config/database/pooler":
		return orEmpty(p.Pooler, "[]"), true
	case "/custom-hostname":
		return orEmpty(p.CustomHostname, `{"status":"1_not_started","custom_hostname":""}`), true
	case "/vanity-subdomain":
		return orEmpty(p.VanitySubdomain, `{"status":"not-used"}`), true
	case "/network-restrictions":
		return orEmpty(p.NetworkRestrictions, `{"entitlement":"allowed","config":{"dbAllowedCidrs":["0.0.0.0/0"],"dbAllowedCidrsV6":["::/0"]},"status":"applied"}`), true
	case "/storage/buckets":
		return orEmpty(p.Buckets, "[]"), true
	case "/config/auth":
		return orEmpty(p.AuthConfig, "{}"), true
	}
	return nil, false
}

func orEmpty(b json.RawMessage, empty string) []byte {
	if len(b) == 0 || string(b) == "null" {
		return []byte(empty)
	}
	return b
}

// Refs lists the estate's project refs, sorted.
func (e *Estate) Refs() []string {
	var out []string
	for _, p := range e.Projects {
		out = append(out, p.Ref())
	}
	sort.Strings(out)
	return out
}
