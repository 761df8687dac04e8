package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas/schemastest"
)

// Issue #20: decisions are cached per candidate pair, keyed by the pair's own (redacted) cards,
// so a rescan asks only about the pairs that changed: a card edited or a pair added costs one
// call, whatever batch it falls in, and every other decision is replayed.
func TestRescanAsksOnlyAboutChangedPairs(t *testing.T) {
	f := &fakeAPI{behave: good}
	dir := t.TempDir()
	_, srv := setup(t, f, nil)
	scan := func(g *graph.Graph) (string, map[string]any) {
		t.Helper()
		cfg := testConfig(srv.URL)
		cfg.CacheDir, cfg.BatchSize, cfg.Workers = dir, 2, 1
		e, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := e.Propose(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(validate(g, ps)), e.Summary()
	}
	g := estate(t)
	pairs := Candidates(g, schemastest.Vocabulary(), 400)
	if len(pairs) < 5 {
		t.Fatalf("the estate has %d candidate pairs; the test wants several batches", len(pairs))
	}
	first, _ := scan(g)
	calls := f.requests()
	if calls < 3 {
		t.Fatalf("first scan made %d calls", calls)
	}

	// One card changed: the node of exactly one pair gets a new attribute.
	in := map[string]int{}
	for _, p := range pairs {
		in[p.A]++
		in[p.B]++
	}
	var lone string
	for _, p := range pairs {
		for _, id := range []string{p.A, p.B} {
			if in[id] == 1 && lone == "" {
				lone = id
			}
		}
	}
	if lone == "" {
		t.Fatal("no node in exactly one pair")
	}
	g2 := estate(t)
	g2.NodePtr(lone).Attrs["region"] = "fra1"
	again, s := scan(g2)
	if n := f.requests() - calls; n != 1 {
		t.Errorf("a rescan with one changed card made %d calls, want 1", n)
	}
	if s["usage.cheap/model.cache_hits"] != len(pairs)-1 {
		t.Errorf("cache hits %v, want the %d unchanged pairs replayed", s["usage.cheap/model.cache_hits"], len(pairs)-1)
	}
	if again != first {
		t.Errorf("verdicts changed:\n%s\n%s", first, again)
	}

	// A new pair sorting first: on batches of consecutive pairs it shifted every batch.
	calls = f.requests()
	g3 := estate(t)
	g3.AddNode(graph.Node{ID: "digitalocean:droplet:0001", Provider: "digitalocean", Kind: "droplet", Name: "admin-1", Attrs: graph.Attrs{"public_ipv4": "203.0.113.11"}})
	g3.NodePtr(lone).Attrs["region"] = "fra1"
	if n := len(Candidates(g3, schemastest.Vocabulary(), 400)); n <= len(pairs) {
		t.Fatalf("the new node made no new pair (%d pairs)", n)
	}
	scan(g3)
	added := len(Candidates(g3, schemastest.Vocabulary(), 400)) - len(pairs)
	if n := f.requests() - calls; n != (added+1)/2 {
		t.Errorf("a rescan with %d new pairs made %d calls, want %d", added, n, (added+1)/2)
	}
}

// gatewayFake answers as the Vercel AI Gateway does with providerOptions.gateway.models: the
// primary model is down, so the gateway serves the first fallback and the completion's "model"
// names it (https://vercel.com/docs/ai-gateway/models-and-providers/model-fallbacks).
func gatewayFake(down string) *fakeAPI {
	return &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		if model != down {
			return good(model, n, req)
		}
		po, _ := req["providerOptions"].(map[string]any)
		gw, _ := po["gateway"].(map[string]any)
		fb, _ := gw["models"].([]any)
		if len(fb) == 0 {
			return 503, nil, `{"error":{"message":"No providers available","type":"internal_server_error"}}`
		}
		return good(fb[0].(string), n, req)
	}}
}

// Issue #20: with the gateway's own fallback on, the client does not try the fallbacks again,
// and usage, audit log, proposals and cache name the model that served the answer.
func TestGatewayServesTheFallbackAndItIsNamed(t *testing.T) {
	f := gatewayFake("cheap/model")
	dir := t.TempDir()
	on := true
	e, _ := setup(t, f, func(c *Config) { c.GatewayOptions = &on; c.BatchSize = 50; c.CacheDir = dir })
	g := estate(t)
	ps, err := e.Propose(context.Background(), g)
	if err != nil || len(ps) != 1 || ps[0].Enricher != "llm/backup/model" {
		t.Fatalf("%+v %v", ps, err)
	}
	if f.counts["cheap/model"] != 1 || f.counts["backup/model"] != 0 {
		t.Errorf("requests %v: the gateway falls back, the client must not", f.counts)
	}
	s := e.Summary()
	if s["usage.backup/model.calls"] != 1 || s["usage.backup/model.prompt_tokens"] != 900 || s["usage.cheap/model.calls"] != nil {
		t.Errorf("usage not under the serving model: %v", s)
	}
	var audit strings.Builder
	e.WriteAudit(&audit, validate(g, ps))
	var rec AuditRecord
	json.Unmarshal([]byte(strings.SplitN(audit.String(), "\n", 2)[0]), &rec)
	if rec.Model != "backup/model" || rec.FallbackFrom != "cheap/model" || len(rec.Verdicts) != 1 {
		t.Errorf("audit %s", audit.String())
	}
	for _, file := range cacheFiles(t, dir) {
		var d decision
		b, _ := readFileT(file)
		json.Unmarshal(b, &d)
		if d.Model != "backup/model" {
			t.Errorf("cache entry names %q: %s", d.Model, b)
		}
	}
	// The replay names it too.
	e2, _ := setup(t, f, func(c *Config) { c.GatewayOptions = &on; c.BatchSize = 50; c.CacheDir = dir })
	ps2, _ := e2.Propose(context.Background(), estate(t))
	if len(ps2) != 1 || ps2[0].Enricher != "llm/backup/model" || e2.Summary()["usage.backup/model.cache_hits"] == nil {
		t.Errorf("replay %+v %v", ps2, e2.Summary())
	}
}

// When the gateway's fallbacks failed too, the client does not repeat them: one mechanism.
func TestGatewayFailureIsNotRetriedWithFallbacks(t *testing.T) {
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		return 500, map[string]string{"Retry-After": "0.01"}, `{"error":{"message":"upstream failed","type":"internal_server_error"}}`
	}}
	on := true
	e, _ := setup(t, f, func(c *Config) { c.GatewayOptions = &on; c.BatchSize = 50; c.Models = []string{"cheap/model"} })
	if _, err := e.Propose(context.Background(), estate(t)); err == nil {
		t.Fatal("want an error")
	}
	if f.counts["cheap/model"] != 4 || f.counts["backup/model"] != 0 {
		t.Errorf("requests %v, want the 4 tries of the transport and no client-side fallback", f.counts)
	}
}

// Issue #20: a call reserves its maximum cost (prompt estimate + max_completion_tokens) before
// it is sent, so concurrent calls cannot overshoot MaxTokens.
func TestTokenBudgetReservesTheCallMaximum(t *testing.T) {
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		return 200, nil, completion(model, `{"edges":[],"undecided":[]}`)
	}}
	// Room for one call's maximum, not two; the fake bills 1,020 tokens a call, so checking
	// only before each call (the old way) let many through.
	e, _ := setup(t, f, func(c *Config) { c.BatchSize = 1; c.Workers = 4; c.MaxTokens = maxCompletionTokens + 1500 })
	_, err := e.Propose(context.Background(), estate(t))
	if f.requests() != 1 || err == nil || !strings.Contains(err.Error(), "budget") {
		t.Errorf("requests %d err %v", f.requests(), err)
	}
	var req map[string]any
	json.Unmarshal([]byte(f.bodies[0]), &req)
	if req["max_completion_tokens"] != float64(maxCompletionTokens) {
		t.Errorf("max_completion_tokens %v", req["max_completion_tokens"])
	}
	if s := e.Summary(); s["tokens"] != 1020 {
		t.Errorf("tokens %v, want the 1020 used (the reservation released)", s["tokens"])
	}
}

func readFileT(p string) ([]byte, error) { return os.ReadFile(p) }

// Issue #20: seed is not sent to Anthropic models (ignored there); max_completion_tokens is
// sent to every model (documented as supported, and the budget's bound).
func TestParametersFollowTheModelsDocs(t *testing.T) {
	for model, wantSeed := range map[string]bool{"anthropic/claude-haiku-4.5": false, "openai/gpt-5-mini": true} {
		f := &fakeAPI{behave: good}
		e, _ := setup(t, f, func(c *Config) { c.Models = []string{model}; c.Fallbacks = []string{}; c.BatchSize = 50 })
		if _, err := e.Propose(context.Background(), estate(t)); err != nil {
			t.Fatal(err)
		}
		var req map[string]any
		json.Unmarshal([]byte(f.bodies[0]), &req)
		if _, ok := req["seed"]; ok != wantSeed {
			t.Errorf("%s: seed sent %v, want %v", model, ok, wantSeed)
		}
		if req["max_completion_tokens"] != float64(maxCompletionTokens) {
			t.Errorf("%s: max_completion_tokens %v", model, req["max_completion_tokens"])
		}
	}
}
