package enrich

import (
	"math"
	"testing"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas/schemastest"
)

// Issue #26 item 13: a quote grounds a claim only as a meaningful token of the field it names:
// the whole value, or a component of a host, URL or list; never a fragment of a word or a
// boolean.
func TestOccursMatchesWholeTokensOnly(t *testing.T) {
	cases := []struct {
		quote string
		vals  []string
		want  bool
	}{
		{"db.abcdefghijabcdefghij.supabase.co", []string{"db.abcdefghijabcdefghij.supabase.co"}, true},
		{"DB.abcdefghijabcdefghij.supabase.co", []string{"db.abcdefghijabcdefghij.supabase.co"}, true},
		{"abcdefghijabcdefghij", []string{"db.abcdefghijabcdefghij.supabase.co"}, true},                    // a label of the host
		{"db.x.supabase.co", []string{"postgres://u@db.x.supabase.co:5432/postgres"}, true},                // the host of a URL
		{"api.stripe.com", []string{"https://api.stripe.com/v1/charges?x=1"}, true},                        // the host of a URL
		{"acme", []string{"acme_prod"}, false},                                                             // a fragment of a name
		{"acme", []string{"acmecorp", "notacme"}, false},                                                   // a substring
		{"fals", []string{"false"}, false},                                                                 // a fragment of a boolean
		{"false", []string{"false"}, false},                                                                // a boolean names nothing
		{"true", []string{"true"}, false},                                                                  //
		{"stripe.co", []string{"api.stripe.com"}, false},                                                   // ends inside a label
		{".stripe.com", []string{"api.stripe.com"}, false},                                                 // starts on a separator
		{"", []string{""}, false},                                                                          //
		{"acme", []string{"acme"}, true},                                                                   // the whole value
		{"db", []string{"db"}, true},                                                                       // short, but whole
		{"db", []string{"db.example.com"}, false},                                                          // short and partial
		{"shop.example.com", []string{"https://shop.example.com", "https://other.example.com"}, true},      // one of a list
		{"www.example.com/hook", []string{"https://www.example.com/hook"}, true},                           // host and path
		{"5432", []string{"5432"}, true},                                                                   // a port, whole
		{"543", []string{"5432"}, false},                                                                   //
		{"abcdefghijabcdefghi", []string{"db.abcdefghijabcdefghij.supabase.co"}, false},                    // a ref cut short
		{"abcdefghijabcdefghij", []string{"postgres.abcdefghijabcdefghij", "abcdefghijabcdefghijk"}, true}, // pooler user
		// a URL's scheme, or a word for nothing, names no node (review of item 13)
		{"https", []string{"https://api.stripe.com/v1/charges"}, false},
		{"http", []string{"http://shop.example.com"}, false},
		{"postgres", []string{"postgres://u@db.x.supabase.co:5432/app"}, false},
		{"POSTGRESQL", []string{"postgresql://db.example.com/app"}, false},
		{"postgres", []string{"postgres://u@db.x.supabase.co:5432/postgres"}, true}, // the database's name
		{"null", []string{"null"}, false},
		{"None", []string{"none"}, false},
		{"undefined", []string{"undefined"}, false},
	}
	for _, c := range cases {
		if got := occurs(c.quote, c.vals); got != c.want {
			t.Errorf("occurs(%q, %q) = %v, want %v", c.quote, c.vals, got, c.want)
		}
	}
}

// The adversarial answers of item 13 quoted a fragment of a boolean and of a database name:
// the validator rejects both as ungrounded.
func TestValidatorRejectsFragmentQuotes(t *testing.T) {
	g := graph.New()
	for _, n := range []graph.Node{
		{ID: "docker:container:e1/web", Provider: "docker", Kind: "container", Attrs: graph.Attrs{"compose.oneoff": false, "env.DB_HOST.host": "acme_prod.internal"}},
		{ID: "digitalocean:db_cluster:d1", Provider: "digitalocean", Kind: "db_cluster", Attrs: graph.Attrs{"databases": []string{"acme_prod"}, "host": "db-1.example.com"}},
	} {
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	p := Proposal{Enricher: "llm/m", Edge: graph.Edge{From: "docker:container:e1/web", To: "digitalocean:db_cluster:d1", Type: "uses_database", Origin: graph.LLM, Confidence: 0.8,
		Evidence: []graph.Evidence{
			{Node: "docker:container:e1/web", Field: "compose.oneoff", Value: "fals"},
			{Node: "digitalocean:db_cluster:d1", Field: "databases", Value: "acme"},
		}}}
	vs := Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}.Check(g, []Proposal{p})
	if vs[0].Accepted {
		t.Fatal("fragments of a boolean and a name grounded an edge")
	}
	n := 0
	for _, r := range vs[0].Reasons {
		if r.Code == ReasonUngrounded {
			n++
		}
	}
	if n != 2 {
		t.Errorf("want both quotes ungrounded, reasons %v", vs[0].Reasons)
	}
}

// Issue #26 item 14: a confidence that is not a probability is rejected, whatever the threshold.
func TestValidatorRejectsConfidenceOutsideUnitInterval(t *testing.T) {
	for _, c := range []float64{1e9, -0.1, 1.0000001, math.NaN(), math.Inf(1), math.Inf(-1)} {
		p := good()
		p.Edge.Confidence = c
		vs := Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}.Check(small(t), []Proposal{p})
		if vs[0].Accepted || !contains(codesOf(vs[0]), string(ReasonConfidence)) {
			t.Errorf("confidence %v: accepted=%v reasons %v", c, vs[0].Accepted, vs[0].Reasons)
		}
	}
	// A threshold that is not a number must not accept everything: NaN compares false.
	p := good()
	p.Edge.Confidence = 0.1
	vs := Validator{Vocab: schemastest.Vocabulary(), Threshold: math.NaN()}.Check(small(t), []Proposal{p})
	if vs[0].Accepted {
		t.Error("threshold NaN accepted a proposal of confidence 0.1")
	}
}

func codesOf(v Verdict) []string {
	var out []string
	for _, r := range v.Reasons {
		out = append(out, string(r.Code))
	}
	return out
}
