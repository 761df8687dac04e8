package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// The secrets here are not CANARY strings on purpose: the redactor has a rule for those, and
// these tests are about what reaches the prompt without passing the redactor at all.

// A secret-looking token two nodes share (in their names) is a candidate pair's "shared" token:
// it must reach the prompt redacted, like the names it came from.
func TestSharedTokensAreRedacted(t *testing.T) {
	const token = "Xk9q2Lm4Pz7Rt1Vw8Yb3Qs6N" // a webhook token pasted into two names
	f := &fakeAPI{behave: good}
	e, _ := setup(t, f, nil)
	g := estate(t)
	for _, id := range []string{"vercel:project:prj_hook", "digitalocean:droplet:2002"} {
		p, k, _, _ := graph.ParseID(id)
		if err := g.AddNode(graph.Node{ID: id, Provider: p, Kind: k, Name: "hook-" + token}); err != nil {
			t.Fatal(err)
		}
	}
	e.Propose(context.Background(), g)
	if f.requests() == 0 {
		t.Fatal("no request made")
	}
	sent := false
	for _, b := range f.bodies {
		if strings.Contains(strings.ToLower(b), strings.ToLower(token)) {
			t.Fatalf("shared token sent to the model:\n%s", b)
		}
		sent = sent || strings.Contains(b, "prj_hook")
	}
	if !sent {
		t.Fatal("the pair sharing the token was not asked about: the test proves nothing")
	}
}

// An API error that echoes the request (the key, a secret from the prompt) must not carry it
// into the returned error, the audit log or the summary.
func TestAPIErrorEchoIsScrubbed(t *testing.T) {
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		return 400, nil, `{"error":{"message":"bad request with key test-key: password=pw9 at postgres://odoo:pw8@db.example.com/erp","type":"invalid_request_error"}}`
	}}
	e, _ := setup(t, f, nil)
	_, err := e.Propose(context.Background(), estate(t))
	var sb strings.Builder
	e.WriteAudit(&sb, nil)
	all := sb.String()
	if err != nil {
		all += err.Error()
	}
	for k, v := range e.Summary() {
		all += k + "=" + strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(stringOf(v), "\n", " "), "\t", " "))
	}
	if !strings.Contains(all, "400") {
		t.Fatalf("the failure is not recorded anywhere: %s", all)
	}
	for _, s := range []string{"test-key", "pw9", "pw8"} {
		if strings.Contains(all, s) {
			t.Errorf("%q echoed: %s", s, all)
		}
	}
}

func stringOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
