package supabase

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/evidence"
)

// statementTimeout and lockTimeout bound every catalog query (SET LOCAL inside the read-only
// transaction).
const (
	statementTimeout = 30 * time.Second
	lockTimeout      = 5 * time.Second
)

// managedSchemas are created and owned by Supabase itself. Their tables are kept (user tables
// reference auth.users, triggers sit on it), but their views and functions are not, unless a
// trigger uses the function.
var managedSchemas = []string{
	"auth", "storage", "realtime", "_realtime", "extensions", "graphql", "graphql_public", "vault",
	"net", "cron", "supabase_functions", "supabase_migrations", "pgsodium", "pgsodium_masks",
	"pgbouncer", "_analytics", "pgmq", "pgtle", "topology", "tiger", "tiger_data",
}

func isManaged(schema string) bool {
	for _, s := range managedSchemas {
		if s == schema {
			return true
		}
	}
	return false
}

// catalog is what one database's catalog says, already reduced to non-secret facts. Function
// bodies, cron commands and webhook arguments are scanned while reading and never kept.
type catalog struct {
	Schemas      []string
	Relations    []relation
	ForeignKeys  []foreignKey
	ViewDeps     []viewDep
	Functions    []function
	Triggers     []trigger
	Policies     []policy
	Extensions   []extension
	CronJobs     []cronJob
	Buckets      []bucket
	Publications []publication
	Servers      []foreignServer
	VaultSecrets []string
	Probes       probes
}

type probes struct {
	Cron, Storage, Webhooks, Vault bool
}

type relation struct {
	OID           uint32
	Schema, Name  string
	Kind          string // r, p, v, m, f
	RLS, ForceRLS bool
	Rows          int64 // -1: never analysed
	Partition     bool
}

func (r relation) qualified() string { return r.Schema + "." + r.Name }

type foreignKey struct {
	From, To uint32
	Name     string
	Columns  []string
}

type viewDep struct{ View, Dep uint32 }

type function struct {
	OID             uint32
	Schema, Name    string
	Args            string
	Language        string
	Kind            string // f or p
	SecurityDefiner bool
	URLs            []evidence.Facts
	Tables          []uint32 // tables named in the body (FROM/JOIN/INTO/UPDATE/TABLE context)
}

func (f function) signature() string { return f.Schema + "." + f.Name + "(" + f.Args + ")" }

type trigger struct {
	Table    uint32
	Name     string
	Function uint32
	Type     int16
	Enabled  string
	// Webhook: the trigger calls supabase_functions.http_request; URL facts and method only.
	Webhook       bool
	WebhookURL    evidence.Facts
	WebhookMethod string
}

type policy struct {
	Table      uint32
	Name       string
	Permissive bool
	Command    string
	Roles      []string
}

type extension struct{ Name, Version, Schema string }

type cronJob struct {
	ID        int64
	Name      string
	Schedule  string
	Database  string
	Username  string
	Active    bool
	URLs      []evidence.Facts
	Functions []uint32 // functions the command calls
}

type bucket struct {
	ID, Name string
	Public   bool
}

type publication struct {
	Name      string
	AllTables bool
	Tables    []string // schema.table
}

type foreignServer struct {
	Name, Wrapper, Host string
}

// readCatalog connects with dsn and reads the catalog in one read-only transaction. Errors never
// contain the connection string or its password.
func readCatalog(ctx context.Context, dsn evidence.Secret, check func(context.Context, pgx.Tx) error) (*catalog, error) {
	conn, secrets, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin read-only transaction: %w", scrub(err, secrets))
	}
	// Read-only: nothing to commit; rollback ends it the same way whatever happened.
	defer tx.Rollback(context.WithoutCancel(ctx))
	// A catalog read must not hang behind a migration's exclusive lock nor run away.
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d; SET LOCAL lock_timeout = %d",
		statementTimeout.Milliseconds(), lockTimeout.Milliseconds())); err != nil {
		return nil, fmt.Errorf("set statement_timeout: %w", scrub(err, secrets))
	}
	r := &reader{tx: tx, cat: &catalog{}}
	if err := r.read(ctx); err != nil {
		return nil, scrub(err, secrets)
	}
	if check != nil {
		if err := check(ctx, tx); err != nil {
			return nil, err
		}
	}
	return r.cat, nil
}

// scrub replaces every secret occurring in err's text. pgconn errors name user, host and
// database but may quote the connection string; the password must never reach a warning.
func scrub(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

type reader struct {
	tx  pgx.Tx
	cat *catalog
}

func (r *reader) read(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"probe optional catalogs", r.probe},
		{"schemas", r.schemas},
		{"tables and views", r.relations},
		{"foreign keys", r.foreignKeys},
		{"view dependencies", r.viewDeps},
		{"triggers", r.triggers},
		{"functions", r.functions},
		{"policies", r.policies},
		{"extensions", r.extensions},
		{"publications", r.publications},
		{"foreign servers", r.foreignServers},
		{"pg_cron jobs", r.cronJobs},
		{"storage buckets", r.buckets},
		{"vault secret names", r.vault},
	}
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// probe finds which optional catalogs exist and are readable, so a database without pg_cron, Storage or webhooks
// is read without errors (a failed statement would abort the transaction).
func (r *reader) probe(ctx context.Context) error {
	// to_regclass would fail on a schema the role may not use; look the tables up in pg_class.
	rows, err := r.tx.Query(ctx, `
WITH t(schema, name) AS (VALUES ('cron', 'job'), ('storage', 'buckets'), ('vault', 'secrets'))
SELECT t.schema || '.' || t.name,
       coalesce(bool_or(has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')), false)
FROM t LEFT JOIN pg_namespace n ON n.nspname = t.schema
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
GROUP BY 1`)
	if err != nil {
		return err
	}
	readable := map[string]bool{}
	for rows.Next() {
		var name string
		var ok bool
		if err := rows.Scan(&name, &ok); err != nil {
			return err
		}
		readable[name] = ok
	}
	if err := rows.Err(); err != nil {
		return err
	}
	r.cat.Probes.Cron, r.cat.Probes.Storage, r.cat.Probes.Vault = readable["cron.job"], readable["storage.buckets"], readable["vault.secrets"]
	return r.tx.QueryRow(ctx, `
SELECT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'supabase_functions' AND p.proname = 'http_request'
                 AND p.prorettype = 'trigger'::regtype)`).Scan(&r.cat.Probes.Webhooks)
}

const userSchemaFilter = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'`

// notExtensionMember leaves out objects an extension created (pg_cron's cron.job, PostGIS'
// spatial_ref_sys, pgcrypto's functions): they are the extension, not the user's schema.
const notExtensionMember = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = %s::regclass
  AND d.objid = %s AND d.deptype = 'e')`

func (r *reader) schemas(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `SELECT n.nspname FROM pg_namespace n WHERE `+userSchemaFilter+`
  AND `+fmt.Sprintf(notExtensionMember, "'pg_namespace'", "n.oid")+` ORDER BY 1`)
	if err != nil {
		return err
	}
	r.cat.Schemas, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return err
}

func (r *reader) relations(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
SELECT c.oid::int8, n.nspname, c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
       c.reltuples::int8, c.relispartition
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND `+userSchemaFilter+`
  AND `+fmt.Sprintf(notExtensionMember, "'pg_class'", "c.oid")+`
ORDER BY 2, 3`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var rel relation
		var oid int64
		if err := rows.Scan(&oid, &rel.Schema, &rel.Name, &rel.Kind, &rel.RLS, &rel.ForceRLS, &rel.Rows, &rel.Partition); err != nil {
			return err
		}
		rel.OID = uint32(oid)
		// Supabase's own views are plumbing, not the user's data model.
		if (rel.Kind == "v" || rel.Kind == "m") && isManaged(rel.Schema) {
			continue
		}
		r.cat.Relations = append(r.cat.Relations, rel)
	}
	return rows.Err()
}

func (r *reader) foreignKeys(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
SELECT con.conrelid::int8, con.confrelid::int8, con.conname,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.i)
FROM pg_constraint con WHERE con.contype = 'f' ORDER BY 1, 3`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var fk foreignKey
		var from, to int64
		if err := rows.Scan(&from, &to, &fk.Name, &fk.Columns); err != nil {
			return err
		}
		fk.From, fk.To = uint32(from), uint32(to)
		r.cat.ForeignKeys = append(r.cat.ForeignKeys, fk)
	}
	return rows.Err()
}

// viewDeps goes through pg_rewrite: a view's dependencies hang off its _RETURN rule, not the
// view's pg_class row, so joining pg_depend.objid to pg_class (as postgres-meta's dependency
// graph does) misses them.
func (r *reader) viewDeps(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
SELECT DISTINCT v.oid::int8, d.refobjid::int8
FROM pg_depend d
JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid
JOIN pg_class v ON v.oid = rw.ev_class
WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid AND v.relkind IN ('v', 'm')
ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v, dep int64
		if err := rows.Scan(&v, &dep); err != nil {
			return err
		}
		r.cat.ViewDeps = append(r.cat.ViewDeps, viewDep{View: uint32(v), Dep: uint32(dep)})
	}
	return rows.Err()
}

// triggers reads user triggers. tgargs is selected only for database webhooks
// (supabase_functions.http_request: [0] url, [1] method, [2] headers, [3] params, [4] timeout);
// only the URL's facts and the method are kept, the headers (a service-role JWT, usually) are
// dropped with the byte slice.
func (r *reader) triggers(ctx context.Context) error {
	webhookFn := `NULL::oid`
	if r.cat.Probes.Webhooks {
		webhookFn = `(SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'supabase_functions' AND p.proname = 'http_request' AND p.prorettype = 'trigger'::regtype LIMIT 1)`
	}
	rows, err := r.tx.Query(ctx, `
WITH hook AS (SELECT `+webhookFn+` AS oid)
SELECT t.tgrelid::int8, t.tgname, t.tgfoid::int8, t.tgtype, t.tgenabled::text,
       t.tgfoid = hook.oid AND hook.oid IS NOT NULL,
       CASE WHEN t.tgfoid = hook.oid THEN t.tgargs END
FROM pg_trigger t CROSS JOIN hook
WHERE NOT t.tgisinternal ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var tg trigger
		var rel, fn int64
		var args []byte
		var webhook *bool
		if err := rows.Scan(&rel, &tg.Name, &fn, &tg.Type, &tg.Enabled, &webhook, &args); err != nil {
			return err
		}
		tg.Table, tg.Function = uint32(rel), uint32(fn)
		if webhook != nil && *webhook {
			tg.Webhook = true
			parts := bytes.Split(args, []byte{0})
			if len(parts) > 0 {
				if f, ok := evidence.Parse(string(parts[0])); ok {
					tg.WebhookURL = f
				}
			}
			if len(parts) > 1 {
				m := strings.ToUpper(strings.TrimSpace(string(parts[1])))
				switch m {
				case "GET", "POST", "PUT", "PATCH", "DELETE":
					tg.WebhookMethod = m
				}
			}
			clear(args)
		}
		r.cat.Triggers = append(r.cat.Triggers, tg)
	}
	return rows.Err()
}

// functions reads user functions (not extension members). Functions in Supabase's schemas are
// kept only when a trigger runs them. Bodies are scanned here and dropped.
func (r *reader) functions(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
SELECT p.oid::int8, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), l.lanname,
       p.prokind::text, p.prosecdef,
       CASE WHEN l.lanname IN ('c', 'internal') THEN '' ELSE coalesce(p.prosrc, '') END
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p') AND `+userSchemaFilter+`
  AND `+fmt.Sprintf(notExtensionMember, "'pg_proc'", "p.oid")+`
  AND (n.nspname <> ALL($1::text[]) OR p.oid IN (SELECT tgfoid FROM pg_trigger WHERE NOT tgisinternal))
ORDER BY 2, 3, 4`, managedSchemas)
	if err != nil {
		return err
	}
	tables := r.tableIndex()
	for rows.Next() {
		var f function
		var oid int64
		var body string
		if err := rows.Scan(&oid, &f.Schema, &f.Name, &f.Args, &f.Language, &f.Kind, &f.SecurityDefiner, &body); err != nil {
			return err
		}
		f.OID = uint32(oid)
		f.URLs = evidence.URLsIn(body)
		f.Tables = tables.mentioned(body, f.Schema)
		body = ""
		r.cat.Functions = append(r.cat.Functions, f)
	}
	return rows.Err()
}

func (r *reader) policies(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
SELECT pol.polrelid::int8, pol.polname, pol.polpermissive, pol.polcmd::text,
       ARRAY(SELECT CASE WHEN x.r = 0 THEN 'public' ELSE pg_get_userbyid(x.r)::text END
             FROM unnest(pol.polroles) x(r) ORDER BY 1)
FROM pg_policy pol ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p policy
		var rel int64
		var cmd string
		if err := rows.Scan(&rel, &p.Name, &p.Permissive, &cmd, &p.Roles); err != nil {
			return err
		}
		p.Table = uint32(rel)
		p.Command = map[string]string{"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}[cmd]
		r.cat.Policies = append(r.cat.Policies, p)
	}
	return rows.Err()
}

func (r *reader) extensions(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
SELECT e.extname, e.extversion, n.nspname FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1`)
	if err != nil {
		return err
	}
	r.cat.Extensions, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (extension, error) {
		var e extension
		return e, row.Scan(&e.Name, &e.Version, &e.Schema)
	})
	return err
}

func (r *reader) publications(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
SELECT p.pubname, p.puballtables,
       ARRAY(SELECT pt.schemaname || '.' || pt.tablename FROM pg_publication_tables pt
             WHERE pt.pubname = p.pubname ORDER BY 1)
FROM pg_publication p ORDER BY 1`)
	if err != nil {
		return err
	}
	r.cat.Publications, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (publication, error) {
		var p publication
		return p, row.Scan(&p.Name, &p.AllTables, &p.Tables)
	})
	return err
}

// foreignServers reads server options for the host only; pg_user_mappings (credentials) is never
// read.
func (r *reader) foreignServers(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
SELECT s.srvname, w.fdwname,
       coalesce((SELECT split_part(o, '=', 2) FROM unnest(s.srvoptions) o
                 WHERE split_part(o, '=', 1) IN ('host', 'hostname', 'server', 'address') LIMIT 1), '')
FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw ORDER BY 1`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var s foreignServer
		var host string
		if err := rows.Scan(&s.Name, &s.Wrapper, &host); err != nil {
			return err
		}
		if f, ok := evidence.Parse(host); ok {
			s.Host = f.Host
		}
		r.cat.Servers = append(r.cat.Servers, s)
	}
	return rows.Err()
}

// cronJobs reads pg_cron's job table (present only in the database pg_cron runs in). The command
// is scanned for URLs and function calls, then dropped: it usually carries a bearer token.
func (r *reader) cronJobs(ctx context.Context) error {
	if !r.cat.Probes.Cron {
		return nil
	}
	rows, err := r.tx.Query(ctx, `
SELECT jobid, coalesce(jobname, ''), schedule, command, database, username, active
FROM cron.job ORDER BY jobid`)
	if err != nil {
		return err
	}
	fns := r.functionIndex()
	for rows.Next() {
		var j cronJob
		var command string
		if err := rows.Scan(&j.ID, &j.Name, &j.Schedule, &command, &j.Database, &j.Username, &j.Active); err != nil {
			return err
		}
		j.URLs = evidence.URLsIn(command)
		j.Functions = fns.called(command)
		command = ""
		r.cat.CronJobs = append(r.cat.CronJobs, j)
	}
	return rows.Err()
}

func (r *reader) buckets(ctx context.Context) error {
	if !r.cat.Probes.Storage {
		return nil
	}
	rows, err := r.tx.Query(ctx, `SELECT id::text, name::text, coalesce(public, false) FROM storage.buckets ORDER BY 1`)
	if err != nil {
		return err
	}
	r.cat.Buckets, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (bucket, error) {
		var b bucket
		return b, row.Scan(&b.ID, &b.Name, &b.Public)
	})
	return err
}

// vault reads secret names only: never the secret column, never vault.decrypted_secrets.
func (r *reader) vault(ctx context.Context) error {
	if !r.cat.Probes.Vault {
		return nil
	}
	rows, err := r.tx.Query(ctx, `SELECT name::text FROM vault.secrets WHERE name IS NOT NULL ORDER BY 1`)
	if err != nil {
		return err
	}
	r.cat.VaultSecrets, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return err
}

// ident is one SQL identifier, quoted or not; qualifiedName is [schema.]name.
const ident = `(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)`

var (
	tableMention = regexp.MustCompile(`(?i)\b(?:from|join|into|update|table|truncate)\s+(?:only\s+)?(` + ident + `(?:\s*\.\s*` + ident + `)?)`)
	functionCall = regexp.MustCompile(`(` + ident + `(?:\s*\.\s*` + ident + `)?)\s*\(`)
)

// splitName turns `"Sales".orders` into ("Sales", "orders"); unquoted names fold to lower case
// as PostgreSQL folds them. schema is "" when unqualified.
func splitName(s string) (schema, name string) {
	var parts []string
	for _, p := range strings.Split(s, ".") {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, `"`) {
			parts = append(parts, strings.Trim(p, `"`))
		} else {
			parts = append(parts, strings.ToLower(p))
		}
	}
	if len(parts) == 2 {
		return parts[0], parts[1]
	}
	return "", parts[0]
}

type relIndex map[string]uint32 // schema.name → oid

func (r *reader) tableIndex() relIndex {
	idx := relIndex{}
	for _, rel := range r.cat.Relations {
		idx[rel.qualified()] = rel.OID
	}
	return idx
}

// mentioned returns the relations a body names in a SQL position, resolving unqualified names
// against the function's own schema, then public.
func (idx relIndex) mentioned(body, schema string) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	for _, m := range tableMention.FindAllStringSubmatch(body, -1) {
		s, n := splitName(m[1])
		candidates := []string{s + "." + n}
		if s == "" {
			candidates = []string{schema + "." + n, "public." + n}
		}
		for _, c := range candidates {
			if oid, ok := idx[c]; ok {
				if !seen[oid] {
					seen[oid] = true
					out = append(out, oid)
				}
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

type fnIndex map[string][]uint32 // schema.name → overloads

func (r *reader) functionIndex() fnIndex {
	idx := fnIndex{}
	for _, f := range r.cat.Functions {
		k := f.Schema + "." + f.Name
		idx[k] = append(idx[k], f.OID)
	}
	return idx
}

// called returns the known functions a command calls (unqualified names resolve to public).
func (idx fnIndex) called(command string) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	for _, m := range functionCall.FindAllStringSubmatch(command, -1) {
		s, n := splitName(m[1])
		if s == "" {
			s = "public"
		}
		for _, oid := range idx[s+"."+n] {
			if !seen[oid] {
				seen[oid] = true
				out = append(out, oid)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// connect opens a connection to dsn for reading the catalog. secrets are what errors must not
// show (the connection string and its password).
func connect(ctx context.Context, dsn evidence.Secret) (conn *pgx.Conn, secrets []string, err error) {
	cfg, err := pgx.ParseConfig(dsn.Reveal())
	if err != nil {
		// pgx's parse errors quote the connection string (redacted, but not in every form): say
		// only that it does not parse.
		return nil, nil, errors.New("the connection string does not parse (expected postgres://user:password@host:port/db or key=value form)")
	}
	secrets = []string{dsn.Reveal(), cfg.Password}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	cfg.RuntimeParams["application_name"] = "infragraph-discover"
	// Poolers in transaction mode (Supavisor :6543, PgBouncer) cannot keep named prepared
	// statements between transactions; the simple protocol works everywhere.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err = pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", scrub(err, secrets))
	}
	return conn, secrets, nil
}
