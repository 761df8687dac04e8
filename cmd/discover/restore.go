package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/termtext"
)

// newRestoreCmd builds `discover query restore [NODE]`: INFRA.md's restore order (render.Restore),
// for every system or for the system holding NODE, with the dependency cycles.
func newRestoreCmd(e *env, o *queryOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "restore [NODE]",
		Short: "The order to bring systems back after an outage, dependencies first, and the dependency cycles",
		Long: `restore prints INFRA.md's restore order: every system by wave (wave 1 depends on nothing, each
later wave only on earlier ones or on its own dependency cycle), or, given a node, everything the
system holding it depends on, transitively, in the order to restore it, the system last.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := loadQueryGraph(o.graph)
			if err != nil {
				return err
			}
			id := ""
			if len(args) == 1 {
				if id, err = o.resolve(g, args[0]); err != nil {
					return err
				}
			}
			p, err := render.Restore(g, id)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(e.Stdout, p)
			}
			return restoreText(e.Stdout, p)
		},
	}
}

func restoreText(w io.Writer, p render.RestorePlan) error {
	w = termtext.Writer(w)
	if p.System != "" {
		fmt.Fprintf(w, "restore order of %s: %d step(s), dependencies first\n", termtext.Escape(p.System), len(p.Steps))
	} else {
		fmt.Fprintf(w, "restore order of %d system(s), dependencies first\n", len(p.Steps))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tKIND\tNAME\tID")
	for _, s := range p.Steps {
		wave := fmt.Sprint(s.Wave)
		if s.Cycle {
			wave += " cycle"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", wave, s.Kind, termtext.Escape(s.Name), termtext.Escape(s.ID))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Cycles) == 0 {
		_, err := fmt.Fprintln(w, "no dependency cycles")
		return err
	}
	fmt.Fprintf(w, "%d dependency cycle(s): restore each together\n", len(p.Cycles))
	for _, c := range p.Cycles {
		fmt.Fprintf(w, "  %s\n", termtext.Escape(strings.Join(c, " <-> ")))
	}
	return nil
}
