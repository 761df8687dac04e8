package docker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// shapeCheck fails a 2xx answer that does not have the shape the Engine API documents
// (https://docs.docker.com/reference/api/engine/): the lists (/containers/json, /images/json,
// /networks, /nodes, /services, /tasks) are JSON arrays, /volumes an object with "Volumes",
// /info and the inspects objects with their ID. The client decodes `null` into an empty list
// without complaint, and an empty list is an engine without containers: every container of the
// last scan would be dropped instead of carried forward stale (issue #26 item 10).
type shapeCheck struct{ next http.RoundTripper }

// apiVersion is the optional /v1.41 prefix of every path.
var apiVersion = regexp.MustCompile(`^/v[0-9]+\.[0-9]+`)

func (t shapeCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	path := apiVersion.ReplaceAllString(req.URL.Path, "")
	want := documentedShape(path)
	if want == "" {
		return resp, nil
	}
	raw, err := io.ReadAll(resp.Body) // bounded by httpguard.LimitBody underneath
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if !hasShape(raw, want) {
		return nil, fmt.Errorf("answer to GET %s is not %s: not the shape the Engine API documents", path, want)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, nil
}

// documentedShape names what the answer to a GET on path must be, "" when not checked.
func documentedShape(path string) string {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "/info":
		return "an object with an ID"
	case path == "/containers/json", path == "/images/json", path == "/networks", path == "/nodes", path == "/services", path == "/tasks":
		return "an array"
	case path == "/volumes":
		return `an object with "Volumes"`
	case len(seg) == 3 && seg[0] == "containers" && seg[2] == "json", len(seg) == 2 && seg[0] == "networks":
		return "an object with an Id"
	}
	return ""
}

func hasShape(raw []byte, want string) bool {
	switch want {
	case "an array":
		var a []json.RawMessage
		return json.Unmarshal(raw, &a) == nil && a != nil
	case `an object with "Volumes"`:
		var o map[string]json.RawMessage
		if json.Unmarshal(raw, &o) != nil {
			return false
		}
		_, ok := o["Volumes"]
		return ok
	case "an object with an ID", "an object with an Id":
		var o map[string]any
		key := "ID"
		if want == "an object with an Id" {
			key = "Id"
		}
		if json.Unmarshal(raw, &o) != nil {
			return false
		}
		id, _ := o[key].(string)
		return id != ""
	}
	return true
}
