package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/demo"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/store"
	"github.com/infragraph/infragraph/store/storetest"
)

func open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// estate starts the demo estate (the test estate every package shares) and splits its
// instances into two shards: the SaaS providers, and the servers.
func estate(t *testing.T) (all, saas, servers []collectors.Instance) {
	t.Helper()
	d, err := demo.Start(context.Background(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	for _, in := range d.Instances {
		all = append(all, in)
		switch in.Provider {
		case "vercel", "supabase":
			saas = append(saas, in)
		default:
			servers = append(servers, in)
		}
	}
	if len(saas) == 0 || len(servers) == 0 {
		t.Fatalf("the estate did not split: %d and %d instances", len(saas), len(servers))
	}
	return all, saas, servers
}

func validator(t testing.TB) enrich.Validator {
	v, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	return enrich.Validator{Vocab: v, Threshold: scan.DefaultThreshold}
}

// shard is what `discover scan --store` does: build on the store's rows of its own sources,
// scan without enrichment, publish, then infer over the whole store.
func shard(ctx context.Context, t testing.TB, st *store.Store, insts []collectors.Instance, now time.Time) (*store.Inference, error) {
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	prev, err := st.Previous(ctx, store.ClaimedBy(insts))
	if err != nil {
		return nil, err
	}
	clock := func() time.Time { return now }
	res, err := scan.Run(ctx, scan.Options{Instances: insts, Previous: prev, Now: clock})
	if err != nil {
		return nil, err
	}
	if _, err := st.Publish(ctx, store.Publication{Graph: res.Graph, Results: res.Results}); err != nil {
		return nil, err
	}
	return st.Infer(ctx, store.InferOptions{Enrichers: []enrich.Enricher{enrich.Rules{}}, Validator: validator(t), Now: clock})
}

// single is one scan of everything into a directory's history, the reference.
func single(t testing.TB, insts []collectors.Instance, prev *graph.Graph, now time.Time) *graph.Graph {
	t.Helper()
	res, err := scan.Run(context.Background(), scan.Options{Instances: insts, Previous: prev,
		Enrichers: []enrich.Enricher{enrich.Rules{}}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return res.Graph
}

// body is a graph's nodes and edges as graph.json writes them, and its collectors without
// their timings: what two ways of scanning the same estate must agree on.
func body(t testing.TB, g *graph.Graph) string {
	t.Helper()
	d := g.Document()
	for i := range d.Collectors {
		d.Collectors[i].DurationMS, d.Collectors[i].StartedAt = 0, ""
	}
	b, err := json.MarshalIndent(struct {
		C []graph.CollectorStatus
		N []graph.Node
		E []graph.Edge
	}{d.Collectors, d.Nodes, d.Edges}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameBody(t testing.TB, what string, got, want *graph.Graph) {
	t.Helper()
	g, w := body(t, got), body(t, want)
	if g == w {
		return
	}
	gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
	for i := 0; i < len(gl) && i < len(wl); i++ {
		if gl[i] != wl[i] {
			t.Fatalf("%s differs at line %d:\n got  %s\n want %s", what, i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("%s differs in length: %d lines, want %d", what, len(gl), len(wl))
}

func TestShardsPublishedConcurrentlyEqualOneScan(t *testing.T) {
	all, saas, servers := estate(t)
	t1 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	want := single(t, all, nil, t1)
	if n, e := want.Len(); n < 50 || e < 50 {
		t.Fatalf("the estate is too small to prove anything: %d nodes, %d edges", n, e)
	}
	inferred := 0
	for _, e := range want.Edges() {
		if e.Origin != graph.Observed {
			inferred++
		}
	}
	if inferred == 0 {
		t.Fatal("the single scan inferred no edge: cross-shard inference would be untested")
	}
	storetest.EachMode(t, func(t *testing.T, dsn string) {
		st := open(t, dsn)
		ctx := context.Background()
		for round := 0; round < 2; round++ { // the second round publishes over the first
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, insts := range [][]collectors.Instance{saas, servers} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = shard(ctx, t, st, insts, t1)
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			got, err := st.Graph(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sameBody(t, "the store after two concurrent shards", got, want)
		}
	})
}

// failing is a collector whose provider's API is down.
type failing struct{}

func (failing) Collect(context.Context, graph.Emitter) error {
	return errors.New("GET /v9/projects: 503 Service Unavailable")
}

func TestFailedShardLeavesItsNodesStaleAndTheOthersFresh(t *testing.T) {
	all, saas, servers := estate(t)
	t1 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	t2 := t1.Add(6 * time.Hour)
	// the SaaS shard runs again at t2 with Vercel down
	down := append([]collectors.Instance(nil), saas...)
	for i := range down {
		if down[i].Provider == "vercel" {
			down[i].Collector = failing{}
		}
	}
	allDown := append(append([]collectors.Instance(nil), down...), servers...)
	// the file history's answer: one scan of everything at t1, then one with Vercel down at t2
	// (the servers' nodes are fresh in it; in the store they were last seen at t1)
	wantT2 := single(t, allDown, single(t, all, nil, t1), t2)
	storetest.EachMode(t, func(t *testing.T, dsn string) {
		st := open(t, dsn)
		ctx := context.Background()
		for _, insts := range [][]collectors.Instance{saas, servers} {
			if _, err := shard(ctx, t, st, insts, t1); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := shard(ctx, t, st, down, t2); err != nil {
			t.Fatal(err)
		}
		got, err := st.Graph(ctx)
		if err != nil {
			t.Fatal(err)
		}
		staleVercel, freshServers := 0, 0
		for _, n := range got.Nodes() {
			w, ok := wantT2.Node(n.ID)
			if !ok {
				t.Errorf("%s is in the store, not in the file history", n.ID)
				continue
			}
			switch {
			case strings.HasPrefix(n.Source, "vercel/"):
				if !n.Stale || n.StaleSince != t2.Format(time.RFC3339) {
					t.Errorf("%s: stale %v since %q, want stale since %s", n.ID, n.Stale, n.StaleSince, t2.Format(time.RFC3339))
				}
				if a, b := mustJSON(t, n), mustJSON(t, w); a != b {
					t.Errorf("%s differs from the file history's:\n got  %s\n want %s", n.ID, a, b)
				}
				staleVercel++
			case n.Source == "digitalocean/acme" || n.Source == "docker/erp-1" || n.Source == "odoo/erp":
				if n.Stale || n.LastSeen != t1.Format(time.RFC3339) {
					t.Errorf("%s of the servers' shard: stale %v, last seen %s; want fresh from %s", n.ID, n.Stale, n.LastSeen, t1.Format(time.RFC3339))
				}
				freshServers++
			}
		}
		if n, _ := got.Len(); n != func() int { n, _ := wantT2.Len(); return n }() {
			t.Errorf("store has %d nodes, file history %d", n, func() int { n, _ := wantT2.Len(); return n }())
		}
		// the servers' observed edges keep the time their shard saw them, not the later
		// inference's
		for _, e := range got.Edges() {
			if e.Origin == graph.Observed && len(e.Origins) == 0 && (e.Source == "digitalocean/acme" || e.Source == "docker/erp-1" || e.Source == "odoo/erp") &&
				(e.Stale || e.LastSeen != t1.Format(time.RFC3339)) {
				t.Errorf("edge %s of the servers' shard: stale %v, last seen %s; want fresh from %s", e.Key(), e.Stale, e.LastSeen, t1.Format(time.RFC3339))
			}
		}
		if staleVercel == 0 || freshServers == 0 {
			t.Fatalf("stale vercel nodes %d, fresh server nodes %d: both must be > 0", staleVercel, freshServers)
		}
		for _, c := range got.Collectors {
			if c.Key() == "vercel/acme" && (c.Status != graph.StatusFailed || c.Stale != staleVercel) {
				t.Errorf("vercel/acme: status %s with %d stale, want failed with %d", c.Status, c.Stale, staleVercel)
			}
		}
		// observed edges of vercel carried stale exactly as the file history carries them
		for _, e := range wantT2.Edges() {
			if e.Origin == graph.Observed && strings.HasPrefix(e.Source, "vercel/") {
				ge, ok := got.Edge(e.Key())
				if !ok || !ge.Stale {
					t.Errorf("edge %s: in store %v, stale %v; want carried stale", e.Key(), ok, ge.Stale)
				}
			}
		}
	})
}

func mustJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(b))
}
