package fakeapi

import (
	"net/http"
	"net/http/httptest"
	"strconv"
)

// Hollow serves what next serves, except that every successful (2xx) answer's body is replaced
// by body, such as `{}` or `null`: a provider (or a proxy before it) answering with the right
// status and nothing in it. A collector must take that for a failure, not an empty account
// (issue #26 item 10).
func Hollow(next http.Handler, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		res := rec.Result()
		for k, vs := range res.Header {
			w.Header()[k] = vs
		}
		b := rec.Body.Bytes()
		if res.StatusCode >= 200 && res.StatusCode < 300 && res.StatusCode != http.StatusNoContent {
			b = []byte(body)
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(b)
	})
}
