package dockerfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestWireFormat(t *testing.T) {
	s := New(MustLoad("demo"))
	s.SetAPIVersion("1.41")
	if code, body := get(t, s, "/v1.51/info"); code != 400 || !strings.Contains(body, `"message":"client version 1.51 is too new. Maximum supported API version is 1.41"`) {
		t.Errorf("too-new version: %d %s", code, body)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_ping", nil))
	if rec.Header().Get("API-Version") != "1.41" || rec.Body.String() != "OK" {
		t.Errorf("ping: %v %q", rec.Header(), rec.Body.String())
	}
	_, body := get(t, s, "/v1.41/containers/json?all=1")
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 3 {
		t.Fatalf("containers/json: %v %d", err, len(list))
	}
	if list[0]["Names"].([]any)[0].(string)[0] != '/' || list[0]["Id"] == nil || list[0]["State"] != "running" {
		t.Errorf("summary %v", list[0])
	}
	_, body = get(t, s, "/v1.41/networks")
	if !strings.Contains(body, `"Containers":{}`) || strings.Contains(body, "erp-odoo-1") {
		t.Errorf("the network list must leave Containers empty: %s", body)
	}
	if _, body = get(t, s, "/v1.41/networks/erp_default"); !strings.Contains(body, "erp-odoo-1") {
		t.Errorf("network inspect lacks its containers: %s", body)
	}
	if code, _ := get(t, s, "/v1.41/containers/erp-odoo-1/json"); code != 200 {
		t.Errorf("inspect by name: %d", code)
	}
	if code, body := get(t, s, "/v1.41/containers/nope/json"); code != 404 || !strings.Contains(body, "No such container: nope") {
		t.Errorf("missing container: %d %s", code, body)
	}
	if code, _ := get(t, s, "/v1.41/services"); code != 503 {
		t.Errorf("swarm endpoints on a non-manager: %d", code)
	}
	if n := s.Count("/containers/{id}/json"); n != 2 {
		t.Errorf("Count = %d", n)
	}
}

func TestFaults(t *testing.T) {
	s := New(MustLoad("demo"))
	s.Fault("/info", 2, fakeapi.Fault{Status: 500})
	for i, want := range []int{500, 500, 200} {
		if code, _ := get(t, s, "/info"); code != want {
			t.Errorf("request %d: %d, want %d", i, code, want)
		}
	}
	s.Fault("/volumes", fakeapi.Always, fakeapi.Fault{Garbage: true})
	if _, body := get(t, s, "/v1.51/volumes"); json.Valid([]byte(body)) {
		t.Errorf("garbage is valid JSON: %s", body)
	}
}

func TestEstatesLoad(t *testing.T) {
	for _, name := range []string{"demo", "test"} {
		e, err := Load(name)
		if err != nil || len(e.Containers) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Load("nope"); err == nil {
		t.Error("unknown estate loaded")
	}
}
