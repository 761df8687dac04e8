package enrich

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/schemas/schemastest"
)

func infer(t *testing.T, g *graph.Graph) ([]Proposal, []Verdict) {
	t.Helper()
	ps, err := Rules{}.Propose(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	vs := Validator{Vocab: schemastest.Vocabulary(), Threshold: 0.5}.Check(g, ps)
	return ps, vs
}

func TestRulesPrecisionRecallOnLabelledEstate(t *testing.T) {
	g := buildEstate(t)
	before := g.Clone()
	_, vs := infer(t, g)
	if !bytes.Equal(mustEncode(t, before), mustEncode(t, g)) {
		t.Fatal("Propose or Check modified the graph")
	}
	want := map[string]bool{}
	for _, k := range truth {
		want[k] = true
	}
	got := map[string]Verdict{}
	for _, v := range vs {
		if v.Accepted {
			got[v.Proposal.Edge.Key().String()] = v
		} else {
			t.Logf("rejected %s (%.2f): %v", v.Proposal.Edge.Key(), v.Proposal.Edge.Confidence, v.Reasons)
		}
	}
	tp := 0
	var fps, fns []string
	for k, v := range got {
		if want[k] {
			tp++
		} else {
			fps = append(fps, k+" ("+v.Proposal.Enricher+")")
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			fns = append(fns, k)
		}
	}
	sort.Strings(fps)
	sort.Strings(fns)
	precision := float64(tp) / float64(max(len(got), 1))
	recall := float64(tp) / float64(len(want))
	t.Logf("labelled estate: %d true edges, %d accepted, %d correct: precision %.3f recall %.3f", len(want), len(got), tp, precision, recall)
	for _, f := range fps {
		t.Logf("false positive: %s", f)
	}
	for _, f := range fns {
		t.Logf("missed: %s", f)
	}
	if precision < 0.95 || recall < 0.9 {
		t.Errorf("precision %.3f (want >= 0.95), recall %.3f (want >= 0.9)", precision, recall)
	}
	for k, v := range got {
		for _, d := range decoys {
			if v.Proposal.Edge.From == d || v.Proposal.Edge.To == d {
				t.Errorf("decoy %s linked: %s", d, k)
			}
		}
		if strings.Contains(k, "supabase:project:"+sbRef) && strings.Contains(k, "prj_admin") {
			t.Errorf("the unknown Supabase ref was linked to acme-prod: %s", k)
		}
	}
}

func mustEncode(t *testing.T, g *graph.Graph) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := graph.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func findVerdict(t *testing.T, vs []Verdict, key string) Verdict {
	t.Helper()
	for _, v := range vs {
		if v.Proposal.Edge.Key().String() == key {
			return v
		}
	}
	t.Fatalf("no proposal %s", key)
	return Verdict{}
}

func TestRulesConfidenceFollowsEvidence(t *testing.T) {
	g := buildEstate(t)
	_, vs := infer(t, g)
	for key, want := range map[string]float64{
		// pooler host and user postgres.<ref>
		"vercel:project:prj_storefront -uses_database-> supabase:project:" + sbRef: 0.95,
		// exact host and port of a database
		"docker:container:worker-1/worker -uses_database-> digitalocean:db_cluster:db-1": 0.95,
		// exact host only
		"docker:container:worker-1/worker -calls-> supabase:project:" + sbRef: 0.85,
		// through a CNAME
		"vercel:project:prj_storefront -calls-> digitalocean:app:app-1":                             0.85,
		"digitalocean:dns_record:acme-coffee.com/shop -resolves_to-> vercel:project:prj_storefront": 0.85,
		// an A record to an IP exactly one node owns
		"digitalocean:dns_record:acme-coffee.com/erp -resolves_to-> digitalocean:droplet:1001": 0.8,
		// an IP and a port a container publishes on the engine at that IP; the same through DNS
		"docker:container:worker-1/worker -calls-> docker:container:erp-1/odoo": 0.95,
		"digitalocean:app:app-1 -calls-> docker:container:erp-1/odoo":           0.8,
		// an IP that several records point at
		"digitalocean:dns_record:acme-coffee.com/www -resolves_to-> digitalocean:load_balancer:lb-1": 0.7,
		// CIDR containment
		"supabase:network_restriction:" + sbRef + " -allows-> vercel:secure_network:sn_1": 0.55,
		"supabase:network_restriction:" + sbRef + " -allows-> digitalocean:droplet:1001":  0.7,
	} {
		if got := findVerdict(t, vs, key).Proposal.Edge.Confidence; got != want {
			t.Errorf("%s: confidence %.2f, want %.2f", key, got, want)
		}
	}
}

func TestRulesEvidenceAndVia(t *testing.T) {
	g := buildEstate(t)
	ps, vs := infer(t, g)
	for _, v := range vs {
		for _, r := range v.Reasons {
			if c := r.Code; c != ReasonBelowThreshold {
				t.Errorf("rule proposal %s rejected for %s: a rule must only propose what the validator accepts", v.Proposal.Edge.Key(), r)
			}
		}
	}
	// A reference through DNS names the record in Via, and the evidence walks the chain.
	v := findVerdict(t, vs, "vercel:project:prj_storefront -calls-> digitalocean:app:app-1")
	if !contains(v.Proposal.Via, "digitalocean:dns_record:acme-coffee.com/api") || !contains(v.Proposal.Via, "vercel:env_var:prj_storefront/env_api") {
		t.Errorf("via = %v, want the DNS record and the env var", v.Proposal.Via)
	}
	wantEv := []graph.Evidence{
		{Node: "digitalocean:app:app-1", Field: "default_ingress_host", Value: "acme-api-x7k2p.ondigitalocean.app"},
		{Node: "digitalocean:dns_record:acme-coffee.com/api", Field: "fqdn", Value: "api.acme-coffee.com"},
		{Node: "digitalocean:dns_record:acme-coffee.com/api", Field: "target", Value: "acme-api-x7k2p.ondigitalocean.app."},
	}
	for _, w := range wantEv {
		if !containsEv(v.Proposal.Edge.Evidence, w) {
			t.Errorf("evidence %+v missing from %+v", w, v.Proposal.Edge.Evidence)
		}
	}
	// A deployment's URL is the project's: the deployment is on the way.
	d := findVerdict(t, vs, "vercel:project:prj_admin -calls-> vercel:project:prj_storefront").Proposal
	if !contains(d.Via, "vercel:deployment:dpl_1") || !containsEv(d.Edge.Evidence, graph.Evidence{Node: "vercel:deployment:dpl_1", Field: "url_host", Value: "storefront-abc123-acme.vercel.app"}) {
		t.Errorf("deployment lift: via %v evidence %+v", d.Via, d.Edge.Evidence)
	}
	// The pooler proposal quotes the user that names the project, never the password.
	p := findVerdict(t, vs, "vercel:project:prj_storefront -uses_database-> supabase:project:"+sbRef).Proposal
	if !containsEv(p.Edge.Evidence, graph.Evidence{Node: "vercel:env_var:prj_storefront/env_db", Field: "value.user", Value: "postgres." + sbRef}) {
		t.Errorf("pooler evidence: %+v", p.Edge.Evidence)
	}
	// External nodes are proposed, not created.
	x := findVerdict(t, vs, "vercel:project:prj_storefront -calls-> external:host:api.stripe.com").Proposal
	if len(x.NewNodes) != 1 || x.NewNodes[0].ID != "external:host:api.stripe.com" || g.HasNode("external:host:api.stripe.com") {
		t.Errorf("external node: %+v", x.NewNodes)
	}
	out, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("CANARY")) {
		t.Error("a proposal carries a CANARY secret")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func containsEv(evs []graph.Evidence, e graph.Evidence) bool {
	for _, x := range evs {
		if x == e {
			return true
		}
	}
	return false
}

func TestRulesApplyCreatesExternalNodesAndIsDeterministic(t *testing.T) {
	var outs [][]byte
	for i := 0; i < 3; i++ {
		g := buildEstate(t)
		_, vs := infer(t, g)
		Apply(g, vs)
		n, ok := g.Node("external:host:smtp.sendgrid.net")
		if !ok || n.Str("host") != "smtp.sendgrid.net" {
			t.Fatalf("external host not created: %+v", n)
		}
		if len(g.In("external:host:smtp.sendgrid.net")) != 3 {
			t.Errorf("smtp.sendgrid.net should be shared by Odoo, Supabase Auth and the worker: %v", g.In("external:host:smtp.sendgrid.net"))
		}
		if problems := schemas.ValidateJSON(mustEncode(t, g)); len(problems) > 0 {
			t.Fatalf("enriched graph invalid: %v", problems)
		}
		b, _ := json.Marshal(vs)
		out := append(mustEncode(t, g), b...)
		if bytes.Contains(out, []byte("CANARY")) {
			t.Fatal("a CANARY secret reached the enriched graph or the verdicts")
		}
		outs = append(outs, out)
	}
	if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[1], outs[2]) {
		t.Error("same estate gave different output")
	}
}

func TestRulesMergeWithObservedEdge(t *testing.T) {
	g := buildEstate(t)
	// The Supabase collector states the cron -> function call itself.
	from, to := "supabase:cron_job:"+sbRef+"/notify-orders", "supabase:edge_function:"+sbRef+"/send-order-email"
	if err := g.AddEdge(graph.Observe(from, to, "calls")); err != nil {
		t.Fatal(err)
	}
	_, vs := infer(t, g)
	Apply(g, vs)
	e, _ := g.Edge(graph.EdgeKey{From: from, To: to, Type: "calls"})
	if e.Origin != graph.Observed || !contains([]string{string(e.Origins[0]), string(e.Origins[1])}, "rule") || e.Confidence != 1 || len(e.Evidence) == 0 {
		t.Errorf("merged edge = %+v", e)
	}
	v := findVerdict(t, vs, graph.EdgeKey{From: from, To: to, Type: "calls"}.String())
	if len(v.Notes) != 1 || !strings.Contains(v.Notes[0], "merged with existing observed edge") {
		t.Errorf("notes = %v", v.Notes)
	}
}

func TestRulesNewKindNeedsNoCode(t *testing.T) {
	// A kind declared only in a vocabulary (here a test one) is indexed and matched from its
	// identities and references, with no code naming it.
	fsys := vocabFS(t, map[string]string{
		"vocabulary/acme.yaml": `provider: acme
kinds:
  service:
    category: app
    system: true
    description: x
    identities: {host: ["listen.*.host"]}
  client:
    category: app
    description: x
    references: {host: ["cfg.*.host"], url: ["cfg.*.url"], repo: [source]}
`,
		"vocabulary/inferred.yaml": `edges:
  calls:
    - from: [acme:client]
      to: [acme:service, external:host]
  builds_from:
    - from: [acme:client]
      to: [git:repo]
`,
	})
	v, err := schemas.Parse(fsys)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New()
	_ = g.AddNode(graph.Node{ID: "acme:service:s1", Provider: "acme", Kind: "service", Attrs: graph.Attrs{"listen.public.host": "svc.acme.test"}})
	_ = g.AddNode(graph.Node{ID: "acme:client:c1", Provider: "acme", Kind: "client", Attrs: graph.Attrs{
		"cfg.api.host": "SVC.acme.test.", "cfg.api.scheme": "https", "cfg.other.url": "https://elsewhere.example.org/x",
		"source": "git@github.com:Acme/Client.git"}})
	_ = g.AddNode(graph.Node{ID: "git:repo:github.com/acme/client", Provider: "git", Kind: "repo", Attrs: graph.Attrs{"repo": "github.com/acme/client"}})
	ps, err := Rules{Vocab: v}.Propose(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Edge.Key().String())
	}
	want := []string{"acme:client:c1 -calls-> acme:service:s1", "acme:client:c1 -calls-> external:host:elsewhere.example.org", "acme:client:c1 -builds_from-> git:repo:github.com/acme/client"}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Errorf("proposals %v, want %v", keys, want)
	}
	vs := Validator{Vocab: v, Threshold: 0.5}.Check(g, ps)
	for _, x := range vs {
		if !x.Accepted {
			t.Errorf("%s rejected: %v", x.Proposal.Edge.Key(), x.Reasons)
		}
	}
}

func TestRulesHonourCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Rules{}).Propose(ctx, buildEstate(t)); err == nil {
		t.Error("cancelled context: want an error")
	}
}

func TestRulesLocalNamesStayInTheirEngine(t *testing.T) {
	g := graph.New()
	add := func(id string, a graph.Attrs) {
		p, k, _, _ := graph.ParseID(id)
		if err := g.AddNode(graph.Node{ID: id, Provider: p, Kind: k, Attrs: a}); err != nil {
			t.Fatal(err)
		}
	}
	for _, eng := range []string{"e1", "e2"} {
		add("docker:engine:"+eng, nil)
		add("docker:compose_project:"+eng+"/app", nil)
		_ = g.AddEdge(graph.Observe("docker:engine:"+eng, "docker:compose_project:"+eng+"/app", "contains"))
		for _, svc := range []string{"web", "db"} {
			s, c := "docker:compose_service:"+eng+"/app/"+svc, "docker:container:"+eng+"/"+svc
			add(s, graph.Attrs{"service": svc}) // as the Docker collector emits it
			add(c, graph.Attrs{"network_aliases": []string{svc}})
			_ = g.AddEdge(graph.Observe("docker:compose_project:"+eng+"/app", s, "contains"))
			_ = g.AddEdge(graph.Observe(s, c, "contains"))
			_ = g.AddEdge(graph.Observe("docker:engine:"+eng, c, "contains"))
		}
	}
	// as a collector may record DB_HOST=db: a bare name, no scheme
	g.NodePtr("docker:container:e1/web").Attrs = graph.Attrs{"env.DB_HOST.host": "db"}
	_, vs := infer(t, g)
	var got []string
	for _, v := range vs {
		if v.Accepted {
			got = append(got, v.Proposal.Edge.Key().String())
		}
	}
	want := "docker:container:e1/web -uses_database-> docker:compose_service:e1/app/db"
	if len(got) != 1 || got[0] != want {
		t.Errorf("accepted %v, want only %s", got, want)
	}
}

func TestRulesAmbiguousOwnersAreNotAccepted(t *testing.T) {
	g := graph.New()
	for _, n := range []graph.Node{
		{ID: "vercel:project:p1", Provider: "vercel", Kind: "project", Attrs: graph.Attrs{"domains": []string{"www.acme.test"}}},
		{ID: "digitalocean:app:a1", Provider: "digitalocean", Kind: "app", Attrs: graph.Attrs{"domains": []string{"www.acme.test"}}},
		{ID: "odoo:server_action:i/db/1", Provider: "odoo", Kind: "server_action", Attrs: graph.Attrs{"webhook_host": "www.acme.test", "webhook_url": "https://www.acme.test/hook"}},
	} {
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	_, vs := infer(t, g)
	if len(vs) != 2 {
		t.Fatalf("want a proposal per owner, got %d", len(vs))
	}
	for _, v := range vs {
		if v.Accepted || v.Reasons[0].Code != ReasonBelowThreshold {
			t.Errorf("%s: an identity two systems claim must not be accepted: %v", v.Proposal.Edge.Key(), v.Reasons)
		}
	}
}

func TestVercelDNSTargets(t *testing.T) {
	for h, want := range map[string]bool{
		"cname.vercel-dns.com": true, "cname.vercel-dns-0.com": true, "d1d4fc829fe7bc7c.vercel-dns-017.com": true,
		"vercel-dns.com.evil.example": false, "notvercel-dns.com": false, "cname.vercel.app": false,
	} {
		if isVercelCNAME(h) != want {
			t.Errorf("isVercelCNAME(%q) = %v", h, !want)
		}
	}
}

// An application whose host has an A record to a droplet, where a Docker engine publishes the
// application's port from a Compose container, runs on that container: DNS -> droplet -> engine
// -> project -> service -> container, as the collectors nest them (issue #17). No proxy label says
// so here; the published port does.
func TestRulesServedThroughDNSAndPublishedPort(t *testing.T) {
	e := estate{t: t, g: graph.New()}
	e.node("digitalocean:droplet:42", "web-2", graph.Attrs{"public_ipv4": "192.0.2.42"})
	dom := e.node("digitalocean:domain:example.net", "example.net", nil)
	e.edge(dom, e.node("digitalocean:dns_record:example.net/books", "books", graph.Attrs{"fqdn": "books.example.net", "type": "A", "ip": "192.0.2.42", "name": "books"}), "contains")
	eng := e.node("docker:engine:web-2", "web-2", graph.Attrs{"host_ip": "192.0.2.42"})
	proj := e.node("docker:compose_project:web-2/books", "books", nil)
	e.edge(eng, proj, "contains")
	svc := e.node("docker:compose_service:web-2/books/front", "front", graph.Attrs{"service": "front"})
	e.edge(proj, svc, "contains")
	front := e.node("docker:container:web-2/front", "books-front-1", graph.Attrs{"published_ports": []string{"0.0.0.0:443->8443/tcp"}})
	e.edge(svc, front, "contains")
	other := e.node("docker:container:web-2/other", "other-1", graph.Attrs{"published_ports": []string{"0.0.0.0:8080->80/tcp"}})
	e.edge(eng, other, "contains")
	inst := e.node("odoo:instance:books.example.net", "books.example.net", graph.Attrs{"url": "https://books.example.net", "host": "books.example.net"})
	ps, err := Rules{}.Propose(context.Background(), e.g)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range ps {
		if p.Edge.From == inst && p.Edge.Type == "runs_on" {
			if p.Edge.To == other {
				t.Errorf("runs on a container that does not publish 443: %+v", p.Edge)
			}
			found = found || p.Edge.To == front
		}
	}
	if !found {
		t.Errorf("no runs_on to the container publishing 443: %v", ps)
	}
}

// The rules read a reference as its collector recorded it (graph.Ref), not the attributes that
// spell it: the port recorded with an env var's host makes the match exact (host and port of the
// cluster) even when no value.port attribute says so.
func TestRulesReadTheRecordedRef(t *testing.T) {
	g := graph.New()
	e := estate{t: t, g: g}
	db := e.node("digitalocean:db_cluster:c1", "c1", graph.Attrs{"host": "db-c1.example.com", "port": 25060})
	p := e.node("vercel:project:p1", "p1", nil)
	v := e.node("vercel:env_var:p1/e1", "PGHOST", graph.Attrs{"key": "PGHOST", "value.": graph.Ref{Host: "db-c1.example.com", Port: 25060}})
	e.edge(p, v, "contains")
	delete(g.NodePtr(v).Attrs, "value.port")
	ps, _ := infer(t, g)
	var got []string
	for _, pr := range ps {
		got = append(got, fmt.Sprintf("%s %v", pr.Edge.Key(), pr.Edge.Confidence))
	}
	if want := fmt.Sprintf("%s 0.95", graph.EdgeKey{From: p, To: db, Type: "uses_database"}); len(got) != 1 || got[0] != want {
		t.Errorf("proposals %v, want [%s]", got, want)
	}
}

// normHost returns a plain host (plainHost) without normalising it, and isIP says it is no IP
// without parsing it: the slow paths must agree, for every such value, including the ones IDNA
// refuses.
func TestPlainHostsNormaliseToThemselves(t *testing.T) {
	vals := []string{"db", "api.stripe.com", "erp-odoo-1", "a_b.example", "-x.example", "x-.example", "ab--cd.example",
		"a..b", ".a", "1a", "a1.2.3.4", strings.Repeat("a", 64) + ".example", strings.Repeat("abc.", 80) + "x",
		"xn--bcher-kva.example", "xn--a", "localhost", "db.internal", "x_", "_dmarc.example.com"}
	const chars = "abz09-._"
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = chars[r.IntN(len(chars))]
		}
		vals = append(vals, string(b))
	}
	plain := 0
	for _, v := range vals {
		if !plainHost(v) {
			continue
		}
		plain++
		if got := normHostSlow(v); got != v {
			t.Errorf("normHostSlow(%q) = %q, but plainHost says it is normal", v, got)
		}
		if evidence.IsIP(v) { // isIP does not parse a plain host
			t.Errorf("%q is an IP, but plainHost says it is a host name", v)
		}
	}
	if plain < 10000 {
		t.Errorf("only %d plain hosts checked", plain)
	}
	for _, v := range []string{"DB", "db.", " db", "1.2.3.4", "::1", "db:5432", "bücher.example", "xn--bcher-kva.example", "a/b", ""} {
		if plainHost(v) {
			t.Errorf("plainHost(%q): it needs normalising", v)
		}
	}
}

// Proposals come sorted by edge key whatever order the graph numbered its nodes in (they are
// sorted by the ends' ranks among the ids, not by their numbers), with sorted, unique evidence
// and via, external nodes among them: the same proposals from the estate built in reverse.
func TestProposalsSortedByKeyWhateverTheNodeOrder(t *testing.T) {
	g := buildEstate(t)
	rev := graph.New()
	nodes := g.Nodes()
	for i := len(nodes) - 1; i >= 0; i-- {
		if err := rev.AddNode(nodes[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range g.Edges() {
		if err := rev.AddEdge(e); err != nil {
			t.Fatal(err)
		}
	}
	ps, _ := infer(t, g)
	rs, _ := infer(t, rev)
	if !reflect.DeepEqual(ps, rs) {
		t.Errorf("proposals differ when the graph numbers its nodes in reverse:\n%v\n%v", keys(ps), keys(rs))
	}
	external, merged := 0, 0
	for i, p := range rs {
		if i > 0 {
			a, b := rs[i-1].Edge, p.Edge
			if c := cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To), strings.Compare(a.Type, b.Type)); c >= 0 {
				t.Errorf("not sorted by edge key: %s before %s", a.Key(), b.Key())
			}
		}
		if !slices.IsSortedFunc(p.Edge.Evidence, func(a, b graph.Evidence) int {
			return cmp.Or(strings.Compare(a.Node, b.Node), strings.Compare(a.Field, b.Field), strings.Compare(a.Value, b.Value))
		}) || len(slices.Compact(slices.Clone(p.Edge.Evidence))) != len(p.Edge.Evidence) {
			t.Errorf("%s: evidence not sorted and unique: %v", p.Edge.Key(), p.Edge.Evidence)
		}
		if !slices.IsSorted(p.Via) || len(slices.Compact(slices.Clone(p.Via))) != len(p.Via) {
			t.Errorf("%s: via not sorted and unique: %v", p.Edge.Key(), p.Via)
		}
		if len(p.NewNodes) > 0 {
			external++
		}
		if len(p.Edge.Evidence) > 2 {
			merged++
		}
	}
	if external == 0 || merged == 0 || len(rs) < 10 {
		t.Errorf("%d proposals, %d with new nodes, %d with evidence of several candidates: the estate no longer tests the order", len(rs), external, merged)
	}
}

// targets merges the owners of a value by the node they lead to, in their first order, whether
// it finds a target again by a linear search (few targets) or by a map (many).
func TestTargetsMergeOwnersOfOneNode(t *testing.T) {
	for _, n := range []int{3, 30} {
		g := graph.New()
		src := graph.Node{ID: "vercel:project:p", Provider: "vercel", Kind: "project"}
		must(t, g.AddNode(src))
		var owners []owner
		for i := range n {
			h := fmt.Sprintf("h%02d.example.com", (i*7)%n)
			must(t, g.AddNode(graph.Node{ID: "external:host:" + h, Provider: "external", Kind: "host", Attrs: graph.Attrs{"host": h}}))
		}
		ix := buildIndex(g, schemastest.Vocabulary())
		m := &matcher{ix: ix}
		for round, field := range []string{"host", "name"} {
			for i := range n {
				node := g.NodePtr(fmt.Sprintf("external:host:h%02d.example.com", (i*7)%n))
				owners = append(owners, owner{node: node, field: field, value: fmt.Sprint(round, i)})
			}
		}
		ts := m.targets(owners, g.NodePtr(src.ID), []string{calls})
		if len(ts) != n {
			t.Fatalf("%d owners of %d nodes: %d targets", len(owners), n, len(ts))
		}
		for i, tg := range ts {
			want := fmt.Sprintf("external:host:h%02d.example.com", (i*7)%n)
			if tg.node.ID != want || len(tg.ev) != 2 || tg.ev[0].Value != fmt.Sprint(0, i) || tg.ev[1].Value != fmt.Sprint(1, i) {
				t.Errorf("n=%d target %d: %s %v, want %s with both owners' evidence", n, i, tg.node.ID, tg.ev, want)
			}
		}
	}
}

// A node's plan (its identity and reference attributes, by a per-kind memo of attribute names)
// finds what Kind.AttrsOfType finds among its sorted keys, for every kind of the vocabulary, both
// directions and every value type, on attributes named as the declarations' patterns match.
func TestPlanIsAttrsOfType(t *testing.T) {
	v := schemastest.Vocabulary()
	names := []string{"host", "ip", "ips", "url", "name", "repo", "subnets", "network_aliases", "proxy_domains",
		"env.DB_HOST.host", "env.API.url", "env.X.port", "value.host", "value.url", "hostname", "domains", "extra_host_ips",
		"connection.host", "service", "addr", "sources", "inbound_open_ports", "a.b.c.host", "zzz"}
	checked := 0
	for q, k := range v.Kinds {
		provider, kind, _ := strings.Cut(q, ":")
		attrs := graph.Attrs{}
		for i, a := range names {
			if i%2 == 0 || len(k.Identities)+len(k.References) > 0 {
				attrs[a] = "x"
			}
		}
		for _, decl := range []map[string][]string{k.Identities, k.References} {
			for _, ps := range decl {
				for _, p := range ps {
					attrs[strings.ReplaceAll(p, "*", "Q")] = "x"
				}
			}
		}
		n := &graph.Node{ID: q + ":x", Provider: provider, Kind: kind, Attrs: attrs}
		ki := &kindInfo{kind: k, q: q, masks: map[string]uint16{}}
		plan := ki.plan(n)
		for _, identity := range []bool{true, false} {
			for _, typ := range valueTypes {
				want := k.AttrsOfType(identity, typ, attrs.Keys())
				if got := attrsOf(plan, identity, typ); !slices.Equal(got, want) {
					t.Errorf("%s identity=%v %s: plan %v, AttrsOfType %v", q, identity, typ, got, want)
				}
				checked += len(want)
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d attributes matched: the test no longer covers the declarations", checked)
	}
}
