package serve

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// findChromium returns the browser the browser tests drive: $INFRAGRAPH_CHROMIUM, or Debian's
// chromium (scripts/test.sh installs it).
func findChromium() string {
	if p := os.Getenv("INFRAGRAPH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotDir is where the browser tests keep their screenshots for review: under
// $INFRAGRAPH_ARTIFACTS (scripts/test.sh sets it) or a temporary directory.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := os.Getenv("INFRAGRAPH_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is a headless chromium tab with what it reported: dialogs (alert, confirm), uncaught
// exceptions and console or CSP errors.
type browser struct {
	ctx  context.Context
	t    *testing.T
	dir  string
	mu   sync.Mutex
	bad  []string
	shot int
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	chrome := findChromium()
	if chrome == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium: scripts/test.sh installs Debian's chromium (or set INFRAGRAPH_CHROMIUM)")
		}
		t.Skip("no chromium (scripts/test.sh installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.WindowSize(1000, 1000),
		chromedp.Flag("disable-dev-shm-usage", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses to run its sandbox as root
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{ctx: ctx, t: t, dir: screenshotDir(t)}
	// Subscribing starts the browser and opens the tab.
	dialogs := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	console := chromedp.Console(ctx)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.report("dialog %s: %q", ev.Type, ev.Message)
			_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.report("console %s: %s (%s:%d)", m.Type, m, m.URL, m.Line+1)
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", chrome, err)
	}
	t.Logf("screenshots in %s", b.dir)
	return b
}

func (b *browser) report(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bad = append(b.bad, fmt.Sprintf(format, args...))
}

// do runs actions and fails the test, with a screenshot, when one fails.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.screenshot("failed-" + step)
		b.t.Fatalf("%s: %v", step, err)
	}
}

// screenshot saves the whole page as NN-name.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.shot++
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shot, name)), png, 0o644); err != nil {
		b.t.Error(err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// cdpCall sends a protocol command as an action.
func cdpCall[P any](cmd cdp.Command[P, cdp.Empty], params P) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, cmd, params)
		return chromedp.Void{}, err
	}
}

// TestBrowser drives the explorer in a real headless chromium: the path a new user takes, the
// diagrams mermaid draws, the diff of two scans, and a node named like an XSS payload.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
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
	b.do("open /", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("q")))
	if focused := eval[string](b, `document.activeElement ? document.activeElement.id : ""`); focused != "q" {
		t.Errorf("focus on load: %q, want the search box", focused)
	}
	if got := b.text(".banners"); !strings.Contains(got, "digitalocean/prod failed") {
		t.Errorf("no banner for the failed provider: %q", got)
	}
	b.screenshot("home")
	// Wait for the results page itself: the page before has a results table too.
	b.do("search", chromedp.SendKeys(chromedp.ID("q"), "storefront\n"), chromedp.WaitVisible(css(`section[data-query="storefront"] table.results`)))
	if got := b.text("table.results tbody tr:first-child td:first-child"); strings.TrimSpace(got) != "storefront" {
		t.Errorf("first result %q, want storefront", got)
	}
	b.screenshot("search-storefront")

	// The storefront's page: the Supabase project among its dependencies, with the edge's evidence.
	b.do("open storefront", chromedp.Click(css("table.results tbody tr:first-child a")), chromedp.WaitVisible(chromedp.ID("deps")))
	if deps := b.text("#deps"); !strings.Contains(deps, "acme-prod") || !strings.Contains(deps, "supabase project") {
		t.Errorf("dependencies without the Supabase project: %q", deps)
	}
	evidence := eval[string](b, `Array.from(document.querySelectorAll('#edges tr')).filter(r => r.textContent.includes('acme-prod')).map(r => r.textContent).join('\n')`)
	for _, want := range []string{"calls", "rule", "90%", "NEXT_PUBLIC_SUPABASE_URL", "value.host", "qwertyuiopasdfghjklz.supabase.co"} {
		if !strings.Contains(evidence, want) {
			t.Errorf("the edge to acme-prod shows no %q: %q", want, evidence)
		}
	}
	b.screenshot("node-storefront")

	// Its diagram, drawn by mermaid in the page, nodes linked to their pages.
	b.do("open the diagram", chromedp.Click(css(`a[href^="/s/"]`)), chromedp.WaitVisible(rendered))
	if linked := eval[int](b, `document.querySelectorAll('svg g.node.linked').length`); linked < 5 {
		t.Errorf("%d diagram nodes linked", linked)
	}
	b.screenshot("diagram-storefront")
	before := eval[string](b, `document.querySelector('.diagram-viewport svg').style.transform`)
	b.do("zoom", chromedp.Click(css(`[data-zoom="in"]`)))
	if after := eval[string](b, `document.querySelector('.diagram-viewport svg').style.transform`); after == before || !strings.Contains(after, "scale(") {
		t.Errorf("zoom: transform %q then %q", before, after)
	}
	target := nodeURL(acmeProd)
	b.do("click a node in the diagram",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('svg g.node.linked[data-href="`+target+`"]').dispatchEvent(new MouseEvent('click', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.ID("impact")))
	if loc := eval[string](b, `location.pathname`); loc != target {
		t.Errorf("clicking acme-prod in the diagram went to %s, want %s", loc, target)
	}

	// Scans and the diff of two.
	b.do("scans", chromedp.Navigate(base+"/scans"), chromedp.WaitVisible(css("table.collectors")))
	b.screenshot("scans")
	b.do("diff", chromedp.Click(css(`ul.scans a[href^="/scans/diff"]`)), chromedp.WaitVisible(css("p.counts")))
	if got := b.text("main"); !strings.Contains(got, "Nodes added") || !strings.Contains(got, "marketing") || !strings.Contains(got, "Nodes gone stale") {
		t.Errorf("diff page: %.300q", got)
	}
	b.screenshot("diff")

	// A node named like markup is text: in results, on its page and in its engine's diagram.
	b.do("search the payload", chromedp.Navigate(base+"/?q=onerror"), chromedp.WaitVisible(css("table.results")))
	if got := b.text("table.results tbody tr:first-child td:first-child a"); got != evilImg {
		t.Errorf("the payload's name shows as %q", got)
	}
	b.screenshot("xss-search")
	b.do("the payload's page", chromedp.Navigate(base+nodeURL(evilCtr)), chromedp.WaitVisible(chromedp.ID("attrs")))
	if got := b.text("h1"); got != evilImg {
		t.Errorf("the payload's title shows as %q", got)
	}
	b.screenshot("xss-node")
	b.do("the payload in a diagram", chromedp.Navigate(base+systemURL(engine)), chromedp.WaitVisible(rendered))
	if svgText := eval[string](b, `document.querySelector('.diagram-viewport svg').textContent`); !strings.Contains(svgText, evilImg) {
		t.Errorf("the payload's name is not text in the diagram: %.500q", svgText)
	}
	b.screenshot("xss-diagram")
	if injected := eval[int](b, `document.querySelectorAll('main img, main script, svg[onload], [onerror]').length`); injected != 0 {
		t.Errorf("%d injected elements in the page", injected)
	}

	// A phone: nothing wider than the screen; dark mode from the system setting.
	b.do("phone", cdpCall(emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true}),
		chromedp.Navigate(base+nodeURL(storefront)), chromedp.WaitVisible(chromedp.ID("deps")))
	if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Errorf("the node page scrolls sideways on a phone")
	}
	b.screenshot("phone-node")
	b.do("dark", cdpCall(emulation.ClearDeviceMetricsOverride, cdp.Empty{}),
		cdpCall(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}),
		chromedp.Navigate(base+systemURL(storefront)), chromedp.WaitVisible(rendered))
	if bg := eval[string](b, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(13, 17, 23)" {
		t.Errorf("dark mode background %q", bg)
	}
	b.screenshot("dark-diagram")

	time.Sleep(200 * time.Millisecond) // a late dialog or error still gets reported
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.bad {
		t.Errorf("the browser reported %s", s)
	}
}
