package enrich

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// Code is a rejection reason's stable code: proposals.json starts every reason with it.
type Code string

// Rejection codes.
const (
	ReasonMissingEndpoint Code = "endpoint_missing"
	ReasonSelfLoop        Code = "self_loop"
	ReasonUnknownType     Code = "unknown_edge_type"
	ReasonPairNotAllowed  Code = "pair_not_allowed"
	ReasonConfidence      Code = "confidence_out_of_range"
	ReasonBelowThreshold  Code = "below_threshold"
	ReasonNoEvidence      Code = "no_evidence"
	ReasonUngrounded      Code = "evidence_ungrounded"
	ReasonBadOrigin       Code = "bad_origin"
	ReasonBadNewNode      Code = "new_node_invalid"
	ReasonBadVia          Code = "via_missing"
	ReasonOutOfScope      Code = "endpoint_not_offered"
	ReasonNameOnly        Code = "evidence_name_only"
	ReasonOneSided        Code = "evidence_one_sided"
)

// Reasons lists every rejection code, for documentation and tests.
var Reasons = []Code{
	ReasonMissingEndpoint, ReasonSelfLoop, ReasonUnknownType, ReasonPairNotAllowed, ReasonConfidence,
	ReasonBelowThreshold, ReasonNoEvidence, ReasonUngrounded, ReasonBadOrigin, ReasonBadNewNode, ReasonBadVia,
	ReasonOutOfScope, ReasonNameOnly, ReasonOneSided,
}

// Reason is one rejection reason: its code, and what was wrong in words. proposals.json carries
// it as one string, "code: detail" (String).
type Reason struct {
	Code   Code
	Detail string
}

func (r Reason) String() string { return string(r.Code) + ": " + r.Detail }

// MarshalJSON writes the reason as proposals.json has always carried it: "code: detail".
func (r Reason) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// Validator checks proposals against the graph and the vocabulary. Every proposal, from the rules
// or from the LLM, passes it before it enters the graph.
type Validator struct {
	Vocab *schemas.Vocabulary
	// Threshold is the lowest accepted confidence.
	Threshold float64
}

// Check returns one verdict per proposal, in order, each with every reason that applies (not just
// the first). It does not modify g.
func (v Validator) Check(g *graph.Graph, ps []Proposal) []Verdict {
	out := make([]Verdict, 0, len(ps))
	pairs := map[kindPair]bool{}
	for _, p := range ps {
		rs := v.reasons(g, p, pairs)
		out = append(out, Verdict{Proposal: p, Reasons: rs, Accepted: len(rs) == 0})
	}
	return out
}

// nodeOf finds id in the graph (its own node, read only) or among the proposal's new nodes.
func nodeOf(g *graph.Graph, p Proposal, id string) (*graph.Node, bool) {
	if n := g.NodePtr(id); n != nil {
		return n, true
	}
	for _, n := range p.NewNodes {
		if n.ID == id {
			n.Attrs = graph.NormalizeAttrs(n.Attrs)
			return &n, true
		}
	}
	return nil, false
}

// kindPair is an edge type and the qualified kinds of its ends, as InferAllowed is asked.
type kindPair struct{ typ, fromProvider, fromKind, toProvider, toKind string }

func (v Validator) reasons(g *graph.Graph, p Proposal, pairs map[kindPair]bool) []Reason {
	e := p.Edge
	var rs []Reason
	add := func(code Code, format string, args ...any) {
		rs = append(rs, Reason{code, fmt.Sprintf(format, args...)})
	}

	for _, n := range p.NewNodes {
		switch {
		case n.Validate() != nil:
			add(ReasonBadNewNode, "%s: %v", clip(n.ID), n.Validate())
		case n.Provider != "external":
			add(ReasonBadNewNode, "%s: only external nodes may be proposed", n.ID)
		case n.ID != e.From && n.ID != e.To:
			add(ReasonBadNewNode, "%s is not an endpoint of the edge", n.ID)
		default:
			if _, ok := v.Vocab.Kind(n.Provider, n.Kind); !ok {
				add(ReasonBadNewNode, "%s: kind %s:%s is not in the vocabulary", n.ID, n.Provider, n.Kind)
			}
		}
	}
	from, okF := nodeOf(g, p, e.From)
	to, okT := nodeOf(g, p, e.To)
	if !okF {
		add(ReasonMissingEndpoint, "from %s does not exist", clip(e.From))
	}
	if !okT {
		add(ReasonMissingEndpoint, "to %s does not exist", clip(e.To))
	}
	if len(p.Scope) > 0 {
		offered := map[string]bool{}
		for _, id := range p.Scope {
			offered[id] = true
		}
		for _, id := range []string{e.From, e.To} {
			if !offered[id] {
				add(ReasonOutOfScope, "%s was not among the nodes the proposer was given", clip(id))
			}
		}
	}
	if e.From == e.To {
		add(ReasonSelfLoop, "%s points at itself", clip(e.From))
	}
	if e.Origin != graph.Rule && e.Origin != graph.LLM {
		add(ReasonBadOrigin, "origin %q is not rule or llm", clip(string(e.Origin)))
	}
	if _, ok := v.Vocab.EdgeTypes[e.Type]; !ok {
		add(ReasonUnknownType, "%q is not an edge type", clip(e.Type))
	} else if okF && okT && !v.inferAllowed(pairs, kindPair{e.Type, from.Provider, from.Kind, to.Provider, to.Kind}) {
		add(ReasonPairNotAllowed, "%s may not be inferred from %s:%s to %s:%s (schemas/vocabulary/inferred.yaml)", e.Type, from.Provider, from.Kind, to.Provider, to.Kind)
	}
	if e.Confidence < 0 || e.Confidence > 1 || e.Confidence != e.Confidence {
		add(ReasonConfidence, "%v is outside [0,1]", e.Confidence)
	} else if !(e.Confidence >= v.Threshold) { // a NaN threshold accepts nothing
		add(ReasonBelowThreshold, "%.2f < %.2f", e.Confidence, v.Threshold)
	}
	if len(e.Evidence) == 0 {
		add(ReasonNoEvidence, "no evidence given")
	} else if nameOnly(e.Evidence) {
		add(ReasonNameOnly, "evidence cites only names and ids; similar names are never enough")
	}
	if e.Origin == graph.LLM && len(e.Evidence) > 0 {
		// A model's word is not evidence: it must quote both sides of the link it proposes.
		sides := map[string]bool{}
		for _, ev := range e.Evidence {
			sides[ev.Node] = true
		}
		// Both sides: two distinct nodes, an endpoint among them (the other may be on the
		// chain between them, Via).
		if len(sides) < 2 || (!sides[e.From] && !sides[e.To]) {
			add(ReasonOneSided, "evidence must quote both sides of %s -> %s", clip(e.From), clip(e.To))
		}
	}
	// evidence may name the endpoints and the via nodes that exist: a set only for a long chain
	var via []string
	var viaSet map[string]bool
	for _, id := range p.Via {
		if !g.HasNode(id) {
			add(ReasonBadVia, "via node %s does not exist", clip(id))
			continue
		}
		via = append(via, id)
	}
	if len(via) > 8 {
		viaSet = make(map[string]bool, len(via))
		for _, id := range via {
			viaSet[id] = true
		}
	}
	allowed := func(id string) bool {
		if id == e.From || id == e.To {
			return true
		}
		if viaSet != nil {
			return viaSet[id]
		}
		return slices.Contains(via, id)
	}
	for _, ev := range e.Evidence {
		if !allowed(ev.Node) {
			add(ReasonUngrounded, "evidence names %s, which is neither an endpoint nor on the chain between them", clip(ev.Node))
			continue
		}
		n, ok := nodeOf(g, p, ev.Node)
		if !ok {
			continue // reported as a missing endpoint
		}
		has, grounded := quoted(n, ev.Field, ev.Value)
		if !has {
			add(ReasonUngrounded, "%s has no field %q", n.ID, clip(ev.Field))
			continue
		}
		if !grounded {
			add(ReasonUngrounded, "%s.%s does not contain %q", n.ID, ev.Field, clip(ev.Value))
		}
	}
	slices.SortFunc(rs, func(a, b Reason) int { return strings.Compare(a.String(), b.String()) })
	return rs
}

// inferAllowed is the vocabulary's InferAllowed, memoised by the kinds' parts: no "provider:kind"
// strings built per proposal.
func (v Validator) inferAllowed(memo map[kindPair]bool, k kindPair) bool {
	ok, seen := memo[k]
	if !seen {
		ok = v.Vocab.InferAllowed(k.typ, k.fromProvider+":"+k.fromKind, k.toProvider+":"+k.toKind)
		memo[k] = ok
	}
	return ok
}

func nameOnly(evs []graph.Evidence) bool {
	for _, ev := range evs {
		if ev.Field != "name" && ev.Field != "id" {
			return false
		}
	}
	return true
}

// quoted reports whether n has field (an attribute, or its id or name) and whether value occurs
// in its values. A string attribute, the most common, is read without a slice of its values.
func quoted(n *graph.Node, field, value string) (has, found bool) {
	if v, ok := n.Attrs[field]; ok {
		if s, ok := v.(string); ok {
			return true, occursIn(value, s)
		}
		vals, _ := n.AttrValues(field)
		return true, occurs(value, vals)
	}
	switch field {
	case "name":
		return true, occurs(value, []string{n.Name})
	case "id":
		return true, occurs(value, []string{n.ID})
	}
	return false, false
}

// clip shortens a value echoed into a reason: reasons quote what a proposal claimed, and an LLM's
// claim is not trusted to be short.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// minQuote is the shortest value that may match inside a longer one: "a" or "1" occur anywhere.
const minQuote = 4

// occurs reports whether value is a meaningful token of one of vals: the whole value
// (case-insensitively), or a component of it of at least minQuote characters that starts and
// ends on a boundary of a host, URL or list (a host inside a URL, a project ref that is a label
// of a host, a path segment). A fragment of a word ("acme" in "acme_prod", "fals" in "false") is
// not, and neither is a boolean or a URL's scheme: "true" and "https" name nothing (issue #26
// item 13).
func occurs(value string, vals []string) bool {
	lv := strings.ToLower(strings.TrimSpace(value))
	if lv == "" || namesNothing[lv] {
		return false
	}
	for _, v := range vals {
		lw := strings.ToLower(v)
		if lw == lv {
			return true
		}
		if len(lv) < minQuote {
			continue
		}
		for off := 0; ; {
			i := strings.Index(lw[off:], lv)
			if i < 0 {
				break
			}
			i += off
			j := i + len(lv)
			scheme := strings.HasPrefix(lw[j:], "://") // a URL's scheme says how, not what
			if (i == 0 || boundary(lw[i-1])) && (j == len(lw) || boundary(lw[j])) && !boundary(lv[0]) && !boundary(lv[len(lv)-1]) && !scheme {
				return true
			}
			off = i + 1
		}
	}
	return false
}

// occursIn is occurs for one value; the value quoted as it occurs (evidence quotes it so) is
// told without lower-casing either.
func occursIn(value, v string) bool {
	if value == v && value != "" && len(strings.TrimSpace(value)) == len(value) && len(value) > len("undefined") {
		return true // its own whole value, and too long to be one that names nothing
	}
	return occurs(value, []string{v})
}

// namesNothing are values that name no resource, whole or as a component: booleans and the
// words for an empty value.
var namesNothing = map[string]bool{"true": true, "false": true, "null": true, "nil": true, "none": true, "undefined": true}

// boundary reports whether c separates the components of a host, URL, DSN or list: what a
// quote may start or end next to.
func boundary(c byte) bool {
	return strings.IndexByte("./:@?#=&,; \t\n'\"[]()<>", c) >= 0
}

// Apply adds accepted proposals to g: their new (external) nodes first, then the edge. A
// proposal that duplicates an edge already in the graph (observed, or accepted earlier) is merged
// into it (highest confidence, union of evidence and origins) and its verdict gets a note.
func Apply(g *graph.Graph, vs []Verdict) (added int) {
	for i := range vs {
		if !vs[i].Accepted {
			continue
		}
		p := vs[i].Proposal
		for _, n := range p.NewNodes {
			if n.ID == p.Edge.From || n.ID == p.Edge.To {
				if !g.HasNode(n.ID) {
					vs[i].Notes = append(vs[i].Notes, "created "+n.ID)
				}
				_ = g.AddNode(n) // checked by the validator
			}
		}
		e := p.Edge
		e.Via = p.Via // kept in graph.json: which env var or record the edge was found through
		// EdgePtr, not Edge: no copy of the edge and its evidence to read its origin
		if old := g.EdgePtr(e.Key()); old != nil {
			vs[i].Notes = append(vs[i].Notes, fmt.Sprintf("merged with existing %s edge", old.Origin))
		} else {
			added++
		}
		_ = g.AddEdge(e) // endpoints were checked
	}
	return added
}
