package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/infragraph/infragraph/query"
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
	for _, want := range []string{"erp.acme-coffee.com", "odoo instance", "erp-proxy-1", "docker container", "admin", "vercel project", "acme-api"} {
		if !strings.Contains(impact, want) {
			t.Errorf("what breaks without erp-1 does not name %q:\n%s", want, impact)
		}
	}
}
