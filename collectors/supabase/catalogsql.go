package supabase

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/evidence"
)

// The catalog is read in two statements, whichever transport runs them: a probe (which optional
// catalogs exist and are readable) and one statement that returns the whole catalog as a single
// JSON document. Both answer one row with one json column, doc, so the same bytes come back
// through a pgx transaction (the DSN path) and through the Management API's read-only query
// endpoint (the token-only path), and the same decoder turns them into the catalog: one model,
// two transports, and the same nodes, edges and ids whichever read it.
//
// What the statements select is what may be kept in memory, because the Management API's answer
// carries every selected value: never vault.secrets.secret nor vault.decrypted_secrets, never
// pg_user_mappings, never a webhook's header argument. Function bodies and cron commands are
// reduced in SQL before they are selected: the URLs in them (userinfo password, query and
// fragment dropped) and the code with every string literal, comment and dollar-quoted string
// blanked (bearer tokens, apikey headers and JSON bodies live in literals). The Go side then
// scans that reduced text exactly as it scanned the full text before (evidence.URLsIn, table
// mentions, function calls).

// querier runs one catalog statement and returns its single json value, doc.
type querier interface {
	doc(ctx context.Context, sql string) ([]byte, error)
}

// txQuerier runs statements in the DSN path's read-only transaction.
type txQuerier struct{ tx pgx.Tx }

func (q txQuerier) doc(ctx context.Context, sql string) ([]byte, error) {
	var s string
	if err := q.tx.QueryRow(ctx, sql).Scan(&s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// readCatalogWith reads and decodes the catalog through q: two statements.
func readCatalogWith(ctx context.Context, q querier) (*catalog, error) {
	cat := &catalog{}
	b, err := q.doc(ctx, probeSQL)
	if err != nil {
		return nil, fmt.Errorf("probe optional catalogs: %w", err)
	}
	if err := json.Unmarshal(b, &cat.Probes); err != nil {
		return nil, fmt.Errorf("probe optional catalogs: decode: %w", err)
	}
	b, err = q.doc(ctx, catalogSQL(cat.Probes))
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	if err := decodeCatalog(b, cat); err != nil {
		return nil, fmt.Errorf("read catalog: decode: %w", err)
	}
	return cat, nil
}

// probeSQL finds which optional catalogs exist and are readable, so a database without pg_cron,
// Storage, vault or webhooks is read without errors (a statement naming a missing table fails).
// to_regclass would fail on a schema the role may not use; the tables are looked up in pg_class.
const probeSQL = `WITH t(schema, name) AS (VALUES ('cron', 'job'), ('storage', 'buckets'), ('vault', 'secrets')),
r AS (SELECT t.schema || '.' || t.name AS k,
        coalesce(bool_or(has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')), false) AS ok
      FROM t LEFT JOIN pg_namespace n ON n.nspname = t.schema
      LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
      GROUP BY 1)
SELECT json_build_object(
  'cron', coalesce((SELECT ok FROM r WHERE k = 'cron.job'), false),
  'storage', coalesce((SELECT ok FROM r WHERE k = 'storage.buckets'), false),
  'vault', coalesce((SELECT ok FROM r WHERE k = 'vault.secrets'), false),
  'webhooks', EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'supabase_functions' AND p.proname = 'http_request'
                 AND p.prorettype = 'trigger'::regtype))::text AS doc`

const userSchemaFilter = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'`

// notExtensionMember leaves out objects an extension created (pg_cron's cron.job, PostGIS'
// spatial_ref_sys, pgcrypto's functions): they are the extension, not the user's schema.
const notExtensionMember = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = %s::regclass
  AND d.objid = %s AND d.deptype = 'e')`

// urlPattern is evidence's urlLiteral in PostgreSQL's regex dialect, stopping before a query or
// fragment (where keys travel: ?apikey=...).
const urlPattern = `((?:https?|wss?|postgres(?:ql)?|mysql|rediss?|amqps?|mongodb(?:\+srv)?)://[^\s'"<>()\[\]{},;\\?#]+)`

// codePattern matches what is blanked out of code: a quoted identifier (kept, group 1), a line
// or block comment, an escape or plain string literal, a dollar-quoted string. One alternation, so the
// text is tokenized left to right: an apostrophe in a comment cannot pair with a literal's quote.
// Greediness: PostgreSQL takes the RE's first quantifier's, so a dollar-quoted span may reach a
// later tag and blank the code between (less evidence, never a secret kept).
const codePattern = `("(?:[^"]|"")*")|--[^\n]*|/\*[^*]*\*+(?:[^/*][^*]*\*+)*/|[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|\$([A-Za-z_][A-Za-z0-9_]*)?\$.*?\$\2\$`

// reducedSQL is an SQL expression turning the text expression x into what may leave the
// database: its URLs (without password, query or fragment), then its code with literals,
// comments and dollar-quoted strings blanked.
func reducedSQL(x string) string {
	return `(SELECT coalesce(string_agg(regexp_replace(m[1], '^([a-z][a-z0-9+.-]*://[^:/@]*):[^/@]*@', '\1@', 'i'), ' '), '')
   FROM regexp_matches(` + x + `, $re$` + urlPattern + `$re$, 'gi') m) || E'\n' ||
  regexp_replace(` + x + `, $re$` + codePattern + `$re$, ' \1 ', 'g')`
}

// rowsSQL aggregates the rows of query into a JSON array of objects (one key per column) in
// order. Names sort in the C collation, as the catalog's name type does, whatever the database's.
func rowsSQL(query, order string) string {
	return "(SELECT coalesce(json_agg(q ORDER BY " + order + "), '[]'::json) FROM (" + query + ") q)"
}

// catalogSQL is the whole catalog as one JSON document, optional parts only when pr found them.
func catalogSQL(pr probes) string {
	managed := make([]string, len(managedSchemas))
	for i, s := range managedSchemas {
		managed[i] = "'" + s + "'" // constants: no quoting needed beyond this
	}
	parts := [][2]string{
		{"schemas", rowsSQL(`SELECT n.nspname::text AS name FROM pg_namespace n WHERE `+userSchemaFilter+`
  AND `+fmt.Sprintf(notExtensionMember, "'pg_namespace'", "n.oid"), `q.name COLLATE "C"`)},
		{"relations", rowsSQL(`SELECT c.oid::int8 AS oid, n.nspname::text AS schema, c.relname::text AS name,
  c.relkind::text AS kind, c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
  c.reltuples::int8 AS rows, c.relispartition AS partition
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND `+userSchemaFilter+`
  AND `+fmt.Sprintf(notExtensionMember, "'pg_class'", "c.oid"), `q.schema COLLATE "C", q.name COLLATE "C"`)},
		{"foreign_keys", rowsSQL(`SELECT con.conrelid::int8 AS from_oid, con.confrelid::int8 AS to_oid, con.conname::text AS name,
  ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.i) AS columns
FROM pg_constraint con WHERE con.contype = 'f'`, `q.from_oid, q.name COLLATE "C"`)},
		// A view's dependencies hang off its _RETURN rule, not the view's pg_class row, so
		// joining pg_depend.objid to pg_class (as postgres-meta's dependency graph does) misses
		// them: go through pg_rewrite.
		{"view_deps", rowsSQL(`SELECT DISTINCT v.oid::int8 AS view_oid, d.refobjid::int8 AS dep_oid
FROM pg_depend d
JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid
JOIN pg_class v ON v.oid = rw.ev_class
WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid AND v.relkind IN ('v', 'm')`, `q.view_oid, q.dep_oid`)},
		// Database webhooks call supabase_functions.http_request with [0] url, [1] method,
		// [2] headers, [3] params, [4] timeout: only the URL (reduced) and a known method are
		// selected; the headers (a service-role JWT, usually) never leave the database.
		{"triggers", rowsSQL(`WITH hook AS (SELECT (SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'supabase_functions' AND p.proname = 'http_request' AND p.prorettype = 'trigger'::regtype LIMIT 1) AS oid),
t AS (SELECT t.*, coalesce(t.tgfoid = hook.oid, false) AS webhook,
        CASE WHEN t.tgfoid = hook.oid THEN encode(t.tgargs, 'escape') END AS args
      FROM pg_trigger t CROSS JOIN hook WHERE NOT t.tgisinternal)
SELECT t.tgrelid::int8 AS rel_oid, t.tgname::text AS name, t.tgfoid::int8 AS fn_oid, t.tgtype AS type,
  t.tgenabled::text AS enabled, t.webhook,
  CASE WHEN t.webhook THEN (regexp_match(split_part(t.args, '\000', 1), $re$`+urlPattern+`$re$, 'i'))[1] END AS url,
  CASE WHEN upper(btrim(split_part(t.args, '\000', 2))) IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
       THEN upper(btrim(split_part(t.args, '\000', 2))) END AS method
FROM t`, `q.rel_oid, q.name COLLATE "C"`)},
		// Functions in Supabase's schemas are kept only when a trigger runs them.
		{"functions", rowsSQL(`SELECT p.oid::int8 AS oid, n.nspname::text AS schema, p.proname::text AS name,
  pg_get_function_identity_arguments(p.oid) AS args, l.lanname::text AS language,
  p.prokind::text AS kind, p.prosecdef AS security_definer,
  CASE WHEN l.lanname IN ('c', 'internal') THEN '' ELSE `+reducedSQL("coalesce(p.prosrc, '')")+` END AS body
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p') AND `+userSchemaFilter+`
  AND `+fmt.Sprintf(notExtensionMember, "'pg_proc'", "p.oid")+`
  AND (n.nspname NOT IN (`+strings.Join(managed, ", ")+`) OR p.oid IN (SELECT tgfoid FROM pg_trigger WHERE NOT tgisinternal))`,
			`q.schema COLLATE "C", q.name COLLATE "C", q.args COLLATE "C"`)},
		{"policies", rowsSQL(`SELECT pol.polrelid::int8 AS rel_oid, pol.polname::text AS name, pol.polpermissive AS permissive,
  pol.polcmd::text AS command,
  ARRAY(SELECT CASE WHEN x.r = 0 THEN 'public' ELSE pg_get_userbyid(x.r)::text END
        FROM unnest(pol.polroles) x(r) ORDER BY 1) AS roles
FROM pg_policy pol`, `q.rel_oid, q.name COLLATE "C"`)},
		{"extensions", rowsSQL(`SELECT e.extname::text AS name, e.extversion AS version, n.nspname::text AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`, `q.name COLLATE "C"`)},
		{"publications", rowsSQL(`SELECT p.pubname::text AS name, p.puballtables AS all_tables,
  ARRAY(SELECT pt.schemaname || '.' || pt.tablename FROM pg_publication_tables pt
        WHERE pt.pubname = p.pubname ORDER BY 1) AS tables
FROM pg_publication p`, `q.name COLLATE "C"`)},
		// Server options for the host only; pg_user_mappings (credentials) is never read.
		{"servers", rowsSQL(`SELECT s.srvname::text AS name, w.fdwname::text AS wrapper,
  coalesce((SELECT split_part(o, '=', 2) FROM unnest(s.srvoptions) o
            WHERE split_part(o, '=', 1) IN ('host', 'hostname', 'server', 'address') LIMIT 1), '') AS host
FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw`, `q.name COLLATE "C"`)},
	}
	if pr.Cron {
		// The command usually carries a bearer token: only its reduced form is selected.
		parts = append(parts, [2]string{"cron_jobs", rowsSQL(`SELECT jobid AS id, coalesce(jobname, '')::text AS name, schedule::text AS schedule,
  `+reducedSQL("command")+` AS command, database::text AS database, username::text AS username, active
FROM cron.job`, `q.id`)})
	}
	if pr.Storage {
		parts = append(parts, [2]string{"buckets", rowsSQL(`SELECT id::text AS id, name::text AS name, coalesce(public, false) AS public
FROM storage.buckets`, `q.id COLLATE "C"`)})
	}
	if pr.Vault {
		// Names only: never the secret column, never vault.decrypted_secrets.
		parts = append(parts, [2]string{"vault", rowsSQL(`SELECT name::text AS name FROM vault.secrets WHERE name IS NOT NULL`, `q.name COLLATE "C"`)})
	}
	var b strings.Builder
	b.WriteString("SELECT json_build_object(")
	for i, p := range parts {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("'" + p[0] + "', " + p[1])
	}
	b.WriteString(")::text AS doc")
	return b.String()
}

// catalogDoc is catalogSQL's document.
type catalogDoc struct {
	Schemas []struct {
		Name string `json:"name"`
	} `json:"schemas"`
	Relations []struct {
		OID       uint32 `json:"oid"`
		Schema    string `json:"schema"`
		Name      string `json:"name"`
		Kind      string `json:"kind"`
		RLS       bool   `json:"rls"`
		ForceRLS  bool   `json:"force_rls"`
		Rows      int64  `json:"rows"`
		Partition bool   `json:"partition"`
	} `json:"relations"`
	ForeignKeys []struct {
		From    uint32   `json:"from_oid"`
		To      uint32   `json:"to_oid"`
		Name    string   `json:"name"`
		Columns []string `json:"columns"`
	} `json:"foreign_keys"`
	ViewDeps []struct {
		View uint32 `json:"view_oid"`
		Dep  uint32 `json:"dep_oid"`
	} `json:"view_deps"`
	Triggers []struct {
		Table    uint32  `json:"rel_oid"`
		Name     string  `json:"name"`
		Function uint32  `json:"fn_oid"`
		Type     int16   `json:"type"`
		Enabled  string  `json:"enabled"`
		Webhook  bool    `json:"webhook"`
		URL      *string `json:"url"`
		Method   *string `json:"method"`
	} `json:"triggers"`
	Functions []struct {
		OID             uint32 `json:"oid"`
		Schema          string `json:"schema"`
		Name            string `json:"name"`
		Args            string `json:"args"`
		Language        string `json:"language"`
		Kind            string `json:"kind"`
		SecurityDefiner bool   `json:"security_definer"`
		Body            string `json:"body"`
	} `json:"functions"`
	Policies []struct {
		Table      uint32   `json:"rel_oid"`
		Name       string   `json:"name"`
		Permissive bool     `json:"permissive"`
		Command    string   `json:"command"`
		Roles      []string `json:"roles"`
	} `json:"policies"`
	Extensions []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Schema  string `json:"schema"`
	} `json:"extensions"`
	Publications []struct {
		Name      string   `json:"name"`
		AllTables bool     `json:"all_tables"`
		Tables    []string `json:"tables"`
	} `json:"publications"`
	Servers []struct {
		Name    string `json:"name"`
		Wrapper string `json:"wrapper"`
		Host    string `json:"host"`
	} `json:"servers"`
	CronJobs []struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Schedule string `json:"schedule"`
		Command  string `json:"command"`
		Database string `json:"database"`
		Username string `json:"username"`
		Active   bool   `json:"active"`
	} `json:"cron_jobs"`
	Buckets []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Public bool   `json:"public"`
	} `json:"buckets"`
	Vault []struct {
		Name string `json:"name"`
	} `json:"vault"`
}

// decodeCatalog turns catalogSQL's document into cat (whose Probes are set). Bodies and commands
// are scanned here and dropped with the document.
func decodeCatalog(b []byte, cat *catalog) error {
	var d catalogDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	for _, s := range d.Schemas {
		cat.Schemas = append(cat.Schemas, s.Name)
	}
	for _, r := range d.Relations {
		// Supabase's own views are plumbing, not the user's data model.
		if (r.Kind == "v" || r.Kind == "m") && isManaged(r.Schema) {
			continue
		}
		cat.Relations = append(cat.Relations, relation{OID: r.OID, Schema: r.Schema, Name: r.Name, Kind: r.Kind,
			RLS: r.RLS, ForceRLS: r.ForceRLS, Rows: r.Rows, Partition: r.Partition})
	}
	for _, fk := range d.ForeignKeys {
		cat.ForeignKeys = append(cat.ForeignKeys, foreignKey{From: fk.From, To: fk.To, Name: fk.Name, Columns: fk.Columns})
	}
	for _, v := range d.ViewDeps {
		cat.ViewDeps = append(cat.ViewDeps, viewDep{View: v.View, Dep: v.Dep})
	}
	for _, t := range d.Triggers {
		tg := trigger{Table: t.Table, Name: t.Name, Function: t.Function, Type: t.Type, Enabled: t.Enabled, Webhook: t.Webhook}
		if t.Webhook {
			if t.URL != nil {
				if f, ok := evidence.Parse(*t.URL); ok {
					tg.WebhookURL = f
				}
			}
			if t.Method != nil {
				tg.WebhookMethod = *t.Method
			}
		}
		cat.Triggers = append(cat.Triggers, tg)
	}
	tables := cat.tableIndex()
	for _, f := range d.Functions {
		cat.Functions = append(cat.Functions, function{OID: f.OID, Schema: f.Schema, Name: f.Name, Args: f.Args,
			Language: f.Language, Kind: f.Kind, SecurityDefiner: f.SecurityDefiner,
			URLs: evidence.URLsIn(f.Body), Tables: tables.mentioned(f.Body, f.Schema)})
	}
	for _, p := range d.Policies {
		cat.Policies = append(cat.Policies, policy{Table: p.Table, Name: p.Name, Permissive: p.Permissive,
			Command: map[string]string{"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}[p.Command],
			Roles:   p.Roles})
	}
	for _, e := range d.Extensions {
		cat.Extensions = append(cat.Extensions, extension{Name: e.Name, Version: e.Version, Schema: e.Schema})
	}
	for _, p := range d.Publications {
		cat.Publications = append(cat.Publications, publication{Name: p.Name, AllTables: p.AllTables, Tables: p.Tables})
	}
	for _, s := range d.Servers {
		fs := foreignServer{Name: s.Name, Wrapper: s.Wrapper}
		if f, ok := evidence.Parse(s.Host); ok {
			fs.Host = f.Host
		}
		cat.Servers = append(cat.Servers, fs)
	}
	fns := cat.functionIndex()
	for _, j := range d.CronJobs {
		cat.CronJobs = append(cat.CronJobs, cronJob{ID: j.ID, Name: j.Name, Schedule: j.Schedule, Database: j.Database,
			Username: j.Username, Active: j.Active, URLs: evidence.URLsIn(j.Command), Functions: fns.called(j.Command)})
	}
	for _, bk := range d.Buckets {
		cat.Buckets = append(cat.Buckets, bucket{ID: bk.ID, Name: bk.Name, Public: bk.Public})
	}
	for _, v := range d.Vault {
		cat.VaultSecrets = append(cat.VaultSecrets, v.Name)
	}
	return nil
}

// apiQuerier runs statements through the Management API's read-only query endpoint.
type apiQuerier struct {
	c   *client
	ref string
}

func (q apiQuerier) doc(ctx context.Context, sql string) ([]byte, error) {
	rows, err := q.c.readOnlyQuery(ctx, q.ref, sql)
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 {
		return nil, fmt.Errorf("the read-only query answered %d rows, want 1", len(rows))
	}
	var s string
	if err := json.Unmarshal(rows[0]["doc"], &s); err != nil {
		return nil, fmt.Errorf("the read-only query's doc column is not text: %w", err)
	}
	return []byte(s), nil
}
