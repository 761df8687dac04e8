package httpguard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCheckRedirect(t *testing.T) {
	var got []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		io.WriteString(w, "elsewhere")
	}))
	defer target.Close()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		case "/final":
			io.WriteString(w, "same origin")
		default:
			http.Redirect(w, r, target.URL+"/x", http.StatusTemporaryRedirect)
		}
	}))
	defer src.Close()
	c := Client(nil)
	get := func(path string) (string, error) {
		req, _ := http.NewRequest("GET", src.URL+path, nil)
		req.Header.Set("Authorization", "Bearer CANARY")
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	if body, err := get("/same"); err != nil || body != "same origin" {
		t.Errorf("same-origin redirect: %q, %v", body, err)
	}
	_, err := get("/other")
	if err == nil || !strings.Contains(err.Error(), "refused redirect from "+Origin(mustURL(src.URL))+" to "+Origin(mustURL(target.URL))) || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("redirect to another port: err = %v", err)
	}
	if len(got) != 0 {
		t.Errorf("the other origin was asked %d times (Authorization %q)", len(got), got)
	}
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"https://api.example.com/a", "https://API.example.com:443/b", true},
		{"https://api.example.com/a", "http://api.example.com/b", false},
		{"https://api.example.com/a", "https://api.example.com:8443/b", false},
		{"https://api.example.com/a", "https://evil.example.com/b", false},
		{"http://127.0.0.1:80/a", "http://127.0.0.1/b", true},
	} {
		req, _ := http.NewRequest("GET", c.to, nil)
		via, _ := http.NewRequest("GET", c.from, nil)
		if err := CheckRedirect(req, []*http.Request{via}); (err == nil) != c.ok {
			t.Errorf("%s -> %s: err = %v, want ok=%v", c.from, c.to, err, c.ok)
		}
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestLimitBody(t *testing.T) {
	const max = 1 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := max
		switch r.URL.Path {
		case "/big-chunked":
			n = max + 1
			w.(http.Flusher).Flush() // no Content-Length
		case "/big-length":
			n = 5 * max
			w.Header().Set("Content-Length", "5242880")
		}
		io.WriteString(w, strings.Repeat("x", n))
	}))
	defer srv.Close()
	c := &http.Client{Transport: LimitBody(nil, max)}
	read := func(path string) (int, error) {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return len(b), err
	}
	if n, err := read("/exact"); err != nil || n != max {
		t.Errorf("a body of exactly the cap: %d bytes, %v", n, err)
	}
	for _, p := range []string{"/big-chunked", "/big-length"} {
		_, err := read(p)
		if !IsTooLarge(err) || !strings.Contains(err.Error(), "response from "+mustURL(srv.URL).Host+p+" exceeded 1 MiB") {
			t.Errorf("%s: err = %v", p, err)
		}
	}
}
