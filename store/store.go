// Package store keeps one organisation's graph in PostgreSQL, published by many scans (shards):
// one per Vercel team, DigitalOcean account, Supabase organisation or Docker host, each on its own
// schedule. See README.md, "One graph for an organisation".
//
// A shard's publish replaces, in one transaction, exactly what its own sources (collector
// instances, "digitalocean/prod") own: their nodes, observed edges and statuses. What a failed
// source owned is carried forward stale by the same code as the file history (history.Carry),
// with the store's rows as the previous scan. Sources other shards own are never touched.
//
// Concurrency: every transaction takes PostgreSQL advisory locks scoped to the transaction
// (pg_advisory_xact_lock), never to the session, so they hold through a transaction-mode pooler
// and vanish with a killed client. A publish takes the store lock shared, then each of its
// sources' locks exclusively in sorted order (two publishers never wait on each other in a
// cycle); an inference takes the store lock exclusively, so it reads a graph no publish is
// changing, and replaces the inferred edges in the same transaction. SERIALIZABLE with retries
// was the alternative: a retry repeats a COPY of 100,000 rows, and two shards that share a node
// (a git repository) would conflict on every run.
//
// The DSN is a secret: it is never part of an error, a log line or an output. Errors of this
// package have it (and its password) scrubbed.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SchemaVersion is the store schema this binary writes and reads: the number of its newest
// migration.
var SchemaVersion = func() int {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		panic(fmt.Sprintf("store migrations: %v", err)) // embedded at build time: a bug, not input
	}
	return ms[len(ms)-1].version
}()

// Store is a connection string to a store. It connects per operation: a CLI run does a few, and
// through a pooler a connection is cheap.
type Store struct {
	cfg    *pgx.ConnConfig
	secret []string // the DSN and its password: scrubbed from every error
}

// Open parses dsn (a postgres:// URL or key=value string). It does not connect.
//
// For a transaction-mode pooler (Supabase's on port 6543, PgBouncer), add
// default_query_exec_mode=simple_protocol: no prepared statement then outlives a transaction.
func Open(dsn string) (*Store, error) {
	secret := secretsOf(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, &Error{Op: "parse the store URL", Err: errors.New(scrub(err.Error(), secret))}
	}
	if cfg.Password != "" {
		secret = append(secret, cfg.Password)
	}
	cfg.RuntimeParams["application_name"] = "infragraph"
	return &Store{cfg: cfg, secret: secret}, nil
}

// secretsOf lists what of a DSN must never be shown: the whole string and its password.
func secretsOf(dsn string) []string {
	s := []string{dsn}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			s = append(s, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	for _, f := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(f, "password="); ok && v != "" {
			s = append(s, strings.Trim(v, "'"))
		}
	}
	return s
}

func scrub(msg string, secrets []string) string {
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// Error is a store operation that failed, its message free of the DSN.
type Error struct {
	Op  string
	Err error
}

func (e *Error) Error() string { return "store: " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// fail wraps err for op with every secret of the DSN scrubbed from its message. The chain is
// cut (the message is kept): a driver error may quote the connection string.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) || errors.Is(err, ErrNoNode) {
		return err
	}
	var ve *VersionError
	if errors.As(err, &ve) {
		return &Error{Op: op, Err: ve}
	}
	return &Error{Op: op, Err: errors.New(scrub(err.Error(), s.secret))}
}

// Where names the store without its secret: host, port and database.
func (s *Store) Where() string {
	return fmt.Sprintf("postgres://%s:%d/%s", s.cfg.Host, s.cfg.Port, s.cfg.Database)
}

func (s *Store) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.ConnectConfig(ctx, s.cfg.Copy())
}

// tx runs f in one transaction on a fresh connection. A failure of f (or a killed client)
// rolls everything back.
func (s *Store) tx(ctx context.Context, op string, opts pgx.TxOptions, f func(pgx.Tx) error) error {
	conn, err := s.connect(ctx)
	if err != nil {
		return s.fail(op, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return s.fail(op, pgx.BeginTxFunc(ctx, conn, opts, f))
}

// Lock keys: hashtextextended of a name in infragraph's own namespace.
const (
	storeLock   = "infragraph:store"
	migrateLock = "infragraph:migrate"
)

func sourceLock(source string) string { return "infragraph:source:" + source }

func xactLock(ctx context.Context, tx pgx.Tx, key string, shared bool) error {
	fn := "pg_advisory_xact_lock"
	if shared {
		fn = "pg_advisory_xact_lock_shared"
	}
	_, err := tx.Exec(ctx, "SELECT "+fn+"(hashtextextended($1, 0))", key)
	return err
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its version number", e.Name())
		}
		b, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must be 1, 2, 3...", m.name)
		}
	}
	return ms, nil
}

// Migrate brings the store's schema to SchemaVersion: each migration this binary embeds and
// the store lacks, in order, in one transaction under the migration lock (two shards starting
// together migrate once). A store newer than this binary is refused.
//
// A small migrator of our own rather than golang-migrate or goose: both lock with session-level
// advisory locks (pg_advisory_lock), which a transaction-mode pooler hands to another client,
// and we need two dozen lines, not their drivers.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return &Error{Op: "migrate", Err: err}
	}
	// Up to date: nothing to write (a read-only role may call this).
	if err := s.tx(ctx, "migrate", readOnly, func(tx pgx.Tx) error { return checkVersion(ctx, tx) }); err == nil {
		return nil
	}
	return s.tx(ctx, "migrate", pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := xactLock(ctx, tx, migrateLock, false); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS infragraph`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS infragraph.schema_version (
			version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var cur int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM infragraph.schema_version`).Scan(&cur); err != nil {
			return err
		}
		if cur > SchemaVersion {
			return &VersionError{Store: cur, Binary: SchemaVersion}
		}
		for _, m := range ms[cur:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO infragraph.schema_version (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return err
			}
		}
		return nil
	})
}

// VersionError is a store whose schema this binary cannot read.
type VersionError struct{ Store, Binary int }

func (e *VersionError) Error() string {
	switch {
	case e.Store == 0:
		return "the store is empty: publish to it first (`discover scan --store`, with a role that may create tables)"
	case e.Store > e.Binary:
		return fmt.Sprintf("the store's schema is version %d, newer than this discover's %d: upgrade discover", e.Store, e.Binary)
	}
	return fmt.Sprintf("the store's schema is version %d, older than this discover's %d: publish once with this version (`discover scan --store` or `discover infer --store`) to migrate it", e.Store, e.Binary)
}

// checkVersion is the read side's schema check.
func checkVersion(ctx context.Context, tx pgx.Tx) error {
	var reg *string
	if err := tx.QueryRow(ctx, `SELECT to_regclass('infragraph.schema_version')::text`).Scan(&reg); err != nil {
		return err
	}
	cur := 0
	if reg != nil {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM infragraph.schema_version`).Scan(&cur); err != nil {
			return err
		}
	}
	if cur != SchemaVersion {
		return &VersionError{Store: cur, Binary: SchemaVersion}
	}
	return nil
}
