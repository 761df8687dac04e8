package main

import (
	"context"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/infragraph/infragraph/demo"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/history"
)

// demoOpts are the flags of `discover scan --demo`.
type demoOpts struct {
	on    bool
	drift bool
	db    string
}

func (d *demoOpts) flags(f *pflag.FlagSet) {
	f.BoolVar(&d.on, "demo", false, "scan the built-in Acme Coffee demo estate (fake provider APIs on 127.0.0.1, real collectors) instead of your providers")
	f.BoolVar(&d.drift, "demo-drift", false, "with --demo: the estate a week later, with a few drifts `discover alerts` flags (a database opened to 0.0.0.0/0, a new external host, a production deployment from an unknown repository)")
	f.StringVar(&d.db, "demo-db", "", "with --demo: a superuser PostgreSQL DSN; the Supabase catalog is loaded into a fresh temporary database there (default $INFRAGRAPH_DEMO_PG_DSN)")
}

// startDemo starts the demo estate's fake APIs. The LLM stays off unless --llm on asks for it:
// a newcomer's first run must not spend tokens.
// It refuses an output directory that holds scans of real infrastructure, so the demo never
// mixes into (or replaces the latest of) a real history.
func startDemo(ctx context.Context, e *env, log *slog.Logger, o *scanOpts, store history.Store) (*demo.Estate, error) {
	if prev, _, err := store.Previous(); err == nil && prev != nil && !prev.Scan.Demo {
		return nil, usageErr("--out %s holds scans of real infrastructure; write the demo to another directory (--out demo-out)", store.Dir)
	}
	if o.llm != "on" {
		o.llm = "off"
	}
	dsn := o.demo.db
	if dsn == "" {
		dsn = e.Getenv("INFRAGRAPH_DEMO_PG_DSN")
	}
	d, err := demo.Start(ctx, demo.Options{PostgresDSN: evidence.Secret(dsn), Drift: o.demo.drift})
	if err != nil {
		return nil, err
	}
	log.Info("DEMO scan: the Acme Coffee estate, served by fake provider APIs on 127.0.0.1 and read by the real collectors; nothing here is your infrastructure")
	if o.demo.drift {
		log.Info("DEMO drift: the estate a week later, with changes the alerts flag (acme-pg open to 0.0.0.0/0, a new external host, a deployment from an unknown repository)")
	}
	for _, n := range d.Notes {
		log.Info("demo", "part", n)
	}
	return d, nil
}

// closeDemo stops the fake APIs and drops the temporary database, saying so if that fails.
func closeDemo(log *slog.Logger, d *demo.Estate) {
	if err := d.Close(); err != nil {
		log.Warn("demo clean-up failed", "error", err)
	}
}
