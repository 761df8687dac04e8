package enrich

import (
	"fmt"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// Rejection reasons, stable strings kept in proposals.json.
const (
	ReasonMissingEndpoint = "endpoint_missing"
	ReasonSelfLoop        = "self_loop"
	ReasonUnknownType     = "unknown_edge_type"
	ReasonPairNotAllowed  = "pair_not_allowed"
	ReasonConfidence      = "confidence_out_of_range"
	ReasonBelowThreshold  = "below_threshold"
	ReasonNoEvidence      = "no_evidence"
	ReasonUngrounded      = "evidence_ungrounded"
	ReasonBadOrigin       = "bad_origin"
	ReasonOutOfScope      = "endpoint_not_offered"
	ReasonNameOnly        = "evidence_name_only"
	ReasonOneSided        = "evidence_one_sided"
)

// Validator checks proposals against the graph and the vocabulary.
type Validator struct {
	Vocab *schemas.Vocabulary
	// Threshold is the lowest accepted confidence.
	Threshold float64
}

// Check returns one verdict per proposal, in order, with every reason that applies.
func (v Validator) Check(g *graph.Graph, ps []Proposal) []Verdict {
	out := make([]Verdict, 0, len(ps))
	for _, p := range ps {
		out = append(out, Verdict{Proposal: p, Reasons: v.reasons(g, p)})
		out[len(out)-1].Accepted = len(out[len(out)-1].Reasons) == 0
	}
	return out
}

func (v Validator) reasons(g *graph.Graph, p Proposal) []string {
	e := p.Edge
	var rs []string
	add := func(code, format string, args ...any) { rs = append(rs, code+": "+fmt.Sprintf(format, args...)) }
	from, okF := g.Node(e.From)
	to, okT := g.Node(e.To)
	if !okF {
		add(ReasonMissingEndpoint, "from %s does not exist", e.From)
	}
	if !okT {
		add(ReasonMissingEndpoint, "to %s does not exist", e.To)
	}
	if len(p.Scope) > 0 {
		offered := map[string]bool{}
		for _, id := range p.Scope {
			offered[id] = true
		}
		for _, id := range []string{e.From, e.To} {
			if !offered[id] {
				add(ReasonOutOfScope, "%s was not among the nodes the proposer was given", id)
			}
		}
	}
	if e.From == e.To {
		add(ReasonSelfLoop, "%s points at itself", e.From)
	}
	if e.Origin != graph.Rule && e.Origin != graph.LLM {
		add(ReasonBadOrigin, "origin %q is not rule or llm", e.Origin)
	}
	if _, ok := v.Vocab.EdgeTypes[e.Type]; !ok {
		add(ReasonUnknownType, "%q is not an edge type", e.Type)
	} else if okF && okT && !v.Vocab.EdgeAllowed(e.Type, from.Provider+":"+from.Kind, to.Provider+":"+to.Kind) {
		add(ReasonPairNotAllowed, "%s is not allowed from %s:%s to %s:%s", e.Type, from.Provider, from.Kind, to.Provider, to.Kind)
	}
	if e.Confidence < 0 || e.Confidence > 1 {
		add(ReasonConfidence, "%v is outside [0,1]", e.Confidence)
	} else if e.Confidence < v.Threshold {
		add(ReasonBelowThreshold, "%.2f < %.2f", e.Confidence, v.Threshold)
	}
	if len(e.Evidence) == 0 {
		add(ReasonNoEvidence, "no evidence given")
	}
	if e.Origin == graph.LLM && len(e.Evidence) > 0 {
		// A model's word is not evidence: it must quote a reference (not just names, which are
		// never enough), and quote both sides of the link.
		names, sides := true, map[string]bool{}
		for _, ev := range e.Evidence {
			if ev.Field != "name" {
				names = false
			}
			sides[ev.Node] = true
		}
		if names {
			add(ReasonNameOnly, "only names are quoted; name similarity is never enough")
		}
		if !sides[e.From] || !sides[e.To] {
			add(ReasonOneSided, "evidence must quote both %s and %s", e.From, e.To)
		}
	}
	allowed := map[string]bool{e.From: true, e.To: true}
	for _, id := range p.Via {
		allowed[id] = true
	}
	for _, ev := range e.Evidence {
		if !allowed[ev.Node] {
			add(ReasonUngrounded, "evidence names %s, which is neither endpoint nor on the chain between them", ev.Node)
			continue
		}
		n, ok := g.Node(ev.Node)
		if !ok {
			add(ReasonUngrounded, "evidence node %s does not exist", ev.Node)
			continue
		}
		vals, ok := n.AttrValues(ev.Field)
		if !ok && ev.Field == "name" {
			vals, ok = []string{n.Name}, true
		}
		if !ok {
			add(ReasonUngrounded, "%s has no field %q", ev.Node, ev.Field)
			continue
		}
		if !occurs(ev.Value, vals) {
			add(ReasonUngrounded, "%s.%s does not contain %q", ev.Node, ev.Field, ev.Value)
		}
	}
	sort.Strings(rs)
	return rs
}

// occurs reports whether value occurs in one of vals: exactly, or case-insensitively as a
// substring (a quoted host inside a URL).
func occurs(value string, vals []string) bool {
	if value == "" {
		return false
	}
	lv := strings.ToLower(value)
	for _, v := range vals {
		if v == value || strings.Contains(strings.ToLower(v), lv) {
			return true
		}
	}
	return false
}

// Apply adds accepted proposals to g, merging duplicates of existing edges (highest confidence,
// union of evidence and origins), and annotates the verdicts that merged.
func Apply(g *graph.Graph, vs []Verdict) (added int) {
	for i := range vs {
		if !vs[i].Accepted {
			continue
		}
		e := vs[i].Proposal.Edge
		if old, ok := g.Edge(e.Key()); ok {
			vs[i].Reasons = append(vs[i].Reasons, fmt.Sprintf("merged with existing %s edge", old.Origin))
		} else {
			added++
		}
		_ = g.AddEdge(e) // endpoints were checked
	}
	return added
}
