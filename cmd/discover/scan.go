package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/all"
	"github.com/infragraph/infragraph/config"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/scan"
)

type scanOpts struct {
	configPath string
	out        string
	only, skip []string
	timeout    time.Duration
	progress   bool
}

// newScanCmd builds `discover scan`. runF replaces the command's work in tests that only check
// flag parsing.
func newScanCmd(e *env, g *globalOpts, runF func(*scanOpts) error) *cobra.Command {
	o := &scanOpts{}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan every configured provider and write the graph",
		Long: `Scan runs every configured collector concurrently, merges their findings into one graph,
infers the dependencies no API states, validates them, and writes graph.json, proposals.json and
the rendered documents into --out.

Providers are configured by their usual environment variables (VERCEL_TOKEN, DIGITALOCEAN_TOKEN,
SUPABASE_ACCESS_TOKEN, SUPABASE_DB_URL, ODOO_URL/ODOO_DB/ODOO_USERNAME/ODOO_PASSWORD, DOCKER_HOST)
or by --config FILE. A provider without credentials is skipped, not failed.

Exit codes: 0 ok, 1 error, 2 bad usage or configuration, 3 graph written but some collectors failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runScan(cmd, e, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.configPath, "config", "c", "", "configuration file (YAML)")
	f.StringVarP(&o.out, "out", "o", "output", "output directory")
	f.StringSliceVar(&o.only, "only", nil, "scan only these providers (comma-separated)")
	f.StringSliceVar(&o.skip, "skip", nil, "do not scan these providers")
	f.DurationVar(&o.timeout, "timeout", 0, "time limit per collector (default 5m, or timeout: in the config file)")
	f.BoolVar(&o.progress, "progress", false, "print progress even when stderr is not a terminal")
	return cmd
}

func runScan(cmd *cobra.Command, e *env, g *globalOpts, o *scanOpts) error {
	log, err := g.logger(e.Stderr)
	if err != nil {
		return err
	}
	cfg, err := config.Load(o.configPath, e.Getenv, e.Exists)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	if o.timeout < 0 {
		return usageErr("--timeout must not be negative")
	}
	insts, err := all.Filter(all.Instances(cfg), o.only, o.skip)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	timeout := cfg.Timeout
	if o.timeout > 0 {
		timeout = o.timeout
	}
	opts := scan.Options{
		Instances: insts,
		Collect:   collectors.Options{Timeout: timeout},
		Enrichers: []enrich.Enricher{enrich.Rules{}},
		Threshold: cfg.Enrich.Threshold,
		Generator: "infragraph " + versionString(),
	}
	if o.progress || e.IsTerminal {
		opts.Collect.Progress = progressLogger(log)
	}
	ctx := cmd.Context()
	if key, err := evidence.LoadKey(o.out); err != nil {
		log.Warn("no secret fingerprints this scan", "error", err)
	} else {
		ctx = evidence.WithKey(ctx, key)
	}
	res, err := scan.Run(ctx, opts)
	if err != nil {
		return err
	}
	paths, err := scan.Write(o.out, res)
	if err != nil {
		return err
	}
	summarize(e, log, res, paths)
	if res.Failed() {
		return &codeError{code: exitPartial, err: fmt.Errorf("graph written, but some collectors failed (see %s)", paths[0])}
	}
	return nil
}

func progressLogger(log *slog.Logger) func(collectors.Event) {
	return func(ev collectors.Event) {
		key := ev.Instance.Key()
		if !ev.Done {
			log.Info("collector started", "collector", key)
			return
		}
		st := ev.Status
		args := []any{"collector", key, "status", string(st.Status)}
		switch st.Status {
		case graph.StatusSkipped:
			args = append(args, "reason", st.Reason)
		case graph.StatusFailed:
			args = append(args, "error", st.Reason, "duration", time.Duration(st.DurationMS)*time.Millisecond)
		default:
			args = append(args, "nodes", st.Nodes, "edges", st.Edges, "warnings", len(st.Warnings), "duration", time.Duration(st.DurationMS)*time.Millisecond)
		}
		log.Info("collector finished", args...)
	}
}

// summarize prints what the scan did, and how to configure providers when none ran.
func summarize(e *env, log *slog.Logger, res *scan.Result, paths []string) {
	n, ed := res.Graph.Len()
	ran := 0
	for _, c := range res.Graph.Collectors {
		switch c.Status {
		case graph.StatusSkipped:
		case graph.StatusFailed:
			ran++
			log.Warn("collector failed", "collector", c.Key(), "error", c.Reason)
		default:
			ran++
			for _, w := range c.Warnings {
				log.Warn("collector warning", "collector", c.Key(), "warning", w)
			}
		}
	}
	log.Info("scan finished", "nodes", n, "edges", ed, "wrote", strings.Join(paths, ","))
	if ran == 0 {
		fmt.Fprintln(e.Stderr, "\nNo provider is configured, so the graph is empty. Configure one with its usual environment variables:")
		for _, p := range all.Providers {
			fmt.Fprintf(e.Stderr, "  %-13s %s\n", p, all.Credentials[p])
		}
		fmt.Fprintln(e.Stderr, "or write a config file and pass --config FILE (see README.md, \"Configuration\").")
	}
}
