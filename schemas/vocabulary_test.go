package schemas

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedVocabularyLoads(t *testing.T) {
	v, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"vercel:project", "supabase:table", "digitalocean:droplet", "docker:container", "odoo:instance", "external:host", "git:repo"} {
		if _, ok := v.Kinds[q]; !ok {
			t.Errorf("kind %s missing", q)
		}
	}
	if !v.EdgeAllowed("contains", "vercel:team", "vercel:project") {
		t.Error("team contains project should be allowed")
	}
	if v.EdgeAllowed("contains", "vercel:project", "vercel:team") {
		t.Error("project contains team must not be allowed")
	}
	if !v.EdgeAllowed("contains", "digitalocean:project", "digitalocean:droplet") {
		t.Error("wildcard pair digitalocean:project -> digitalocean:* should match")
	}
	if v.EdgeAllowed("contains", "digitalocean:project", "vercel:project") {
		t.Error("wildcard must not cross providers")
	}
}

func TestParseRejects(t *testing.T) {
	edges := "edge_types:\n  contains: {category: containment, description: x}\n"
	for name, files := range map[string]map[string]string{
		"unknown edge type":    {"vocabulary/a.yaml": "provider: a\nkinds:\n  k: {}\nedges:\n  nope:\n    - from: [a:k]\n      to: [a:k]\n"},
		"unknown kind in pair": {"vocabulary/a.yaml": "provider: a\nkinds:\n  k: {}\nedges:\n  contains:\n    - from: [a:k]\n      to: [a:missing]\n"},
		"unknown field":        {"vocabulary/a.yaml": "provider: a\nkinds:\n  k: {colour: red}\n"},
		"bad identity type":    {"vocabulary/a.yaml": "provider: a\nkinds:\n  k: {identities: {phone: [x]}}\n"},
		"duplicate kind":       {"vocabulary/a.yaml": "provider: a\nkinds:\n  k: {}\n", "vocabulary/b.yaml": "provider: a\nkinds:\n  k: {}\n"},
		"bad category":         {"vocabulary/edges.yaml": "edge_types:\n  x: {category: vague}\n"},
	} {
		fsys := fstest.MapFS{"vocabulary/edges.yaml": {Data: []byte(edges)}}
		for p, d := range files {
			fsys[p] = &fstest.MapFile{Data: []byte(d)}
		}
		if _, err := Parse(fsys); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

func TestMatchAttr(t *testing.T) {
	for _, c := range []struct {
		p, n string
		want bool
	}{
		{"env.*.host", "env.DATABASE_URL.host", true},
		{"env.*.host", "env.DATABASE_URL.port", false},
		{"value.host", "value.host", true},
		{"value.host", "value.hostx", false},
		{"*", "anything", true},
		{"env.*", "env.", true},
		{"env.*", "en", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXcYb", false},
		{"a*bc*bc", "abc", false}, // the middle part is not the suffix's
		{"*.url", "env.API_URL.url", true},
		{"*.url", "url", false},
	} {
		if got := MatchAttr(c.p, c.n); got != c.want {
			t.Errorf("MatchAttr(%q,%q)=%v", c.p, c.n, got)
		}
	}
}

func TestValidateJSON(t *testing.T) {
	good := `{"schema_version":"1.0.0","scan":{},"collectors":[{"provider":"vercel","instance":"default","status":"skipped","reason":"no token","duration_ms":0,"nodes":0,"edges":0}],
	"nodes":[{"id":"vercel:team:t1","kind":"team","provider":"vercel","name":"t"},{"id":"vercel:project:p1","kind":"project","provider":"vercel","name":"p","attrs":{"domains":["a.com"],"n":3}}],
	"edges":[{"from":"vercel:team:t1","to":"vercel:project:p1","type":"contains","origin":"observed","confidence":1}]}`
	if p := ValidateJSON([]byte(good)); len(p) != 0 {
		t.Fatalf("good document rejected: %v", p)
	}
	for name, doc := range map[string]string{
		"missing reason":   `{"schema_version":"1.0.0","scan":{},"collectors":[{"provider":"vercel","instance":"d","status":"failed","duration_ms":0,"nodes":0,"edges":0}],"nodes":[],"edges":[]}`,
		"confidence > 1":   `{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[{"id":"vercel:team:t1","kind":"team","provider":"vercel","name":"t"}],"edges":[{"from":"vercel:team:t1","to":"vercel:team:t1","type":"contains","origin":"rule","confidence":1.5}]}`,
		"unknown kind":     `{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[{"id":"vercel:spaceship:1","kind":"spaceship","provider":"vercel","name":"t"}],"edges":[]}`,
		"pair not allowed": `{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[{"id":"vercel:team:t1","kind":"team","provider":"vercel","name":"t"},{"id":"vercel:project:p1","kind":"project","provider":"vercel","name":"p"}],"edges":[{"from":"vercel:project:p1","to":"vercel:team:t1","type":"contains","origin":"observed","confidence":1}]}`,
		"dangling edge":    `{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[],"edges":[{"from":"vercel:team:t1","to":"vercel:project:p1","type":"contains","origin":"observed","confidence":1}]}`,
		"extra field":      `{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[{"id":"vercel:team:t1","kind":"team","provider":"vercel","name":"t","secret":"x"}],"edges":[]}`,
		"attr object":      `{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[{"id":"vercel:team:t1","kind":"team","provider":"vercel","name":"t","attrs":{"a":{"b":1}}}],"edges":[]}`,
		"not json":         `{`,
	} {
		if p := ValidateJSON([]byte(doc)); len(p) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A provider package's vocabulary, registered, is loaded with the embedded ones: its kinds and
// its title; one that would replace an embedded file is refused (issue #22).
func TestRegister(t *testing.T) {
	defer func() {
		mu.Lock()
		delete(registered, "vocabulary/toyreg.yaml")
		delete(registered, "vocabulary/vercel.yaml")
		loaded, loadErr = nil, nil
		mu.Unlock()
	}()
	Register("toyreg", []byte("provider: toyreg\ntitle: Toy Registered\nkinds:\n  site: {category: app, system: true}\nedges:\n  contains:\n    - from: [vercel:team]\n      to: [toyreg:site]\n"))
	v, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.Kinds["toyreg:site"]; !ok || v.Title("toyreg") != "Toy Registered" || v.Title("vercel") != "Vercel" || !v.EdgeAllowed("contains", "vercel:team", "toyreg:site") {
		t.Errorf("registered vocabulary not loaded: kind %v, titles %q %q", v.Kinds["toyreg:site"], v.Title("toyreg"), v.Title("vercel"))
	}
	if _, ok := v.Kinds["vercel:project"]; !ok {
		t.Error("the embedded vocabulary is gone")
	}
	Register("vercel", []byte("provider: vercel\n"))
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "vocabulary/vercel.yaml: registered, and embedded") {
		t.Errorf("a registered file replacing an embedded one: %v", err)
	}
	Register("vercel", nil)
	Register("toyreg", nil)
	if v, err := Load(); err != nil || v.Title("toyreg") != "toyreg" || v.Kinds["toyreg:site"].Name != "" {
		t.Errorf("withdrawn vocabularies still loaded: %v", err)
	}
}
