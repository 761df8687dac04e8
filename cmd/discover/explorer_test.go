package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/serve"
	"github.com/infragraph/infragraph/serve/browsertest"
)

// TestExplorerOnTheDemo is the explorer's promise to a new user: run the demo, then `discover
// serve`, open the printed address, and "what breaks if I delete erp-1?" is one click away.
func TestExplorerOnTheDemo(t *testing.T) {
	b := browsertest.New(t)
	dir, _, _ := runDemo(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var outb, errb syncBuffer
	e, _, _ := testEnv(nil)
	e.Stdout, e.Stderr = &outb, &errb
	done := make(chan int, 1)
	go func() { done <- runEnv(ctx, []string{"serve", "--graph", dir, "--addr", "127.0.0.1:0"}, e) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	printed := regexp.MustCompile(`infragraph explorer: (http://127\.0\.0\.1:[0-9]+/)\n`)
	waitFor(t, func() bool { return printed.MatchString(outb.String()) })
	addr := printed.FindStringSubmatch(outb.String())[1]

	b.Do("open the printed address", chromedp.Navigate(addr), chromedp.WaitVisible(chromedp.CSS("#critical")))
	b.Screenshot("demo-home")
	b.Do("click erp-1", chromedp.Click(chromedp.CSS(`#critical a[href="/n/digitalocean:droplet:1001"]`)), chromedp.WaitVisible(chromedp.ID("impact")))
	b.Screenshot("demo-erp-1")
	g, err := loadQueryGraph(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := query.Analyze(g, "digitalocean:droplet:1001")
	if err != nil {
		t.Fatal(err)
	}
	// the page counts what query.Analyze counts: the blast radius INFRA.md and MCP give
	if h := b.Text("#impact h2"); !strings.HasPrefix(h, "What breaks if erp-1 goes down") || !strings.HasSuffix(strings.TrimSpace(h), " "+strconv.Itoa(a.BlastRadius)) {
		t.Errorf("impact heading %q, want erp-1's blast radius %d", h, a.BlastRadius)
	}
	impact := b.Text("#impact")
	for _, want := range []string{"Data a deletion destroys", "erp_db-data", "used by erp-db-1", "parts go down"} {
		if !strings.Contains(impact, want) {
			t.Errorf("the impact section lacks %q:\n%s", want, impact)
		}
	}
	for _, want := range []string{"erp.acme-coffee.com", "odoo instance", "erp-proxy-1", "docker container", "admin", "vercel project", "acme-api"} {
		if !strings.Contains(impact, want) {
			t.Errorf("what breaks without erp-1 does not name %q:\n%s", want, impact)
		}
	}
}

// assertExplorerShowsNoCanary serves the explorer over a scan's output directory and reads every
// page it has (the overview, each node, each system's diagram, the scans and their diff): none
// shows a planted secret.
func assertExplorerShowsNoCanary(t *testing.T, dir string, extra ...string) {
	t.Helper()
	st := serve.NewStore(dir)
	if _, err := st.Current(); err != nil {
		t.Fatal(err)
	}
	svc := &serve.Service{Store: st}
	srv := httptest.NewServer(serve.Handler(svc, nil, serve.HTTPOptions{}))
	defer srv.Close()
	snap, _ := st.Current()
	paths := []string{"/", "/?stale=1", "/systems", "/scans", "/scans/diff"}
	for _, n := range snap.Graph.Nodes() {
		paths = append(paths, "/n/"+url.PathEscape(n.ID), "/s/"+url.PathEscape(n.ID))
	}
	read := 0
	for _, p := range paths {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			read++
		}
		for _, c := range append([]string{"CANARY"}, extra...) {
			if i := strings.Index(string(b), c); i >= 0 {
				t.Errorf("GET %s shows %q: ...%s...", p, c, b[max(0, i-120):min(len(b), i+60)])
			}
		}
	}
	if read < len(snap.Graph.Nodes()) {
		t.Errorf("only %d of %d pages answered", read, len(paths))
	}
}
