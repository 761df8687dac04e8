package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
)

// proposalsByEncodingJSON is WriteProposals as it was before it streamed: the sorted verdicts in
// one document through json.Encoder. The streamed writer must write the same bytes.
func proposalsByEncodingJSON(vs []enrich.Verdict) ([]byte, error) {
	sorted := append([]enrich.Verdict(nil), vs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		ka, kb := sorted[i].Proposal.Edge.Key(), sorted[j].Proposal.Edge.Key()
		if ka != kb {
			if ka.From != kb.From {
				return ka.From < kb.From
			}
			if ka.To != kb.To {
				return ka.To < kb.To
			}
			return ka.Type < kb.Type
		}
		return sorted[i].Proposal.Enricher < sorted[j].Proposal.Enricher
	})
	if sorted == nil {
		sorted = []enrich.Verdict{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		SchemaVersion string           `json:"schema_version"`
		Proposals     []enrich.Verdict `json:"proposals"`
	}{graph.SchemaVersion, sorted})
	return buf.Bytes(), err
}

// nasty holds every character encoding/json escapes, HTML characters, U+2028/2029, invalid
// UTF-8 and multi-byte text.
const nasty = "q\"b\\s/ \b\f\n\r\t\x00\x01\x1f\x7f <a href=\"x\">&amp; \u2028\u2029 \xff\xfe ünï €𝄞 end"

func TestProposalsMatchEncodingJSON(t *testing.T) {
	attrs := graph.Attrs{
		"s": "api.example.com", "nasty": nasty, "empty": "", "t": true, "f": false,
		"i": int64(-42), "big": int64(math.MaxInt64), "zero": 0.0, "half": 0.5, "neg": -1.25,
		"tiny": 1e-7, "tiny2": 1.5e-9, "huge": 1e21, "huger": 3.5e300, "edge": 1e20, "round": 123456789.0,
		"sub": 5e-324, "list": []string{"a", nasty, ""}, "nil-list": []string(nil), "empty-list": []string{},
		// types NormalizeAttrs would convert, written by encoding/json at their depth
		"any-list": []any{"x", 1, true, map[string]any{"k": []int{1, 2}}}, "map": map[string]any{"b": 1, "a": "<&>"},
		"int": 7, "ints": []int{}, "struct": struct {
			A string `json:"a"`
			B []int  `json:"b"`
		}{nasty, []int{3}},
		"nil": nil,
	}
	node := graph.Node{ID: "external:host:api.example.com", Kind: "host", Provider: "external", Name: nasty, Attrs: attrs,
		Source: "x/y", FirstSeen: "2026-01-01T00:00:00Z", LastSeen: "2026-01-02T00:00:00Z", Stale: true, StaleSince: "2026-01-02T00:00:00Z"}
	bare := graph.Node{ID: "external:ip:203.0.113.9", Kind: "ip", Provider: "external", Name: "203.0.113.9"}
	edge := func(from, to, typ string, conf float64) graph.Edge {
		return graph.Edge{From: from, To: to, Type: typ, Origin: graph.Rule, Confidence: conf,
			Evidence: []graph.Evidence{{Node: from, Field: "url", Value: nasty}, {Node: to, Field: "host", Value: "h"}}}
	}
	full := edge("vercel:project:p", "external:host:api.example.com", "calls", 0.95)
	full.Origins = []graph.Origin{graph.Observed, graph.Rule}
	full.Via = []string{"vercel:env_var:p/e", nasty}
	full.Source, full.FirstSeen, full.LastSeen, full.Stale, full.StaleSince = "s", "f", "l", true, "ss"
	vs := []enrich.Verdict{
		{Proposal: enrich.Proposal{Edge: full, Enricher: "rules/host", Rationale: nasty, Via: []string{"a", nasty}, NewNodes: []graph.Node{node, bare}},
			Accepted: true, Notes: []string{"created external:host:api.example.com", nasty}},
		{Proposal: enrich.Proposal{Edge: edge("b", "a", "calls", 0.3), Enricher: "rules/z", Scope: []string{"hidden"}},
			Reasons: []enrich.Reason{{Code: enrich.ReasonBelowThreshold, Detail: "0.30 < 0.60"}, {Code: enrich.ReasonUngrounded, Detail: nasty}}},
		// the same edge from two enrichers, given in the wrong order: sorted by enricher
		{Proposal: enrich.Proposal{Edge: edge("b", "a", "calls", 0.7), Enricher: "llm/m"}, Accepted: true},
		{Proposal: enrich.Proposal{Edge: edge("a", "b", "uses_database", 1e-7), Enricher: "rules/a"}, Accepted: true},
		{Proposal: enrich.Proposal{Edge: edge("a", "b", "calls", 1e21), Enricher: "rules/a"}},
		{Proposal: enrich.Proposal{Edge: edge("a", "b", "allows", 0), Enricher: "rules/a", Via: []string{}, NewNodes: []graph.Node{}},
			Reasons: []enrich.Reason{}, Notes: []string{}},
		{Proposal: enrich.Proposal{Edge: graph.Edge{From: "a", To: "a", Evidence: []graph.Evidence{}}}},
		// equal keys and enrichers: the given order stays
		{Proposal: enrich.Proposal{Edge: edge("c", "d", "calls", 0.1), Enricher: "rules/same", Rationale: "first"}},
		{Proposal: enrich.Proposal{Edge: edge("c", "d", "calls", 0.2), Enricher: "rules/same", Rationale: "second"}},
	}
	// many verdicts, and one merged from 20,000 candidates: written in chunks
	var many []enrich.Verdict
	for i := range 3000 {
		many = append(many, vs[i%len(vs)])
		many[i].Proposal.Edge.From = fmt.Sprintf("n%05d", (i*7919)%3000)
	}
	hub := vs[0]
	hub.Proposal.Edge.Evidence = nil
	for i := range 20000 {
		hub.Proposal.Edge.Evidence = append(hub.Proposal.Edge.Evidence, graph.Evidence{Node: fmt.Sprintf("vercel:env_var:p/e%d", i), Field: "value.host", Value: nasty})
		hub.Proposal.Via = append(hub.Proposal.Via, fmt.Sprintf("vercel:env_var:p/e%d", i))
	}
	many = append(many, hub)
	for name, in := range map[string][]enrich.Verdict{"nil": nil, "empty": {}, "one": vs[:1], "all": vs, "many": many} {
		want, err := proposalsByEncodingJSON(in)
		if err != nil {
			t.Fatalf("%s: encoding/json: %v", name, err)
		}
		var got bytes.Buffer
		if err := WriteProposals(&got, in); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: bytes differ from encoding/json's at %d:\n got %q\nwant %q", name, firstDiff(got.Bytes(), want), got.String(), want)
		}
	}
	// written in chunks: neither the document nor the hub's verdict is held whole
	var w chunks
	if err := WriteProposals(&w, many); err != nil {
		t.Fatal(err)
	}
	if w.n < 10 || w.max > 256<<10 {
		t.Errorf("%d writes, the largest %d bytes: want chunks of about 64 KiB", w.n, w.max)
	}
	// an HTML character in a reason is escaped (Reason.MarshalJSON), elsewhere it is not
	var got bytes.Buffer
	if err := WriteProposals(&got, vs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.String(), `"below_threshold: 0.30 \u003c 0.60"`) || !strings.Contains(got.String(), `"rationale": "q\"b\\s/ \b\f\n\r\t\u0000\u0001\u001f`+"\x7f"+` <a href=\"x\">&amp;`) {
		t.Errorf("escapes:\n%s", got.String())
	}
}

// A confidence JSON cannot hold fails the document, as it did through encoding/json.
func TestProposalsRefuseNaN(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		vs := []enrich.Verdict{{Proposal: enrich.Proposal{Edge: graph.Edge{From: "a", To: "b", Type: "calls", Confidence: f}}}}
		if _, err := proposalsByEncodingJSON(vs); err == nil {
			t.Fatalf("encoding/json wrote %v", f)
		}
		if err := WriteProposals(&bytes.Buffer{}, vs); err == nil || !strings.Contains(err.Error(), "unsupported value") {
			t.Errorf("%v: err %v", f, err)
		}
	}
}

// chunks counts writes and the largest.
type chunks struct{ n, max int }

func (c *chunks) Write(p []byte) (int, error) {
	c.n++
	c.max = max(c.max, len(p))
	return len(p), nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
