// Package storetest gives tests a fresh database on the PostgreSQL scripts/test.sh starts
// (INFRAGRAPH_TEST_PG_DSN), in each of the store's two connection modes.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// AdminDSN is the superuser DSN of the test PostgreSQL. Without it a test fails under CI=true
// and is skipped otherwise.
func AdminDSN(t testing.TB) string {
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

// Modes are the two ways the store talks to PostgreSQL: pgx's default (prepared statements
// cached per connection) and the pooler-safe simple protocol (default_query_exec_mode).
var Modes = []string{"", "simple_protocol"}

// EachMode runs f against a fresh, empty database in each mode.
func EachMode(t *testing.T, f func(t *testing.T, dsn string)) {
	for _, m := range Modes {
		name := m
		if name == "" {
			name = "extended"
		}
		t.Run(name, func(t *testing.T) { f(t, FreshDB(t, m)) })
	}
}

// FreshDB creates a database for one test, dropped when it ends, and returns its DSN in mode.
func FreshDB(t testing.TB, mode string) string {
	t.Helper()
	admin := AdminDSN(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "infragraph_store_" + hex.EncodeToString(b)
	Exec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { Exec(t, admin, "DROP DATABASE "+name+" WITH (FORCE)") })
	return WithDB(t, admin, name, mode)
}

// WithDB is dsn pointed at database db (when set) in mode.
func WithDB(t testing.TB, dsn, db, mode string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if db != "" {
		u.Path = "/" + db
	}
	q := u.Query()
	q.Del("default_query_exec_mode")
	if mode != "" {
		q.Set("default_query_exec_mode", mode)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Exec runs SQL statements on dsn.
func Exec(t testing.TB, dsn string, sql ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range sql {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// Dump returns every row of the store's tables as text, snapshots decompressed: what a test
// searches for a secret.
func Dump(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rs, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'infragraph' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, tb := range tables {
		rs, err := conn.Query(ctx, `SELECT t::text FROM infragraph.`+tb+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := pgx.CollectRows(rs, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, tb+": "+r+"\n"...)
		}
	}
	rs, err = conn.Query(ctx, `SELECT graph FROM infragraph.snapshots ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := pgx.CollectRows(rs, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		out = append(out, gunzip(t, s)...)
	}
	return string(out)
}

// ReaderGrants are the README's GRANTs for a read-only role (README.md, "One graph for an
// organisation"), for a role named role.
func ReaderGrants(role string) []string {
	return []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD 'CANARY-store-reader-password'",
		"GRANT USAGE ON SCHEMA infragraph TO " + role,
		"GRANT SELECT ON ALL TABLES IN SCHEMA infragraph TO " + role,
	}
}

// Reader creates a role with the README's GRANTs on the store at dsn and returns dsn logged in
// as it. The role is dropped when the test ends.
func Reader(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	role := "infragraph_reader_" + hex.EncodeToString(b)
	Exec(t, dsn, ReaderGrants(role)...)
	t.Cleanup(func() { Exec(t, dsn, "DROP OWNED BY "+role, "DROP ROLE "+role) })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, "CANARY-store-reader-password")
	return u.String()
}
