package render

import (
	"fmt"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// The test estates are built by hand (the collectors are written in parallel): "Acme Coffee" from
// docs/demo-estate.md with the vocabulary's attribute names, and a generated large estate.

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

const ref = "qwertyuiopasdfghjklz"

// acme builds the Acme Coffee estate. Every collector succeeded; the history stage reported
// changes.
func acme(t *testing.T) *graph.Graph {
	b := newBuilder(t)
	// Vercel
	const vs = "vercel/acme"
	team := b.node(vs, "vercel:team:team_acme", "acme", nil)
	store := b.node(vs, "vercel:project:prj_storefront", "storefront", graph.Attrs{"framework": "nextjs", "domains": []string{"shop.acme-coffee.com", "storefront-acme.vercel.app"}})
	admin := b.node(vs, "vercel:project:prj_admin", "admin", graph.Attrs{"framework": "nextjs"})
	mkt := b.node(vs, "vercel:project:prj_marketing", "marketing", graph.Attrs{"framework": "astro"})
	for _, p := range []string{store, admin, mkt} {
		b.observe(team, p, "contains")
	}
	dbURL := b.node(vs, "vercel:env_var:prj_storefront/DATABASE_URL", "DATABASE_URL", graph.Attrs{"type": "encrypted", "targets": []string{"production"},
		"value.scheme": "postgres", "value.host": "aws-0-eu-central-1.pooler.supabase.com", "value.port": 6543, "value.user": "postgres." + ref})
	sbURL := b.node(vs, "vercel:env_var:prj_storefront/NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_URL", graph.Attrs{"type": "plain", "value.host": ref + ".supabase.co", "value.url": "https://" + ref + ".supabase.co"})
	stripeKey := b.node(vs, "vercel:env_var:prj_storefront/STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY", graph.Attrs{"type": "sensitive"})
	payAPI := b.node(vs, "vercel:env_var:prj_storefront/PAYMENTS_API", "PAYMENTS_API", graph.Attrs{"type": "plain", "value.host": "api.stripe.com", "value.url": "https://api.stripe.com/v1"})
	odooURL := b.node(vs, "vercel:env_var:prj_admin/ODOO_URL", "ODOO_URL", graph.Attrs{"type": "plain", "value.host": "erp.acme-coffee.com", "value.url": "https://erp.acme-coffee.com"})
	odooPW := b.node(vs, "vercel:env_var:prj_admin/ODOO_PASSWORD", "ODOO_PASSWORD", graph.Attrs{"type": "encrypted"})
	for _, e := range []string{dbURL, sbURL, stripeKey, payAPI} {
		b.observe(store, e, "contains")
	}
	b.observe(admin, odooURL, "contains")
	b.observe(admin, odooPW, "contains")
	shop := b.node(vs, "vercel:project_domain:prj_storefront/shop.acme-coffee.com", "shop.acme-coffee.com", graph.Attrs{"name": "shop.acme-coffee.com"})
	b.observe(store, shop, "contains")
	b.observe(shop, store, "routes_to")
	for _, r := range []struct{ p, repo string }{{store, "storefront"}, {admin, "admin"}} {
		id := b.node("", "git:repo:github.com/acme/"+r.repo, "acme/"+r.repo, graph.Attrs{"repo": "github.com/acme/" + r.repo})
		b.observe(r.p, id, "builds_from")
	}

	// Supabase
	const ss = "supabase/main"
	org := b.node(ss, "supabase:organization:acme", "acme", nil)
	prj := b.node(ss, "supabase:project:"+ref, "acme-prod", graph.Attrs{"region": "eu-central-1", "db_host": "db." + ref + ".supabase.co", "api_host": ref + ".supabase.co", "status": "ACTIVE_HEALTHY"})
	b.observe(org, prj, "contains")
	pooler := b.node(ss, "supabase:pooler:"+ref+"/transaction", "transaction pooler", graph.Attrs{"db_host": "aws-0-eu-central-1.pooler.supabase.com", "db_port": 6543, "pool_mode": "transaction"})
	fn := b.node(ss, "supabase:edge_function:"+ref+"/send-order-email", "send-order-email", graph.Attrs{"url": "https://" + ref + ".supabase.co/functions/v1/send-order-email"})
	cron := b.node(ss, "supabase:cron_job:"+ref+"/notify-orders", "notify-orders", graph.Attrs{"schedule": "*/5 * * * *", "url_hosts": []string{ref + ".supabase.co"}})
	schema := b.node(ss, "supabase:schema:"+ref+"/public", "public", nil)
	orders := b.node(ss, "supabase:table:"+ref+"/public.orders", "public.orders", graph.Attrs{"rls_enabled": true, "estimated_rows": 1200})
	hook := b.node(ss, "supabase:db_webhook:"+ref+"/public.orders/order-created", "order-created", graph.Attrs{"url_host": "shop.acme-coffee.com", "method": "POST"})
	auth := b.node(ss, "supabase:auth_config:"+ref, "auth", graph.Attrs{"site_url_host": "shop.acme-coffee.com", "smtp_host": "smtp.sendgrid.net"})
	for _, c := range []string{pooler, fn, cron, schema, auth} {
		b.observe(prj, c, "contains")
	}
	b.observe(schema, orders, "contains")
	b.observe(orders, hook, "contains")
	b.observe(pooler, prj, "pool_of")
	b.observe(cron, fn, "calls")
	b.observe(hook, orders, "applies_to")

	// DigitalOcean
	const ds = "digitalocean/prod"
	acct := b.node(ds, "digitalocean:account:acme", "acme", nil)
	doprj := b.node(ds, "digitalocean:project:p-1", "acme-production", nil)
	b.observe(acct, doprj, "contains")
	droplet := b.node(ds, "digitalocean:droplet:1001", "erp-1", graph.Attrs{"public_ipv4": "203.0.113.10", "private_ipv4": "10.110.0.2", "region": "fra1", "size_slug": "s-2vcpu-4gb"})
	app := b.node(ds, "digitalocean:app:a-1", "acme-api", graph.Attrs{"default_ingress_host": "acme-api-x7k2p.ondigitalocean.app", "region": "fra", "env.ODOO_URL.host": "erp.acme-coffee.com"})
	pg := b.node(ds, "digitalocean:db_cluster:c-1", "acme-pg", graph.Attrs{"engine": "pg", "host": "acme-pg-do-user-1-0.b.db.ondigitalocean.com", "private_host": "private-acme-pg-do-user-1-0.b.db.ondigitalocean.com", "port": 25060, "region": "fra1"})
	for _, x := range []string{droplet, app, pg} {
		b.observe(doprj, x, "contains")
	}
	apiRepo := b.node("", "git:repo:github.com/acme/api", "acme/api", graph.Attrs{"repo": "github.com/acme/api"})
	b.observe(app, apiRepo, "builds_from")
	b.observe(app, pg, "uses_database")
	zone := b.node(ds, "digitalocean:domain:acme-coffee.com", "acme-coffee.com", graph.Attrs{"name": "acme-coffee.com"})
	b.observe(acct, zone, "contains")
	rec := func(name, typ, data string) string {
		a := graph.Attrs{"fqdn": name + ".acme-coffee.com", "type": typ}
		if typ == "A" {
			a["ip"] = data
		} else {
			a["target"] = data
		}
		id := b.node(ds, "digitalocean:dns_record:acme-coffee.com/"+name+"-"+typ, name, a)
		b.observe(zone, id, "contains")
		return id
	}
	erpRec := rec("erp", "A", "203.0.113.10")
	shopRec := rec("shop", "CNAME", "cname.vercel-dns.com")
	apiRec := rec("api", "CNAME", "acme-api-x7k2p.ondigitalocean.app")
	rec("legacy", "A", "198.51.100.77") // decoy: nobody owns that IP
	b.observe(erpRec, droplet, "resolves_to")

	// Docker, on the droplet
	const ks = "docker/erp-1"
	eng := b.node(ks, "docker:engine:erp-1", "erp-1", graph.Attrs{"host_ip": "203.0.113.10", "version": "24.0.7"})
	cp := b.node(ks, "docker:compose_project:erp-1/erp", "erp", graph.Attrs{"working_dir": "/srv/erp"})
	b.observe(eng, cp, "contains")
	svc := map[string]string{}
	for _, s := range []string{"db", "odoo", "proxy"} {
		svc[s] = b.node(ks, "docker:compose_service:erp-1/erp/"+s, s, graph.Attrs{"name": s})
		b.observe(cp, svc[s], "contains")
		a := graph.Attrs{"image": map[string]string{"db": "postgres:15", "odoo": "odoo:17", "proxy": "traefik:3"}[s], "state": "running"}
		if s == "proxy" {
			a["proxy_domains"] = []string{"erp.acme-coffee.com"}
		}
		if s == "odoo" {
			a["env.DB_HOST.host"] = "db"
		}
		c := b.node(ks, "docker:container:erp-1/c-"+s, "erp-"+s+"-1", a)
		b.observe(svc[s], c, "contains")
		b.observe(eng, c, "contains")
	}
	b.observe(svc["odoo"], svc["db"], "depends_on")

	// Odoo
	const oo = "odoo/erp"
	inst := b.node(oo, "odoo:instance:erp.acme-coffee.com", "erp.acme-coffee.com", graph.Attrs{"host": "erp.acme-coffee.com", "base_url_host": "erp.acme-coffee.com", "version": "17.0"})
	db := b.node(oo, "odoo:database:erp.acme-coffee.com/acme", "acme", nil)
	b.observe(inst, db, "contains")
	mail := b.node(oo, "odoo:mail_server:erp.acme-coffee.com/acme/1", "SendGrid", graph.Attrs{"smtp_host": "smtp.sendgrid.net", "smtp_port": 587})
	act := b.node(oo, "odoo:server_action:erp.acme-coffee.com/acme/42", "Notify storefront", graph.Attrs{"webhook_host": "shop.acme-coffee.com"})
	pay := b.node(oo, "odoo:payment_provider:erp.acme-coffee.com/acme/stripe", "stripe", graph.Attrs{"code": "stripe", "state": "enabled"})
	company := b.node(oo, "odoo:company:erp.acme-coffee.com/acme/1", "Acme Coffee GmbH", graph.Attrs{"website_host": "acme-coffee.com"})
	for _, x := range []string{mail, act, pay, company} {
		b.observe(db, x, "contains")
	}
	b.observe(pay, company, "belongs_to")

	// External hosts (made by the rules enricher) and the inferred edges.
	sendgrid := b.node("", "external:host:smtp.sendgrid.net", "smtp.sendgrid.net", graph.Attrs{"host": "smtp.sendgrid.net"})
	stripe := b.node("", "external:host:api.stripe.com", "api.stripe.com", graph.Attrs{"host": "api.stripe.com"})
	b.infer(graph.Rule, dbURL, pooler, "uses_database", 0.95, ev(dbURL, "value.host", "aws-0-eu-central-1.pooler.supabase.com"), ev(pooler, "db_host", "aws-0-eu-central-1.pooler.supabase.com"))
	b.infer(graph.Rule, sbURL, prj, "calls", 0.9, ev(sbURL, "value.host", ref+".supabase.co"), ev(prj, "api_host", ref+".supabase.co"))
	b.infer(graph.Rule, payAPI, stripe, "calls", 0.9, ev(payAPI, "value.host", "api.stripe.com"))
	b.infer(graph.Rule, odooURL, inst, "calls", 0.9, ev(odooURL, "value.host", "erp.acme-coffee.com"), ev(inst, "host", "erp.acme-coffee.com"))
	b.infer(graph.Rule, hook, store, "calls", 0.9, ev(hook, "url_host", "shop.acme-coffee.com"), ev(store, "domains", "shop.acme-coffee.com"))
	b.infer(graph.Rule, auth, sendgrid, "sends_mail_via", 0.9, ev(auth, "smtp_host", "smtp.sendgrid.net"))
	b.infer(graph.Rule, shopRec, store, "resolves_to", 0.85, ev(shopRec, "target", "cname.vercel-dns.com"), ev(store, "domains", "shop.acme-coffee.com"))
	b.infer(graph.Rule, apiRec, app, "resolves_to", 0.95, ev(apiRec, "target", "acme-api-x7k2p.ondigitalocean.app"), ev(app, "default_ingress_host", "acme-api-x7k2p.ondigitalocean.app"))
	b.infer(graph.Rule, app, inst, "calls", 0.9, ev(app, "env.ODOO_URL.host", "erp.acme-coffee.com"), ev(inst, "host", "erp.acme-coffee.com"))
	b.infer(graph.Rule, eng, droplet, "runs_on", 0.95, ev(eng, "host_ip", "203.0.113.10"), ev(droplet, "public_ipv4", "203.0.113.10"))
	b.infer(graph.Rule, inst, svc["odoo"], "runs_on", 0.85, ev(inst, "host", "erp.acme-coffee.com"), ev("docker:container:erp-1/c-proxy", "proxy_domains", "erp.acme-coffee.com"))
	b.infer(graph.Rule, mail, sendgrid, "sends_mail_via", 0.95, ev(mail, "smtp_host", "smtp.sendgrid.net"))
	b.infer(graph.Rule, act, store, "calls", 0.9, ev(act, "webhook_host", "shop.acme-coffee.com"), ev(store, "domains", "shop.acme-coffee.com"))
	b.infer(graph.LLM, pay, stripe, "calls", 0.7, ev(pay, "code", "stripe"))

	g := b.g
	g.Scan = graph.ScanInfo{ID: "20261121T060000Z", StartedAt: "2026-11-21T06:00:00Z", FinishedAt: "2026-11-21T06:00:04Z", Generator: "infragraph test",
		Changes: &graph.ChangeSummary{Since: "20261120T060000Z", NodesAdded: 2, NodesChanged: 1, EdgesAdded: 3,
			Highlights: []string{"new: vercel project marketing", "changed: digitalocean droplet erp-1 (size_slug)"}}}
	g.Collectors = []graph.CollectorStatus{
		{Provider: "vercel", Instance: "acme", Status: graph.StatusOK, DurationMS: 812, Nodes: 13, Edges: 14},
		{Provider: "supabase", Instance: "main", Status: graph.StatusOK, DurationMS: 1433, Nodes: 10, Edges: 12},
		{Provider: "digitalocean", Instance: "prod", Status: graph.StatusOK, DurationMS: 655, Nodes: 11, Edges: 12},
		{Provider: "docker", Instance: "erp-1", Status: graph.StatusOK, DurationMS: 91, Nodes: 8, Edges: 11},
		{Provider: "odoo", Instance: "erp", Status: graph.StatusOK, DurationMS: 2210, Nodes: 6, Edges: 6},
	}
	return g
}

// acmeOdooDown is Acme Coffee after a scan in which the Odoo collector failed: its nodes were
// carried over from the previous scan as stale, and Vercel was partial.
func acmeOdooDown(t *testing.T) *graph.Graph {
	g := acme(t)
	g.Scan.Changes = nil
	for _, n := range g.Nodes() {
		if n.Provider == "odoo" {
			p := g.NodePtr(n.ID)
			p.Stale, p.StaleSince = true, "2026-11-20T06:00:00Z"
		}
	}
	for i := range g.Collectors {
		c := &g.Collectors[i]
		switch c.Provider {
		case "odoo":
			c.Status, c.Reason, c.Nodes, c.Edges, c.Stale = graph.StatusFailed, "authenticate: wrong password or api key (HTTP 200, uid false)", 0, 0, 6
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
