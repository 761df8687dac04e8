package llm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A gateway answering 307 to another port of the same host: the client does not replay the
// prompt and the key there (issue #26, item 4), and the failure names both origins.
func TestRedirectToAnotherOriginIsRefused(t *testing.T) {
	var trapped atomic.Int32
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trapped.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(trap.Close)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, trap.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(front.Close)
	e, err := New(testConfig(front.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Propose(context.Background(), estate(t))
	var sb strings.Builder
	e.WriteAudit(&sb, nil)
	all := sb.String()
	if err != nil {
		all += err.Error()
	}
	if n := trapped.Load(); n != 0 {
		t.Errorf("the other origin received %d requests (prompt and key)", n)
	}
	if !strings.Contains(all, "refused redirect from http://"+front.Listener.Addr().String()+" to http://"+trap.Listener.Addr().String()) {
		t.Errorf("the refusal is not reported: %s", all)
	}
}
