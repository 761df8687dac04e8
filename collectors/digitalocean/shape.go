package digitalocean

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// shapeCheck fails a 2xx answer that does not have the shape DigitalOcean documents: a JSON
// object holding the response's top-level key ("droplets", "domain_records", "account"). godo
// decodes `{}` or `null` into an empty list without complaint, and an empty list is an account
// without droplets: every droplet of the last scan would be dropped instead of carried forward
// stale (issue #26 item 10). Non-2xx answers pass through to godo's error handling.
type shapeCheck struct{ next http.RoundTripper }

func (t shapeCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.StatusCode < 200 || resp.StatusCode > 299 || resp.StatusCode == http.StatusNoContent {
		return resp, err
	}
	raw, err := io.ReadAll(resp.Body) // bounded by httpguard.LimitBody underneath
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	key := documentedKey(req.URL.Path)
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, &ShapeError{Path: req.URL.Path, Want: key}
	}
	if v, ok := obj[key]; key != "" && (!ok || string(v) == "null") {
		return nil, &ShapeError{Path: req.URL.Path, Want: key}
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, nil
}

// ShapeError is an answer without the shape the API documents.
type ShapeError struct{ Path, Want string }

func (e *ShapeError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("answer to %s is not a JSON object: not the shape DigitalOcean documents", e.Path)
	}
	return fmt.Sprintf("answer to %s has no %q key: not the shape DigitalOcean documents (an empty list is {%q: []})", e.Path, e.Want, e.Want)
}

// documentedKey returns the top-level key of the answer to a GET on path
// (https://docs.digitalocean.com/reference/api/digitalocean/), "" when we do not know it (then
// only a JSON object is required).
func documentedKey(path string) string {
	_, rest, ok := strings.Cut(path, "/v2/")
	if !ok {
		return ""
	}
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case len(seg) == 1 && seg[0] == "reserved_ipv6":
		return "reserved_ipv6s" // godo reserved_ipv6.go reservedIPV6sRoot
	case len(seg) == 1:
		return seg[0] // account, registry, projects, droplets, volumes, vpcs, firewalls, ...
	case len(seg) == 2 && seg[0] == "kubernetes" && seg[1] == "clusters":
		return "kubernetes_clusters"
	case len(seg) == 2 && seg[0] == "cdn" && seg[1] == "endpoints":
		return "endpoints"
	case len(seg) == 3 && seg[0] == "domains" && seg[2] == "records":
		return "domain_records"
	case len(seg) == 3 && seg[0] == "databases" && seg[2] == "firewall":
		return "rules"
	case len(seg) == 3 && (seg[0] == "registry" || seg[0] == "registries") && seg[2] == "repositoriesV2":
		return "repositories"
	case len(seg) == 3 && (seg[2] == "resources" || seg[2] == "members" || seg[2] == "replicas" || seg[2] == "pools"):
		return seg[2]
	case len(seg) == 4 && seg[0] == "kubernetes" && seg[3] == "node_pools":
		return "node_pools"
	}
	return ""
}
