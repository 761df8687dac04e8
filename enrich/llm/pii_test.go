package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// planted is personal data as it enters the graph (see pii.go): a mailbox in a free-text
// attribute and an Odoo mail server's login, an Odoo module author, a Docker maintainer label, and
// the name and slug of Vercel's personal scope, mentioned again in another node's attribute.
var planted = []string{"jane.doe", "billing@", "Jane Doe", "jane doe", "bob@builder.io", "Bob Builder", "Jane Q Public", "janeqp"}

func plantPII(t *testing.T, g *graph.Graph) {
	t.Helper()
	if err := g.AddNode(graph.Node{ID: "vercel:team:usr_jane", Provider: "vercel", Kind: "team", Name: "Jane Q Public", Attrs: graph.Attrs{"personal": true, "slug": "janeqp"}}); err != nil {
		t.Fatal(err)
	}
	env := g.NodePtr("vercel:env_var:prj_admin/env_odoo")
	env.Attrs["comment"] = "owner: jane.doe@acme-coffee.com, ask janeqp"
	erp := g.NodePtr("odoo:instance:erp.acme-coffee.com")
	erp.Attrs["from_filter"] = "billing@acme-coffee.com"
	erp.Attrs["author"] = "Jane Doe"
	erp.Attrs["label.maintainer"] = "Bob Builder <bob@builder.io>"
	erp.Attrs["note"] = "set up by Jane Q Public"
}

// Issue #23: emails and personal names reach no prompt; the domain of an email stays (it is
// evidence) and the cards still carry the rest.
func TestPersonalDataNeverSent(t *testing.T) {
	f := &fakeAPI{behave: good}
	e, _ := setup(t, f, nil)
	g := estate(t)
	plantPII(t, g)
	ps, err := e.Propose(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if f.requests() == 0 {
		t.Fatal("no request made")
	}
	all := strings.Join(f.bodies, "\n")
	if !strings.Contains(all, "env_odoo") || !strings.Contains(all, "odoo:instance:erp.acme-coffee.com") {
		t.Fatal("the nodes holding the planted data were not sent: the test proves nothing")
	}
	for _, p := range planted {
		if strings.Contains(strings.ToLower(all), strings.ToLower(p)) {
			t.Errorf("%q sent to the model", p)
		}
	}
	for _, want := range []string{`⟨pii:email:`, `⟨pii:name:`, `@acme-coffee.com`} {
		if !strings.Contains(all, want) {
			t.Errorf("request bodies lack %q", want)
		}
	}
	// The redaction costs no evidence the edge needed: the good edge is still accepted.
	if vs := validate(g, ps); len(vs) != 1 || !vs[0].Accepted {
		t.Errorf("verdicts %+v", vs)
	}
	var sb strings.Builder
	e.WriteAudit(&sb, nil)
	if !strings.Contains(sb.String(), `"email":`) || !strings.Contains(sb.String(), `"name":`) {
		t.Errorf("audit does not count the redactions: %s", sb.String())
	}
}

func TestRedactorPersonalData(t *testing.T) {
	r := NewRedactor([]byte("k")).WithPeople(People{Names: []string{"jane q public"}, Words: []string{"jane", "public"}})
	for _, c := range []struct{ in, keep, gone string }{
		{"mail jane.doe+x@acme-coffee.com now", "@acme-coffee.com now", "jane.doe"},
		{"mailto:ops@example.org", "mailto:", "ops@"},
		// a connection string's user is not an email
		{"postgres://postgres.abcdefghijklmnopqrst@aws-0-eu-central-1.pooler.supabase.com:6543/postgres", "postgres.abcdefghijklmnopqrst@", ""},
		{"built by JANE Q PUBLIC", "built by ", "JANE"},
	} {
		got := r.String(c.in)
		if !strings.Contains(got, c.keep) || (c.gone != "" && strings.Contains(got, c.gone)) {
			t.Errorf("String(%q) = %q", c.in, got)
		}
	}
	if got := r.Attr("label.maintainer", "Bob <bob@b.io>"); strings.Contains(got, "Bob") || !strings.HasPrefix(got, "⟨pii:name:") {
		t.Errorf("Attr(maintainer) = %q", got)
	}
	if got := r.Token("jane"); !strings.HasPrefix(got, "⟨pii:name:") {
		t.Errorf("Token(jane) = %q", got)
	}
	if got := r.Token("storefront"); got != "storefront" {
		t.Errorf("Token(storefront) = %q", got)
	}
	// the same person is the same placeholder: the model still sees that two values agree
	if a, b := r.String("Jane Q Public"), r.String("jane q public"); a != b {
		t.Errorf("%q != %q", a, b)
	}
}

// A tool result for `discover ask` is redacted by field: node ids stay (they are how the model
// cites), a personal scope's name and slug, an author, an email and a secret-named value go.
func TestRedactJSONToolResult(t *testing.T) {
	g := estate(t)
	plantPII(t, g)
	red := NewRedactor([]byte("k")).WithPeople(Personal(g))
	in := `{"nodes":[{"id":"vercel:team:usr_jane","name":"Jane Q Public","attrs":{"slug":"janeqp","personal":true}},
	 {"id":"odoo:instance:erp.acme-coffee.com","name":"erp.acme-coffee.com","attrs":{"author":"Jane Doe","password":"` + canary + `","host":"erp.acme-coffee.com"}}],
	 "edges":[{"from":"vercel:env_var:prj_admin/env_odoo","evidence":[{"node":"odoo:instance:erp.acme-coffee.com","field":"from_filter","value":"billing@acme-coffee.com"}]}],
	 "total":2}`
	out := RedactJSON(red, g, in)
	for _, bad := range append([]string{"CANARY"}, planted...) {
		if strings.Contains(strings.ToLower(out), strings.ToLower(bad)) {
			t.Errorf("%q left in %s", bad, out)
		}
	}
	for _, keep := range []string{`"id":"vercel:team:usr_jane"`, `"from":"vercel:env_var:prj_admin/env_odoo"`, `"host":"erp.acme-coffee.com"`, `@acme-coffee.com"`, `"total":2`, `"personal":true`} {
		if !strings.Contains(out, keep) {
			t.Errorf("%s lost from %s", keep, out)
		}
	}
	if got := RedactJSON(red, g, "not json: jane.doe@acme-coffee.com"); strings.Contains(got, "jane.doe") {
		t.Errorf("text result %q", got)
	}
}
