package supabasefake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// readOnlyQuery serves POST /v1/projects/{ref}/database/query/read-only (operationId
// v1-read-only-query in supabase/cli's packages/api/src/generated/openapi.json): the body is
// {"query": "...", "parameters": [...]}, the answer 201 with the rows as a JSON array of
// objects keyed by column name. The SQL runs for real, against dsn, in a READ ONLY transaction
// (a write fails as it does on Supabase); a failing statement answers 400 with Supabase's
// {"message": "Failed to run sql query: ERROR:  <code>: <message>"}.
func (f *Fake) readOnlyQuery(w http.ResponseWriter, r *http.Request, dsn string) {
	var in struct {
		Query      string `json:"query"`
		Parameters []any  `json:"parameters"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(body, &in) != nil || in.Query == "" {
		writeError(w, http.StatusBadRequest, "query must be a string")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	rows, err := runReadOnly(ctx, dsn, f.opts.Role, in.Query, in.Parameters)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Failed to run sql query: ERROR:  %s: %s", pe.Code, pe.Message))
			return
		}
		writeError(w, http.StatusInternalServerError, "Failed to run sql query: the database did not answer")
		return
	}
	out, err := json.Marshal(rows)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
}

func runReadOnly(ctx context.Context, dsn, role, sql string, params []any) ([]map[string]any, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if role != "" {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+pgx.Identifier{role}.Sanitize()); err != nil {
			return nil, err
		}
	}
	rows, err := tx.Query(ctx, sql, params...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []map[string]any{}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		row := map[string]any{}
		for i, fd := range rows.FieldDescriptions() {
			row[fd.Name] = vals[i]
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
