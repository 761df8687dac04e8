package store

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// copyRows bulk-loads n rows into table with COPY in text format, streamed: row(i) returns the
// i-th row's columns. Text format through the connection's own COPY sub-protocol needs no
// statement description, so it works unchanged in the simple-protocol (pooler) mode.
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, n int, row func(i int) ([]string, error)) error {
	if n == 0 {
		return nil
	}
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 0, 1<<16)
		for i := 0; i < n; i++ {
			vals, err := row(i)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			for j, v := range vals {
				if j > 0 {
					buf = append(buf, '\t')
				}
				buf = appendCopyText(buf, v)
			}
			buf = append(buf, '\n')
			if len(buf) >= 1<<16 {
				if _, err := pw.Write(buf); err != nil {
					return
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 {
			if _, err := pw.Write(buf); err != nil {
				return
			}
		}
		pw.Close()
	}()
	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN", table, strings.Join(cols, ", "))
	_, err := tx.Conn().PgConn().CopyFrom(ctx, pr, sql)
	pr.Close() // stops the writer if COPY ended early
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// appendCopyText escapes v for COPY's text format: backslash, tab, newline and carriage return.
func appendCopyText(buf []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}
