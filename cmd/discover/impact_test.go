package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/serve"
)

// TestImpactIsOneAnswer scans the demo and asks every surface the impact of every node: the blast
// radius `discover query impact --json` prints, the MCP impact tool returns, the HTTP API returns
// and INFRA.md shows for a system are one number, query.Analyze's; the critical components of
// INFRA.md and of the MCP summary are query.Critical's. Then it checks the answers a careful
// engineer gives on the demo (docs/demo-estate.md, "Impact truth").
func TestImpactIsOneAnswer(t *testing.T) {
	dir, g, _ := runDemo(t, nil)
	doc, err := os.ReadFile(filepath.Join(dir, "INFRA.md"))
	if err != nil {
		t.Fatal(err)
	}
	infra := string(doc)

	sameEverywhere(t, dir, g, infra)

	// The demo's impact truth (docs/demo-estate.md).
	for _, ref := range []string{"erp-odoo-1", "erp-db-1"} {
		a, err := query.Analyze(g, ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"odoo:instance:erp.acme-coffee.com", "vercel:project:prj_storefront", "vercel:project:prj_admin", "digitalocean:app:c2a93513-8d9b-4223-9d61-5e7272c81cf5"} {
			if !slices.Contains(hitIDsOf(a.Breaks), want) {
				t.Errorf("stopping %s does not break %s: %v", ref, want, hitIDsOf(a.Breaks))
			}
		}
		if slices.Contains(hitIDsOf(a.Breaks), "vercel:project:prj_marketing") {
			t.Errorf("stopping %s breaks the decoy marketing project", ref)
		}
	}
	if s := between(infra, `<a id="docker-compose-project-erp">`, "<a id="); strings.Contains(s, "nothing breaks") || !strings.Contains(s, "storefront") {
		t.Errorf("the erp Compose project's section does not say the storefront breaks with it:\n%s", s)
	}
	store := between(infra, `<a id="vercel-project-storefront">`, "<a id=")
	if !strings.Contains(store, "via DATABASE_URL (env var; targets preview, production)") {
		t.Errorf("the storefront's section does not name DATABASE_URL and its targets:\n%s", store)
	}
	// graph.json keeps via (g is decoded from it), so `query deps` and MCP name the setting
	deps, err := query.Deps(g, "vercel:project:prj_storefront", 1)
	if err != nil {
		t.Fatal(err)
	}
	named := false
	for _, h := range deps {
		for _, v := range h.Via.Via {
			named = named || (h.Node.ID == "supabase:project:qwertyuiopasdfghjklz" && v.Name == "DATABASE_URL" && slices.Equal(v.Targets, []string{"preview", "production"}))
		}
	}
	if !named {
		t.Errorf("query deps storefront does not name DATABASE_URL (preview, production) on the edge to acme-prod: %+v", deps)
	}
	drop := between(infra, `<a id="digitalocean-droplet-erp-1">`, "<a id=")
	if !strings.Contains(drop, "deleting it destroys erp_db-data (docker volume), used by erp-db-1") {
		t.Errorf("the droplet's section does not say deleting it destroys erp_db-data:\n%s", drop)
	}
	repo, _ := query.Analyze(g, "git:repo:github.com/acme/storefront")
	if repo.BlastRadius != 0 || !slices.Contains(hitIDsOf(repo.Rebuild), "vercel:project:prj_storefront") {
		t.Errorf("a git repository breaks nothing at runtime, the storefront cannot redeploy: %d breaks, rebuild %v", repo.BlastRadius, hitIDsOf(repo.Rebuild))
	}
	noFalseEquality(t, g, infra)
}

// sameEverywhere asks every surface the impact of every node of the scan in dir (g is its
// graph.json, infra its INFRA.md): the blast radius and the break list of query.Analyze, `discover
// query impact --json`, the MCP impact tool, the HTTP API and INFRA.md's system sections agree, and
// INFRA.md's and the MCP summary's critical components are query.Critical's.
func sameEverywhere(t *testing.T, dir string, g *graph.Graph, infra string) {
	t.Helper()
	st := serve.NewStore(dir)
	if _, err := st.Current(); err != nil {
		t.Fatal(err)
	}
	svc := &serve.Service{Store: st}
	cs := mcpSession(t, svc)
	web := httptest.NewServer(serve.Handler(svc, nil, serve.HTTPOptions{}))
	t.Cleanup(web.Close)

	// INFRA.md: "`<id>` · source ... · blast radius N" under each system heading
	sections := map[string]int{}
	for _, m := range regexp.MustCompile("(?m)^`([^`]+)` · .*?blast radius ([0-9]+)").FindAllStringSubmatch(infra, -1) {
		sections[m[1]], _ = strconv.Atoi(m[2])
	}
	if len(sections) == 0 {
		t.Fatalf("INFRA.md has %d system sections with a blast radius", len(sections))
	}

	for _, n := range g.Nodes() {
		a, err := query.Analyze(g, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		// CLI
		e, out, errb := testEnv(nil)
		if code := runEnv(context.Background(), []string{"query", "--graph", dir, "--json", "impact", n.ID}, e); code != exitOK {
			t.Fatalf("query impact %s: exit %d %s", n.ID, code, errb)
		}
		var cli query.Analysis
		if err := json.Unmarshal(out.Bytes(), &cli); err != nil {
			t.Fatal(err)
		}
		// MCP
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "impact", Arguments: map[string]any{"id": n.ID, "limit": 500}})
		if err != nil || res.IsError {
			t.Fatalf("mcp impact %s: %v %+v", n.ID, err, res)
		}
		var viaMCP serve.WalkResult
		raw, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(raw, &viaMCP); err != nil {
			t.Fatal(err)
		}
		// HTTP
		var viaHTTP serve.WalkResult
		resp, err := http.Get(web.URL + "/api/v1/nodes/" + url.PathEscape(n.ID) + "/impact?limit=500")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&viaHTTP)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET impact %s: %d %v", n.ID, resp.StatusCode, err)
		}

		want := a.BlastRadius
		if r, _ := query.BlastRadius(g, n.ID); want != len(a.Breaks) || r != want {
			t.Errorf("%s: blast radius %d, %d breaks, query.BlastRadius (Critical's walk) %d", n.ID, want, len(a.Breaks), r)
		}
		got := map[string]int{"cli": cli.BlastRadius, "mcp": deref(viaMCP.BlastRadius), "mcp total": viaMCP.Total, "http": deref(viaHTTP.BlastRadius), "http total": viaHTTP.Total}
		if r, ok := sections[n.ID]; ok {
			got["INFRA.md"] = r
		}
		for where, r := range got {
			if r != want {
				t.Errorf("%s: blast radius %d in %s, query.Analyze says %d", n.ID, r, where, want)
			}
		}
		if !slices.Equal(hitIDsOf(cli.Breaks), hitIDsOf(a.Breaks)) || !slices.Equal(hitIDsOf(viaMCP.Hits), hitIDsOf(a.Breaks)) || !slices.Equal(hitIDsOf(viaHTTP.Hits), hitIDsOf(a.Breaks)) {
			t.Errorf("%s: the lists differ between query.Analyze, the CLI, MCP and HTTP", n.ID)
		}
	}

	// critical components: INFRA.md's table and the MCP summary rank by query.Critical
	crit, err := query.Critical(g, 10)
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\| ([0-9]+) \| .* \| ([0-9]+) \| .*\|$`).FindAllStringSubmatch(between(infra, "## Critical components", "<a id="), -1)
	if len(rows) != len(crit) {
		t.Fatalf("INFRA.md lists %d critical components, query.Critical %d", len(rows), len(crit))
	}
	for i, r := range rows {
		if n, _ := strconv.Atoi(r[2]); n != crit[i].BlastRadius {
			t.Errorf("critical #%d: INFRA.md %d, query.Critical %d (%s)", i+1, n, crit[i].BlastRadius, crit[i].Node.ID)
		}
	}
	sum, err := svc.Summary()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range sum.Critical {
		if c.Node.ID != crit[i].Node.ID || c.BlastRadius != crit[i].BlastRadius {
			t.Errorf("summary critical #%d: %s %d, query.Critical %s %d", i+1, c.Node.ID, c.BlastRadius, crit[i].Node.ID, crit[i].BlastRadius)
		}
	}

}

// noFalseEquality checks every "X (kind) has `field` = `value`" of INFRA.md against the graph:
// the node named holds exactly that value in that field.
func noFalseEquality(t *testing.T, g *graph.Graph, infra string) {
	t.Helper()
	byLabel := map[string][]graph.Node{}
	for _, n := range g.Nodes() {
		byLabel[n.Name+" ("+n.Provider+" "+strings.ReplaceAll(n.Kind, "_", " ")+")"] = append(byLabel[n.Name+" ("+n.Provider+" "+strings.ReplaceAll(n.Kind, "_", " ")+")"], n)
	}
	claims := regexp.MustCompile("([^;|]+?) has `([^`]+)` = `([^`]*)`").FindAllStringSubmatch(infra, -1)
	if len(claims) == 0 {
		t.Fatal("no evidence lines in INFRA.md")
	}
	for _, c := range claims {
		who, field, value := strings.TrimSpace(c[1]), c[2], c[3]
		ok := false
		for _, n := range byLabel[who] {
			vals, _ := n.AttrValues(field)
			ok = ok || slices.Contains(vals, value)
		}
		if !ok {
			t.Errorf("INFRA.md says %s has %s = %s; the graph does not", who, field, value)
		}
	}
}

func mcpSession(t *testing.T, svc *serve.Service) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	clientT, serverT := mcp.NewInMemoryTransports()
	ss, err := serve.NewMCPServer(svc, serve.MCPOptions{Version: "test"}).Connect(ctx, serverT, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, clientT, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait() })
	return cs
}

func deref(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func hitIDsOf(hs []query.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Node.ID
	}
	return out
}

// between is s from the first from up to the next end after it ("" when from is missing).
func between(s, from, end string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, end); j >= 0 {
		s = s[:j]
	}
	return s
}

// TestImpactOnAnotherEstate builds an estate with the demo's shapes and none of its names (a
// bookkeeping Odoo served by a caddy container of a Compose project "billing" on engine node-7 on
// droplet app-7, a Vercel project "portal" and an App Platform app "ledger" calling it, a Supabase
// project used by the portal), infers its edges with the rules and the validator a scan runs, and
// asks the same questions: nothing here is tuned to Acme Coffee.
func TestImpactOnAnotherEstate(t *testing.T) {
	const ref = "abcdefghijklmnopqrst"
	g := graph.New()
	node := func(id, name string, attrs graph.Attrs) string {
		p, k, _, err := graph.ParseID(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.AddNode(graph.Node{ID: id, Provider: p, Kind: k, Name: name, Attrs: attrs, Source: p + "/other"}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	edge := func(from, to, typ string) {
		if err := g.AddEdge(graph.Observe(from, to, typ)); err != nil {
			t.Fatal(err)
		}
	}
	envVar := func(id, key, value string, targets ...string) string {
		a := graph.Attrs{"key": key, "targets": targets}
		for k, v := range evidence.EnvRef("value", key, value) {
			a[k] = v
		}
		return node(id, key, a)
	}
	// DigitalOcean: droplet app-7; App Platform app ledger calling the books
	drop := node("digitalocean:droplet:7007", "app-7", graph.Attrs{"public_ipv4": "198.51.100.7"})
	ledger := node("digitalocean:app:ledger-1", "ledger", evidence.EnvRef("env.BOOKS_URL", "BOOKS_URL", "https://books.example.org/api"))
	// Docker: engine node-7 on it, Compose project billing: edge (caddy) -> api -> pg
	eng := node("docker:engine:node-7", "node-7", graph.Attrs{"host_ip": "198.51.100.7"})
	proj := node("docker:compose_project:node-7/billing", "billing", nil)
	edge(eng, proj, "contains")
	vol := node("docker:volume:node-7/billing_pg-data", "billing_pg-data", nil)
	edge(eng, vol, "contains")
	ctr := map[string]string{}
	for _, svc := range []string{"edge", "api", "pg"} {
		s := node("docker:compose_service:node-7/billing/"+svc, svc, graph.Attrs{"service": svc})
		edge(proj, s, "contains")
		a := graph.Attrs{"network_aliases": []string{svc}}
		if svc == "edge" {
			a["proxy_domains"] = []string{"books.example.org"} // caddy label
		}
		ctr[svc] = node("docker:container:node-7/"+svc, "billing-"+svc+"-1", a)
		edge(s, ctr[svc], "contains")
	}
	edge("docker:compose_service:node-7/billing/edge", "docker:compose_service:node-7/billing/api", "depends_on")
	edge("docker:compose_service:node-7/billing/api", "docker:compose_service:node-7/billing/pg", "depends_on")
	edge(ctr["pg"], vol, "mounts")
	// Odoo: the books, whose own URL the caddy container serves
	books := node("odoo:instance:books.example.org", "books.example.org", graph.Attrs{"url": "https://books.example.org", "host": "books.example.org", "base_url_host": "books.example.org"})
	// Vercel: portal reads BOOKS_URL and a DATABASE_URL to the Supabase project
	team := node("vercel:team:team_other", "other", nil)
	portal := node("vercel:project:prj_portal", "portal", nil)
	edge(team, portal, "contains")
	edge(portal, envVar("vercel:env_var:prj_portal/env_books", "BOOKS_URL", "https://books.example.org/jsonrpc", "production"), "contains")
	edge(portal, envVar("vercel:env_var:prj_portal/env_db", "DATABASE_URL", "postgres://postgres:CANARY-other@db."+ref+".supabase.co:5432/postgres", "development", "production"), "contains")
	node("supabase:project:"+ref, "main-db", graph.Attrs{"ref": ref, "db_host": "db." + ref + ".supabase.co", "api_host": ref + ".supabase.co"})

	v, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	scan.Enrich(context.Background(), g, []enrich.Enricher{enrich.Rules{}}, enrich.Validator{Vocab: v, Threshold: scan.DefaultThreshold})
	for _, want := range []graph.EdgeKey{{From: books, To: ctr["edge"], Type: "runs_on"}, {From: eng, To: drop, Type: "runs_on"},
		{From: portal, To: books, Type: "calls"}, {From: ledger, To: books, Type: "calls"}, {From: portal, To: "supabase:project:" + ref, Type: "uses_database"}} {
		if _, ok := g.Edge(want); !ok {
			t.Errorf("not inferred: %s", want)
		}
	}

	dir := t.TempDir()
	var gj, md bytes.Buffer
	if err := render.JSON(&gj, g); err != nil {
		t.Fatal(err)
	}
	if err := render.Infra(render.InfraOptions{})(&md, g); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "graph.json"), gj.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err = graph.Decode(bytes.NewReader(gj.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	infra := md.String()
	sameEverywhere(t, dir, g, infra)

	for _, c := range []string{"billing-api-1", "billing-pg-1", "billing-edge-1"} {
		a, err := query.Analyze(g, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{books, portal, ledger} {
			if !slices.Contains(hitIDsOf(a.Breaks), want) {
				t.Errorf("stopping %s does not break %s: %v", c, want, hitIDsOf(a.Breaks))
			}
		}
	}
	a, _ := query.Analyze(g, "app-7")
	if len(a.Data) == 0 || a.Data[0].Node.ID != vol || !slices.Equal(a.Data[0].UsedBy, []string{"billing-pg-1"}) {
		t.Errorf("deleting app-7 destroys %+v, want billing_pg-data used by billing-pg-1", a.Data)
	}
	if s := between(infra, `<a id="vercel-project-portal">`, "<a id="); !strings.Contains(s, "via DATABASE_URL (env var; targets development, production)") {
		t.Errorf("portal's section does not name DATABASE_URL and its targets:\n%s", s)
	}
	noFalseEquality(t, g, infra)
}
