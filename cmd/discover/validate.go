package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/schemas"
)

func newValidateCmd(e *env, runF func(path string) error) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a graph.json against the JSON Schema and the vocabulary",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(args[0])
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			problems := schemas.ValidateJSON(data)
			for _, p := range problems {
				fmt.Fprintln(e.Stdout, p)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%s: %d problem(s)", args[0], len(problems))
			}
			fmt.Fprintf(e.Stdout, "%s: valid (schema %s)\n", args[0], "graph.schema.json")
			return nil
		},
	}
}
