package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/serve"
)

type mcpOpts struct {
	graph    string
	store    string        // the organisation's store (--store, $DISCOVER_STORE_URL)
	poll     time.Duration // how often to look for a new publish in the store
	graphSet bool
}

// newMCPCmd builds `discover mcp`: the graph as an MCP server on stdin/stdout.
func newMCPCmd(e *env, g *globalOpts, runF func(*mcpOpts) error) *cobra.Command {
	o := &mcpOpts{}
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the graph to AI agents over the Model Context Protocol (stdio)",
		Long: `mcp speaks the Model Context Protocol on stdin and stdout, read-only, over the latest scan in
--graph (an output directory of discover scan); a new scan is picked up on the next request.

Tools: search_nodes, get_node, dependencies, impact, path, restore_order, changes_since, scan_status.
Resources: infragraph://summary (read it first), infragraph://infra.md, infragraph://system/{id}.

Add it to an MCP client's configuration, e.g. for Claude Desktop or Claude Code:

  {"mcpServers": {"infragraph": {"command": "discover", "args": ["mcp", "--graph", "/path/to/output"]}}}

Logs go to stderr; stdout carries only the protocol.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.graphSet = cmd.Flags().Changed("graph")
			if runF != nil {
				return runF(o)
			}
			log, err := g.logger(e.Stderr)
			if err != nil {
				return err
			}
			dir, cleanup, err := storeServe(cmd.Context(), e, log, o.store, o.graph, o.graphSet, o.poll)
			if err != nil {
				return err
			}
			defer cleanup()
			st, err := openStore(dir)
			if err != nil {
				return err
			}
			srv := serve.NewMCPServer(&serve.Service{Store: st}, serve.MCPOptions{Version: versionString(), Logger: log})
			// not the SDK's StdioTransport: one malformed line would end the session
			return srv.Run(cmd.Context(), serve.NewStdioTransport(os.Stdin, os.Stdout, log))
		},
	}
	cmd.Flags().StringVarP(&o.graph, "graph", "g", defaultOut, "output directory of discover scan (its graph.json, INFRA.md and scans/)")
	storeFlag(cmd.Flags(), &o.store)
	cmd.Flags().DurationVar(&o.poll, "poll", 10*time.Second, "with --store, how often to look for a new publish (--graph: where to render it, default a temporary directory)")
	return cmd
}

// openStore checks that dir is a directory (or its graph.json): a missing graph.json may yet be
// written by a scan, a missing directory is a typo.
func openStore(dir string) (*serve.Store, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, usageErr("--graph %s: %v", dir, err)
	}
	if !fi.IsDir() {
		if filepath.Base(dir) != output.GraphFile {
			return nil, usageErr("--graph %s is not a directory: give the output directory of discover scan", dir)
		}
		dir = filepath.Dir(dir) // the history and INFRA.md live beside it
	}
	return serve.NewStore(dir), nil
}
