package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/scan"
)

type estateCollector struct{ g *graph.Graph }

func (c estateCollector) Collect(ctx context.Context, emit graph.Emitter) error {
	for _, n := range c.g.Nodes() {
		emit.Node(n)
	}
	for _, e := range c.g.Edges() {
		emit.Edge(e)
	}
	return nil
}

// A whole scan with the LLM on: only validated edges enter the graph, and proposals.json shows
// the rejected ones with their reasons.
func TestScanWithLLM(t *testing.T) {
	mixed := `{"edges":[` + goodEdge + `,
	 {"from_id":"vercel:project:prj_evil","to_id":"digitalocean:droplet:1001","type":"calls","confidence":0.9,"evidence":[{"node_id":"vercel:project:prj_evil","field":"name","quote":"erp"},{"node_id":"digitalocean:droplet:1001","field":"name","quote":"erp-1"}]}],"undecided":[]}`
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		return 200, nil, completion(model, mixed)
	}}
	e, _ := setup(t, f, func(c *Config) { c.BatchSize = 50 })
	g := estate(t)
	var all []graph.Node
	for _, n := range g.Nodes() {
		all = append(all, n)
	}
	// one collector per provider, as a real scan would have
	byProvider := map[string]*graph.Graph{}
	for _, n := range all {
		if byProvider[n.Provider] == nil {
			byProvider[n.Provider] = graph.New()
		}
		byProvider[n.Provider].AddNode(n)
	}
	for _, ed := range g.Edges() {
		byProvider["vercel"].AddEdge(ed)
	}
	var insts []collectors.Instance
	for p, pg := range byProvider {
		insts = append(insts, collectors.Instance{Provider: p, Name: "default", Collector: estateCollector{pg}})
	}
	res, err := scan.Run(context.Background(), scan.Options{Instances: insts, Enrichers: []enrich.Enricher{e}})
	if err != nil {
		t.Fatal(err)
	}
	var llmEdges []graph.Edge
	for _, ed := range res.Graph.Edges() {
		if ed.Origin == graph.LLM {
			llmEdges = append(llmEdges, ed)
		}
	}
	if len(llmEdges) != 1 || llmEdges[0].To != "odoo:instance:erp.acme-coffee.com" {
		t.Fatalf("llm edges in graph: %+v", llmEdges)
	}
	var buf bytes.Buffer
	if err := scan.WriteProposals(&buf, res.Verdicts); err != nil {
		t.Fatal(err)
	}
	var doc struct { // proposals.json as a consumer reads it: each reason one "code: detail" string
		Proposals []struct {
			Accepted bool
			Reasons  []string
		} `json:"proposals"`
	}
	json.Unmarshal(buf.Bytes(), &doc)
	rejected := 0
	for _, v := range doc.Proposals {
		if !v.Accepted {
			rejected++
			if !strings.Contains(strings.Join(v.Reasons, ";"), string(enrich.ReasonNameOnly)+": ") {
				t.Errorf("rejected without the reason: %+v", v)
			}
		}
	}
	if rejected != 1 || len(doc.Proposals) != 2 {
		t.Errorf("proposals.json: %s", buf.String())
	}
	if res.Graph.Scan.Enrichment["llm.calls"] == nil {
		t.Errorf("usage not in the scan report: %v", res.Graph.Scan.Enrichment)
	}
}
