package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich/llm"
	"github.com/infragraph/infragraph/enrich/llm/llmfake"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
)

// recordDemoGateway makes --llm demo serve gateways the test can read; it returns them as they
// are started.
func recordDemoGateway(t *testing.T) func() []*llmfake.Gateway {
	var gws []*llmfake.Gateway
	prev := demoGateway
	demoGateway = func() *llmfake.Gateway { g := llmfake.Demo(); gws = append(gws, g); return g }
	t.Cleanup(func() { demoGateway = prev })
	return func() []*llmfake.Gateway { return gws }
}

// readmeBlock returns the README's code block that starts with first.
func readmeBlock(t *testing.T, first string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(readme), "```\n"+first)
	if i < 0 {
		t.Fatalf("README has no block starting %q", first)
	}
	rest := string(readme)[i+4:]
	return rest[:strings.Index(rest, "```")]
}

// Issue #23: the README's "Try the AI features on the demo" walkthrough, run as written with
// the in-process demo gateway: narratives with their dropped sentences counted, the LLM's
// Stripe edge scored by eval, ask with its tool calls. Every request body is free of the demo's
// canary secrets, its planted email, and the real gateway key set in the environment (hidden
// from the demo gateway).
func TestDemoGatewayREADMEWalkthrough(t *testing.T) {
	gateways := recordDemoGateway(t)
	real := map[string]string{"AI_GATEWAY_API_KEY": "CANARY-real-gateway-key"}
	dir := filepath.Join(t.TempDir(), "out")
	if !strings.Contains(readmeBlock(t, "$ discover scan --demo --llm demo"), "$ discover scan --demo --llm demo --max-bytes 0\n") {
		t.Fatal("README's scan command changed")
	}
	if code, log := scanCode(t, real, "--demo", "--llm", "demo", "--max-bytes", "0", "--out", dir); code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, log)
	}
	doc, _ := os.ReadFile(filepath.Join(dir, "INFRA.md"))
	graphJSON, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	if b := readmeBlock(t, "- **Narrative**"); !strings.Contains(string(doc), b) {
		t.Errorf("README's narrative is not in INFRA.md:\n%s", b)
	}
	if b := readmeBlock(t, `      "narrative.dropped"`); !strings.Contains(string(graphJSON), b) {
		t.Errorf("README's counts are not in graph.json:\n%s", b)
	}
	// Only grounded sentences, each marked, reach INFRA.md.
	if strings.Contains(string(doc), "legacy server") || strings.Count(string(doc), "  - (demo data) ") != strings.Count(string(doc), "- **Narrative** (model-written by `demo-data/scripted-gateway`") {
		t.Errorf("INFRA.md's narratives:\n%s", doc)
	}

	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"eval", "--truth", "../../demo/truth.yaml", "--graph", dir}, e); code != exitOK {
		t.Fatalf("eval: exit %d: %s", code, errb)
	}
	lines := strings.Split(out.String(), "\n")
	if want := "$ discover eval --truth demo/truth.yaml --graph out\n" + strings.Join(lines[2:6], "\n") + "\n"; readmeBlock(t, "$ discover eval --truth demo/truth.yaml --graph out\n           found") != want {
		t.Errorf("the README's eval example should read:\n%s", want)
	}
	if !regexp.MustCompile(`(?m)^llm +1 +1 +0 `).MatchString(out.String()) {
		t.Errorf("the LLM's Stripe edge was not found and true:\n%s", out)
	}

	q := "what breaks if I rotate the acme-prod database password?"
	e, out, errb = testEnv(real)
	if code := runEnv(context.Background(), []string{"ask", "--llm", "demo", "--graph", dir, q}, e); code != exitOK {
		t.Fatalf("ask: exit %d: %s", code, errb)
	}
	if want := "$ discover ask --llm demo \"" + q + "\"\n" + out.String(); readmeBlock(t, "$ discover ask --llm demo") != want {
		t.Errorf("the README's ask example should read:\n%s", want)
	}

	// The README: a second demo scan raises no alert (the demo estate does not change).
	if code, log := scanCode(t, real, "--demo", "--llm", "demo", "--max-bytes", "0", "--out", dir); code != exitOK {
		t.Fatalf("second scan: exit %d\n%s", code, log)
	}
	e, out, errb = testEnv(nil)
	if code := runEnv(context.Background(), []string{"alerts", "--out", dir}, e); code != exitOK || !strings.Contains(out.String(), "no alerts") {
		t.Errorf("alerts after a second demo scan: exit %d\n%s%s", code, out, errb)
	}

	gws := gateways()
	if len(gws) != 3 {
		t.Fatalf("%d demo gateways started, want 3 (scan, ask, scan)", len(gws))
	}
	n := 0
	for _, g := range gws {
		for _, b := range g.Bodies() {
			n++
			for _, bad := range []string{"CANARY", "info@odoo.com"} {
				if strings.Contains(b, bad) {
					t.Fatalf("%q was sent to the demo gateway: %.300s", bad, b)
				}
			}
		}
	}
	if n < 10 || !strings.Contains(string(graphJSON), "info@odoo.com") {
		t.Errorf("%d requests; the planted email in graph.json: %v", n, strings.Contains(string(graphJSON), "info@odoo.com"))
	}
	assertNoCanary(t, dir)
}

// --llm demo is for the demo only: a scan of real infrastructure, or a question about one, is
// refused before anything is sent.
func TestDemoGatewayOnlyForTheDemo(t *testing.T) {
	gateways := recordDemoGateway(t)
	if code, log := scanCode(t, nil, "--llm", "demo", "--out", t.TempDir()); code != exitUsage || !strings.Contains(log, "--llm demo") {
		t.Errorf("scan --llm demo without --demo: exit %d\n%s", code, log)
	}
	dir := t.TempDir()
	inst := collectors.Instance{Provider: "digitalocean", Name: "hooli", Collector: hooli(new(bool))}
	e, _, errb := testEnv(nil)
	withInstances(e, inst)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--llm", "off"}, e); code != exitOK {
		t.Fatalf("scan: exit %d: %s", code, errb)
	}
	e, _, errb = testEnv(nil)
	if code := runEnv(context.Background(), []string{"ask", "--llm", "demo", "--graph", dir, "what is hooli?"}, e); code != exitUsage || !strings.Contains(errb.String(), "real infrastructure") {
		t.Errorf("ask --llm demo on a real scan: exit %d: %s", code, errb)
	}
	for _, g := range gateways() {
		if len(g.Bodies()) > 0 {
			t.Errorf("a refused command sent %d requests", len(g.Bodies()))
		}
	}
}

// The demo gateway triages alerts: two scans of an estate whose firewalls open to the world,
// each alert triaged with grounded sentences marked demo data.
func TestDemoGatewayTriage(t *testing.T) {
	gw := llmfake.Demo()
	srv := httptest.NewServer(gw)
	defer srv.Close()
	vars := map[string]string{"DISCOVER_LLM_BASE_URL": srv.URL + "/v1", "DISCOVER_LLM_API_KEY": llmfake.DemoKey}
	dir := t.TempDir()
	open := false
	inst := collectors.Instance{Provider: "digitalocean", Name: "hooli", Collector: hooli(&open)}
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	for range 2 {
		e, _, errb := testEnv(vars)
		withInstances(e, inst)
		e.Now = clockAt(at)
		at = at.Add(time.Hour)
		if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--llm", "on"}, e); code != exitOK {
			t.Fatalf("scan: exit %d: %s", code, errb)
		}
		open = true
	}
	g, err := history.LoadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Scan.Alerts) != 3 {
		t.Fatalf("alerts %+v", g.Scan.Alerts)
	}
	for _, a := range g.Scan.Alerts {
		if a.Triage == nil || a.Triage.Model != llmfake.DemoModel || !strings.HasPrefix(a.Triage.Text, "(demo data) The exposure opened on hooli-fw-") {
			t.Errorf("%s: triage %+v", a.Subject, a.Triage)
		}
	}
	if en := g.Scan.Enrichment; en["triage.written"] != float64(3) || en["triage.dropped"] != float64(0) {
		t.Errorf("enrichment %v", en)
	}
}

// Issue #23: `discover ask` appends its rounds to the output's llm-audit.jsonl (task ask, tool
// names, token counts, the model, the question's hash, never its text), keeps the scan's
// records, drops those past llm.retention, and never writes while a scan holds the directory:
// it waits for the lock, and past askLockWait it warns and leaves the log alone.
func TestAskAuditAppended(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, nil, "--demo", "--llm", "demo", "--out", dir); code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, log)
	}
	path := filepath.Join(dir, "llm-audit.jsonl")
	scanLog, _ := os.ReadFile(path)
	old := `{"scan":"20200101T000000Z","at":"2020-01-01T00:00:00Z","task":"ask","model":"m","template_version":"ask-v1","request_sha256":"expired"}` + "\n"
	if err := os.WriteFile(path, append([]byte(old), scanLog...), 0o600); err != nil {
		t.Fatal(err)
	}
	q := "what breaks in acme-prod if jane.doe@example.com leaves?"
	ask := func() (int, string) {
		e, _, errb := testEnv(nil)
		return runEnv(context.Background(), []string{"ask", "--llm", "demo", "--graph", dir, q}, e), errb.String()
	}

	lock, err := output.Acquire(dir) // a scan writing the directory
	if err != nil {
		t.Fatal(err)
	}
	prev := askLockWait
	askLockWait = 300 * time.Millisecond
	defer func() { askLockWait = prev }()
	code, errs := ask()
	if now, _ := os.ReadFile(path); code != exitOK || !strings.Contains(errs, "audit records were not written") || string(now) != old+string(scanLog) {
		t.Fatalf("ask under a held lock: exit %d, log changed %v: %s", code, string(now) != old+string(scanLog), errs)
	}
	askLockWait = time.Minute
	done := make(chan struct{})
	go func() {
		defer close(done)
		if code, errs := ask(); code != exitOK || errs != "" {
			t.Errorf("ask: exit %d: %s", code, errs)
		}
	}()
	time.Sleep(500 * time.Millisecond)
	if now, _ := os.ReadFile(path); string(now) != old+string(scanLog) {
		t.Fatal("ask wrote the audit log while the lock was held")
	}
	lock.Release()
	<-done

	got, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(got), string(scanLog)) {
		t.Errorf("the scan's records were not kept first:\n%s", got)
	}
	if strings.Contains(string(got), "expired") || strings.Contains(string(got), "jane.doe") || strings.Contains(string(got), "what breaks") {
		t.Errorf("the log holds an expired record or the question:\n%s", got)
	}
	var tools []string
	hashes := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(strings.TrimPrefix(string(got), string(scanLog))), "\n") {
		var r llm.AuditRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Task != "ask" || r.Model != llmfake.DemoModel || r.Scan == "" || r.At == "" || r.PromptTokens == 0 || r.Redactions["email"] == 0 {
			t.Errorf("ask record %v: %s", err, l)
		}
		tools = append(tools, r.Tools...)
		hashes[r.QuestionSHA256] = true
	}
	if slices.Sort(tools); strings.Join(tools, ",") != "impact,impact,search_nodes" || len(hashes) != 1 || hashes[""] {
		t.Errorf("tools %v, question hashes %v", tools, hashes)
	}
}
