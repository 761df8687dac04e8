package enrich

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas/schemastest"
)

// vocabFS is the real edges.yaml, external.yaml and git.yaml plus the given files.
func vocabFS(t *testing.T, files map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"edges.yaml", "external.yaml", "git.yaml"} {
		b, err := os.ReadFile("../schemas/vocabulary/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys["vocabulary/"+name] = &fstest.MapFile{Data: b}
	}
	for name, s := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(s)}
	}
	return fsys
}

// small is a graph of three nodes: a Vercel env var referencing a Supabase project's host.
func small(t *testing.T) *graph.Graph {
	g := graph.New()
	for _, n := range []graph.Node{
		{ID: "vercel:project:p1", Provider: "vercel", Kind: "project", Name: "shop"},
		{ID: "vercel:env_var:p1/e1", Provider: "vercel", Kind: "env_var", Name: "DATABASE_URL",
			Attrs: graph.Attrs{"key": "DATABASE_URL", "value.host": "db.abcdefghijabcdefghij.supabase.co", "value.port": 5432}},
		{ID: "supabase:project:abcdefghijabcdefghij", Provider: "supabase", Kind: "project", Name: "prod",
			Attrs: graph.Attrs{"db_host": "db.abcdefghijabcdefghij.supabase.co"}},
		{ID: "digitalocean:dns_record:d/1", Provider: "digitalocean", Kind: "dns_record", Attrs: graph.Attrs{"fqdn": "x.example.com"}},
	} {
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.AddEdge(graph.Observe("vercel:project:p1", "vercel:env_var:p1/e1", "contains")); err != nil {
		t.Fatal(err)
	}
	return g
}

// good is a proposal the validator accepts; each case below breaks one thing.
func good() Proposal {
	return Proposal{
		Enricher: "test",
		Via:      []string{"vercel:env_var:p1/e1"},
		Edge: graph.Edge{From: "vercel:project:p1", To: "supabase:project:abcdefghijabcdefghij", Type: "uses_database", Origin: graph.Rule, Confidence: 0.9,
			Evidence: []graph.Evidence{
				{Node: "vercel:env_var:p1/e1", Field: "value.host", Value: "db.abcdefghijabcdefghij.supabase.co"},
				{Node: "supabase:project:abcdefghijabcdefghij", Field: "db_host", Value: "abcdefghijabcdefghij"},
			}},
	}
}

func TestValidatorAcceptsGrounded(t *testing.T) {
	v := Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}
	vs := v.Check(small(t), []Proposal{good()})
	if !vs[0].Accepted || len(vs[0].Reasons) != 0 {
		t.Fatalf("good proposal rejected: %v", vs[0].Reasons)
	}
}

func TestValidatorRejectsEachReason(t *testing.T) {
	ext := graph.Node{ID: "external:host:api.stripe.com", Provider: "external", Kind: "host", Name: "api.stripe.com", Attrs: graph.Attrs{"host": "api.stripe.com"}}
	cases := []struct {
		code   Code
		mutate func(p *Proposal)
	}{
		{ReasonMissingEndpoint, func(p *Proposal) { p.Edge.To = "supabase:project:nope" }},
		{ReasonSelfLoop, func(p *Proposal) { p.Edge.To = p.Edge.From }},
		{ReasonUnknownType, func(p *Proposal) { p.Edge.Type = "teleports_to" }},
		// an observed-only relationship may not be inferred, nor a pair no vocabulary file allows
		{ReasonPairNotAllowed, func(p *Proposal) { p.Edge.Type = "contains" }},
		{ReasonConfidence, func(p *Proposal) { p.Edge.Confidence = 1.2 }},
		{ReasonBelowThreshold, func(p *Proposal) { p.Edge.Confidence = 0.3 }},
		{ReasonNoEvidence, func(p *Proposal) { p.Edge.Evidence = nil }},
		// evidence naming a node off the chain, a field the node lacks, a value that is not there
		{ReasonUngrounded, func(p *Proposal) {
			p.Edge.Evidence = append(p.Edge.Evidence, graph.Evidence{Node: "digitalocean:dns_record:d/1", Field: "fqdn", Value: "x.example.com"})
		}},
		{ReasonUngrounded, func(p *Proposal) { p.Edge.Evidence[1].Field = "api_host" }},
		{ReasonUngrounded, func(p *Proposal) { p.Edge.Evidence[1].Value = "zyxwvutsrqzyxwvutsrq" }},
		{ReasonUngrounded, func(p *Proposal) { p.Edge.Evidence[1].Value = "db" }}, // too short to quote
		{ReasonBadOrigin, func(p *Proposal) { p.Edge.Origin = graph.Observed }},
		{ReasonNameOnly, func(p *Proposal) {
			p.Edge.Evidence = []graph.Evidence{{Node: "vercel:project:p1", Field: "name", Value: "shop"}, {Node: "supabase:project:abcdefghijabcdefghij", Field: "name", Value: "prod"}}
		}},
		// a new node that is not external, or not an endpoint
		{ReasonBadNewNode, func(p *Proposal) {
			p.NewNodes = []graph.Node{{ID: "supabase:project:nope", Provider: "supabase", Kind: "project"}}
			p.Edge.To = "supabase:project:nope"
		}},
		{ReasonBadNewNode, func(p *Proposal) { p.NewNodes = []graph.Node{ext} }},
		{ReasonBadVia, func(p *Proposal) { p.Via = append(p.Via, "digitalocean:dns_record:gone") }},
		{ReasonOutOfScope, func(p *Proposal) { p.Scope = []string{"vercel:project:p1"} }},
		// an LLM must quote both ends of what it links
		{ReasonOneSided, func(p *Proposal) {
			p.Via = nil
			p.Edge.Origin = graph.LLM
			p.Edge.Evidence = p.Edge.Evidence[1:]
		}},
	}
	covered := map[Code]bool{}
	v := Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}
	for _, c := range cases {
		p := good()
		p.Edge.Evidence = append([]graph.Evidence(nil), p.Edge.Evidence...)
		c.mutate(&p)
		vs := v.Check(small(t), []Proposal{p})
		if vs[0].Accepted {
			t.Errorf("%s: accepted", c.code)
			continue
		}
		var codes []Code
		for _, r := range vs[0].Reasons {
			codes = append(codes, r.Code)
		}
		if !slices.Contains(codes, c.code) {
			t.Errorf("%s: reasons %v", c.code, vs[0].Reasons)
		}
		covered[c.code] = true
	}
	for _, code := range Reasons {
		if !covered[code] {
			t.Errorf("reason %s has no test", code)
		}
	}
}

func TestValidatorReturnsEveryReason(t *testing.T) {
	p := good()
	p.Edge.Origin = "guess"
	p.Edge.Confidence = -1
	p.Edge.Evidence = nil
	p.Edge.To = p.Edge.From
	vs := Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}.Check(small(t), []Proposal{p})
	var codes []Code
	for _, r := range vs[0].Reasons {
		codes = append(codes, r.Code)
	}
	for _, want := range []Code{ReasonBadOrigin, ReasonConfidence, ReasonNoEvidence, ReasonSelfLoop, ReasonPairNotAllowed} {
		if !slices.Contains(codes, want) {
			t.Errorf("missing %s in %v", want, vs[0].Reasons)
		}
	}
}

func TestValidatorNewExternalNode(t *testing.T) {
	g := small(t)
	p := Proposal{Enricher: "test", Via: []string{"vercel:env_var:p1/e1"},
		NewNodes: []graph.Node{{ID: "external:host:api.stripe.com", Provider: "external", Kind: "host", Name: "api.stripe.com", Attrs: graph.Attrs{"host": "api.stripe.com"}}},
		Edge: graph.Edge{From: "vercel:project:p1", To: "external:host:api.stripe.com", Type: "calls", Origin: graph.Rule, Confidence: 0.9,
			Evidence: []graph.Evidence{{Node: "external:host:api.stripe.com", Field: "host", Value: "api.stripe.com"}}}}
	vs := Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}.Check(g, []Proposal{p})
	if !vs[0].Accepted {
		t.Fatalf("rejected: %v", vs[0].Reasons)
	}
	if g.HasNode("external:host:api.stripe.com") {
		t.Fatal("Check created a node")
	}
	if Apply(g, vs) != 1 || !g.HasNode("external:host:api.stripe.com") {
		t.Fatal("Apply did not create the external node with its edge")
	}
	// A rejected proposal creates nothing.
	g2 := small(t)
	p.Edge.Confidence = 0.1
	vs = Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}.Check(g2, []Proposal{p})
	Apply(g2, vs)
	if g2.HasNode("external:host:api.stripe.com") {
		t.Error("a rejected proposal created its node")
	}
}

func TestApplyMergesDuplicates(t *testing.T) {
	g := small(t)
	a, b := good(), good()
	a.Edge.Confidence = 0.7
	b.Edge.Origin = graph.LLM
	b.Edge.Evidence = b.Edge.Evidence[:1]
	b.Edge.Evidence = append(b.Edge.Evidence, graph.Evidence{Node: "supabase:project:abcdefghijabcdefghij", Field: "name", Value: "prod"})
	vs := Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}.Check(g, []Proposal{a, b})
	if added := Apply(g, vs); added != 1 {
		t.Fatalf("added %d, want 1", added)
	}
	e, _ := g.Edge(a.Edge.Key())
	if e.Confidence != 0.9 || len(e.Evidence) != 3 || len(e.Origins) != 2 {
		t.Errorf("merged edge = %+v", e)
	}
	if len(vs[1].Notes) == 0 || !strings.Contains(vs[1].Notes[0], "merged") {
		t.Errorf("notes = %v", vs[1].Notes)
	}
}

func TestReasonCodesStable(t *testing.T) {
	// proposals.json consumers match on these strings.
	want := "endpoint_missing self_loop unknown_edge_type pair_not_allowed confidence_out_of_range below_threshold no_evidence evidence_ungrounded bad_origin new_node_invalid via_missing endpoint_not_offered evidence_name_only evidence_one_sided"
	if got := strings.Trim(fmt.Sprint(Reasons), "[]"); got != want {
		t.Errorf("reason codes changed:\n got %s\nwant %s", got, want)
	}
}
