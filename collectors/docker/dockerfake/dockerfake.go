// Package dockerfake is an in-memory Docker Engine API (an http.Handler) for tests, the demo
// command and benchmarks. It serves an estate in the Engine API's wire format (moby/moby
// api/swagger.yaml, v1.51): /_ping with the API-Version header the client negotiates from,
// /version, /info, /containers/json, /containers/{id}/json, /images/json, /networks,
// /networks/{id}, /volumes and, when the estate is a swarm manager, /nodes, /services and /tasks,
// each with or without a /v1.xx prefix. Faults (a status per path, garbage bodies, hanging
// requests), a fixed latency and a request log make error paths testable.
//
// Estates: Load("demo") is Acme Coffee's engine erp-1 with the Compose project erp
// (docs/demo-estate.md); Load("test") covers every kind and edge the collector maps, with CANARY
// secrets in env values and labels; fakescale.Docker(n) generates n Compose projects for benchmarks.
package dockerfake

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

//go:embed testdata/*.json
var fixtures embed.FS

// Estate is one engine's objects, each a JSON object in the Engine API's wire format. Containers
// and Networks hold inspect responses; the list endpoints are derived from them.
type Estate struct {
	Info       map[string]any   `json:"info"`
	Version    map[string]any   `json:"version"`
	Containers []map[string]any `json:"containers"`
	Images     []map[string]any `json:"images"`
	Networks   []map[string]any `json:"networks"`
	Volumes    []map[string]any `json:"volumes"`
	Nodes      []map[string]any `json:"nodes,omitempty"`
	Services   []map[string]any `json:"services,omitempty"`
	Tasks      []map[string]any `json:"tasks,omitempty"`
}

// Load returns a named embedded estate: "demo" or "test".
func Load(name string) (*Estate, error) {
	e, err := fakeapi.Load[Estate](fixtures, "testdata", name)
	if err != nil {
		return nil, fmt.Errorf("dockerfake: %w", err)
	}
	return e, nil
}

// MustLoad is Load for tests and the demo command.
func MustLoad(name string) *Estate { return fakeapi.Must(Load(name)) }

// Server is the fake engine. It is safe for concurrent use.
type Server struct {
	estate     *Estate
	apiVersion string

	fakeapi.Injector // Fault, by route pattern ("/containers/{id}/json", "*" for every route)

	mu      sync.Mutex
	latency time.Duration
	log     fakeapi.Log
}

// New returns a fake engine serving e. It answers as API 1.51 unless SetAPIVersion says
// otherwise.
func New(e *Estate) *Server {
	return &Server{estate: e, apiVersion: "1.51"}
}

// SetAPIVersion sets the highest API version the fake speaks ("1.41" for Debian's 20.10).
// Requests for a newer version are refused as the real daemon does, so only a client that
// negotiates gets answers.
func (s *Server) SetAPIVersion(v string) { s.mu.Lock(); s.apiVersion = v; s.mu.Unlock() }

// A fault's route (Injector.Fault) is the unversioned path pattern: "/info",
// "/containers/json", "/containers/{id}/json", "/networks", "/networks/{id}", "/volumes",
// "/images/json", "/_ping", "/nodes", "/services", "/tasks", or "*" for every route.

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) { s.mu.Lock(); s.latency = d; s.mu.Unlock() }

// Requests returns the request log ("GET /v1.51/info"), in arrival order.
func (s *Server) Requests() []string { return s.log.Lines() }

// Count returns how many requests hit a route pattern.
func (s *Server) Count(route string) int {
	return s.log.Count(func(p string) bool { return routeOf(stripVersion(p)) == route })
}

var versionPrefix = regexp.MustCompile(`^/v(\d+\.\d+)(/.*)$`)

func stripVersion(p string) string {
	if m := versionPrefix.FindStringSubmatch(p); m != nil {
		return m[2]
	}
	return p
}

func routeOf(p string) string {
	switch {
	case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/json") && p != "/containers/json":
		return "/containers/{id}/json"
	case strings.HasPrefix(p, "/networks/"):
		return "/networks/{id}"
	}
	return p
}

// ServeHTTP answers Engine API requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.log.Add(r.Method + " " + r.URL.Path)
	s.mu.Lock()
	latency, maxVersion := s.latency, s.apiVersion
	route := routeOf(stripVersion(r.URL.Path))
	s.mu.Unlock()
	fault, faulty := s.Take(route)
	if !fakeapi.Delay(r, latency) {
		return
	}
	if faulty {
		fault.Serve(w, r, func(w http.ResponseWriter, status int, msg string) {
			apiError(w, status, cmp.Or(msg, fmt.Sprintf("fault injected for %s", route)))
		}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, route, maxVersion) }))
		return
	}
	s.serve(w, r, route, maxVersion)
}

// serve answers a request that no fault took.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, route, maxVersion string) {
	if m := versionPrefix.FindStringSubmatch(r.URL.Path); m != nil && versionLess(maxVersion, m[1]) {
		apiError(w, http.StatusBadRequest, fmt.Sprintf("client version %s is too new. Maximum supported API version is %s", m[1], maxVersion))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		apiError(w, http.StatusMethodNotAllowed, "the fake engine is read-only")
		return
	}
	w.Header().Set("Api-Version", maxVersion)
	s.route(w, r, route, stripVersion(r.URL.Path), maxVersion)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, route, p, maxVersion string) {
	e := s.estate
	switch route {
	case "/_ping":
		w.Header().Set("API-Version", maxVersion)
		w.Header().Set("Docker-Experimental", "false")
		w.Header().Set("Ostype", "linux")
		w.Header().Set("Builder-Version", "2")
		w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("OK"))
	case "/version":
		v := clone(e.Version)
		v["ApiVersion"] = maxVersion
		writeJSON(w, v)
	case "/info":
		writeJSON(w, e.Info)
	case "/containers/json":
		all := r.URL.Query().Get("all")
		out := []map[string]any{}
		for _, c := range e.Containers {
			if all != "1" && all != "true" && str(c, "State", "Status") != "running" {
				continue
			}
			out = append(out, summary(c))
		}
		writeJSON(w, out)
	case "/containers/{id}/json":
		ref := strings.TrimSuffix(strings.TrimPrefix(p, "/containers/"), "/json")
		if c := find(e.Containers, ref, "Name"); c != nil {
			writeJSON(w, c)
			return
		}
		apiError(w, http.StatusNotFound, "No such container: "+ref)
	case "/images/json":
		writeJSON(w, orEmpty(e.Images))
	case "/networks":
		out := []map[string]any{}
		for _, n := range e.Networks {
			l := clone(n)
			l["Containers"] = map[string]any{} // the list leaves Containers empty; inspect fills it
			out = append(out, l)
		}
		writeJSON(w, out)
	case "/networks/{id}":
		ref := strings.TrimPrefix(p, "/networks/")
		if n := find(e.Networks, ref, "Name"); n != nil {
			writeJSON(w, n)
			return
		}
		apiError(w, http.StatusNotFound, "network "+ref+" not found")
	case "/volumes":
		writeJSON(w, map[string]any{"Volumes": orEmpty(e.Volumes), "Warnings": nil})
	case "/nodes", "/services", "/tasks":
		if sw, _ := e.Info["Swarm"].(map[string]any); sw == nil || sw["ControlAvailable"] != true {
			apiError(w, http.StatusServiceUnavailable, `This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.`)
			return
		}
		list := map[string][]map[string]any{"/nodes": e.Nodes, "/services": e.Services, "/tasks": e.Tasks}[route]
		writeJSON(w, orEmpty(list))
	default:
		apiError(w, http.StatusNotFound, "page not found")
	}
}

// summary derives a /containers/json entry from an inspect response, as the daemon does.
func summary(c map[string]any) map[string]any {
	cfg, _ := c["Config"].(map[string]any)
	hc, _ := c["HostConfig"].(map[string]any)
	ns, _ := c["NetworkSettings"].(map[string]any)
	var ports []map[string]any
	if pm, ok := ns["Ports"].(map[string]any); ok {
		keys := make([]string, 0, len(pm))
		for k := range pm {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			num, proto, _ := strings.Cut(k, "/")
			priv, _ := strconv.Atoi(num)
			binds, _ := pm[k].([]any)
			if len(binds) == 0 {
				ports = append(ports, map[string]any{"PrivatePort": priv, "Type": proto})
			}
			for _, b := range binds {
				bm, _ := b.(map[string]any)
				pub, _ := strconv.Atoi(fmt.Sprint(bm["HostPort"]))
				ports = append(ports, map[string]any{"IP": bm["HostIp"], "PrivatePort": priv, "PublicPort": pub, "Type": proto})
			}
		}
	}
	state := str(c, "State", "Status")
	return map[string]any{
		"Id":              c["Id"],
		"Names":           []any{c["Name"]},
		"Image":           cfg["Image"],
		"ImageID":         c["Image"],
		"Command":         strings.TrimSpace(fmt.Sprint(c["Path"])),
		"Created":         1730455200,
		"Ports":           orEmpty(ports),
		"Labels":          cfg["Labels"],
		"State":           state,
		"Status":          map[string]string{"running": "Up 3 days", "exited": "Exited (0) 2 days ago"}[state],
		"HostConfig":      map[string]any{"NetworkMode": hc["NetworkMode"]},
		"NetworkSettings": map[string]any{"Networks": ns["Networks"]},
		"Mounts":          c["Mounts"],
	}
}

// find looks an object up as the daemon does: full id, name, or unique id prefix.
func find(list []map[string]any, ref, nameKey string) map[string]any {
	var prefixed []map[string]any
	for _, o := range list {
		id, _ := o["Id"].(string)
		name, _ := o[nameKey].(string)
		if id == ref || strings.TrimPrefix(name, "/") == strings.TrimPrefix(ref, "/") {
			return o
		}
		if len(ref) >= 3 && strings.HasPrefix(id, ref) {
			prefixed = append(prefixed, o)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return nil
}

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	s, _ := cur.(string)
	return s
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func versionLess(a, b string) bool { // a < b for "1.41" style versions
	pa, pb := strings.SplitN(a, ".", 2), strings.SplitN(b, ".", 2)
	for i := 0; i < 2 && i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// apiError writes the daemon's error body: {"message": "..."}.
func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
