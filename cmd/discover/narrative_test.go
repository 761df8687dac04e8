package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/enrich/llm/llmfake"
)

// narrativeGateway answers edge requests with no edge and narrative requests with three
// sentences per system: one grounded (it cites the system and claims the subgraph's first
// edge), one claiming that edge reversed, one citing a node that does not exist.
func narrativeGateway(t *testing.T) (*llmfake.Gateway, string) {
	gw := &llmfake.Gateway{Key: "k-test", Reply: func(r llmfake.Request) (int, string) {
		if r.Schema() != "narrative" {
			return 200, llmfake.Completion(r.Model, `{"edges":[],"undecided":[]}`)
		}
		user := r.Messages[1].Content
		var sub struct {
			System string
			Edges  []struct{ From, To, Type string }
		}
		if err := json.Unmarshal([]byte(user[strings.Index(user, "{"):strings.LastIndex(user, "}")+1]), &sub); err != nil || len(sub.Edges) == 0 {
			return 200, llmfake.Completion(r.Model, `{"sentences":[{"text":"A system.","cites":["`+sub.System+`"],"claims":[]}]}`)
		}
		e := sub.Edges[0]
		claim := func(from, to string) string {
			return `[{"from":"` + from + `","to":"` + to + `","type":"` + e.Type + `"}]`
		}
		return 200, llmfake.Completion(r.Model, `{"sentences":[`+
			`{"text":"It is wired as the graph says.","cites":["`+sub.System+`","`+e.From+`","`+e.To+`"],"claims":`+claim(e.From, e.To)+`},`+
			`{"text":"It is wired the other way round.","cites":["`+sub.System+`"],"claims":`+claim(e.To, e.From)+`},`+
			`{"text":"It runs on a ghost.","cites":["vercel:project:prj_ghost"],"claims":[]}]}`)
	}}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return gw, srv.URL + "/v1"
}

func narrativeRequests(gw *llmfake.Gateway) int {
	n := 0
	for _, b := range gw.Bodies() {
		if strings.Contains(b, `"name":"narrative"`) {
			n++
		}
	}
	return n
}

// Issue #23 end to end: a demo scan with the LLM on writes a checked narrative per system into
// INFRA.md and counts what it dropped; the next scan replays them from the cache; with the LLM
// off neither INFRA.md nor graph.json has a trace of them.
func TestScanWritesNarratives(t *testing.T) {
	gw, url := narrativeGateway(t)
	vars := map[string]string{"DISCOVER_LLM_BASE_URL": url, "DISCOVER_LLM_API_KEY": "k-test"}
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, vars, "--demo", "--llm", "on", "--max-bytes", "0", "--out", dir); code != exitOK {
		t.Fatalf("exit %d\n%s", code, log)
	}
	en := readGraph(t, dir).Scan.Enrichment
	systems, _ := en["narrative.systems"].(float64)
	asked := narrativeRequests(gw)
	if systems < 5 || int(systems) != asked {
		t.Fatalf("%v narratives from %d requests: %v", systems, asked, en)
	}
	if en["narrative.dropped.unknown-id"] != systems || en["narrative.calls"] != systems || en["narrative.dropped.contradicts-graph"] == nil || en["narrative.sentences"] == nil {
		t.Errorf("enrichment %v", en)
	}
	doc, _ := os.ReadFile(filepath.Join(dir, "INFRA.md"))
	if n := strings.Count(string(doc), "- **Narrative** (model-written by"); n != int(systems) {
		t.Errorf("%d narratives in INFRA.md, want %v", n, systems)
	}
	if strings.Contains(string(doc), "ghost") || strings.Contains(string(doc), "other way round") {
		t.Error("a dropped sentence reached INFRA.md")
	}
	for _, b := range gw.Bodies() {
		if strings.Contains(b, "CANARY") {
			t.Fatalf("a canary was sent to the model: %s", b)
		}
	}
	assertNoCanary(t, dir)

	// Unchanged systems: no narrative request, the same document.
	if code, log := scanCode(t, vars, "--demo", "--llm", "on", "--max-bytes", "0", "--out", dir); code != exitOK {
		t.Fatalf("rescan: exit %d\n%s", code, log)
	}
	if d := narrativeRequests(gw) - asked; d != 0 {
		t.Errorf("rescan of an unchanged estate asked for %d narratives", d)
	}
	if en := readGraph(t, dir).Scan.Enrichment; en["narrative.cache_hits"] != systems || en["narrative.calls"] != 0.0 {
		t.Errorf("rescan enrichment %v", en)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "INFRA.md"))
	if strings.Count(string(again), "- **Narrative**") != int(systems) {
		t.Error("replayed narratives missing from INFRA.md")
	}

	off := filepath.Join(t.TempDir(), "off")
	if code, log := scanCode(t, vars, "--demo", "--llm", "off", "--max-bytes", "0", "--out", off); code != exitOK {
		t.Fatalf("--llm off: exit %d\n%s", code, log)
	}
	plain, _ := os.ReadFile(filepath.Join(off, "INFRA.md"))
	graph, _ := os.ReadFile(filepath.Join(off, "graph.json"))
	if strings.Contains(string(plain), "Narrative") || strings.Contains(string(graph), "narrative") {
		t.Error("--llm off left a narrative trace")
	}
}
