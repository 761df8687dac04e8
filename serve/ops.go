package serve

import (
	_ "embed"
	"errors"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/output"
)

// What operators and their tools read, beside the API:
//
//	GET /healthz        200 while the process serves (liveness)
//	GET /readyz         200 with the scan's id and age once a graph is loaded, else 503 (readiness)
//	GET /metrics        Prometheus exposition format
//	GET /openapi.json   the OpenAPI 3.1 description of the JSON API
//	GET /graph.mmd      the scan's Mermaid overview (text/plain)
//	GET /INFRA.md       the scan's memory doc (text/markdown)
//
// The probes answer without the bearer token: a kubelet cannot send a secret header, and they
// reveal only that a graph is loaded and how old it is. Everything else needs the token like the
// API (Prometheus sends it with `authorization: {credentials_file: ...}`).

//go:embed openapi.json
var openAPIDoc []byte

// ops holds the operational endpoints and the metrics registry of one Handler.
type ops struct {
	svc       *Service
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	now       func() time.Time
}

func newOps(svc *Service, version string) *ops {
	o := &ops{svc: svc, reg: prometheus.NewRegistry(), now: time.Now}
	o.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "infragraph_http_requests_total", Help: "HTTP requests served, by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	o.durations = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "infragraph_http_request_duration_seconds", Help: "Time to serve an HTTP request, by route pattern.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "infragraph_build_info", Help: "The running discover's version (always 1).",
	}, []string{"version"})
	if version == "" {
		version = "dev"
	}
	build.WithLabelValues(version).Set(1)
	o.reg.MustRegister(o.requests, o.durations, build, &graphCollector{svc: svc, now: func() time.Time { return o.now() }},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return o
}

// registerProbes adds /healthz and /readyz to a mux that is not behind the token.
func (o *ops) registerProbes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", o.readyz)
}

// register adds /metrics, /openapi.json and the scan's documents to the API's mux.
func (o *ops) register(mux *http.ServeMux) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(openAPIDoc)
	})
	mux.HandleFunc("GET /graph.mmd", o.document(output.OverviewFile, "text/plain; charset=utf-8"))
	// RFC 7763: text/markdown; INFRA.md is GitHub-flavoured (RFC 7764 variant).
	mux.HandleFunc("GET /INFRA.md", o.document(output.InfraFile, "text/markdown; charset=utf-8; variant=GFM"))
}

// Readiness is /readyz's answer.
type Readiness struct {
	Status     string  `json:"status"` // ready, unavailable
	Reason     string  `json:"reason,omitempty"`
	ScanID     string  `json:"scan_id,omitempty"`
	FinishedAt string  `json:"finished_at,omitempty"`
	AgeSeconds float64 `json:"age_seconds,omitempty"`
}

func (o *ops) readyz(w http.ResponseWriter, r *http.Request) {
	snap, _ := o.svc.Store.Current()
	if snap == nil {
		// No path, no error text: this endpoint answers without the token.
		writeJSON(w, http.StatusServiceUnavailable, Readiness{Status: "unavailable", Reason: "no graph loaded yet: no scan has written graph.json"})
		return
	}
	rd := Readiness{Status: "ready", ScanID: snap.Graph.Scan.ID, FinishedAt: snap.Graph.Scan.FinishedAt}
	if t, err := time.Parse(time.RFC3339, snap.Graph.Scan.FinishedAt); err == nil {
		rd.AgeSeconds = o.now().Sub(t).Truncate(time.Second).Seconds()
	}
	writeJSON(w, http.StatusOK, rd)
}

// document serves a file the scan wrote beside graph.json.
func (o *ops) document(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(output.Layout{Dir: o.svc.Store.Dir()}.Path(name))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				writeError(w, http.StatusNotFound, &Error{Code: CodeNotFound, Message: name + " not written yet: run discover scan"})
				return
			}
			writeError(w, http.StatusInternalServerError, &Error{Code: "internal", Message: "cannot read " + name})
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			writeError(w, http.StatusInternalServerError, &Error{Code: "internal", Message: "cannot read " + name})
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "", fi.ModTime(), f)
	}
}

// instrument counts every request by the pattern that served it. ServeMux records the pattern
// on the request it was given, and the muxes inside pass that same request down, so after
// next returns r.Pattern is the innermost match ("GET /api/v1/nodes/{ref...}"): a bounded set of
// labels, never a raw path.
func (o *ops) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := o.now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "other"
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete, http.MethodOptions, http.MethodPut, http.MethodPatch:
		default:
			method = "other"
		}
		o.requests.WithLabelValues(route, method, strconv.Itoa(rec.code)).Inc()
		o.durations.WithLabelValues(route).Observe(o.now().Sub(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming handlers (the MCP transport) flush through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// graphCollector reports the loaded scan at each scrape: when it ran, what each collector did,
// nodes and edges per provider, what the enrichers (rules, LLM) proposed and spent.
type graphCollector struct {
	svc *Service
	now func() time.Time
}

var (
	descLoaded       = prometheus.NewDesc("infragraph_graph_loaded", "1 when a graph is loaded and served, else 0.", nil, nil)
	descLoads        = prometheus.NewDesc("infragraph_graph_loads_total", "Scans loaded by this server since it started (a new graph.json is one more).", nil, nil)
	descScanInfo     = prometheus.NewDesc("infragraph_scan_info", "The loaded scan (always 1).", []string{"scan_id", "generator", "demo"}, nil)
	descScanFinished = prometheus.NewDesc("infragraph_scan_finished_timestamp_seconds", "When the loaded scan finished, Unix time.", nil, nil)
	descScanAge      = prometheus.NewDesc("infragraph_scan_age_seconds", "Seconds since the loaded scan finished.", nil, nil)
	descScanDuration = prometheus.NewDesc("infragraph_scan_duration_seconds", "How long the loaded scan took.", nil, nil)
	descNodes        = prometheus.NewDesc("infragraph_nodes", "Nodes in the loaded graph, by provider.", []string{"provider"}, nil)
	descStale        = prometheus.NewDesc("infragraph_stale_nodes", "Nodes carried forward stale from an earlier scan, by provider.", []string{"provider"}, nil)
	descEdges        = prometheus.NewDesc("infragraph_edges", "Edges in the loaded graph, by the provider of their source node and origin (observed, rule, llm).", []string{"provider", "origin"}, nil)
	descCollStatus   = prometheus.NewDesc("infragraph_collector_status", "Each collector instance's outcome in the loaded scan: 1 for its status, 0 for the others.", []string{"provider", "instance", "status"}, nil)
	descCollDuration = prometheus.NewDesc("infragraph_collector_duration_seconds", "How long each collector instance ran in the loaded scan.", []string{"provider", "instance"}, nil)
	descCollNodes    = prometheus.NewDesc("infragraph_collector_nodes", "Nodes each collector instance found in the loaded scan.", []string{"provider", "instance"}, nil)
	descCollEdges    = prometheus.NewDesc("infragraph_collector_edges", "Edges each collector instance found in the loaded scan.", []string{"provider", "instance"}, nil)
	descEnrich       = prometheus.NewDesc("infragraph_enrichment_edges", "Edges the enrichers proposed, the validator accepted, and that were added, in the loaded scan.", []string{"enricher", "stage"}, nil)
	descLLMCalls     = prometheus.NewDesc("infragraph_llm_calls", "LLM calls the loaded scan made, by model (cache hits excluded).", []string{"model"}, nil)
	descLLMCache     = prometheus.NewDesc("infragraph_llm_cache_hits", "LLM answers the loaded scan took from its cache, by model.", []string{"model"}, nil)
	descLLMTokens    = prometheus.NewDesc("infragraph_llm_tokens", "LLM tokens the loaded scan spent, by model and type (prompt, completion).", []string{"model", "type"}, nil)
)

// statuses are always reported, so a query for status="failed" finds 0 rather than nothing.
var statuses = []graph.Status{graph.StatusOK, graph.StatusPartial, graph.StatusFailed, graph.StatusSkipped, graph.StatusExcluded}

func (c *graphCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLoaded, descLoads, descScanInfo, descScanFinished, descScanAge, descScanDuration,
		descNodes, descStale, descEdges, descCollStatus, descCollDuration, descCollNodes, descCollEdges, descEnrich,
		descLLMCalls, descLLMCache, descLLMTokens} {
		ch <- d
	}
}

func (c *graphCollector) Collect(ch chan<- prometheus.Metric) {
	snap, _ := c.svc.Store.Current()
	if snap == nil {
		ch <- prometheus.MustNewConstMetric(descLoaded, prometheus.GaugeValue, 0)
		return
	}
	g := snap.Graph
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descLoaded, 1)
	ch <- prometheus.MustNewConstMetric(descLoads, prometheus.CounterValue, float64(snap.Gen))
	gauge(descScanInfo, 1, g.Scan.ID, g.Scan.Generator, strconv.FormatBool(g.Scan.Demo))
	finished, ferr := time.Parse(time.RFC3339, g.Scan.FinishedAt)
	if ferr == nil {
		gauge(descScanFinished, float64(finished.Unix()))
		gauge(descScanAge, c.now().Sub(finished).Seconds())
		if started, err := time.Parse(time.RFC3339, g.Scan.StartedAt); err == nil {
			gauge(descScanDuration, finished.Sub(started).Seconds())
		}
	}

	nodes, stale := map[string]int{}, map[string]int{}
	for _, n := range g.Nodes() {
		nodes[n.Provider]++
		if n.Stale {
			stale[n.Provider]++
		}
	}
	for _, p := range slices.Sorted(maps.Keys(nodes)) {
		gauge(descNodes, float64(nodes[p]), p)
		gauge(descStale, float64(stale[p]), p)
	}
	edges := map[[2]string]int{}
	for _, e := range g.Edges() {
		p := e.From
		if n, ok := g.Node(e.From); ok {
			p = n.Provider
		}
		edges[[2]string{p, string(e.Origin)}]++
	}
	for k, v := range edges {
		gauge(descEdges, float64(v), k[0], k[1])
	}

	for _, cs := range g.Collectors {
		known := false
		for _, s := range statuses {
			v := 0.0
			if cs.Status == s {
				v, known = 1, true
			}
			gauge(descCollStatus, v, cs.Provider, cs.Instance, string(s))
		}
		if !known { // a status added after this code (excluded, ...): reported as it is
			gauge(descCollStatus, 1, cs.Provider, cs.Instance, string(cs.Status))
		}
		gauge(descCollDuration, float64(cs.DurationMS)/1000, cs.Provider, cs.Instance)
		gauge(descCollNodes, float64(cs.Nodes), cs.Provider, cs.Instance)
		gauge(descCollEdges, float64(cs.Edges), cs.Provider, cs.Instance)
	}

	// scan.enrichment: "<enricher>.proposed|accepted|added" and the LLM's
	// "llm.usage.<model>.calls|cache_hits|prompt_tokens|completion_tokens" (a model name may hold
	// dots, so the field is cut from the end).
	for k, v := range g.Scan.Enrichment {
		n, ok := number(v)
		if !ok {
			continue
		}
		if rest, ok := strings.CutPrefix(k, "llm.usage."); ok {
			i := strings.LastIndexByte(rest, '.')
			if i <= 0 {
				continue
			}
			model, field := rest[:i], rest[i+1:]
			switch field {
			case "calls":
				gauge(descLLMCalls, n, model)
			case "cache_hits":
				gauge(descLLMCache, n, model)
			case "prompt_tokens":
				gauge(descLLMTokens, n, model, "prompt")
			case "completion_tokens":
				gauge(descLLMTokens, n, model, "completion")
			}
			continue
		}
		if i := strings.LastIndexByte(k, '.'); i > 0 {
			switch stage := k[i+1:]; stage {
			case "proposed", "accepted", "added":
				gauge(descEnrich, n, k[:i], stage)
			}
		}
	}
}

// number reads a JSON number (graph.json's enrichment counters decode as float64).
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}
