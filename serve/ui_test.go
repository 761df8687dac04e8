package serve

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// Provider-supplied names are untrusted: these must render as text everywhere.
const (
	evilImg    = `<img src=x onerror=alert(1)>`
	evilScript = `<script>alert("pwned")</script>`
	evilCtr    = "docker:container:erp-1/evil"
)

// uiEstate is the two-scan fixture whose latest graph also holds a container named like an XSS
// payload on the erp-1 engine (so it is in the engine's diagram too), with a script in an
// attribute.
func uiEstate(t testing.TB) string {
	t.Helper()
	dir := writeEstate(t)
	g := acme(true)
	if err := g.AddNode(graph.Node{ID: evilCtr, Kind: "container", Provider: "docker", Name: evilImg, Source: "docker/erp-1",
		Attrs: graph.Attrs{"image": evilScript, "label.com.example": `"><svg onload=alert(2)>`}}); err != nil {
		t.Fatal(err)
	}
	if err := g.AddEdge(graph.Observe(engine, evilCtr, "contains")); err != nil {
		t.Fatal(err)
	}
	writeGraph(t, dir, g)
	return dir
}

func newUI(t *testing.T, token string) *httptest.Server {
	t.Helper()
	st, err := Open(uiEstate(t))
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st}
	srv := httptest.NewServer(Handler(svc, NewMCPServer(svc, MCPOptions{}), HTTPOptions{Token: token}))
	t.Cleanup(srv.Close)
	return srv
}

// page fetches path (no redirects followed) and returns the status, headers and body.
func fetchPage(t *testing.T, srv *httptest.Server, path string, mod func(*http.Request)) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(req)
	}
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var inlineScript = regexp.MustCompile(`(?i)<script(\s[^>]*)?>`)

func TestUIPages(t *testing.T) {
	srv := newUI(t, "")
	pages := map[string][]string{
		"/":                                     {"Most depended on", "All 36 nodes", "digitalocean/prod failed", "GET /v2/account: 401"},
		"/?q=storefront":                        {"storefront", "DATABASE_URL"},
		"/?q=pooler.supabase.com":               {"transaction pooler"},
		"/?provider=vercel&kind=vercel:project": {"3 results", "marketing"},
		"/n/" + url.PathEscape(storefront): {"What breaks if storefront goes down", "What storefront depends on", "acme-prod",
			"qwertyuiopasdfghjklz.supabase.co", "NEXT_PUBLIC_SUPABASE_URL", "value.host", "rule</span> 90%"},
		"/n/" + odooCtr:                 {"erp-odoo-1", "runs_on"},
		"/n/" + url.PathEscape(droplet): {"stale since " + t2, "Not observed in the latest scan"},
		"/systems":                      {"Overview", `class="mermaid"`, "storefront"},
		"/s/" + url.PathEscape(engine):  {`class="mermaid"`, "data-mid=", "erp-odoo-1"},
		"/scans":                        {scan1, scan2, "failed", "list volumes: permission denied", "/scans/diff?from=" + scan1 + "&amp;to=" + scan2},
		"/scans/diff?from=" + scan1 + "&to=" + scan2: {"Nodes added", "marketing", "Nodes gone stale", "erp-1", "node_version"},
	}
	for path, wants := range pages {
		code, h, body := fetchPage(t, srv, path, nil)
		if code != 200 {
			t.Errorf("GET %s: %d %s", path, code, body)
			continue
		}
		if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: content type %q", path, ct)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		for _, m := range inlineScript.FindAllString(body, -1) {
			if !strings.Contains(m, `src="/static/`) {
				t.Errorf("GET %s: inline script %s", path, m)
			}
		}
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q in the page", path, w)
			}
		}
	}
	for path, status := range map[string]int{
		"/n/nope:nope:nope":                 404,
		"/n/erp":                            400, // ambiguous: the page lists the candidates
		"/s/" + url.PathEscape(odooCtr):     404, // not a unit with a diagram
		"/scans/diff?from=19990101T000000Z": 404,
		"/nothing":                          404,
		"/static/mermaid.min.js":            200,
		"/static/app.js":                    200,
	} {
		if code, _, body := fetchPage(t, srv, path, nil); code != status {
			t.Errorf("GET %s: %d, want %d: %.200s", path, code, status, body)
		}
	}
	if _, _, body := fetchPage(t, srv, "/n/erp", nil); !strings.Contains(body, `href="/n/`+url.PathEscape("docker:compose_project:erp-1/erp")+`"`) {
		t.Errorf("ambiguous page lists no candidate link: %s", body)
	}
}

// The search ranks the exact name first and pages on the server.
func TestUISearch(t *testing.T) {
	st, err := Open(uiEstate(t))
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := st.Current()
	x := snap.uiIndex()
	hits, total := x.search("storefront", "", "", false, 0, 2)
	if total < 5 || len(hits) != 2 || hits[0].ID != storefront {
		t.Errorf("storefront: %d %+v", total, hits)
	}
	next, total2 := x.search("storefront", "", "", false, 2, 2)
	if total2 != total || len(next) != 2 || next[0].ID == hits[1].ID {
		t.Errorf("second page %+v after %+v", next, hits)
	}
	for q, want := range map[string]string{
		"aws-0-eu-central-1.pooler": pooler,   // a host attribute
		"db_cluster":                acmePG,   // a kind
		"droplet:1001":              droplet,  // an id
		"ERP-ODOO":                  odooCtr,  // case-insensitive
		"erp.acme-coffee.com":       odooInst, // exact name first, before records and attrs naming it
		"supabase project":          acmeProd, // every word must match
		"onerror":                   evilCtr,  // names are searched as text
	} {
		hits, _ := x.search(q, "", "", false, 0, 50)
		if len(hits) == 0 || hits[0].ID != want {
			t.Errorf("search %q: %+v, want %s first", q, hits, want)
		}
	}
	if hits, total := x.search("", "vercel", "vercel:env_var", false, 0, 50); total != 5 || hits[0].Kind != "env_var" {
		t.Errorf("filter: %d %+v", total, hits)
	}
	if _, total := x.search("", "", "", false, 0, 50); total != 36 {
		t.Errorf("everything: %d", total)
	}
	if hits, total := x.search("", "", "", true, 0, 50); total != 7 || hits[0].Provider != "digitalocean" || !hits[0].Stale {
		t.Errorf("stale only: %d %+v", total, hits)
	}
	if _, total := x.search("erp", "", "", true, 0, 50); total != 3 {
		t.Errorf("stale erp: %d", total) // the droplet, its DNS record, and the app whose ODOO_URL host is erp.acme-coffee.com
	}
}

// A node named like markup renders as text on every page that shows it, and its attributes too.
func TestUIEscapes(t *testing.T) {
	srv := newUI(t, "")
	for _, path := range []string{"/?q=onerror", "/n/" + url.PathEscape(evilCtr), "/s/" + url.PathEscape(engine), "/n/" + url.PathEscape(engine)} {
		code, _, body := fetchPage(t, srv, path, nil)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		for _, raw := range []string{evilImg, evilScript, "<svg onload"} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s: %q unescaped in the page", path, raw)
			}
		}
		if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") && !strings.Contains(body, "#lt;img src=x onerror=alert(1)#gt;") {
			t.Errorf("GET %s: the name is not shown as text", path)
		}
	}
	_, _, body := fetchPage(t, srv, "/n/"+url.PathEscape(evilCtr), nil)
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
		t.Errorf("the image attribute is not shown as text")
	}
}

// With a token, a browser presents it once as ?token= and gets a cookie holding an HMAC of it;
// the cookie opens the pages, never the API; the token appears in no page, header or cookie.
func TestUIToken(t *testing.T) {
	const token = "CANARY-ui-token-4f1c"
	srv := newUI(t, token)
	if code, _, body := fetchPage(t, srv, "/", nil); code != 401 || !strings.Contains(body, "?token=") {
		t.Errorf("no token: %d %s", code, body)
	}
	if code, h, _ := fetchPage(t, srv, "/?token=wrong", nil); code != 401 || h.Get("Set-Cookie") != "" {
		t.Errorf("wrong token: %d %v", code, h)
	}
	code, h, _ := fetchPage(t, srv, "/n/"+url.PathEscape(storefront)+"?token="+token+"&impact=x", nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/n/"+url.PathEscape(storefront)+"?impact=x" {
		t.Fatalf("token exchange: %d location %q", code, h.Get("Location"))
	}
	setCookie := h.Get("Set-Cookie")
	for _, want := range []string{SessionCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("cookie %q: no %s", setCookie, want)
		}
	}
	if strings.Contains(setCookie, token) {
		t.Errorf("the cookie holds the token: %s", setCookie)
	}
	cookie := strings.Split(setCookie, ";")[0]
	withCookie := func(r *http.Request) { r.Header.Set("Cookie", cookie) }
	for _, path := range []string{"/", "/n/" + url.PathEscape(storefront), "/scans", "/static/app.js"} {
		code, h, body := fetchPage(t, srv, path, withCookie)
		if code != 200 {
			t.Errorf("GET %s with the cookie: %d", path, code)
		}
		if strings.Contains(body, token) || strings.Contains(strings.Join(h.Values("Set-Cookie"), " "), token) {
			t.Errorf("GET %s: the token is in the response", path)
		}
	}
	if code, _, _ := fetchPage(t, srv, "/api/v1/summary", withCookie); code != 401 {
		t.Errorf("the cookie opened the API: %d", code)
	}
	if code, _, _ := fetchPage(t, srv, "/api/v1/summary?token="+token, nil); code != 401 {
		t.Errorf("?token= opened the API: %d", code)
	}
	if code, _, _ := fetchPage(t, srv, "/", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }); code != 200 {
		t.Errorf("bearer header on a page: %d", code)
	}
	if code, _, _ := fetchPage(t, srv, "/", func(r *http.Request) { r.Header.Set("Cookie", SessionCookie+"="+sessionValue("other")) }); code != 401 {
		t.Errorf("a cookie for another token: %d", code)
	}
}

// The pages answer only to a loopback Host on a loopback listener (DNS rebinding).
func TestUIRebinding(t *testing.T) {
	srv := newUI(t, "")
	for _, path := range []string{"/", "/n/" + url.PathEscape(storefront), "/static/app.js"} {
		if code, _, _ := fetchPage(t, srv, path, func(r *http.Request) { r.Host = "evil.example:80" }); code != 403 {
			t.Errorf("GET %s with a foreign Host: %d", path, code)
		}
	}
}

// The node page's impact and dependencies are exactly the API's (one semantics).
func TestUIImpactMatchesAPI(t *testing.T) {
	srv := newUI(t, "")
	for _, id := range []string{droplet, engine, storefront, acmeProd} {
		_, _, body := fetchPage(t, srv, "/n/"+url.PathEscape(id), nil)
		for _, walk := range []string{"impact", "dependencies"} {
			_, _, raw := fetchPage(t, srv, "/api/v1/nodes/"+url.PathEscape(id)+"/"+walk+"?limit=500", nil)
			var w WalkResult
			if err := json.Unmarshal([]byte(raw), &w); err != nil {
				t.Fatal(err)
			}
			section := body[strings.Index(body, `id="impact"`):strings.Index(body, `id="deps"`)]
			if walk == "dependencies" {
				section = body[strings.Index(body, `id="deps"`):strings.Index(body, `id="edges"`)]
			}
			if got := max(strings.Count(section, "<tr>")-1, 0); got != w.Total {
				t.Errorf("%s %s: %d rows on the page, %d in the API", id, walk, got, w.Total)
			}
			for _, h := range w.Hits {
				if !strings.Contains(section, `href="/n/`+url.PathEscape(h.Node.ID)+`"`) {
					t.Errorf("%s %s: %s missing from the page", id, walk, h.Node.ID)
				}
			}
		}
	}
}

// The embedded mermaid bundle is the version tools/mermaid pins (the one the tests parse
// diagrams with); when npm installed it, the bytes are the package's own.
func TestMermaidBundleVersion(t *testing.T) {
	lock, err := os.ReadFile(filepath.Join("..", "tools", "mermaid", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(lock, &l); err != nil {
		t.Fatal(err)
	}
	want := l.Packages["node_modules/mermaid"].Version
	if want == "" {
		t.Fatal("no mermaid in tools/mermaid/package-lock.json")
	}
	bundle, err := uiFiles.ReadFile("ui/static/mermaid.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bundle), `version:"`+want+`"`) {
		t.Errorf("serve/ui/static/mermaid.min.js is not mermaid %s: copy tools/mermaid/node_modules/mermaid/dist/mermaid.min.js", want)
	}
	if _, err := uiFiles.ReadFile("ui/static/mermaid.LICENSE"); err != nil {
		t.Errorf("the bundle's licence is not beside it: %v", err)
	}
	installed, err := os.ReadFile(filepath.Join("..", "tools", "mermaid", "node_modules", "mermaid", "dist", "mermaid.min.js"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("scripts/test.sh installs tools/mermaid: %v", err)
		}
		t.Logf("tools/mermaid not installed (scripts/test.sh installs it): byte comparison not made")
		return
	}
	if string(installed) != string(bundle) {
		t.Errorf("serve/ui/static/mermaid.min.js differs from the installed mermaid %s: copy tools/mermaid/node_modules/mermaid/dist/mermaid.min.js", want)
	}
}

// The assets revalidate by ETag and travel compressed: mermaid is 3.5 MB.
func TestUIStatic(t *testing.T) {
	srv := newUI(t, "")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/static/mermaid.min.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req) // the raw body, not decompressed
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || etag == "" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || len(gz) > 2<<20 {
		t.Errorf("mermaid.min.js: %d %v, %d bytes", resp.StatusCode, resp.Header, len(gz))
	}
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", resp.StatusCode)
	}
	code, h, body := fetchPage(t, srv, "/static/app.css", func(r *http.Request) { r.Header.Set("Accept-Encoding", "identity") })
	if code != 200 || h.Get("Content-Encoding") != "" || !strings.Contains(body, "prefers-color-scheme: dark") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("app.css: %d %v", code, h)
	}
	if code, _, _ := fetchPage(t, srv, "/static/nothing.js", nil); code != 404 {
		t.Errorf("a missing asset: %d", code)
	}
}
