package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/schemas"
)

type fc func(ctx context.Context, emit graph.Emitter) error

func (f fc) Collect(ctx context.Context, emit graph.Emitter) error { return f(ctx, emit) }

func vercelish(ctx context.Context, emit graph.Emitter) error {
	// emitted in a scrambled order on purpose
	emit.Node(graph.Node{ID: "vercel:project:prj_b", Kind: "project", Provider: "vercel", Name: "b", Attrs: graph.Attrs{"domains": []string{"z.example.com", "a.example.com"}, "framework": "nextjs"}})
	emit.Node(graph.Node{ID: "vercel:team:team_1", Kind: "team", Provider: "vercel", Name: "acme"})
	emit.Edge(graph.Observe("vercel:team:team_1", "vercel:project:prj_b", "contains"))
	emit.Node(graph.Node{ID: "git:repo:github.com/acme/web", Kind: "repo", Provider: "git", Name: "acme/web", Attrs: graph.Attrs{"repo": "github.com/acme/web"}})
	emit.Edge(graph.Observe("vercel:project:prj_b", "git:repo:github.com/acme/web", "builds_from"))
	emit.Node(graph.Node{ID: "vercel:project:prj_a", Kind: "project", Provider: "vercel", Name: "a", Attrs: graph.Attrs{"regions": []string{"iad1"}, "n": 3}})
	emit.Edge(graph.Observe("vercel:team:team_1", "vercel:project:prj_a", "contains"))
	emit.Edge(graph.Observe("vercel:team:team_1", "vercel:project:prj_gone", "contains")) // dangling
	return nil
}

func doish(ctx context.Context, emit graph.Emitter) error {
	emit.Node(graph.Node{ID: "digitalocean:droplet:1", Kind: "droplet", Provider: "digitalocean", Name: "erp", Attrs: graph.Attrs{"public_ipv4": "203.0.113.10"}})
	emit.Node(graph.Node{ID: "git:repo:github.com/acme/web", Kind: "repo", Provider: "git", Name: "acme/web", Attrs: graph.Attrs{"repo": "github.com/acme/web", "branch": "main"}})
	return nil
}

type fixedEnricher struct{ ps []enrich.Proposal }

func (f fixedEnricher) Name() string { return "test" }
func (f fixedEnricher) Propose(context.Context, *graph.Graph) ([]enrich.Proposal, error) {
	return f.ps, nil
}

func clock() func() time.Time {
	t := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	return func() time.Time { return t }
}

func opts() Options {
	return Options{
		Instances: []collectors.Instance{
			{Provider: "vercel", Name: "default", Collector: fc(vercelish)},
			{Provider: "digitalocean", Name: "default", Collector: fc(doish)},
			{Provider: "odoo", Name: "erp", Collector: fc(func(context.Context, graph.Emitter) error { return errors.New("authenticate: wrong password") })},
			{Provider: "docker", Name: "default", Skip: "not configured"},
		},
		Enrichers: []enrich.Enricher{fixedEnricher{ps: []enrich.Proposal{
			{Enricher: "test", Edge: graph.Edge{From: "vercel:project:prj_a", To: "digitalocean:droplet:1", Type: "calls", Origin: graph.Rule, Confidence: 0.2,
				Evidence: []graph.Evidence{{Node: "digitalocean:droplet:1", Field: "public_ipv4", Value: "203.0.113.10"}}}},
		}}},
		Now: clock(),
	}
}

func TestRunMergesAndRecordsStatus(t *testing.T) {
	res, err := Run(context.Background(), opts())
	if err != nil {
		t.Fatal(err)
	}
	g := res.Graph
	if n, e := g.Len(); n != 5 || e != 3 {
		t.Fatalf("nodes %d edges %d, want 5 and 3", n, e)
	}
	repo, _ := g.Node("git:repo:github.com/acme/web")
	if repo.Attrs["branch"] != "main" {
		t.Errorf("shared node not merged: %+v", repo)
	}
	st := map[string]graph.CollectorStatus{}
	for _, c := range g.Collectors {
		st[c.Key()] = c
	}
	if st["vercel/default"].Status != graph.StatusPartial || len(st["vercel/default"].Warnings) != 1 {
		t.Errorf("dangling edge should make vercel partial: %+v", st["vercel/default"])
	}
	if st["odoo/erp"].Status != graph.StatusFailed || st["docker/default"].Status != graph.StatusSkipped {
		t.Errorf("statuses %+v", st)
	}
	if len(res.Verdicts) != 1 || res.Verdicts[0].Accepted {
		t.Errorf("below-threshold proposal accepted: %+v", res.Verdicts)
	}
}

func TestOutputDeterministicAndSchemaValid(t *testing.T) {
	var outs [][]byte
	for i := 0; i < 3; i++ {
		res, err := Run(context.Background(), opts())
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if _, err := write(dir, res, DefaultFiles(RenderOptions{})); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "graph.json"))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := os.ReadFile(filepath.Join(dir, "proposals.json"))
		md, _ := os.ReadFile(filepath.Join(dir, "INFRA.md"))
		mmd, _ := os.ReadFile(filepath.Join(dir, "graph.mmd"))
		outs = append(outs, bytes.Join([][]byte{b, p, md, mmd}, nil))
		if problems := schemas.ValidateJSON(b); len(problems) > 0 {
			t.Fatalf("pipeline output invalid: %v", problems)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[1], outs[2]) {
		t.Error("same input gave different bytes")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	res, _ := Run(context.Background(), opts())
	var a bytes.Buffer
	if err := render.JSON(&a, res.Graph); err != nil {
		t.Fatal(err)
	}
	g2, err := graph.Decode(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_ = render.JSON(&b, g2)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("round trip changed graph.json:\n%s\n---\n%s", a.String(), b.String())
	}
}

func TestWriteRendersEveryDocument(t *testing.T) {
	res, err := Run(context.Background(), opts())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// a diagram of a system an earlier scan saw, and a file that is not ours
	if err := os.MkdirAll(filepath.Join(dir, "diagrams"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"diagrams/vercel-project-gone.mmd", "diagrams/notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths, err := write(dir, res, DefaultFiles(RenderOptions{MaxBytes: 4000}))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(paths[0]) != "graph.json" {
		t.Errorf("graph.json is not first: %v", paths)
	}
	for _, f := range []string{"INFRA.md", "graph.mmd", "diagrams/vercel-project-a.mmd", "diagrams/digitalocean-droplet-erp.mmd", "proposals.json", "diagrams/notes.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "diagrams/vercel-project-gone.mmd")); !os.IsNotExist(err) {
		t.Errorf("a stale diagram survived: %v", err)
	}
	infra, _ := os.ReadFile(filepath.Join(dir, "INFRA.md"))
	if !bytes.HasPrefix(infra, []byte("# INFRA.md: infrastructure map\n\n"+render.DataNote+"\n\n> **WARNING: collector odoo/erp FAILED**")) {
		t.Errorf("INFRA.md does not start with the failed collector's warning:\n%.300s", infra)
	}
	if len(infra) > 4000 || !bytes.Contains(infra, []byte("Trimmed to fit 4000 bytes")) {
		t.Errorf("INFRA.md ignores MaxBytes: %d bytes", len(infra))
	}
}

// TestRulesInThePipeline runs the rules enricher as `discover scan` does: a Vercel env var that
// names a Supabase project and a third-party API becomes two validated edges, the third party an
// external node, and proposals.json lists every proposal with its verdict.
func TestRulesInThePipeline(t *testing.T) {
	o := Options{
		Instances: []collectors.Instance{
			{Provider: "vercel", Name: "default", Collector: fc(func(ctx context.Context, emit graph.Emitter) error {
				emit.Node(graph.Node{ID: "vercel:project:p1", Kind: "project", Provider: "vercel", Name: "shop"})
				emit.Node(graph.Node{ID: "vercel:env_var:p1/e1", Kind: "env_var", Provider: "vercel", Name: "SUPABASE_URL",
					Attrs: graph.Attrs{"key": "SUPABASE_URL", "value.scheme": "https", "value.host": "abcdefghijabcdefghij.supabase.co", "value.url": "https://abcdefghijabcdefghij.supabase.co"}})
				emit.Node(graph.Node{ID: "vercel:env_var:p1/e2", Kind: "env_var", Provider: "vercel", Name: "PAYMENTS_API",
					Attrs: graph.Attrs{"key": "PAYMENTS_API", "value.scheme": "https", "value.host": "api.stripe.com", "value.url": "https://api.stripe.com/v1"}})
				emit.Edge(graph.Observe("vercel:project:p1", "vercel:env_var:p1/e1", "contains"))
				emit.Edge(graph.Observe("vercel:project:p1", "vercel:env_var:p1/e2", "contains"))
				return nil
			})},
			{Provider: "supabase", Name: "default", Collector: fc(func(ctx context.Context, emit graph.Emitter) error {
				emit.Node(graph.Node{ID: "supabase:project:abcdefghijabcdefghij", Kind: "project", Provider: "supabase", Name: "prod",
					Attrs: graph.Attrs{"ref": "abcdefghijabcdefghij", "api_host": "abcdefghijabcdefghij.supabase.co"}})
				return nil
			})},
		},
		Enrichers: []enrich.Enricher{enrich.Rules{}},
		Now:       clock(),
	}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []graph.EdgeKey{
		{From: "vercel:project:p1", To: "supabase:project:abcdefghijabcdefghij", Type: "calls"},
		{From: "vercel:project:p1", To: "external:host:api.stripe.com", Type: "calls"},
	} {
		if e, ok := res.Graph.Edge(k); !ok || e.Origin != graph.Rule {
			t.Errorf("%s missing or not a rule edge: %+v", k, e)
		}
	}
	if res.Graph.Scan.Enrichment["rules.accepted"] != 2 {
		t.Errorf("enrichment summary %v", res.Graph.Scan.Enrichment)
	}
	var buf bytes.Buffer
	if err := WriteProposals(&buf, res.Verdicts); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Proposals []struct {
			Proposal struct {
				Edge     graph.Edge   `json:"edge"`
				NewNodes []graph.Node `json:"new_nodes"`
			} `json:"proposal"`
			Accepted bool     `json:"accepted"`
			Notes    []string `json:"notes"`
		} `json:"proposals"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Proposals) != 2 || !doc.Proposals[0].Accepted || !doc.Proposals[1].Accepted {
		t.Fatalf("proposals.json: %s", buf.String())
	}
	if p := doc.Proposals[0]; len(p.Proposal.NewNodes) != 1 || len(p.Notes) != 1 || p.Notes[0] != "created external:host:api.stripe.com" {
		t.Errorf("the external node's creation is not recorded: %+v", p)
	}
}

// An edge observed this scan whose endpoint only history carries (the droplet of a DigitalOcean
// account that failed this scan, pointed at by a Docker engine that succeeded) is kept: the
// droplet is carried stale before the edge goes in, the edge is fresh, and Docker stays ok. An
// edge to a node whose owner completed without it is still dropped.
func TestMergeKeepsEdgeToCarriedNode(t *testing.T) {
	droplet := graph.Node{ID: "digitalocean:droplet:1001", Kind: "droplet", Provider: "digitalocean", Name: "erp-1"}
	engine := graph.Node{ID: "docker:engine:erp-1", Kind: "engine", Provider: "docker", Name: "erp-1"}
	runsOn := graph.Observe(engine.ID, droplet.ID, "runs_on")
	failDO := false
	do := func(ctx context.Context, emit graph.Emitter) error {
		if failDO {
			return errors.New("GET /v2/droplets: 401 Unauthorized")
		}
		emit.Node(droplet)
		return nil
	}
	dockerEdge := func(ctx context.Context, emit graph.Emitter) error {
		emit.Node(engine)
		emit.Edge(runsOn)
		return nil
	}
	o := Options{Instances: []collectors.Instance{
		{Provider: "digitalocean", Name: "prod", Collector: fc(do)},
		{Provider: "docker", Name: "erp", Collector: fc(dockerEdge)},
	}, Now: clock()}
	first, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := first.Graph.Edge(runsOn.Key()); !ok {
		t.Fatal("first scan lacks the edge")
	}

	failDO = true
	o.Previous = first.Graph
	later := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return later }
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	g := res.Graph
	n, ok := g.Node(droplet.ID)
	if !ok || !n.Stale || n.StaleSince != "2026-11-21T12:00:00Z" || n.LastSeen != "2026-11-21T06:00:00Z" || n.Source != "digitalocean/prod" {
		t.Fatalf("droplet: %+v present=%v", n, ok)
	}
	e, ok := g.Edge(runsOn.Key())
	if !ok || e.Stale || e.LastSeen != "2026-11-21T12:00:00Z" || e.FirstSeen != "2026-11-21T06:00:00Z" || e.Source != "docker/erp" {
		t.Errorf("edge observed by a healthy collector to a carried node: %+v present=%v", e, ok)
	}
	st := map[string]graph.CollectorStatus{}
	for _, c := range g.Collectors {
		st[c.Key()] = c
	}
	if d := st["docker/erp"]; d.Status != graph.StatusOK || len(d.Warnings) != 0 {
		t.Errorf("docker: %+v", d)
	}
	if d := st["digitalocean/prod"]; d.Status != graph.StatusFailed || d.Stale != 1 {
		t.Errorf("digitalocean: %+v", d)
	}
	if c := res.Changes; len(c.NodesStale) != 1 || len(c.NodesRemoved) != 0 || len(c.EdgesRemoved) != 0 {
		t.Errorf("changes: %+v", c.Summary())
	}

	// DigitalOcean back, the droplet deleted: the edge now dangles, and is dropped.
	failDO = false
	o.Previous = g
	o.Instances[0].Collector = fc(func(context.Context, graph.Emitter) error { return nil })
	o.Now = func() time.Time { return later.Add(time.Hour) }
	res, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Graph.HasNode(droplet.ID) {
		t.Error("a droplet its healthy account no longer lists was kept")
	}
	if _, ok := res.Graph.Edge(runsOn.Key()); ok {
		t.Error("an edge to a removed droplet was kept")
	}
	for _, c := range res.Graph.Collectors {
		if c.Key() == "docker/erp" && c.Status != graph.StatusPartial {
			t.Errorf("docker with a dangling edge: %+v", c)
		}
	}
}

// write renders files, proposals.json and CHANGES.md into dir as a scan does: staged, then
// committed as one set.
func write(dir string, res *Result, files []File) ([]string, error) {
	st, err := Stage(dir, res, files)
	if err != nil {
		return nil, err
	}
	return st.Commit()
}
