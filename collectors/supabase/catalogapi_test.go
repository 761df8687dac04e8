package supabase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/evidence"
)

// The test estate's projects: abcdefghijklmnopqrst (active), bcdefghijklmnopqrstu (active),
// cdefghijklmnopqrstuv (INACTIVE).
const (
	otherRef  = "bcdefghijklmnopqrstu"
	pausedRef = "cdefghijklmnopqrstuv"
)

// recorder keeps every answer the fake's read-only query endpoint sent: what crossed the wire
// from the database. (The other endpoints of the test estate carry CANARY values by design.)
type recorder struct {
	mu      sync.Mutex
	answers bytes.Buffer
	next    http.Handler
}

type teeWriter struct {
	http.ResponseWriter
	r *recorder
}

func (w teeWriter) Write(b []byte) (int, error) {
	w.r.mu.Lock()
	w.r.answers.Write(b)
	w.r.mu.Unlock()
	return w.ResponseWriter.Write(b)
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasSuffix(req.URL.Path, "/database/query/read-only") {
		w = teeWriter{w, r}
	}
	r.next.ServeHTTP(w, req)
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.answers.Bytes()...)
}

// apiCollector is a collector reading the test estate through a fake whose read-only query
// endpoint runs against dbs (ref → DSN), with every answer recorded.
func apiCollector(t *testing.T, opts supabasefake.Options, cfg Config) (*Collector, *supabasefake.Fake, *recorder) {
	t.Helper()
	fake := supabasefake.New(fakeapi.Must(supabasefake.Load("test")), opts)
	rec := &recorder{next: fake}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	cfg.Name, cfg.APIURL, cfg.AccessToken = "test", srv.URL, evidence.Secret(fakeapi.Must(supabasefake.Load("test")).Token)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.api.limits = newLimits(0)
	c.api.backoff = time.Millisecond
	return c, fake, rec
}

func posts(fake *supabasefake.Fake, ref string) int {
	n := 0
	for _, l := range fake.Requests() {
		if l == "POST /v1/projects/"+ref+"/database/query/read-only" {
			n++
		}
	}
	return n
}

// The token alone reads the same catalog as a connection string to the same database: the same
// nodes, edges, ids and attributes, byte for byte, in two requests per project; the paused
// project is skipped with its status; no secret is in the graph, the warnings or any answer the
// API sent.
func TestCatalogThroughAPIEqualsDSN(t *testing.T) {
	dsn := testDSN(t)
	loadSupabaseSchema(t, dsn)
	// The endpoint runs as Supabase's read-only role, created as Supabase creates it
	// (supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql): it must
	// see what the connection string's superuser sees, pg_cron's jobs past row security included.
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	const role = "infragraph_read_only_user"
	if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS "+role+"; CREATE ROLE "+role+" WITH LOGIN BYPASSRLS; GRANT pg_read_all_data TO "+role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if conn, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = conn.Exec(ctx, "DROP ROLE IF EXISTS "+role)
			conn.Close(ctx)
		}
	})
	on := true
	viaDSN, _, _ := apiCollector(t, supabasefake.Options{}, Config{APICatalog: &on,
		Databases: map[string]evidence.Secret{testRef: evidence.Secret(dsn), otherRef: evidence.Secret(dsn)}})
	want := collectorstest.Collect(t, "supabase", viaDSN)

	viaAPI, fake, rec := apiCollector(t, supabasefake.Options{Databases: map[string]string{testRef: dsn, otherRef: dsn}, Role: role}, Config{})
	got := collectorstest.Collect(t, "supabase", viaAPI)
	if got.Err != nil || want.Err != nil {
		t.Fatalf("errors: api %v, dsn %v", got.Err, want.Err)
	}
	g, _ := json.Marshal(got.Graph.Document())
	w, _ := json.Marshal(want.Graph.Document())
	if !bytes.Equal(g, w) {
		t.Errorf("the graphs differ:\napi %s\ndsn %s", g, w)
	}
	if !reflect.DeepEqual(got.Warnings, want.Warnings) || len(got.Warnings) != 1 ||
		!strings.Contains(got.Warnings[0], "project "+pausedRef+": database catalog: skipped: the project is INACTIVE") {
		t.Errorf("warnings: api %q, dsn %q", got.Warnings, want.Warnings)
	}
	r := func(kind, native string) string { return "supabase:" + kind + ":" + testRef + "/" + native }
	for _, e := range [][3]string{
		{r("cron_job", "notify-orders"), "calls", r("edge_function", "send-order-email")},
		{r("db_webhook", "public.products.product-changed"), "calls", r("edge_function", "resize-image")},
		{r("db_webhook", "public.orders.order-created"), "applies_to", r("table", "public.orders")},
	} {
		if !got.HasEdge(e[0], e[1], e[2]) {
			t.Errorf("missing edge %s -%s-> %s", e[0], e[1], e[2])
		}
	}
	if a := got.Node(t, r("db_webhook", "public.orders.order-created")).Attrs; a["url_host"] != "shop.example.com" || a["method"] != "POST" {
		t.Errorf("webhook attrs: %v", a)
	}
	for ref, n := range map[string]int{testRef: 2, otherRef: 2, pausedRef: 0} {
		if p := posts(fake, ref); p != n {
			t.Errorf("%s: %d read-only queries, want %d", ref, p, n)
		}
	}
	answers := rec.bytes()
	if !bytes.Contains(answers, []byte("send-order-email")) {
		t.Fatal("the recorded answers do not hold the catalog")
	}
	collectorstest.AssertAbsent(t, []string{"CANARY", "Bearer", "Authorization", "apikey"}, answers, got.JSON())
}

// 403 (the token may not run SQL) and 402 (plan) on the endpoint are warnings naming the
// project; the rest of the project is kept.
func TestCatalogEndpointForbidden(t *testing.T) {
	dsn := testDSN(t)
	loadSupabaseSchema(t, dsn)
	c, fake, _ := apiCollector(t, supabasefake.Options{Databases: map[string]string{testRef: dsn, otherRef: dsn}}, Config{})
	fake.Fault("/v1/projects/"+testRef+"/database/query/read-only", fakeapi.Always, fakeapi.Fault{Status: http.StatusForbidden})
	fake.Fault("/v1/projects/"+otherRef+"/database/query/read-only", fakeapi.Always, fakeapi.Fault{Status: http.StatusPaymentRequired})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	want := []string{
		"project " + testRef + ": database catalog (read-only query): not available to this plan or token (HTTP 403)",
		"project " + otherRef + ": database catalog (read-only query): not available to this plan or token (HTTP 402)",
		"project " + pausedRef + ": database catalog: skipped: the project is INACTIVE, its database does not answer (paused or going away)",
	}
	if !reflect.DeepEqual(out.Warnings, want) {
		t.Errorf("warnings:\n%q\nwant\n%q", out.Warnings, want)
	}
	out.Node(t, "supabase:edge_function:"+testRef+"/send-order-email")
	if n := out.CountKind("table"); n != 0 {
		t.Errorf("%d tables without a catalog", n)
	}
}

// A statement the database refuses answers 400 with Supabase's "Failed to run sql query" body:
// a warning with the SQLSTATE, the Management API half kept. The database here runs with
// standard_conforming_strings off, so a backslash in a plain literal is an escape and the
// catalog statement's '\000' is a NUL the server refuses.
func TestCatalogQueryError(t *testing.T) {
	dsn := testDSN(t)
	loadSupabaseSchema(t, dsn)
	u, _ := url.Parse(dsn)
	u.RawQuery += "&options=-c%20standard_conforming_strings%3Doff"
	c, _, rec := apiCollector(t, supabasefake.Options{Databases: map[string]string{testRef: u.String(), otherRef: dsn}}, Config{})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	var found bool
	for _, w := range out.Warnings {
		if strings.HasPrefix(w, "project "+testRef+": database catalog (read-only query): read catalog: POST /v1/projects/"+testRef+"/database/query/read-only: HTTP 400: Failed to run sql query: ERROR:") &&
			strings.Contains(w, "22021") {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings: %q", out.Warnings)
	}
	out.Node(t, "supabase:project:"+testRef)
	if len(out.Warnings) != 2 || out.CountKind("table") == 0 {
		t.Errorf("the other project's catalog is not kept: %d tables, warnings %q", out.CountKind("table"), out.Warnings)
	}
	collectorstest.AssertAbsent(t, []string{"CANARY"}, rec.bytes(), out.JSON())
}

// The fake's endpoint runs what it receives in a read-only transaction: a write answers 400
// with read_only_sql_transaction, as Supabase's read-only role does.
func TestReadOnlyQueryRefusesWrites(t *testing.T) {
	dsn := testDSN(t)
	c, _, _ := apiCollector(t, supabasefake.Options{Databases: map[string]string{testRef: dsn}}, Config{})
	_, err := c.api.readOnlyQuery(context.Background(), testRef, "CREATE TABLE public.infragraph_write_probe (id int)")
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "25006") {
		t.Fatalf("a write through the read-only endpoint: %v", err)
	}
	rows, err := c.api.readOnlyQuery(context.Background(), testRef, "SELECT 1 AS one, 'x' AS two")
	if err != nil || len(rows) != 1 || string(rows[0]["one"]) != "1" || string(rows[0]["two"]) != `"x"` {
		t.Fatalf("rows %v, err %v", rows, err)
	}
}

// tempDatabase creates a database with one table on the test server and drops it afterwards.
func tempDatabase(t *testing.T, dsn, table string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	db := "infragraph_sb_" + table + "_" + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
			admin.Close(ctx)
		}
	})
	u, _ := url.Parse(dsn)
	u.Path = "/" + db
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE public."+table+" (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// A db_url whose host and user name no project (127.0.0.1, postgres) is tied to its project by
// asking: its database's fingerprint against each active project's through the read-only query
// endpoint. That project's catalog is then read through the connection string; one that matches
// no project is a warning saying how to map it.
func TestDBURLMatchedByAsking(t *testing.T) {
	dsn := testDSN(t)
	first := tempDatabase(t, dsn, "first_notes")
	second := tempDatabase(t, dsn, "second_notes")
	nowhere := tempDatabase(t, dsn, "nowhere_notes")
	opts := supabasefake.Options{Databases: map[string]string{testRef: first, otherRef: second}}

	c, fake, _ := apiCollector(t, opts, Config{DBURL: evidence.Secret(second)})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], pausedRef) {
		t.Fatalf("err %v, warnings %q", out.Err, out.Warnings)
	}
	out.Node(t, "supabase:table:"+testRef+"/public.first_notes")
	out.Node(t, "supabase:table:"+otherRef+"/public.second_notes")
	// testRef: the fingerprint, then its catalog (probe and document); otherRef: the
	// fingerprint only, its catalog came through db_url.
	for ref, n := range map[string]int{testRef: 3, otherRef: 1, pausedRef: 0} {
		if p := posts(fake, ref); p != n {
			t.Errorf("%s: %d read-only queries, want %d", ref, p, n)
		}
	}

	c, _, _ = apiCollector(t, opts, Config{DBURL: evidence.Secret(nowhere)})
	out = collectorstest.Collect(t, "supabase", c)
	var warned bool
	for _, w := range out.Warnings {
		warned = warned || strings.HasPrefix(w, "db_url: cannot tell which project it belongs to") &&
			strings.Contains(w, "none of the active ones answers with this database") && strings.Contains(w, "map it under databases: <ref>")
	}
	if out.Err != nil || !warned {
		t.Errorf("err %v, warnings %q", out.Err, out.Warnings)
	}
	if _, ok := out.Graph.Node("supabase:table:" + testRef + "/public.nowhere_notes"); ok {
		t.Error("an unmatched db_url was read as some project's")
	}
}
