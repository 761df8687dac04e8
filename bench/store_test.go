package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/store"
	"github.com/infragraph/infragraph/store/storetest"
)

// BenchmarkStore times the PostgreSQL store (issue #21) at 100k nodes (copies of the demo
// estate, ~150k edges), in both connection modes: a publish of every source (the first into an
// empty store, the next ones replacing the same sources), the store-wide inference, reading the
// whole graph, and `query impact` from the store (a node's neighbourhood, then query.Analyze).
//
//	INFRAGRAPH_TEST_PG_DSN=postgres://… go test ./bench -run '^$' -bench Store -benchtime 3x -timeout 30m
func BenchmarkStore(b *testing.B) {
	fmt.Println("reproduce: go test ./bench -run '^$' -bench Store -benchtime 3x -timeout 30m (INFRAGRAPH_TEST_PG_DSN set)")
	results := estate(b, 100_000)
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	g := scan.MergeCarrying(results, nil, now)
	history.Carry(nil, g, now)
	g.Scan = graph.ScanInfo{ID: "20261121T060000Z", StartedAt: now.Format(time.RFC3339)}
	nodes, edges := g.Len()
	target := ""
	for _, n := range g.Nodes() {
		if n.Provider == "supabase" && n.Kind == "project" {
			target = n.ID
			break
		}
	}
	vocab, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range storetest.Modes {
		name := mode
		if name == "" {
			name = "extended"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			dsn := storetest.FreshDB(b, mode)
			st, err := store.Open(dsn)
			if err != nil {
				b.Fatal(err)
			}
			if err := st.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			server := serverCPU(b, dsn)
			// each stage reports the CPU seconds of this process and of PostgreSQL (its backends,
			// reaped by the postmaster) per op: on a busy machine wall time is mostly waiting
			measure := func(b *testing.B, op func() error) {
				c0, s0 := cpuTime(), server()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := op(); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				time.Sleep(time.Second) // the postmaster reaps the last op's backend
				b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "client-cpu-s/op")
				b.ReportMetric((server()-s0).Seconds()/float64(b.N), "server-cpu-s/op")
			}
			b.Run(fmt.Sprintf("publish/%dk-nodes-%dk-edges", nodes/1000, edges/1000), func(b *testing.B) {
				measure(b, func() error {
					_, err := st.Publish(ctx, store.Publication{Graph: g, Results: results})
					return err
				})
			})
			b.Run("infer", func(b *testing.B) {
				measure(b, func() error {
					_, err := st.Infer(ctx, store.InferOptions{Enrichers: []enrich.Enricher{enrich.Rules{}},
						Validator: enrich.Validator{Vocab: vocab, Threshold: scan.DefaultThreshold}, Keep: 3})
					return err
				})
			})
			b.Run("read", func(b *testing.B) {
				measure(b, func() error {
					_, err := st.Graph(ctx)
					return err
				})
			})
			b.Run("impact", func(b *testing.B) {
				var a query.Analysis
				measure(b, func() error {
					sub, err := st.Neighbourhood(ctx, target)
					if err != nil {
						return err
					}
					a, err = query.Analyze(sub, target)
					return err
				})
				b.ReportMetric(float64(a.BlastRadius), "blast-radius")
			})
		})
	}
}

// serverCPU returns a clock of the CPU time PostgreSQL's finished backends used: the
// postmaster's reaped children (cutime + cstime in /proc/PID/stat), found as a backend's parent.
// Autovacuum counts too: it is the store's cost as well.
func serverCPU(b *testing.B, dsn string) func() time.Duration {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		b.Fatal(err)
	}
	stat := func(pid int) []string {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			b.Fatalf("PostgreSQL runs elsewhere (%v): no server CPU", err)
		}
		s := string(raw)
		return strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	}
	postmaster, err := strconv.Atoi(stat(backend)[1]) // field 4: ppid
	if err != nil {
		b.Fatal(err)
	}
	return func() time.Duration {
		f := stat(postmaster)
		cu, _ := strconv.ParseInt(f[13], 10, 64)        // field 16: cutime
		cs, _ := strconv.ParseInt(f[14], 10, 64)        // field 17: cstime
		return time.Duration(cu+cs) * time.Second / 100 // clock ticks (USER_HZ 100 on Linux)
	}
}
