package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infragraph/infragraph/config"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/store"
)

// storeEnv names the store's URL in the environment.
const storeEnv = "DISCOVER_STORE_URL"

const storeFlagHelp = "PostgreSQL store of the organisation's graph, postgres://… (a secret, never logged; or $" + storeEnv + ")"

// storeFlag adds --store to a command's flags.
func storeFlag(f *pflag.FlagSet, p *string) { f.StringVar(p, "store", "", storeFlagHelp) }

// storeURL resolves the store: --store, else $DISCOVER_STORE_URL, else store: in the config file
// (cfg may be nil). Empty: no store.
func storeURL(e *env, flag string, cfg *config.File) string {
	switch {
	case flag != "":
		return flag
	case e.Getenv(storeEnv) != "":
		return e.Getenv(storeEnv)
	case cfg != nil:
		return cfg.Store.Reveal()
	}
	return ""
}

// openPG opens the store at dsn (nil for none). A URL that does not parse is a usage error; its
// message never quotes the URL.
func openPG(dsn string) (*store.Store, error) {
	if dsn == "" {
		return nil, nil
	}
	pg, err := store.Open(dsn)
	if err != nil {
		return nil, &codeError{code: exitUsage, err: err}
	}
	return pg, nil
}

// storeFailedError is a scan whose files were written but whose publish to the store failed.
type storeFailedError struct{ err error }

func (e *storeFailedError) Error() string { return e.err.Error() }
func (e *storeFailedError) Unwrap() error { return e.err }

// validator is the scan's validator: the vocabulary and the confidence threshold.
func validator(threshold float64) (enrich.Validator, error) {
	vocab, err := schemas.Load()
	if err != nil {
		return enrich.Validator{}, fmt.Errorf("load vocabulary: %w", err)
	}
	if threshold == 0 {
		threshold = scan.DefaultThreshold
	}
	return enrich.Validator{Vocab: vocab, Threshold: threshold}, nil
}

// onceStore is a shard's scan: it builds on what the store holds for its own sources, collects
// without inferring, publishes, infers over the whole store, and writes the organisation's graph
// as the store holds it into --out. When the store fails, --out gets this shard's own graph
// (inferred here) and the error is a *storeFailedError.
func (s *scanner) onceStore(ctx context.Context) (*scan.Result, []string, error) {
	opts := s.opts
	v, err := validator(opts.Threshold)
	if err != nil {
		return nil, nil, err
	}
	var storeErr error
	prev, err := s.storePrevious(ctx, store.ClaimedBy(opts.Instances))
	if err != nil {
		storeErr = err
		s.log.Error("store unreadable: this shard's graph is written to --out only", "store", s.pg.Where(), "error", err)
		if prev, _, err = s.store.Previous(); err != nil {
			prev = nil
		}
	}
	ai, aiStatus, enrichers, err := s.enrichers()
	if err != nil {
		return nil, nil, err
	}
	opts.Previous, opts.Enrichers = prev, nil // the store infers over every shard's graph
	res, err := scan.Run(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	if ctx.Err() != nil {
		return nil, nil, errInterrupted
	}
	var out *scan.Result
	if storeErr == nil {
		rec, err := s.pg.Publish(ctx, store.Publication{Graph: res.Graph, Results: res.Results})
		if err != nil {
			storeErr = err
		} else {
			s.log.Info("published to the store", "store", s.pg.Where(), "sources", len(rec.Sources), "nodes", rec.Nodes, "edges", rec.Edges)
		}
	}
	if storeErr == nil {
		inf, err := s.pg.Infer(ctx, store.InferOptions{Enrichers: enrichers, Validator: v, Now: opts.Now,
			Generator: opts.Generator, Demo: opts.Demo, Keep: s.keep})
		if err != nil {
			storeErr = err
		} else {
			out = &scan.Result{Graph: inf.Graph, Verdicts: inf.Verdicts, Results: res.Results, Changes: inf.Changes}
		}
	}
	if out == nil { // this shard's own graph, inferred here
		started, _ := time.Parse(time.RFC3339, res.Graph.Scan.StartedAt)
		res.Verdicts = scan.Enrich(ctx, res.Graph, enrichers, v)
		history.CarryInferred(prev, res.Graph, started) // the scan's own graph, enriched in place too
		out = res
	}
	llmOutcome(s.log, out, aiStatus)
	paths, err := s.write(ctx, out, ai)
	if err != nil {
		return nil, nil, err
	}
	if storeErr != nil {
		return out, paths, &storeFailedError{err: storeErr}
	}
	return out, paths, nil
}

// storePrevious migrates the store and reads what it holds for the sources.
func (s *scanner) storePrevious(ctx context.Context, sources []string) (*graph.Graph, error) {
	if err := s.pg.Migrate(ctx); err != nil {
		return nil, err
	}
	return s.pg.Previous(ctx, sources)
}

type inferOpts struct {
	configPath string
	store      string
	out        string
	llm        string
	keep       int
	maxBytes   int
}

// newInferCmd builds `discover infer`: the store-wide inference on demand.
func newInferCmd(e *env, g *globalOpts) *cobra.Command {
	o := &inferOpts{}
	cmd := &cobra.Command{
		Use:   "infer --store URL",
		Short: "Infer the cross-provider edges over a whole PostgreSQL store, now",
		Long: `infer runs the rules and the validator (and the LLM when configured) over every shard's graph in
the store, under the store-wide lock, and replaces the inferred edges in one transaction: what every
scan --store does after it publishes. With --out it renders the organisation's graph there.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runInfer(cmd.Context(), e, g, o) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.configPath, "config", "c", "", "configuration file (for store:, llm: and enrich:)")
	storeFlag(f, &o.store)
	f.StringVar(&o.out, "out", "", "also render the organisation's graph into this directory")
	f.StringVar(&o.llm, "llm", "", "LLM enrichment: off, auto (when credentials exist; the default) or on")
	f.IntVar(&o.keep, "keep", history.DefaultKeep, "snapshots of the organisation's graph to keep in the store (0: all)")
	f.IntVar(&o.maxBytes, "max-bytes", defaultMaxBytes, "size budget of INFRA.md in bytes (0: no limit)")
	return cmd
}

func runInfer(ctx context.Context, e *env, g *globalOpts, o *inferOpts) error {
	log, err := g.logger(e.Stderr)
	if err != nil {
		return err
	}
	path, _ := configFile(e, o.configPath)
	cfg, err := config.Load(path, e.providers(), e.Getenv, e.Exists)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	pg, err := openPG(storeURL(e, o.store, cfg))
	if err != nil {
		return err
	}
	if pg == nil {
		return usageErr("infer needs a store: --store postgres://…, $%s or store: in the config file", storeEnv)
	}
	mode, err := llmPreflight(e, cfg, o.llm)
	if err != nil {
		return err
	}
	out := o.out
	if out == "" {
		out = defaultOut // the LLM's cache and key live there
	}
	enrichers := []enrich.Enricher{enrich.Rules{}}
	ai, aiStatus, err := llmEnricher(e, log, cfg, o.llm, out)
	if err != nil {
		return err
	}
	if ai != nil {
		enrichers = append(enrichers, ai)
	}
	v, err := validator(cfg.Enrich.Threshold)
	if err != nil {
		return err
	}
	if err := pg.Migrate(ctx); err != nil {
		return err
	}
	inf, err := pg.Infer(ctx, store.InferOptions{Enrichers: enrichers, Validator: v, Now: e.Now,
		Generator: "infragraph " + versionString(), Keep: o.keep})
	if err != nil {
		return err
	}
	res := &scan.Result{Graph: inf.Graph, Verdicts: inf.Verdicts, Changes: inf.Changes}
	llmOutcome(log, res, aiStatus)
	n, ed := inf.Graph.Len()
	log.Info("inferred over the store", "store", pg.Where(), "nodes", n, "edges", ed, "sources", len(inf.Graph.Collectors))
	if o.out != "" {
		lock, err := output.Acquire(o.out)
		if err != nil {
			return err
		}
		defer lock.Release()
		sc := &scanner{store: history.Store{Dir: o.out}, keep: o.keep, log: log,
			render: scan.RenderOptions{MaxBytes: o.maxBytes}}
		paths, err := sc.write(ctx, res, ai)
		if err != nil {
			return err
		}
		log.Info("wrote the organisation's graph", "wrote", len(paths), "dir", o.out)
	}
	if mode == "on" && llmFailed(res.Graph) != "" {
		return &codeError{code: exitPartial, err: fmt.Errorf("inferred, but the LLM stage failed under --llm on: %s", llmFailed(res.Graph))}
	}
	return nil
}

// storeGraph reads the organisation's graph from the store at dsn.
func storeGraph(ctx context.Context, dsn string) (*graph.Graph, error) {
	pg, err := openPG(dsn)
	if err != nil {
		return nil, err
	}
	return pg.Graph(ctx)
}

// load reads the graph a query answers from: the store when one is given (--store or
// $DISCOVER_STORE_URL), else --graph.
func (o *queryOpts) load(ctx context.Context, e *env) (*graph.Graph, error) {
	if dsn := storeURL(e, o.store, nil); dsn != "" {
		return storeGraph(ctx, dsn)
	}
	return loadQueryGraph(o.graph)
}

// loadFor is load for one walk from ref: from a store, impact reads only the neighbourhood its
// analysis needs when ref is a node id (the same answer, without loading the organisation).
func (o *queryOpts) loadFor(ctx context.Context, e *env, walk, ref string) (*graph.Graph, error) {
	dsn := storeURL(e, o.store, nil)
	if dsn == "" || walk != "impact" || o.filter.Provider != "" {
		return o.load(ctx, e)
	}
	pg, err := openPG(dsn)
	if err != nil {
		return nil, err
	}
	g, err := pg.Neighbourhood(ctx, ref)
	if errors.Is(err, store.ErrNoNode) {
		return pg.Graph(ctx) // a name or an id suffix: resolved against every node
	}
	return g, err
}

// mirror keeps dir a rendering of the store for serve and mcp, which read an output directory:
// graph.json, INFRA.md, diagrams and a snapshot per change, rewritten whenever the store's
// content changes (checked every poll). A SELECT-only role is enough.
type mirror struct {
	pg    *store.Store
	dir   string
	poll  time.Duration
	log   *slog.Logger
	stamp int64
}

// openMirror resolves serve's and mcp's directory for a store: dir when given (it must not
// hold a scan's own output), else a private temporary directory removed by the returned cleanup.
func openMirror(log *slog.Logger, pg *store.Store, dir string, poll time.Duration) (*mirror, func(), error) {
	cleanup := func() {}
	if dir == "" {
		d, err := os.MkdirTemp("", "infragraph-store-")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = d, func() { _ = os.RemoveAll(d) }
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	if poll <= 0 {
		poll = 10 * time.Second
	}
	return &mirror{pg: pg, dir: dir, poll: poll, log: log}, cleanup, nil
}

// sync renders the store into the directory when it changed since the last sync.
func (m *mirror) sync(ctx context.Context) error {
	stamp, err := m.pg.Stamp(ctx)
	if err != nil {
		return err
	}
	if stamp == m.stamp && m.stamp != 0 {
		return nil
	}
	g, err := m.pg.Graph(ctx)
	if err != nil {
		return err
	}
	lock, err := output.Acquire(m.dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	sc := &scanner{store: history.Store{Dir: m.dir}, keep: history.DefaultKeep, log: m.log,
		render: scan.RenderOptions{MaxBytes: defaultMaxBytes}}
	if _, err := sc.write(ctx, &scan.Result{Graph: g}, nil); err != nil {
		return err
	}
	m.stamp = stamp
	n, ed := g.Len()
	m.log.Info("loaded the organisation's graph from the store", "store", m.pg.Where(), "nodes", n, "edges", ed, "scan", g.Scan.ID)
	return nil
}

// run syncs every poll until ctx ends.
func (m *mirror) run(ctx context.Context) {
	t := time.NewTicker(m.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.sync(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("store unreadable; serving the graph loaded before", "store", m.pg.Where(), "error", err)
			}
		}
	}
}

// storeServe is the directory serve or mcp reads: graphDir, or with a store a mirror of it kept
// fresh in the background (in graphDir when given, else a temporary directory the returned
// cleanup removes).
func storeServe(ctx context.Context, e *env, log *slog.Logger, flag, graphDir string, graphSet bool, poll time.Duration) (string, func(), error) {
	pg, err := openPG(storeURL(e, flag, nil))
	if err != nil || pg == nil {
		return graphDir, func() {}, err
	}
	dir := ""
	if graphSet {
		dir = graphDir
	}
	m, cleanup, err := openMirror(log, pg, dir, poll)
	if err != nil {
		return "", nil, err
	}
	if err := m.sync(ctx); err != nil {
		log.Warn("store unreadable; answering 503 until it is", "store", pg.Where(), "error", err)
	}
	go m.run(ctx)
	return m.dir, cleanup, nil
}

// storeSnapshots loads two snapshots of the organisation's graph from the store, each named as
// in the file history: a scan id, an unambiguous prefix of one, "latest" or "previous".
func storeSnapshots(ctx context.Context, dsn, oldRef, newRef string) (old, new *graph.Graph, err error) {
	pg, err := openPG(dsn)
	if err != nil {
		return nil, nil, err
	}
	snaps, err := pg.Snapshots(ctx)
	if err != nil {
		return nil, nil, err
	}
	resolve := func(ref string) (int64, error) {
		switch {
		case len(snaps) == 0:
			return 0, errors.New("the store holds no snapshot yet: publish (`discover scan --store`) first")
		case ref == "latest":
			return snaps[len(snaps)-1].Seq, nil
		case ref == "previous":
			if len(snaps) < 2 {
				return 0, errors.New("the store holds a single snapshot: nothing to compare it with")
			}
			return snaps[len(snaps)-2].Seq, nil
		}
		var found []store.SnapshotInfo
		for _, s := range snaps {
			if strings.HasPrefix(s.ID, ref) {
				found = append(found, s)
			}
		}
		switch {
		case len(found) == 0:
			return 0, usageErr("no snapshot %q in the store (the latest is %s)", ref, snaps[len(snaps)-1].ID)
		case len(found) > 1 && found[len(found)-1].ID != ref:
			return 0, usageErr("%q names %d snapshots in the store: give more of the id", ref, len(found))
		}
		return found[len(found)-1].Seq, nil // the newest of one id (a publish and its inference share it)
	}
	for _, x := range []struct {
		ref string
		g   **graph.Graph
	}{{oldRef, &old}, {newRef, &new}} {
		seq, err := resolve(x.ref)
		if err != nil {
			return nil, nil, err
		}
		if *x.g, err = pg.Snapshot(ctx, seq); err != nil {
			return nil, nil, err
		}
	}
	return old, new, nil
}
