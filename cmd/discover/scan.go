package main

import (
	"context"
	"errors"
	"fmt"

	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/config"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/enrich/llm"
	"github.com/infragraph/infragraph/enrich/llm/llmfake"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/store"
)

// defaultMaxBytes is INFRA.md's default size budget: about 8,000 tokens at 4 bytes a token, an
// eighth of a 64k context, so an agent reads the whole map and keeps room for its task. What the
// budget cuts stays one question away (`discover query`, the MCP tools); --max-bytes 0 keeps all.
const defaultMaxBytes = 32000

type scanOpts struct {
	configPath string
	out        string
	only, skip []string
	timeout    time.Duration
	progress   bool
	keep       int
	every      time.Duration
	jitter     time.Duration
	jitterSet  bool // --jitter given; otherwise a tenth of --every
	llm        string
	llmTimeout time.Duration
	maxBytes   int
	notify     string // webhook URL (a secret)
	store      string // PostgreSQL store URL (a secret)
	demo       demoOpts
}

// newScanCmd builds `discover scan`. runF replaces the command's work in tests that only check
// flag parsing.
func newScanCmd(e *env, g *globalOpts, runF func(*scanOpts) error) *cobra.Command {
	o := &scanOpts{}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan every configured provider and write the graph",
		Long: `Scan runs every configured collector concurrently, merges their findings into one graph,
infers the dependencies no API states, validates them, and writes graph.json, proposals.json and
the rendered documents into --out.

Providers are configured by their usual environment variables (VERCEL_TOKEN, DIGITALOCEAN_TOKEN,
SUPABASE_ACCESS_TOKEN, SUPABASE_DB_URL, ODOO_URL/ODOO_DB/ODOO_USERNAME/ODOO_PASSWORD, DOCKER_HOST)
or by a config file: --config FILE, else $DISCOVER_CONFIG, else ./infragraph.yaml, else
$XDG_CONFIG_HOME/infragraph/config.yaml (the first log line names the one used). A provider
without credentials is skipped, not failed.

Each scan builds on the previous one in --out: what a collector that failed, was partial, timed out
or was skipped found last time is kept, marked stale, never deleted. A snapshot of every scan is
kept in --out/scans/<UTC time>/ (--keep), and CHANGES.md lists what changed since the previous scan.

With --every, scans repeat in the foreground (the first one at once, the next ones after the
interval plus a random jitter) until SIGINT or SIGTERM; a scan interrupted before it writes is
abandoned, one that is writing finishes. Only one process may scan into a directory at a time
(--out/.lock); another one exits with code 1 and says which process holds it.

--every stopped by a signal exits 0.

With --store URL (or $DISCOVER_STORE_URL, or store: in the config file), the scan is one shard of
an organisation: it publishes what its own collector instances found into the PostgreSQL store,
infers over every shard's graph there, and writes the whole organisation's graph into --out. A
store that fails leaves this shard's graph in --out and exits 3 (README, "One graph for an
organisation").

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.jitterSet = cmd.Flags().Changed("jitter")
			if runF != nil {
				return runF(o)
			}
			return runScan(cmd, e, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.configPath, "config", "c", "", "configuration file (YAML; default $DISCOVER_CONFIG, ./infragraph.yaml, $XDG_CONFIG_HOME/infragraph/config.yaml)")
	f.StringVar(&o.out, "out", defaultOut, "output directory")
	f.StringSliceVar(&o.only, "only", nil, "scan only these providers (comma-separated)")
	f.StringSliceVar(&o.skip, "skip", nil, "do not scan these providers")
	f.DurationVar(&o.timeout, "timeout", 0, "time limit per collector (default 5m, or timeout: in the config file)")
	f.BoolVar(&o.progress, "progress", false, "print progress even when stderr is not a terminal")
	f.IntVar(&o.keep, "keep", history.DefaultKeep, "snapshots of earlier scans to keep in --out/scans (0: all)")
	f.DurationVar(&o.every, "every", 0, "scan repeatedly at this interval (e.g. 6h) until interrupted")
	f.DurationVar(&o.jitter, "jitter", 0, "with --every, the most random delay added to each interval (default a tenth of --every)")
	f.StringVar(&o.llm, "llm", "", "LLM enrichment: off, auto (when credentials exist; the default), on, or demo (with --demo: a scripted demo gateway on 127.0.0.1, no credentials; its texts are marked demo data)")
	f.DurationVar(&o.llmTimeout, "llm-timeout", 0, "time budget of the whole LLM stage (default 5m, or llm.timeout: in the config file)")
	f.StringVar(&o.notify, "notify", "", "post a summary (Slack-compatible JSON) to this webhook URL when the graph changed or something failed; a secret, never logged (or $DISCOVER_NOTIFY_URL)")
	f.IntVar(&o.maxBytes, "max-bytes", defaultMaxBytes, "size budget of INFRA.md in bytes: the per-kind table first, then detail from the least critical systems (0: no limit)")
	storeFlag(f, &o.store)
	o.demo.flags(f)
	return cmd
}

func runScan(cmd *cobra.Command, e *env, g *globalOpts, o *scanOpts) error {
	log, err := g.logger(e.Stderr)
	if err != nil {
		return err
	}
	if o.demo.drift && !o.demo.on {
		return usageErr("--demo-drift changes the demo estate: it goes with --demo")
	}
	if o.llm == llmDemo {
		if !o.demo.on {
			return usageErr("--llm demo answers from a scripted demo gateway: it goes with --demo, never with a scan of your infrastructure")
		}
		de, stop, err := startDemoLLM(e)
		if err != nil {
			return err
		}
		defer stop()
		e, o.llm = de, "on"
		log.Info("DEMO LLM: a scripted gateway on 127.0.0.1 answers the LLM's requests (model " + llmfake.DemoModel + "); what it writes is demo data, not a model's")
	}
	path, from := o.configPath, "--config"
	if !o.demo.on { // the demo reads its own estate: only an explicit --config applies to it
		path, from = configFile(e, o.configPath)
	}
	if path != "" {
		log.Info("scan starting", "config", path, "found_by", from)
	} else {
		log.Info("scan starting", "config", "none: providers from their environment variables")
	}
	flush, err := startTelemetry(cmd.Context(), e, g, log)
	if err != nil {
		return err
	}
	defer flush()
	cfg, err := config.Load(path, e.providers(), e.Getenv, e.Exists)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	switch {
	case o.timeout < 0:
		return usageErr("--timeout must not be negative")
	case o.llmTimeout < 0:
		return usageErr("--llm-timeout must not be negative")
	case o.keep < 0:
		return usageErr("--keep must not be negative")
	case o.every < 0 || o.jitter < 0:
		return usageErr("--every and --jitter must not be negative")
	case o.jitterSet && o.every == 0:
		return usageErr("--jitter needs --every")
	case o.llm != "" && o.llm != "off" && o.llm != "auto" && o.llm != "on":
		// Checked here as well as in llmEnricher: the demo turns every mode but "on" into "off".
		return usageErr("--llm must be off, auto or on, not %q", o.llm)
	}
	if o.maxBytes < 0 {
		return usageErr("--max-bytes must not be negative")
	}
	build := (*config.File).Instances
	if e.Instances != nil {
		build = e.Instances
	}
	source := build(cfg)
	if o.demo.on {
		d, err := startDemo(cmd.Context(), e, log, o, history.Store{Dir: o.out})
		if err != nil {
			return err
		}
		defer closeDemo(log, d)
		source = d.Instances
	}
	insts, err := e.providers().Filter(source, o.only, o.skip)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	if o.llmTimeout > 0 {
		cfg.LLM.Timeout = o.llmTimeout
	}
	timeout := cfg.Timeout
	if o.timeout > 0 {
		timeout = o.timeout
	}
	opts := scan.Options{
		Instances: insts,
		Collect:   collectors.Options{Timeout: timeout},
		Enrichers: []enrich.Enricher{enrich.Rules{}},
		Threshold: cfg.Enrich.Threshold,
		Alerts:    cfg.Alerts,
		Demo:      o.demo.on,
		Generator: "infragraph " + versionString(),
		Now:       e.Now,
	}
	if o.progress || e.IsTerminal {
		opts.Collect.Progress = progressLogger(log)
	}
	lock, err := output.Acquire(o.out)
	if err != nil {
		return err // a *output.LockedError says who holds it: exit 1
	}
	defer lock.Release()
	files := scan.DefaultFiles(scan.RenderOptions{MaxBytes: o.maxBytes})
	dirs := append([]string{o.out}, history.Store{Dir: o.out}.Dirs()...)
	for _, f := range files {
		if f.Dir != "" {
			dirs = append(dirs, filepath.Join(o.out, f.Dir))
		}
	}
	if n, err := output.RemoveTemps(o.out, dirs...); err != nil {
		log.Warn("leftover temp files not removed", "error", err)
	} else if n > 0 {
		log.Info("removed temp files an interrupted scan left behind", "files", n)
	}
	if n, err := (history.Store{Dir: o.out}).RemoveEmpty(); err != nil {
		log.Warn("empty snapshot directories not removed", "error", err)
	} else if n > 0 {
		log.Info("removed empty snapshot directories an interrupted scan left behind", "dirs", n)
	}
	// The installation key (beside the outputs, never in them) keys the LLM redactor's
	// placeholders; it is made on the first scan, so that the first scan with the LLM finds it.
	ctx := cmd.Context()
	if _, err := evidence.LoadKey(o.out); err != nil {
		log.Warn("no installation key", "error", err)
	}
	// Fail on a bad --llm before the first scan; each scan then gets a fresh enricher (its budget
	// and usage are per scan).
	mode, err := llmPreflight(e, cfg, o.llm)
	if err != nil {
		return err
	}
	notify, err := newNotifier(e, log, o.notify)
	if err != nil {
		return err
	}
	pg, err := openPG(storeURL(e, o.store, cfg))
	if err != nil {
		return err
	}
	sc := &scanner{opts: opts, store: history.Store{Dir: o.out}, keep: o.keep, log: log,
		render: scan.RenderOptions{MaxBytes: o.maxBytes}, pg: pg, keepLLM: cfg.LLM.Retention,
		ai: func() (*llm.Enricher, string, error) { return llmEnricher(e, log, cfg, o.llm, o.out) }}
	once := func(ctx context.Context) (*scan.Result, []string, error) {
		res, paths, err := sc.once(ctx)
		if err == nil && notify != nil {
			notify.after(ctx, res, scanExit(res, mode == "on", paths[0]))
		}
		return res, paths, err
	}
	if o.every > 0 {
		jitter := o.every / 10
		if o.jitterSet {
			jitter = o.jitter
		}
		return runEvery(ctx, log, o.every, jitter, once)
	}
	res, paths, err := once(ctx)
	var sf *storeFailedError
	if errors.As(err, &sf) && res != nil {
		summarize(e, log, res, paths)
		return &codeError{code: exitPartial, err: fmt.Errorf("graph written to %s, but the store failed: %w", o.out, sf.err)}
	}
	if err != nil {
		return err
	}
	summarize(e, log, res, paths)
	return scanExit(res, mode == "on", paths[0])
}

// scanExit turns a written scan into its exit code: 4 when every collector that ran failed
// (nothing current was collected), 3 when some failed or the LLM stage failed under --llm on.
func scanExit(res *scan.Result, llmOn bool, where string) error {
	ran, failed := 0, []string{}
	for _, c := range res.Graph.Collectors {
		switch c.Status {
		case graph.StatusFailed:
			failed = append(failed, c.Key())
			ran++
		case graph.StatusOK, graph.StatusPartial:
			ran++
		}
	}
	switch {
	case ran > 0 && len(failed) == ran:
		return &codeError{code: exitNothing, err: fmt.Errorf("nothing collected: every configured collector failed (%s); the previous graph is kept, marked stale (see %s)", strings.Join(failed, ", "), where)}
	case len(failed) > 0:
		return &codeError{code: exitPartial, err: fmt.Errorf("graph written, but some collectors failed: %s (see %s)", strings.Join(failed, ", "), where)}
	case llmOn && llmFailed(res.Graph) != "":
		return &codeError{code: exitPartial, err: fmt.Errorf("graph written, but the LLM stage failed under --llm on: %s (see %s)", llmFailed(res.Graph), where)}
	}
	return nil
}

// errInterrupted is a scan abandoned because its context ended before it wrote anything.
var errInterrupted = errors.New("scan interrupted before writing; the output directory is unchanged")

// scanner runs one scan on top of the directory's history and writes it.
type scanner struct {
	opts   scan.Options
	store  history.Store
	keep   int
	log    *slog.Logger
	files  []scan.File // the documents to render (nil: scan.DefaultFiles(render))
	render scan.RenderOptions
	ai     func() (*llm.Enricher, string, error) // the LLM enricher for one scan (nil: none)
	pg     *store.Store                          // the organisation's store (nil: none; see onceStore)
	// keepLLM is how long the LLM's audit records and cache entries are kept (0: the default).
	keepLLM time.Duration
}

// once scans and writes: the snapshot first, then the top-level files, each atomically. A scan
// whose context ended (SIGINT, SIGTERM) is abandoned before the first write, since its collectors
// were cancelled; once writing has begun it completes.
func (s *scanner) once(ctx context.Context) (*scan.Result, []string, error) {
	if s.pg != nil {
		return s.onceStore(ctx)
	}
	prev, skipped, err := s.store.Previous()
	for _, err := range skipped {
		s.log.Warn("earlier scan unreadable, using an older one", "error", err)
	}
	if err != nil {
		return nil, nil, err
	}
	opts := s.opts
	if prev != nil && prev.Scan.Demo != opts.Demo {
		// a demo's nodes must never be carried into a real scan's graph, nor the reverse
		s.log.Warn("the previous scan in this directory was of another kind (demo or real); starting a fresh history", "dir", s.store.Dir)
		prev = nil
	}
	opts.Previous = prev
	ai, aiStatus, enrichers, err := s.enrichers()
	if err != nil {
		return nil, nil, err
	}
	opts.Enrichers = enrichers
	res, err := scan.Run(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	if ctx.Err() != nil {
		return nil, nil, errInterrupted
	}
	llmOutcome(s.log, res, aiStatus)
	warnDropped(s.log, prev, res.Graph)
	// What the collectors emitted is in the graph now; only the store (onceStore) reads it
	// again. Let it go before rendering: a 100k-node scan held it through every renderer.
	for i := range res.Results {
		res.Results[i].Nodes, res.Results[i].Edges = nil, nil
	}
	paths, err := s.write(ctx, res, ai)
	if err != nil {
		return nil, nil, err
	}
	return res, paths, nil
}

// write renders res into the output directory. Every top-level file is rendered before anything
// is replaced, so that a failure (a full disk, a renderer error) leaves the directory as the
// previous scan left it, not a mix.
func (s *scanner) write(ctx context.Context, res *scan.Result, ai *llm.Enricher) ([]string, error) {
	triageAlerts(ctx, s.log, ai, res.Graph) // before narratives: alerts matter more for the budget
	files := s.files
	if files == nil {
		ro := s.render
		ro.Narratives = narratives(ctx, s.log, ai, res.Graph)
		files = scan.DefaultFiles(ro)
	}
	staged, err := scan.Stage(s.store.Dir, res, files)
	if err != nil {
		return nil, err
	}
	defer staged.Discard()
	if write, ok, err := s.auditLog(ai, res); err != nil {
		return nil, err
	} else if ok {
		if err := staged.Add(output.Layout{Dir: s.store.Dir}.LLMAudit(), 0o600, write); err != nil {
			return nil, err
		}
	}
	snap, err := s.store.Save(res.Graph, s.keep)
	if err != nil {
		return nil, err
	}
	paths, err := staged.Commit()
	if err != nil {
		return nil, err
	}
	return append(paths, snap), nil
}

// enrichers returns the scan's enrichers: the rules, then the LLM when it runs this scan (after
// the rules: it asks only about what they left undecided), with the LLM's status.
func (s *scanner) enrichers() (ai *llm.Enricher, status string, all []enrich.Enricher, err error) {
	now := time.Now
	if s.opts.Now != nil {
		now = s.opts.Now
	}
	s.pruneLLMCache(now().UTC()) // before the LLM reads its cache: expired entries are not replayed
	status = "off"
	if s.ai != nil {
		if ai, status, err = s.ai(); err != nil {
			return nil, "", nil, err
		}
	}
	all = s.opts.Enrichers
	if ai != nil {
		all = append(append([]enrich.Enricher(nil), all...), ai)
	}
	return ai, status, all, nil
}

// warnDropped names each collector instance of the previous scan that this scan did not have at
// all (removed from the configuration, renamed, or a config file not passed): unlike one that
// failed or was skipped, what it found is dropped, not carried.
func warnDropped(log *slog.Logger, prev, cur *graph.Graph) {
	if prev == nil {
		return
	}
	now := map[string]bool{}
	for _, c := range cur.Collectors {
		now[c.Key()] = true
	}
	owned := map[string]int{}
	for _, n := range prev.Nodes() {
		owned[n.Source]++
	}
	for _, c := range prev.Collectors {
		if k := c.Key(); !now[k] && owned[k] > 0 {
			log.Warn("collector instance no longer configured: what it found is dropped, not carried", "collector", k, "nodes", owned[k])
		}
	}
}

// scanAttrs describe a finished scan in one log line.
func scanAttrs(res *scan.Result) []any {
	n, ed := res.Graph.Len()
	stale := 0
	var failed []string
	for _, c := range res.Graph.Collectors {
		stale += c.Stale
		if c.Status == graph.StatusFailed {
			failed = append(failed, c.Key())
		}
	}
	args := []any{"id", res.Graph.Scan.ID, "nodes", n, "edges", ed, "stale", stale}
	if len(failed) > 0 {
		args = append(args, "failed", strings.Join(failed, ","))
	}
	if c := res.Graph.Scan.Changes; c != nil {
		args = append(args, "changes", fmt.Sprintf("+%d -%d ~%d !%d", c.NodesAdded, c.NodesRemoved, c.NodesChanged, c.NodesStale))
	}
	return args
}

func progressLogger(log *slog.Logger) func(collectors.Event) {
	return func(ev collectors.Event) {
		key := ev.Instance.Key()
		if ev.Expected > 0 {
			log.Info("collector expects to take", "collector", key, "expected", ev.Expected.Round(time.Second), "timeout", ev.Timeout, "plan", ev.Plan)
			return
		}
		if !ev.Done {
			log.Info("collector started", "collector", key)
			return
		}
		st := ev.Status
		args := []any{"collector", key, "status", string(st.Status)}
		switch st.Status {
		case graph.StatusSkipped, graph.StatusExcluded:
			args = append(args, "reason", st.Reason)
		case graph.StatusFailed:
			args = append(args, "error", st.Reason, "duration", time.Duration(st.DurationMS)*time.Millisecond)
		default:
			args = append(args, "nodes", st.Nodes, "edges", st.Edges, "warnings", len(st.Warnings), "duration", time.Duration(st.DurationMS)*time.Millisecond)
		}
		log.Info("collector finished", args...)
	}
}

// wroteAttrs names the files a scan wrote for its log line: each document, and the diagrams of
// the systems by count and directory (a large estate writes a thousand of them).
func wroteAttrs(paths []string) []any {
	var docs []string
	diagrams, dir := 0, ""
	for _, p := range paths {
		if d := filepath.Dir(p); filepath.Base(d) == output.DiagramsDir {
			diagrams, dir = diagrams+1, d
			continue
		}
		docs = append(docs, p)
	}
	attrs := []any{"wrote", strings.Join(docs, ",")}
	if diagrams > 0 {
		attrs = append(attrs, "diagrams", diagrams, "diagrams_dir", dir)
	}
	return attrs
}

// summarize prints what the scan did, and how to configure providers when none ran.
func summarize(e *env, log *slog.Logger, res *scan.Result, paths []string) {
	ran, excluded := 0, 0
	for _, c := range res.Graph.Collectors {
		switch c.Status {
		case graph.StatusExcluded:
			excluded++
		case graph.StatusSkipped:
		case graph.StatusFailed:
			ran++
			log.Warn("collector failed", "collector", c.Key(), "error", c.Reason)
		default:
			ran++
			for _, w := range c.Warnings {
				log.Warn("collector warning", "collector", c.Key(), "warning", w)
			}
		}
	}
	log.Info("scan finished", append(scanAttrs(res), wroteAttrs(paths)...)...)
	if ran == 0 && excluded > 0 {
		fmt.Fprintln(e.Stderr, "\nNo collector ran: --only/--skip left out every configured provider (what the excluded ones found before is kept as it was).")
		return
	}
	if ran == 0 {
		what := "so the graph is empty"
		if n, _ := res.Graph.Len(); n > 0 {
			what = "so the graph holds only what earlier scans found, marked stale"
		}
		fmt.Fprintf(e.Stderr, "\nNo provider is configured, %s. Configure one with its usual environment variables:\n", what)
		for _, p := range e.providers().Sorted() {
			fmt.Fprintf(e.Stderr, "  %-13s %s\n", p.Name, p.Credentials)
		}
		fmt.Fprintln(e.Stderr, "or write a config file: ./infragraph.yaml, $XDG_CONFIG_HOME/infragraph/config.yaml, $DISCOVER_CONFIG or --config FILE (see README.md, \"Configuration\"). `discover doctor` checks it without scanning.")
	}
}
