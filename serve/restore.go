package serve

import (
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/render"
)

// RestoreParams names the system to restore ("" or absent: every system).
type RestoreParams struct {
	ID string `json:"id,omitempty" jsonschema:"a node id, unambiguous id suffix or name: the order for the system holding it; empty: every system"`
}

// Restore is INFRA.md's restore order (render.Restore): dependencies first, by wave, with the
// dependency cycles.
func (s *Service) Restore(p RestoreParams) (*render.RestorePlan, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	id := ""
	if p.ID != "" {
		if id, err = query.Resolve(snap.Graph, p.ID); err != nil {
			return nil, classify(err)
		}
	}
	r, err := render.Restore(snap.Graph, id)
	if err != nil {
		return nil, classify(err)
	}
	return &r, nil
}
