package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/export"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/output"
)

type exportOpts struct {
	format string
	graph  string
	out    string
	owner  string
	store  string // the organisation's store instead of --graph
}

// graphSource loads the graph an export reads. Today that is --graph (a graph.json or an
// output directory); another source (a --store DSN) plugs in here as one more case.
type graphSource func(ctx context.Context) (*graph.Graph, error)

func (o *exportOpts) source(e *env) graphSource {
	if dsn := storeURL(e, o.store, nil); dsn != "" {
		return func(ctx context.Context) (*graph.Graph, error) { return storeGraph(ctx, dsn) }
	}
	return func(context.Context) (*graph.Graph, error) { return loadQueryGraph(o.graph) }
}

// newExportCmd builds `discover export`: the latest graph in a format another tool reads.
func newExportCmd(e *env, runF func(*exportOpts) error) *cobra.Command {
	o := &exportOpts{}
	var help []string
	for _, f := range export.Formats() {
		var files []string
		for _, fl := range f.Files {
			files = append(files, fl.Name)
		}
		help = append(help, fmt.Sprintf("  %-10s %s (%s)", f.Name, f.Description, strings.Join(files, ", ")))
	}
	cmd := &cobra.Command{
		Use:   "export --format FORMAT",
		Short: "Write the graph for Backstage, Graphviz, GraphML tools, Neo4j or spreadsheets/PostgreSQL",
		Long: `export reads a graph.json (--graph: a file, or an output directory for its latest scan) and
writes it in another tool's format, to stdout or, with --out DIR, to files in DIR (csv writes two
files, so it needs --out). The same graph gives the same bytes.

` + strings.Join(help, "\n") + `

  discover export --format dot | dot -Tsvg > graph.svg
  discover export --format csv --out export/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runExport(cmd.Context(), e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "backstage, csv, cypher, dot or graphml")
	f.StringVarP(&o.graph, "graph", "g", defaultOut, "graph.json, or an output directory (its latest scan)")
	f.StringVar(&o.out, "out", "", "directory to write the files to (default: stdout)")
	storeFlag(f, &o.store)
	f.StringVar(&o.owner, "owner", "", "backstage: every entity's owner, an entity reference (default unknown), e.g. group:default/platform")
	return cmd
}

func runExport(ctx context.Context, e *env, o *exportOpts) error {
	if o.format == "" {
		return usageErr("--format is required: backstage, csv, cypher, dot or graphml")
	}
	format, err := export.Lookup(o.format)
	if err != nil {
		return usageErr("--format: %v", err)
	}
	if o.owner != "" {
		if format.Name != "backstage" {
			return usageErr("--owner is for --format backstage")
		}
		if err := export.CheckOwner(o.owner); err != nil {
			return usageErr("--owner: %v", err)
		}
		format.Files[0].Write = export.BackstageWith(export.BackstageOptions{Owner: o.owner})
	}
	if o.out == "" && len(format.Files) > 1 {
		return usageErr("--format %s writes %d files: pass --out DIR", format.Name, len(format.Files))
	}
	g, err := o.source(e)(ctx)
	if err != nil {
		return err
	}
	if o.out == "" {
		return format.Files[0].Write(e.Stdout, g)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	b := output.Batch{Root: o.out}
	defer b.Discard()
	for _, f := range format.Files {
		if err := b.Add(filepath.Join(o.out, f.Name), 0o644, func(w io.Writer) error { return f.Write(w, g) }); err != nil {
			return fmt.Errorf("export %s: %w", format.Name, err)
		}
	}
	paths, err := b.Commit()
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(e.Stdout, p)
	}
	return nil
}
