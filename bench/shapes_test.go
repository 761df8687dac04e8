package bench

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
)

// A shape is how an estate of n nodes is built from the demo's collector output. Real accounts
// are not copies of a small company: they have hubs, one account, project, VPC and tag holding
// thousands of droplets, one Vercel project with thousands of preview deployments, one Docker
// network with hundreds of containers. The hub shapes keep the demo estate once and clone one of
// its resources, with every edge it has to the hub, until the estate has n nodes.
type shape struct {
	name  string
	build func(tb testing.TB, n int) []collectors.Result
}

var shapes = []shape{
	{"uniform", estate},
	{"do-hub", func(tb testing.TB, n int) []collectors.Result {
		// droplet erp-1: in the account's project, its VPC and the tag "erp"; the DNS record,
		// Docker engine and Odoo instance that run on it stay with the original.
		return hub(tb, n, []hubTemplate{{
			id:   "digitalocean:droplet:1001",
			keep: keepKinds("project", "tag", "vpc", "account", "firewall"),
			tokens: func(i int) []string {
				return []string{"erp-1", fmt.Sprintf("hub-%d", i), "203.0.113.10", ip(203, i), "10.110.0.2", ip(10, i),
					"do:droplet:1001", fmt.Sprintf("do:droplet:%d", 100000+i)}
			},
		}})
	}},
	{"vercel-hub", func(tb testing.TB, n int) []collectors.Result {
		// the storefront project: nine in ten clones are deployments building from its repository
		// (copies of the production deployment without its aliases: the demo reads no preview
		// since the collector lists deployments from /v6/deployments), one in ten is an env var
		// naming its database, the payments API or Supabase.
		dep := hubTemplate{
			id: "vercel:deployment:dpl_storefront_prod", weight: 9, keep: keepKinds("project", "repo"),
			tokens: func(i int) []string {
				return []string{"storefront-abc123-acme", fmt.Sprintf("storefront-git-pr%d-acme", i), `"commit_ref":"main"`, fmt.Sprintf(`"commit_ref":"pr/%d"`, i)}
			},
		}
		var envs []hubTemplate
		for _, e := range []string{"env_sf_db", "env_sf_payments", "env_sf_supabase"} {
			envs = append(envs, hubTemplate{id: "vercel:env_var:prj_storefront/" + e, weight: 1, tokens: func(i int) []string {
				return []string{`"key":"`, fmt.Sprintf(`"key":"H%d_`, i), `"name":"`, fmt.Sprintf(`"name":"H%d_`, i)}
			}})
		}
		return hub(tb, n, append([]hubTemplate{dep}, envs...))
	}},
	{"docker-hub", func(tb testing.TB, n int) []collectors.Result {
		// the Odoo container of the erp Compose project: every clone on the same engine, network
		// and image, in the same service, each naming the database container "db".
		return hub(tb, n, []hubTemplate{{
			id: "docker:container:erp-1/74c9f980a83afa91ae6a20a051156707eab6981f3d3be35da73c3ba9cde2a7ec",
			tokens: func(i int) []string {
				return []string{"74c9f980a83afa91ae6a20a051156707eab6981f3d3be35da73c3ba9cde2a7ec", fmt.Sprintf("%064x", 1_000_000+i),
					"74c9f980a83a", fmt.Sprintf("%012x", 1_000_000+i), "erp-odoo-1", fmt.Sprintf("erp-odoo-%d", i+2),
					`"container_number":"1"`, fmt.Sprintf(`"container_number":"%d"`, i+2), "172.18.0.3", ip(172, i)}
			},
		}})
	}},
}

// ip is a unique address per clone in 198.18.0.0/15's neighbourhood, by first octet.
func ip(first, i int) string { return fmt.Sprintf("%d.%d.%d.%d", first, 20+i/65536, i/256%256, i%256) }

// hubTemplate is a resource cloned to build a hub.
type hubTemplate struct {
	id     string
	weight int // share of the clones (0: 1)
	// keep reports whether an edge to or from the other end is cloned (nil: every edge).
	keep func(other graph.Node) bool
	// tokens are old, new pairs replaced in the clone's JSON (its id is made unique apart).
	tokens func(i int) []string
}

func keepKinds(kinds ...string) func(graph.Node) bool {
	return func(n graph.Node) bool {
		for _, k := range kinds {
			if n.Kind == k {
				return true
			}
		}
		return false
	}
}

// hub returns the demo's results plus clones of the templates (in proportion to their
// weights) until there are about n nodes.
func hub(tb testing.TB, n int, ts []hubTemplate) []collectors.Result {
	src := demoResults(tb)
	out := make([]collectors.Result, len(src))
	total := 0
	byID := map[string]graph.Node{}
	for i, r := range src {
		out[i] = collectors.Result{Status: r.Status, Nodes: append([]graph.Node(nil), r.Nodes...), Edges: append([]graph.Edge(nil), r.Edges...)}
		total += len(r.Nodes)
		for _, nd := range r.Nodes {
			byID[nd.ID] = nd
		}
	}
	weights := 0
	for _, t := range ts {
		weights += max(t.weight, 1)
	}
	clones := n - total
	for ti, t := range ts {
		ri, tmpl := -1, graph.Node{}
		for i, r := range src {
			for _, nd := range r.Nodes {
				if nd.ID == t.id {
					ri, tmpl = i, nd
				}
			}
		}
		if ri < 0 {
			tb.Fatalf("hub template %s is not in the demo estate", t.id)
		}
		var edges []graph.Edge
		for _, e := range src[ri].Edges {
			other := ""
			switch t.id {
			case e.From:
				other = e.To
			case e.To:
				other = e.From
			default:
				continue
			}
			if t.keep == nil || t.keep(byID[other]) {
				edges = append(edges, e)
			}
		}
		raw, err := json.Marshal(tmpl)
		if err != nil {
			tb.Fatal(err)
		}
		count := clones * max(t.weight, 1) / weights
		for i := 0; i < count; i++ {
			id := fmt.Sprintf("%s-h%d.%d", t.id, ti, i)
			text := strings.NewReplacer(t.tokens(i)...).Replace(string(raw))
			var c graph.Node
			if err := json.Unmarshal([]byte(text), &c); err != nil {
				tb.Fatal(err)
			}
			c.ID = id
			out[ri].Nodes = append(out[ri].Nodes, c)
			for _, e := range edges {
				if e.From == t.id {
					e.From = id
				} else {
					e.To = id
				}
				out[ri].Edges = append(out[ri].Edges, e)
			}
		}
	}
	return out
}
