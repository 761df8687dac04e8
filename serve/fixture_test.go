package serve

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/query"
)

// The fixture follows docs/demo-estate.md (Acme Coffee) over two scans: in the first every
// collector succeeded; in the second (the latest) DigitalOcean failed with a 401, so what it
// contributed is carried forward stale, the marketing project appeared and the storefront's
// framework version changed.
const (
	scan1 = "20261120T060000Z"
	scan2 = "20261121T060000Z"
	t1    = "2026-11-20T06:00:00Z"
	t2    = "2026-11-21T06:00:00Z"

	storefront = "vercel:project:prj_storefront"
	acmeProd   = "supabase:project:qwertyuiopasdfghjklz"
	pooler     = "supabase:pooler:qwertyuiopasdfghjklz/transaction"
	droplet    = "digitalocean:droplet:1001"
	acmeAPI    = "digitalocean:app:acme-api"
	acmePG     = "digitalocean:db_cluster:acme-pg"
	odooInst   = "odoo:instance:erp.acme-coffee.com"
	engine     = "docker:engine:erp-1"
	odooCtr    = "docker:container:erp-1/3f4e5d6c7b8a"
)

type fnode struct {
	id, name string
	attrs    graph.Attrs
}

type fedge struct {
	from, to, typ string
	origin        graph.Origin
	conf          float64
	ev            []graph.Evidence
}

func acme(latest bool) *graph.Graph {
	nodes := []fnode{
		{"vercel:team:team_acme", "acme", nil},
		{storefront, "storefront", graph.Attrs{"framework": "nextjs", "node_version": "22.x", "repo": "github.com/acme/storefront", "domains": []string{"shop.acme-coffee.com", "storefront-acme.vercel.app"}}},
		{"vercel:env_var:prj_storefront/DATABASE_URL", "DATABASE_URL", graph.Attrs{"type": "encrypted", "value.host": "aws-0-eu-central-1.pooler.supabase.com", "value.port": "6543"}},
		{"vercel:env_var:prj_storefront/NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_URL", graph.Attrs{"type": "plain", "value.host": "qwertyuiopasdfghjklz.supabase.co"}},
		{"vercel:env_var:prj_storefront/API_URL", "API_URL", graph.Attrs{"type": "plain", "value.host": "api.acme-coffee.com"}},
		{"vercel:env_var:prj_storefront/PAYMENTS_API", "PAYMENTS_API", graph.Attrs{"type": "plain", "value.host": "api.stripe.com"}},
		{"vercel:project:prj_admin", "admin", graph.Attrs{"framework": "nextjs", "repo": "github.com/acme/admin"}},
		{"vercel:env_var:prj_admin/ODOO_URL", "ODOO_URL", graph.Attrs{"type": "plain", "value.host": "erp.acme-coffee.com"}},
		{"git:repo:github.com/acme/storefront", "github.com/acme/storefront", graph.Attrs{"repo": "github.com/acme/storefront"}},
		{"git:repo:github.com/acme/admin", "github.com/acme/admin", graph.Attrs{"repo": "github.com/acme/admin"}},
		{"git:repo:github.com/acme/api", "github.com/acme/api", graph.Attrs{"repo": "github.com/acme/api"}},
		{"supabase:organization:acme", "acme", nil},
		{acmeProd, "acme-prod", graph.Attrs{"region": "eu-central-1", "db_host": "db.qwertyuiopasdfghjklz.supabase.co", "api_host": "qwertyuiopasdfghjklz.supabase.co"}},
		{pooler, "transaction pooler", graph.Attrs{"db_host": "aws-0-eu-central-1.pooler.supabase.com", "db_port": int64(6543)}},
		{"supabase:edge_function:qwertyuiopasdfghjklz/send-order-email", "send-order-email", graph.Attrs{"url": "https://qwertyuiopasdfghjklz.supabase.co/functions/v1/send-order-email"}},
		{"supabase:cron_job:qwertyuiopasdfghjklz/notify-orders", "notify-orders", graph.Attrs{"schedule": "*/5 * * * *", "url_hosts": []string{"qwertyuiopasdfghjklz.supabase.co"}}},
		{"external:host:api.stripe.com", "api.stripe.com", graph.Attrs{"host": "api.stripe.com"}},
		{"external:host:smtp.sendgrid.net", "smtp.sendgrid.net", graph.Attrs{"host": "smtp.sendgrid.net"}},
		{"external:ip:198.51.100.77", "198.51.100.77", graph.Attrs{"ip": "198.51.100.77"}},
		{"digitalocean:account:acme", "acme", nil},
		{droplet, "erp-1", graph.Attrs{"public_ipv4": "203.0.113.10", "private_ipv4": "10.110.0.2", "region": "fra1"}},
		{acmeAPI, "acme-api", graph.Attrs{"default_ingress_host": "acme-api-x7k2p.ondigitalocean.app", "env.ODOO_URL.host": "erp.acme-coffee.com"}},
		{acmePG, "acme-pg", graph.Attrs{"engine": "pg", "host": "acme-pg-do-user-1-0.b.db.ondigitalocean.com", "port": int64(25060)}},
		{"digitalocean:domain:acme-coffee.com", "acme-coffee.com", graph.Attrs{"name": "acme-coffee.com"}},
		{"digitalocean:dns_record:acme-coffee.com/erp", "erp", graph.Attrs{"fqdn": "erp.acme-coffee.com", "ip": "203.0.113.10", "type": "A"}},
		{"digitalocean:dns_record:acme-coffee.com/shop", "shop", graph.Attrs{"fqdn": "shop.acme-coffee.com", "target": "cname.vercel-dns.com", "type": "CNAME"}},
		{odooInst, "erp.acme-coffee.com", graph.Attrs{"url": "https://erp.acme-coffee.com", "host": "erp.acme-coffee.com", "version": "17.0"}},
		{"odoo:mail_server:erp.acme-coffee.com/1", "sendgrid", graph.Attrs{"smtp_host": "smtp.sendgrid.net", "smtp_port": int64(587)}},
		{engine, "erp-1", graph.Attrs{"host": "erp-1", "host_ip": "203.0.113.10"}},
		{"docker:compose_project:erp-1/erp", "erp", nil},
		{"docker:compose_service:erp-1/erp/odoo", "odoo", nil},
		{"docker:compose_service:erp-1/erp/db", "db", nil},
		{odooCtr, "erp-odoo-1", graph.Attrs{"env.DB_HOST.host": "db", "image": "odoo:17"}},
		{"docker:container:erp-1/9a8b7c6d5e4f", "erp-db-1", graph.Attrs{"image": "postgres:15"}},
	}
	ev := func(node, field, value string) []graph.Evidence {
		return []graph.Evidence{{Node: node, Field: field, Value: value}}
	}
	edges := []fedge{
		{"vercel:team:team_acme", storefront, "contains", graph.Observed, 1, nil},
		{"vercel:team:team_acme", "vercel:project:prj_admin", "contains", graph.Observed, 1, nil},
		{storefront, "vercel:env_var:prj_storefront/DATABASE_URL", "contains", graph.Observed, 1, nil},
		{storefront, "vercel:env_var:prj_storefront/NEXT_PUBLIC_SUPABASE_URL", "contains", graph.Observed, 1, nil},
		{storefront, "vercel:env_var:prj_storefront/API_URL", "contains", graph.Observed, 1, nil},
		{storefront, "vercel:env_var:prj_storefront/PAYMENTS_API", "contains", graph.Observed, 1, nil},
		{"vercel:project:prj_admin", "vercel:env_var:prj_admin/ODOO_URL", "contains", graph.Observed, 1, nil},
		{storefront, "git:repo:github.com/acme/storefront", "builds_from", graph.Observed, 1, nil},
		{"vercel:project:prj_admin", "git:repo:github.com/acme/admin", "builds_from", graph.Observed, 1, nil},
		{storefront, pooler, "uses_database", graph.Rule, 0.95, ev("vercel:env_var:prj_storefront/DATABASE_URL", "value.host", "aws-0-eu-central-1.pooler.supabase.com")},
		{storefront, acmeProd, "calls", graph.Rule, 0.9, ev("vercel:env_var:prj_storefront/NEXT_PUBLIC_SUPABASE_URL", "value.host", "qwertyuiopasdfghjklz.supabase.co")},
		{storefront, acmeAPI, "calls", graph.Rule, 0.85, ev("vercel:env_var:prj_storefront/API_URL", "value.host", "api.acme-coffee.com")},
		{storefront, "external:host:api.stripe.com", "calls", graph.Rule, 0.9, ev("vercel:env_var:prj_storefront/PAYMENTS_API", "value.host", "api.stripe.com")},
		{"vercel:project:prj_admin", odooInst, "calls", graph.Rule, 0.9, ev("vercel:env_var:prj_admin/ODOO_URL", "value.host", "erp.acme-coffee.com")},
		{"supabase:organization:acme", acmeProd, "contains", graph.Observed, 1, nil},
		{acmeProd, pooler, "contains", graph.Observed, 1, nil},
		{acmeProd, "supabase:edge_function:qwertyuiopasdfghjklz/send-order-email", "contains", graph.Observed, 1, nil},
		{acmeProd, "supabase:cron_job:qwertyuiopasdfghjklz/notify-orders", "contains", graph.Observed, 1, nil},
		{pooler, acmeProd, "pool_of", graph.Observed, 1, nil},
		{"supabase:cron_job:qwertyuiopasdfghjklz/notify-orders", "supabase:edge_function:qwertyuiopasdfghjklz/send-order-email", "calls", graph.Observed, 1, nil},
		{"digitalocean:account:acme", "digitalocean:domain:acme-coffee.com", "contains", graph.Observed, 1, nil},
		{"digitalocean:domain:acme-coffee.com", "digitalocean:dns_record:acme-coffee.com/erp", "contains", graph.Observed, 1, nil},
		{"digitalocean:domain:acme-coffee.com", "digitalocean:dns_record:acme-coffee.com/shop", "contains", graph.Observed, 1, nil},
		{"digitalocean:dns_record:acme-coffee.com/erp", droplet, "resolves_to", graph.Rule, 1, ev("digitalocean:dns_record:acme-coffee.com/erp", "ip", "203.0.113.10")},
		{"digitalocean:dns_record:acme-coffee.com/shop", storefront, "resolves_to", graph.Rule, 0.9, ev("digitalocean:dns_record:acme-coffee.com/shop", "fqdn", "shop.acme-coffee.com")},
		{acmeAPI, acmePG, "uses_database", graph.Observed, 1, nil},
		{acmeAPI, "git:repo:github.com/acme/api", "builds_from", graph.Observed, 1, nil},
		{acmeAPI, odooInst, "calls", graph.Rule, 0.9, ev(acmeAPI, "env.ODOO_URL.host", "erp.acme-coffee.com")},
		{odooInst, "odoo:mail_server:erp.acme-coffee.com/1", "contains", graph.Observed, 1, nil},
		{"odoo:mail_server:erp.acme-coffee.com/1", "external:host:smtp.sendgrid.net", "sends_mail_via", graph.Rule, 1, ev("odoo:mail_server:erp.acme-coffee.com/1", "smtp_host", "smtp.sendgrid.net")},
		{odooInst, odooCtr, "runs_on", graph.LLM, 0.8, ev(odooCtr, "image", "odoo:17")},
		{engine, droplet, "runs_on", graph.Rule, 1, ev(engine, "host_ip", "203.0.113.10")},
		{engine, "docker:compose_project:erp-1/erp", "contains", graph.Observed, 1, nil},
		{engine, odooCtr, "contains", graph.Observed, 1, nil},
		{engine, "docker:container:erp-1/9a8b7c6d5e4f", "contains", graph.Observed, 1, nil},
		{"docker:compose_project:erp-1/erp", "docker:compose_service:erp-1/erp/odoo", "contains", graph.Observed, 1, nil},
		{"docker:compose_project:erp-1/erp", "docker:compose_service:erp-1/erp/db", "contains", graph.Observed, 1, nil},
		{"docker:compose_service:erp-1/erp/odoo", odooCtr, "contains", graph.Observed, 1, nil},
		{"docker:compose_service:erp-1/erp/db", "docker:container:erp-1/9a8b7c6d5e4f", "contains", graph.Observed, 1, nil},
		{"docker:compose_service:erp-1/erp/odoo", "docker:compose_service:erp-1/erp/db", "depends_on", graph.Observed, 1, nil},
	}
	g := graph.New()
	g.Scan = graph.ScanInfo{ID: scan1, StartedAt: t1, FinishedAt: t1, Generator: "infragraph test"}
	sources := map[string]string{"vercel": "vercel/acme", "supabase": "supabase/main", "digitalocean": "digitalocean/prod", "odoo": "odoo/erp", "docker": "docker/erp-1"}
	if latest {
		g.Scan = graph.ScanInfo{ID: scan2, StartedAt: t2, FinishedAt: t2, Generator: "infragraph test"}
		nodes = append(nodes, fnode{"vercel:project:prj_marketing", "marketing", graph.Attrs{"framework": "astro"}})
		edges = append(edges, fedge{"vercel:team:team_acme", "vercel:project:prj_marketing", "contains", graph.Observed, 1, nil})
		nodes[1].attrs = graph.Attrs{"framework": "nextjs", "node_version": "24.x", "repo": "github.com/acme/storefront", "domains": []string{"shop.acme-coffee.com", "storefront-acme.vercel.app"}}
	}
	for _, n := range nodes {
		p, k, _, _ := graph.ParseID(n.id)
		node := graph.Node{ID: n.id, Kind: k, Provider: p, Name: n.name, Attrs: n.attrs, Source: sources[p], FirstSeen: t1, LastSeen: t1}
		if latest {
			node.LastSeen = t2
			if n.id == "vercel:project:prj_marketing" {
				node.FirstSeen = t2
			}
			if p == "digitalocean" {
				node.LastSeen, node.Stale, node.StaleSince = t1, true, t2
			}
		}
		if err := g.AddNode(node); err != nil {
			panic(err)
		}
	}
	for _, e := range edges {
		edge := graph.Edge{From: e.from, To: e.to, Type: e.typ, Origin: e.origin, Confidence: e.conf, Evidence: e.ev}
		if latest && (g.NodePtr(e.from).Stale || g.NodePtr(e.to).Stale) {
			edge.Stale, edge.StaleSince = true, t2
		}
		if err := g.AddEdge(edge); err != nil {
			panic(err)
		}
	}
	g.Collectors = []graph.CollectorStatus{
		{Provider: "vercel", Instance: "acme", Status: graph.StatusOK, DurationMS: 812, Nodes: 10, Edges: 14},
		{Provider: "supabase", Instance: "main", Status: graph.StatusOK, DurationMS: 1530, Nodes: 6, Edges: 6},
		{Provider: "digitalocean", Instance: "prod", Status: graph.StatusOK, DurationMS: 990, Nodes: 7, Edges: 5},
		{Provider: "odoo", Instance: "erp", Status: graph.StatusOK, DurationMS: 420, Nodes: 2, Edges: 1},
		{Provider: "docker", Instance: "erp-1", Status: graph.StatusOK, DurationMS: 95, Nodes: 6, Edges: 8},
	}
	if latest {
		g.Collectors[2] = graph.CollectorStatus{Provider: "digitalocean", Instance: "prod", Status: graph.StatusFailed, Reason: "GET /v2/account: 401 Unable to authenticate you", DurationMS: 120, Stale: 7}
		g.Collectors[4].Status = graph.StatusPartial
		g.Collectors[4].Warnings = []string{"list volumes: permission denied"}
	}
	return g
}

// writeEstate writes both scans into a new output directory the way a scan does: snapshots
// under scans/, the latest as graph.json, and an INFRA.md.
func writeEstate(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	st := history.Store{Dir: dir}
	prev, cur := acme(false), acme(true)
	cur.Scan.Changes = history.Diff(prev, cur).Summary()
	for _, g := range []*graph.Graph{prev, cur} {
		if _, err := st.Save(g, 0); err != nil {
			t.Fatal(err)
		}
	}
	writeGraph(t, dir, cur)
	if err := os.WriteFile(filepath.Join(dir, "INFRA.md"), []byte("# Acme Coffee infrastructure\n\nThe storefront runs on Vercel.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeGraph(t testing.TB, dir string, g *graph.Graph) {
	t.Helper()
	if err := output.WriteFileIn(dir, filepath.Join(dir, "graph.json"), 0o644, func(w io.Writer) error { return graph.Encode(w, g) }); err != nil {
		t.Fatal(err)
	}
}

type (
	queryNode = query.Node
	queryHit  = query.Hit
)
