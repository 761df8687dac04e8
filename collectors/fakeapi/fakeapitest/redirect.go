package fakeapitest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"testing"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

// Redirects is a hostile API front: the requests to Front that redirect selects (all when nil)
// are answered with a 307 to the same path and query on Trap, another listener on another port of
// the same host; the others are served by next (a provider fake; nil: 404). Trap records each
// request it receives, headers and body, and answers 200 {}. A client with a sound redirect
// policy sends Trap nothing (httpguard).
type Redirects struct {
	Front, Trap *httptest.Server
	log         fakeapi.Log
}

// NewRedirects starts a front and its trap, closed when t ends. redirect may read the request's
// body: it is restored for next.
func NewRedirects(t testing.TB, next http.Handler, redirect func(r *http.Request, body []byte) bool) *Redirects {
	r := &Redirects{}
	r.Trap = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		dump, _ := httputil.DumpRequest(req, true)
		r.log.Add(string(dump))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	}))
	r.Front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		switch {
		case redirect == nil || redirect(req, body):
			http.Redirect(w, req, r.Trap.URL+req.URL.RequestURI(), http.StatusTemporaryRedirect)
		case next != nil:
			next.ServeHTTP(w, req)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.Front.Close)
	t.Cleanup(r.Trap.Close)
	return r
}

// Trapped returns the requests Trap received, each dumped whole (request line, headers, body).
func (r *Redirects) Trapped() []string { return r.log.Lines() }

// WriteHuge answers 200 with prefix, n bytes of "x" and suffix, streamed (no Content-Length):
// a provider's well-formed answer padded past any sane size, sent without holding it in memory.
// prefix typically opens a JSON string field that suffix closes.
func WriteHuge(w http.ResponseWriter, prefix, suffix string, n int64) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, prefix)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for n > 0 {
		c := chunk[:min(n, int64(len(chunk)))]
		if _, err := w.Write(c); err != nil {
			return // the client gave up
		}
		n -= int64(len(c))
	}
	io.WriteString(w, suffix)
}
