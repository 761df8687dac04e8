package serve

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func fetch(t *testing.T, srv *httptest.Server, path, token, host string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestProbes: /healthz always answers; /readyz answers 503 until a graph lands, then 200 with
// the scan and its age; both without the token, while everything else still needs it.
func TestProbes(t *testing.T) {
	const token = "s3cret-CANARY-token"
	dir := t.TempDir()
	svc := &Service{Store: NewStore(dir)}
	srv := httptest.NewServer(Handler(svc, nil, HTTPOptions{Token: token}))
	defer srv.Close()

	resp, body := fetch(t, srv, "/healthz", "", "")
	if resp.StatusCode != 200 || string(body) != "ok\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("/healthz: %d %q %s", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	resp, body = fetch(t, srv, "/readyz", "", "")
	var rd Readiness
	json.Unmarshal(body, &rd)
	if resp.StatusCode != 503 || rd.Status != "unavailable" || strings.Contains(string(body), dir) {
		t.Errorf("/readyz before a scan: %d %s", resp.StatusCode, body)
	}

	g := acme(true)
	writeGraph(t, dir, g)
	resp, body = fetch(t, srv, "/readyz", "", "")
	rd = Readiness{}
	json.Unmarshal(body, &rd)
	if resp.StatusCode != 200 || rd.Status != "ready" || rd.ScanID != scan2 || rd.FinishedAt != t2 || rd.AgeSeconds <= 0 {
		t.Errorf("/readyz after a scan: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/metrics", "/openapi.json", "/api/v1/summary"} {
		if resp, _ := fetch(t, srv, p, "", ""); resp.StatusCode != 401 {
			t.Errorf("%s without the token: %d, want 401", p, resp.StatusCode)
		}
		if resp, _ := fetch(t, srv, p, token, ""); resp.StatusCode != 200 {
			t.Errorf("%s with the token: %d", p, resp.StatusCode)
		}
	}
	// The DNS-rebinding guard covers the probes on a loopback listener too.
	if resp, _ := fetch(t, srv, "/readyz", "", "evil.example.com"); resp.StatusCode != 403 {
		t.Errorf("/readyz with a foreign Host: %d, want 403", resp.StatusCode)
	}
}

// TestDocuments: graph.mmd and INFRA.md are served from the output directory with their types.
func TestDocuments(t *testing.T) {
	srv, dir := newHTTP(t, "")
	os.WriteFile(filepath.Join(dir, "graph.mmd"), []byte("flowchart LR\n  a --> b\n"), 0o644)
	for path, want := range map[string]string{
		"/graph.mmd": "text/plain; charset=utf-8",
		"/INFRA.md":  "text/markdown; charset=utf-8; variant=GFM",
	} {
		resp, body := fetch(t, srv, path, "", "")
		disk, _ := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(path, "/")))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want || !bytes.Equal(body, disk) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %q %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	os.Remove(filepath.Join(dir, "graph.mmd"))
	if resp, _ := fetch(t, srv, "/graph.mmd", "", ""); resp.StatusCode != 404 {
		t.Errorf("missing graph.mmd: %d", resp.StatusCode)
	}
}

// TestMetrics scrapes /metrics, parses it with Prometheus's own text parser and lints it with
// promlint, and checks the values against the loaded graph.
func TestMetrics(t *testing.T) {
	dir := t.TempDir()
	g := acme(true)
	g.Scan.Enrichment = map[string]any{"rules.proposed": 5, "rules.accepted": 4, "rules.added": 3,
		"llm.usage.gpt-4.1-mini.calls": 2, "llm.usage.gpt-4.1-mini.prompt_tokens": 1200,
		"llm.usage.gpt-4.1-mini.completion_tokens": 300, "llm.usage.gpt-4.1-mini.cache_hits": 1}
	writeGraph(t, dir, g)
	svc := &Service{Store: NewStore(dir)}
	srv := httptest.NewServer(Handler(svc, nil, HTTPOptions{Version: "v9.9.9"}))
	defer srv.Close()
	fetch(t, srv, "/api/v1/summary", "", "")
	fetch(t, srv, "/api/v1/nodes/"+storefront, "", "")
	fetch(t, srv, "/api/v1/nodes/nope:nope:nope", "", "")

	resp, body := fetch(t, srv, "/metrics", "", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "infragraph_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		f := families[name]
		if f == nil {
			return 0, false
		}
	next:
		for _, m := range f.Metric {
			got := map[string]string{}
			for _, l := range m.Label {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return metricValue(m), true
		}
		return 0, false
	}
	vercel := 0
	for _, n := range g.Nodes() {
		if n.Provider == "vercel" {
			vercel++
		}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"infragraph_graph_loaded", nil, 1},
		{"infragraph_build_info", map[string]string{"version": "v9.9.9"}, 1},
		{"infragraph_scan_info", map[string]string{"scan_id": scan2}, 1},
		{"infragraph_nodes", map[string]string{"provider": "vercel"}, float64(vercel)},
		{"infragraph_collector_status", map[string]string{"provider": "digitalocean", "instance": "prod", "status": "failed"}, 1},
		{"infragraph_collector_status", map[string]string{"provider": "digitalocean", "instance": "prod", "status": "ok"}, 0},
		{"infragraph_collector_duration_seconds", map[string]string{"provider": "digitalocean", "instance": "prod"}, 0.12},
		{"infragraph_enrichment_edges", map[string]string{"enricher": "rules", "stage": "accepted"}, 4},
		{"infragraph_llm_calls", map[string]string{"model": "gpt-4.1-mini"}, 2},
		{"infragraph_llm_tokens", map[string]string{"model": "gpt-4.1-mini", "type": "prompt"}, 1200},
		{"infragraph_llm_tokens", map[string]string{"model": "gpt-4.1-mini", "type": "completion"}, 300},
		{"infragraph_http_requests_total", map[string]string{"route": "GET /api/v1/summary", "method": "GET", "code": "200"}, 1},
		{"infragraph_http_requests_total", map[string]string{"route": "GET /api/v1/nodes/{ref...}", "code": "404"}, 1},
	} {
		got, ok := value(c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if age, ok := value("infragraph_scan_age_seconds", nil); !ok || age <= 0 {
		t.Errorf("infragraph_scan_age_seconds = %v, %v", age, ok)
	}
	if strings.Contains(string(body), "prj_storefront") {
		t.Error("a raw request path became a label: routes must be patterns")
	}
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return -1
}

// TestOpenAPI: the document is valid OpenAPI 3.1 (checked by a validator from npm), describes
// every route the server registers, and every documented GET answers with a status and a body
// that the document describes (each JSON body validated against its schema).
func TestOpenAPI(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Ref     string `json:"$ref"`
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}

	// Every GET pattern the code registers (but the web explorer's pages, documented in the
	// README) is a documented path; {ref...} stands for the three node paths.
	var src []byte
	for _, f := range []string{"http.go", "ops.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	for _, m := range regexp.MustCompile(`"GET (/[^"]*)"`).FindAllSubmatch(src, -1) {
		p := string(m[1])
		paths := []string{p}
		if p == "/api/v1/nodes/{ref...}" {
			paths = []string{"/api/v1/nodes/{id}", "/api/v1/nodes/{id}/dependencies", "/api/v1/nodes/{id}/impact"}
		}
		for _, p := range paths {
			if _, ok := doc.Paths[p]["get"]; !ok {
				t.Errorf("GET %s is served but not in openapi.json", p)
			}
		}
	}

	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPIDoc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi.json", inst); err != nil {
		t.Fatal(err)
	}
	schemaFor := func(raw json.RawMessage) *jsonschema.Schema {
		var s struct {
			Ref string `json:"$ref"`
		}
		json.Unmarshal(raw, &s)
		if s.Ref == "" {
			return nil
		}
		sch, err := c.Compile("openapi.json" + s.Ref)
		if err != nil {
			t.Fatalf("compile %s: %v", s.Ref, err)
		}
		return sch
	}

	srv, dir := newHTTP(t, "")
	os.WriteFile(filepath.Join(dir, "graph.mmd"), []byte("flowchart LR\n"), 0o644)
	examples := map[string]string{
		"/api/v1/nodes/{id}":              "/api/v1/nodes/" + storefront,
		"/api/v1/nodes/{id}/dependencies": "/api/v1/nodes/" + storefront + "/dependencies",
		"/api/v1/nodes/{id}/impact":       "/api/v1/nodes/" + storefront + "/impact",
		"/api/v1/path":                    "/api/v1/path?from=prj_storefront&to=prj_admin",
	}
	for p, ops := range doc.Paths {
		get, ok := ops["get"]
		if !ok {
			continue
		}
		url := p
		if ex, ok := examples[p]; ok {
			url = ex
		}
		resp, body := fetch(t, srv, url, "", "")
		code := http.StatusText(resp.StatusCode)
		r, ok := get.Responses[itoa(resp.StatusCode)]
		if !ok {
			t.Errorf("GET %s: status %d (%s) is not documented", url, resp.StatusCode, code)
			continue
		}
		content := r.Content
		if r.Ref != "" {
			content = doc.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")].Content
		}
		mt := strings.TrimSpace(strings.SplitN(resp.Header.Get("Content-Type"), ";", 2)[0])
		media, ok := content[mt]
		if !ok {
			t.Errorf("GET %s: content type %s is not documented", url, mt)
			continue
		}
		if sch := schemaFor(media.Schema); sch != nil {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("GET %s: %v", url, err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("GET %s: the body does not match the documented schema: %v", url, err)
			}
		}
	}

	// The document itself, by an OpenAPI 3.1 validator.
	dirc := os.Getenv("INFRAGRAPH_CONSUMERS")
	if dirc == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INFRAGRAPH_CONSUMERS is not set: run the tests through scripts/test.sh")
		}
		t.Skip("INFRAGRAPH_CONSUMERS is not set; run scripts/test.sh ./serve/... for the OpenAPI validator")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"openapi":"3.1.0","info":{"title":"x"},"paths":{}}`), 0o644)
	out, err := exec.Command("node", filepath.Join(dirc, "openapi.mjs"), "openapi.json", bad).Output()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err == nil || len(lines) != 2 || !strings.Contains(lines[0], `"ok":true`) || !strings.Contains(lines[1], `"ok":false`) {
		t.Errorf("openapi validator: %v\n%s", err, out)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
