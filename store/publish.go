package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
)

// Claimed returns the sources (provider/instance) a scan with these statuses owns in the store,
// sorted: every instance that ran (ok, partial or failed) and every one skipped for a reason of
// its own (an invalid configuration). An instance the shard does not configure ("not
// configured") or left out (--only, --skip) is another shard's business: the store keeps what
// it holds for it as it is.
func Claimed(statuses []graph.CollectorStatus) []string {
	var out []string
	for _, c := range statuses {
		switch c.Status {
		case graph.StatusOK, graph.StatusPartial, graph.StatusFailed:
			out = append(out, c.Key())
		case graph.StatusSkipped:
			if !strings.HasPrefix(c.Reason, "not configured") {
				out = append(out, c.Key())
			}
		}
	}
	sort.Strings(out)
	return out
}

// Publication is one shard's scan, ready to publish.
type Publication struct {
	// Graph is the shard's graph after history.Carry against Previous: fresh what its sources
	// found, stale what a source that did not complete owned.
	Graph *graph.Graph
	// Results are its collectors' results, as collected: a node nobody owns (a git repository)
	// is stored once per source that emitted it.
	Results []collectors.Result
}

// Record says what a publish wrote.
type Record struct {
	Seq     int64
	ScanID  string
	Sources []string
	Nodes   int
	Edges   int
}

// Previous returns what the store holds for sources (their observed nodes and edges, and their
// statuses): the previous scan a shard builds on, so history.Carry applies the file history's
// rules to the store. Nil when the store has nothing for them.
func (s *Store) Previous(ctx context.Context, sources []string) (*graph.Graph, error) {
	var g *graph.Graph
	err := s.tx(ctx, "read the previous scan", readOnly, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx); err != nil {
			return err
		}
		var err error
		g, err = readGraph(ctx, tx, selection{sources: sources, observedOnly: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	if n, _ := g.Len(); n == 0 && len(g.Collectors) == 0 {
		return nil, nil
	}
	return g, nil
}

// Publish replaces what the publication's claimed sources own, in one transaction: a shard
// killed half-way leaves the store as it was.
func (s *Store) Publish(ctx context.Context, p Publication) (*Record, error) {
	g := p.Graph
	claimed := Claimed(g.Collectors)
	rec := &Record{ScanID: g.Scan.ID, Sources: claimed}
	if len(claimed) == 0 {
		return rec, nil
	}
	nodes, edges, err := rows(p, claimed)
	if err != nil {
		return nil, &Error{Op: "publish", Err: err}
	}
	rec.Nodes, rec.Edges = len(nodes), len(edges)
	statuses := map[string]graph.CollectorStatus{}
	for _, c := range g.Collectors {
		statuses[c.Key()] = c
	}
	info, err := json.Marshal(g.Scan)
	if err != nil {
		return nil, &Error{Op: "publish", Err: err}
	}
	err = s.tx(ctx, "publish", pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx); err != nil {
			return err
		}
		// shared: publishes run side by side, an inference waits for them (and they for it)
		if err := xactLock(ctx, tx, storeLock, true); err != nil {
			return err
		}
		for _, src := range claimed { // sorted: no two publishers wait on each other in a cycle
			if err := xactLock(ctx, tx, sourceLock(src), false); err != nil {
				return err
			}
		}
		for _, table := range []string{"infragraph.nodes", "infragraph.edges"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE source = ANY($1)", claimed); err != nil {
				return fmt.Errorf("delete from %s: %w", table, err)
			}
		}
		if err := copyRows(ctx, tx, "infragraph.nodes", []string{"source", "id", "doc"}, len(nodes), func(i int) ([]string, error) {
			return []string{nodes[i].source, nodes[i].id, string(nodes[i].doc)}, nil
		}); err != nil {
			return err
		}
		if err := copyRows(ctx, tx, "infragraph.edges", []string{"source", "from_id", "to_id", "type", "doc"}, len(edges), func(i int) ([]string, error) {
			e := edges[i]
			return []string{e.source, e.key.From, e.key.To, e.key.Type, string(e.doc)}, nil
		}); err != nil {
			return err
		}
		for _, src := range claimed {
			st, err := json.Marshal(statuses[src])
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO infragraph.sources (source, status, scan_id, published_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (source) DO UPDATE SET status = excluded.status, scan_id = excluded.scan_id, published_at = excluded.published_at`,
				src, string(st), g.Scan.ID, time.Now().UTC()); err != nil {
				return fmt.Errorf("record source %s: %w", src, err)
			}
		}
		return tx.QueryRow(ctx, `INSERT INTO infragraph.scans (id, kind, sources, info) VALUES ($1, 'publish', $2, $3) RETURNING seq`,
			g.Scan.ID, claimed, string(info)).Scan(&rec.Seq)
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

type nodeRow struct {
	source, id string
	doc        []byte
}

type edgeRow struct {
	source string
	key    graph.EdgeKey
	doc    []byte
}

// rows lays out what the claimed sources own: their nodes; a shared node once per claimed
// source that emitted it (as emitted, with the scan's freshness); their observed edges.
func rows(p Publication, claimed []string) ([]nodeRow, []edgeRow, error) {
	g := p.Graph
	own := map[string]bool{}
	for _, s := range claimed {
		own[s] = true
	}
	emitted := map[string][]graph.Node{} // shared node id -> as each source emitted it
	var emitters map[string][]string
	emitters = map[string][]string{}
	for _, r := range p.Results {
		k := r.Status.Key()
		if !own[k] {
			continue
		}
		for _, n := range r.Nodes {
			if n.Source == "" && n.Provider != r.Status.Provider {
				emitted[n.ID] = append(emitted[n.ID], n)
				emitters[n.ID] = append(emitters[n.ID], k)
			}
		}
	}
	var nodes []nodeRow
	for _, n := range g.Nodes() {
		switch {
		case n.Source != "" && own[n.Source]:
			doc, err := json.Marshal(n)
			if err != nil {
				return nil, nil, fmt.Errorf("node %s: %w", n.ID, err)
			}
			nodes = append(nodes, nodeRow{source: n.Source, id: n.ID, doc: doc})
		case n.Source == "":
			srcs := emitters[n.ID]
			raw := emitted[n.ID]
			if len(srcs) == 0 { // not emitted by a claimed source: kept by an edge of one
				if s := edgeSource(g, n.ID, own); s != "" {
					srcs, raw = []string{s}, []graph.Node{n}
				}
			}
			seen := map[string]bool{}
			for i, src := range srcs {
				if seen[src] {
					continue
				}
				seen[src] = true
				c := raw[i]
				c.Source, c.FirstSeen, c.LastSeen, c.Stale, c.StaleSince = "", n.FirstSeen, n.LastSeen, n.Stale, n.StaleSince
				doc, err := json.Marshal(c)
				if err != nil {
					return nil, nil, fmt.Errorf("node %s: %w", n.ID, err)
				}
				nodes = append(nodes, nodeRow{source: src, id: n.ID, doc: doc})
			}
		}
	}
	var edges []edgeRow
	for _, e := range g.Edges() {
		if e.Origin != graph.Observed || !own[e.Source] {
			continue
		}
		doc, err := json.Marshal(e)
		if err != nil {
			return nil, nil, fmt.Errorf("edge %s: %w", e.Key(), err)
		}
		edges = append(edges, edgeRow{source: e.Source, key: e.Key(), doc: doc})
	}
	return nodes, edges, nil
}

// edgeSource is the first claimed source of an observed edge at id.
func edgeSource(g *graph.Graph, id string, own map[string]bool) string {
	best := ""
	for _, e := range append(g.Out(id), g.In(id)...) {
		if e.Origin == graph.Observed && own[e.Source] && (best == "" || e.Source < best) {
			best = e.Source
		}
	}
	return best
}

// ClaimedBy returns the sources a scan of these instances will claim (Claimed, before they
// run): the ones it will run and the ones skipped for a reason of their own.
func ClaimedBy(insts []collectors.Instance) []string {
	st := make([]graph.CollectorStatus, len(insts))
	for i, in := range insts {
		st[i] = graph.CollectorStatus{Provider: in.Provider, Instance: in.Name, Status: graph.StatusOK}
		switch {
		case in.Excluded:
			st[i].Status = graph.StatusExcluded
		case in.Skip != "" || in.Collector == nil:
			st[i].Status, st[i].Reason = graph.StatusSkipped, in.Skip
			if in.Skip == "" {
				st[i].Reason = "not configured"
			}
		}
	}
	return Claimed(st)
}
