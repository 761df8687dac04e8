// Package vercelfake is a fake Vercel REST API for tests, the demo and benchmarks: an
// http.Handler serving an in-memory estate in Vercel's wire format (field names, {"pagination":
// {"count","next","prev"}} with `until` cursors, the base32 continuation token of GET
// /v10/projects, {"error":{"code","message"}} bodies, 429 with Retry-After, 403 invalidToken for a
// bad token), with injectable faults, a fixed latency and a request log.
//
// Estates are JSON (estates/*.json): objects exactly as the API returns them, grouped per scope.
// An encrypted env var's plaintext is kept in "_decrypted" and served only by the single-var GET.
package vercelfake

import (
	"cmp"
	"embed"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

//go:embed estates/*.json
var estates embed.FS

// Object is one API object as JSON decodes it.
type Object = map[string]any

// Estate is everything the fake serves.
type Estate struct {
	// Token is the bearer token accepted ("" accepts any non-empty token).
	Token string `json:"token"`
	// PageSize caps every page (the API's own cap is 100); small values force pagination.
	PageSize int      `json:"pageSize"`
	User     Object   `json:"user"`
	Scopes   []*Scope `json:"scopes"`
}

// Scope is the personal scope (Team nil) or one team, with its resources.
type Scope struct {
	Team                      Object              `json:"team"`
	Projects                  []Object            `json:"projects"`
	Env                       map[string][]Object `json:"env"`            // project id -> env vars
	ProjectDomains            map[string][]Object `json:"projectDomains"` // project id -> domains
	Deployments               []Object            `json:"deployments"`
	Domains                   []Object            `json:"domains"`
	Records                   map[string][]Object `json:"records"` // domain -> records
	Aliases                   []Object            `json:"aliases"`
	SharedEnv                 []Object            `json:"sharedEnv"`
	IntegrationConfigurations []Object            `json:"integrationConfigurations"`
	EdgeConfigs               []Object            `json:"edgeConfigs"`
	Stores                    []Object            `json:"stores"`
	Drains                    []Object            `json:"drains"`
	Webhooks                  []Object            `json:"webhooks"`
	Networks                  []Object            `json:"networks"`
}

// Load returns an embedded estate: "demo" (the Acme Coffee estate of docs/demo-estate.md) or
// "test" (every kind and edge, several pages, CANARY secrets).
func Load(name string) (*Estate, error) {
	e, err := fakeapi.Load[Estate](estates, "estates", name)
	if err != nil {
		return nil, fmt.Errorf("vercelfake: %w", err)
	}
	return e, nil
}

// MustLoad is Load for tests and the demo.
func MustLoad(name string) *Estate { return fakeapi.Must(Load(name)) }

// Server is the fake API.
type Server struct {
	estate *Estate
	// Latency delays every answer.
	Latency time.Duration

	fakeapi.Injector // Fault: a status, rate limit, garbage, hang or hollow answer on a route
	// RepeatCursor answers the lists on its routes normally, except that each repeats the
	// incoming cursor as pagination.next: a walk that never ends.
	RepeatCursor fakeapi.Faults[bool]
	log          fakeapi.Log

	indexOnce sync.Once
	byProject map[*Scope]map[string][]Object // deployments per project id
}

func (s *Server) deploymentsOf(sc *Scope, projectID string) []Object {
	s.indexOnce.Do(func() {
		s.byProject = map[*Scope]map[string][]Object{}
		for _, sc := range s.estate.Scopes {
			m := map[string][]Object{}
			for _, d := range sc.Deployments {
				pid, _ := d["projectId"].(string)
				m[pid] = append(m[pid], d)
			}
			s.byProject[sc] = m
		}
	})
	return s.byProject[sc][projectID]
}

// Option configures a Server.
type Option func(*Server)

// New returns a fake serving e.
func New(e *Estate, opts ...Option) *Server {
	s := &Server{estate: e}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Requests returns the request log: "GET /path?query" in arrival order.
func (s *Server) Requests() []string { return s.log.Lines() }

// Count returns how many requests had a path starting with prefix.
func (s *Server) Count(prefix string) int {
	return s.log.Count(func(p string) bool { return strings.HasPrefix(p, prefix) })
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.log.Add(r.Method + " " + r.URL.RequestURI())
	fault, faulty := s.Take(r.URL.Path)
	if !fakeapi.Delay(r, s.Latency) {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") || auth == "Bearer " || (s.estate.Token != "" && auth != "Bearer "+s.estate.Token) {
		writeError(w, http.StatusForbidden, "forbidden", "Not authorized", true)
		return
	}
	if faulty {
		fault.Serve(w, r, providerError, http.HandlerFunc(s.serve))
		return
	}
	s.serve(w, r)
}

// serve answers a request that no fault took.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Only GET is served by this fake", false)
		return
	}
	_, repeat := s.RepeatCursor.Take(r.URL.Path)
	body, status := s.route(r, repeat)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// providerError is Vercel's answer to a fault's status: {"error":{"code","message"}}, and on a
// 429 the exhausted window's X-RateLimit-Limit and X-RateLimit-Remaining.
func providerError(w http.ResponseWriter, status int, message string) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "0")
	}
	code, msg := defaultError(status)
	writeError(w, status, code, cmp.Or(message, msg), false)
}

func defaultError(status int) (string, string) {
	switch status {
	case http.StatusBadRequest:
		return "bad_request", "Bad request"
	case http.StatusUnauthorized:
		return "unauthorized", "Missing or invalid authorization"
	case http.StatusForbidden:
		return "forbidden", "You don't have permission to access this resource on your current plan"
	case http.StatusNotFound:
		return "not_found", "Not found"
	case http.StatusTooManyRequests:
		return "rate_limited", "Rate limit exceeded"
	}
	return "internal_server_error", "An unexpected error occurred"
}

func writeError(w http.ResponseWriter, status int, code, msg string, invalidToken bool) {
	e := Object{"code": code, "message": msg}
	if invalidToken {
		e["invalidToken"] = true
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Object{"error": e})
}

func notFound(what string) (any, int) {
	return Object{"error": Object{"code": "not_found", "message": what + " not found"}}, http.StatusNotFound
}

func (s *Server) scope(r *http.Request) (*Scope, bool) {
	q := r.URL.Query()
	id, slug := q.Get("teamId"), q.Get("slug")
	for _, sc := range s.estate.Scopes {
		switch {
		case id == "" && slug == "" && sc.Team == nil:
			return sc, true
		case sc.Team != nil && id != "" && sc.Team["id"] == id:
			return sc, true
		case sc.Team != nil && id == "" && slug != "" && sc.Team["slug"] == slug:
			return sc, true
		}
	}
	if id == "" && slug == "" {
		return &Scope{}, true // a personal scope with nothing in it
	}
	return nil, false
}

func (s *Server) route(r *http.Request, repeat bool) (any, int) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	p := strings.Join(parts, "/")
	if p == "v2/user" {
		return Object{"user": s.estate.User}, http.StatusOK
	}
	if p == "v2/teams" {
		var teams []Object
		for _, sc := range s.estate.Scopes {
			if sc.Team != nil {
				teams = append(teams, sc.Team)
			}
		}
		return s.page(r, "teams", teams, "createdAt", "until", repeat, false), http.StatusOK
	}
	if len(parts) == 3 && parts[0] == "v2" && parts[1] == "teams" {
		for _, sc := range s.estate.Scopes {
			if sc.Team != nil && (sc.Team["id"] == parts[2] || sc.Team["slug"] == parts[2]) {
				return sc.Team, http.StatusOK
			}
		}
		return notFound("Team")
	}
	sc, ok := s.scope(r)
	if !ok {
		return Object{"error": Object{"code": "forbidden", "message": "Not authorized: you are not a member of this team"}}, http.StatusForbidden
	}
	switch {
	case p == "v10/projects":
		return s.page(r, "projects", sc.Projects, "updatedAt", "from", repeat, true), http.StatusOK
	case len(parts) == 4 && parts[0] == "v10" && parts[1] == "projects" && parts[3] == "env":
		return s.page(r, "envs", strip(sc.Env[parts[2]]), "createdAt", "until", repeat, false), http.StatusOK
	case len(parts) == 5 && parts[0] == "v1" && parts[1] == "projects" && parts[3] == "env":
		for _, e := range sc.Env[parts[2]] {
			if e["id"] == parts[4] {
				return decrypt(e), http.StatusOK
			}
		}
		return notFound("Environment Variable")
	case p == "v1/env":
		return s.page(r, "data", strip(sc.SharedEnv), "createdAt", "until", repeat, false), http.StatusOK
	case len(parts) == 3 && parts[0] == "v1" && parts[1] == "env":
		for _, e := range sc.SharedEnv {
			if e["id"] == parts[2] {
				return decrypt(e), http.StatusOK
			}
		}
		return notFound("Shared Environment Variable")
	case p == "v6/deployments":
		q := r.URL.Query()
		all := sc.Deployments
		if pid := q.Get("projectId"); pid != "" {
			all = s.deploymentsOf(sc, pid)
		}
		var ds []Object
		for _, d := range all {
			if t := q.Get("target"); t != "" && d["target"] != t {
				continue
			}
			ds = append(ds, d)
		}
		return s.page(r, "deployments", ds, "createdAt", "until", repeat, false), http.StatusOK
	case p == "v5/domains":
		return s.page(r, "domains", sc.Domains, "createdAt", "until", repeat, false), http.StatusOK
	case len(parts) == 4 && parts[0] == "v5" && parts[1] == "domains" && parts[3] == "records":
		return s.page(r, "records", sc.Records[parts[2]], "createdAt", "until", repeat, false), http.StatusOK
	case len(parts) == 4 && parts[0] == "v9" && parts[1] == "projects" && parts[3] == "domains":
		return s.page(r, "domains", sc.ProjectDomains[parts[2]], "createdAt", "until", repeat, false), http.StatusOK
	case p == "v4/aliases":
		var as []Object
		for _, a := range sc.Aliases {
			if pid := r.URL.Query().Get("projectId"); pid == "" || a["projectId"] == pid {
				as = append(as, a)
			}
		}
		return s.page(r, "aliases", as, "createdAt", "until", repeat, false), http.StatusOK
	case p == "v1/integrations/configurations":
		return orEmpty(sc.IntegrationConfigurations), http.StatusOK
	case p == "v1/edge-config":
		return orEmpty(sc.EdgeConfigs), http.StatusOK
	case p == "v1/storage/stores":
		return s.page(r, "stores", sc.Stores, "createdAt", "until", repeat, false), http.StatusOK
	case len(parts) == 4 && parts[0] == "v1" && parts[1] == "storage" && parts[2] == "stores":
		for _, st := range sc.Stores {
			if st["id"] == parts[3] {
				full := Object{}
				for k, v := range st {
					full[k] = v
				}
				if _, ok := full["projectsMetadata"]; !ok {
					full["projectsMetadata"] = []any{}
				}
				return Object{"store": full}, http.StatusOK
			}
		}
		return notFound("Store")
	case p == "v1/drains":
		return Object{"drains": orEmpty(sc.Drains)}, http.StatusOK
	case p == "v1/webhooks":
		return orEmpty(sc.Webhooks), http.StatusOK
	case p == "v1/connect/networks":
		return orEmpty(sc.Networks), http.StatusOK
	}
	return notFound("The requested path " + r.URL.Path)
}

func orEmpty(os []Object) []Object {
	if os == nil {
		return []Object{}
	}
	return os
}

// strip drops the fake's own "_" fields from list answers.
func strip(os []Object) []Object {
	out := make([]Object, 0, len(os))
	for _, o := range os {
		c := Object{}
		for k, v := range o {
			if !strings.HasPrefix(k, "_") {
				c[k] = v
			}
		}
		out = append(out, c)
	}
	return out
}

// decrypt answers the single-var GET: an encrypted value decrypted, a sensitive one withheld.
func decrypt(e Object) Object {
	c := strip([]Object{e})[0]
	switch c["type"] {
	case "encrypted":
		if v, ok := e["_decrypted"]; ok {
			c["value"], c["decrypted"] = v, true
		}
	case "sensitive":
		delete(c, "value")
		c["decrypted"] = false
	}
	return c
}

// page answers one page of items sorted newest first by tsField, continuing before the cursor in
// param. token encodes next as a base32 continuation token (GET /v10/projects) instead of a
// number. repeat echoes the incoming cursor back as next (a broken cursor).
func (s *Server) page(r *http.Request, key string, items []Object, tsField, param string, repeat, token bool) Object {
	q := r.URL.Query()
	limit := 20
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
		limit = min(l, 100)
	}
	if s.estate.PageSize > 0 {
		limit = min(limit, s.estate.PageSize)
	}
	sorted := append([]Object(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return ts(sorted[i], tsField) > ts(sorted[j], tsField) })
	var before int64 = -1
	if c := q.Get(param); c != "" {
		if token {
			if b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c); err == nil {
				c = string(b)
			}
		}
		before, _ = strconv.ParseInt(c, 10, 64)
	}
	var rest []Object
	for _, it := range sorted {
		if before < 0 || ts(it, tsField) < before {
			rest = append(rest, it)
		}
	}
	pageItems := rest
	var next, prev any
	if len(rest) > limit {
		pageItems = rest[:limit]
		n := ts(pageItems[len(pageItems)-1], tsField)
		if token {
			next = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(strconv.FormatInt(n, 10)))
		} else {
			next = n
		}
	}
	if len(pageItems) > 0 {
		prev = ts(pageItems[0], tsField)
	}
	if repeat && q.Get(param) != "" {
		next = q.Get(param)
		if !token {
			n, _ := strconv.ParseInt(q.Get(param), 10, 64)
			next = n
		}
	}
	if pageItems == nil {
		pageItems = []Object{}
	}
	return Object{key: pageItems, "pagination": Object{"count": len(pageItems), "next": next, "prev": prev}}
}

func ts(o Object, field string) int64 {
	switch v := o[field].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}
