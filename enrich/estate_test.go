package enrich

import (
	"testing"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

// The labelled test estate: Acme Coffee (docs/demo-estate.md) as the collectors emit it, with the
// attribute names of schemas/vocabulary, plus a few additions that exercise every rule (a second
// Docker engine, a Vercel-managed zone, a CNAME chain to a third party). Secret values contain
// CANARY; they go only through evidence.EnvRef, as in the collectors.

const (
	sbRef     = "qwertyuiopasdfghjklz"
	branchRef = "mnbvcxzlkjhgfdsapoiu"
)

type estate struct {
	t *testing.T
	g *graph.Graph
}

func (e estate) node(id, name string, attrs graph.Attrs) string {
	e.t.Helper()
	p, k, _, err := graph.ParseID(id)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.g.AddNode(graph.Node{ID: id, Provider: p, Kind: k, Name: name, Attrs: attrs}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e estate) edge(from, to, typ string) {
	e.t.Helper()
	if err := e.g.AddEdge(graph.Observe(from, to, typ)); err != nil {
		e.t.Fatal(err)
	}
}

// env builds an env var's attributes the way collectors do: the key, and facts of the value.
func env(prefix, key, value string, extra graph.Attrs) graph.Attrs {
	a := graph.Attrs{}
	for k, v := range evidence.EnvRef(prefix, key, value) {
		a[k] = v
	}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// containerEnv builds a container's env.<KEY>.* attributes.
func containerEnv(kv ...string) graph.Attrs {
	a := graph.Attrs{}
	var keys []string
	for i := 0; i < len(kv); i += 2 {
		keys = append(keys, kv[i])
		for k, v := range evidence.EnvRef("env."+kv[i], kv[i], kv[i+1]) {
			a[k] = v
		}
	}
	a["env_keys"] = keys
	return a
}

func buildEstate(t *testing.T) *graph.Graph {
	e := estate{t: t, g: graph.New()}

	// Vercel
	team := e.node("vercel:team:team_acme", "acme", nil)
	store := e.node("vercel:project:prj_storefront", "storefront", graph.Attrs{"framework": "nextjs",
		"domains": []string{"shop.acme-coffee.com", "storefront-acme.vercel.app"}, "aliases": []string{"storefront-acme.vercel.app"}})
	admin := e.node("vercel:project:prj_admin", "admin", graph.Attrs{"domains": []string{"admin-acme.vercel.app"}})
	mkt := e.node("vercel:project:prj_marketing", "erp-landing", graph.Attrs{"domains": []string{"erp-landing-acme.vercel.app"}})
	docs := e.node("vercel:project:prj_docs", "docs", graph.Attrs{"domains": []string{"docs.acme.dev"}})
	for _, p := range []string{store, admin, mkt, docs} {
		e.edge(team, p, "contains")
	}
	repo := e.node("git:repo:github.com/acme/storefront", "acme/storefront", graph.Attrs{"repo": "github.com/acme/storefront"})
	e.edge(store, repo, "builds_from")
	pd := e.node("vercel:project_domain:prj_storefront/shop.acme-coffee.com", "shop.acme-coffee.com", graph.Attrs{"name": "shop.acme-coffee.com"})
	e.edge(store, pd, "contains")
	e.edge(pd, store, "routes_to")
	dep := e.node("vercel:deployment:dpl_1", "storefront-abc123", graph.Attrs{"url_host": "storefront-abc123-acme.vercel.app"})
	e.edge(store, dep, "contains")
	for id, kv := range map[string][2]string{
		"env_db":       {"DATABASE_URL", "postgres://postgres." + sbRef + ":CANARY-vercel-db-password@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"},
		"env_sb":       {"NEXT_PUBLIC_SUPABASE_URL", "https://" + sbRef + ".supabase.co"},
		"env_stripe":   {"STRIPE_SECRET_KEY", "sk_live_CANARY"},
		"env_payments": {"PAYMENTS_API", "https://api.stripe.com/v1"},
		"env_api":      {"API_URL", "https://api.acme-coffee.com/v2"},
	} {
		e.edge(store, e.node("vercel:env_var:prj_storefront/"+id, kv[0], env("value", kv[0], kv[1], graph.Attrs{"key": kv[0]})), "contains")
	}
	for id, kv := range map[string][2]string{
		"env_odoo":   {"ODOO_URL", "https://erp.acme-coffee.com"},
		"env_old":    {"LEGACY_API", "https://legacy.acme-coffee.com/v1"},               // its record points at an IP nobody owns
		"env_shop":   {"SHOP_PREVIEW_URL", "https://storefront-abc123-acme.vercel.app"}, // a deployment of the storefront
		"env_pw":     {"ODOO_PASSWORD", "CANARY-odoo-password"},
		"env_legacy": {"LEGACY_DB_URL", "postgres://postgres:CANARY@db.zzzzzzzzzzzzzzzzzzzz.supabase.co:5432/postgres"},
	} {
		e.edge(admin, e.node("vercel:env_var:prj_admin/"+id, kv[0], env("value", kv[0], kv[1], graph.Attrs{"key": kv[0]})), "contains")
	}
	// decoy: a name that suggests the ERP and a value that is no URL
	e.edge(mkt, e.node("vercel:env_var:prj_marketing/env_name", "NEXT_PUBLIC_SITE_NAME", env("value", "NEXT_PUBLIC_SITE_NAME", "Acme ERP landing", graph.Attrs{"key": "NEXT_PUBLIC_SITE_NAME"})), "contains")
	sn := e.node("vercel:secure_network:sn_1", "acme-egress", graph.Attrs{"egress_ips": []string{"198.18.0.5"}, "cidr": "10.200.0.0/16"})
	e.edge(team, sn, "contains")
	vdom := e.node("vercel:domain:acme.dev", "acme.dev", graph.Attrs{"name": "acme.dev"})
	e.edge(team, vdom, "contains")
	e.edge(vdom, e.node("vercel:dns_record:rec_docs", "docs", graph.Attrs{"fqdn": "docs.acme.dev", "type": "A", "ip": "76.76.21.21"}), "contains")

	// Supabase
	org := e.node("supabase:organization:acme", "acme", nil)
	sp := e.node("supabase:project:"+sbRef, "acme-prod", graph.Attrs{"sbRef": sbRef, "region": "eu-central-1",
		"db_host": "db." + sbRef + ".supabase.co", "db_port": 5432, "api_host": sbRef + ".supabase.co"})
	e.edge(org, sp, "contains")
	pooler := e.node("supabase:pooler:"+sbRef+"/transaction", "transaction", graph.Attrs{"db_host": "aws-0-eu-central-1.pooler.supabase.com", "db_port": 6543, "db_user": "postgres." + sbRef})
	e.edge(sp, pooler, "contains")
	e.edge(pooler, sp, "pool_of")
	fn := e.node("supabase:edge_function:"+sbRef+"/send-order-email", "send-order-email", graph.Attrs{"url": "https://" + sbRef + ".supabase.co/functions/v1/send-order-email"})
	e.edge(sp, fn, "contains")
	cron := e.node("supabase:cron_job:"+sbRef+"/notify-orders", "notify-orders", graph.Attrs{"schedule": "*/5 * * * *",
		"urls": []string{"https://" + sbRef + ".supabase.co/functions/v1/send-order-email"}, "url_hosts": []string{sbRef + ".supabase.co"}})
	e.edge(sp, cron, "contains")
	schema := e.node("supabase:schema:"+sbRef+"/public", "public", nil)
	e.edge(sp, schema, "contains")
	orders := e.node("supabase:table:"+sbRef+"/public.orders", "orders", nil)
	e.edge(schema, orders, "contains")
	hook := e.node("supabase:db_webhook:"+sbRef+"/public.orders/order_created", "order_created", graph.Attrs{"url": "https://shop.acme-coffee.com/api/order-created", "url_host": "shop.acme-coffee.com", "method": "POST"})
	e.edge(orders, hook, "contains")
	e.edge(hook, orders, "applies_to")
	auth := e.node("supabase:auth_config:"+sbRef, "auth", graph.Attrs{"site_url_host": "shop.acme-coffee.com", "redirect_hosts": []string{"shop.acme-coffee.com", "localhost"}, "smtp_host": "smtp.sendgrid.net"})
	e.edge(sp, auth, "contains")
	nr := e.node("supabase:network_restriction:"+sbRef, "network restrictions", graph.Attrs{"allowed_cidrs": []string{"203.0.113.10/32", "198.18.0.0/24"}})
	e.edge(sp, nr, "contains")

	// DigitalOcean
	acct := e.node("digitalocean:account:acme", "acme", nil)
	e.node("digitalocean:droplet:1001", "erp-1", graph.Attrs{"public_ipv4": "203.0.113.10", "private_ipv4": "10.110.0.2"})
	dom := e.node("digitalocean:domain:acme-coffee.com", "acme-coffee.com", graph.Attrs{"name": "acme-coffee.com"})
	e.edge(acct, dom, "contains")
	records := map[string]graph.Attrs{
		"shop":   {"fqdn": "shop.acme-coffee.com", "type": "CNAME", "target": "cname.vercel-dns.com."},
		"erp":    {"fqdn": "erp.acme-coffee.com", "type": "A", "ip": "203.0.113.10"},
		"erp-1":  {"fqdn": "erp-1.acme-coffee.com", "type": "A", "ip": "203.0.113.10"},
		"api":    {"fqdn": "api.acme-coffee.com", "type": "CNAME", "target": "acme-api-x7k2p.ondigitalocean.app."},
		"legacy": {"fqdn": "legacy.acme-coffee.com", "type": "A", "ip": "198.51.100.77"},
		"status": {"fqdn": "status.acme-coffee.com", "type": "CNAME", "target": "acme.statuspage.io."},
		"mx":     {"fqdn": "acme-coffee.com", "type": "MX", "target": "mx.sendgrid.net."},
		"ns":     {"fqdn": "acme-coffee.com", "type": "NS", "target": "ns1.digitalocean.com."},
	}
	for name, a := range records {
		a["name"] = name
		e.edge(dom, e.node("digitalocean:dns_record:acme-coffee.com/"+name, name, a), "contains")
	}
	app := e.node("digitalocean:app:app-1", "acme-api", containerEnv("ODOO_URL", "https://erp.acme-coffee.com", "JWT_SECRET", "CANARY-jwt",
		"ODOO_RPC", "http://erp-1.acme-coffee.com:8069"))
	e.g.NodePtr(app).Attrs["default_ingress_host"] = "acme-api-x7k2p.ondigitalocean.app"
	e.g.NodePtr(app).Attrs["repo"] = "github.com/acme/api"
	pg := e.node("digitalocean:db_cluster:db-1", "acme-pg", graph.Attrs{"host": "acme-pg-do-user-1-0.b.db.ondigitalocean.com", "port": 25060,
		"private_host": "private-acme-pg-do-user-1-0.b.db.ondigitalocean.com"})
	e.edge(app, pg, "uses_database")
	ts := e.node("digitalocean:db_trusted_source:db-1/ts-1", "ip_addr", graph.Attrs{"type": "ip_addr", "cidr": "203.0.113.10"})
	e.edge(pg, ts, "contains")
	lb := e.node("digitalocean:load_balancer:lb-1", "web", graph.Attrs{"ip": "203.0.113.20"})
	_ = lb
	for _, name := range []string{"www", "menu", "order"} {
		e.edge(dom, e.node("digitalocean:dns_record:acme-coffee.com/"+name, name, graph.Attrs{"fqdn": name + ".acme-coffee.com", "type": "A", "ip": "203.0.113.20", "name": name}), "contains")
	}
	e.node("digitalocean:firewall:fw-1", "open", graph.Attrs{"inbound_addresses": []string{"0.0.0.0/0", "::/0"}})

	// Docker: the Odoo compose project on erp-1, and a worker engine elsewhere
	eng := e.node("docker:engine:erp-1", "erp-1", graph.Attrs{"host": "erp-1", "host_ip": "203.0.113.10"})
	cp := e.node("docker:compose_project:erp-1/erp", "erp", nil)
	e.edge(eng, cp, "contains")
	for _, svc := range []string{"odoo", "db", "proxy", "cache"} {
		s := e.node("docker:compose_service:erp-1/erp/"+svc, svc, graph.Attrs{"service": svc})
		e.edge(cp, s, "contains")
		attrs := containerEnv("DB_HOST", "db", "PGPASSWORD", "CANARY-pg")
		attrs["network_aliases"] = []string{svc}
		switch svc {
		case "proxy":
			attrs["proxy_domains"] = []string{"erp.acme-coffee.com"}
			attrs["published_ports"] = []string{"0.0.0.0:443->443/tcp", "0.0.0.0:80->80/tcp"}
		case "odoo":
			attrs["published_ports"] = []string{"0.0.0.0:8069->8069/tcp"}
		case "db":
			attrs["published_ports"] = []string{"127.0.0.1:5432->5432/tcp"} // loopback only
		}
		c := e.node("docker:container:erp-1/"+svc, svc, attrs)
		e.edge(s, c, "contains")
		e.edge(eng, c, "contains")
	}
	e.edge("docker:compose_service:erp-1/erp/odoo", "docker:compose_service:erp-1/erp/db", "depends_on")
	w := e.node("docker:engine:worker-1", "worker-1", graph.Attrs{"host": "worker-1.example.net", "host_ip": "192.0.2.50"})
	worker := e.node("docker:container:worker-1/worker", "worker", containerEnv(
		"DATABASE_URL", "postgres://doadmin:CANARY-do-pg@private-acme-pg-do-user-1-0.b.db.ondigitalocean.com:25060/defaultdb",
		"SUPABASE_URL", "https://"+sbRef+".supabase.co",
		"SLACK_WEBHOOK", "https://hooks.slack.com/services/T000/B000/CANARYtokenCANARYtoken",
		"CACHE_URL", "redis://cache:6379",
		"ODOO_URL", "https://erp.acme-coffee.com/web",
		"SMTP_URL", "smtp://apikey:CANARY-sendgrid@smtp.sendgrid.net:587",
		"ERP_RPC", "http://203.0.113.10:8069",
		"ERP_DB", "postgres://odoo:CANARY-pg@203.0.113.10:5432/acme"))
	branch := e.node("supabase:branch:"+branchRef, "preview", graph.Attrs{"db_host": "db." + branchRef + ".supabase.co"})
	e.edge(sp, branch, "contains")
	preview := e.node("docker:container:worker-1/preview", "preview", containerEnv(
		"DATABASE_URL", "postgres://postgres."+branchRef+":CANARY-branch@aws-0-eu-central-1.pooler.supabase.com:5432/postgres"))
	e.edge(w, preview, "contains")
	cache := e.node("docker:container:worker-1/cache", "cache", graph.Attrs{"network_aliases": []string{"cache"}})
	e.edge(w, worker, "contains")
	e.edge(w, cache, "contains")

	// Odoo
	inst := e.node("odoo:instance:erp.acme-coffee.com", "erp.acme-coffee.com", graph.Attrs{"url": "https://erp.acme-coffee.com", "host": "erp.acme-coffee.com", "base_url_host": "erp.acme-coffee.com", "version": "17.0"})
	db := e.node("odoo:database:erp.acme-coffee.com/acme", "acme", nil)
	e.edge(inst, db, "contains")
	for id, a := range map[string]graph.Attrs{
		"odoo:config_param:erp.acme-coffee.com/acme/web.base.url": {"key": "web.base.url", "value_host": "erp.acme-coffee.com"},
		"odoo:mail_server:erp.acme-coffee.com/acme/1":             {"smtp_host": "smtp.sendgrid.net", "smtp_port": 587, "smtp_encryption": "starttls"},
		"odoo:server_action:erp.acme-coffee.com/acme/7":           {"state": "webhook", "webhook_url": "https://shop.acme-coffee.com/api/odoo-webhook", "webhook_host": "shop.acme-coffee.com"},
		"odoo:company:erp.acme-coffee.com/acme/1":                 {"website_host": "www.acme-coffee.com"},
		"odoo:website:erp.acme-coffee.com/acme/1":                 {"domain": "erp.acme-coffee.com", "url": "https://erp.acme-coffee.com"},
		"odoo:payment_provider:erp.acme-coffee.com/acme/stripe":   {"code": "stripe", "state": "enabled"},
	} {
		_, k, _, _ := graph.ParseID(id)
		e.edge(db, e.node(id, k, a), "contains")
	}
	return e.g
}

// truth is every implicit edge of the estate, as from -type-> to.
var truth = []string{
	"vercel:project:prj_storefront -uses_database-> supabase:project:" + sbRef,
	"vercel:project:prj_storefront -calls-> supabase:project:" + sbRef,
	"vercel:project:prj_storefront -calls-> external:host:api.stripe.com",
	"vercel:project:prj_storefront -calls-> digitalocean:app:app-1",
	"vercel:project:prj_admin -calls-> odoo:instance:erp.acme-coffee.com",
	"vercel:project:prj_admin -uses_database-> external:host:db.zzzzzzzzzzzzzzzzzzzz.supabase.co",
	"vercel:project:prj_admin -calls-> vercel:project:prj_storefront",
	"vercel:project:prj_admin -calls-> external:host:legacy.acme-coffee.com",
	"vercel:dns_record:rec_docs -resolves_to-> vercel:project:prj_docs",
	"supabase:cron_job:" + sbRef + "/notify-orders -calls-> supabase:edge_function:" + sbRef + "/send-order-email",
	"supabase:db_webhook:" + sbRef + "/public.orders/order_created -calls-> vercel:project:prj_storefront",
	"supabase:auth_config:" + sbRef + " -sends_mail_via-> external:host:smtp.sendgrid.net",
	"supabase:network_restriction:" + sbRef + " -allows-> digitalocean:droplet:1001",
	"supabase:network_restriction:" + sbRef + " -allows-> vercel:secure_network:sn_1",
	"digitalocean:dns_record:acme-coffee.com/shop -resolves_to-> vercel:project:prj_storefront",
	"digitalocean:dns_record:acme-coffee.com/erp -resolves_to-> digitalocean:droplet:1001",
	"digitalocean:dns_record:acme-coffee.com/api -resolves_to-> digitalocean:app:app-1",
	"digitalocean:dns_record:acme-coffee.com/status -resolves_to-> external:host:acme.statuspage.io",
	"digitalocean:app:app-1 -calls-> odoo:instance:erp.acme-coffee.com",
	"digitalocean:db_trusted_source:db-1/ts-1 -allows-> digitalocean:droplet:1001",
	"docker:engine:erp-1 -runs_on-> digitalocean:droplet:1001",
	"odoo:instance:erp.acme-coffee.com -runs_on-> digitalocean:droplet:1001",
	// the proxy container serves the instance's own host (traefik Host rule): stopping it stops
	// Odoo for everyone calling https://erp.acme-coffee.com (issue #17); references to that host
	// still go to the instance, the system
	"odoo:instance:erp.acme-coffee.com -runs_on-> docker:container:erp-1/proxy",
	"odoo:mail_server:erp.acme-coffee.com/acme/1 -sends_mail_via-> external:host:smtp.sendgrid.net",
	"odoo:server_action:erp.acme-coffee.com/acme/7 -calls-> vercel:project:prj_storefront",
	"docker:container:worker-1/worker -uses_database-> digitalocean:db_cluster:db-1",
	"docker:container:worker-1/worker -calls-> supabase:project:" + sbRef,
	"docker:container:worker-1/worker -calls-> external:host:hooks.slack.com",
	"docker:container:worker-1/worker -uses_database-> docker:container:worker-1/cache",
	"docker:container:worker-1/worker -calls-> odoo:instance:erp.acme-coffee.com",
	"docker:container:worker-1/preview -uses_database-> supabase:branch:" + branchRef,
	"docker:container:worker-1/worker -sends_mail_via-> external:host:smtp.sendgrid.net",
	"docker:container:worker-1/worker -calls-> docker:container:erp-1/odoo",
	"digitalocean:app:app-1 -calls-> docker:container:erp-1/odoo",
	"digitalocean:dns_record:acme-coffee.com/erp-1 -resolves_to-> digitalocean:droplet:1001",
	"digitalocean:dns_record:acme-coffee.com/www -resolves_to-> digitalocean:load_balancer:lb-1",
	"digitalocean:dns_record:acme-coffee.com/menu -resolves_to-> digitalocean:load_balancer:lb-1",
	"digitalocean:dns_record:acme-coffee.com/order -resolves_to-> digitalocean:load_balancer:lb-1",
}

// decoys are nodes no inferred edge may touch.
var decoys = []string{
	"vercel:project:prj_marketing",                   // its name suggests the ERP; it references nothing
	"digitalocean:dns_record:acme-coffee.com/legacy", // an A record to an IP nobody owns
	"digitalocean:dns_record:acme-coffee.com/mx",     // MX: not what serves the name
	"digitalocean:dns_record:acme-coffee.com/ns",
	"digitalocean:firewall:fw-1",                              // 0.0.0.0/0 says nothing about a node
	"odoo:config_param:erp.acme-coffee.com/acme/web.base.url", // the instance's own URL
	"odoo:company:erp.acme-coffee.com/acme/1",
	"supabase:pooler:" + sbRef + "/transaction", // the edge goes to the project, not its pooler
	"docker:container:erp-1/cache",              // "cache" on another engine
}
