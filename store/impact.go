package store

import (
	"context"
	"errors"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// ErrNoNode is asked for a node id the store does not hold.
var ErrNoNode = errors.New("no such node id in the store")

// Neighbourhood returns the part of the organisation's graph an impact analysis of the node id
// reads (query.Analyze gives the same answer on it as on the whole graph), without loading the
// rest: every node with an edge into a node of it, every part a node of it contains, the
// settings its edges were found through, and the edges among them. The walk runs in the
// database, one query per hop, on the edge indexes. ErrNoNode when id is not a node.
func (s *Store) Neighbourhood(ctx context.Context, id string) (*graph.Graph, error) {
	v, err := schemas.Load()
	if err != nil {
		return nil, err
	}
	var containment []string
	for name, t := range v.EdgeTypes {
		if t.Category == schemas.Containment {
			containment = append(containment, name)
		}
	}
	sort.Strings(containment)
	var g *graph.Graph
	err = s.tx(ctx, "read a node's neighbourhood", readOnly, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx); err != nil {
			return err
		}
		var found bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM infragraph.nodes WHERE id = $1)
			OR EXISTS (SELECT 1 FROM infragraph.inferred_nodes WHERE id = $1)`, id).Scan(&found); err != nil {
			return err
		}
		if !found {
			return ErrNoNode
		}
		seen := map[string]bool{id: true}
		frontier := []string{id}
		for len(frontier) > 0 {
			rs, err := tx.Query(ctx, `
				SELECT from_id FROM infragraph.edges WHERE to_id = ANY($1)
				UNION SELECT from_id FROM infragraph.inferred_edges WHERE to_id = ANY($1)
				UNION SELECT to_id FROM infragraph.edges WHERE from_id = ANY($1) AND type = ANY($2)
				UNION SELECT to_id FROM infragraph.inferred_edges WHERE from_id = ANY($1) AND type = ANY($2)`, frontier, containment)
			found, err := texts(rs, err)
			if err != nil {
				return err
			}
			frontier = frontier[:0]
			for _, n := range found {
				if !seen[n] {
					seen[n] = true
					frontier = append(frontier, n)
				}
			}
		}
		ids := make([]string, 0, len(seen))
		for n := range seen {
			ids = append(ids, n)
		}
		sort.Strings(ids)
		// the settings (env vars) the edges among them were found through
		rs, err := tx.Query(ctx, `
			SELECT DISTINCT v FROM (
				SELECT doc FROM infragraph.edges WHERE to_id = ANY($1) AND from_id = ANY($1)
				UNION ALL SELECT doc FROM infragraph.inferred_edges WHERE to_id = ANY($1) AND from_id = ANY($1)
			) e, json_array_elements_text(coalesce(e.doc->'via', '[]'::json)) v`, ids)
		via, err := texts(rs, err)
		if err != nil {
			return err
		}
		for _, n := range via {
			if !seen[n] {
				seen[n] = true
				ids = append(ids, n)
			}
		}
		g, err = readGraph(ctx, tx, selection{ids: ids})
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNoNode) {
			return nil, ErrNoNode
		}
		return nil, err
	}
	return g, nil
}

// texts collects a one-column text query's rows.
func texts(rs pgx.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rs, pgx.RowTo[string])
}
