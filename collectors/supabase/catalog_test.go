package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/evidence"
)

// testDSN is scripts/test.sh's throwaway PostgreSQL (a superuser DSN on database postgres).
// Without it the catalog tests fail in CI and skip elsewhere.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("INFRAGRAPH_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INFRAGRAPH_TEST_PG_DSN is not set: run the tests through scripts/test.sh")
		}
		t.Skip("INFRAGRAPH_TEST_PG_DSN not set (scripts/test.sh starts PostgreSQL)")
	}
	return dsn
}

func execFile(t *testing.T, ctx context.Context, conn *pgx.Conn, name string) {
	t.Helper()
	sql, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, string(sql)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// withPassword adds a CANARY password to the DSN: the test cluster trusts local connections, so
// it is sent nowhere, but it must also appear nowhere.
func withPassword(t *testing.T, dsn, pw string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	return u.String()
}

// loadSQL runs sql in the postgres database and removes it (testdata/cleanup.sql) when the test
// ends.
func loadSQL(t *testing.T, dsn, sql string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	execFile(t, ctx, conn, "cleanup.sql")
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer conn.Close(ctx)
		execFile(t, ctx, conn, "cleanup.sql")
	})
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

// The demo estate's two halves together: the cron job calls the edge function the Management
// API reported, the webhook keeps the storefront's URL as evidence.
func TestDemoDatabase(t *testing.T) {
	dsn := testDSN(t)
	loadSQL(t, dsn, supabasefake.DemoSQL())
	const ref = "qwertyuiopasdfghjklz"
	c, _ := newTestCollector(t, supabasefake.Demo(), supabasefake.Options{}, Config{
		Databases: map[string]evidence.Secret{ref: evidence.Secret(dsn)},
	})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) != 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	if !out.HasEdge("supabase:cron_job:"+ref+"/notify-orders", "calls", "supabase:edge_function:"+ref+"/send-order-email") {
		t.Error("notify-orders does not call send-order-email")
	}
	hook := "supabase:db_webhook:" + ref + "/public.orders.order-created"
	if out.Node(t, hook).Attrs["url_host"] != "shop.acme-coffee.com" || !out.HasEdge(hook, "applies_to", "supabase:table:"+ref+"/public.orders") {
		t.Errorf("webhook: %v", out.Node(t, hook).Attrs)
	}
	if n := out.CountKind("storage_bucket"); n != 1 {
		t.Errorf("%d buckets: the API's and the catalog's product-images are one", n)
	}
	collectorstest.AssertAbsent(t, []string{"CANARY"}, out.JSON())
}

// loadSupabaseSchema loads testdata/schema.sql into the postgres database (pg_cron only installs
// there) and removes it when the test ends.
func loadSupabaseSchema(t *testing.T, dsn string) {
	sql, err := os.ReadFile("testdata/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	// Estimated rows come from reltuples, which ANALYZE sets.
	loadSQL(t, dsn, string(sql)+"\nANALYZE public.products, public.orders;")
}

func TestCatalogOnRealPostgres(t *testing.T) {
	dsn := testDSN(t)
	loadSupabaseSchema(t, dsn)
	const dbPassword = "CANARY-db-password"
	c, _ := newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{
		Databases: map[string]evidence.Secret{testRef: evidence.Secret(withPassword(t, dsn, dbPassword))},
	})
	// Inside the catalog transaction, after every read: no transaction id was ever assigned (a
	// write of any kind assigns one), and a write through the same transaction is refused.
	var checked bool
	c.check = func(ctx context.Context, tx pgx.Tx) error {
		checked = true
		var xid *int64
		var ro, st string
		if err := tx.QueryRow(ctx, "SELECT txid_current_if_assigned(), current_setting('transaction_read_only'), current_setting('statement_timeout')").Scan(&xid, &ro, &st); err != nil {
			return err
		}
		if xid != nil || ro != "on" || st != "30s" {
			t.Errorf("catalog transaction: xid %v, transaction_read_only %s, statement_timeout %s", xid, ro, st)
		}
		_, err := tx.Exec(ctx, "CREATE TABLE public.infragraph_write_probe (id int)")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "25006" {
			t.Errorf("a write in the catalog transaction: %v, want read_only_sql_transaction (25006)", err)
		}
		return nil
	}
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil {
		t.Fatalf("Collect: %v", out.Err)
	}
	if len(out.Warnings) != 0 {
		t.Errorf("warnings: %v", out.Warnings)
	}
	if !checked {
		t.Fatal("the catalog transaction was not checked")
	}
	r := func(kind, native string) string { return "supabase:" + kind + ":" + testRef + "/" + native }
	project := "supabase:project:" + testRef
	orders := r("table", "public.orders")

	// Nodes and their attributes.
	if a := out.Node(t, orders).Attrs; a["rls"] != true || a["realtime"] != true || a["schema"] != "public" {
		t.Errorf("orders attrs: %v", a)
	}
	if a := out.Node(t, r("table", "public.products")).Attrs; a["rls"] != false || a["estimated_rows"] != int64(1) {
		t.Errorf("products attrs: %v", a)
	}
	if a := out.Node(t, r("table", "auth.users")).Attrs; a["managed"] != true {
		t.Errorf("auth.users attrs: %v", a)
	}
	if a := out.Node(t, r("view", "public.big_orders")).Attrs; a["materialized"] != true {
		t.Errorf("materialized view attrs: %v", a)
	}
	logFn := r("function", "public.log_order_change()")
	if a := out.Node(t, logFn).Attrs; a["language"] != "plpgsql" || a["security_definer"] != true ||
		!reflect.DeepEqual(a["urls"], []string{"https://api.partner.example.com/v1/orders"}) ||
		!reflect.DeepEqual(a["url_hosts"], []string{"api.partner.example.com"}) ||
		!reflect.DeepEqual(a["tables"], []string{"public.audit_log"}) {
		t.Errorf("log_order_change attrs: %v", a)
	}
	if a := out.Node(t, r("function", "public.handle_new_user()")).Attrs; !reflect.DeepEqual(a["tables"], []string{"public.customers"}) {
		t.Errorf("handle_new_user resolves an unqualified table: %v", a)
	}
	if a := out.Node(t, r("function", "public.order_count(cust bigint)")).Attrs; a["language"] != "sql" || !reflect.DeepEqual(a["tables"], []string{"public.orders"}) {
		t.Errorf("order_count attrs: %v", a)
	}
	if a := out.Node(t, r("function", "public.archive_orders()")).Attrs; a["procedure"] != true {
		t.Errorf("archive_orders attrs: %v", a)
	}
	trg := r("trigger", "public.orders.orders_audit")
	if a := out.Node(t, trg).Attrs; a["timing"] != "AFTER" || !reflect.DeepEqual(a["events"], []string{"INSERT", "UPDATE"}) || a["level"] != "ROW" || a["function"] != "public.log_order_change()" {
		t.Errorf("trigger attrs: %v", a)
	}
	hook := r("db_webhook", "public.orders.order-created")
	if a := out.Node(t, hook).Attrs; a["url"] != "https://shop.example.com/api/order-created" || a["method"] != "POST" || a["url_host"] != "shop.example.com" {
		t.Errorf("webhook attrs: %v", a)
	}
	if _, ok := out.Graph.Node(r("trigger", "public.orders.order-created")); ok {
		t.Error("a webhook was also emitted as a plain trigger")
	}
	pol := r("policy", "public.customers.own customer row")
	if a := out.Node(t, pol).Attrs; a["command"] != "UPDATE" || a["permissive"] != false || !reflect.DeepEqual(a["roles"], []string{"public"}) {
		t.Errorf("policy attrs: %v", a)
	}
	cron := r("cron_job", "notify-orders")
	if a := out.Node(t, cron).Attrs; a["schedule"] != "*/5 * * * *" || a["active"] != true ||
		!reflect.DeepEqual(a["urls"], []string{"https://" + testRef + ".supabase.co/functions/v1/send-order-email"}) {
		t.Errorf("cron attrs: %v", a)
	}
	if a := out.Node(t, r("foreign_server", "legacy_erp")).Attrs; a["host"] != "legacy-db.example.com" || a["wrapper"] != "postgres_fdw" {
		t.Errorf("foreign server attrs: %v", a)
	}
	if a := out.Node(t, r("publication", "supabase_realtime")).Attrs; a["realtime"] != true {
		t.Errorf("publication attrs: %v", a)
	}
	out.Node(t, r("extension", "pg_cron"))
	out.Node(t, r("storage_bucket", "exports")) // only in the database
	out.Node(t, r("storage_bucket", "avatars")) // in both halves, emitted once
	out.Node(t, r("secret", "vault.service_role_key"))
	if n := out.CountKind("cron_job"); n != 3 {
		t.Errorf("%d cron jobs, want 3", n)
	}
	if n := out.CountKind("storage_bucket"); n != 3 {
		t.Errorf("%d buckets, want 3 (avatars, invoices, exports)", n)
	}
	// Extension members and Supabase's plumbing are left out.
	for _, id := range []string{r("table", "cron.job"), r("function", "supabase_functions.http_request()"), r("function", "net.http_post(url text, body jsonb, params jsonb, headers jsonb, timeout_milliseconds integer)")} {
		if _, ok := out.Graph.Node(id); ok {
			t.Errorf("%s emitted", id)
		}
	}

	// Edges.
	for _, e := range [][3]string{
		{project, "contains", r("schema", "public")},
		{r("schema", "public"), "contains", orders},
		{r("schema", "public"), "contains", logFn},
		{r("table", "public.order_items"), "references", orders},
		{r("table", "public.order_items"), "references", r("table", "public.products")},
		{orders, "references", r("table", "public.customers")},
		{r("table", "public.customers"), "references", r("table", "auth.users")},
		{r("table", "storage.objects"), "references", r("table", "storage.buckets")},
		{r("view", "public.order_totals"), "reads_from", orders},
		{r("view", "public.order_totals"), "reads_from", r("table", "public.order_items")},
		{r("view", "public.big_orders"), "reads_from", r("view", "public.order_totals")},
		{orders, "contains", trg},
		{trg, "applies_to", orders},
		{trg, "executes", logFn},
		{r("trigger", "auth.users.on_auth_user_created"), "executes", r("function", "public.handle_new_user()")},
		{orders, "contains", r("policy", "public.orders.customers see own orders")},
		{r("policy", "public.orders.customers see own orders"), "applies_to", orders},
		{hook, "applies_to", orders},
		{r("db_webhook", "public.products.product-changed"), "calls", r("edge_function", "resize-image")},
		{r("function", "public.archive_orders()"), "calls", r("edge_function", "resize-image")},
		{cron, "calls", r("edge_function", "send-order-email")},
		{r("cron_job", "archive-orders"), "executes", r("function", "public.archive_orders()")},
		{project, "contains", r("cron_job", "notify-orders")},
		{project, "contains", r("storage_bucket", "exports")},
		{project, "contains", r("secret", "vault.service_role_key")},
		{r("table", "public.products"), "contains", r("db_webhook", "public.products.product-changed")},
		{r("publication", "supabase_realtime"), "publishes", orders},
		{r("publication", "supabase_realtime"), "publishes", r("table", "public.order_items")},
		{project, "contains", r("foreign_server", "legacy_erp")},
	} {
		if !out.HasEdge(e[0], e[1], e[2]) {
			t.Errorf("missing edge %s -%s-> %s", e[0], e[1], e[2])
		}
	}
	if out.HasEdge(hook, "calls", r("edge_function", "send-order-email")) {
		t.Error("a webhook to a Vercel route calls an edge function")
	}
	e, _ := out.Graph.Edge(edgeKey(r("table", "public.order_items"), orders, "references"))
	if len(e.Evidence) != 1 || e.Evidence[0].Value != "order_items_order_id_fkey (order_id)" {
		t.Errorf("fk evidence: %+v", e.Evidence)
	}

	if f := os.Getenv("SB_DUMP"); f != "" {
		_ = os.WriteFile(f, out.JSON(), 0o644)
	}
	collectorstest.AssertAbsent(t, []string{
		"CANARY", dbPassword, "Bearer", "Content-type", "jsonb_build_object", "net.http_post", "apikey=",
	}, out.JSON())
}

// An unreachable database is a warning: the Management API half is kept, and neither the
// password nor the connection string is in any message.
func TestUnreachableDatabaseIsPartial(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close() // nothing listens there now
	const pw = "CANARY-unreachable-password"
	dsns := map[string]evidence.Secret{
		testRef:                evidence.Secret("postgres://postgres:" + pw + "@127.0.0.1:" + port + "/postgres?connect_timeout=5"),
		"bcdefghijklmnopqrstu": evidence.Secret("host=127.0.0.1 port=" + port + " user=postgres password=" + pw + " dbname=postgres connect_timeout=5"),
		"cdefghijklmnopqrstuv": evidence.Secret("postgres://postgres:" + pw + "@[::1"),
	}
	c, _ := newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{Databases: dsns})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil {
		t.Fatalf("Collect: %v", out.Err)
	}
	if len(out.Warnings) != 3 {
		t.Fatalf("warnings: %q", out.Warnings)
	}
	for _, w := range out.Warnings {
		if !strings.Contains(w, "database catalog") {
			t.Errorf("warning %q", w)
		}
	}
	if !strings.Contains(out.Warnings[2], "does not parse") {
		t.Errorf("bad DSN warning: %q", out.Warnings[2])
	}
	out.Node(t, "supabase:edge_function:"+testRef+"/send-order-email")
	collectorstest.AssertAbsent(t, []string{pw, "CANARY", port + "/postgres"}, out.JSON())

	// Without the Management API the same failure is the instance failing.
	c, err = New(Config{Databases: map[string]evidence.Secret{testRef: dsns[testRef]}})
	if err != nil {
		t.Fatal(err)
	}
	out = collectorstest.Collect(t, "supabase", c)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "connect") {
		t.Fatalf("err = %v", out.Err)
	}
	collectorstest.AssertAbsent(t, []string{pw}, out.JSON())
}

// A plain database (no pg_cron, Storage, webhooks or vault) is read without warnings: optional
// catalogs are probed and skipped.
func TestCatalogWithoutSupabaseSchemas(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	db := "infragraph_sb_plain_" + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)") })
	u, _ := url.Parse(dsn)
	u.Path = "/" + db
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE VIEW recent_notes AS SELECT * FROM notes;`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	c, err := New(Config{Databases: map[string]evidence.Secret{testRef: evidence.Secret(u.String())}})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) != 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	p := out.Node(t, "supabase:project:"+testRef)
	if p.Attrs["api_host"] != testRef+".supabase.co" {
		t.Errorf("bare project attrs: %v", p.Attrs)
	}
	if !out.HasEdge("supabase:view:"+testRef+"/public.recent_notes", "reads_from", "supabase:table:"+testRef+"/public.notes") {
		t.Error("view dependency missing")
	}
	if out.CountKind("cron_job")+out.CountKind("storage_bucket")+out.CountKind("db_webhook") != 0 {
		t.Error("optional catalogs produced nodes")
	}
}

// A role with no grants beyond PUBLIC's (Supabase's read-only users are similar) reads the
// catalog without warnings: Storage and vault are probed unreadable and skipped, pg_cron's row
// security shows it none of postgres's jobs.
func TestCatalogAsUnprivilegedRole(t *testing.T) {
	dsn := testDSN(t)
	loadSupabaseSchema(t, dsn)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	const role = "infragraph_catalog_reader"
	if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS "+role+"; CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	// admin is closed when the test function returns, before cleanups run: drop on a fresh one.
	t.Cleanup(func() {
		if conn, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = conn.Exec(ctx, "DROP ROLE IF EXISTS "+role)
			conn.Close(ctx)
		}
	})
	u, _ := url.Parse(dsn)
	u.User = url.User(role)
	c, _ := newTestCollector(t, fakeapi.Must(supabasefake.Load("test")), supabasefake.Options{}, Config{
		Databases: map[string]evidence.Secret{testRef: evidence.Secret(u.String())},
	})
	out := collectorstest.Collect(t, "supabase", c)
	if out.Err != nil || len(out.Warnings) != 0 {
		t.Fatalf("err %v, warnings %v", out.Err, out.Warnings)
	}
	out.Node(t, "supabase:table:"+testRef+"/public.orders")
	out.Node(t, "supabase:db_webhook:"+testRef+"/public.orders.order-created")
	if _, ok := out.Graph.Node("supabase:storage_bucket:" + testRef + "/exports"); ok {
		t.Error("storage.buckets was read without SELECT on it")
	}
	if _, ok := out.Graph.Node("supabase:secret:" + testRef + "/vault.service_role_key"); ok {
		t.Error("vault.secrets was read without SELECT on it")
	}
	if n := out.CountKind("cron_job"); n != 0 {
		t.Errorf("%d cron jobs visible to another role", n)
	}
	collectorstest.AssertAbsent(t, []string{"CANARY"}, out.JSON())
}

// What the catalog statements select is what the Management API's read-only query endpoint
// would send back: the raw documents carry no secret of the test estate (cron bearer headers,
// webhook headers, vault values, a function's apikey query, the FDW password), only the
// reduced text the scanners need.
func TestCatalogDocumentsSelectNoSecret(t *testing.T) {
	dsn := testDSN(t)
	loadSupabaseSchema(t, dsn)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	q := txQuerier{tx}
	probe, err := q.doc(ctx, probeSQL)
	if err != nil {
		t.Fatal(err)
	}
	var pr probes
	if err := json.Unmarshal(probe, &pr); err != nil || !pr.Cron || !pr.Storage || !pr.Vault || !pr.Webhooks {
		t.Fatalf("probes %s: %v", probe, err)
	}
	doc, err := q.doc(ctx, catalogSQL(pr))
	if err != nil {
		t.Fatal(err)
	}
	// The reduced texts still carry what the scanners read.
	for _, want := range []string{"https://abcdefghijklmnopqrst.supabase.co/functions/v1/send-order-email",
		"https://api.partner.example.com/v1/orders", "public.archive_orders()", "INSERT INTO public.audit_log"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the catalog document lacks %q", want)
		}
	}
	collectorstest.AssertAbsent(t, []string{"CANARY", "Bearer", "Authorization", "apikey"}, append(probe, doc...))
}
