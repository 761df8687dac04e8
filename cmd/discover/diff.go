package main

import (
	"encoding/json"
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
	old, new string
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
OLD is compared with the latest scan; without arguments, the previous scan with the latest.`,
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
			return runDiff(e, o)
		},
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", defaultOut, "output directory whose history holds the scans")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func runDiff(e *env, o *diffOpts) error {
	store := history.Store{Dir: o.out}
	old, err := loadGraphRef(store, o.old)
	if err != nil {
		return err
	}
	new, err := loadGraphRef(store, o.new)
	if err != nil {
		return err
	}
	c := history.Diff(old, new)
	if o.json {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(c)
	}
	return history.WriteText(e.Stdout, c)
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
