package fakeapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRoute(t *testing.T) {
	for _, tc := range []struct {
		route, path string
		want        bool
	}{
		{"/v2/droplets", "/v2/droplets", true},
		{"/v2/droplets", "/v2/droplets/1", false},
		{"/v1/projects/", "/v1/projects", true}, // a family includes its own list
		{"/v1/projects/", "/v1/projects/p1/env", true},
		{"/v1/projects/", "/v1/projectsX", false},
		{"*", "/anything", true},
		{"", "/anything", true},
	} {
		if got := Route(tc.route)(tc.path); got != tc.want {
			t.Errorf("Route(%q)(%q) = %v, want %v", tc.route, tc.path, got, tc.want)
		}
	}
}

// Every way a fault answers, through one fake-like handler: the provider's error body for a
// status, headers, a raw body, garbage, a hollow 2xx, a hang; counted, then the real answer.
func TestInjector(t *testing.T) {
	var in Injector
	real := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"items":[1]}`) })
	providerError := func(w http.ResponseWriter, status int, msg string) {
		w.WriteHeader(status)
		io.WriteString(w, `{"message":"`+msg+`"}`)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f, ok := in.Take(r.URL.Path); ok {
			f.Serve(w, r, providerError, real)
			return
		}
		real.ServeHTTP(w, r)
	}))
	defer srv.Close()
	in.Fault("/limited", 2, Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"7"}}}) // fakeapitest.RateLimited(7)
	in.Fault("/broken", Always, Fault{Status: 500, Message: "boom"})
	in.Fault("/proxy", 1, Fault{Status: 502, Body: "<html>bad gateway</html>"})
	in.Fault("/garbage", 1, Fault{Garbage: true})
	in.Fault("/hollow", 1, Fault{Hollow: "null"})
	in.Fault("/hang", 1, Fault{Hang: true})
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error(), nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for i := 0; i < 2; i++ {
		if code, _, h := get("/limited"); code != 429 || h.Get("Retry-After") != "7" {
			t.Errorf("limited %d: %d, Retry-After %q", i, code, h.Get("Retry-After"))
		}
	}
	checks := []struct {
		path, body string
		code       int
	}{
		{"/limited", `{"items":[1]}`, 200}, // two times, then the real answer
		{"/broken", `{"message":"boom"}`, 500},
		{"/broken", `{"message":"boom"}`, 500},
		{"/proxy", "<html>bad gateway</html>", 502},
		{"/proxy", `{"items":[1]}`, 200},
		{"/garbage", garbage, 200},
		{"/hollow", "null", 200},
	}
	for _, c := range checks {
		if code, body, _ := get(c.path); code != c.code || body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.path, code, body, c.code, c.body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/hang", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Error("a hang answered")
	}
}
