package serve

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infragraph/infragraph/render"
)

// connect serves dir over in-memory transports and returns a client session: every test below
// is a real protocol exchange through the SDK's client.
func connect(t *testing.T, dir string) *mcp.ClientSession {
	t.Helper()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv := NewMCPServer(&Service{Store: st}, MCPOptions{Version: "test"})
	clientT, serverT := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, serverT, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "1"}, nil)
	cs, err := client.Connect(ctx, clientT, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
	})
	return cs
}

// call calls a tool that must succeed and decodes its structured content into out.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any, out any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	txt := textOf(res)
	if res.IsError {
		t.Fatalf("%s(%v): tool error: %s", tool, args, txt)
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	reflect.ValueOf(out).Elem().SetZero() // Unmarshal merges into what is there
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s: decode %s: %v", tool, raw, err)
	}
	return txt
}

// callErr calls a tool that must fail with a tool error (not a protocol error) and returns its text.
func callErr(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v, want a tool error", tool, err)
	}
	if !res.IsError {
		t.Fatalf("%s(%v) succeeded: %s", tool, args, textOf(res))
	}
	return textOf(res)
}

func textOf(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestListTools(t *testing.T) {
	cs := connect(t, writeEstate(t))
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("%s: not annotated read-only", tool.Name)
		}
		if tool.OutputSchema == nil || tool.Description == "" {
			t.Errorf("%s: no output schema or description", tool.Name)
		}
	}
	slices.Sort(names)
	want := []string{"changes_since", "dependencies", "get_node", "impact", "path", "restore_order", "scan_status", "search_nodes"}
	if !slices.Equal(names, want) {
		t.Errorf("tools %v, want %v", names, want)
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = id(x)
	}
	return out
}

func TestSearchNodes(t *testing.T) {
	cs := connect(t, writeEstate(t))
	var r SearchResult
	txt := call(t, cs, "search_nodes", map[string]any{"provider": "vercel", "kind": "project"}, &r)
	got := ids(r.Nodes, func(n queryNode) string { return n.ID })
	want := []string{"vercel:project:prj_admin", "vercel:project:prj_marketing", storefront}
	if !slices.Equal(got, want) || r.Total != 3 || r.NextCursor != "" {
		t.Errorf("projects %v (total %d, cursor %q), want %v", got, r.Total, r.NextCursor, want)
	}
	if txt != "3 node(s) match." {
		t.Errorf("text %q", txt)
	}
	if r.Nodes[0].Attrs != nil {
		t.Errorf("attributes without include_attrs: %v", r.Nodes[0].Attrs)
	}

	call(t, cs, "search_nodes", map[string]any{"attrs": []string{"framework=NextJS", "repo"}, "include_attrs": true}, &r)
	if got := ids(r.Nodes, func(n queryNode) string { return n.ID }); !slices.Equal(got, []string{"vercel:project:prj_admin", storefront}) {
		t.Errorf("attribute filter: %v", got)
	}
	if r.Nodes[1].Attrs["node_version"] != "24.x" {
		t.Errorf("include_attrs: %v", r.Nodes[1].Attrs)
	}

	call(t, cs, "search_nodes", map[string]any{"stale": true}, &r)
	if r.Total != 7 {
		t.Errorf("stale nodes: %d, want the 7 DigitalOcean nodes", r.Total)
	}
	for _, n := range r.Nodes {
		if n.Provider != "digitalocean" || !n.Stale {
			t.Errorf("stale search returned %+v", n)
		}
	}

	// Paging: three pages of 15 cover every node once, in order.
	var all []string
	cursor := ""
	for i := 0; ; i++ {
		args := map[string]any{"limit": 15}
		if cursor != "" {
			args["cursor"] = cursor
		}
		r = SearchResult{}
		txt := call(t, cs, "search_nodes", args, &r)
		all = append(all, ids(r.Nodes, func(n queryNode) string { return n.ID })...)
		if r.Total != 35 || r.Offset != 15*i {
			t.Fatalf("page %d: total %d offset %d", i, r.Total, r.Offset)
		}
		if r.NextCursor != "" && !strings.Contains(txt, "more with cursor "+r.NextCursor) {
			t.Errorf("page %d text %q lacks the cursor", i, txt)
		}
		if cursor = r.NextCursor; cursor == "" {
			break
		}
	}
	if len(all) != 35 || !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != 35 {
		t.Errorf("paged through %d ids (sorted %v)", len(all), slices.IsSorted(all))
	}
	if msg := callErr(t, cs, "search_nodes", map[string]any{"cursor": "garbage"}); !strings.Contains(msg, "cursor") {
		t.Errorf("bad cursor: %q", msg)
	}
	if msg := callErr(t, cs, "search_nodes", map[string]any{"attrs": []string{"=x"}}); !strings.Contains(msg, "attribute filter") {
		t.Errorf("bad attribute filter: %q", msg)
	}
}

func TestGetNode(t *testing.T) {
	cs := connect(t, writeEstate(t))
	var r NodeResult
	// The droplet and the Docker engine on it are both named "erp-1": the error lists both, the
	// agent asks again by id.
	msg := callErr(t, cs, "get_node", map[string]any{"id": "erp-1"})
	if !strings.Contains(msg, "digitalocean:droplet:") || !strings.Contains(msg, "docker:engine:erp-1") {
		t.Errorf("erp-1 is ambiguous: %q", msg)
	}
	// An exact name beats an id that merely ends in it (git:repo:github.com/acme/storefront).
	var byName NodeResult
	call(t, cs, "get_node", map[string]any{"id": "storefront"}, &byName)
	if byName.Node.ID != storefront {
		t.Errorf("storefront resolved to %s", byName.Node.ID)
	}
	txt := call(t, cs, "get_node", map[string]any{"id": "prj_storefront"}, &r)
	if r.Node.ID != storefront || !r.System || r.Node.Attrs["framework"] != "nextjs" {
		t.Errorf("node %+v", r.Node)
	}
	if txt != "storefront (vercel project) vercel:project:prj_storefront: 9 edge(s) out, 2 in." {
		t.Errorf("text %q", txt)
	}
	var db *EdgeDetail
	for i, e := range r.Out {
		if e.Type == "uses_database" {
			db = &r.Out[i]
		}
	}
	if db == nil || db.To != pooler || db.Origin != "rule" || db.Confidence != 0.95 || len(db.Evidence) != 1 || db.Evidence[0].Field != "value.host" {
		t.Errorf("uses_database edge %+v", db)
	}
	if r.InTotal != 2 || r.In[0].From != "digitalocean:dns_record:acme-coffee.com/shop" || !r.In[0].Stale {
		t.Errorf("in edges %+v", r.In)
	}

	call(t, cs, "get_node", map[string]any{"id": "1001", "edge_limit": 1}, &r)
	if r.Node.ID != droplet || !r.Node.Stale || r.Node.StaleSince != t2 || len(r.In) != 1 || r.InTotal != 2 {
		t.Errorf("droplet by id suffix: %+v in %d/%d", r.Node, len(r.In), r.InTotal)
	}

	if msg := callErr(t, cs, "get_node", map[string]any{"id": "no-such-thing"}); !strings.Contains(msg, "no such node") {
		t.Errorf("unknown id: %q", msg)
	}
	// "erp" names a compose project and a DNS record: the error lists both.
	msg = callErr(t, cs, "get_node", map[string]any{"id": "erp"})
	for _, want := range []string{"ambiguous", "docker:compose_project:erp-1/erp", "digitalocean:dns_record:acme-coffee.com/erp"} {
		if !strings.Contains(msg, want) {
			t.Errorf("ambiguous id: %q lacks %q", msg, want)
		}
	}
	if msg := callErr(t, cs, "get_node", map[string]any{}); !strings.Contains(msg, `missing properties: ["id"]`) {
		t.Errorf("missing id: %q", msg)
	}
}

func TestDependenciesAndImpact(t *testing.T) {
	cs := connect(t, writeEstate(t))
	var r WalkResult
	call(t, cs, "dependencies", map[string]any{"id": storefront, "depth": 1}, &r)
	direct := []string{acmeAPI, "external:host:api.stripe.com", "git:repo:github.com/acme/storefront", pooler, acmeProd}
	if got := ids(r.Hits, func(h queryHit) string { return h.Node.ID }); !slices.Equal(got, direct) {
		t.Errorf("direct dependencies %v, want %v", got, direct)
	}
	if r.Stale != 1 {
		t.Errorf("direct stale %d, want 1 (acme-api)", r.Stale)
	}
	txt := call(t, cs, "dependencies", map[string]any{"id": storefront}, &r)
	// acme-api -> acme-pg, repo api, odoo -> container -> engine (its host) -> droplet.
	if r.Total != 11 || r.Stale != 3 {
		t.Errorf("transitive: total %d stale %d: %v", r.Total, r.Stale, ids(r.Hits, func(h queryHit) string { return h.Node.ID }))
	}
	if txt != "storefront depends on 11 node(s), 3 stale." {
		t.Errorf("text %q", txt)
	}
	call(t, cs, "dependencies", map[string]any{"id": storefront, "limit": 4, "cursor": cursorAt(8)}, &r)
	if len(r.Hits) != 3 || r.Offset != 8 || r.NextCursor != "" || r.Hits[2].Distance < r.Hits[0].Distance {
		t.Errorf("last page %+v", r)
	}

	if msg := callErr(t, cs, "impact", map[string]any{"id": "erp-1"}); !strings.Contains(msg, droplet) || !strings.Contains(msg, engine) {
		t.Errorf("erp-1 names the droplet and the engine: %q", msg)
	}
	call(t, cs, "impact", map[string]any{"id": droplet}, &r)
	got := ids(r.Hits, func(h queryHit) string { return h.Node.ID })
	// the engine's containers are parts (r.Parts), their Compose services break with them
	if slices.Contains(got, odooCtr) || r.Parts == 0 || r.BlastRadius == nil || *r.BlastRadius != r.Total {
		t.Errorf("impact of the droplet: container %s is a part, not a break: %v parts %d radius %v", odooCtr, got, r.Parts, r.BlastRadius)
	}
	for _, want := range []string{engine, "docker:compose_service:erp-1/erp/odoo", odooInst, "vercel:project:prj_admin", storefront, acmeAPI, "digitalocean:dns_record:acme-coffee.com/erp"} {
		if !slices.Contains(got, want) {
			t.Errorf("impact of the droplet lacks %s: %v", want, got)
		}
	}
	if slices.Contains(got, acmeProd) {
		t.Errorf("impact of the droplet reaches acme-prod: %v", got)
	}
	if msg := callErr(t, cs, "impact", map[string]any{"id": droplet, "depth": -1}); !strings.Contains(msg, "depth") {
		t.Errorf("negative depth: %q", msg)
	}
}

func TestPath(t *testing.T) {
	cs := connect(t, writeEstate(t))
	var r PathResult
	txt := call(t, cs, "path", map[string]any{"from": "prj_storefront", "to": "acme-pg"}, &r)
	if !r.Connected || !r.Directed || len(r.Steps) != 3 || r.Steps[1].Via.Type != "calls" || r.Steps[2].Via.Type != "uses_database" {
		t.Errorf("path %+v", r)
	}
	if txt != "storefront -> acme-api -> acme-pg (2 hop(s), directed)." {
		t.Errorf("text %q", txt)
	}
	// The engine contains the container: reaching the engine from it goes against an edge.
	txt = call(t, cs, "path", map[string]any{"from": "prj_admin", "to": droplet}, &r)
	if !r.Connected || r.Directed || len(r.Steps) != 5 || r.Steps[3].Forward || r.Steps[4].Node.ID != droplet {
		t.Errorf("path %+v", r)
	}
	if txt != "admin -> erp.acme-coffee.com -> erp-odoo-1 -> erp-1 -> erp-1 (4 hop(s), ignoring edge directions)." {
		t.Errorf("text %q", txt)
	}
	call(t, cs, "path", map[string]any{"from": "prj_admin", "to": "prj_marketing"}, &r)
	if !r.Connected || r.Directed {
		t.Errorf("admin and marketing share a team, not a direction: %+v", r)
	}
	txt = call(t, cs, "path", map[string]any{"from": "prj_admin", "to": "198.51.100.77"}, &r)
	if r.Connected || len(r.Steps) != 0 || !strings.Contains(txt, "not connected") {
		t.Errorf("isolated node: %+v %q", r, txt)
	}
	if msg := callErr(t, cs, "path", map[string]any{"from": "prj_admin", "to": "nowhere"}); !strings.Contains(msg, "no such node") {
		t.Errorf("unknown to: %q", msg)
	}
}

// TestRestoreOrder: the restore_order tool gives INFRA.md's order, dependencies first, the
// system asked about last, and the estate's dependency cycles.
func TestRestoreOrder(t *testing.T) {
	cs := connect(t, writeEstate(t))
	var r render.RestorePlan
	txt := call(t, cs, "restore_order", map[string]any{"id": "prj_admin"}, &r)
	if r.System != "vercel:project:prj_admin" || len(r.Steps) == 0 || r.Steps[len(r.Steps)-1].ID != r.System {
		t.Fatalf("restore %+v", r)
	}
	pos := map[string]int{}
	for i, s := range r.Steps {
		pos[s.ID] = i
		if i > 0 && s.Wave < r.Steps[i-1].Wave {
			t.Errorf("step %d (%s, wave %d) after wave %d", i, s.ID, s.Wave, r.Steps[i-1].Wave)
		}
	}
	// admin calls the Odoo instance, which runs in a container on the droplet: the droplet first
	if d, o := pos["digitalocean:droplet:1001"], pos["odoo:instance:erp.acme-coffee.com"]; d >= o {
		t.Errorf("droplet at %d, odoo at %d: %+v", d, o, r.Steps)
	}
	if !strings.HasSuffix(txt, "admin (wave "+strconv.Itoa(r.Steps[len(r.Steps)-1].Wave)+"); "+strconv.Itoa(len(r.Cycles))+" dependency cycle(s).") {
		t.Errorf("text %q", txt)
	}
	var all render.RestorePlan
	call(t, cs, "restore_order", nil, &all)
	if all.System != "" || len(all.Steps) < 5 || all.Cycles == nil {
		t.Errorf("every system: %+v", all)
	}
	if msg := callErr(t, cs, "restore_order", map[string]any{"id": "nowhere"}); !strings.Contains(msg, "no such node") {
		t.Errorf("unknown id: %q", msg)
	}
}

func TestChangesSince(t *testing.T) {
	cs := connect(t, writeEstate(t))
	var r ChangesResult
	txt := call(t, cs, "changes_since", nil, &r)
	if r.Summary.Since != scan1 || r.Until != scan2 || r.Summary.NodesAdded != 1 || r.Summary.NodesStale != 7 || r.Summary.NodesChanged != 1 {
		t.Errorf("summary %+v", r.Summary)
	}
	if len(r.Changes.NodesAdded) != 1 || r.Changes.NodesAdded[0].ID != "vercel:project:prj_marketing" {
		t.Errorf("added %+v", r.Changes.NodesAdded)
	}
	if len(r.Changes.NodesChanged) != 1 || r.Changes.NodesChanged[0].Fields[0].Field != "attrs.node_version" {
		t.Errorf("changed %+v", r.Changes.NodesChanged)
	}
	if !strings.HasPrefix(txt, "Since scan "+scan1+": 1 node(s) added") {
		t.Errorf("text %q", txt)
	}
	call(t, cs, "changes_since", map[string]any{"since": "20261120", "limit": 2}, &r)
	if r.Summary.Since != scan1 || len(r.Changes.NodesStale) != 2 || !r.Truncated || r.Summary.NodesStale != 7 {
		t.Errorf("by prefix, limit 2: %+v truncated %v", r.Summary, r.Truncated)
	}
	call(t, cs, "changes_since", map[string]any{"since": "2026-11-20T12:00:00Z"}, &r)
	if r.Summary.Since != scan1 {
		t.Errorf("by time: since %s", r.Summary.Since)
	}
	call(t, cs, "changes_since", map[string]any{"since": scan2}, &r)
	if r.Summary.NodesAdded+r.Summary.NodesStale+r.Summary.NodesChanged != 0 {
		t.Errorf("against itself: %+v", r.Summary)
	}
	if msg := callErr(t, cs, "changes_since", map[string]any{"since": "2025-01-01"}); !strings.Contains(msg, "no scan at or before") {
		t.Errorf("before the history: %q", msg)
	}
	if msg := callErr(t, cs, "changes_since", map[string]any{"since": "19990101T000000Z"}); !strings.Contains(msg, "no scan") {
		t.Errorf("unknown scan: %q", msg)
	}
}

func TestScanStatus(t *testing.T) {
	cs := connect(t, writeEstate(t))
	var r StatusResult
	txt := call(t, cs, "scan_status", nil, &r)
	if txt != "Scan 20261121T060000Z: 5 collector(s) (3 ok, 1 partial, 1 failed); 35 node(s), 7 stale; 41 edge(s), 10 stale." {
		t.Errorf("text %q", txt)
	}
	var do, docker bool
	for _, c := range r.Collectors {
		switch c.Key() {
		case "digitalocean/prod":
			do = c.Status == "failed" && strings.Contains(c.Reason, "401") && c.Stale == 7
		case "docker/erp-1":
			docker = c.Status == "partial" && len(c.Warnings) == 1
		}
	}
	if !do || !docker || r.Scan.Demo || r.Scan.StartedAt != t2 {
		t.Errorf("status %+v", r)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "digitalocean/prod failed") }) {
		t.Errorf("warnings %v", r.Warnings)
	}
}
