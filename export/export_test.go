package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Hostile names: markup, both quotes, a newline, a backslash, a backtick, a comma, Mermaid's
// directive opener, non-ASCII. Every export must carry them through as text, never as syntax.
const (
	hostileTeam    = "Team <script>alert(1)</script>"
	hostileProject = "shop \"main\" 'prod'\n%%{init: {\"theme\":\"dark\"}}%%"
	hostileDB      = `pg\back\slash\`
	hostileCont    = "web`1,2; DROP TABLE nodes; --"
	hostileNet     = "réseau — ü & <b>"
)

// hostile is a small graph whose every name is hostile input.
func hostile(t testing.TB) *graph.Graph {
	t.Helper()
	g := graph.New()
	add := func(id, name string, attrs graph.Attrs) {
		p, k, _, err := graph.ParseID(id)
		if err != nil {
			t.Fatal(err)
		}
		n := graph.Node{ID: id, Provider: p, Kind: k, Name: name, Attrs: attrs, Source: p + "/main",
			FirstSeen: "2026-01-02T03:04:05Z", LastSeen: "2026-01-02T03:04:05Z"}
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	add("vercel:team:team_1", hostileTeam, graph.Attrs{"slug": "acme"})
	add("vercel:project:prj_1", hostileProject, graph.Attrs{
		"framework": "nextjs", "id": "collides with the node id", "env.DATABASE_URL.host": "db.example.com",
		"weird`key": "x'y\\z", "domains": []string{"a.example.com", "b<c>.example.com"}, "count": 3,
		"ratio": 0.5, "enabled": true, "environment": "production"})
	add("vercel:env_var:prj_1/DATABASE_URL", "DATABASE_URL", graph.Attrs{"target": []string{"production"}})
	add("digitalocean:db_cluster:"+strings.Repeat("c", 80), hostileDB, graph.Attrs{"engine": "pg"})
	add("docker:container:engine-1/abc", hostileCont, nil)
	add("docker:network:engine-1/net", hostileNet, nil)
	stale := graph.Node{ID: "docker:volume:engine-1/data", Provider: "docker", Kind: "volume", Name: "data",
		Stale: true, StaleSince: "2026-01-01T00:00:00Z", Source: "docker/main"}
	if err := g.AddNode(stale); err != nil {
		t.Fatal(err)
	}
	edge := func(from, to, typ string, origin graph.Origin, conf float64) {
		if err := g.AddEdge(graph.Edge{From: from, To: to, Type: typ, Origin: origin, Confidence: conf,
			Evidence: []graph.Evidence{{Node: from, Field: "name", Value: "\"quoted\", <tag>\nline"}}}); err != nil {
			t.Fatal(err)
		}
	}
	edge("vercel:team:team_1", "vercel:project:prj_1", "contains", graph.Observed, 1)
	edge("vercel:project:prj_1", "vercel:env_var:prj_1/DATABASE_URL", "contains", graph.Observed, 1)
	edge("vercel:project:prj_1", "digitalocean:db_cluster:"+strings.Repeat("c", 80), "uses_database", graph.Rule, 0.9)
	edge("vercel:project:prj_1", "docker:container:engine-1/abc", "calls", graph.LLM, 0.75)
	edge("docker:container:engine-1/abc", "docker:network:engine-1/net", "attached_to", graph.Observed, 1)
	edge("docker:container:engine-1/abc", "docker:volume:engine-1/data", "mounts", graph.Observed, 1)
	edge("digitalocean:db_cluster:"+strings.Repeat("c", 80), "docker:network:engine-1/net", "allows", graph.Observed, 1)
	return g
}

// demoGraph is a graph.json of `discover scan --demo` (every provider, 94 nodes).
func demoGraph(t testing.TB) *graph.Graph {
	t.Helper()
	g, err := history.LoadFile(filepath.Join("testdata", "demo.graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// write runs every file of a format into dir and returns their paths.
func write(t testing.TB, f Format, g *graph.Graph, dir string) []string {
	t.Helper()
	var paths []string
	for _, file := range f.Files {
		var b bytes.Buffer
		if err := file.Write(&b, g); err != nil {
			t.Fatalf("%s: %v", file.Name, err)
		}
		p := filepath.Join(dir, file.Name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func render(t testing.TB, w func(*bytes.Buffer, *graph.Graph) error, g *graph.Graph) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := w(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	g := hostile(t)
	for _, f := range Formats() {
		for _, file := range f.Files {
			got := render(t, func(b *bytes.Buffer, g *graph.Graph) error { return file.Write(b, g) }, g)
			path := filepath.Join("testdata", "hostile."+file.Name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./export -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; run go test ./export -update and review the diff", file.Name, path)
			}
		}
	}
}

// TestDeterministic: the same graph, built in another order, gives the same bytes.
func TestDeterministic(t *testing.T) {
	a := demoGraph(t)
	doc := a.Document()
	for i, j := 0, len(doc.Nodes)-1; i < j; i, j = i+1, j-1 {
		doc.Nodes[i], doc.Nodes[j] = doc.Nodes[j], doc.Nodes[i]
	}
	for i, j := 0, len(doc.Edges)-1; i < j; i, j = i+1, j-1 {
		doc.Edges[i], doc.Edges[j] = doc.Edges[j], doc.Edges[i]
	}
	b, err := graph.FromDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats() {
		for _, file := range f.Files {
			x := render(t, func(w *bytes.Buffer, g *graph.Graph) error { return file.Write(w, g) }, a)
			y := render(t, func(w *bytes.Buffer, g *graph.Graph) error { return file.Write(w, g) }, b)
			if !bytes.Equal(x, y) {
				t.Errorf("%s: output depends on insertion order", file.Name)
			}
		}
	}
}

// needTool finds a consumer program: missing, the test fails under CI=true (scripts/test.sh
// installs it) and is skipped otherwise.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: scripts/test.sh installs it", name)
		}
		t.Skipf("%s not found; run the tests through scripts/test.sh", name)
	}
	return p
}

// consumerScript returns tools/consumers/<name>, whose node_modules scripts/test.sh installs.
func consumerScript(t *testing.T, name string) string {
	t.Helper()
	needTool(t, "node")
	dir := os.Getenv("INFRAGRAPH_CONSUMERS")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INFRAGRAPH_CONSUMERS is not set: run the tests through scripts/test.sh")
		}
		t.Skip("INFRAGRAPH_CONSUMERS is not set; run scripts/test.sh ./export/...")
	}
	return filepath.Join(dir, name)
}

func run(t *testing.T, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func graphs(t *testing.T) map[string]*graph.Graph {
	return map[string]*graph.Graph{"hostile": hostile(t), "demo": demoGraph(t)}
}

// TestDOTRendersWithoutWarnings: Graphviz's dot renders every export with nothing on stderr, and
// the hostile names arrive in the SVG as text.
func TestDOTRendersWithoutWarnings(t *testing.T) {
	dot := needTool(t, "dot")
	f, _ := Lookup("dot")
	for name, g := range graphs(t) {
		p := write(t, f, g, t.TempDir())[0]
		svg, stderr, err := run(t, dot, "-Tsvg", p)
		if err != nil || stderr != "" {
			t.Fatalf("%s: dot: %v\n%s", name, err, stderr)
		}
		if name == "hostile" {
			for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `pg\back\slash\`, "réseau — ü &amp; &lt;b&gt;", "%%{init"} {
				if !strings.Contains(svg, want) {
					t.Errorf("svg lacks the text %q", want)
				}
			}
			if strings.Contains(svg, "<script>") {
				t.Error("a node name became markup in the SVG")
			}
		}
	}
	// The check can fail: a broken file gives an error.
	bad := filepath.Join(t.TempDir(), "bad.dot")
	os.WriteFile(bad, []byte("digraph { a -> \"b }\n"), 0o644)
	if _, stderr, err := run(t, dot, "-Tsvg", bad); err == nil && stderr == "" {
		t.Error("dot accepted a broken file: the check proves nothing")
	}
}

// TestGraphMLValidates: xmllint validates every export against the GraphML 1.1 XML Schema
// (vendored in testdata/graphml, no network), and the names parse back exactly.
func TestGraphMLValidates(t *testing.T) {
	xmllint := needTool(t, "xmllint")
	dir, _ := filepath.Abs(filepath.Join("testdata", "graphml"))
	t.Setenv("XML_CATALOG_FILES", filepath.Join(dir, "catalog.xml"))
	f, _ := Lookup("graphml")
	validate := func(p string) (string, error) {
		_, stderr, err := run(t, xmllint, "--nonet", "--noout", "--schema", filepath.Join(dir, "graphml.xsd"), p)
		return stderr, err
	}
	for name, g := range graphs(t) {
		p := write(t, f, g, t.TempDir())[0]
		if stderr, err := validate(p); err != nil {
			t.Fatalf("%s: xmllint: %v\n%s", name, err, stderr)
		}
		data, _ := os.ReadFile(p)
		var doc struct {
			Nodes []struct {
				Data []struct {
					Key  string `xml:"key,attr"`
					Text string `xml:",chardata"`
				} `xml:"data"`
			} `xml:"graph>node"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		names := map[string]string{}
		for _, n := range doc.Nodes {
			var id, nm string
			for _, d := range n.Data {
				switch d.Key {
				case "d0":
					id = d.Text
				case "d3":
					nm = d.Text
				}
			}
			names[id] = nm
		}
		for _, n := range g.Nodes() {
			if names[n.ID] != n.Name {
				t.Errorf("%s: node %s: name %q came back as %q", name, n.ID, n.Name, names[n.ID])
			}
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.graphml")
	os.WriteFile(bad, []byte(`<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="sideways"/></graphml>`), 0o644)
	if _, err := validate(bad); err == nil {
		t.Error("xmllint accepted an invalid document: the check proves nothing")
	}
}

// TestCypherParses: Neo4j's Cypher language support parses every statement and finds no error.
func TestCypherParses(t *testing.T) {
	script := consumerScript(t, "cypher.mjs")
	f, _ := Lookup("cypher")
	dir := t.TempDir()
	var files []string
	for name, g := range graphs(t) {
		p := write(t, f, g, dir)[0]
		np := filepath.Join(dir, name+".cypher")
		os.Rename(p, np)
		files = append(files, np)
	}
	bad := filepath.Join(dir, "bad.cypher")
	os.WriteFile(bad, []byte("MERGE (n:InfraNode {id: 'it's'});\n"), 0o644)
	out, stderr, err := run(t, "node", append([]string{script}, append(files, bad)...)...)
	if err == nil {
		t.Fatalf("the checker accepted a broken script: it proves nothing\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			File   string
			OK     bool
			Errors []string
		}
		if json.Unmarshal([]byte(line), &r) != nil {
			t.Fatalf("checker output %q\n%s", line, stderr)
		}
		if (r.File == bad) == r.OK {
			t.Errorf("%s: ok=%v %v", r.File, r.OK, r.Errors)
		}
	}
	if strings.Count(out, "\n") != 3 {
		t.Errorf("want 3 results, got\n%s\n%s", out, stderr)
	}
}

// TestBackstageValidates: Backstage's own entity policies and kind validators accept every
// entity, every relation points at an entity of the export, and names keep Backstage's rules.
func TestBackstageValidates(t *testing.T) {
	script := consumerScript(t, "backstage.mjs")
	f, _ := Lookup("backstage")
	dir := t.TempDir()
	var files []string
	for name, g := range graphs(t) {
		p := write(t, f, g, dir)[0]
		np := filepath.Join(dir, name+".yaml")
		os.Rename(p, np)
		files = append(files, np)
	}
	owned := filepath.Join(dir, "owned.yaml")
	var ob bytes.Buffer
	if err := BackstageWith(BackstageOptions{Owner: "group:default/platform"})(&ob, hostile(t)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(owned, ob.Bytes(), 0o644)
	files = append(files, owned)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: \"not a name!\"\nspec:\n  type: service\n  lifecycle: x\n  owner: y\n"), 0o644)
	out, stderr, err := run(t, "node", append([]string{script}, append(files, bad)...)...)
	if err == nil {
		t.Fatalf("the validator accepted a bad entity: it proves nothing\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			File     string
			OK       bool
			Entities int
			Errors   []string
		}
		if json.Unmarshal([]byte(line), &r) != nil {
			t.Fatalf("validator output %q\n%s", line, stderr)
		}
		if (r.File == bad) == r.OK {
			t.Errorf("%s: ok=%v %v", r.File, r.OK, r.Errors)
		}
		if r.File != bad && r.Entities == 0 {
			t.Errorf("%s: no entities", r.File)
		}
	}
}

func TestCheckOwner(t *testing.T) {
	for _, ok := range []string{"unknown", "platform", "group:platform", "group:default/platform", "user:team-a/jane.doe", "Group:default/Platform_1"} {
		if err := CheckOwner(ok); err != nil {
			t.Errorf("CheckOwner(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "the platform team", "group:", "/platform", "group:Default/x", "a:b:c", "x<script>", strings.Repeat("a", 64)} {
		if CheckOwner(bad) == nil {
			t.Errorf("CheckOwner(%q) accepted it", bad)
		}
	}
}

func TestEntityName(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, c := range []struct{ text, key string }{
		{"project-storefront", "vercel:project:prj_1"},
		{"db_cluster-" + long, "a"},
		{"<script>!!!", "b"},
		{"---", "c"},
		{"réseau", "d"},
	} {
		n := EntityName(c.text, c.key)
		if len(n) > 63 || !backstageName(n) {
			t.Errorf("EntityName(%q) = %q: not a Backstage name", c.text, n)
		}
		if EntityName(c.text, c.key) != n {
			t.Error("not deterministic")
		}
	}
	if EntityName("same", "id1") == EntityName("same", "id2") {
		t.Error("two ids with the same name map to one entity name")
	}
}

// backstageName is Backstage's rule: [a-zA-Z0-9] runs separated by one of -_. .
func backstageName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	prevSep := true
	for _, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum {
			if prevSep || !strings.ContainsRune("-_.", r) {
				return false
			}
		}
		prevSep = !alnum
	}
	return !prevSep
}

// TestCSVRoundTrip: Go's CSV reader (RFC 4180) reads every field back exactly.
func TestCSVRoundTrip(t *testing.T) {
	g := hostile(t)
	rows, err := csv.NewReader(bytes.NewReader(render(t, func(b *bytes.Buffer, g *graph.Graph) error { return NodesCSV(b, g) }, g))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(nodeColumns, ",") {
		t.Errorf("header %v", rows[0])
	}
	nodes := g.Nodes()
	if len(rows) != len(nodes)+1 {
		t.Fatalf("%d rows for %d nodes", len(rows), len(nodes))
	}
	for i, n := range nodes {
		if rows[i+1][0] != n.ID || rows[i+1][3] != n.Name {
			t.Errorf("row %d: %q %q, want %q %q", i+1, rows[i+1][0], rows[i+1][3], n.ID, n.Name)
		}
	}
}

// TestCSVCopyIntoPostgres loads nodes.csv and edges.csv with the real PostgreSQL's
// COPY ... (FORMAT csv, HEADER) into typed tables, and reads the hostile names back exactly.
func TestCSVCopyIntoPostgres(t *testing.T) {
	dsn := os.Getenv("INFRAGRAPH_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INFRAGRAPH_TEST_PG_DSN is not set: scripts/test.sh starts PostgreSQL")
		}
		t.Skip("INFRAGRAPH_TEST_PG_DSN not set (scripts/test.sh starts PostgreSQL)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The README's table definitions, verbatim: keep them in step.
	for _, q := range []string{
		`CREATE TEMP TABLE nodes (id text PRIMARY KEY, provider text, kind text, name text, source text,
		  first_seen timestamptz, last_seen timestamptz, stale boolean, stale_since timestamptz, attrs jsonb)`,
		`CREATE TEMP TABLE edges ("from" text, "to" text, type text, origin text, origins text,
		  confidence double precision, source text, first_seen timestamptz, last_seen timestamptz,
		  stale boolean, stale_since timestamptz, evidence jsonb)`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for name, g := range graphs(t) {
		if _, err := conn.Exec(ctx, "TRUNCATE nodes, edges"); err != nil {
			t.Fatal(err)
		}
		for table, w := range map[string]func(*bytes.Buffer, *graph.Graph) error{
			"nodes": func(b *bytes.Buffer, g *graph.Graph) error { return NodesCSV(b, g) },
			"edges": func(b *bytes.Buffer, g *graph.Graph) error { return EdgesCSV(b, g) },
		} {
			data := render(t, w, g)
			if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(data), "COPY "+table+" FROM STDIN WITH (FORMAT csv, HEADER true)"); err != nil {
				t.Fatalf("%s: COPY %s: %v", name, table, err)
			}
		}
		var nodes, edges int
		if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM edges)").Scan(&nodes, &edges); err != nil {
			t.Fatal(err)
		}
		if wn, we := g.Len(); nodes != wn || edges != we {
			t.Errorf("%s: copied %d nodes, %d edges; want %d, %d", name, nodes, edges, wn, we)
		}
		for _, n := range g.Nodes() {
			var got string
			var stale bool
			if err := conn.QueryRow(ctx, "SELECT name, stale FROM nodes WHERE id = $1", n.ID).Scan(&got, &stale); err != nil {
				t.Fatalf("%s: %s: %v", name, n.ID, err)
			}
			if got != n.Name || stale != n.Stale {
				t.Errorf("%s: %s: name %q stale %v, want %q %v", name, n.ID, got, stale, n.Name, n.Stale)
			}
		}
	}
}
