package llmfake

import (
	"encoding/json"
	"strings"
	"testing"
)

func answer(t *testing.T, r Request) string {
	t.Helper()
	status, body := demoReply(r)
	var resp struct {
		Model   string
		Choices []struct{ Message struct{ Content string } }
	}
	if err := json.Unmarshal([]byte(body), &resp); status != 200 || err != nil || resp.Model != DemoModel {
		t.Fatalf("%d %v %s", status, err, body)
	}
	return resp.Choices[0].Message.Content
}

func withSchema(name, user string) Request {
	r := Request{Messages: []Message{{Role: "system", Content: "s"}, {Role: "user", Content: user}}}
	r.ResponseFormat = &struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name string `json:"name"`
		} `json:"json_schema"`
	}{Type: "json_schema", JSONSchema: &struct {
		Name string `json:"name"`
	}{Name: name}}
	return r
}

// The demo gateway answers from the estate it is asked about, not from the demo's ids: another
// estate's service reference gets its edge, quoted from its own cards.
func TestDemoEdgesFollowTheContent(t *testing.T) {
	user := `<estate>
{"cards":[{"id":"vercel:project:prj_x","kind":"project","provider":"vercel","name":"shop","attrs":{"env.PAY":"PayPal checkout","framework":"nextjs"}},
{"id":"external:host:api.paypal.com","kind":"host","provider":"external","name":"api.paypal.com","attrs":{"host":"api.paypal.com"}},
{"id":"external:host:api.stripe.com","kind":"host","provider":"external","name":"api.stripe.com","attrs":{"host":"api.stripe.com"}}],
"candidate_pairs":[{"pair_id":"p1","a":"external:host:api.paypal.com","b":"vercel:project:prj_x","allowed_types":["calls"]},
{"pair_id":"p2","a":"vercel:project:prj_x","b":"external:host:api.stripe.com","allowed_types":["calls"]}]}
</estate>
Decide every candidate pair.`
	got := answer(t, withSchema("edges", user))
	want := `{"edges":[{"from_id":"vercel:project:prj_x","to_id":"external:host:api.paypal.com","type":"calls","confidence":0.85,"evidence":[{"node_id":"vercel:project:prj_x","field":"env.PAY","quote":"PayPal"},{"node_id":"external:host:api.paypal.com","field":"host","quote":"api.paypal.com"}]}],"undecided":[]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A narrative has one grounded sentence and two the check must drop, all from the subgraph sent.
func TestDemoNarrativeFollowsTheContent(t *testing.T) {
	user := `<estate>
{"system":"a:app:1","nodes":[{"id":"a:app:1","kind":"app","name":"api"},{"id":"a:db:2","kind":"db","name":"main-db"}],"edges":[{"from":"a:app:1","to":"a:db:2","type":"uses_database","origin":"observed"}]}
</estate>
Write the narrative of system a:app:1.`
	got := answer(t, withSchema("narrative", user))
	for _, want := range []string{
		`{"text":"(demo data) api uses database main-db.","cites":["a:app:1","a:db:2"],"claims":[{"from":"a:app:1","to":"a:db:2","type":"uses_database"}]}`,
		`"cites":["a:app:1","a:app:1-legacy"]`,
		`"claims":[{"from":"a:db:2","to":"a:app:1","type":"uses_database"}]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("narrative lacks %s:\n%s", want, got)
		}
	}
}

func TestDemoKeyword(t *testing.T) {
	for q, want := range map[string]string{
		"what breaks if I rotate the acme-prod database password?": "acme-prod",
		"Who uses the storefront?":                                 "storefront",
		"what depends on erp.acme-coffee.com":                      "erp.acme-coffee.com",
	} {
		if got := keyword(q); got != want {
			t.Errorf("keyword(%q) = %q, want %q", q, got, want)
		}
	}
}
