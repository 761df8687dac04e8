package render

import (
	"fmt"
	"testing"

	"github.com/infragraph/infragraph/demo/demograph"
	"github.com/infragraph/infragraph/graph"
)

// The test estates: "Acme Coffee" is the demo's scanned graph (package demograph), shared with
// the other packages' tests; the large estate and a few special cases are built here.

type builder struct {
	t *testing.T
	g *graph.Graph
}

func newBuilder(t *testing.T) *builder { return &builder{t: t, g: graph.New()} }

func (b *builder) node(source, id, name string, attrs graph.Attrs) string {
	b.t.Helper()
	p, k, _, err := graph.ParseID(id)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := b.g.AddNode(graph.Node{ID: id, Provider: p, Kind: k, Name: name, Attrs: attrs, Source: source}); err != nil {
		b.t.Fatal(err)
	}
	return id
}

func (b *builder) observe(from, to, typ string) {
	b.t.Helper()
	if err := b.g.AddEdge(graph.Observe(from, to, typ)); err != nil {
		b.t.Fatal(err)
	}
}

func (b *builder) infer(origin graph.Origin, from, to, typ string, conf float64, ev ...graph.Evidence) {
	b.t.Helper()
	if err := b.g.AddEdge(graph.Edge{From: from, To: to, Type: typ, Origin: origin, Confidence: conf, Evidence: ev}); err != nil {
		b.t.Fatal(err)
	}
}

func ev(node, field, value string) graph.Evidence {
	return graph.Evidence{Node: node, Field: field, Value: value}
}

// acme is Acme Coffee as a scan of the demo writes it (the shared test estate, package
// demograph: the real collectors over the fake APIs, then the rules), with what one scan of the
// demo cannot show on top: an edge the LLM proposed and the validator accepted, and the changes
// since the scan before.
func acme(t *testing.T) *graph.Graph {
	g := demograph.Graph(t)
	const pay = "odoo:payment_provider:erp.acme-coffee.com/acme/1"
	if err := g.AddEdge(graph.Edge{From: pay, To: "external:host:api.stripe.com", Type: "calls", Origin: graph.LLM, Confidence: 0.7, Evidence: []graph.Evidence{ev(pay, "code", "stripe")}}); err != nil {
		t.Fatal(err)
	}
	g.Scan.Changes = &graph.ChangeSummary{Since: "20261119T060000Z", NodesAdded: 2, NodesChanged: 1, EdgesAdded: 3,
		Highlights: []string{"new: vercel project marketing", "changed: digitalocean droplet erp-1 (size_slug)"}}
	return g
}

// acmeOdooDown is Acme Coffee after a scan in which the Odoo collector failed: its nodes were
// carried over from the previous scan as stale, and Vercel was partial.
func acmeOdooDown(t *testing.T) *graph.Graph {
	g := acme(t)
	g.Scan.Changes = nil
	stale := 0
	for _, n := range g.Nodes() {
		if n.Provider == "odoo" {
			p := g.NodePtr(n.ID)
			p.Stale, p.StaleSince = true, "2026-11-20T06:00:00Z"
			stale++
		}
	}
	for i := range g.Collectors {
		c := &g.Collectors[i]
		switch c.Provider {
		case "odoo":
			c.Status, c.Reason, c.Nodes, c.Edges, c.Stale = graph.StatusFailed, "authenticate: wrong password or api key (HTTP 200, uid false)", 0, 0, stale
		case "vercel":
			c.Status, c.Warnings = graph.StatusPartial, []string{"list drains: 403 Forbidden (plan does not include log drains)"}
		}
	}
	return g
}

// large generates an estate of tenants, each a copy of a small stack (Vercel project with env vars,
// Supabase project with tables, droplet, Docker engine and compose project), sharing a hub
// database and two external hosts, plus one Supabase project with many tables. tenants=100,
// tables=1000 gives about 5,000 nodes.
func large(t *testing.T, tenants, tables int) *graph.Graph {
	b := newBuilder(t)
	team := b.node("vercel/big", "vercel:team:team_big", "big", nil)
	org := b.node("supabase/big", "supabase:organization:big", "big", nil)
	acct0 := b.node("digitalocean/big", "digitalocean:account:big", "big", nil)
	acct := b.node("digitalocean/big", "digitalocean:project:big", "big-production", nil)
	b.observe(acct0, acct, "contains")
	stripe := b.node("", "external:host:api.stripe.com", "api.stripe.com", graph.Attrs{"host": "api.stripe.com"})
	mailer := b.node("", "external:host:smtp.sendgrid.net", "smtp.sendgrid.net", graph.Attrs{"host": "smtp.sendgrid.net"})
	hub := b.node("digitalocean/big", "digitalocean:db_cluster:hub", "hub-pg", graph.Attrs{"host": "hub.db.ondigitalocean.com", "region": "fra1"})
	b.observe(acct, hub, "contains")

	giant := b.node("supabase/big", "supabase:project:giantgiantgiantgiant", "giant", graph.Attrs{"region": "us-east-1"})
	b.observe(org, giant, "contains")
	gschema := b.node("supabase/big", "supabase:schema:giantgiantgiantgiant/public", "public", nil)
	b.observe(giant, gschema, "contains")
	prev := ""
	for i := 0; i < tables; i++ {
		tb := b.node("supabase/big", fmt.Sprintf("supabase:table:giantgiantgiantgiant/public.t%04d", i), fmt.Sprintf("public.t%04d", i), graph.Attrs{"estimated_rows": i * 10})
		b.observe(gschema, tb, "contains")
		if prev != "" && i%3 != 0 {
			b.observe(tb, prev, "references")
		}
		prev = tb
	}

	for i := 0; i < tenants; i++ {
		s := func(f string) string { return fmt.Sprintf(f, i) }
		sref := fmt.Sprintf("tenant%015d", i)
		prj := b.node("vercel/big", s("vercel:project:prj_%d"), s("shop-%d"), graph.Attrs{"framework": "nextjs", "domains": []string{s("shop-%d.example.com")}})
		b.observe(team, prj, "contains")
		sp := b.node("supabase/big", "supabase:project:"+sref, s("db-%d"), graph.Attrs{"api_host": sref + ".supabase.co", "region": "eu-central-1"})
		b.observe(org, sp, "contains")
		sch := b.node("supabase/big", "supabase:schema:"+sref+"/public", "public", nil)
		b.observe(sp, sch, "contains")
		for j := 0; j < 12; j++ {
			tb := b.node("supabase/big", fmt.Sprintf("supabase:table:%s/public.t%d", sref, j), fmt.Sprintf("public.t%d", j), nil)
			b.observe(sch, tb, "contains")
		}
		for j, name := range []string{"DATABASE_URL", "API_URL", "PAYMENTS_API", "SMTP_URL", "FLAG"} {
			env := b.node("vercel/big", s("vercel:env_var:prj_%d/")+name, name, graph.Attrs{"type": "encrypted"})
			b.observe(prj, env, "contains")
			switch j {
			case 0:
				b.infer(graph.Rule, env, sp, "uses_database", 0.9, ev(env, "value.host", sref+".supabase.co"))
			case 1:
				if i > 0 {
					b.infer(graph.LLM, env, fmt.Sprintf("vercel:project:prj_%d", i-1), "calls", 0.6, ev(env, "value.host", fmt.Sprintf("shop-%d.example.com", i-1)))
				}
			case 2:
				b.infer(graph.Rule, env, stripe, "calls", 0.9, ev(env, "value.host", "api.stripe.com"))
			case 3:
				b.infer(graph.Rule, env, mailer, "calls", 0.9, ev(env, "value.host", "smtp.sendgrid.net"))
			}
		}
		drop := b.node("digitalocean/big", s("digitalocean:droplet:%d"), s("worker-%d"), graph.Attrs{"public_ipv4": fmt.Sprintf("203.0.%d.%d", i/250, i%250+1)})
		b.observe(acct, drop, "contains")
		eng := b.node("docker/big", s("docker:engine:worker-%d"), s("worker-%d"), nil)
		b.infer(graph.Rule, eng, drop, "runs_on", 0.95)
		cp := b.node("docker/big", s("docker:compose_project:worker-%d/app"), "app", nil)
		b.observe(eng, cp, "contains")
		for _, name := range []string{"api", "jobs"} {
			svc := b.node("docker/big", s("docker:compose_service:worker-%d/app/")+name, name, nil)
			b.observe(cp, svc, "contains")
			c := b.node("docker/big", s("docker:container:worker-%d/")+name, name+"-1", nil)
			b.observe(svc, c, "contains")
			b.infer(graph.Rule, c, hub, "uses_database", 0.8, ev(c, "env.DATABASE_URL.host", "hub.db.ondigitalocean.com"))
		}
	}
	g := b.g
	g.Scan = graph.ScanInfo{ID: "20261121T060000Z", StartedAt: "2026-11-21T06:00:00Z", FinishedAt: "2026-11-21T06:01:30Z"}
	g.Collectors = []graph.CollectorStatus{
		{Provider: "digitalocean", Instance: "big", Status: graph.StatusOK, DurationMS: 4000},
		{Provider: "docker", Instance: "big", Status: graph.StatusPartial, Warnings: []string{"engine worker-7: list volumes: context deadline exceeded"}, DurationMS: 30000},
		{Provider: "supabase", Instance: "big", Status: graph.StatusOK, DurationMS: 12000},
		{Provider: "vercel", Instance: "big", Status: graph.StatusOK, DurationMS: 9000},
	}
	return g
}
