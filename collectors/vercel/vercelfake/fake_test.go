package vercelfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

func get(t *testing.T, s *Server, path, token string) (int, http.Header, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, w.Header(), body
}

func TestWireFormat(t *testing.T) {
	s := New(MustLoad("test"))

	// A wrong token gets Vercel's 403 invalidToken body.
	code, _, body := get(t, s, "/v2/user", "nope")
	e, _ := body["error"].(map[string]any)
	if code != 403 || e["code"] != "forbidden" || e["invalidToken"] != true {
		t.Errorf("bad token: %d %v", code, body)
	}

	// Pages: newest first, pagination.next a timestamp, null on the last page.
	code, _, body = get(t, s, "/v6/deployments?projectId=prj_web&teamId=team_alpha&limit=100", "test-token")
	p := body["pagination"].(map[string]any)
	if code != 200 || len(body["deployments"].([]any)) != 2 || p["next"] != float64(1760000440000) {
		t.Errorf("first page: %d %v", code, p)
	}
	_, _, body = get(t, s, "/v6/deployments?projectId=prj_web&teamId=team_alpha&until=1750000000000", "test-token")
	if p := body["pagination"].(map[string]any); p["next"] != nil || len(body["deployments"].([]any)) != 1 {
		t.Errorf("last page: %v", body)
	}

	// Projects page with `from` and a string continuation token.
	_, _, body = get(t, s, "/v10/projects?teamId=team_alpha", "test-token")
	tok, ok := body["pagination"].(map[string]any)["next"].(string)
	if !ok || tok == "" {
		t.Fatalf("projects next = %v, want a token", body["pagination"])
	}
	_, _, body = get(t, s, "/v10/projects?teamId=team_alpha&from="+tok, "test-token")
	if ps := body["projects"].([]any); len(ps) != 2 || ps[0].(map[string]any)["id"] != "prj_docs" {
		t.Errorf("second projects page: %v", ps)
	}

	// Lists never show "_decrypted"; the single GET decrypts encrypted values only.
	_, _, body = get(t, s, "/v10/projects/prj_web/env?teamId=team_alpha&limit=100", "test-token")
	raw, _ := json.Marshal(body)
	if strings.Contains(string(raw), "_decrypted") {
		t.Error("env list leaks _decrypted")
	}
	_, _, body = get(t, s, "/v1/projects/prj_web/env/env_db?teamId=team_alpha", "test-token")
	if body["decrypted"] != true || !strings.HasPrefix(body["value"].(string), "postgres://") {
		t.Errorf("encrypted single GET: %v", body)
	}
	_, _, body = get(t, s, "/v1/projects/prj_web/env/env_stripe?teamId=team_alpha", "test-token")
	if _, has := body["value"]; has || body["decrypted"] != false {
		t.Errorf("sensitive single GET: %v", body)
	}

	// Unknown team: 403; unknown path: 404 with an error body.
	if code, _, _ := get(t, s, "/v10/projects?teamId=team_nope", "test-token"); code != 403 {
		t.Errorf("unknown team: %d", code)
	}
	if code, _, body := get(t, s, "/v1/nothing", "test-token"); code != 404 || body["error"] == nil {
		t.Errorf("unknown path: %d %v", code, body)
	}
}

func TestFaults(t *testing.T) {
	s := New(MustLoad("test"))
	s.Fault("/v1/webhooks", 1, fakeapi.Fault{Status: 429, Header: http.Header{"Retry-After": {"2"}, "X-RateLimit-Reset": {"1760000002"}}})
	code, h, body := get(t, s, "/v1/webhooks?teamId=team_alpha", "test-token")
	if code != 429 || h.Get("Retry-After") != "2" || h.Get("X-RateLimit-Reset") != "1760000002" || body["error"] == nil {
		t.Errorf("429: %d %v %v", code, h, body)
	}
	if code, _, _ := get(t, s, "/v1/webhooks?teamId=team_alpha", "test-token"); code != 200 {
		t.Errorf("after Times: %d", code)
	}
	if s.Count("/v1/webhooks") != 2 || len(s.Requests()) != 2 {
		t.Errorf("log %v", s.Requests())
	}
}
