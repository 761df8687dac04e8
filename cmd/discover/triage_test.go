package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich/llm/llmfake"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/schemas"
)

// hooli has three DigitalOcean firewalls protecting one droplet; *open opens all three to the
// world.
func hooli(open *bool) collectors.Collector {
	return fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
		emit.Node(graph.Node{ID: "digitalocean:droplet:7", Kind: "droplet", Provider: "digitalocean", Name: "hooli-web"})
		for _, fw := range []string{"fw-a", "fw-b", "fw-c"} {
			in := []string{"198.51.100.0/24"}
			if *open {
				in = append(in, "0.0.0.0/0")
			}
			id := "digitalocean:firewall:" + fw
			emit.Node(graph.Node{ID: id, Kind: "firewall", Provider: "digitalocean", Name: "hooli-" + fw, Attrs: graph.Attrs{"inbound_addresses": in}})
			emit.Edge(graph.Edge{From: id, To: "digitalocean:droplet:7", Type: "protects", Origin: graph.Observed, Confidence: 1})
		}
		return nil
	})
}

// triageGateway answers triage requests by the alert's subject: fw-a with a grounded sentence
// (it cites the firewall and the droplet and claims the protects edge the graph has), fw-b with
// a sentence citing a node that does not exist, fw-c with one claiming an edge that contradicts
// the graph (the protects edge, reversed and retyped). Everything else gets an empty answer.
func triageGateway(t *testing.T) (*llmfake.Gateway, string) {
	gw := &llmfake.Gateway{Key: "k-test", Reply: func(r llmfake.Request) (int, string) {
		switch r.Schema() {
		case "triage":
		case "narrative":
			return 200, llmfake.Completion(r.Model, `{"sentences":[]}`)
		default:
			return 200, llmfake.Completion(r.Model, `{"edges":[],"undecided":[]}`)
		}
		user := r.Messages[1].Content
		var in struct {
			Alert struct{ Subject, Message string }
		}
		if err := json.Unmarshal([]byte(user[strings.Index(user, "{"):strings.LastIndex(user, "}")+1]), &in); err != nil {
			t.Errorf("triage prompt: %v", err)
		}
		fw, drop := in.Alert.Subject, "digitalocean:droplet:7"
		switch {
		case strings.HasSuffix(fw, "fw-a"):
			return 200, llmfake.Completion("served/triage-model", `{"sentences":[{"text":"The firewall now admits anyone to the droplet it protects.","cites":["`+fw+`","`+drop+`"],"claims":[{"from":"`+fw+`","to":"`+drop+`","type":"protects"}]},{"text":"Check who widened the inbound rule.","cites":["`+fw+`"],"claims":[]}]}`)
		case strings.HasSuffix(fw, "fw-b"):
			return 200, llmfake.Completion(r.Model, `{"sentences":[{"text":"It also exposes the ghost.","cites":["digitalocean:droplet:999"],"claims":[]}]}`)
		default:
			return 200, llmfake.Completion(r.Model, `{"sentences":[{"text":"The droplet depends on it.","cites":["`+fw+`"],"claims":[{"from":"`+drop+`","to":"`+fw+`","type":"runs_on"}]}]}`)
		}
	}}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return gw, srv.URL + "/v1"
}

// Issue #23: with the LLM on, each alert gets a one-paragraph triage, grounded like the
// narratives: a triage citing a node the graph does not have, or claiming an edge it does not
// have, is dropped whole and counted; the one that stands is in graph.json (valid against the
// schema), INFRA.md and `discover alerts`, marked model-written. An unchanged rescan raises no
// alert and asks nothing.
func TestAlertTriage(t *testing.T) {
	gw, url := triageGateway(t)
	vars := map[string]string{"DISCOVER_LLM_BASE_URL": url, "DISCOVER_LLM_API_KEY": "k-test"}
	dir := t.TempDir()
	open := false
	inst := collectors.Instance{Provider: "digitalocean", Name: "hooli", Collector: hooli(&open)}
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	scanOnce := func() {
		t.Helper()
		e, _, errb := testEnv(vars)
		withInstances(e, inst)
		e.Now = clockAt(at)
		at = at.Add(time.Hour)
		if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--llm", "on"}, e); code != exitOK {
			t.Fatalf("scan: exit %d: %s", code, errb)
		}
	}
	triages := func() int {
		n := 0
		for _, b := range gw.Bodies() {
			if strings.Contains(b, `"name":"triage"`) {
				n++
			}
		}
		return n
	}
	scanOnce()
	open = true
	scanOnce()
	g, err := history.LoadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Scan.Alerts) != 3 {
		t.Fatalf("alerts %+v", g.Scan.Alerts)
	}
	for _, a := range g.Scan.Alerts {
		switch {
		case strings.HasSuffix(a.Subject, "fw-a"):
			tr := a.Triage
			if tr == nil || tr.Model != "served/triage-model" || tr.Text != "The firewall now admits anyone to the droplet it protects. Check who widened the inbound rule." ||
				strings.Join(tr.Cites, ",") != "digitalocean:droplet:7,digitalocean:firewall:fw-a" {
				t.Errorf("fw-a triage %+v", tr)
			}
		case a.Triage != nil:
			t.Errorf("an ungrounded triage reached graph.json: %s %+v", a.Subject, a.Triage)
		}
	}
	en := g.Scan.Enrichment
	if en["triage.written"] != float64(1) || en["triage.dropped.unknown-id"] != float64(1) || en["triage.dropped.contradicts-graph"] != float64(1) || en["triage.dropped"] != float64(2) {
		t.Errorf("enrichment %v", en)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	if errs := schemas.ValidateJSON(raw); len(errs) > 0 {
		t.Errorf("graph.json with a triage fails its schema: %v", errs)
	}
	doc, _ := os.ReadFile(filepath.Join(dir, "INFRA.md"))
	if !strings.Contains(string(doc), "  - _Triage, model-written by served/triage-model (its citations were checked: `digitalocean:droplet:7`, `digitalocean:firewall:fw-a`)_: The firewall now admits anyone") ||
		strings.Contains(string(doc), "ghost") || strings.Contains(string(doc), "The droplet depends on it") {
		t.Errorf("INFRA.md:\n%.2500s", doc)
	}
	e, out, _ := testEnv(nil)
	if code := runEnv(context.Background(), []string{"alerts", "--out", dir}, e); code != exitAlerts || strings.Count(out.String(), "triage (model-written by served/triage-model; citations checked)") != 1 {
		t.Errorf("alerts: exit %d\n%s", code, out)
	}
	asked := triages()
	if asked != 3 {
		t.Errorf("%d triage requests, want 3", asked)
	}
	scanOnce() // unchanged: no alert, no triage
	if d := triages() - asked; d != 0 {
		t.Errorf("an unchanged rescan asked for %d triages", d)
	}
}
