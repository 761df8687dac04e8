package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/graph"
)

// readOnly is the readers' transaction: one snapshot for every table, and nothing a
// SELECT-only role may not do.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// selection says which part of the store a read assembles.
type selection struct {
	sources      []string // only these sources' observed rows and statuses (nil: all)
	observedOnly bool     // leave out the inferred layer
	ids          []string // only these nodes and the edges between them (nil: all)
}

// Graph returns the organisation's graph as the store holds it: every source's nodes and
// observed edges, the last inference's edges, the sources' statuses and the last scan record.
// It needs only SELECT on the store's tables.
func (s *Store) Graph(ctx context.Context) (*graph.Graph, error) {
	var g *graph.Graph
	err := s.tx(ctx, "read the graph", readOnly, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx); err != nil {
			return err
		}
		var err error
		g, err = readGraph(ctx, tx, selection{})
		return err
	})
	return g, err
}

// Stamp identifies the store's current content: it changes with every publish and inference.
// A server reloads when it changes.
func (s *Store) Stamp(ctx context.Context) (int64, error) {
	var seq int64
	err := s.tx(ctx, "read the store's version", readOnly, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM infragraph.scans`).Scan(&seq)
	})
	return seq, err
}

// readGraph assembles a graph from the store's rows: nodes in id order, a node several sources
// emitted merged in source order (as a scan merges its collectors' results); observed edges,
// merged likewise; then the inferred layer, which replaces the edges it merged into and adds the
// rest. An edge whose endpoint no source holds any more is left out.
func readGraph(ctx context.Context, tx pgx.Tx, sel selection) (*graph.Graph, error) {
	g := graph.New()
	// Rows come sorted with their documents: room to sort 100,000 of them in memory, for this
	// transaction only (no session state).
	if _, err := tx.Exec(ctx, "SET LOCAL work_mem = '256MB'"); err != nil {
		return nil, err
	}
	where, args := "", []any{}
	if sel.sources != nil {
		where, args = " WHERE source = ANY($1)", []any{sel.sources}
	}
	if err := eachDoc(ctx, tx, `SELECT status::text FROM infragraph.sources`+where+` ORDER BY source`, args, func(b []byte) error {
		var c graph.CollectorStatus
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		g.Collectors = append(g.Collectors, c)
		return nil
	}); err != nil {
		return nil, err
	}
	var info []byte
	err := tx.QueryRow(ctx, `SELECT info::text FROM infragraph.scans ORDER BY (kind = 'infer') DESC, seq DESC LIMIT 1`).Scan(&info)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(info, &g.Scan); err != nil {
			return nil, fmt.Errorf("scan record: %w", err)
		}
	}
	nodeWhere, edgeWhere := where, where
	if sel.ids != nil {
		// ids and sources are not combined by any caller
		nodeWhere, args = " WHERE id = ANY($1)", []any{sel.ids}
		edgeWhere = " WHERE from_id = ANY($1) AND to_id = ANY($1)"
	}
	if err := eachDoc(ctx, tx, `SELECT doc::text FROM infragraph.nodes`+nodeWhere+` ORDER BY id, (doc->'stale') IS NOT NULL, source`, args, func(b []byte) error {
		var n graph.Node
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		return g.AddNode(n)
	}); err != nil {
		return nil, err
	}
	if err := eachDoc(ctx, tx, `SELECT doc::text FROM infragraph.edges`+edgeWhere+` ORDER BY from_id, to_id, type, source`, args, func(b []byte) error {
		var e graph.Edge
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		if g.HasNode(e.From) && g.HasNode(e.To) {
			return g.AddEdge(e)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if sel.observedOnly {
		return g, nil
	}
	if err := addInferred(ctx, tx, g, sel); err != nil {
		return nil, err
	}
	return g, nil
}

// addInferred lays the inferred layer over g, the observed graph of sel: the nodes the
// enrichers created, and the edges they proposed or merged into an observed one.
func addInferred(ctx context.Context, tx pgx.Tx, g *graph.Graph, sel selection) error {
	return readInferred(ctx, tx, g, g, sel)
}

// inferredLayer is the inferred layer alone as it applies to obs (the observed graph): its
// nodes and edges, with the observed endpoints its edges need. An inference builds on it as
// the previous graph without cloning the observed one.
func inferredLayer(ctx context.Context, tx pgx.Tx, obs *graph.Graph) (*graph.Graph, error) {
	g := graph.New()
	g.Scan, g.Collectors = obs.Scan, obs.Collectors
	return g, readInferred(ctx, tx, obs, g, selection{})
}

// readInferred adds the inferred rows that apply to base (an observed graph) into g: g is base
// itself (a reader's graph) or a graph of its own (inferredLayer).
func readInferred(ctx context.Context, tx pgx.Tx, base, g *graph.Graph, sel selection) error {
	nodeWhere, edgeWhere, args := "", "", []any{}
	if sel.ids != nil {
		nodeWhere, args = " WHERE id = ANY($1)", []any{sel.ids}
		edgeWhere = " WHERE from_id = ANY($1) AND to_id = ANY($1)"
	}
	if err := eachDoc(ctx, tx, `SELECT doc::text FROM infragraph.inferred_nodes`+nodeWhere+` ORDER BY id`, args, func(b []byte) error {
		var n graph.Node
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		if base.HasNode(n.ID) || n.Source == "" {
			return g.SetNode(n)
		}
		return nil // its owner no longer has it
	}); err != nil {
		return err
	}
	return eachDoc(ctx, tx, `SELECT doc::text FROM infragraph.inferred_edges`+edgeWhere+` ORDER BY from_id, to_id, type`, args, func(b []byte) error {
		var e graph.Edge
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		if p := g.EdgePtr(e.Key()); p != nil {
			*p = e // the inference merged into an observed edge: its whole result
			return nil
		}
		if e.Origin == graph.Observed && base.EdgePtr(e.Key()) == nil {
			return nil // the observed edge it merged into is gone
		}
		for _, id := range []string{e.From, e.To} {
			if n, ok := base.Node(id); ok && !g.HasNode(id) {
				if err := g.SetNode(n); err != nil {
					return err
				}
			}
		}
		if !g.HasNode(e.From) || !g.HasNode(e.To) {
			return nil // an endpoint is gone
		}
		return g.AddEdge(e)
	})
}

func eachDoc(ctx context.Context, tx pgx.Tx, sql string, args []any, f func([]byte) error) error {
	rs, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		raw := rs.RawValues()
		if err := f(raw[0]); err != nil {
			return err
		}
	}
	return rs.Err()
}
