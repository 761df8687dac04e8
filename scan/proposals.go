package scan

import (
	"io"
	"slices"
	"strings"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
)

// WriteProposals writes every proposal with its verdict, sorted by edge (then enricher, stable),
// deterministic. It streams: each verdict is appended to one reused buffer in the bytes
// json.Encoder with SetIndent("", "  ") and SetEscapeHTML(false) writes for the document
// {"schema_version", "proposals"}, flushed every 64 KiB, so 100k verdicts (or one with 100k
// evidence items) cost neither a copy of the document in memory nor reflection
// (TestProposalsMatchEncodingJSON compares both on every value type). A value JSON cannot hold (a NaN confidence) is an error, as from encoding/json;
// what was written before it is then incomplete.
func WriteProposals(w io.Writer, vs []enrich.Verdict) error {
	order := make([]int32, len(vs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return compareVerdicts(&vs[a], &vs[b]) })
	j := graph.NewJSONWriter(w, "proposals")
	j.Raw("{\n  \"schema_version\": ")
	j.String(graph.SchemaVersion)
	j.Raw(",\n  \"proposals\": ")
	j.Array(1, len(order), func(i int) { writeVerdict(j, 2, &vs[order[i]]) })
	j.Raw("\n}\n")
	return j.Close()
}

// compareVerdicts orders verdicts by edge (from, to, type), then enricher.
func compareVerdicts(a, b *enrich.Verdict) int {
	ea, eb := &a.Proposal.Edge, &b.Proposal.Edge
	if c := strings.Compare(ea.From, eb.From); c != 0 {
		return c
	}
	if c := strings.Compare(ea.To, eb.To); c != 0 {
		return c
	}
	if c := strings.Compare(ea.Type, eb.Type); c != 0 {
		return c
	}
	return strings.Compare(a.Proposal.Enricher, b.Proposal.Enricher)
}

// writeVerdict writes v at depth d (its opening brace where the line already is).
func writeVerdict(j *graph.JSONWriter, d int, v *enrich.Verdict) {
	p := &v.Proposal
	j.Raw("{")
	j.Field(d+1, true, "proposal")
	j.Raw("{")
	j.Field(d+2, true, "edge")
	j.Edge(d+2, &p.Edge)
	j.Str(d+2, false, "enricher", p.Enricher)
	j.StrOmit(d+2, "rationale", p.Rationale)
	if len(p.Via) > 0 {
		j.Field(d+2, false, "via")
		j.Strings(d+2, p.Via)
	}
	if len(p.NewNodes) > 0 {
		j.Field(d+2, false, "new_nodes")
		j.Array(d+2, len(p.NewNodes), func(i int) { j.Node(d+3, &p.NewNodes[i]) })
	}
	j.Indent(d + 1)
	j.Raw("}")
	j.Field(d+1, false, "accepted")
	j.Bool(v.Accepted)
	if len(v.Reasons) > 0 {
		// Reason.MarshalJSON is json.Marshal of its string: HTML characters escaped ("<" is
		// \u003c), which the encoder keeps as the marshaler wrote them
		j.Field(d+1, false, "reasons")
		j.Array(d+1, len(v.Reasons), func(i int) { j.HTMLString(v.Reasons[i].String()) })
	}
	if len(v.Notes) > 0 {
		j.Field(d+1, false, "notes")
		j.Strings(d+1, v.Notes)
	}
	j.Indent(d)
	j.Raw("}")
}
