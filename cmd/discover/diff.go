package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
)

type diffOpts struct {
	out      string
	json     bool
	output   string // text or json (--output, -o)
	exitCode bool   // --exit-code: exit 1 when something changed
	old, new string
	store    string // the organisation's store: compare its snapshots
}

// newDiffCmd builds `discover diff`. runF replaces the command's work in tests that only check
// flag parsing.
func newDiffCmd(e *env, runF func(*diffOpts) error) *cobra.Command {
	o := &diffOpts{}
	cmd := &cobra.Command{
		Use:   "diff [OLD [NEW]]",
		Short: "Show what changed between two scans",
		Long: `Diff lists the nodes and edges added, removed and changed between two graphs, and those that
went stale (their collector did not complete) or were observed again. Changes of volatile attributes
(timestamps such as *_at, counters such as estimated_rows) are ignored.

OLD and NEW are graph.json files (plain or .gz) or scans in the history of --out: a scan id
(20261121T060000Z), an unambiguous prefix of one (20261121), "latest" or "previous". Without NEW,
OLD is compared with the latest scan; without arguments, the previous scan with the latest.

With --exit-code, diff exits 1 when something changed and 0 when nothing did, as
git diff --exit-code does (an error is also 1, with a message on stderr; bad usage is 2).`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.old, o.new = "previous", "latest"
			switch len(args) {
			case 2:
				o.old, o.new = args[0], args[1]
			case 1:
				o.old = args[0]
			}
			if runF != nil {
				return runF(o)
			}
			return runDiff(cmd.Context(), e, o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", defaultOut, "output directory whose history holds the scans")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (same as --output json)")
	cmd.Flags().BoolVar(&o.exitCode, "exit-code", false, "exit 1 when something changed, 0 when nothing did")
	storeFlag(cmd.Flags(), &o.store)
	return cmd
}

func runDiff(ctx context.Context, e *env, o *diffOpts) error {
	format, err := outputFormat(o.output, o.json, "text")
	if err != nil {
		return err
	}
	var old, new *graph.Graph
	if dsn := storeURL(e, o.store, nil); dsn != "" {
		old, new, err = storeSnapshots(ctx, dsn, o.old, o.new)
	} else {
		old, new, err = fileSnapshots(history.Store{Dir: o.out}, o.old, o.new)
	}
	if err != nil {
		return err
	}
	c := history.Diff(old, new)
	if format == "json" {
		err = writeJSON(e.Stdout, c)
	} else {
		err = history.WriteText(e.Stdout, c)
	}
	if err == nil && o.exitCode && !c.Empty() {
		return &codeError{code: exitError} // "changed", silently: the output said what
	}
	return err
}

func fileSnapshots(store history.Store, oldRef, newRef string) (old, new *graph.Graph, err error) {
	if old, err = loadGraphRef(store, oldRef); err != nil {
		return nil, nil, err
	}
	if new, err = loadGraphRef(store, newRef); err != nil {
		return nil, nil, err
	}
	return old, new, nil
}

// outputFormat resolves --output (-o) with the older --json flag: "json", or the command's
// human format (text for diff, table for query; either name is accepted for both).
func outputFormat(output string, asJSON bool, human string) (string, error) {
	switch {
	case asJSON || output == "json":
		return "json", nil
	case output == "" || output == "text" || output == "table":
		return human, nil
	}
	return "", usageErr("--output must be %s or json, not %q", human, output)
}

// loadGraphRef reads a graph.json file, or a scan of the store's history when no such file exists.
func loadGraphRef(store history.Store, ref string) (*graph.Graph, error) {
	if _, err := os.Stat(history.Locate(ref)); err == nil {
		return history.LoadFile(ref)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if strings.ContainsRune(ref, os.PathSeparator) || strings.HasSuffix(ref, ".json") || strings.HasSuffix(ref, ".gz") {
		return nil, fmt.Errorf("%s: no such file (nor a scan in the history of %s)", ref, store.Dir)
	}
	sn, err := store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	return history.LoadFile(sn.Path)
}
