package enrich

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// composeProjects builds one engine running n Compose projects, each with a `web` container
// whose DB_HOST is the bare name `db` and a `db` service, as the Docker collector emits them.
// With networks, each project's containers are attached to `<project>_default`.
func composeProjects(tb testing.TB, n int, networks bool) *graph.Graph {
	tb.Helper()
	g := graph.New()
	add := func(id string, a graph.Attrs) {
		p, k, _, _ := graph.ParseID(id)
		if err := g.AddNode(graph.Node{ID: id, Provider: p, Kind: k, Attrs: a}); err != nil {
			tb.Fatal(err)
		}
	}
	edge := func(from, to, typ string) {
		if err := g.AddEdge(graph.Observe(from, to, typ)); err != nil {
			tb.Fatal(err)
		}
	}
	add("docker:engine:e1", nil)
	for i := range n {
		proj := fmt.Sprintf("app%03d", i)
		pid := "docker:compose_project:e1/" + proj
		add(pid, graph.Attrs{"project": proj})
		edge("docker:engine:e1", pid, "contains")
		net := "docker:network:e1/" + proj + "_default"
		if networks {
			add(net, graph.Attrs{"compose.project": proj})
			edge("docker:engine:e1", net, "contains")
		}
		for _, svc := range []string{"web", "db"} {
			s, c := "docker:compose_service:e1/"+proj+"/"+svc, "docker:container:e1/"+proj+"-"+svc+"-1"
			add(s, graph.Attrs{"project": proj, "service": svc})
			a := graph.Attrs{"network_aliases": []string{svc, proj + "-" + svc + "-1"}, "compose.project": proj, "compose.service": svc}
			if svc == "web" {
				a["env.DB_HOST.host"] = "db"
			}
			add(c, a)
			edge(pid, s, "contains")
			edge(s, c, "contains")
			if networks {
				edge(c, net, "attached_to")
			}
		}
	}
	return g
}

// Issue #26 item 15: a bare name resolves inside its Compose project (its network), as Compose's
// DNS does, not across the engine: each web links to its own db only, and is accepted.
func TestRulesComposeNamesStayInTheirProject(t *testing.T) {
	for _, networks := range []bool{false, true} {
		t.Run(fmt.Sprintf("networks=%v", networks), func(t *testing.T) {
			const n = 5
			ps, vs := infer(t, composeProjects(t, n, networks))
			if len(ps) != n {
				t.Errorf("%d proposals for %d projects, want %d", len(ps), n, n)
			}
			got := map[string]bool{}
			for _, v := range vs {
				if v.Accepted {
					got[v.Proposal.Edge.Key().String()] = true
				}
			}
			for i := range n {
				proj := fmt.Sprintf("app%03d", i)
				want := "docker:container:e1/" + proj + "-web-1 -uses_database-> docker:compose_service:e1/" + proj + "/db"
				if !got[want] {
					t.Errorf("not accepted: %s", want)
				}
			}
			if len(got) != n {
				t.Errorf("accepted %d edges, want %d: %v", len(got), n, got)
			}
		})
	}
}

// Two projects on one shared external network both answer to `db` there: the reference is
// ambiguous, as it is for Docker's DNS, and nothing is accepted.
func TestRulesComposeNamesOnASharedNetworkAreAmbiguous(t *testing.T) {
	g := composeProjects(t, 2, true)
	shared := "docker:network:e1/proxy"
	if err := g.AddNode(graph.Node{ID: shared, Provider: "docker", Kind: "network"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"docker:container:e1/app000-web-1", "docker:container:e1/app001-db-1"} {
		if err := g.AddEdge(graph.Observe(c, shared, "attached_to")); err != nil {
			t.Fatal(err)
		}
	}
	ps, vs := infer(t, g)
	from := "docker:container:e1/app000-web-1"
	var tos []string
	for _, p := range ps {
		if p.Edge.From == from {
			tos = append(tos, p.Edge.To)
		}
	}
	if len(tos) != 2 {
		t.Errorf("web of app000 shares networks with two dbs: want 2 proposals, got %v", tos)
	}
	for _, v := range vs {
		if v.Accepted && v.Proposal.Edge.From == from {
			t.Errorf("ambiguous reference accepted: %s", v.Proposal.Edge.Key())
		}
	}
}

// BenchmarkRulesComposeProjects shows that proposals grow linearly with the number of Compose
// projects sharing service names (issue #26 item 15: they grew as N²).
func BenchmarkRulesComposeProjects(b *testing.B) {
	for _, n := range []int{50, 200, 400} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			g := composeProjects(b, n, true)
			b.ResetTimer()
			var ps []Proposal
			for range b.N {
				var err error
				if ps, err = (Rules{}).Propose(b.Context(), g); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(ps)), "proposals")
			b.ReportMetric(float64(len(ps))/float64(n), "proposals/project")
		})
	}
}

// Beyond localScan owners, the owners of a bare name are looked up by scope (inScope) instead of
// compared one by one: the proposals must be the ones every owner checked with sameScope gives,
// whether the names share a network, a Compose project, or only an engine (no project, no
// network: sameRoot), and when a shared network makes a name ambiguous.
func TestRulesBareNamesByScopeAsOneByOne(t *testing.T) {
	engines := func(n int) *graph.Graph {
		// n engines each running a web container naming "db" and a db container, no Compose
		g := graph.New()
		for i := range n {
			e := fmt.Sprintf("docker:engine:e%d", i)
			must(t, g.AddNode(graph.Node{ID: e, Provider: "docker", Kind: "engine"}))
			for _, c := range []string{"web", "db"} {
				id := fmt.Sprintf("docker:container:e%d/%s", i, c)
				a := graph.Attrs{"network_aliases": []string{c}}
				if c == "web" {
					a["env.DB_HOST.host"] = "db"
				}
				must(t, g.AddNode(graph.Node{ID: id, Provider: "docker", Kind: "container", Attrs: a}))
				must(t, g.AddEdge(graph.Observe(e, id, "contains")))
			}
		}
		return g
	}
	shared := func() *graph.Graph {
		g := composeProjects(t, 3*localScan, true)
		must(t, g.AddNode(graph.Node{ID: "docker:network:e1/proxy", Provider: "docker", Kind: "network"}))
		for _, c := range []string{"docker:container:e1/app000-web-1", "docker:container:e1/app001-db-1", "docker:container:e1/app017-db-1"} {
			must(t, g.AddEdge(graph.Observe(c, "docker:network:e1/proxy", "attached_to")))
		}
		return g
	}
	overlay := func() *graph.Graph {
		// a network two engines' containers share: only it joins them
		g := engines(3 * localScan)
		must(t, g.AddNode(graph.Node{ID: "docker:network:overlay", Provider: "docker", Kind: "network"}))
		for _, c := range []string{"docker:container:e0/web", "docker:container:e5/db"} {
			must(t, g.AddEdge(graph.Observe(c, "docker:network:overlay", "attached_to")))
		}
		return g
	}
	for name, g := range map[string]*graph.Graph{
		"overlay network":  overlay(),
		"projects":         composeProjects(t, 3*localScan, false),
		"networks":         composeProjects(t, 3*localScan, true),
		"engines":          engines(3 * localScan),
		"shared network":   shared(),
		"few (one by one)": composeProjects(t, localScan/2, true),
	} {
		t.Run(name, func(t *testing.T) {
			byScope, _ := infer(t, g)
			defer func(n int) { localScan = n }(localScan)
			localScan = 1 << 30
			oneByOne, _ := infer(t, g)
			if len(byScope) == 0 || !reflect.DeepEqual(byScope, oneByOne) {
				t.Errorf("by scope %d proposals, one by one %d:\n%v\n%v", len(byScope), len(oneByOne), keys(byScope), keys(oneByOne))
			}
			for _, p := range byScope {
				// every web's db is its own (its project's or engine's), but on the shared network
				if f, to := p.Edge.From, p.Edge.To; !strings.Contains(name, "network") && home(f) != home(to) {
					t.Errorf("%s -> %s crosses scopes", f, to)
				}
			}
		})
	}
}

// home is a node's Compose project, or its engine when it has none.
func home(id string) string {
	if p := regexp.MustCompile(`app\d+`).FindString(id); p != "" {
		return p
	}
	return regexp.MustCompile(`:e\d+/`).FindString(id)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func keys(ps []Proposal) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Edge.Key().String())
	}
	return out
}
