package vercel

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

func TestCursorDecodes(t *testing.T) {
	for in, want := range map[string]Cursor{
		`{"next": 1540095775951}`: "1540095775951",
		`{"next": "GEZTKMBVGE"}`:  "GEZTKMBVGE", // /v10/projects continuation token
		`{"next": null}`:          "",
		`{"count": 3}`:            "",
		`{"next": 1.7e12}`:        "1.7e12",
	} {
		var p Pagination
		if err := json.Unmarshal([]byte(in), &p); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if p.Next != want {
			t.Errorf("%s: next %q, want %q", in, p.Next, want)
		}
	}
}

func TestStringListDecodes(t *testing.T) {
	var e struct{ Target StringList }
	for in, want := range map[string]int{`{"Target":"production"}`: 1, `{"Target":["production","preview"]}`: 2, `{"Target":null}`: 0} {
		e.Target = nil
		if err := json.Unmarshal([]byte(in), &e); err != nil || len(e.Target) != want {
			t.Errorf("%s: %v %v", in, e.Target, err)
		}
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	c := NewClient("", "t", nil)
	now := time.Unix(1_760_000_000, 0)
	c.now = func() time.Time { return now }
	for name, tc := range map[string]struct {
		h    http.Header
		want time.Duration
	}{
		"seconds":    {http.Header{"Retry-After": {"4"}}, 4 * time.Second},
		"http date":  {http.Header{"Retry-After": {now.Add(9 * time.Second).UTC().Format(http.TimeFormat)}}, 9 * time.Second},
		"reset":      {http.Header{"X-Ratelimit-Reset": {"1760000012"}}, 12 * time.Second},
		"past reset": {http.Header{"X-Ratelimit-Reset": {"1700000000"}}, 0},
		"none":       {http.Header{}, time.Second},
	} {
		if got := c.retryAfter(tc.h); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
}

func TestAPIErrorBody(t *testing.T) {
	long := strings.Repeat("x", 500)
	err := apiError("/v1/x", 403, []byte(`{"error":{"code":"forbidden","message":"`+long+`"}}`), "tok")
	if !IsStatus(err, 403) || Rejected(err) || len(err.Error()) > 300 {
		t.Errorf("plan-gated 403: %v", err)
	}
	err = apiError("/v2/user", 403, []byte(`{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}`), "tok")
	if !Rejected(err) {
		t.Errorf("invalidToken 403 not treated as a rejected token: %v", err)
	}
	if err := apiError("/v2/user", 502, []byte("<html>bad gateway</html>"), "tok"); strings.Contains(err.Error(), "html") {
		t.Errorf("error echoes a non-JSON body: %v", err)
	}
}

// The projects list pages with `from` and a string continuation token; the client must follow it
// through the fake exactly as through the API.
func TestProjectsContinuationToken(t *testing.T) {
	e := vercelfake.MustLoad("test")
	srv := httptest.NewServer(vercelfake.New(e))
	defer srv.Close()
	c := NewClient(srv.URL, "test-token", nil)
	ps, err := c.Projects(context.Background(), Scope{TeamID: "team_alpha"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 5 || ps[0].ID != "prj_web" || ps[4].ID != "prj_blank" {
		t.Errorf("projects %v", ps)
	}
}
