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
	// Via lists nodes between the endpoints that evidence may name (a DNS chain).
	Via []string `json:"via,omitempty"`
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
	// Reasons lists every rejection reason (empty when accepted), or notes such as
	// "merged with observed edge".
	Reasons []string `json:"reasons,omitempty"`
}
