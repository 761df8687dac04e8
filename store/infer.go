package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/scan"
)

// InferOptions configure an inference over the whole store.
type InferOptions struct {
	Enrichers []enrich.Enricher
	Validator enrich.Validator
	Now       func() time.Time // nil: time.Now
	Generator string
	Demo      bool
	// Keep is how many snapshots of the organisation's graph to keep for diff (0: all).
	Keep int
}

// Inference is the organisation's graph after an inference, as the store now holds it.
type Inference struct {
	Graph    *graph.Graph
	Verdicts []enrich.Verdict
	// Changes compares with the previous inference's snapshot (nil for the first).
	Changes *history.Changes
	Seq     int64
}

// Infer runs the enrichers and the validator over every source's observed graph under the store
// lock (no publish changes it meanwhile), and replaces the inferred layer in the same
// transaction, so the last shard to finish leaves the store fully inferred. Inferred edges carry
// forward by the file history's rule (history.CarryInferred). The result is snapshotted for
// `discover diff --store`.
func (s *Store) Infer(ctx context.Context, o InferOptions) (*Inference, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	var res *Inference
	err := s.tx(ctx, "infer", pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx); err != nil {
			return err
		}
		if err := xactLock(ctx, tx, storeLock, false); err != nil {
			return err
		}
		obs, err := readGraph(ctx, tx, selection{observedOnly: true})
		if err != nil {
			return err
		}
		// what CarryInferred reads of the previous graph: the inferred layer (observed edges it
		// does not hold have the same freshness in obs)
		prev, err := inferredLayer(ctx, tx, obs)
		if err != nil {
			return err
		}
		started := o.Now().UTC()
		g := obs.Clone()
		g.Scan = graph.ScanInfo{ID: started.Format("20060102T150405Z"), StartedAt: started.Format(time.RFC3339), Generator: o.Generator, Demo: o.Demo}
		verdicts := scan.Enrich(ctx, g, o.Enrichers, o.Validator)
		history.CarryInferred(prev, g, started) // g is obs's copy, this inference's own
		keepObserved(obs, g)
		if err := replaceInferred(ctx, tx, obs, g); err != nil {
			return err
		}
		last, err := latestSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		res = &Inference{Graph: g, Verdicts: verdicts}
		if last != nil {
			res.Changes = history.Diff(last, g)
			g.Scan.Changes = res.Changes.Summary()
		}
		g.Scan.FinishedAt = o.Now().UTC().Format(time.RFC3339)
		res.Seq, err = saveSnapshot(ctx, tx, g, o.Keep)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// keepObserved gives back to each observed edge no enricher touched the freshness its shard
// published: CarryInferred stamps every fresh edge with the inference's time, which in a single
// scan is the scan's own, but in the store would make every edge look seen by the last shard
// (and put it in the inferred layer).
func keepObserved(obs, g *graph.Graph) {
	for _, o := range obs.Edges() {
		p := g.EdgePtr(o.Key())
		if p == nil || p.Origin != graph.Observed || len(p.Origins) > 1 {
			continue
		}
		p.FirstSeen, p.LastSeen, p.Stale, p.StaleSince = o.FirstSeen, o.LastSeen, o.Stale, o.StaleSince
	}
}

// replaceInferred stores what g adds over obs: the nodes the enrichers created or changed and
// every edge they proposed or merged into an observed one.
func replaceInferred(ctx context.Context, tx pgx.Tx, obs, g *graph.Graph) error {
	var nodes []nodeRow
	for _, n := range g.Nodes() {
		if o, ok := obs.Node(n.ID); ok && reflect.DeepEqual(o, n) {
			continue
		}
		doc, err := json.Marshal(n)
		if err != nil {
			return err
		}
		nodes = append(nodes, nodeRow{id: n.ID, doc: doc})
	}
	var edges []edgeRow
	for _, e := range g.Edges() {
		if o, ok := obs.Edge(e.Key()); ok && sameEdge(o, e) {
			continue
		}
		doc, err := json.Marshal(e)
		if err != nil {
			return err
		}
		edges = append(edges, edgeRow{key: e.Key(), doc: doc})
	}
	for _, t := range []string{"infragraph.inferred_nodes", "infragraph.inferred_edges"} {
		if _, err := tx.Exec(ctx, "DELETE FROM "+t); err != nil {
			return fmt.Errorf("clear %s: %w", t, err)
		}
	}
	if err := copyRows(ctx, tx, "infragraph.inferred_nodes", []string{"id", "doc"}, len(nodes), func(i int) ([]string, error) {
		return []string{nodes[i].id, string(nodes[i].doc)}, nil
	}); err != nil {
		return err
	}
	return copyRows(ctx, tx, "infragraph.inferred_edges", []string{"from_id", "to_id", "type", "doc"}, len(edges), func(i int) ([]string, error) {
		e := edges[i]
		return []string{e.key.From, e.key.To, e.key.Type, string(e.doc)}, nil
	})
}

// sameEdge reports whether two edges hold the same facts (an empty list equals a missing one,
// as in graph.json).
func sameEdge(a, b graph.Edge) bool {
	return a.From == b.From && a.To == b.To && a.Type == b.Type && a.Origin == b.Origin && a.Confidence == b.Confidence &&
		a.Source == b.Source && a.FirstSeen == b.FirstSeen && a.LastSeen == b.LastSeen && a.Stale == b.Stale &&
		a.StaleSince == b.StaleSince && slices.Equal(a.Origins, b.Origins) && slices.Equal(a.Evidence, b.Evidence) &&
		slices.Equal(a.Via, b.Via)
}

// saveSnapshot records the inference and the organisation's graph.json (gzip), keeping the
// newest keep snapshots (0: all) and the publish records since the oldest kept one.
func saveSnapshot(ctx context.Context, tx pgx.Tx, g *graph.Graph, keep int) (int64, error) {
	info, err := json.Marshal(g.Scan)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := graph.Encode(zw, g); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	var seq int64
	if err := tx.QueryRow(ctx, `INSERT INTO infragraph.scans (id, kind, sources, info)
		VALUES ($1, 'infer', ARRAY(SELECT source FROM infragraph.sources ORDER BY source), $2) RETURNING seq`, g.Scan.ID, string(info)).Scan(&seq); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO infragraph.snapshots (seq, graph) VALUES ($1, $2)`, seq, buf.Bytes()); err != nil {
		return 0, err
	}
	if keep > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM infragraph.scans WHERE seq < (
			SELECT min(seq) FROM (SELECT seq FROM infragraph.scans WHERE kind = 'infer' ORDER BY seq DESC LIMIT $1) kept)`, keep); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

// SnapshotInfo names one stored snapshot of the organisation's graph.
type SnapshotInfo struct {
	Seq int64
	ID  string
}

// Snapshots lists the stored snapshots, oldest first.
func (s *Store) Snapshots(ctx context.Context) ([]SnapshotInfo, error) {
	var out []SnapshotInfo
	err := s.tx(ctx, "list snapshots", readOnly, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx); err != nil {
			return err
		}
		rs, err := tx.Query(ctx, `SELECT s.seq, s.id FROM infragraph.scans s JOIN infragraph.snapshots USING (seq) ORDER BY s.seq`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var si SnapshotInfo
			if err := rs.Scan(&si.Seq, &si.ID); err != nil {
				return err
			}
			out = append(out, si)
		}
		return rs.Err()
	})
	return out, err
}

// Snapshot loads the snapshot with seq.
func (s *Store) Snapshot(ctx context.Context, seq int64) (*graph.Graph, error) {
	var g *graph.Graph
	err := s.tx(ctx, "read a snapshot", readOnly, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx); err != nil {
			return err
		}
		var b []byte
		if err := tx.QueryRow(ctx, `SELECT graph FROM infragraph.snapshots WHERE seq = $1`, seq).Scan(&b); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("no snapshot %d", seq)
			}
			return err
		}
		var err error
		g, err = decodeSnapshot(b)
		return err
	})
	return g, err
}

func latestSnapshot(ctx context.Context, tx pgx.Tx) (*graph.Graph, error) {
	var b []byte
	err := tx.QueryRow(ctx, `SELECT graph FROM infragraph.snapshots ORDER BY seq DESC LIMIT 1`).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeSnapshot(b)
}

func decodeSnapshot(b []byte) (*graph.Graph, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer zr.Close()
	return graph.Decode(io.LimitReader(zr, 4<<30))
}
