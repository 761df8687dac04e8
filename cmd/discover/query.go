package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/termtext"
)

type queryOpts struct {
	graph  string
	store  string // the organisation's store (--store, $DISCOVER_STORE_URL) instead of --graph
	json   bool   // JSON output: --output json, or the older --json
	output string // --output, -o: table or json
	filter query.Filter
	depth  int
}

// resolve names one node: ref as query.ResolveIn reads it (an id, an id suffix, a name, or
// provider:name), within --provider when given. A reference that matches nothing or several
// nodes is a usage error (exit 2) saying how to pick one.
func (o *queryOpts) resolve(g *graph.Graph, ref string) (string, error) {
	id, err := query.ResolveIn(g, ref, o.filter.Provider)
	var amb *query.AmbiguousError
	switch {
	case errors.As(err, &amb):
		return "", usageErr("%v\nname one by its full id, as provider:name (%s), or with --provider", err, ambiguousExample(g, amb))
	case err != nil:
		return "", usageErr("%v", err)
	}
	return id, nil
}

// ambiguousExample is the provider:name form of the first candidate that has one.
func ambiguousExample(g *graph.Graph, amb *query.AmbiguousError) string {
	for _, id := range amb.Candidates {
		if n, ok := g.Node(id); ok && n.Name != "" {
			return n.Provider + ":" + n.Name
		}
	}
	return "supabase:acme-prod"
}

// newQueryCmd builds `discover query` and its subcommands. Each prints a text table, or JSON with
// --json (the types of package query, the same the MCP server returns).
func newQueryCmd(e *env) *cobra.Command {
	o := &queryOpts{}
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Find nodes, and what depends on what, in a scanned graph",
		Long: `Query reads a graph.json (--graph: a file, or an output directory for its latest graph.json) and
answers from it. Without a subcommand it lists the nodes matching every filter given.

A node is named by its full id, an unambiguous id suffix (droplet:1001, 1001, public.orders) or its
name, optionally qualified by its provider (supabase:acme-prod) or narrowed with --provider; an
ambiguous or unknown one exits 2 listing the candidates or the closest names. Stale nodes and
edges (kept from an earlier scan because their collector did not complete) are marked.

Output: -o table (default) or -o json (the types of package query, as the MCP server returns).
Exit codes: 0 ok (also when no node matches the filters); 1 error (no graph); 2 bad usage: an
unknown kind, provider or node, or an ambiguous one.

  discover query --kind droplet                 # find
  discover query --attr framework=nextjs
  discover query show erp-odoo-1                # one node, its attributes and edges
  discover query deps prj_storefront --depth 2  # what it depends on
  discover query impact supabase:acme-prod      # what breaks if it goes down
  discover query path prj_admin 1001            # how two nodes connect
  discover query restore prj_storefront         # what to bring back first after an outage

impact is query.Analysis, the same answer INFRA.md, the MCP server and the HTTP API give: runtime
dependents break (their count is the blast radius); parts go down with their whole (an engine's
containers, a project's deployments) and what builds from the node cannot redeploy, both listed
apart; a Compose service and its container stand and fall together; the data a deletion destroys
is named. deps is the mirror image of the dependency walk.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := o.load(cmd.Context(), e)
			if err != nil {
				return err
			}
			nodes, err := query.Find(g, o.filter)
			if err != nil {
				return usageErr("%v", err)
			}
			if o.json {
				return writeJSON(e.Stdout, nodes)
			}
			return nodeTable(e.Stdout, nodes)
		},
	}
	cmd.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		format, err := outputFormat(o.output, o.json, "table")
		o.json = format == "json"
		return err
	}
	pf := cmd.PersistentFlags()
	pf.StringVarP(&o.graph, "graph", "g", defaultOut, "graph.json, or an output directory (its latest scan)")
	pf.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	pf.StringVar(&o.store, "store", "", storeFlagHelp)
	pf.BoolVar(&o.json, "json", false, "print JSON (same as --output json)")
	pf.StringVar(&o.filter.Provider, "provider", "", "only this provider's nodes (and, for deps, impact, path and show, resolve names among them)")
	f := cmd.Flags()
	f.StringVar(&o.filter.Kind, "kind", "", "kind (droplet) or provider:kind (digitalocean:droplet)")
	f.StringVar(&o.filter.Name, "name", "", "part of the name (case-insensitive)")
	f.StringArrayVar(&o.filter.Attrs, "attr", nil, "attribute key=value, or key to require it (repeatable)")
	f.BoolVar(&o.filter.Stale, "stale", false, "only stale nodes")

	walk := func(use, short string, fn func(*graph.Graph, string, int) ([]query.Hit, error), title string) *cobra.Command {
		c := &cobra.Command{
			Use:   use + " NODE",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				g, err := o.loadFor(cmd.Context(), e, use, args[0])
				if err != nil {
					return err
				}
				id, err := o.resolve(g, args[0])
				if err != nil {
					return err
				}
				hits, err := fn(g, id, o.depth)
				if err != nil {
					return err
				}
				if use == "impact" {
					return impactOut(e.Stdout, g, args[0], hits, o.json)
				}
				if o.json {
					return writeJSON(e.Stdout, hits)
				}
				n, _ := g.Node(id)
				fmt.Fprintf(termtext.Writer(e.Stdout), "%s %s (%s %q)%s: %d node(s)\n", title, termtext.Escape(id), n.Kind, n.Name, staleNote(n.Stale, n.StaleSince), len(hits))
				return hitTable(e.Stdout, hits)
			},
		}
		c.Flags().IntVar(&o.depth, "depth", 0, "most hops to follow (0: no limit)")
		return c
	}
	cmd.AddCommand(
		walk("deps", "What a node depends on, transitively", query.Deps, "dependencies of"),
		walk("impact", "What breaks if a node goes down, what cannot redeploy, what a deletion destroys", query.Impact, "impact of"),
		newRestoreCmd(e, o),
		&cobra.Command{
			Use:   "path FROM TO",
			Short: "A shortest path between two nodes",
			Args:  cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				g, err := o.load(cmd.Context(), e)
				if err != nil {
					return err
				}
				from, err := o.resolve(g, args[0])
				if err != nil {
					return err
				}
				to, err := o.resolve(g, args[1])
				if err != nil {
					return err
				}
				steps, err := query.Path(g, from, to)
				if err != nil {
					return err
				}
				if o.json {
					return writeJSON(e.Stdout, steps)
				}
				return pathText(e.Stdout, steps)
			},
		},
		&cobra.Command{
			Use:   "show NODE",
			Short: "One node: attributes, freshness and edges",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				g, err := o.load(cmd.Context(), e)
				if err != nil {
					return err
				}
				id, err := o.resolve(g, args[0])
				if err != nil {
					return err
				}
				d, err := query.Show(g, id)
				if err != nil {
					return err
				}
				if o.json {
					return writeJSON(e.Stdout, d)
				}
				return detailText(e.Stdout, d)
			},
		},
	)
	return cmd
}

// loadQueryGraph reads path, or path/graph.json when path is a directory.
func loadQueryGraph(path string) (*graph.Graph, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = output.Layout{Dir: path}.Graph()
	}
	g, err := history.LoadFile(path)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s not found: run `discover scan` first, or pass --graph", path)
	}
	return g, err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func staleNote(stale bool, since string) string {
	if !stale {
		return ""
	}
	return " [stale since " + since + "]"
}

func status(stale bool, since string) string {
	if stale {
		return "stale since " + since
	}
	return ""
}

func nodeTable(w io.Writer, nodes []query.Node) error {
	w = termtext.Writer(w)
	if len(nodes) == 0 {
		_, err := fmt.Fprintln(w, "no nodes match")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// The id comes last: a Docker id is 64 hex digits, which would push the readable columns off
	// the screen.
	fmt.Fprintln(tw, "PROVIDER\tKIND\tNAME\tSTATUS\tID")
	for _, n := range nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Provider, n.Kind, termtext.Escape(n.Name), status(n.Stale, n.StaleSince), termtext.Escape(n.ID))
	}
	fmt.Fprintf(tw, "%d node(s)\n", len(nodes))
	return tw.Flush()
}

func edgeLabel(e query.Edge) string {
	s := e.Type
	if e.Origin != graph.Observed {
		s += fmt.Sprintf(" (%s %s)", e.Origin, strconv.FormatFloat(e.Confidence, 'f', 2, 64))
	}
	if e.Stale {
		s += " stale"
	}
	for i, v := range e.Via {
		if i == 0 {
			s += " via "
		} else {
			s += ", "
		}
		s += v.Words()
	}
	return s
}

func hitTable(w io.Writer, hits []query.Hit) error {
	if len(hits) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(termtext.Writer(w), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEPTH\tPROVIDER\tKIND\tNAME\tVIA\tSTATUS\tID\tFROM")
	for _, h := range hits {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Distance, h.Node.Provider, h.Node.Kind, termtext.Escape(h.Node.Name), edgeLabel(h.Via), status(h.Node.Stale, h.Node.StaleSince), termtext.Escape(h.Node.ID), termtext.Escape(h.From))
	}
	return tw.Flush()
}

func pathText(w io.Writer, steps []query.Step) error {
	var b strings.Builder
	for _, s := range steps[min(1, len(steps)):] {
		if !s.Forward {
			// query.Path falls back to ignoring direction when no path follows the edges
			b.WriteString("no path follows the edges' direction; this one ignores it (<- goes against an edge):\n")
			break
		}
	}
	for i, s := range steps {
		n := fmt.Sprintf("%s (%s %q)%s", termtext.Escape(s.Node.ID), s.Node.Kind, s.Node.Name, staleNote(s.Node.Stale, s.Node.StaleSince))
		if i == 0 {
			b.WriteString(n + "\n")
			continue
		}
		if s.Forward {
			fmt.Fprintf(&b, "  -%s-> %s\n", edgeLabel(*s.Via), n)
		} else {
			fmt.Fprintf(&b, "  <-%s- %s\n", edgeLabel(*s.Via), n)
		}
	}
	_, err := io.WriteString(termtext.Writer(w), b.String())
	return err
}

func detailText(w io.Writer, d query.Detail) error {
	n := d.Node
	tw := tabwriter.NewWriter(termtext.Writer(w), 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\nkind\t%s:%s\nname\t%s\n", termtext.Escape(n.ID), n.Provider, n.Kind, termtext.Escape(n.Name))
	if n.Source != "" {
		fmt.Fprintf(tw, "source\t%s\n", termtext.Escape(n.Source))
	}
	if d.FirstSeen != "" {
		fmt.Fprintf(tw, "first seen\t%s\n", d.FirstSeen)
	}
	if n.LastSeen != "" {
		fmt.Fprintf(tw, "last seen\t%s\n", n.LastSeen)
	}
	if n.Stale {
		fmt.Fprintf(tw, "STALE\tsince %s (its collector did not complete; kept from an earlier scan)\n", n.StaleSince)
	}
	for _, k := range n.Attrs.Keys() {
		v, _ := graph.Node{Attrs: n.Attrs}.AttrValues(k)
		fmt.Fprintf(tw, "%s\t%s\n", termtext.Escape(k), termtext.Escape(strings.Join(v, ", ")))
	}
	for _, e := range d.Out {
		fmt.Fprintf(tw, "->\t%s %s\n", edgeLabel(e), termtext.Escape(e.To))
	}
	for _, e := range d.In {
		fmt.Fprintf(tw, "<-\t%s %s\n", edgeLabel(e), termtext.Escape(e.From))
	}
	return tw.Flush()
}
