// Package scan is the pipeline: run the collectors, merge what they found into one graph, enrich
// it (every proposal through the validator) and hand it to the renderers and the output
// directory.
package scan

import (
	"context"
	"errors"

	"fmt"
	"go.opentelemetry.io/otel/attribute"
	"sort"
	"time"

	"github.com/infragraph/infragraph/alerts"
	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/telemetry"
)

// Options configure one scan.
type Options struct {
	Instances []collectors.Instance
	Collect   collectors.Options
	Enrichers []enrich.Enricher
	// Threshold is the validator's lowest accepted confidence (default 0.5).
	Threshold float64
	Now       func() time.Time
	Demo      bool
	Generator string // "infragraph v1.2.3"
	// Previous is the last scan's graph (nil for the first). What an instance that did not
	// complete contributed to it is carried forward as stale, and Result.Changes compares with
	// it (see package history).
	Previous *graph.Graph
	// Alerts configures the drift alerts raised against Previous (package alerts).
	Alerts alerts.Options
}

// Result is a finished scan.
type Result struct {
	Graph    *graph.Graph
	Verdicts []enrich.Verdict
	Results  []collectors.Result
	// Changes compares the graph with Options.Previous (nil without one).
	Changes *history.Changes
}

// DefaultThreshold is the lowest confidence an inferred edge needs by default.
const DefaultThreshold = 0.5

// Run performs a scan. It fails only when the vocabulary cannot load; collector failures are
// statuses in the graph.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Collect.Now == nil {
		opts.Collect.Now = opts.Now
	}
	vocab, err := schemas.Load()
	if err != nil {
		return nil, fmt.Errorf("load vocabulary: %w", err)
	}
	started := opts.Now().UTC()
	ctx, span := telemetry.Tracer().Start(ctx, "scan")
	defer span.End()
	results := collectors.Run(ctx, opts.Instances, opts.Collect)
	res := Build(ctx, results, vocab, started, opts)
	n, e := res.Graph.Len()
	span.SetAttributes(attribute.String("scan.id", res.Graph.Scan.ID), attribute.Int("graph.nodes", n), attribute.Int("graph.edges", e))
	return res, nil
}

// Build is a scan after collection: it merges results into one graph on top of opts.Previous,
// carries forward what an instance that did not complete found before, enriches, compares with
// the previous scan and raises drift alerts. started is the scan's start; opts.Now stamps its
// end. Run calls it; the benchmarks time it as a whole (every offline stage of a scan).
func Build(ctx context.Context, results []collectors.Result, vocab *schemas.Vocabulary, started time.Time, opts Options) *Result {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := MergeCarrying(results, opts.Previous, started)
	g.Scan = graph.ScanInfo{
		ID:        started.Format("20060102T150405Z"),
		StartedAt: started.Format(time.RFC3339),
		Demo:      opts.Demo,
		Generator: opts.Generator,
	}
	threshold := opts.Threshold
	if threshold == 0 {
		threshold = DefaultThreshold
	}
	// Carried nodes go in before enrichment so that rules resolve references to them.
	// g is this scan's own graph: stamped and carried into in place, not copied.
	history.Carry(opts.Previous, g, started)
	verdicts := Enrich(ctx, g, opts.Enrichers, enrich.Validator{Vocab: vocab, Threshold: threshold})
	history.CarryInferred(opts.Previous, g, started)
	res := &Result{Graph: g, Verdicts: verdicts, Results: results}
	if opts.Previous != nil {
		res.Changes = history.Diff(opts.Previous, g)
		g.Scan.Changes = res.Changes.Summary()
	}
	alerts.Streaks(opts.Previous, g)
	g.Scan.Alerts = alerts.Detect(opts.Previous, g, res.Changes, opts.Alerts)
	ic := graph.Implicit(g)
	g.Scan.ImplicitEdges = &ic
	g.Scan.FinishedAt = opts.Now().UTC().Format(time.RFC3339)
	return res
}

// MergeCarrying builds one graph from collector results, in a deterministic order, on top of the
// previous scan's graph (nil for none). Nodes several collectors emit (a git repo, an external
// host) are merged; an edge whose endpoint nobody emitted is dropped with a warning on its
// collector, unless history carries that endpoint forward (its instance did not complete, see
// history.CarriedNode): then the endpoint is added stale before the edge, and
// history.Carry keeps it so. Such an edge is a fresh observation: its collector completed, and it
// is not dropped nor its collector marked partial. now is the scan's start.
func MergeCarrying(results []collectors.Result, prev *graph.Graph, now time.Time) *graph.Graph {
	nodes, edges := 0, 0
	for _, r := range results {
		nodes, edges = nodes+len(r.Nodes), edges+len(r.Edges)
	}
	g := graph.NewSized(nodes, edges)
	sorted := append([]collectors.Result(nil), results...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Status.Key() < sorted[j].Status.Key() })
	statuses := make([]graph.CollectorStatus, len(sorted)) // as the collectors ended, before any edge is dropped
	for i, r := range sorted {
		statuses[i] = r.Status
		key := r.Status.Key() // one string for every node of the instance, not one each
		for _, n := range r.Nodes {
			if n.Source == "" && n.Provider == r.Status.Provider {
				n.Source = key
			}
			_ = g.AddNode(n) // validated by the recorder
		}
	}
	for i := range sorted {
		r := &sorted[i]
		key := r.Status.Key()
		for _, e := range r.Edges {
			if e.Source == "" {
				e.Source = key
			}
			err := g.AddEdge(e)
			if prev != nil && errors.Is(err, graph.ErrNodeNotFound) {
				// an end only history holds: carried in, and the edge tried again (looking the
				// ends up only after AddEdge missed one: two id lookups per edge, not four)
				carried := false
				for _, id := range [2]string{e.From, e.To} {
					if g.HasNode(id) {
						continue
					}
					if n, ok := history.CarriedNode(prev, statuses, id, now); ok {
						_ = g.SetNode(n)
						carried = true
					}
				}
				if carried {
					err = g.AddEdge(e)
				}
			}
			if err != nil {
				r.Status.Warnings = append(r.Status.Warnings, "dropped edge: "+err.Error())
				if r.Status.Status == graph.StatusOK {
					r.Status.Status = graph.StatusPartial
				}
			}
		}
		g.Collectors = append(g.Collectors, r.Status)
	}
	return g
}

// Enrich runs the enrichers over g, validates every proposal and adds the accepted ones. An
// enricher that fails is recorded in g.Scan.Enrichment and the scan goes on.
func Enrich(ctx context.Context, g *graph.Graph, enrichers []enrich.Enricher, v enrich.Validator) []enrich.Verdict {
	var all []enrich.Verdict
	summary := map[string]any{}
	for _, en := range enrichers {
		ectx, span := telemetry.Tracer().Start(ctx, "enrich "+en.Name())
		ps, err := en.Propose(ectx, g)
		if err != nil {
			summary[en.Name()+".error"] = err.Error()
			telemetry.RecordError(span, err)
		}
		span.SetAttributes(attribute.Int("enrich.proposals", len(ps)))
		span.End()
		_, vspan := telemetry.Tracer().Start(ctx, "validate "+en.Name())
		vs := v.Check(g, ps)
		added := enrich.Apply(g, vs)
		acc := 0
		for _, x := range vs {
			if x.Accepted {
				acc++
			}
		}
		vspan.SetAttributes(attribute.Int("validate.accepted", acc), attribute.Int("validate.rejected", len(vs)-acc), attribute.Int("validate.added", added))
		vspan.End()
		if sm, ok := en.(interface{ Summary() map[string]any }); ok {
			for k, val := range sm.Summary() {
				summary[en.Name()+"."+k] = val
			}
		}
		summary[en.Name()+".proposed"] = len(ps)
		summary[en.Name()+".accepted"] = acc
		summary[en.Name()+".added"] = added
		all = append(all, vs...)
	}
	if len(summary) > 0 {
		if g.Scan.Enrichment == nil {
			g.Scan.Enrichment = map[string]any{}
		}
		for k, val := range summary {
			g.Scan.Enrichment[k] = val
		}
	}
	return all
}
