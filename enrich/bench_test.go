package enrich

import (
	"context"
	"fmt"
	"testing"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas/schemastest"
)

// fakeRef turns i into a 20-letter Supabase project ref.
func fakeRef(i int) string {
	b := []byte("aaaaaaaaaaaaaaaaaaaa")
	for p := len(b) - 1; i > 0 && p >= 0; p-- {
		b[p] = byte('a' + i%26)
		i /= 26
	}
	return string(b)
}

// synthetic builds a graph of about n nodes: units of 16 nodes across every provider, each unit
// with the references of the demo estate (a pooler DSN, an API URL, a webhook, DNS records, an
// engine on a droplet, an allowlist, third-party hosts), so every rule runs.
func synthetic(tb testing.TB, n int) *graph.Graph {
	g := graph.New()
	add := func(id, name string, a graph.Attrs) string {
		p, k, _, _ := graph.ParseID(id)
		if err := g.AddNode(graph.Node{ID: id, Provider: p, Kind: k, Name: name, Attrs: a}); err != nil {
			tb.Fatal(err)
		}
		return id
	}
	edge := func(from, to, typ string) {
		if err := g.AddEdge(graph.Observe(from, to, typ)); err != nil {
			tb.Fatal(err)
		}
	}
	zone := add("digitalocean:domain:example.com", "example.com", graph.Attrs{"name": "example.com"})
	for i := 0; i < n/16; i++ {
		ref := fakeRef(i)
		ip := fmt.Sprintf("11.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		shop := fmt.Sprintf("shop%d.example.com", i)
		erp := fmt.Sprintf("erp%d.example.com", i)
		dbHost := fmt.Sprintf("db-%d.b.db.ondigitalocean.com", i)

		prj := add(fmt.Sprintf("vercel:project:p%d", i), "shop", graph.Attrs{"domains": []string{shop}})
		for k, v := range map[string]graph.Attrs{
			"db":   env("value", "DATABASE_URL", "postgres://postgres."+ref+":CANARY@aws-0-eu-central-1.pooler.supabase.com:6543/postgres", nil),
			"sb":   env("value", "SUPABASE_URL", "https://"+ref+".supabase.co", nil),
			"erp":  env("value", "ODOO_URL", "https://"+erp, nil),
			"ext":  env("value", "PAYMENTS_API", fmt.Sprintf("https://api%d.payments.example.org/v1", i%500), nil),
			"none": env("value", "SITE_NAME", "Acme", graph.Attrs{"key": "SITE_NAME"}),
		} {
			edge(prj, add(fmt.Sprintf("vercel:env_var:p%d/%s", i, k), k, v), "contains")
		}
		sp := add("supabase:project:"+ref, "prod", graph.Attrs{"db_host": "db." + ref + ".supabase.co", "api_host": ref + ".supabase.co"})
		edge(sp, add("supabase:db_webhook:"+ref+"/orders/hook", "hook", graph.Attrs{"url": "https://" + shop + "/api/hook", "url_host": shop}), "contains")
		edge(sp, add("supabase:network_restriction:"+ref, "nr", graph.Attrs{"allowed_cidrs": []string{ip + "/32"}}), "contains")
		drop := add(fmt.Sprintf("digitalocean:droplet:%d", i), "erp", graph.Attrs{"public_ipv4": ip})
		_ = drop
		edge(zone, add(fmt.Sprintf("digitalocean:dns_record:example.com/s%d", i), "shop", graph.Attrs{"fqdn": shop, "type": "CNAME", "target": "cname.vercel-dns.com."}), "contains")
		edge(zone, add(fmt.Sprintf("digitalocean:dns_record:example.com/e%d", i), "erp", graph.Attrs{"fqdn": erp, "type": "A", "ip": ip}), "contains")
		add(fmt.Sprintf("digitalocean:db_cluster:%d", i), "pg", graph.Attrs{"host": dbHost, "port": 25060})
		eng := add(fmt.Sprintf("docker:engine:e%d", i), "engine", graph.Attrs{"host_ip": ip})
		edge(eng, add(fmt.Sprintf("docker:container:e%d/odoo", i), "odoo", containerEnv("DATABASE_URL", "postgres://u:CANARY@"+dbHost+":25060/db")), "contains")
		inst := add("odoo:instance:"+erp, erp, graph.Attrs{"host": erp, "base_url_host": erp})
		edge(inst, add("odoo:mail_server:"+erp+"/db/1", "smtp", graph.Attrs{"smtp_host": "smtp.sendgrid.net", "smtp_port": 587}), "contains")
	}
	return g
}

// BenchmarkInfer measures rule inference plus validation on synthetic graphs of 10k and 100k
// nodes. Record the numbers in BENCHMARKS.md ("Inference and validation").
func BenchmarkInfer(b *testing.B) {
	vocab := schemastest.Vocabulary()
	for _, n := range []int{10_000, 100_000} {
		g := synthetic(b, n)
		nodes, _ := g.Len()
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var proposals, accepted int
			cpu0 := cpuTime()
			for b.Loop() {
				ps, err := Rules{Vocab: vocab}.Propose(context.Background(), g)
				if err != nil {
					b.Fatal(err)
				}
				vs := Validator{Vocab: vocab, Threshold: 0.5}.Check(g, ps)
				proposals, accepted = len(ps), 0
				for _, v := range vs {
					if v.Accepted {
						accepted++
					}
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(nodes), "nodes")
			b.ReportMetric(float64(proposals), "proposals")
			b.ReportMetric(float64(accepted), "accepted")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nodes), "ns/node")
		})
	}
}

func TestSyntheticGraphInfersEveryRule(t *testing.T) {
	g := synthetic(t, 160)
	ps, vs := infer(t, g)
	rules := map[string]int{}
	for i, p := range ps {
		if !vs[i].Accepted {
			t.Errorf("%s rejected: %v", p.Edge.Key(), vs[i].Reasons)
		}
		rules[p.Enricher]++
	}
	// 10 units: per unit pooler, ref host, erp host, webhook, cidr, 2 dns, engine runs_on,
	// instance runs_on, container db; external payments API (shared) and SMTP (shared).
	for _, r := range []string{"rules/supabase-pooler", "rules/host", "rules/dns", "rules/cidr", "rules/runs-on-ip", "rules/runs-on-dns", "rules/external"} {
		if rules[r] == 0 {
			t.Errorf("rule %s never fired: %v", r, rules)
		}
	}
	if len(ps) < 10*10 {
		t.Errorf("only %d proposals from 10 units: %v", len(ps), rules)
	}
}
