// Package digitaloceanfake is a fake DigitalOcean API v2 for tests, the demo and benchmarks: an
// http.Handler serving an in-memory estate in DigitalOcean's wire format (list roots such as
// {"droplets":[...],"links":{"pages":{...}},"meta":{"total":N}}, error bodies
// {"id":"unauthorized","message":"..."}, ratelimit-* headers, retry-after on 429), with
// page-number and page-token pagination and injectable faults.
//
// Shapes follow digitalocean/openapi (specification/resources/<res>/responses, examples.yml) and
// the bodies in godo's tests. It depends only on the standard library.
//
// Point a collector at it:
//
//	srv := httptest.NewServer(digitaloceanfake.New(digitaloceanfake.MustLoad("demo")))
//	c, _ := digitalocean.New(digitalocean.Config{Name: "demo", Token: digitaloceanfake.Token, APIURL: srv.URL})
package digitaloceanfake

import (
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

//go:embed testdata/*.json
var fixtures embed.FS

// Estate is what the fake account holds. Every item is a raw JSON object in DigitalOcean's wire
// format; the maps hold sub-collections by parent (VPC id, domain name, cluster id, project id).
type Estate struct {
	Account              json.RawMessage              `json:"account"`
	Projects             []json.RawMessage            `json:"projects"`
	ProjectResources     map[string][]json.RawMessage `json:"project_resources"`
	Droplets             []json.RawMessage            `json:"droplets"`
	Volumes              []json.RawMessage            `json:"volumes"`
	VPCs                 []json.RawMessage            `json:"vpcs"`
	VPCMembers           map[string][]json.RawMessage `json:"vpc_members"`
	Firewalls            []json.RawMessage            `json:"firewalls"`
	LoadBalancers        []json.RawMessage            `json:"load_balancers"`
	ReservedIPs          []json.RawMessage            `json:"reserved_ips"`
	ReservedIPv6s        []json.RawMessage            `json:"reserved_ipv6s"`
	Domains              []json.RawMessage            `json:"domains"`
	DomainRecords        map[string][]json.RawMessage `json:"domain_records"`
	Databases            []json.RawMessage            `json:"databases"`
	DatabaseReplicas     map[string][]json.RawMessage `json:"database_replicas"`
	DatabasePools        map[string][]json.RawMessage `json:"database_pools"`
	DatabaseFirewall     map[string][]json.RawMessage `json:"database_firewall"`
	KubernetesClusters   []json.RawMessage            `json:"kubernetes_clusters"`
	NodePools            map[string][]json.RawMessage `json:"node_pools"`
	Apps                 []json.RawMessage            `json:"apps"`
	Registry             json.RawMessage              `json:"registry"` // null: no registry (404)
	RegistryRepositories []json.RawMessage            `json:"registry_repositories"`
	// Registries are an account's further registries (multi-registry accounts), served with
	// Registry by GET /v2/registries; RegistriesRepositories holds their repositories by name.
	Registries             []json.RawMessage            `json:"registries"`
	RegistriesRepositories map[string][]json.RawMessage `json:"registries_repositories"`
	Certificates           []json.RawMessage            `json:"certificates"`
	CDNEndpoints           []json.RawMessage            `json:"cdn_endpoints"`
	Tags                   []json.RawMessage            `json:"tags"`
}

// Load returns a fixture estate: "demo" (the Acme Coffee estate of docs/demo-estate.md) or
// "test" (every kind and edge, with CANARY secrets).
func Load(name string) (*Estate, error) {
	e, err := fakeapi.Load[Estate](fixtures, "testdata", name)
	if err != nil {
		return nil, fmt.Errorf("digitaloceanfake: %w", err)
	}
	return e, nil
}

// MustLoad is Load for tests and the demo, where the embedded fixtures are known good.
func MustLoad(name string) *Estate { return fakeapi.Must(Load(name)) }

// Canaries are the secret values planted in the "test" estate; none may appear in any output.
var Canaries = []string{
	"CANARY-do-db-password",
	"CANARY-do-pool-password",
	"CANARY-do-replica-password",
	"CANARY-do-jwt-secret",
	"CANARY-do-registry-credentials",
	"CANARY-do-general-token",
}

// Token is the bearer token the fake accepts unless Server.Token is changed.
const Token = "dop_v1_fake_token"

// Server serves an Estate. Configure it before the first request; faults may be added at any time.
type Server struct {
	Estate *Estate
	// Token is the accepted bearer token (default Token); anything else gets a 401.
	Token string
	// MaxPerPage caps per_page as the API does (default 200); a small cap forces many pages.
	MaxPerPage int
	// Latency delays every response (honouring the request's context).
	Latency time.Duration

	mu               sync.Mutex
	remain           int
	fakeapi.Injector // Fault: a status, rate limit, garbage, hang or hollow answer on a route
	log              fakeapi.Log
}

// New returns a server for e.
func New(e *Estate) *Server { return &Server{Estate: e} }

// Requests returns every request served so far as "GET /v2/droplets?page=2&per_page=200".
func (s *Server) Requests() []string { return s.log.Lines() }

// Count returns how many requests hit path (query ignored).
func (s *Server) Count(path string) int {
	return s.log.Count(func(p string) bool { return p == path })
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.log.Add(r.Method + " " + r.URL.RequestURI())
	s.mu.Lock()
	if s.remain == 0 {
		s.remain = 5000
	}
	s.remain--
	remain := s.remain
	s.mu.Unlock()
	f, faulty := s.Take(r.URL.Path)

	if !fakeapi.Delay(r, s.Latency) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("ratelimit-limit", "5000")
	h.Set("ratelimit-remaining", strconv.Itoa(remain))
	h.Set("ratelimit-reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	h.Set("x-request-id", fmt.Sprintf("req-%d", 5000-remain))

	tok := s.Token
	if tok == "" {
		tok = Token
	}
	if r.Header.Get("Authorization") != "Bearer "+tok {
		writeError(w, http.StatusUnauthorized, "unauthorized", "Unable to authenticate you")
		return
	}
	if faulty {
		f.Serve(w, r, providerError, http.HandlerFunc(s.route))
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "the fake is read-only")
		return
	}
	s.route(w, r)
}

// providerError is DigitalOcean's answer to a fault's status: its error JSON, and on a 429 the
// exhausted window's ratelimit-remaining.
func providerError(w http.ResponseWriter, status int, message string) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("ratelimit-remaining", "0")
		writeError(w, status, "too_many_requests", cmp.Or(message, "API Rate limit exceeded."))
		return
	}
	writeError(w, status, errorID(status), cmp.Or(message, http.StatusText(status)))
}

func errorID(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	}
	if status >= 500 {
		return "server_error"
	}
	return "bad_request"
}

func writeError(w http.ResponseWriter, status int, id, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "message": msg, "request_id": w.Header().Get("x-request-id")})
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "not_found", "The resource you requested could not be found.")
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	e := s.Estate
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/v2"), "/"), "/")
	one := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	sub := func(m map[string][]json.RawMessage, key string) ([]json.RawMessage, bool) {
		v, ok := m[key]
		return v, ok
	}
	switch {
	case len(parts) == 1 && parts[0] == "account":
		writeJSON(w, map[string]any{"account": e.Account})
	case len(parts) == 1 && parts[0] == "projects":
		s.list(w, r, "projects", e.Projects)
	case len(parts) == 3 && parts[0] == "projects" && parts[2] == "resources":
		if !has(e.Projects, "id", one(1)) {
			notFound(w)
			return
		}
		v, _ := sub(e.ProjectResources, one(1))
		s.list(w, r, "resources", v)
	case len(parts) == 1 && parts[0] == "droplets":
		s.list(w, r, "droplets", e.Droplets)
	case len(parts) == 1 && parts[0] == "volumes":
		s.list(w, r, "volumes", e.Volumes)
	case len(parts) == 1 && parts[0] == "vpcs":
		s.list(w, r, "vpcs", e.VPCs)
	case len(parts) == 3 && parts[0] == "vpcs" && parts[2] == "members":
		if !has(e.VPCs, "id", one(1)) {
			notFound(w)
			return
		}
		v, _ := sub(e.VPCMembers, one(1))
		s.list(w, r, "members", v)
	case len(parts) == 1 && parts[0] == "firewalls":
		s.list(w, r, "firewalls", e.Firewalls)
	case len(parts) == 1 && parts[0] == "load_balancers":
		s.list(w, r, "load_balancers", e.LoadBalancers)
	case len(parts) == 1 && parts[0] == "reserved_ips":
		s.list(w, r, "reserved_ips", e.ReservedIPs)
	case len(parts) == 1 && parts[0] == "reserved_ipv6":
		// GET /v2/reserved_ipv6 answers {"reserved_ipv6s": [...], links, meta} (DO API reference,
		// "List All Reserved IPv6s"; godo reserved_ipv6.go reservedIPV6sRoot).
		s.list(w, r, "reserved_ipv6s", e.ReservedIPv6s)
	case len(parts) == 1 && parts[0] == "registries":
		// GET /v2/registries (DO API reference "List All Container Registries"; godo
		// RegistriesServiceOp.List): every registry of the account, not paginated.
		writeJSON(w, map[string]any{"registries": nonNil(e.allRegistries())})
	case len(parts) == 3 && parts[0] == "registries" && parts[2] == "repositoriesV2":
		repos, ok := e.registryRepos(parts[1])
		if !ok {
			notFound(w)
			return
		}
		s.tokenList(w, r, "repositories", repos)
	case len(parts) == 1 && parts[0] == "domains":
		s.list(w, r, "domains", e.Domains)
	case len(parts) == 3 && parts[0] == "domains" && parts[2] == "records":
		if !has(e.Domains, "name", one(1)) {
			notFound(w)
			return
		}
		v, _ := sub(e.DomainRecords, one(1))
		s.list(w, r, "domain_records", v)
	case len(parts) == 1 && parts[0] == "databases":
		// The databases list is not paginated by the API.
		writeJSON(w, map[string]any{"databases": nonNil(e.Databases)})
	case len(parts) == 3 && parts[0] == "databases":
		if !has(e.Databases, "id", one(1)) {
			notFound(w)
			return
		}
		switch parts[2] {
		case "replicas":
			v, _ := sub(e.DatabaseReplicas, one(1))
			writeJSON(w, map[string]any{"replicas": nonNil(v)})
		case "pools":
			v, _ := sub(e.DatabasePools, one(1))
			writeJSON(w, map[string]any{"pools": nonNil(v)})
		case "firewall":
			v, _ := sub(e.DatabaseFirewall, one(1))
			writeJSON(w, map[string]any{"rules": nonNil(v)})
		default:
			notFound(w)
		}
	case len(parts) == 2 && parts[0] == "kubernetes" && parts[1] == "clusters":
		s.list(w, r, "kubernetes_clusters", e.KubernetesClusters)
	case len(parts) == 4 && parts[0] == "kubernetes" && parts[1] == "clusters" && parts[3] == "node_pools":
		if !has(e.KubernetesClusters, "id", one(2)) {
			notFound(w)
			return
		}
		v, _ := sub(e.NodePools, one(2))
		writeJSON(w, map[string]any{"node_pools": nonNil(v)}) // not paginated
	case len(parts) == 1 && parts[0] == "apps":
		s.list(w, r, "apps", e.Apps)
	case len(parts) == 1 && parts[0] == "registry":
		if len(e.Registry) == 0 || string(e.Registry) == "null" {
			notFound(w)
			return
		}
		writeJSON(w, map[string]any{"registry": e.Registry})
	case len(parts) == 3 && parts[0] == "registry" && parts[2] == "repositoriesV2":
		if len(e.Registry) == 0 || string(e.Registry) == "null" {
			notFound(w)
			return
		}
		s.tokenList(w, r, "repositories", e.RegistryRepositories)
	case len(parts) == 1 && parts[0] == "certificates":
		s.list(w, r, "certificates", e.Certificates)
	case len(parts) == 2 && parts[0] == "cdn" && parts[1] == "endpoints":
		s.list(w, r, "endpoints", e.CDNEndpoints)
	case len(parts) == 1 && parts[0] == "tags":
		s.list(w, r, "tags", e.Tags)
	default:
		notFound(w)
	}
}

func nonNil(v []json.RawMessage) []json.RawMessage {
	if v == nil {
		return []json.RawMessage{}
	}
	return v
}

// has reports whether some item has field == value (string or number).
func has(items []json.RawMessage, field, value string) bool {
	for _, it := range items {
		var m map[string]any
		if json.Unmarshal(it, &m) != nil {
			continue
		}
		switch v := m[field].(type) {
		case string:
			if v == value {
				return true
			}
		case float64:
			if strconv.FormatFloat(v, 'f', -1, 64) == value {
				return true
			}
		}
	}
	return false
}

func (s *Server) perPage(r *http.Request) int {
	max := s.MaxPerPage
	if max <= 0 {
		max = 200
	}
	n, err := strconv.Atoi(r.URL.Query().Get("per_page"))
	if err != nil || n <= 0 {
		n = 20 // the API's default
	}
	if n > max {
		n = max
	}
	return n
}

func pageURL(r *http.Request, q url.Values) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

// list serves a page-numbered collection: links.pages has first/prev/next/last as absolute
// URLs, meta.total the collection size.
func (s *Server) list(w http.ResponseWriter, r *http.Request, key string, items []json.RawMessage) {
	per := s.perPage(r)
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := (len(items) + per - 1) / per
	if last == 0 {
		last = 1
	}
	from, to := (page-1)*per, page*per
	if from > len(items) {
		from = len(items)
	}
	if to > len(items) {
		to = len(items)
	}
	link := func(p int) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		return pageURL(r, q)
	}
	pages := map[string]string{}
	if page > 1 {
		pages["first"], pages["prev"] = link(1), link(page-1)
	}
	if page < last {
		pages["next"], pages["last"] = link(page+1), link(last)
	}
	writeJSON(w, map[string]any{
		key:     nonNil(items[from:to]),
		"links": map[string]any{"pages": pages},
		"meta":  map[string]int{"total": len(items)},
	})
}

// tokenList serves a page-token collection (registry repositoriesV2): the next link carries
// page_token, an opaque cursor.
func (s *Server) tokenList(w http.ResponseWriter, r *http.Request, key string, items []json.RawMessage) {
	per := s.perPage(r)
	from := 0
	if t := r.URL.Query().Get("page_token"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "cursor-"))
		if err != nil || n < 0 || n > len(items) {
			writeError(w, http.StatusBadRequest, "bad_request", "invalid page_token")
			return
		}
		from = n
	}
	to := from + per
	if to > len(items) {
		to = len(items)
	}
	pages := map[string]string{}
	if to < len(items) {
		q := url.Values{}
		q.Set("page_token", "cursor-"+strconv.Itoa(to))
		q.Set("per_page", strconv.Itoa(per))
		pages["next"] = pageURL(r, q)
	}
	writeJSON(w, map[string]any{
		key:     nonNil(items[from:to]),
		"links": map[string]any{"pages": pages},
		"meta":  map[string]int{"total": len(items)},
	})
}

// allRegistries is the legacy single registry (if any) and the further ones.
func (e *Estate) allRegistries() []json.RawMessage {
	var out []json.RawMessage
	if len(e.Registry) > 0 && string(e.Registry) != "null" {
		out = append(out, e.Registry)
	}
	return append(out, e.Registries...)
}

// registryRepos is the repositories of the registry named name.
func (e *Estate) registryRepos(name string) ([]json.RawMessage, bool) {
	for i, raw := range e.allRegistries() {
		var r struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(raw, &r) != nil || r.Name != name {
			continue
		}
		if i == 0 && len(e.Registry) > 0 && string(e.Registry) != "null" {
			return e.RegistryRepositories, true
		}
		return e.RegistriesRepositories[name], true
	}
	return nil, false
}

func writeJSON(w http.ResponseWriter, v any) {
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}
