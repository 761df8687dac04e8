package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/enrich/llm"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/termtext"
)

// exitAlerts is `discover alerts`' code when the scan raised alerts: apart from every error code,
// so a scheduler tells "something to look at" from "broken".
const exitAlerts = 5

type alertsOpts struct {
	out    string
	output string
	json   bool
	ref    string
}

// newAlertsCmd builds `discover alerts`. runF replaces the command's work in tests that only
// check flag parsing.
func newAlertsCmd(e *env, runF func(*alertsOpts) error) *cobra.Command {
	o := &alertsOpts{}
	cmd := &cobra.Command{
		Use:   "alerts [SCAN]",
		Short: "List the drift alerts a scan raised against the previous one",
		Long: `Alerts lists what a scan found changed since the previous scan that an operator must see:
an exposure opened (a firewall rule, trusted source or network restriction now allowing 0.0.0.0/0
or ::/0, a bucket made public, a database left with no trusted source), a new dependency on an
external host no earlier scan had, a database setting whose target moved to another database, a
collector stale for more than alerts.stale_scans scans in a row (default 3), and a production
deployment from a repository no earlier scan had (nor alerts.known_repos lists). With the LLM on,
each alert may carry a model-written triage whose cited node ids were checked.

SCAN is a scan in the history of --out (an id, a prefix of one, "latest" or "previous") or a
graph.json file; default the latest.

Exit codes: 0 no alerts; 5 the scan raised alerts; 1 error (no scan to read); 2 bad usage.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref = "latest"
			if len(args) == 1 {
				o.ref = args[0]
			}
			if runF != nil {
				return runF(o)
			}
			return runAlerts(e, o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", defaultOut, "output directory whose history holds the scans")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (same as --output json)")
	return cmd
}

// alertsReport is `discover alerts -o json`.
type alertsReport struct {
	Scan   string        `json:"scan"`
	Since  string        `json:"since,omitempty"`
	Alerts []graph.Alert `json:"alerts"`
}

func runAlerts(e *env, o *alertsOpts) error {
	format, err := outputFormat(o.output, o.json, "text")
	if err != nil {
		return err
	}
	g, err := loadGraphRef(history.Store{Dir: o.out}, o.ref)
	if err != nil {
		return err
	}
	rep := alertsReport{Scan: g.Scan.ID, Alerts: g.Scan.Alerts}
	if g.Scan.Changes != nil {
		rep.Since = g.Scan.Changes.Since
	}
	if rep.Alerts == nil {
		rep.Alerts = []graph.Alert{}
	}
	if format == "json" {
		err = writeJSON(e.Stdout, rep)
	} else {
		err = writeAlerts(e, rep)
	}
	if err == nil && len(rep.Alerts) > 0 {
		return &codeError{code: exitAlerts} // the output said what
	}
	return err
}

func writeAlerts(e *env, rep alertsReport) error {
	b := bufio.NewWriter(e.Stdout)
	switch {
	case rep.Since == "":
		fmt.Fprintf(b, "Scan %s: no previous scan to compare with, so no alerts.\n", termtext.Escape(rep.Scan))
		return b.Flush()
	case len(rep.Alerts) == 0:
		fmt.Fprintf(b, "Scan %s, compared with %s: no alerts.\n", termtext.Escape(rep.Scan), termtext.Escape(rep.Since))
		return b.Flush()
	}
	fmt.Fprintf(b, "Scan %s, compared with %s: %d alerts\n", termtext.Escape(rep.Scan), termtext.Escape(rep.Since), len(rep.Alerts))
	for _, a := range rep.Alerts {
		fmt.Fprintf(b, "\n! %s  %s\n  %s\n", render.AlertWords(a.Kind), termtext.Escape(a.Subject), termtext.Escape(a.Message))
		if a.Was != "" {
			fmt.Fprintf(b, "  was: %s\n", termtext.Escape(a.Was))
		}
		if a.Now != "" {
			fmt.Fprintf(b, "  now: %s\n", termtext.Escape(a.Now))
		}
		if t := a.Triage; t != nil {
			fmt.Fprintf(b, "  triage (model-written by %s; citations checked): %s\n", termtext.Escape(t.Model), termtext.Escape(t.Text))
		}
	}
	return b.Flush()
}

// triageAlerts asks the model for a grounded triage of each alert once the graph is final, sets
// each one that passed the check on its alert, and records what it did in graph.json's
// scan.enrichment (triage.*). Without the LLM, when its stage failed, or without alerts, nothing
// happens and nothing is recorded: the deterministic outputs are unchanged.
func triageAlerts(ctx context.Context, log *slog.Logger, ai *llm.Enricher, g *graph.Graph) {
	if ai == nil || llmFailed(g) != "" || len(g.Scan.Alerts) == 0 {
		return
	}
	res := ai.Triage(ctx, g, g.Scan.Alerts)
	for i, t := range res.Triages {
		g.Scan.Alerts[i].Triage = &t
	}
	for k, v := range res.Summary(len(g.Scan.Alerts)) {
		g.Scan.Enrichment[k] = v
	}
	if n := len(g.Scan.Alerts) - len(res.Triages); n > 0 {
		log.Info("alerts without a triage (dropped by the check, or not asked)", "alerts", n, "dropped", res.Dropped)
	}
}
