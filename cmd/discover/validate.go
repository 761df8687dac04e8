package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/termtext"
)

func newValidateCmd(e *env, runF func(path string) error) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|DIR",
		Short: "Check a graph.json (an output directory's, or a .gz snapshot) against the JSON Schema and the vocabulary",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(args[0])
			}
			path := args[0]
			if st, err := os.Stat(path); err == nil && st.IsDir() {
				path = output.Layout{Dir: path}.Graph() // an output directory: its latest scan
			}
			data, err := readGraphFile(path)
			if err != nil {
				return err
			}
			problems := schemas.ValidateJSON(data)
			for _, p := range problems {
				fmt.Fprintln(e.Stdout, termtext.Escape(p)) // problems quote ids from the file
			}
			if len(problems) > 0 {
				return fmt.Errorf("%s: %d problem(s)", path, len(problems))
			}
			fmt.Fprintf(e.Stdout, "%s: valid (schema %s)\n", path, "graph.schema.json")
			return nil
		},
	}
}

// readGraphFile reads a graph.json, or a snapshot gzip-compressed by the history (name ending .gz).
// At most history.MaxGraphBytes of JSON are read (a gzip bomb is refused, naming the file).
func readGraphFile(path string) ([]byte, error) {
	r, err := history.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
