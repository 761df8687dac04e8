package llm

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/enrich/llm/llmfake"
	"github.com/infragraph/infragraph/graph"
)

const (
	admin = "vercel:project:prj_admin"
	envO  = "vercel:env_var:prj_admin/env_odoo"
	envN  = "vercel:env_var:prj_admin/env_note"
	erp   = "odoo:instance:erp.acme-coffee.com"
)

// narrativeEstate is estate with the inferred edge the admin project's ODOO_URL gives, and the
// project named after its (personal) owner.
func narrativeEstate(t *testing.T) *graph.Graph {
	g := estate(t)
	plantPII(t, g)
	g.NodePtr(admin).Name = "janeqp-admin"
	if err := g.AddEdge(graph.Edge{From: envO, To: erp, Type: "calls", Origin: graph.Rule, Confidence: 0.9}); err != nil {
		t.Fatal(err)
	}
	return g
}

func sentence(text string, cites []string, claims ...Claim) Sentence {
	if claims == nil {
		claims = []Claim{}
	}
	return Sentence{Text: text, Cites: cites, Claims: claims}
}

// narrator answers narrative requests: for the admin project one grounded sentence and five that
// fail the check each in its own way; for any other system one sentence citing it.
func narrator(r llmfake.Request) (int, string) {
	if r.Schema() != "narrative" {
		return 200, llmfake.Completion(r.Model, `{"edges":[],"undecided":[]}`)
	}
	user := r.Messages[1].Content
	var sub subgraph
	json.Unmarshal([]byte(user[strings.Index(user, "{"):strings.LastIndex(user, "}")+1]), &sub)
	ss := []Sentence{sentence("This system serves the estate.", []string{sub.System})}
	if sub.System == admin {
		ss = []Sentence{
			sentence("The admin project reads the ERP address from an environment variable and calls the Odoo instance with it.",
				[]string{admin, envO, erp}, Claim{admin, envO, "contains"}, Claim{envO, erp, "calls"}),
			sentence("It also reads a ghost project's settings.", []string{"vercel:project:prj_ghost"}),
			sentence("The Odoo instance calls the variable back.", []string{erp, envO}, Claim{erp, envO, "calls"}),
			sentence("The admin project calls the Odoo instance directly.", []string{admin, erp}, Claim{admin, erp, "calls"}),
			sentence("Nothing here is cited.", nil),
			sentence("Rotate vercel:env_var:prj_admin/env_note first.", []string{admin}),
		}
	}
	b, _ := json.Marshal(map[string]any{"sentences": ss})
	return 200, llmfake.Completion(r.Model, string(b))
}

func gatewaySetup(t *testing.T, reply func(llmfake.Request) (int, string), mut func(*Config)) (*Enricher, *llmfake.Gateway) {
	gw := &llmfake.Gateway{Key: "test-key", Reply: reply}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.CacheDir = t.TempDir()
	if mut != nil {
		mut(&cfg)
	}
	e, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e, gw
}

func byID(ns []Narrative, id string) (Narrative, bool) {
	for _, n := range ns {
		if n.System == id {
			return n, true
		}
	}
	return Narrative{}, false
}

// Issue #23: a narrative keeps only the sentences the graph grounds; the others are dropped and
// counted by reason. No secret, email or personal name is in a narrative request.
func TestNarrativeSentencesAreGrounded(t *testing.T) {
	e, gw := gatewaySetup(t, narrator, nil)
	g := narrativeEstate(t)
	ns := e.Narrate(context.Background(), g)
	n, ok := byID(ns, admin)
	if !ok {
		t.Fatalf("no narrative of %s: %+v (notes %v)", admin, ns, e.NarrativeNotes())
	}
	if len(n.Sentences) != 1 || !strings.HasPrefix(n.Sentences[0].Text, "The admin project reads") || n.Model != "cheap/model" {
		t.Errorf("kept %+v", n.Sentences)
	}
	want := map[string]int{DropUnknownID: 2, DropContradicts: 1, DropNoEdge: 1, DropUncited: 1}
	for r, c := range want {
		if n.Dropped[r] != c {
			t.Errorf("dropped[%s] = %d, want %d (all: %v)", r, n.Dropped[r], c, n.Dropped)
		}
	}
	if n.DroppedTotal() != 5 {
		t.Errorf("dropped %v", n.Dropped)
	}
	// four systems: the two projects, the Odoo instance, the droplet
	if len(ns) != 4 || len(gw.Bodies()) != 4 {
		t.Errorf("%d narratives from %d requests", len(ns), len(gw.Bodies()))
	}
	all := strings.Join(gw.Bodies(), "\n")
	for _, s := range append([]string{"CANARY"}, planted...) {
		if strings.Contains(strings.ToLower(all), strings.ToLower(s)) {
			t.Errorf("%q sent in a narrative request", s)
		}
	}
	if !strings.Contains(all, `\"blast_radius\":`) || !strings.Contains(all, "⟨pii:name:") || !strings.Contains(all, `"name\":\"ODOO_URL\"`) {
		t.Error("the subgraph was not sent as expected")
	}
	s := e.NarrativeSummary(ns)
	if s["narrative.dropped"] != 5 || s["narrative.dropped.contradicts-graph"] != 1 || s["narrative.sentences"] != 4 ||
		s["narrative.calls"] != 4 || s["narrative.prompt_tokens"] != 3600 || s["narrative.completion_tokens"] != 480 {
		t.Errorf("summary %v", s)
	}
	var sb strings.Builder
	e.WriteAudit(&sb, nil)
	if !strings.Contains(sb.String(), `"task":"narrative","subject":"vercel:project:prj_admin"`) || !strings.Contains(sb.String(), `"dropped":5`) {
		t.Errorf("audit: %s", sb.String())
	}
}

// An unchanged system costs no call next scan; a changed one is asked again, alone.
func TestNarrativeCachedBySubgraph(t *testing.T) {
	dir := t.TempDir()
	e, gw := gatewaySetup(t, narrator, func(c *Config) { c.CacheDir = dir })
	g := narrativeEstate(t)
	first := e.Narrate(context.Background(), g)
	asked := len(gw.Bodies())
	e2, _ := New(e.cfg, nil)
	again := e2.Narrate(context.Background(), g)
	if len(gw.Bodies()) != asked {
		t.Fatalf("unchanged graph: %d more requests", len(gw.Bodies())-asked)
	}
	for i := range again {
		if !again[i].Cached || len(again[i].Sentences) != len(first[i].Sentences) || again[i].DroppedTotal() != first[i].DroppedTotal() {
			t.Errorf("replayed %+v, first %+v", again[i], first[i])
		}
	}
	g.NodePtr(envN).Name = "NOTES" // only the admin project's subgraph shows it
	e3, _ := New(e.cfg, nil)
	e3.Narrate(context.Background(), g)
	if d := len(gw.Bodies()) - asked; d != 1 {
		t.Errorf("one system changed: %d requests", d)
	}
}

// The budget shared with edge proposals bounds narratives: past it none is asked, and the
// note says why.
func TestNarrativeBudget(t *testing.T) {
	e, gw := gatewaySetup(t, narrator, func(c *Config) { c.MaxCalls = 1; c.Workers = 1 })
	ns := e.Narrate(context.Background(), narrativeEstate(t))
	if len(gw.Bodies()) != 1 || len(ns) != 1 {
		t.Errorf("%d requests, %d narratives", len(gw.Bodies()), len(ns))
	}
	if notes := strings.Join(e.NarrativeNotes(), ";"); !strings.Contains(notes, "budget") {
		t.Errorf("notes %q", notes)
	}
}

// llm.narratives: -1 turns narratives off (no request); below -1 is a configuration error.
func TestNarrativesOff(t *testing.T) {
	e, gw := gatewaySetup(t, narrator, func(c *Config) { c.Narratives = -1 })
	if ns := e.Narrate(context.Background(), narrativeEstate(t)); ns != nil || len(gw.Bodies()) != 0 {
		t.Errorf("%d narratives, %d requests", len(ns), len(gw.Bodies()))
	}
	e, gw = gatewaySetup(t, narrator, func(c *Config) { c.Narratives = 2 })
	if ns := e.Narrate(context.Background(), narrativeEstate(t)); len(ns) != 2 || len(gw.Bodies()) != 2 {
		t.Errorf("narratives: 2 gave %d narratives, %d requests", len(ns), len(gw.Bodies()))
	}
	c := Config{Narratives: -2}
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "narratives:") {
		t.Errorf("err = %v", err)
	}
}
