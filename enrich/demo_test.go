package enrich_test

import (
	"context"
	"slices"
	"testing"

	"github.com/infragraph/infragraph/demo/demograph"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/eval"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// TestRulesFindTheDemoTruth runs the rules over the shared test estate (the demo's graph as the
// collectors emitted it) and scores them against the demo's hand-labelled truth
// (demo/truth.yaml, complete): every labelled edge but the one only the LLM can find is accepted,
// and nothing else is.
func TestRulesFindTheDemoTruth(t *testing.T) {
	g := demograph.Collected(t)
	truth, err := eval.LoadTruth("../demo/truth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := enrich.Rules{Vocab: v}.Propose(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, vd := range (enrich.Validator{Vocab: v, Threshold: 0.5}).Check(g, ps) {
		if vd.Accepted {
			got = append(got, vd.Proposal.Edge.Key().String())
		}
	}
	llmOnly := graph.EdgeKey{From: "odoo:payment_provider:erp.acme-coffee.com/acme/1", To: "external:host:api.stripe.com", Type: "calls"}
	var want []string
	for _, e := range truth.Edges {
		if k := (graph.EdgeKey{From: e.From, To: e.To, Type: e.Type}); k != llmOnly {
			want = append(want, k.String())
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("accepted rule edges differ from demo/truth.yaml:\n got %q\nwant %q", got, want)
	}
	if len(want) != 17 {
		t.Errorf("%d labelled rule edges, want the demo's 17", len(want))
	}
}
