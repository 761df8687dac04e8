package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/schemas"
)

// initech emits a DigitalOcean firewall whose inbound addresses the test changes between scans.
func initech(inbound *[]string) collectors.Collector {
	return fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
		emit.Node(graph.Node{ID: "digitalocean:firewall:fw-initech", Kind: "firewall", Provider: "digitalocean", Name: "initech-fw",
			Attrs: graph.Attrs{"inbound_addresses": *inbound, "inbound_ports": []string{"tcp:22"}}})
		return nil
	})
}

// TestAlertsEndToEnd: a firewall opened to 0.0.0.0/0 between two scans is an alert in graph.json
// (valid against the JSON Schema), at the top of INFRA.md, in `discover alerts` (exit 5) and in
// the --notify payload; the first scan and an unchanged rescan have none (exit 0, no section).
func TestAlertsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	inbound := []string{"198.51.100.0/24"}
	inst := collectors.Instance{Provider: "digitalocean", Name: "initech", Collector: initech(&inbound)}
	var mu sync.Mutex
	var posts []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	scanOnce := func() {
		t.Helper()
		e, _, errb := testEnv(nil)
		withInstances(e, inst)
		e.Now = clockAt(at)
		at = at.Add(time.Hour)
		if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--llm", "off", "--notify", hook.URL}, e); code != exitOK {
			t.Fatalf("scan: exit %d: %s", code, errb)
		}
	}
	alertsCmd := func(args ...string) (int, string) {
		e, out, _ := testEnv(nil)
		code := runEnv(context.Background(), append([]string{"alerts", "--out", dir}, args...), e)
		return code, out.String()
	}
	infra := func() string { b, _ := os.ReadFile(filepath.Join(dir, "INFRA.md")); return string(b) }

	scanOnce()
	if code, out := alertsCmd(); code != exitOK || !strings.Contains(out, "no previous scan") {
		t.Errorf("first scan: alerts exit %d:\n%s", code, out)
	}
	scanOnce()
	if code, out := alertsCmd(); code != exitOK || !strings.Contains(out, "no alerts") {
		t.Errorf("unchanged rescan: alerts exit %d:\n%s", code, out)
	}
	if strings.Contains(infra(), "ALERTS") {
		t.Errorf("INFRA.md of an unchanged rescan has an ALERTS section")
	}

	inbound = []string{"198.51.100.0/24", "0.0.0.0/0"}
	scanOnce()
	code, out := alertsCmd()
	readme, _ := os.ReadFile("../../README.md")
	if code != exitAlerts || !strings.Contains(string(readme), "$ discover alerts\n"+out+"```") {
		t.Errorf("alerts exit %d; the README's example should read:\n%s", code, out)
	}
	code, out = alertsCmd("-o", "json")
	var rep alertsReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitAlerts || len(rep.Alerts) != 1 || rep.Alerts[0].Kind != graph.AlertExposureOpened {
		t.Errorf("alerts -o json exit %d (%v):\n%s", code, err, out)
	}
	// the scan before still had none
	if code, _ := alertsCmd("previous"); code != exitOK {
		t.Errorf("alerts previous: exit %d", code)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "triage") {
		t.Error("--llm off: graph.json mentions a triage")
	}
	if errs := schemas.ValidateJSON(raw); len(errs) > 0 {
		t.Errorf("graph.json with an alert fails its schema: %v", errs)
	}
	doc := infra()
	alertsAt, summaryAt := strings.Index(doc, "## ALERTS"), strings.Index(doc, "## Summary")
	if alertsAt < 0 || alertsAt > summaryAt || !strings.Contains(doc, "- **exposure opened**: firewall \"initech-fw\" now allows inbound traffic from 0.0.0.0/0 (`digitalocean:firewall:fw-initech`)") {
		t.Errorf("INFRA.md:\n%s", doc[:min(len(doc), 1500)])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) == 0 || !strings.Contains(posts[len(posts)-1], "ALERT exposure opened: firewall") {
		t.Errorf("notification: %q", posts)
	}
}

// A triaged alert's paragraph follows its ALERT line in the notification, marked model-written.
func TestNotifyCarriesTheTriage(t *testing.T) {
	g := graph.New()
	g.Scan.ID = "20261120T080000Z"
	g.Scan.Alerts = []graph.Alert{{Kind: graph.AlertExposureOpened, Subject: "digitalocean:firewall:fw-a", Message: `firewall "a" now allows inbound traffic from 0.0.0.0/0`,
		Triage: &graph.Triage{Text: "Check who widened <the rule>.", Model: "m1", Cites: []string{"digitalocean:firewall:fw-a"}}}}
	body, ok := notifyPayload(&scan.Result{Graph: g, Changes: &history.Changes{}}, nil)
	var p struct{ Text string }
	if err := json.Unmarshal(body, &p); !ok || err != nil || !strings.Contains(p.Text, "ALERT exposure opened: firewall \"a\" now allows inbound traffic from 0.0.0.0/0\ntriage, model-written by m1 (citations checked): Check who widened &lt;the rule&gt;.") {
		t.Errorf("payload (%v): %s", err, body)
	}
}
