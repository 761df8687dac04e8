package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/store"
	"github.com/infragraph/infragraph/store/storetest"
)

// killChildEnv makes the test binary a shard that publishes a large graph for docker/erp-1 (a
// source the store already holds), to be killed by TestKilledPublishLeavesTheStoreAsBefore.
const killChildEnv = "INFRAGRAPH_STORE_KILL_CHILD"

func TestMain(m *testing.M) {
	if dsn := os.Getenv(killChildEnv); dsn != "" {
		if err := publishLarge(dsn, 300_000); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// publishLarge publishes n containers as docker/erp-1's scan.
func publishLarge(dsn string, n int) error {
	st, err := store.Open(dsn)
	if err != nil {
		return err
	}
	g := graph.New()
	g.Scan = graph.ScanInfo{ID: "20261121T120000Z", StartedAt: "2026-11-21T12:00:00Z"}
	g.Collectors = []graph.CollectorStatus{{Provider: "docker", Instance: "erp-1", Status: graph.StatusOK, Nodes: n}}
	for i := 0; i < n; i++ {
		if err := g.AddNode(graph.Node{ID: fmt.Sprintf("docker:container:erp-1/c%07d", i), Kind: "container", Provider: "docker",
			Name: fmt.Sprintf("c%07d", i), Source: "docker/erp-1", Attrs: graph.Attrs{"image": "busybox:latest", "state": "running"}}); err != nil {
			return err
		}
	}
	_, err = st.Publish(context.Background(), store.Publication{Graph: g})
	return err
}

// TestKilledPublishLeavesTheStoreAsBefore kills (SIGKILL) a shard while its COPY runs: the
// store holds exactly what it held before, and the next publish is not blocked by any lock.
func TestKilledPublishLeavesTheStoreAsBefore(t *testing.T) {
	_, saas, servers := estate(t)
	t1 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	storetest.EachMode(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		st := open(t, dsn)
		for _, insts := range [][]collectors.Instance{saas, servers} {
			if _, err := shard(ctx, t, st, insts, t1); err != nil {
				t.Fatal(err)
			}
		}
		before := storetest.Dump(t, dsn)
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), killChildEnv+"="+dsn)
		child.Stderr = os.Stderr
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		copying := func() bool {
			var n int
			err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
				AND application_name = 'infragraph' AND query LIKE 'COPY infragraph.%'`).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n > 0
		}
		deadline := time.Now().Add(60 * time.Second)
		for !copying() {
			if time.Now().After(deadline) {
				_ = child.Process.Kill()
				t.Fatal("the child never reached its COPY")
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := child.Process.Kill(); err != nil { // SIGKILL: no deferred rollback runs
			t.Fatal(err)
		}
		_ = child.Wait()
		if child.ProcessState.Success() {
			t.Fatal("the child finished its publish before it was killed: the test proved nothing")
		}
		// the server notices the dead client and rolls its transaction back
		for {
			var n int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
				AND application_name = 'infragraph'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the killed shard's backend is still there")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if after := storetest.Dump(t, dsn); after != before {
			t.Fatalf("the store changed under a killed publish: %d bytes before, %d after", len(before), len(after))
		}
		// no lock is left behind: the same source publishes again at once
		ctx2, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := shard(ctx2, t, st, servers, t1.Add(time.Hour)); err != nil {
			t.Fatalf("publish after the kill: %v", err)
		}
	})
}
