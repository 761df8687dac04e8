// Package supabase collects a supabase estate into the graph.
package supabase

import (
	"context"
	"errors"

	"github.com/infragraph/infragraph/graph"
)

// Collector collects one configured instance.
type Collector struct{ cfg Config }

// New returns a collector for cfg.
func New(cfg Config) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Collector{cfg: cfg}, nil
}

// Collect is not implemented yet.
func (c *Collector) Collect(ctx context.Context, emit graph.Emitter) error {
	return errors.New("the supabase collector is not implemented yet")
}
