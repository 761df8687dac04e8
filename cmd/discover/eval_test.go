package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/infragraph/infragraph/enrich/llm/llmfake"
	"github.com/infragraph/infragraph/eval"
)

// evalGateway answers the edge requests of a demo scan: Odoo's Stripe payment provider calls
// api.stripe.com with grounded evidence (a true edge no rule finds), every other pair an edge
// whose quote occurs nowhere (the validator rejects it). Narratives get no sentence.
func evalGateway(t *testing.T) (*llmfake.Gateway, string) {
	gw := &llmfake.Gateway{Key: "k-test", Reply: func(r llmfake.Request) (int, string) {
		if r.Schema() != "edges" {
			return 200, llmfake.Completion(r.Model, `{"sentences":[]}`)
		}
		user := r.Messages[1].Content
		var in struct {
			Pairs []struct {
				A, B  string
				Types []string `json:"allowed_types"`
			} `json:"candidate_pairs"`
		}
		if err := json.Unmarshal([]byte(user[strings.Index(user, "{"):strings.LastIndex(user, "}")+1]), &in); err != nil {
			t.Errorf("prompt: %v", err)
		}
		type ev struct {
			NodeID string `json:"node_id"`
			Field  string `json:"field"`
			Quote  string `json:"quote"`
		}
		type edge struct {
			From     string  `json:"from_id"`
			To       string  `json:"to_id"`
			Type     string  `json:"type"`
			Conf     float64 `json:"confidence"`
			Evidence []ev    `json:"evidence"`
		}
		ans := struct {
			Edges     []edge   `json:"edges"`
			Undecided []string `json:"undecided"`
		}{Edges: []edge{}, Undecided: []string{}}
		const pay, stripe = "odoo:payment_provider:erp.acme-coffee.com/acme/1", "external:host:api.stripe.com"
		for _, p := range in.Pairs {
			if (p.A == pay && p.B == stripe) || (p.A == stripe && p.B == pay) {
				ans.Edges = append(ans.Edges, edge{pay, stripe, "calls", 0.9, []ev{{pay, "code", "stripe"}, {stripe, "host", "api.stripe.com"}}})
				continue
			}
			ans.Edges = append(ans.Edges, edge{p.A, p.B, p.Types[0], 0.9, []ev{{p.A, "name", "a value no card holds"}}})
		}
		b, _ := json.Marshal(ans)
		return 200, llmfake.Completion(r.Model, string(b))
	}}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return gw, srv.URL + "/v1"
}

// Issue #23: `discover eval` on the demo with its shipped truth. Every number is recomputed here
// from demo/truth.yaml, graph.json and proposals.json, not written down.
func TestEvalOnTheDemo(t *testing.T) {
	_, url := evalGateway(t)
	vars := map[string]string{"DISCOVER_LLM_BASE_URL": url, "DISCOVER_LLM_API_KEY": "k-test"}
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, vars, "--demo", "--llm", "on", "--out", dir); code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, log)
	}
	const truthFile = "../../demo/truth.yaml"
	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"eval", "--truth", truthFile, "--graph", dir, "-o", "json", "--prompt-price", "1", "--completion-price", "5"}, e); code != exitOK {
		t.Fatalf("eval: exit %d: %s", code, errb)
	}
	var rep eval.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}

	// The truth, read on its own.
	raw, _ := os.ReadFile(truthFile)
	var truth struct {
		Complete bool
		Edges    []struct{ From, To, Type string }
	}
	if err := yaml.Unmarshal(raw, &truth); err != nil || !truth.Complete || len(truth.Edges) == 0 {
		t.Fatalf("truth: %v %+v", err, truth)
	}
	key := func(from, typ, to string) string { return from + " " + typ + " " + to }
	labelled := map[string]bool{}
	for _, e := range truth.Edges {
		labelled[key(e.From, e.Type, e.To)] = true
	}
	// The graph: which edges each class found.
	var doc struct {
		Scan struct {
			Enrichment map[string]any
		}
		Edges []struct {
			From, To, Type, Origin string
			Origins                []string
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	json.Unmarshal(b, &doc)
	found := map[string]map[string]bool{"rule": {}, "llm": {}}
	for _, e := range doc.Edges {
		os := e.Origins
		if len(os) == 0 {
			os = []string{e.Origin}
		}
		for _, o := range os {
			if found[o] != nil {
				found[o][key(e.From, e.Type, e.To)] = true
			}
		}
	}
	check := func(name string, got eval.Score, set map[string]bool) {
		tp := 0
		for k := range set {
			if labelled[k] {
				tp++
			}
		}
		fp := len(set) - tp // the truth is complete: every unlisted edge is wrong
		wantP := -1.0
		if len(set) > 0 {
			wantP = float64(tp) / float64(len(set))
		}
		wantR := float64(tp) / float64(len(labelled))
		if got.Found != len(set) || got.True != tp || got.False != fp || got.Missed != len(labelled)-tp || got.Precision != wantP || got.Recall != wantR {
			t.Errorf("%s: got %+v, want found %d true %d false %d missed %d precision %v recall %v", name, got, len(set), tp, fp, len(labelled)-tp, wantP, wantR)
		}
	}
	check("rules", rep.Rules, found["rule"])
	check("llm", rep.LLM, found["llm"])
	both := map[string]bool{}
	for _, s := range found {
		for k := range s {
			both[k] = true
		}
	}
	check("inferred", rep.Inferred, both)
	// The scan is not trivially scored: the LLM found the edge no rule can, the rules the rest.
	if rep.LLM.True == 0 || rep.Rules.True == 0 || rep.Inferred.Recall != 1 {
		t.Errorf("the demo's LLM edge was not found: %+v", rep)
	}

	// Rejections and cost, from proposals.json and the usage graph.json records.
	var props struct {
		Proposals []struct {
			Proposal struct {
				Edge     struct{ From, To, Type string }
				Enricher string
			}
			Accepted bool
			Reasons  []string
		}
	}
	b, _ = os.ReadFile(filepath.Join(dir, "proposals.json"))
	json.Unmarshal(b, &props)
	rejected, rejectedTrue, accepted := map[string]map[string]int{}, map[string]int{}, 0
	for _, p := range props.Proposals {
		c, _, _ := strings.Cut(p.Proposal.Enricher, "/")
		if p.Accepted {
			if c == "llm" {
				accepted++
			}
			continue
		}
		if rejected[c] == nil {
			rejected[c] = map[string]int{}
		}
		for _, r := range p.Reasons {
			code, _, _ := strings.Cut(r, ":")
			rejected[c][code]++
		}
		if labelled[key(p.Proposal.Edge.From, p.Proposal.Edge.Type, p.Proposal.Edge.To)] {
			rejectedTrue[c]++
		}
	}
	if len(rejected["llm"]) == 0 {
		t.Fatal("the validator rejected none of the ungrounded LLM edges: the test proves nothing")
	}
	for c, codes := range rejected {
		for code, n := range codes {
			if rep.Rejections[c][code] != n {
				t.Errorf("rejections %s/%s: %d, want %d", c, code, rep.Rejections[c][code], n)
			}
		}
	}
	if len(rep.Rejections["llm"]) != len(rejected["llm"]) || rep.RejectedTrue["llm"] != rejectedTrue["llm"] {
		t.Errorf("rejections %v (true %v), want %v (true %v)", rep.Rejections, rep.RejectedTrue, rejected, rejectedTrue)
	}
	tokens := map[string]int{}
	for k, v := range doc.Scan.Enrichment {
		if n, ok := v.(float64); ok && strings.HasPrefix(k, "llm.usage.") {
			tokens[k[strings.LastIndex(k, ".")+1:]] += int(n)
		}
	}
	c := rep.Cost
	if c.Accepted != accepted || c.PromptTokens != tokens["prompt_tokens"] || c.CompletionTokens != tokens["completion_tokens"] || c.PromptTokens == 0 {
		t.Errorf("cost %+v, want %d accepted and tokens %v", c, accepted, tokens)
	}
	if want := float64(c.PromptTokens+c.CompletionTokens) / float64(accepted); c.TokensPerAccepted != want {
		t.Errorf("tokens per accepted edge %v, want %v", c.TokensPerAccepted, want)
	}
	if want := (float64(c.PromptTokens)*1 + float64(c.CompletionTokens)*5) / 1e6; c.USD != want {
		t.Errorf("usd %v, want %v", c.USD, want)
	}

	// The text report says the same.
	e, out, _ = testEnv(nil)
	if code := runEnv(context.Background(), []string{"eval", "--truth", truthFile, "--graph", dir}, e); code != exitOK || !strings.Contains(out.String(), "llm ") || !strings.Contains(out.String(), "validator rejected (llm): ") {
		t.Errorf("eval text: exit %d\n%s", code, out)
	}
}

func TestEvalRejectsABadTruth(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"no type":   "edges:\n  - {from: a:b:c, to: d:e:f}\n",
		"bad id":    "edges:\n  - {from: a:b:c, to: nocolons, type: calls}\n",
		"unknown":   "edgez: []\n",
		"duplicate": "edges:\n  - {from: a:b:c, to: d:e:f, type: calls}\n  - {from: a:b:c, to: d:e:f, type: calls}\n",
		"both":      "edges:\n  - {from: a:b:c, to: d:e:f, type: calls}\nnot:\n  - {from: a:b:c, to: d:e:f}\n",
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		os.WriteFile(p, []byte(body), 0o600)
		e, _, errb := testEnv(nil)
		if code := runEnv(context.Background(), []string{"eval", "--truth", p, "--graph", dir}, e); code != exitUsage || !strings.Contains(errb.String(), p+":") {
			t.Errorf("%s: exit %d: %s", name, code, errb)
		}
	}
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"eval", "--graph", dir}, e); code != exitUsage {
		t.Errorf("no --truth: exit %d: %s", code, errb)
	}
	for _, bad := range []string{"haiku", "haiku=1", "=1:2", "haiku=1:-2", "haiku=x:2"} {
		e, _, errb := testEnv(nil)
		if code := runEnv(context.Background(), []string{"eval", "--truth", "../../demo/truth.yaml", "--graph", dir, "--price", bad}, e); code != exitUsage || !strings.Contains(errb.String(), "MODEL=PROMPT:COMPLETION") {
			t.Errorf("--price %q: exit %d: %s", bad, code, errb)
		}
	}
}

// The README's eval example is what a demo scan without the LLM scores.
func TestEvalREADMEExample(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, nil, "--demo", "--llm", "off", "--out", dir); code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, log)
	}
	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"eval", "--truth", "../../demo/truth.yaml", "--graph", dir}, e); code != exitOK {
		t.Fatalf("eval: exit %d: %s", code, errb)
	}
	lines := strings.Split(out.String(), "\n")
	readme, _ := os.ReadFile("../../README.md")
	if want := strings.Join(lines[2:6], "\n"); !strings.Contains(string(readme), "--graph out\n"+want+"\n```") {
		t.Errorf("the README's eval example should read:\n%s", want)
	}
}
