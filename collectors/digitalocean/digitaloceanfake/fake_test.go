package digitaloceanfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
)

func get(t *testing.T, url, token string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: body is not JSON: %v", url, err)
	}
	return resp, body
}

func TestWireFormat(t *testing.T) {
	s := New(MustLoad("test"))
	s.MaxPerPage = 2
	ts := httptest.NewServer(s)
	defer ts.Close()

	resp, body := get(t, ts.URL+"/v2/droplets?page=2&per_page=200", Token)
	if resp.StatusCode != 200 || len(body["droplets"].([]any)) != 2 {
		t.Fatalf("page 2: %d %v", resp.StatusCode, body)
	}
	pages := body["links"].(map[string]any)["pages"].(map[string]any)
	if !strings.Contains(pages["next"].(string), "page=3") || !strings.Contains(pages["prev"].(string), "page=1") {
		t.Errorf("links.pages: %v", pages)
	}
	if body["meta"].(map[string]any)["total"] != float64(5) {
		t.Errorf("meta: %v", body["meta"])
	}
	for _, h := range []string{"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}

	resp, body = get(t, ts.URL+"/v2/droplets", "wrong")
	if resp.StatusCode != 401 || body["id"] != "unauthorized" || body["message"] == "" {
		t.Errorf("bad token: %d %v", resp.StatusCode, body)
	}

	s.Fault("/v2/tags", 1, fakeapitest.RateLimited(2))
	resp, body = get(t, ts.URL+"/v2/tags", Token)
	if resp.StatusCode != 429 || resp.Header.Get("retry-after") != "2" || body["id"] != "too_many_requests" {
		t.Errorf("429: %d %v %v", resp.StatusCode, resp.Header, body)
	}
	if resp, _ = get(t, ts.URL+"/v2/tags", Token); resp.StatusCode != 200 {
		t.Errorf("after the 429: %d", resp.StatusCode)
	}

	_, body = get(t, ts.URL+"/v2/registry/acme/repositoriesV2?per_page=2", Token)
	next := body["links"].(map[string]any)["pages"].(map[string]any)["next"].(string)
	if !strings.Contains(next, "page_token=cursor-2") {
		t.Errorf("token paging next = %q", next)
	}
	if resp, _ = get(t, next, Token); resp.StatusCode != 200 {
		t.Errorf("next token page: %d", resp.StatusCode)
	}

	if resp, _ := get(t, ts.URL+"/v2/domains/nope.example/records", Token); resp.StatusCode != 404 {
		t.Errorf("unknown domain: %d", resp.StatusCode)
	}
	if s.Count("/v2/tags") != 2 {
		t.Errorf("Count(/v2/tags) = %d", s.Count("/v2/tags"))
	}
}

func TestNoRegistryIs404(t *testing.T) {
	ts := httptest.NewServer(New(MustLoad("demo")))
	defer ts.Close()
	if resp, body := get(t, ts.URL+"/v2/registry", Token); resp.StatusCode != 404 || body["id"] != "not_found" {
		t.Errorf("demo registry: %d %v", resp.StatusCode, body)
	}
}
