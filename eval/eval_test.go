package eval

import (
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// A sample truth (complete: false) judges only what it labels: an unlabelled inferred edge is
// unjudged, one under "not" (any type when the type is omitted) is wrong.
func TestSampleTruthJudgesOnlyItsLabels(t *testing.T) {
	g := graph.New()
	for _, id := range []string{"vercel:project:a", "vercel:project:b", "supabase:project:x", "external:host:h.example"} {
		p, k, _, _ := graph.ParseID(id)
		g.AddNode(graph.Node{ID: id, Kind: k, Provider: p, Name: id})
	}
	add := func(from, to, typ string, o graph.Origin) {
		if err := g.AddEdge(graph.Edge{From: from, To: to, Type: typ, Origin: o, Confidence: 0.9}); err != nil {
			t.Fatal(err)
		}
	}
	add("vercel:project:a", "supabase:project:x", "uses_database", graph.Rule) // labelled true
	add("vercel:project:b", "supabase:project:x", "calls", graph.LLM)          // labelled unrelated
	add("vercel:project:a", "external:host:h.example", "calls", graph.LLM)     // not labelled
	truth, err := ParseTruth("sample.yaml", []byte(`
edges:
  - {from: "vercel:project:a", type: uses_database, to: "supabase:project:x"}
  - {from: "vercel:project:b", type: calls, to: "external:host:h.example"}
not:
  - {from: "vercel:project:b", to: "supabase:project:x"}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(g, nil, truth, Prices{})
	if s := r.Rules; s.True != 1 || s.False != 0 || s.Unjudged != 0 || s.Missed != 1 || s.Precision != 1 || s.Recall != 0.5 {
		t.Errorf("rules %+v", s)
	}
	if s := r.LLM; s.True != 0 || s.False != 1 || s.Unjudged != 1 || s.Missed != 2 || s.Precision != 0 || s.Recall != 0 {
		t.Errorf("llm %+v", s)
	}
	truth.Complete = true // now the unlabelled LLM edge is wrong too
	if s := Evaluate(g, nil, truth, Prices{}).LLM; s.False != 2 || s.Unjudged != 0 {
		t.Errorf("llm against a complete truth %+v", s)
	}
	if r.Cost.TokensPerAccepted != -1 || r.Cost.USD != -1 {
		t.Errorf("cost without calls or prices %+v", r.Cost)
	}
}

func TestTruthErrorsNameTheLine(t *testing.T) {
	_, err := ParseTruth("t.yaml", []byte("estate: x\nedges:\n  - {from: a:b:c, to: d:e:f, type: calls}\n  - {from: a:b:c, to: d:e:f}\n"))
	if err == nil || err.Error() != "t.yaml:4: edges[1].type: required (an edge type such as calls, uses_database)" {
		t.Errorf("error %v", err)
	}
}

// Cost is priced per model: a model's own price beats the flat one, and a model that used
// tokens without any price leaves the total unknown rather than wrong.
func TestCostPerModel(t *testing.T) {
	g := graph.New()
	g.Scan.Enrichment = map[string]any{
		"llm.usage.anthropic/claude-haiku-4.5.prompt_tokens": 1000000.0, "llm.usage.anthropic/claude-haiku-4.5.completion_tokens": 200000.0, "llm.usage.anthropic/claude-haiku-4.5.calls": 3.0,
		"llm.usage.openai/gpt-5-mini.prompt_tokens": 500000.0, "llm.usage.openai/gpt-5-mini.completion_tokens": 0.0, "llm.usage.openai/gpt-5-mini.calls": 1.0,
	}
	var ps []Verdict
	for i := 0; i < 2; i++ {
		var v Verdict
		v.Proposal.Enricher, v.Accepted = "llm/x", true
		ps = append(ps, v)
	}
	truth := &Truth{}
	c := Evaluate(g, ps, truth, Prices{Prompt: 2, Models: map[string]Price{"anthropic/claude-haiku-4.5": {Prompt: 1, Completion: 5}}}).Cost
	if c.Calls != 4 || c.PromptTokens != 1500000 || c.CompletionTokens != 200000 || c.USD != 1+1+1 || c.USDPerAccepted != 1.5 {
		t.Errorf("cost %+v: want haiku 1+1 and gpt-5-mini 1 (the flat price)", c)
	}
	c = Evaluate(g, ps, truth, Prices{Models: map[string]Price{"anthropic/claude-haiku-4.5": {Prompt: 1, Completion: 5}}}).Cost
	if c.USD != -1 {
		t.Errorf("a model without a price was costed: %+v", c)
	}
}
