package collectors

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infragraph/infragraph/graph"
)

// slowCollector expects to take d, says so, then takes it.
type slowCollector struct{ d time.Duration }

func (c slowCollector) Collect(ctx context.Context, emit graph.Emitter) error {
	Expect(ctx, c.d, "10 projects × 10 requests")
	select {
	case <-time.After(c.d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestExpectMovesTheDefaultDeadline: a collector that expects to take longer than the default
// timeout gets the time when the user set none, and the runner reports its estimate; a timeout
// the user set is kept (and the collector times out as before).
func TestExpectMovesTheDefaultDeadline(t *testing.T) {
	defer func(d time.Duration) { defaultTimeout = d }(defaultTimeout)
	defaultTimeout = 50 * time.Millisecond
	var mu sync.Mutex
	var expects []Event
	opts := Options{Progress: func(ev Event) {
		if ev.Expected > 0 {
			mu.Lock()
			expects = append(expects, ev)
			mu.Unlock()
		}
	}}
	inst := Instance{Provider: "supabase", Name: "org", Collector: slowCollector{d: 300 * time.Millisecond}}
	res := Run(context.Background(), []Instance{inst}, opts)
	if st := res[0].Status; st.Status != graph.StatusOK {
		t.Fatalf("with no timeout set: %s (%s), want ok: the deadline should have moved", st.Status, st.Reason)
	}
	if len(expects) != 1 || expects[0].Expected != 300*time.Millisecond || expects[0].Plan == "" || expects[0].Timeout < time.Minute {
		t.Errorf("progress events with an estimate: %+v", expects)
	}

	opts.Timeout = 50 * time.Millisecond
	res = Run(context.Background(), []Instance{inst}, opts)
	if st := res[0].Status; st.Status != graph.StatusFailed || !strings.Contains(st.Reason, "timed out after 50ms") || !strings.Contains(st.Reason, "deadline exceeded") {
		t.Errorf("with a timeout set: %s (%s), want failed, timed out after 50ms", st.Status, st.Reason)
	}
}
