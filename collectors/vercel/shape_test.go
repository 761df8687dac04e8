package vercel

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Issue #26 item 10: a list answer without its documented key, a `null`, a user without an id
// are failures (ErrShape), never an empty list.
func TestHollowAnswersAreShapeErrors(t *testing.T) {
	for _, body := range []string{`{}`, `null`, `{"projects":null,"pagination":{"count":0}}`, ``} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		}))
		c := NewClient(srv.URL, "t", nil)
		c.MaxRetries = 0
		ps, err := c.Projects(context.Background(), Scope{})
		if !errors.Is(err, ErrShape) || len(ps) != 0 {
			t.Errorf("projects on %q: %v %v", body, ps, err)
		}
		if body != `{"projects":null,"pagination":{"count":0}}` {
			if _, err := c.User(context.Background()); !errors.Is(err, ErrShape) {
				t.Errorf("user on %q: %v", body, err)
			}
		}
		srv.Close()
	}
}
