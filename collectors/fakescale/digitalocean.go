package fakescale

import (
	"encoding/json"
	"fmt"

	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
)

// DigitalOcean returns a generated estate with n droplets and proportional numbers of everything else
// (a VPC per 50 droplets, a domain with 10 records per 10 droplets, a database cluster and an
// app per 20, a load balancer and a firewall per 25), for benchmarks and the performance demo.
func DigitalOcean(n int) *digitaloceanfake.Estate { return doScaled(n, false) }

// DigitalOceanHub returns the shape real accounts have: n droplets in one project, one VPC and under one
// tag, beside about 90 other resources (the first 100 droplets' share of domains, database
// clusters, apps, load balancers and firewalls).
func DigitalOceanHub(n int) *digitaloceanfake.Estate { return doScaled(n, true) }

func doScaled(n int, hub bool) *digitaloceanfake.Estate {
	if n < 1 {
		n = 1
	}
	e := &digitaloceanfake.Estate{
		ProjectResources: map[string][]json.RawMessage{},
		VPCMembers:       map[string][]json.RawMessage{},
		DomainRecords:    map[string][]json.RawMessage{},
		DatabaseReplicas: map[string][]json.RawMessage{},
		DatabasePools:    map[string][]json.RawMessage{},
		DatabaseFirewall: map[string][]json.RawMessage{},
		NodePools:        map[string][]json.RawMessage{},
	}
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return b
	}
	type m = map[string]any
	e.Account = raw(m{"uuid": "scaled-account", "email": "ops@example.com", "status": "active", "team": m{"uuid": "scaled-team", "name": "Scaled"}})
	const proj = "00000000-0000-4000-8000-000000000001"
	e.Projects = append(e.Projects, raw(m{"id": proj, "name": "scaled", "purpose": "Web Application", "environment": "Production", "is_default": true}))
	addRes := func(urn string) {
		e.ProjectResources[proj] = append(e.ProjectResources[proj], raw(m{"urn": urn, "status": "ok"}))
	}
	vpcID := func(i int) string { return fmt.Sprintf("00000000-0000-4000-9000-%012d", i/50) }
	group := func(i int) string { return fmt.Sprintf("group-%d", i/25) }
	extras := func(i int) bool { return true } // this droplet brings its share of other resources
	step := 50
	if hub {
		vpcID = func(int) string { return "00000000-0000-4000-9000-000000000000" }
		group = func(int) string { return "hub" }
		extras = func(i int) bool { return i < 100 }
		step = n
	}
	for i := 0; i < n; i += step {
		id := vpcID(i)
		e.VPCs = append(e.VPCs, raw(m{"id": id, "urn": "do:vpc:" + id, "name": fmt.Sprintf("vpc-%d", i/50), "region": "fra1", "ip_range": fmt.Sprintf("10.%d.0.0/16", (i/50)%250)}))
	}
	for i := 0; i < n; i++ {
		id := 100000 + i
		pub := fmt.Sprintf("198.18.%d.%d", (i/250)%250, i%250+1)
		priv := fmt.Sprintf("10.%d.%d.%d", (i/50)%250, (i/250)%250, i%250+1)
		e.Droplets = append(e.Droplets, raw(m{"id": id, "name": fmt.Sprintf("droplet-%d", i), "status": "active", "size_slug": "s-1vcpu-1gb",
			"region": m{"slug": "fra1"}, "tags": []string{group(i)}, "vpc_uuid": vpcID(i), "volume_ids": []string{},
			"networks": m{"v4": []m{{"ip_address": priv, "type": "private"}, {"ip_address": pub, "type": "public"}}}}))
		addRes(fmt.Sprintf("do:droplet:%d", id))
		e.VPCMembers[vpcID(i)] = append(e.VPCMembers[vpcID(i)], raw(m{"urn": fmt.Sprintf("do:droplet:%d", id), "name": fmt.Sprintf("droplet-%d", i)}))
		if i%25 == 0 && extras(i) {
			g := i / 25
			tag := group(i)
			switch {
			case !hub:
				e.Tags = append(e.Tags, raw(m{"name": tag, "resources": m{"count": 25}}))
			case i == 0:
				e.Tags = append(e.Tags, raw(m{"name": tag, "resources": m{"count": n}}))
			}
			e.Firewalls = append(e.Firewalls, raw(m{"id": fmt.Sprintf("fw-%d", g), "name": "fw-" + tag, "status": "succeeded", "tags": []string{tag}, "droplet_ids": []int{},
				"inbound_rules": []m{{"protocol": "tcp", "ports": "22", "sources": m{"addresses": []string{"198.51.100.0/24"}}}}}))
			lbID := fmt.Sprintf("lb-%d", g)
			e.LoadBalancers = append(e.LoadBalancers, raw(m{"id": lbID, "name": "lb-" + tag, "ip": fmt.Sprintf("198.19.%d.%d", g/250, g%250+1), "status": "active", "tag": tag,
				"droplet_ids": []int{id}, "vpc_uuid": vpcID(i), "forwarding_rules": []m{{"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}}}))
			addRes("do:loadbalancer:" + lbID)
		}
		if i%10 == 0 && extras(i) {
			d := fmt.Sprintf("site-%d.example.com", i/10)
			e.Domains = append(e.Domains, raw(m{"name": d, "ttl": 1800}))
			addRes("do:domain:" + d)
			for r := 0; r < 10; r++ {
				e.DomainRecords[d] = append(e.DomainRecords[d], raw(m{"id": id*10 + r, "type": "A", "name": fmt.Sprintf("host%d", r), "data": pub, "ttl": 3600}))
			}
		}
		if i%20 == 0 && extras(i) {
			k := i / 20
			dbID := fmt.Sprintf("00000000-0000-4000-a000-%012d", k)
			host := fmt.Sprintf("db-%d-do-user-1-0.b.db.ondigitalocean.com", k)
			e.Databases = append(e.Databases, raw(m{"id": dbID, "name": fmt.Sprintf("db-%d", k), "engine": "pg", "version": "16", "region": "fra1", "status": "online",
				"connection":           m{"protocol": "postgresql", "host": host, "port": 25060, "user": "doadmin", "database": "defaultdb", "password": "CANARY-do-db-password", "ssl": true},
				"private_connection":   m{"protocol": "postgresql", "host": "private-" + host, "port": 25060, "user": "doadmin", "database": "defaultdb", "password": "CANARY-do-db-password", "ssl": true},
				"private_network_uuid": vpcID(i)}))
			addRes("do:dbaas:" + dbID)
			e.DatabaseFirewall[dbID] = []json.RawMessage{raw(m{"uuid": dbID + "-r", "cluster_uuid": dbID, "type": "droplet", "value": fmt.Sprint(id)})}
			appID := fmt.Sprintf("00000000-0000-4000-b000-%012d", k)
			e.Apps = append(e.Apps, raw(m{"id": appID, "default_ingress": fmt.Sprintf("https://app-%d.ondigitalocean.app", k), "project_id": proj,
				"spec": m{"name": fmt.Sprintf("app-%d", k),
					"services":  []m{{"name": "web", "github": m{"repo": fmt.Sprintf("example/app-%d", k), "branch": "main"}, "envs": []m{{"key": "DATABASE_URL", "value": "${db.DATABASE_URL}", "type": "GENERAL"}}}},
					"databases": []m{{"name": "db", "engine": "PG", "production": true, "cluster_name": fmt.Sprintf("db-%d", k)}},
					"envs":      []m{{"key": "API_URL", "value": fmt.Sprintf("https://host0.site-%d.example.com", i/10), "type": "GENERAL"}, {"key": "SECRET_KEY", "value": "EV[1:x:CANARY-do-jwt-secret]", "type": "SECRET"}}}}))
			addRes("do:app:" + appID)
		}
	}
	e.Registry = raw(m{"name": "scaled", "region": "fra1"})
	repos := n/10 + 1
	if hub {
		repos = min(repos, 11)
	}
	for i := 0; i < repos; i++ {
		e.RegistryRepositories = append(e.RegistryRepositories, raw(m{"registry_name": "scaled", "name": fmt.Sprintf("repo-%d", i), "tag_count": 1}))
	}
	return e
}
