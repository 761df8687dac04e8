// Package collectors declares the Collector interface and runs collectors concurrently, each
// isolated from the others: its own timeout, panic recovery and status. One collector's failure
// never cancels another (a plain errgroup with SetLimit, not WithContext).
package collectors

import (
	"context"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/infragraph/infragraph/graph"
)

// Collector discovers one provider instance (an account, a team, an engine). It emits what it
// finds through emit, calls emit.Warn for partial failures (a resource family that failed, a
// plan-gated endpoint) and returns an error only when the instance as a whole failed.
type Collector interface {
	Collect(ctx context.Context, emit graph.Emitter) error
}

// Prober is a collector that can check its settings with one cheap authenticated call (the
// account, the user, a ping), for `discover doctor`: nil when the call works, else why not.
type Prober interface {
	Probe(ctx context.Context) error
}

// Instance is one configured collector instance.
type Instance struct {
	Provider  string
	Name      string // unique per provider: "default", a team slug, an engine name
	Collector Collector
	// Skip, when set, is why the instance does not run (no credentials, excluded by --only).
	Skip string
	// Excluded marks an instance left out on purpose (--only, --skip): its status is excluded,
	// not skipped, and history keeps what it found before as it was.
	Excluded bool
	// Timeout overrides Options.Timeout for this instance.
	Timeout time.Duration
	// Origin says where the instance's settings came from, without their values ("token from
	// $DO_STAGING_TOKEN, infragraph.yaml:14; api_url at infragraph.yaml:15"): a failure's reason
	// ends with it, so the message points at what to change.
	Origin string
}

// Key is "provider/name".
func (i Instance) Key() string { return i.Provider + "/" + i.Name }

// Result is what one instance produced.
type Result struct {
	Status graph.CollectorStatus
	Nodes  []graph.Node
	Edges  []graph.Edge
}

// Event reports progress: a collector started (Done false) or finished (Done true, Status set),
// or (Expected set) said how long it expects to take (see Expect).
type Event struct {
	Instance Instance
	Done     bool
	Status   graph.CollectorStatus
	// Expected, Plan and Timeout are set by Expect: the collector's estimate, what it is based
	// on, and the timeout now in force.
	Expected time.Duration
	Plan     string
	Timeout  time.Duration
}

// Options tune Run.
type Options struct {
	// Timeout bounds each collector (default 5 minutes).
	Timeout time.Duration
	// Parallel bounds how many collectors run at once (default: all).
	Parallel int
	// Progress, if set, is called as collectors start and finish (from their goroutines).
	Progress func(Event)
	// Now is the clock (tests fix it).
	Now func() time.Time
}

// tracerName is infragraph's instrumentation scope (telemetry.TracerName; not imported to keep
// this package's dependencies small).
const tracerName = "github.com/infragraph/infragraph"

// DefaultTimeout bounds a collector when neither the instance nor Options set a timeout.
const DefaultTimeout = 5 * time.Minute

// defaultTimeout is DefaultTimeout (tests shorten it).
var defaultTimeout = DefaultTimeout

// Run runs every instance and returns one result per instance, sorted by provider/name. It never
// fails as a whole: failures are statuses.
func Run(ctx context.Context, instances []Instance, opts Options) []Result {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	results := make([]Result, len(instances))
	var g errgroup.Group
	if opts.Parallel > 0 {
		g.SetLimit(opts.Parallel)
	}
	for i, inst := range instances {
		g.Go(func() error {
			results[i] = runOne(ctx, inst, opts)
			return nil
		})
	}
	_ = g.Wait()
	sort.SliceStable(results, func(i, j int) bool { return results[i].Status.Key() < results[j].Status.Key() })
	return results
}

func runOne(ctx context.Context, inst Instance, opts Options) Result {
	st := graph.CollectorStatus{Provider: inst.Provider, Instance: inst.Name}
	if inst.Skip != "" || inst.Collector == nil || inst.Excluded {
		st.Status, st.Reason = graph.StatusSkipped, inst.Skip
		if inst.Excluded {
			st.Status = graph.StatusExcluded
		}
		if st.Reason == "" {
			st.Reason = "not configured"
		}
		if opts.Progress != nil {
			opts.Progress(Event{Instance: inst, Done: true, Status: st})
		}
		return Result{Status: st}
	}
	timeout := inst.Timeout
	if timeout <= 0 {
		timeout = opts.Timeout
	}
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	if opts.Progress != nil {
		opts.Progress(Event{Instance: inst})
	}
	start := opts.Now()
	st.StartedAt = start.UTC().Format(time.RFC3339)
	rec := &Recorder{Provider: inst.Provider}
	ctx, span := otel.Tracer(tracerName).Start(ctx, "collect "+inst.Provider, trace.WithAttributes(
		attribute.String("collector.provider", inst.Provider), attribute.String("collector.instance", inst.Name)))
	defer span.End()
	cctx, b := withBudget(ctx, timeout, inst.Timeout > 0 || opts.Timeout > 0, func(expected time.Duration, plan string, t time.Duration) {
		if opts.Progress != nil {
			opts.Progress(Event{Instance: inst, Expected: expected, Plan: plan, Timeout: t})
		}
	})
	err := collectSafely(cctx, inst.Collector, rec)
	timedOut, timeout := b.end()
	nodes, edges, warns, late := rec.close()
	st.DurationMS = opts.Now().Sub(start).Milliseconds()
	if late > 0 {
		warns = append(warns, fmt.Sprintf("collector emitted %d items after returning; they were dropped", late))
	}
	st.Warnings = warns
	where := ""
	if inst.Origin != "" {
		where = " (" + inst.Origin + ")"
	}
	switch {
	case err != nil && timedOut:
		st.Status, st.Reason = graph.StatusFailed, fmt.Sprintf("timed out after %s: %v%s", timeout, err, where)
	case err != nil && ctx.Err() != nil:
		st.Status, st.Reason = graph.StatusFailed, "scan cancelled: "+err.Error()
	case err != nil:
		st.Status, st.Reason = graph.StatusFailed, err.Error()+where
	case len(warns) > 0:
		st.Status = graph.StatusPartial
	default:
		st.Status = graph.StatusOK
	}
	st.Nodes, st.Edges = len(nodes), len(edges)
	span.SetAttributes(attribute.String("collector.status", string(st.Status)), attribute.Int("collector.nodes", st.Nodes),
		attribute.Int("collector.edges", st.Edges), attribute.Int("collector.warnings", len(st.Warnings)))
	if st.Status == graph.StatusFailed {
		span.SetStatus(codes.Error, st.Reason)
	}
	if opts.Progress != nil {
		opts.Progress(Event{Instance: inst, Done: true, Status: st})
	}
	return Result{Status: st, Nodes: nodes, Edges: edges}
}

// collectSafely turns a panic into an error and makes sure a collector that ignores its context
// still returns once the context is done: its goroutine is abandoned and its late emits dropped.
func collectSafely(ctx context.Context, c Collector, rec *Recorder) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				stack := strings.SplitN(string(debug.Stack()), "\n", 12)
				done <- fmt.Errorf("collector panicked: %v (%s)", r, strings.TrimSpace(strings.Join(stack[len(stack)-3:len(stack)-1], " ")))
			}
		}()
		done <- c.Collect(ctx, rec)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done: // finished at the same moment
			if err == nil {
				return nil
			}
			return err
		case <-time.After(2 * time.Second): // grace for collectors that do honour ctx
			return fmt.Errorf("collector did not return: %w", ctx.Err())
		}
	}
}

// Recorder is a graph.Emitter that keeps what a collector emits. It is safe for concurrent use
// and refuses emits after it is closed. Tests use it directly to run a collector.
type Recorder struct {
	Provider string // the collector's provider; nodes of other providers must be shared kinds

	mu     sync.Mutex
	closed bool
	late   int
	nodes  []graph.Node
	edges  []graph.Edge
	warns  []string
}

// sharedProviders may be emitted by any collector: a git repo several providers build from, a host
// nobody discovered.
var sharedProviders = map[string]bool{"git": true, "external": true}

// Node records a node; invalid ids become warnings.
func (r *Recorder) Node(n graph.Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.late++
		return
	}
	if err := n.Validate(); err != nil {
		r.warns = append(r.warns, err.Error())
		return
	}
	if r.Provider != "" && n.Provider != r.Provider && !sharedProviders[n.Provider] {
		r.warns = append(r.warns, fmt.Sprintf("node %s: provider %s may not emit %s nodes", n.ID, r.Provider, n.Provider))
		return
	}
	n.Normalize()
	r.nodes = append(r.nodes, n)
}

// Edge records an edge.
func (r *Recorder) Edge(e graph.Edge) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.late++
		return
	}
	if e.Origin == "" {
		e.Origin, e.Confidence = graph.Observed, 1
	}
	r.edges = append(r.edges, e)
}

// Warn records a partial failure.
func (r *Recorder) Warn(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.late++
		return
	}
	r.warns = append(r.warns, err.Error())
}

// Snapshot returns what was recorded so far (sorted).
func (r *Recorder) Snapshot() (nodes []graph.Node, edges []graph.Edge, warnings []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	nodes = append([]graph.Node(nil), r.nodes...)
	edges = append([]graph.Edge(nil), r.edges...)
	warnings = append([]string(nil), r.warns...)
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	graph.SortEdges(edges)
	sort.Strings(warnings)
	return nodes, edges, warnings
}

// Late returns how many emits arrived after close.
func (r *Recorder) Late() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.late
}

func (r *Recorder) close() ([]graph.Node, []graph.Edge, []string, int) {
	nodes, edges, warns := r.Snapshot()
	r.mu.Lock()
	r.closed = true
	late := r.late
	r.mu.Unlock()
	return nodes, edges, warns, late
}

// Close stops the recorder accepting emits, as the runner does when Collect returns.
func (r *Recorder) Close() { r.close() }
