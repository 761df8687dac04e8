// Package browsertest drives a real headless chromium for the web explorer's tests, through
// chromedp over the DevTools protocol: Debian's chromium, which scripts/test.sh installs (no
// browser download). A Browser records what a page must never do (open a dialog, throw, log an
// error such as a Content-Security-Policy violation or a failed request) and keeps a screenshot of
// each page for review under $INFRAGRAPH_ARTIFACTS/screenshots/<test>/.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Find returns the browser to drive: $INFRAGRAPH_CHROMIUM, or chromium on the PATH.
func Find() string {
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

// Browser is one headless chromium tab and what it reported.
type Browser struct {
	Ctx  context.Context
	t    testing.TB
	dir  string
	mu   sync.Mutex
	bad  []string
	shot int
}

// New starts chromium for the test (closed at its end). Without chromium the test is skipped,
// and fails under CI=true.
func New(t *testing.T) *Browser {
	t.Helper()
	chrome := Find()
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
	b := &Browser{Ctx: ctx, t: t, dir: screenshotDir(t)}
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
	t.Cleanup(b.check)
	return b
}

// screenshotDir is $INFRAGRAPH_ARTIFACTS/screenshots/<test> (scripts/test.sh sets it), or a
// temporary directory.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := os.Getenv("INFRAGRAPH_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "screenshots", strings.ReplaceAll(t.Name(), "/", "_"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *Browser) report(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bad = append(b.bad, fmt.Sprintf(format, args...))
}

// check fails the test for every dialog, exception and console error the pages produced.
func (b *Browser) check() {
	time.Sleep(200 * time.Millisecond) // a late dialog or error still gets reported
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.bad {
		b.t.Errorf("the browser reported %s", s)
	}
}

// Do runs actions and fails the test, with a screenshot, when one fails.
func (b *Browser) Do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.Screenshot("failed-" + step)
		b.t.Fatalf("%s: %v", step, err)
	}
}

// Screenshot saves the whole page as NN-name.png.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.shot++
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shot, name)), png, 0o644); err != nil {
		b.t.Error(err)
	}
}

// Text is the text of the first element sel (CSS) selects.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// Eval evaluates js in the page and decodes its value.
func Eval[T any](b *Browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// Call sends a protocol command as an action.
func Call[P any](cmd cdp.Command[P, cdp.Empty], params P) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, cmd, params)
		return chromedp.Void{}, err
	}
}
