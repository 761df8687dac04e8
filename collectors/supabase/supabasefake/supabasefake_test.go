package supabasefake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
)

var refRE = regexp.MustCompile(`^[a-z]{20}$`)

func TestEstates(t *testing.T) {
	for name, e := range map[string]*Estate{"demo": Demo(), "test": fakeapi.Must(Load("test"))} { // scaled: package fakescale
		seen := map[string]bool{}
		for _, ref := range e.Refs() {
			if !refRE.MatchString(ref) || seen[ref] {
				t.Errorf("%s: bad or duplicate ref %q", name, ref)
			}
			seen[ref] = true
		}
		if len(seen) == 0 || e.Token == "" {
			t.Errorf("%s: no projects or token", name)
		}
	}
	if _, err := Load("nope"); err == nil {
		t.Error("Load of a missing estate succeeded")
	}
}

func get(t *testing.T, f *Fake, path, token string) (*http.Response, []byte) {
	t.Helper()
	srv := httptest.NewServer(f)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestWireFormatAndFaults(t *testing.T) {
	e := fakeapi.Must(Load("test"))
	resp, body := get(t, New(e, Options{}), "/v1/projects", e.Token)
	var projects []map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(body, &projects) != nil || len(projects) != 3 || projects[0]["database"] == nil {
		t.Fatalf("projects: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-RateLimit-Limit") != "120" {
		t.Error("no rate-limit headers")
	}
	resp, body = get(t, New(e, Options{}), "/v1/projects", "wrong")
	if resp.StatusCode != 401 || string(body) != "{\"message\":\"Unauthorized\"}\n" {
		t.Errorf("wrong token: %d %s", resp.StatusCode, body)
	}
	limited := New(e, Options{})
	limited.Fault("*", 1, fakeapitest.RateLimited(3))
	resp, _ = get(t, limited, "/v1/organizations", e.Token)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || resp.Header.Get("X-RateLimit-Reset") != "3" {
		t.Errorf("429: %d %v", resp.StatusCode, resp.Header)
	}
	gated := New(e, Options{})
	gated.Fault("/v1/projects/abcdefghijklmnopqrst/branches", fakeapi.Always, fakeapi.Fault{Status: 402})
	resp, _ = get(t, gated, "/v1/projects/abcdefghijklmnopqrst/branches", e.Token)
	if resp.StatusCode != 402 {
		t.Errorf("status fault: %d", resp.StatusCode)
	}
	resp, body = get(t, New(e, Options{}), "/v1/projects/cdefghijklmnopqrstuv/network-restrictions", e.Token)
	if resp.StatusCode != 200 || !json.Valid(body) {
		t.Errorf("default body: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, New(e, Options{}), "/v1/projects/zzzzzzzzzzzzzzzzzzzz/functions", e.Token)
	if resp.StatusCode != 404 {
		t.Errorf("unknown project: %d", resp.StatusCode)
	}
}
