package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/all"
	"github.com/infragraph/infragraph/collectors/toy"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// README.md's "Adding a provider", proved: the toy provider is one package (collectors/toy) and
// one line in the list; with no other edit its config section decodes with file:line errors,
// its environment variables configure it, --only knows it, its collector runs in a scan and its
// nodes are grouped under its title in the diagrams and INFRA.md.
func TestAddingAProvider(t *testing.T) {
	const token = "CANARY-toy-7f3a"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/sites" || r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`[{"name":"shop","host":"status.shop.example.com"},{"name":"api","host":"status.api.example.com"}]`))
	}))
	defer api.Close()

	// The one line: the provider list collectors/all declares, plus the toy provider.
	providers := collectors.NewRegistry(append(slices.Clone(all.Registry), toy.Provider)...)
	t.Cleanup(func() { schemas.Register(toy.Provider.Name, nil) }) // the other tests know no toy kinds

	dir := t.TempDir()
	scan := func(vars map[string]string, args ...string) (int, string) {
		e, _, errb := testEnv(vars)
		e.Providers = providers
		code := runEnv(context.Background(), append([]string{"scan"}, args...), e)
		return code, errb.String()
	}
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Its section is checked like every other: unknown fields, wrong types and its own
	// validation name the file, the line and the field.
	for _, c := range []struct{ body, want string }{
		{"timeout: 1m\ntoy:\n  - url: http://h\n    tokn: x\n", "bad.yaml:4: toy[0].tokn: unknown field \"tokn\""},
		{"toy:\n  - url: http://h\n    token: x\n    timeout: soon\n", "bad.yaml:4: toy[0].timeout: expected a duration such as 90s, 5m or 1h, got a string"},
		{"toy:\n  - name: a\n    url: not-a-url\n    token: x\n", "bad.yaml:3: toy[0].url: not an absolute URL"},
		{"toy:\n  - url: http://h\n", "bad.yaml:2: toy[0].token: required"},
	} {
		code, stderr := scan(nil, "--config", file("bad.yaml", c.body), "--out", filepath.Join(dir, "bad"))
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("config %q: exit %d, stderr %q; want exit %d and %q", c.body, code, stderr, exitUsage, c.want)
		}
	}
	// Without it in the list, the same section is an unknown field: the list is what makes it known.
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--config", file("plain.yaml", "toy:\n  - url: http://h\n    token: x\n"), "--out", filepath.Join(dir, "plain")}, e); code != exitUsage || !strings.Contains(errb.String(), `plain.yaml:1: toy: unknown field "toy"`) {
		t.Errorf("toy section without the provider listed: exit %d, %s", code, errb)
	}

	// Configured from a file (the token from the environment) and from its environment
	// variables alone: --only knows it, its collector runs, its nodes are titled.
	cfg := file("toy.yaml", "toy:\n  - name: acme\n    url: "+api.URL+"\n    token: ${TOY_SECRET}\n")
	for name, run := range map[string]func(out string) (int, string){
		"file": func(out string) (int, string) {
			return scan(map[string]string{"TOY_SECRET": token}, "--config", cfg, "--only", "toy", "--out", out)
		},
		"environment": func(out string) (int, string) {
			return scan(map[string]string{"TOY_URL": api.URL, "TOY_TOKEN": token}, "--out", out)
		},
	} {
		out := filepath.Join(dir, name)
		if code, stderr := run(out); code != exitOK {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		raw, err := os.ReadFile(filepath.Join(out, "graph.json"))
		if err != nil {
			t.Fatal(err)
		}
		var g struct {
			Collectors []graph.CollectorStatus `json:"collectors"`
			Nodes      []graph.Node            `json:"nodes"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatal(err)
		}
		var sites []string
		for _, n := range g.Nodes {
			if n.Provider == "toy" && n.Kind == "site" {
				sites = append(sites, n.Name)
			}
		}
		if strings.Join(sites, ",") != "api,shop" {
			t.Errorf("%s: toy sites in graph.json: %v", name, sites)
		}
		for _, st := range g.Collectors {
			if st.Provider == "toy" && st.Status != graph.StatusOK {
				t.Errorf("%s: toy collector %s: %s", name, st.Status, st.Reason)
			}
		}
		infra, _ := os.ReadFile(filepath.Join(out, "INFRA.md"))
		overview, _ := os.ReadFile(filepath.Join(out, "graph.mmd"))
		site, err := os.ReadFile(filepath.Join(out, "diagrams", "toy-site-shop.mmd"))
		if err != nil {
			t.Errorf("%s: the shop site has no diagram of its own: %v", name, err)
		}
		for what, b := range map[string][]byte{"INFRA.md": infra, "graph.mmd": overview, "diagrams/toy-site-shop.mmd": site} {
			if !strings.Contains(string(b), "Toy status pages") {
				t.Errorf("%s: %s does not group the toy nodes under the provider's title", name, what)
			}
		}
		if strings.Contains(string(infra)+string(raw), token) {
			t.Errorf("%s: the toy token reached an output", name)
		}
	}
}
