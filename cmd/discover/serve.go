package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/serve"
)

type serveOpts struct {
	graph    string
	addr     string
	store    string        // the organisation's store (--store, $DISCOVER_STORE_URL)
	poll     time.Duration // how often to look for a new publish in the store
	graphSet bool
}

// newServeCmd builds `discover serve`: the JSON HTTP API and MCP over streamable HTTP.
func newServeCmd(e *env, g *globalOpts, runF func(*serveOpts) error) *cobra.Command {
	o := &serveOpts{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the graph as a web explorer, a read-only JSON HTTP API and MCP over HTTP",
		Long: `serve answers the same questions as discover mcp over HTTP, read-only, from the latest scan in
--graph; a new scan is picked up on the next request.

  GET /  the web explorer: search, a page per node (what breaks if it goes down, what it depends
         on, each edge's evidence), system diagrams, scans and what changed between two

  GET /api/v1/summary, /api/v1/status
  GET /api/v1/nodes?kind=&provider=&name=&attr=key=value&stale=true&limit=&cursor=
  GET /api/v1/nodes/{id}, /api/v1/nodes/{id}/dependencies?depth=, /api/v1/nodes/{id}/impact
  GET /api/v1/path?from=&to=, /api/v1/changes?since=previous
  POST /mcp (MCP streamable HTTP)
  GET /openapi.json (OpenAPI 3.1), /graph.mmd, /INFRA.md, /metrics (Prometheus)
  GET /healthz (alive), /readyz (503 until a graph is loaded; its scan id and age)

It binds 127.0.0.1 by default. When ` + serve.TokenEnv + ` is set, every request must carry
"Authorization: Bearer <token>" (but /healthz and /readyz, for probes); binding anything but a loopback address requires it. A browser
opens the explorer once with ?token=<token>: the server answers with an HttpOnly, SameSite=Strict
cookie (an HMAC of the token, not the token) and drops the token from the address.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.graphSet = cmd.Flags().Changed("graph")
			if runF != nil {
				return runF(o)
			}
			return runServe(cmd.Context(), e, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.graph, "graph", "g", defaultOut, "output directory of discover scan")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8765", "address to listen on (host:port)")
	storeFlag(f, &o.store)
	f.DurationVar(&o.poll, "poll", 10*time.Second, "with --store, how often to look for a new publish (--graph: where to render it, default a temporary directory)")
	return cmd
}

func runServe(ctx context.Context, e *env, g *globalOpts, o *serveOpts) error {
	log, err := g.logger(e.Stderr)
	if err != nil {
		return err
	}
	token := e.Getenv(serve.TokenEnv)
	if err := serve.CheckBind(o.addr, token); err != nil {
		return usageErr("%v", err)
	}
	dir, cleanup, err := storeServe(ctx, e, log, o.store, o.graph, o.graphSet, o.poll)
	if err != nil {
		return err
	}
	defer cleanup()
	st, err := openStore(dir)
	if err != nil {
		return err
	}
	if _, err := st.Current(); err != nil {
		log.Warn("no graph yet; the API answers 503 until a scan lands", "err", err)
	}
	svc := &serve.Service{Store: st}
	h := serve.Handler(svc, serve.NewMCPServer(svc, serve.MCPOptions{Version: versionString(), Logger: log}), serve.HTTPOptions{Token: token, Logger: log, Version: versionString()})
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := serve.NewHTTPServer(o.addr, h, log)
	url := "http://" + ln.Addr().String()
	log.Info("serving "+url, "graph", dir, "explorer", url+"/", "api", url+"/api/v1/", "mcp", url+"/mcp", "token", token != "")
	if token == "" {
		fmt.Fprintf(e.Stdout, "infragraph explorer: %s/\n", url)
	} else {
		fmt.Fprintf(e.Stdout, "infragraph explorer: %s/?token=<value of %s> (once: a cookie keeps it)\n", url, serve.TokenEnv)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
