package supabase

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/fakescale"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/evidence"
)

// BenchmarkManagementAPI scans a generated estate of 200 projects (11 requests each) through
// the fake, without client-side pacing: the cost of our client and mapping, not of the limit.
func BenchmarkManagementAPI(b *testing.B) {
	estate := fakescale.Supabase(200)
	c, fake := newTestCollector(b, estate, supabasefake.Options{}, Config{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := &collectors.Recorder{Provider: "supabase"}
		if err := c.Collect(context.Background(), rec); err != nil {
			b.Fatal(err)
		}
		nodes, edges, warns := rec.Snapshot()
		if len(warns) > 0 {
			b.Fatal(warns)
		}
		b.ReportMetric(float64(len(nodes)), "nodes")
		b.ReportMetric(float64(len(edges)), "edges")
	}
	b.ReportMetric(float64(fake.Count())/float64(b.N), "requests/op")
}

// BenchmarkCatalog reads the catalog of a fresh database with 1000 tables (each with a foreign
// key, an RLS policy and a trigger), 100 views and 200 functions: through a connection string
// (dsn) and through the fake's read-only query endpoint running the same SQL there (api).
func BenchmarkCatalog(b *testing.B) {
	dsn := benchDSN(b)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	db := "infragraph_sb_bench_" + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		b.Fatal(err)
	}
	defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
	u, _ := url.Parse(dsn)
	u.Path = "/" + db
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	var sql strings.Builder
	sql.WriteString("CREATE TABLE t0 (id int PRIMARY KEY);\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&sql, "CREATE FUNCTION f%d() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t0 VALUES (1); PERFORM 'https://svc%d.example.com/hook'; RETURN NEW; END $$;\n", i, i)
	}
	for i := 1; i < 1000; i++ {
		fmt.Fprintf(&sql, "CREATE TABLE t%d (id int PRIMARY KEY, parent int REFERENCES t%d(id));\n", i, i-1)
		fmt.Fprintf(&sql, "ALTER TABLE t%d ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON t%d USING (true);\n", i, i)
		fmt.Fprintf(&sql, "CREATE TRIGGER tr AFTER INSERT ON t%d FOR EACH ROW EXECUTE FUNCTION f%d();\n", i, i%200)
		if i%10 == 0 {
			fmt.Fprintf(&sql, "CREATE VIEW v%d AS SELECT a.id FROM t%d a JOIN t%d b ON a.parent = b.id;\n", i, i, i-1)
		}
	}
	if _, err := conn.Exec(ctx, sql.String()); err != nil {
		b.Fatal(err)
	}
	conn.Close(ctx)
	run := func(b *testing.B, c *Collector) {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rec := &collectors.Recorder{Provider: "supabase"}
			if err := c.Collect(ctx, rec); err != nil {
				b.Fatal(err)
			}
			nodes, edges, warns := rec.Snapshot()
			if len(warns) > 0 {
				b.Fatal(warns)
			}
			b.ReportMetric(float64(len(nodes)), "nodes")
			b.ReportMetric(float64(len(edges)), "edges")
		}
	}
	b.Run("dsn", func(b *testing.B) {
		c, err := New(Config{Databases: map[string]evidence.Secret{testRef: evidence.Secret(u.String())}})
		if err != nil {
			b.Fatal(err)
		}
		run(b, c)
	})
	b.Run("api", func(b *testing.B) {
		est := fakescale.Supabase(1)
		srv := httptest.NewServer(supabasefake.New(est, supabasefake.Options{Databases: map[string]string{est.Refs()[0]: u.String()}}))
		defer srv.Close()
		c, err := New(Config{AccessToken: evidence.Secret(est.Token), APIURL: srv.URL})
		if err != nil {
			b.Fatal(err)
		}
		run(b, c)
	})
}

func benchDSN(b *testing.B) string {
	b.Helper()
	dsn := os.Getenv("INFRAGRAPH_TEST_PG_DSN")
	if dsn == "" {
		b.Skip("INFRAGRAPH_TEST_PG_DSN not set (scripts/test.sh starts PostgreSQL)")
	}
	return dsn
}
