// Package digitalocean collects a DigitalOcean account into the graph through godo: the
// account, projects and their resources, droplets, volumes, VPCs, firewalls, load balancers,
// reserved IPs, domains and records, managed databases (replicas, pools, trusted sources),
// Kubernetes clusters and node pools, App Platform apps and their components, the container
// registry, certificates, CDN endpoints and tags.
//
// Resource families are listed concurrently (a bounded errgroup without a shared context: one
// failing family never cancels another), every listing is paged to its end, and 429/5xx answers
// are retried with Retry-After honoured. A family that still fails is a warning (status
// partial); a rejected token fails the collector. Secrets the API returns (database passwords
// and URIs, SECRET app envs, registry credentials) are read in memory only and never kept.
package digitalocean

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"golang.org/x/sync/errgroup"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/retry"
)

// Collector collects one configured account.
type Collector struct {
	cfg Config

	// Knobs the package's tests turn; New sets production values.
	parallel int
	retries  int
	backoff  time.Duration
	maxWait  time.Duration
	// attemptTimeout bounds one request attempt, so a hung connection is retried, then reported.
	attemptTimeout time.Duration
	sleep          func(ctx context.Context, d time.Duration) error
	base           http.RoundTripper
	onRetried      func(status int, wait time.Duration)
}

// New returns a collector for cfg.
func New(cfg Config) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Collector{
		cfg: cfg,
		// DigitalOcean limits requests per minute (250) and hour (5,000), not concurrency: a
		// scan within the minute's budget gains from more in flight, and a larger one is paced
		// by ratelimit-reset and Retry-After (retryTransport) whatever the concurrency. 16 keeps
		// a 50 ms API within a few round trips of its longest chain (BENCHMARKS.md).
		parallel:       16,
		retries:        4,
		backoff:        500 * time.Millisecond,
		maxWait:        90 * time.Second,
		attemptTimeout: time.Minute,
		sleep:          retry.Sleep,
	}, nil
}

// errTokenRejected is Collect's error for a 401.
var errTokenRejected = errors.New("digitalocean: token rejected (401)") // the runner adds where the token came from

// family is one resource family: its name (for warnings) and how to fetch it into the estate.
// optional families answer 404 when the account does not use the product (no registry).
type family struct {
	name     string
	optional bool
	fetch    func(ctx context.Context, api *godo.Client, e *estate) error
}

// Collect lists every family and emits the graph.
func (c *Collector) Collect(ctx context.Context, emit graph.Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	api, err := c.newClient()
	if err != nil {
		return fmt.Errorf("digitalocean: %w", err)
	}
	e := &estate{}
	// The account call doubles as the token check. Nothing in the listings needs its answer, so
	// they are asked beside it rather than after it (a round trip less on every scan); a bad
	// token or a failing account read stops them at once, and the collector fails with the
	// account's error, as when the listings waited for it.
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	var acctErr error
	var acctDone sync.WaitGroup
	acctDone.Go(func() {
		acct, _, err := api.Account.Get(lctx)
		switch {
		case err == nil:
			e.account = acct
		case statusOf(err) == http.StatusUnauthorized:
			acctErr = errTokenRejected
		case statusOf(err) == http.StatusForbidden:
			emit.Warn(fmt.Errorf("account: %w (token lacks account:read; resources are still listed)", err))
		case ctx.Err() != nil:
			acctErr = ctx.Err()
		default:
			acctErr = fmt.Errorf("digitalocean: get account: %w", err)
		}
		if acctErr != nil {
			stop()
		}
	})

	// The top-level lists, and each one's per-parent sub-resources as soon as it is read (a
	// project's resources wait for the projects, not for 3,000 droplets).
	err = c.run(lctx, api, e, emit, topFamilies(), e.subFamiliesOf)
	acctDone.Wait()
	if acctErr != nil {
		return acctErr
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	mapEstate(e, c.cfg.Name, emit).b.Flush()
	return nil
}

// run fetches families through a bounded pool, and the families then names for each one
// (its sub-listings) through a second pool once it is read. A 401 anywhere fails the
// collector; other failures become warnings, except a 404 on an optional family.
func (c *Collector) run(ctx context.Context, api *godo.Client, e *estate, emit graph.Emitter, fams []family, then func(name string) []family) error {
	var g, sub errgroup.Group // sub's goroutines start none: no pool waits on itself
	g.SetLimit(c.parallel)
	sub.SetLimit(c.parallel)
	var mu sync.Mutex
	var rejected bool
	var start func(grp *errgroup.Group, fams []family, then func(string) []family)
	start = func(grp *errgroup.Group, fams []family, then func(string) []family) {
		for _, f := range fams {
			grp.Go(func() error {
				if ctx.Err() != nil {
					return nil
				}
				err := collectors.Families{Emit: emit, Rule: f.rule}.Check(ctx, f.name, f.fetch(ctx, api, e))
				mu.Lock()
				rejected = rejected || errors.Is(err, errTokenRejected)
				stop := rejected
				mu.Unlock()
				if then != nil && !stop {
					start(&sub, then(f.name), nil)
				}
				return nil
			})
		}
	}
	start(&g, fams, then)
	_ = g.Wait() // every sub.Go happened in g's goroutines
	_ = sub.Wait()
	if rejected {
		return errTokenRejected
	}
	return ctx.Err()
}

// rule is DigitalOcean's reading of a failed family (collectors.Families): a 401 fails the
// collector, a 404 on an optional family is a product the account does not use, anything else a
// warning with a hint.
func (f family) rule(name string, err error) (collectors.Verdict, error) {
	switch st := statusOf(err); {
	case st == http.StatusUnauthorized:
		return collectors.Fail, errTokenRejected
	case st == http.StatusNotFound && f.optional:
		return collectors.Absent, nil
	}
	return collectors.Warn, fmt.Errorf("%s: %w", name, explain(err))
}

// explain adds a hint to errors whose status says more than godo's message.
func explain(err error) error {
	switch statusOf(err) {
	case http.StatusTooManyRequests:
		return fmt.Errorf("%w (rate limited: retries exhausted or Retry-After too long)", err)
	case http.StatusForbidden:
		return fmt.Errorf("%w (the token lacks the read scope for this resource)", err)
	}
	return err
}
