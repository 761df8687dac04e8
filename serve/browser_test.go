package serve

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/infragraph/infragraph/serve/browsertest"
)

// TestBrowser drives the explorer in a real headless chromium: the path a new user takes, the
// diagrams mermaid draws, the diff of two scans, and a node named like an XSS payload.
func TestBrowser(t *testing.T) {
	b := browsertest.New(t)
	st, err := Open(uiEstate(t))
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st}
	srv := httptest.NewServer(Handler(svc, NewMCPServer(svc, MCPOptions{}), HTTPOptions{}))
	t.Cleanup(srv.Close)
	base := srv.URL
	type css = chromedp.CSS
	rendered := css(`svg[data-rendered="true"]`)

	// Search: the box has the focus on load, so typing goes straight into it.
	b.Do("open /", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("q")))
	if focused := browsertest.Eval[string](b, `document.activeElement ? document.activeElement.id : ""`); focused != "q" {
		t.Errorf("focus on load: %q, want the search box", focused)
	}
	if got := b.Text(".banners"); !strings.Contains(got, "digitalocean/prod failed") {
		t.Errorf("no banner for the failed provider: %q", got)
	}
	b.Screenshot("home")
	// Wait for the results page itself: the page before has a results table too.
	b.Do("search", chromedp.SendKeys(chromedp.ID("q"), "storefront\n"), chromedp.WaitVisible(css(`section[data-query="storefront"] table.results`)))
	if got := b.Text("table.results tbody tr:first-child td:first-child"); strings.TrimSpace(got) != "storefront" {
		t.Errorf("first result %q, want storefront", got)
	}
	b.Screenshot("search-storefront")

	// The storefront's page: the Supabase project among its dependencies, with the edge's evidence.
	b.Do("open storefront", chromedp.Click(css("table.results tbody tr:first-child a")), chromedp.WaitVisible(chromedp.ID("deps")))
	if deps := b.Text("#deps"); !strings.Contains(deps, "acme-prod") || !strings.Contains(deps, "supabase project") {
		t.Errorf("dependencies without the Supabase project: %q", deps)
	}
	evidence := browsertest.Eval[string](b, `Array.from(document.querySelectorAll('#edges tr')).filter(r => r.textContent.includes('acme-prod')).map(r => r.textContent).join('\n')`)
	for _, want := range []string{"calls", "rule", "90%", "NEXT_PUBLIC_SUPABASE_URL", "value.host", "qwertyuiopasdfghjklz.supabase.co"} {
		if !strings.Contains(evidence, want) {
			t.Errorf("the edge to acme-prod shows no %q: %q", want, evidence)
		}
	}
	b.Screenshot("node-storefront")

	// Its diagram, drawn by mermaid in the page, nodes linked to their pages.
	b.Do("open the diagram", chromedp.Click(css(`a[href^="/s/"]`)), chromedp.WaitVisible(rendered))
	if linked := browsertest.Eval[int](b, `document.querySelectorAll('svg g.node.linked').length`); linked < 5 {
		t.Errorf("%d diagram nodes linked", linked)
	}
	b.Screenshot("diagram-storefront")
	before := browsertest.Eval[string](b, `document.querySelector('.diagram-viewport svg').style.transform`)
	b.Do("zoom", chromedp.Click(css(`[data-zoom="in"]`)))
	if after := browsertest.Eval[string](b, `document.querySelector('.diagram-viewport svg').style.transform`); after == before || !strings.Contains(after, "scale(") {
		t.Errorf("zoom: transform %q then %q", before, after)
	}
	target := nodeURL(acmeProd)
	b.Do("click a node in the diagram",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('svg g.node.linked[data-href="`+target+`"]').dispatchEvent(new MouseEvent('click', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.ID("impact")))
	if loc := browsertest.Eval[string](b, `location.pathname`); loc != target {
		t.Errorf("clicking acme-prod in the diagram went to %s, want %s", loc, target)
	}

	// Scans and the diff of two.
	b.Do("scans", chromedp.Navigate(base+"/scans"), chromedp.WaitVisible(css("table.collectors")))
	b.Screenshot("scans")
	b.Do("diff", chromedp.Click(css(`ul.scans a[href^="/scans/diff"]`)), chromedp.WaitVisible(css("p.counts")))
	if got := b.Text("main"); !strings.Contains(got, "Nodes added") || !strings.Contains(got, "marketing") || !strings.Contains(got, "Nodes gone stale") {
		t.Errorf("diff page: %.300q", got)
	}
	b.Screenshot("diff")

	// A node named like markup is text: in results, on its page and in its engine's diagram.
	b.Do("search the payload", chromedp.Navigate(base+"/?q=onerror"), chromedp.WaitVisible(css("table.results")))
	if got := b.Text("table.results tbody tr:first-child td:first-child a"); got != evilImg {
		t.Errorf("the payload's name shows as %q", got)
	}
	b.Screenshot("xss-search")
	b.Do("the payload's page", chromedp.Navigate(base+nodeURL(evilCtr)), chromedp.WaitVisible(chromedp.ID("attrs")))
	if got := b.Text("h1"); got != evilImg {
		t.Errorf("the payload's title shows as %q", got)
	}
	b.Screenshot("xss-node")
	b.Do("the payload in a diagram", chromedp.Navigate(base+systemURL(engine)), chromedp.WaitVisible(rendered))
	if svgText := browsertest.Eval[string](b, `document.querySelector('.diagram-viewport svg').textContent`); !strings.Contains(svgText, evilImg) {
		t.Errorf("the payload's name is not text in the diagram: %.500q", svgText)
	}
	b.Screenshot("xss-diagram")
	if injected := browsertest.Eval[int](b, `document.querySelectorAll('main img, main script, svg[onload], [onerror]').length`); injected != 0 {
		t.Errorf("%d injected elements in the page", injected)
	}

	// A phone: nothing wider than the screen; dark mode from the system setting.
	b.Do("phone", browsertest.Call(emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true}),
		chromedp.Navigate(base+nodeURL(storefront)), chromedp.WaitVisible(chromedp.ID("deps")))
	if browsertest.Eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Errorf("the node page scrolls sideways on a phone")
	}
	b.Screenshot("phone-node")
	b.Do("dark", browsertest.Call(emulation.ClearDeviceMetricsOverride, cdp.Empty{}),
		browsertest.Call(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}),
		chromedp.Navigate(base+systemURL(storefront)), chromedp.WaitVisible(rendered))
	if bg := browsertest.Eval[string](b, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(13, 17, 23)" {
		t.Errorf("dark mode background %q", bg)
	}
	b.Screenshot("dark-diagram")
}
