package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/evidence"
)

// catalogDatabase creates a fresh database on the server of the demo's PostgresDSN, loads sql
// into it and returns its DSN and name (collectors.Demo's Database). Close drops it.
//
// pg_cron installs only in the database cron.database_name names, so the estate's cron job
// (notify-orders) cannot be created in a fresh database: those statements are left out, and
// the demo says so, rather than writing into an existing database.
func (e *Estate) catalogDatabase(ctx context.Context, sql string) (evidence.Secret, string, error) {
	admin := e.d.PostgresDSN
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, err := url.Parse(admin.Reveal())
	if err != nil || u.Scheme == "" {
		return "", "", errors.New("demo database: the DSN must be a postgres:// URL")
	}
	conn, err := pgx.Connect(ctx, admin.Reveal())
	if err != nil {
		return "", "", fmt.Errorf("demo database: connect: %w", redact(err, admin))
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "infragraph_demo_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", fmt.Errorf("demo database: create %s: %w", name, err)
	}
	e.d.OnClose(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin.Reveal())
		if err != nil {
			return fmt.Errorf("demo database: drop %s: %w", name, redact(err, admin))
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("demo database: drop %s: %w", name, err)
		}
		return nil
	})
	u.Path = "/" + name
	dsn := u.String()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", "", fmt.Errorf("demo database: connect to %s: %w", name, redact(err, admin))
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, withoutCron(sql)); err != nil {
		return "", "", fmt.Errorf("demo database: load the estate: %w", err)
	}
	return evidence.Secret(dsn), name, nil
}

// withoutCron drops the statements that need pg_cron: CREATE EXTENSION pg_cron and the
// cron.schedule call (from its SELECT to the end of the script).
func withoutCron(sql string) string {
	sql = strings.Replace(sql, "CREATE EXTENSION pg_cron;", "", 1)
	if i := strings.Index(sql, "SELECT cron.schedule("); i >= 0 {
		sql = sql[:i]
	}
	return sql
}

// redact removes the DSN's password from a driver error, should it ever be quoted.
func redact(err error, dsn evidence.Secret) error {
	u, perr := url.Parse(dsn.Reveal())
	if perr != nil || u.User == nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
		return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), pw, "[redacted]"))
	}
	return err
}
