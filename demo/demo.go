// Package demo serves the Acme Coffee estate (docs/demo-estate.md) for `discover scan --demo`:
// each provider's fake API (its collectors/<provider>/<provider>fake package, the estate recorded
// in that provider's own wire format) listens on 127.0.0.1, and the real collectors are
// configured against it through their ordinary Config structs. Everything after collection
// (merge, inference, validation, rendering, output) is the normal scan.
//
// The Docker engine is the dockerfake's recorded Engine API for Acme's droplet erp-1, not a live
// engine. The Supabase catalog half needs a real PostgreSQL: given a superuser DSN, the demo
// loads the estate's schema into a fresh temporary database, scans it and drops it afterwards;
// without one the catalog is reported as skipped.
package demo

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/all"
	"github.com/infragraph/infragraph/evidence"
)

// Options shape a demo.
type Options struct {
	// PostgresDSN is a superuser connection string of a real PostgreSQL. When set, the Supabase
	// catalog is loaded into a fresh temporary database and scanned; otherwise it is skipped.
	PostgresDSN evidence.Secret
	// Drift serves the estate a week later, with the drifts collectors.Demo.Drift describes.
	Drift bool
}

// Estate is a running demo: collector instances wired to fake APIs on 127.0.0.1. Close it when
// the scan is done.
type Estate struct {
	// Instances are the collectors to run, one per provider (plus skipped parts with reasons).
	Instances []collectors.Instance
	// Notes say what the demo is made of, one line each, for the log.
	Notes []string

	d *collectors.Demo
}

// Start starts each provider's part of the estate (collectors.Provider's Demo) and configures a
// collector for each.
func Start(ctx context.Context, o Options) (*Estate, error) { return start(ctx, all.Registry, o) }

func start(ctx context.Context, reg collectors.Registry, o Options) (*Estate, error) {
	d := &collectors.Demo{PostgresDSN: o.PostgresDSN, Drift: o.Drift}
	e := &Estate{d: d}
	d.Database = e.catalogDatabase
	for _, p := range reg.Sorted() {
		if p.Demo == nil {
			continue
		}
		if err := p.Demo(ctx, d); err != nil {
			_ = e.Close()
			return nil, err
		}
	}
	e.Instances, e.Notes = d.Instances, d.Notes
	slices.SortStableFunc(e.Instances, func(a, b collectors.Instance) int { return cmp.Compare(a.Key(), b.Key()) })
	return e, nil
}

// Close stops the fake APIs and removes any temporary database.
func (e *Estate) Close() error {
	var errs []error
	for _, c := range e.d.Closers() {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}
