package supabase

import (
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
	Cron     bool `json:"cron"`
	Storage  bool `json:"storage"`
	Webhooks bool `json:"webhooks"`
	Vault    bool `json:"vault"`
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
	cat, err := readCatalogWith(ctx, txQuerier{tx})
	if err != nil {
		return nil, scrub(err, secrets)
	}
	if check != nil {
		if err := check(ctx, tx); err != nil {
			return nil, err
		}
	}
	return cat, nil
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

func (cat *catalog) tableIndex() relIndex {
	idx := relIndex{}
	for _, rel := range cat.Relations {
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

func (cat *catalog) functionIndex() fnIndex {
	idx := fnIndex{}
	for _, f := range cat.Functions {
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
