package collectors

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infragraph/infragraph/graph"
)

type fakeCollector func(ctx context.Context, emit graph.Emitter) error

func (f fakeCollector) Collect(ctx context.Context, emit graph.Emitter) error { return f(ctx, emit) }

func node(p, k, id string) graph.Node {
	return graph.Node{ID: graph.ID(p, k, id), Provider: p, Kind: k, Name: id}
}

func good(p string) fakeCollector {
	return func(ctx context.Context, emit graph.Emitter) error {
		emit.Node(node(p, "team", "t1"))
		emit.Node(node(p, "project", "p1"))
		emit.Edge(graph.Observe(graph.ID(p, "team", "t1"), graph.ID(p, "project", "p1"), "contains"))
		return nil
	}
}

func byKey(rs []Result) map[string]Result {
	m := map[string]Result{}
	for _, r := range rs {
		m[r.Status.Key()] = r
	}
	return m
}

func TestRunIsolatesCollectors(t *testing.T) {
	var slowSawCancel atomic.Bool
	insts := []Instance{
		{Provider: "vercel", Name: "ok", Collector: good("vercel")},
		{Provider: "odoo", Name: "slow", Timeout: 50 * time.Millisecond, Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
			emit.Node(node("odoo", "instance", "half"))
			<-ctx.Done()
			slowSawCancel.Store(true)
			return ctx.Err()
		})},
		{Provider: "docker", Name: "panics", Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
			var m map[string]int
			m["boom"] = 1 // nil map write
			return nil
		})},
		{Provider: "supabase", Name: "fails", Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
			return errors.New("list projects: 401 Unauthorized")
		})},
		{Provider: "digitalocean", Name: "partial", Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
			emit.Node(node("digitalocean", "droplet", "1"))
			emit.Warn(errors.New("list volumes: 500"))
			return nil
		})},
		{Provider: "vercel", Name: "nocreds", Skip: "no credentials: set VERCEL_TOKEN"},
	}
	var events atomic.Int32
	rs := Run(context.Background(), insts, Options{Progress: func(Event) { events.Add(1) }})
	if len(rs) != len(insts) {
		t.Fatalf("got %d results", len(rs))
	}
	m := byKey(rs)
	want := map[string]graph.Status{
		"vercel/ok": graph.StatusOK, "odoo/slow": graph.StatusFailed, "docker/panics": graph.StatusFailed,
		"supabase/fails": graph.StatusFailed, "digitalocean/partial": graph.StatusPartial, "vercel/nocreds": graph.StatusSkipped,
	}
	for k, s := range want {
		if m[k].Status.Status != s {
			t.Errorf("%s: status %s, want %s (reason %q)", k, m[k].Status.Status, s, m[k].Status.Reason)
		}
	}
	if !strings.Contains(m["odoo/slow"].Status.Reason, "timed out") {
		t.Errorf("slow reason = %q", m["odoo/slow"].Status.Reason)
	}
	if !slowSawCancel.Load() {
		t.Error("slow collector's context was not cancelled")
	}
	if !strings.Contains(m["docker/panics"].Status.Reason, "panicked") {
		t.Errorf("panic reason = %q", m["docker/panics"].Status.Reason)
	}
	if r := m["vercel/ok"]; len(r.Nodes) != 2 || len(r.Edges) != 1 || r.Status.Nodes != 2 {
		t.Errorf("ok collector lost results: %+v", r)
	}
	if r := m["digitalocean/partial"]; len(r.Nodes) != 1 || len(r.Status.Warnings) != 1 {
		t.Errorf("partial collector: %+v", r)
	}
	if m["vercel/nocreds"].Status.Reason == "" {
		t.Error("skipped without reason")
	}
	// start+finish for 5 running, finish only for the skipped one
	if events.Load() != 11 {
		t.Errorf("progress events = %d, want 11", events.Load())
	}
	for i := 1; i < len(rs); i++ {
		if rs[i-1].Status.Key() > rs[i].Status.Key() {
			t.Error("results not sorted")
		}
	}
}

func TestRunAbandonsCollectorIgnoringContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	inst := Instance{Provider: "docker", Name: "stuck", Timeout: 20 * time.Millisecond, Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
		<-release // ignores ctx
		emit.Node(node("docker", "engine", "late"))
		return nil
	})}
	rs := Run(context.Background(), []Instance{inst, {Provider: "vercel", Name: "ok", Collector: good("vercel")}}, Options{})
	m := byKey(rs)
	if m["docker/stuck"].Status.Status != graph.StatusFailed || m["vercel/ok"].Status.Status != graph.StatusOK {
		t.Fatalf("statuses: %+v", rs)
	}
}

func TestRecorder(t *testing.T) {
	r := &Recorder{Provider: "vercel"}
	r.Node(graph.Node{ID: "bad", Provider: "vercel", Kind: "x"})
	r.Node(node("docker", "engine", "e"))         // foreign provider
	r.Node(node("git", "repo", "github.com/a/b")) // shared provider is fine
	r.Node(node("vercel", "team", "t"))
	r.Close()
	r.Node(node("vercel", "team", "late"))
	n, _, w := r.Snapshot()
	if len(n) != 2 || len(w) != 2 || r.Late() != 1 {
		t.Fatalf("nodes %v warnings %v late %d", n, w, r.Late())
	}
}
