package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func newHTTP(t *testing.T, token string) (*httptest.Server, string) {
	t.Helper()
	dir := writeEstate(t)
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st}
	srv := httptest.NewServer(Handler(svc, NewMCPServer(svc, MCPOptions{}), HTTPOptions{Token: token}))
	t.Cleanup(srv.Close)
	return srv, dir
}

// get fetches path and decodes the JSON body into out; it returns the status.
func get(t *testing.T, srv *httptest.Server, path, token string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("GET %s: content type %q", path, ct)
	}
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		reflect.ValueOf(out).Elem().SetZero() // Unmarshal merges into what is there
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, raw)
		}
	}
	return resp.StatusCode
}

type apiError struct {
	Error Error `json:"error"`
}

func TestHTTPAPI(t *testing.T) {
	srv, _ := newHTTP(t, "")
	var sum SummaryResult
	if code := get(t, srv, "/api/v1/summary", "", &sum); code != 200 || sum.Nodes != 35 || len(sum.Critical) == 0 || len(sum.Systems) != 10 {
		t.Errorf("summary %d %+v", code, sum)
	}
	var st StatusResult
	if code := get(t, srv, "/api/v1/status", "", &st); code != 200 || st.StaleNodes != 7 || len(st.Collectors) != 5 {
		t.Errorf("status %d %+v", code, st)
	}
	var nodes SearchResult
	get(t, srv, "/api/v1/nodes?provider=vercel&kind=project&attr=framework%3Dnextjs&limit=1&include_attrs=true", "", &nodes)
	if nodes.Total != 2 || len(nodes.Nodes) != 1 || nodes.NextCursor == "" || nodes.Nodes[0].Attrs["framework"] != "nextjs" {
		t.Errorf("nodes %+v", nodes)
	}
	get(t, srv, "/api/v1/nodes?provider=vercel&kind=project&attr=framework%3Dnextjs&limit=1&cursor="+nodes.NextCursor, "", &nodes)
	if len(nodes.Nodes) != 1 || nodes.Nodes[0].ID != storefront || nodes.NextCursor != "" {
		t.Errorf("second page %+v", nodes)
	}
	// No match is an empty list, not null: clients iterate over it.
	var raw map[string]json.RawMessage
	if code := get(t, srv, "/api/v1/nodes?name=no-such-name", "", &raw); code != 200 || string(raw["nodes"]) != "[]" {
		t.Errorf("no match: %d nodes=%s", code, raw["nodes"])
	}
	var n NodeResult
	// An id with "/" in it, plain and escaped.
	for _, p := range []string{"/api/v1/nodes/" + odooCtr, "/api/v1/nodes/" + url.PathEscape(odooCtr)} {
		n = NodeResult{}
		if code := get(t, srv, p, "", &n); code != 200 || n.Node.ID != odooCtr || n.InTotal != 3 {
			t.Errorf("GET %s: %d %+v", p, code, n.Node)
		}
	}
	var w WalkResult
	if code := get(t, srv, "/api/v1/nodes/prj_storefront/dependencies?depth=1", "", &w); code != 200 || w.Total != 5 || w.Node.ID != storefront {
		t.Errorf("dependencies %d %+v", code, w)
	}
	if code := get(t, srv, "/api/v1/nodes/"+odooCtr+"/impact", "", &w); code != 200 || w.Total != 6 || w.Hits[1].Node.ID != odooInst || w.Hits[1].Node.Stale ||
		w.Hits[0].Node.ID != "docker:compose_service:erp-1/erp/odoo" || w.BlastRadius == nil || *w.BlastRadius != w.Total {
		t.Errorf("impact of the odoo container %d: %+v", code, w.Hits)
	}
	var p PathResult
	if code := get(t, srv, "/api/v1/path?from=prj_storefront&to=acme-pg", "", &p); code != 200 || !p.Directed || len(p.Steps) != 3 {
		t.Errorf("path %d %+v", code, p)
	}
	var c ChangesResult
	if code := get(t, srv, "/api/v1/changes?since=previous", "", &c); code != 200 || c.Summary.Since != scan1 || c.Summary.NodesAdded != 1 {
		t.Errorf("changes %d %+v", code, c.Summary)
	}

	for _, tc := range []struct {
		path, code string
		status     int
	}{
		{"/api/v1/nodes/nope:nope:nope", CodeNotFound, 404},
		{"/api/v1/nodes/no-such-node/impact", CodeNotFound, 404},
		{"/api/v1/nodes/erp", CodeAmbiguous, 400},
		{"/api/v1/nodes/prj_storefront/dependencies?depth=two", CodeBadRequest, 400},
		{"/api/v1/nodes?limit=-1", CodeBadRequest, 400},
		{"/api/v1/path?from=prj_admin", CodeBadRequest, 400},
		{"/api/v1/path?from=prj_admin&to=ghost", CodeNotFound, 404},
		{"/api/v1/changes?since=19990101T000000Z", CodeNotFound, 404},
		{"/api/v1/nothing", CodeNotFound, 404},
	} {
		var e apiError
		if got := get(t, srv, tc.path, "", &e); got != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
			t.Errorf("GET %s: %d %+v, want %d %s", tc.path, got, e.Error, tc.status, tc.code)
		}
	}
	var e apiError
	get(t, srv, "/api/v1/nodes/erp", "", &e)
	if len(e.Error.Candidates) != 2 {
		t.Errorf("ambiguous candidates %v", e.Error.Candidates)
	}

	resp, err := srv.Client().Post(srv.URL+"/api/v1/status", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

func TestHTTPToken(t *testing.T) {
	const token = "CANARY-serve-token"
	srv, _ := newHTTP(t, token)
	for _, tc := range []struct {
		name, header string
		status       int
	}{
		{"missing", "", 401},
		{"wrong", "Bearer nope", 401},
		{"not bearer", token, 401},
		{"prefix", "Bearer " + token[:5], 401},
		{"right", "Bearer " + token, 200},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/status", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if tc.status == 401 && (resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(string(raw), `"code":"unauthorized"`)) {
			t.Errorf("%s: %s %s", tc.name, resp.Header, raw)
		}
		if strings.Contains(string(raw), token) {
			t.Errorf("%s: the token is in the response", tc.name)
		}
	}

	// /mcp is behind the same check.
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "t"}, nil)
	if cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp", MaxRetries: -1}, nil); err == nil {
		cs.Close()
		t.Error("MCP without the token connected")
	}
	hc := &http.Client{Transport: bearer{token, http.DefaultTransport}}
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "dependencies", Arguments: map[string]any{"id": "prj_storefront"}})
	if err != nil || res.IsError || textOf(res) != "storefront depends on 11 node(s), 3 stale." {
		t.Errorf("MCP over HTTP: %v %+v", err, res)
	}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// TestHTTPRebinding: a page on another origin that rebinds its DNS name to 127.0.0.1 reaches the
// server with its own Host header, and is refused.
func TestHTTPRebinding(t *testing.T) {
	srv, _ := newHTTP(t, "")
	for host, want := range map[string]int{"evil.example:80": 403, "localhost:8765": 200, "127.0.0.1": 200, "[::1]:8765": 200} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/status", nil)
		req.Host = host
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

func TestCheckBind(t *testing.T) {
	for _, tc := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8765", "", true},
		{"localhost:8765", "", true},
		{"[::1]:8765", "", true},
		{"127.0.0.2:0", "", true},
		{"0.0.0.0:8765", "", false},
		{":8765", "", false},
		{"192.168.1.10:8765", "", false},
		{"example.com:80", "", false},
		{"0.0.0.0:8765", "s3cret", true},
		{"8765", "", false},
	} {
		err := CheckBind(tc.addr, tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("CheckBind(%q, token %v): %v", tc.addr, tc.token != "", err)
		}
		if err != nil && tc.ok == false && !strings.Contains(err.Error(), "--addr") {
			t.Errorf("CheckBind(%q): %v does not name the flag", tc.addr, err)
		}
	}
}

func TestHTTPServerTimeouts(t *testing.T) {
	s := NewHTTPServer("127.0.0.1:0", http.NotFoundHandler(), nil)
	if s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 {
		t.Errorf("timeouts %+v", s)
	}
}

// TestConcurrentReload hammers the API and /mcp while new scans land; run with -race.
func TestConcurrentReload(t *testing.T) {
	srv, dir := newHTTP(t, "")
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	stop := make(chan struct{})
	errs := make(chan error, 16)
	for i := 0; i < 4; i++ {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				resp, err := srv.Client().Get(srv.URL + "/api/v1/nodes/prj_storefront/dependencies")
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("dependencies: %d", resp.StatusCode)
					return
				}
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "scan_status"})
				if err != nil || res.IsError {
					errs <- fmt.Errorf("scan_status: %v %v", err, res)
					return
				}
				if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: SummaryURI}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		g := acme(i%2 == 0)
		g.Scan.ID = fmt.Sprintf("20261122T06%02d00Z", i)
		writeGraph(t, dir, g)
	}
	close(stop)
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var st StatusResult
	get(t, srv, "/api/v1/status", "", &st)
	if st.Scan.ID != "20261122T061900Z" {
		t.Errorf("after the last write: %s", st.Scan.ID)
	}
}
