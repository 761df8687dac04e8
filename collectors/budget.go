package collectors

import (
	"context"
	"sync"
	"time"
)

// A collector's time budget is its timeout, unless it knows better: one that learns how much
// work it has (an organisation of 300 projects under a rate limit) calls Expect with its
// estimate, and when the user set no timeout the deadline moves so the work fits. A user never
// has to guess a timeout; one they did set is kept.

// Expect tells the runner how long the collector expects to take, and why (plan, for the log).
// When no timeout was configured, the deadline becomes at least twice the estimate plus a
// minute from the collector's start. It returns the timeout now in force; outside Run (a test
// calling Collect) it does nothing and returns 0.
func Expect(ctx context.Context, expected time.Duration, plan string) time.Duration {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		return 0
	}
	b.mu.Lock()
	if want := 2*expected + time.Minute; !b.explicit && !b.expired && want > b.timeout {
		b.timeout = want
		b.timer.Reset(time.Until(b.start.Add(want)))
	}
	t := b.timeout
	b.mu.Unlock()
	b.report(expected, plan, t)
	return t
}

type budgetKey struct{}

type budget struct {
	mu       sync.Mutex
	start    time.Time
	timeout  time.Duration
	explicit bool // set by the user: never moved
	expired  bool
	timer    *time.Timer
	cancel   context.CancelFunc
	report   func(expected time.Duration, plan string, timeout time.Duration)
}

// budgetCtx is cancelled when the budget runs out, and then says so like a deadline does
// (context.DeadlineExceeded), which context.WithTimeout cannot do for a deadline that moves.
type budgetCtx struct {
	context.Context
	b *budget
}

func (c *budgetCtx) Deadline() (time.Time, bool) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	d := c.b.start.Add(c.b.timeout)
	if p, ok := c.Context.Deadline(); ok && p.Before(d) {
		return p, true
	}
	return d, true
}

func (c *budgetCtx) Err() error {
	c.b.mu.Lock()
	expired := c.b.expired
	c.b.mu.Unlock()
	if expired {
		return context.DeadlineExceeded
	}
	return c.Context.Err()
}

func withBudget(ctx context.Context, timeout time.Duration, explicit bool, report func(time.Duration, string, time.Duration)) (context.Context, *budget) {
	inner, cancel := context.WithCancel(ctx)
	b := &budget{start: time.Now(), timeout: timeout, explicit: explicit, cancel: cancel, report: report}
	b.timer = time.AfterFunc(timeout, func() {
		b.mu.Lock()
		b.expired = true
		b.mu.Unlock()
		cancel()
	})
	return &budgetCtx{Context: context.WithValue(inner, budgetKey{}, b), b: b}, b
}

// end stops the clock: whether the budget ran out, and the timeout in force.
func (b *budget) end() (bool, time.Duration) {
	b.timer.Stop()
	b.cancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.expired, b.timeout
}
