package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/store"
	"github.com/infragraph/infragraph/store/storetest"
)

// TestReadOnlyRoleReads: a role with the README's SELECT grants reads everything a reader
// needs (the graph, a neighbourhood, snapshots, the stamp) and cannot publish.
func TestReadOnlyRoleReads(t *testing.T) {
	all, saas, servers := estate(t)
	t1 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	want := single(t, all, nil, t1)
	storetest.EachMode(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		for _, insts := range [][]collectors.Instance{saas, servers} {
			if _, err := shard(ctx, t, open(t, dsn), insts, t1); err != nil {
				t.Fatal(err)
			}
		}
		r := open(t, storetest.Reader(t, dsn))
		got, err := r.Graph(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sameBody(t, "the graph read by the read-only role", got, want)
		if _, err := r.Stamp(ctx); err != nil {
			t.Error(err)
		}
		if snaps, err := r.Snapshots(ctx); err != nil || len(snaps) == 0 {
			t.Errorf("snapshots: %v, %v", snaps, err)
		} else if _, err := r.Snapshot(ctx, snaps[0].Seq); err != nil {
			t.Error(err)
		}
		if _, err := r.Neighbourhood(ctx, "supabase:project:qwertyuiopasdfghjklz"); err != nil {
			t.Error(err)
		}
		if err := r.Migrate(ctx); err != nil { // nothing to do: a reader may call it
			t.Errorf("migrate an up-to-date store as a reader: %v", err)
		}
		_, err = shard(ctx, t, r, servers, t1)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("a read-only role published (err %v)", err)
		}
		if strings.Contains(err.Error(), "CANARY") {
			t.Errorf("the error quotes the password: %v", err)
		}
	})
}

// TestNeighbourhoodAnswersImpactAsTheWholeGraph: for every node, query.Analyze over the
// neighbourhood the store reads equals query.Analyze over the whole graph.
func TestNeighbourhoodAnswersImpactAsTheWholeGraph(t *testing.T) {
	_, saas, servers := estate(t)
	t1 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	dsn := storetest.FreshDB(t, "")
	ctx := context.Background()
	st := open(t, dsn)
	for _, insts := range [][]collectors.Instance{saas, servers} {
		if _, err := shard(ctx, t, st, insts, t1); err != nil {
			t.Fatal(err)
		}
	}
	whole, err := st.Graph(ctx)
	if err != nil {
		t.Fatal(err)
	}
	smaller := 0
	for _, n := range whole.Nodes() {
		sub, err := st.Neighbourhood(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		a, err := query.Analyze(whole, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := query.Analyze(sub, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if x, y := mustJSON(t, a), mustJSON(t, b); x != y {
			t.Fatalf("impact of %s differs on the neighbourhood:\n whole %s\n part  %s", n.ID, x, y)
		}
		if k, _ := sub.Len(); k < func() int { k, _ := whole.Len(); return k }() {
			smaller++
		}
	}
	if smaller == 0 {
		t.Error("every neighbourhood was the whole graph: the fast path reads no less")
	}
	if _, err := st.Neighbourhood(ctx, "no:such:node"); err != store.ErrNoNode {
		t.Errorf("unknown id: %v, want ErrNoNode", err)
	}
}
