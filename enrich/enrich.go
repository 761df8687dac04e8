// Package enrich proposes the edges no API states and validates every proposal before it enters
// the graph. Enrichers propose, they never mutate: only the validator's accepted proposals are
// added, and every verdict is kept (proposals.json).
package enrich

import (
	"context"

	"github.com/infragraph/infragraph/graph"
)

// Proposal is an edge an enricher believes exists, with why.
type Proposal struct {
	Edge graph.Edge `json:"edge"`
	// Enricher names who proposed it ("rules/dns-a", "llm/anthropic/claude-haiku-4.5").
	Enricher string `json:"enricher"`
	// Rationale explains the proposal in words (no secrets).
	Rationale string `json:"rationale,omitempty"`
	// Via lists nodes between the endpoints that evidence may name: a DNS chain, or the env var
	// of a project the edge was lifted to.
	Via []string `json:"via,omitempty"`
	// NewNodes are nodes the proposal needs that the graph does not hold yet: a referenced host no
	// collector discovered. Only external:* nodes may be proposed; they are created only when the
	// edge is accepted.
	NewNodes []graph.Node `json:"new_nodes,omitempty"`
	// Scope, when set, lists the node ids the proposer was shown: both endpoints must be among
	// them (an LLM may only link ids it was given).
	Scope []string `json:"-"`
}

// Enricher proposes edges for a graph. It must not modify g.
type Enricher interface {
	Name() string
	Propose(ctx context.Context, g *graph.Graph) ([]Proposal, error)
}

// Verdict is the validator's decision on one proposal.
type Verdict struct {
	Proposal Proposal `json:"proposal"`
	Accepted bool     `json:"accepted"`
	// Reasons lists every rejection reason, each with a stable code (see Code), sorted as their
	// "code: explanation" strings; empty when accepted.
	Reasons []Reason `json:"reasons,omitempty"`
	// Notes say what happened to an accepted proposal ("merged with observed edge").
	Notes []string `json:"notes,omitempty"`
}
