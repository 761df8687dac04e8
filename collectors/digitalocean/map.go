package digitalocean

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/digitalocean/godo"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

const provider = "digitalocean"

func id(kind, native string) string { return graph.ID(provider, kind, native) }

// mapped is the graph built from an estate (a collectors.Builder: each node once, its
// attributes merged; an edge to a resource that was not listed, because its family failed or it
// lives in another account, is left out and the reference stays in the from node's attributes),
// and the indexes that resolve references (URNs, IPs, names) to node ids.
type mapped struct {
	b    *collectors.Builder
	urns map[string]string // "do:droplet:123" -> node id
	ips  map[string]string // address -> droplet, load balancer or reserved IP node id
	// scope qualifies names that are only unique inside an account (tags): the team or account
	// uuid, else the instance name. Every other DigitalOcean id is global.
	scope string
}

func (m *mapped) node(kind, native, name string, attrs graph.Attrs) string {
	nid := id(kind, native)
	// leave out empty values: they say nothing and clutter outputs
	maps.DeleteFunc(attrs, func(_ string, v any) bool {
		switch x := v.(type) {
		case string:
			return x == ""
		case []string:
			return len(x) == 0
		}
		return false
	})
	if !m.b.Add(graph.Node{ID: nid, Kind: kind, Provider: provider, Name: cmp.Or(name, native), Attrs: attrs}) {
		return nid
	}
	if urn, ok := attrs["urn"].(string); ok {
		m.urns[urn] = nid
	}
	return nid
}

// edge records an observed edge with one piece of evidence: field=value on the from node.
func (m *mapped) edge(from, typ, to, field, value string) {
	m.b.Edge(graph.Observe(from, to, typ, graph.Evidence{Node: from, Field: field, Value: value}))
}

func (m *mapped) has(nid string) bool { return m.b.Has(nid) }

// mapEstate turns what the API returned into nodes and edges. Order matters only for indexes:
// nodes first, then the edges that resolve references through them.
func mapEstate(e *estate, instance string, emit graph.Emitter) *mapped {
	m := &mapped{b: collectors.NewBuilder(emit), urns: map[string]string{}, ips: map[string]string{}, scope: instance}
	acct := m.mapAccount(e, instance)
	for _, t := range e.tags {
		m.tag(acct, t.Name, t.Resources)
	}
	for _, v := range e.vpcs {
		vid := m.node("vpc", v.ID, v.Name, graph.Attrs{"urn": urnOr(v.URN, "VPC", v.ID), "ip_range": v.IPRange, "region": v.RegionSlug, "default": v.Default, "description": v.Description})
		m.edge(acct, "contains", vid, "vpcs", v.ID)
	}
	for _, d := range e.droplets {
		m.mapDroplet(acct, d)
	}
	for _, v := range e.volumes {
		vid := m.node("volume", v.ID, v.Name, graph.Attrs{"urn": v.URN(), "region": region(v.Region), "size_gigabytes": v.SizeGigaBytes,
			"droplet_ids": intStrings(v.DropletIDs), "tags": v.Tags, "filesystem_type": v.FilesystemType})
		for _, did := range v.DropletIDs {
			m.edge(id("droplet", strconv.Itoa(did)), "mounts", vid, "volume_ids", v.ID)
		}
	}
	for _, c := range e.certs {
		cid := m.node("certificate", c.ID, c.Name, graph.Attrs{"type": c.Type, "state": c.State, "dns_names": c.DNSNames, "not_after": c.NotAfter})
		m.edge(acct, "contains", cid, "certificates", c.ID)
	}
	for _, lb := range e.lbs {
		m.mapLoadBalancer(acct, lb)
	}
	for _, r := range e.reservedIPs {
		m.mapReservedIP(r)
	}
	for _, r := range e.reservedV6 {
		m.mapReservedIPv6(r)
	}
	for _, k := range e.clusters {
		m.mapKubernetes(acct, k, e.nodePools[k.ID])
	}
	for _, db := range e.databases {
		m.mapDatabase(acct, db, e.replicas[db.ID], e.pools[db.ID], e.dbRules[db.ID])
	}
	for _, fw := range e.firewalls {
		m.mapFirewall(acct, fw)
	}
	for _, r := range e.registries {
		m.mapRegistry(acct, r, e.repos[r.Name])
	}
	for _, c := range e.cdns {
		cid := m.node("cdn_endpoint", c.ID, cmp.Or(c.CustomDomain, c.Endpoint), graph.Attrs{
			"origin": evidence.NormalizeHost(c.Origin), "endpoint": evidence.NormalizeHost(c.Endpoint), "custom_domain": evidence.NormalizeHost(c.CustomDomain),
			"ttl": int64(c.TTL), "certificate_id": c.CertificateID})
		if c.CertificateID != "" {
			m.edge(cid, "uses_certificate", id("certificate", c.CertificateID), "certificate_id", c.CertificateID)
		}
	}
	// Domains and apps come late: records resolve IPs, apps resolve clusters and registry repos.
	for _, d := range e.domains {
		m.mapDomain(acct, d, e.records[d.Name])
	}
	for _, a := range e.apps {
		m.mapApp(a, e)
	}
	for _, p := range e.projects {
		m.mapProject(acct, p, e.projectResources[p.ID])
	}
	for vpcID, members := range e.vpcMembers {
		vid := id("vpc", vpcID)
		for _, mem := range members {
			if nid, ok := m.urns[mem.URN]; ok && attachable[m.b.Kind(nid)] {
				m.edge(nid, "attached_to", vid, "vpc members", mem.URN)
			}
		}
	}
	return m
}

// attachable kinds may be attached_to a VPC (schemas/vocabulary/digitalocean.yaml).
var attachable = map[string]bool{"droplet": true, "k8s_cluster": true, "load_balancer": true, "db_cluster": true, "db_replica": true, "app": true}

func (m *mapped) mapAccount(e *estate, instance string) string {
	a := e.account
	if a == nil {
		return "" // not readable: edges from the account are left out
	}
	native, name := a.UUID, a.Name
	attrs := graph.Attrs{"uuid": a.UUID, "status": a.Status, "droplet_limit": int64(a.DropletLimit), "instance": instance}
	if a.Team != nil && a.Team.UUID != "" {
		native, name = a.Team.UUID, a.Team.Name
		attrs["team_uuid"], attrs["team"] = a.Team.UUID, a.Team.Name
	}
	if native == "" {
		native = instance
	}
	m.scope = native
	return m.node("account", native, cmp.Or(name, instance), attrs)
}

// tag returns the node of an account's tag. Tag names are per account, so the id is scoped
// ("<account>/<name>"): two accounts' "web" tags must not merge into one node.
func (m *mapped) tag(acct, name string, res *godo.TaggedResources) string {
	attrs := graph.Attrs{"tag": name}
	if res != nil {
		attrs["resource_count"] = int64(res.Count)
	}
	tid := m.node("tag", m.scope+"/"+name, name, attrs)
	if acct != "" {
		m.edge(acct, "contains", tid, "tags", name)
	}
	return tid
}

func (m *mapped) mapDroplet(acct string, d godo.Droplet) {
	native := strconv.Itoa(d.ID)
	pub4, _ := d.PublicIPv4()
	priv4, _ := d.PrivateIPv4()
	pub6, _ := d.PublicIPv6()
	attrs := graph.Attrs{"urn": d.URN(), "region": region(d.Region), "size_slug": d.SizeSlug, "status": d.Status,
		"public_ipv4": canonIP(pub4), "private_ipv4": canonIP(priv4), "public_ipv6": canonIP(pub6),
		"vpc_uuid": d.VPCUUID, "volume_ids": d.VolumeIDs, "tags": d.Tags, "vcpus": int64(d.Vcpus), "memory_mb": int64(d.Memory)}
	if d.Image != nil {
		attrs["image"] = cmp.Or(d.Image.Slug, d.Image.Name)
	}
	did := m.node("droplet", native, d.Name, attrs)
	for _, ip := range []string{pub4, priv4, pub6} {
		if ip != "" {
			m.ips[canonIP(ip)] = did
		}
	}
	if d.VPCUUID != "" {
		m.edge(did, "attached_to", id("vpc", d.VPCUUID), "vpc_uuid", d.VPCUUID)
	}
	for _, v := range d.VolumeIDs {
		m.edge(did, "mounts", id("volume", v), "volume_ids", v)
	}
	for _, t := range d.Tags {
		m.edge(m.tag(acct, t, nil), "contains", did, "tags", t)
	}
}

func (m *mapped) mapLoadBalancer(acct string, lb godo.LoadBalancer) {
	var rules, certs []string
	for _, r := range lb.ForwardingRules {
		rules = append(rules, fmt.Sprintf("%s:%d->%s:%d", r.EntryProtocol, r.EntryPort, r.TargetProtocol, r.TargetPort))
		if r.CertificateID != "" {
			certs = append(certs, r.CertificateID)
		}
	}
	var domains []string
	for _, d := range lb.Domains {
		if d == nil {
			continue
		}
		domains = append(domains, evidence.NormalizeHost(d.Name))
		if d.CertificateID != "" {
			certs = append(certs, d.CertificateID)
		}
	}
	lid := m.node("load_balancer", lb.ID, lb.Name, graph.Attrs{"urn": lb.URN(), "ip": canonIP(lb.IP), "ipv6": canonIP(lb.IPv6), "region": region(lb.Region),
		"status": lb.Status, "type": lb.Type, "tag": lb.Tag, "droplet_ids": intStrings(lb.DropletIDs), "vpc_uuid": lb.VPCUUID, "project_id": lb.ProjectID,
		"forwarding_rules": rules, "domains": domains, "certificate_ids": uniq(certs), "target_load_balancer_ids": lb.TargetLoadBalancerIDs})
	for _, ip := range []string{lb.IP, lb.IPv6} {
		if ip != "" {
			m.ips[canonIP(ip)] = lid
		}
	}
	for _, d := range lb.DropletIDs {
		m.edge(lid, "routes_to", id("droplet", strconv.Itoa(d)), "droplet_ids", strconv.Itoa(d))
	}
	if lb.Tag != "" {
		m.edge(lid, "routes_to", m.tag(acct, lb.Tag, nil), "tag", lb.Tag)
	}
	for _, t := range lb.TargetLoadBalancerIDs {
		m.edge(lid, "routes_to", id("load_balancer", t), "target_load_balancer_ids", t)
	}
	for _, c := range uniq(certs) {
		m.edge(lid, "uses_certificate", id("certificate", c), "certificate_id", c)
	}
	if lb.VPCUUID != "" {
		m.edge(lid, "attached_to", id("vpc", lb.VPCUUID), "vpc_uuid", lb.VPCUUID)
	}
	if lb.ProjectID != "" {
		m.edge(id("project", lb.ProjectID), "contains", lid, "project_id", lb.ProjectID)
	}
}

func (m *mapped) mapReservedIP(r godo.ReservedIP) {
	ip := canonIP(r.IP)
	attrs := graph.Attrs{"urn": r.URN(), "ip": ip, "region": region(r.Region), "project_id": r.ProjectID, "locked": r.Locked}
	if r.Droplet != nil {
		attrs["droplet_id"] = strconv.Itoa(r.Droplet.ID)
	}
	rid := m.node("reserved_ip", ip, ip, attrs)
	m.urns[godo.ToURN("FloatingIP", r.IP)] = rid // projects still list the old name
	m.ips[ip] = rid
	if r.Droplet != nil {
		m.edge(rid, "assigned_to", id("droplet", strconv.Itoa(r.Droplet.ID)), "droplet.id", strconv.Itoa(r.Droplet.ID))
	}
	if r.ProjectID != "" {
		m.edge(id("project", r.ProjectID), "contains", rid, "project_id", r.ProjectID)
	}
}

func (m *mapped) mapKubernetes(acct string, k *godo.KubernetesCluster, pools []*godo.KubernetesNodePool) {
	attrs := graph.Attrs{"urn": k.URN(), "region": k.RegionSlug, "version": k.VersionSlug, "endpoint": k.Endpoint, "ipv4": canonIP(k.IPv4),
		"vpc_uuid": k.VPCUUID, "cluster_subnet": k.ClusterSubnet, "service_subnet": k.ServiceSubnet, "registry_enabled": k.RegistryEnabled,
		"ha": k.HA, "auto_upgrade": k.AutoUpgrade, "tags": k.Tags}
	if f, ok := evidence.Parse(k.Endpoint); ok {
		attrs["endpoint_host"] = f.Host
	}
	if k.Status != nil {
		attrs["status"] = string(k.Status.State)
	}
	kid := m.node("k8s_cluster", k.ID, k.Name, attrs)
	if k.VPCUUID != "" {
		m.edge(kid, "attached_to", id("vpc", k.VPCUUID), "vpc_uuid", k.VPCUUID)
	}
	for _, p := range pools {
		if p == nil {
			continue
		}
		var names, droplets []string
		for _, n := range p.Nodes {
			if n == nil {
				continue
			}
			names = append(names, n.Name)
			if n.DropletID != "" {
				droplets = append(droplets, n.DropletID)
			}
		}
		pid := m.node("node_pool", p.ID, k.Name+"/"+p.Name, graph.Attrs{"pool": p.Name, "cluster": k.Name, "size": p.Size, "count": int64(p.Count),
			"auto_scale": p.AutoScale, "min_nodes": int64(p.MinNodes), "max_nodes": int64(p.MaxNodes), "tags": p.Tags, "nodes": names, "droplet_ids": droplets})
		m.edge(kid, "contains", pid, "node_pools", p.ID)
		for _, d := range droplets {
			m.edge(pid, "contains", id("droplet", d), "nodes.droplet_id", d)
		}
	}
}

// connAttrs keeps the non-secret parts of a database connection: host, port, user, database.
// Password and URI are never read.
func connAttrs(attrs graph.Attrs, prefix string, c *godo.DatabaseConnection, withUser bool) {
	if c == nil || c.Host == "" {
		return
	}
	attrs[prefix+"host"] = evidence.NormalizeHost(c.Host)
	if c.Port != 0 {
		attrs[prefix+"port"] = int64(c.Port)
	}
	if withUser {
		attrs["protocol"] = c.Protocol
		attrs["database"] = c.Database
		if !evidence.LooksSecret(c.User) {
			attrs["user"] = c.User
		}
		attrs["ssl"] = c.SSL
	}
}

func (m *mapped) mapDatabase(acct string, db godo.Database, replicas []godo.DatabaseReplica, pools []godo.DatabasePool, rules []godo.DatabaseFirewallRule) {
	attrs := graph.Attrs{"urn": db.URN(), "engine": db.EngineSlug, "version": db.VersionSlug, "region": db.RegionSlug, "size": db.SizeSlug,
		"num_nodes": int64(db.NumNodes), "status": db.Status, "db_names": db.DBNames, "private_network_uuid": db.PrivateNetworkUUID,
		"project_id": db.ProjectID, "tags": db.Tags}
	connAttrs(attrs, "", db.Connection, true)
	connAttrs(attrs, "private_", db.PrivateConnection, false)
	connAttrs(attrs, "standby_", db.StandbyConnection, false)
	connAttrs(attrs, "standby_private_", db.StandbyPrivateConnection, false)
	var users []string
	for _, u := range db.Users {
		users = append(users, u.Name)
	}
	attrs["users"] = users
	var sources []string
	for _, r := range rules {
		sources = append(sources, r.Type+":"+r.Value)
	}
	attrs["trusted_sources"] = sources
	did := m.node("db_cluster", db.ID, db.Name, attrs)
	if db.PrivateNetworkUUID != "" {
		m.edge(did, "attached_to", id("vpc", db.PrivateNetworkUUID), "private_network_uuid", db.PrivateNetworkUUID)
	}
	if db.ProjectID != "" {
		m.edge(id("project", db.ProjectID), "contains", did, "project_id", db.ProjectID)
	}
	for _, r := range replicas {
		native := r.ID
		if native == "" {
			native = db.ID + "/" + r.Name
		}
		ra := graph.Attrs{"cluster": db.Name, "region": r.Region, "status": r.Status, "size": r.Size, "private_network_uuid": r.PrivateNetworkUUID, "tags": r.Tags}
		connAttrs(ra, "", r.Connection, false)
		connAttrs(ra, "private_", r.PrivateConnection, false)
		rid := m.node("db_replica", native, r.Name, ra)
		m.edge(rid, "replica_of", did, "replicas", r.Name)
		if r.PrivateNetworkUUID != "" {
			m.edge(rid, "attached_to", id("vpc", r.PrivateNetworkUUID), "private_network_uuid", r.PrivateNetworkUUID)
		}
	}
	for _, p := range pools {
		pa := graph.Attrs{"cluster": db.Name, "pool": p.Name, "database": p.Database, "user": p.User, "mode": p.Mode, "size": int64(p.Size)}
		if evidence.LooksSecret(p.User) {
			delete(pa, "user")
		}
		connAttrs(pa, "", p.Connection, false)
		connAttrs(pa, "private_", p.PrivateConnection, false)
		pid := m.node("db_pool", db.ID+"/"+p.Name, db.Name+"/"+p.Name, pa)
		m.edge(pid, "pool_of", did, "pools", p.Name)
	}
	for _, r := range rules {
		switch r.Type {
		case "droplet":
			m.edge(did, "allows", id("droplet", r.Value), "trusted_sources", r.Type+":"+r.Value)
		case "k8s":
			m.edge(did, "allows", id("k8s_cluster", r.Value), "trusted_sources", r.Type+":"+r.Value)
		case "app":
			m.edge(did, "allows", id("app", r.Value), "trusted_sources", r.Type+":"+r.Value)
		case "tag":
			m.edge(did, "allows", m.tag(acct, r.Value, nil), "trusted_sources", r.Type+":"+r.Value)
		case "ip_addr":
			native := db.ID + "/" + cmp.Or(r.UUID, r.Value)
			tid := m.node("db_trusted_source", native, db.Name+" ← "+r.Value, graph.Attrs{"type": r.Type, "cidr": cidrOf(r.Value), "cluster": db.Name})
			m.edge(did, "contains", tid, "trusted_sources", r.Value)
		}
	}
}

// everyone tells an address that means any address (0.0.0.0/0, ::/0).
func everyone(a string) bool {
	switch a {
	case "0.0.0.0/0", "::/0", "0.0.0.0", "::":
		return true
	}
	return false
}

func (m *mapped) mapFirewall(acct string, fw godo.Firewall) {
	var in, out, ports, open []string
	for _, r := range fw.InboundRules {
		port := r.Protocol + ":" + cmp.Or(r.PortRange, "all")
		ports = append(ports, port)
		if r.Sources != nil {
			in = append(in, r.Sources.Addresses...)
			// The ports anyone may reach: a rule whose sources include every address. Kept per
			// port, so opening a second port to the world is a change (addresses alone are not).
			if slices.ContainsFunc(r.Sources.Addresses, everyone) {
				open = append(open, port)
			}
		}
	}
	for _, r := range fw.OutboundRules {
		if r.Destinations != nil {
			out = append(out, r.Destinations.Addresses...)
		}
	}
	fid := m.node("firewall", fw.ID, fw.Name, graph.Attrs{"urn": fw.URN(), "status": fw.Status, "droplet_ids": intStrings(fw.DropletIDs), "tags": fw.Tags,
		"inbound_addresses": uniq(in), "outbound_addresses": uniq(out), "inbound_ports": uniq(ports),
		"inbound_open_ports": uniq(open)})
	for _, d := range fw.DropletIDs {
		m.edge(fid, "protects", id("droplet", strconv.Itoa(d)), "droplet_ids", strconv.Itoa(d))
	}
	for _, t := range fw.Tags {
		m.edge(fid, "protects", m.tag(acct, t, nil), "tags", t)
	}
	// Inbound rule sources name what may reach the protected resources.
	for _, r := range fw.InboundRules {
		s := r.Sources
		if s == nil {
			continue
		}
		for _, d := range s.DropletIDs {
			m.edge(fid, "allows", id("droplet", strconv.Itoa(d)), "inbound_rules.sources.droplet_ids", strconv.Itoa(d))
		}
		for _, t := range s.Tags {
			m.edge(fid, "allows", m.tag(acct, t, nil), "inbound_rules.sources.tags", t)
		}
		for _, l := range s.LoadBalancerUIDs {
			m.edge(fid, "allows", id("load_balancer", l), "inbound_rules.sources.load_balancer_uids", l)
		}
		for _, k := range s.KubernetesIDs {
			m.edge(fid, "allows", id("k8s_cluster", k), "inbound_rules.sources.kubernetes_ids", k)
		}
	}
}

// mapReservedIPv6 emits a reserved IPv6 address (GET /v2/reserved_ipv6: ip, region_slug,
// reserved_at, droplet) as a reserved_ip, like its IPv4 counterpart.
func (m *mapped) mapReservedIPv6(r godo.ReservedIPV6) {
	ip := canonIP(r.IP)
	if ip == "" {
		return
	}
	attrs := graph.Attrs{"urn": r.URN(), "ip": ip, "region": r.RegionSlug}
	if r.Droplet != nil {
		attrs["droplet_id"] = strconv.Itoa(r.Droplet.ID)
	}
	rid := m.node("reserved_ip", ip, ip, attrs)
	m.urns[r.URN()] = rid
	m.ips[ip] = rid
	if r.Droplet != nil {
		m.edge(rid, "assigned_to", id("droplet", strconv.Itoa(r.Droplet.ID)), "droplet.id", strconv.Itoa(r.Droplet.ID))
	}
}

func (m *mapped) mapRegistry(acct string, r *godo.Registry, repos []*godo.RepositoryV2) {
	rid := m.node("registry", r.Name, r.Name, graph.Attrs{"region": r.Region, "storage_usage_bytes": int64(r.StorageUsageBytes),
		"image_prefix": "registry.digitalocean.com/" + r.Name})
	m.edge(acct, "contains", rid, "registry", r.Name)
	for _, repo := range repos {
		if repo == nil {
			continue
		}
		attrs := graph.Attrs{"registry": r.Name, "repository": repo.Name, "tag_count": int64(repo.TagCount), "manifest_count": int64(repo.ManifestCount),
			"image": "registry.digitalocean.com/" + r.Name + "/" + repo.Name}
		if repo.LatestManifest != nil {
			attrs["latest_tags"] = repo.LatestManifest.Tags
		}
		pid := m.node("registry_repo", r.Name+"/"+repo.Name, r.Name+"/"+repo.Name, attrs)
		m.edge(rid, "contains", pid, "repositories", repo.Name)
	}
}

func (m *mapped) mapDomain(acct string, d godo.Domain, records []godo.DomainRecord) {
	zone := evidence.NormalizeHost(d.Name)
	did := m.node("domain", zone, zone, graph.Attrs{"urn": d.URN(), "name": zone, "ttl": int64(d.TTL)})
	m.edge(acct, "contains", did, "domains", zone)
	for _, r := range records {
		fqdn := zone
		if r.Name != "" && r.Name != "@" {
			fqdn = evidence.NormalizeHost(r.Name + "." + zone)
		}
		attrs := graph.Attrs{"fqdn": fqdn, "type": r.Type, "record_name": r.Name, "data": r.Data, "ttl": int64(r.TTL)}
		switch r.Type {
		case "A", "AAAA":
			attrs["ip"] = canonIP(r.Data)
		case "CNAME", "ALIAS", "MX", "NS", "SRV":
			attrs["target"] = recordTarget(r.Data, zone)
		}
		if r.Type == "MX" || r.Type == "SRV" {
			attrs["priority"] = int64(r.Priority)
		}
		if r.Type == "SRV" {
			attrs["port"] = int64(r.Port)
		}
		rid := m.node("dns_record", zone+"/"+strconv.Itoa(r.ID), fqdn+" "+r.Type, attrs)
		m.edge(did, "contains", rid, "records", strconv.Itoa(r.ID))
		if ip, ok := attrs["ip"].(string); ok && ip != "" {
			if target, ok := m.ips[ip]; ok {
				m.edge(rid, "resolves_to", target, "data", r.Data)
			}
		}
	}
}

// recordTarget normalises a record's host data: "@" is the zone apex, a name with a trailing
// dot is absolute, a bare label is relative to the zone.
func recordTarget(data, zone string) string {
	switch {
	case data == "@" || data == "":
		return zone
	case strings.HasSuffix(data, "."):
		return evidence.NormalizeHost(data)
	case !strings.Contains(data, "."):
		return evidence.NormalizeHost(data + "." + zone)
	}
	return evidence.NormalizeHost(data)
}

// bindable matches App Platform bindable variables such as ${acme-pg.DATABASE_URL}.
var bindable = regexp.MustCompile(`\$\{([A-Za-z0-9_-]+)\.[A-Za-z0-9_]+\}`)

// envAttrs keeps env-var names and, for GENERAL values only, the facts evidence extracts
// (env.KEY.host, ...). SECRET values (returned encrypted as EV[...]) are never read.
func envAttrs(attrs graph.Attrs, envs []*godo.AppVariableDefinition) (refs []string) {
	var keys, secret []string
	for _, v := range envs {
		if v == nil || v.Key == "" {
			continue
		}
		keys = append(keys, v.Key)
		if v.Type == godo.AppVariableType_Secret {
			secret = append(secret, v.Key)
			continue
		}
		for k, x := range evidence.EnvRef("env."+v.Key, v.Key, v.Value) {
			attrs[k] = x
		}
		for _, mm := range bindable.FindAllStringSubmatch(v.Value, -1) {
			refs = append(refs, mm[1])
			attrs["env."+v.Key+".binding"] = mm[0]
		}
	}
	if len(keys) > 0 {
		attrs["env_keys"] = uniq(keys)
	}
	if len(secret) > 0 {
		attrs["secret_env_keys"] = uniq(secret)
	}
	return refs
}

// component is the part of every App Platform component spec we read.
type component struct {
	typ    string
	name   string
	github *godo.GitHubSourceSpec
	gitlab *godo.GitLabSourceSpec
	git    *godo.GitSourceSpec
	image  *godo.ImageSourceSpec
	envs   []*godo.AppVariableDefinition
	extra  graph.Attrs
}

func components(s *godo.AppSpec) []component {
	var out []component
	for _, c := range s.Services {
		if c != nil {
			out = append(out, component{"service", c.Name, c.GitHub, c.GitLab, c.Git, c.Image, c.Envs, graph.Attrs{
				"http_port": int64(c.HTTPPort), "instance_size_slug": c.InstanceSizeSlug, "instance_count": c.InstanceCount, "source_dir": c.SourceDir, "routes": routes(c.Routes)}})
		}
	}
	for _, c := range s.Workers {
		if c != nil {
			out = append(out, component{"worker", c.Name, c.GitHub, c.GitLab, c.Git, c.Image, c.Envs, graph.Attrs{
				"instance_size_slug": c.InstanceSizeSlug, "instance_count": c.InstanceCount, "source_dir": c.SourceDir}})
		}
	}
	for _, c := range s.Jobs {
		if c != nil {
			out = append(out, component{"job", c.Name, c.GitHub, c.GitLab, c.Git, c.Image, c.Envs, graph.Attrs{
				"job_kind": string(c.Kind), "instance_size_slug": c.InstanceSizeSlug, "source_dir": c.SourceDir}})
		}
	}
	for _, c := range s.StaticSites {
		if c != nil {
			out = append(out, component{"static_site", c.Name, c.GitHub, c.GitLab, c.Git, nil, c.Envs, graph.Attrs{
				"source_dir": c.SourceDir, "output_dir": c.OutputDir, "routes": routes(c.Routes)}})
		}
	}
	for _, c := range s.Functions {
		if c != nil {
			out = append(out, component{"function", c.Name, c.GitHub, c.GitLab, c.Git, nil, c.Envs, graph.Attrs{
				"source_dir": c.SourceDir, "routes": routes(c.Routes)}})
		}
	}
	return out
}

func routes(rs []*godo.AppRouteSpec) []string {
	var out []string
	for _, r := range rs {
		if r != nil && r.Path != "" {
			out = append(out, r.Path)
		}
	}
	return out
}

func (m *mapped) mapApp(a *godo.App, e *estate) {
	if a == nil || a.Spec == nil {
		return
	}
	s := a.Spec
	attrs := graph.Attrs{"urn": a.URN(), "default_ingress": a.DefaultIngress, "live_url": a.LiveURL, "live_domain": evidence.NormalizeHost(a.LiveDomain),
		"tier_slug": a.TierSlug, "project_id": a.ProjectID, "region": s.Region}
	if f, ok := evidence.Parse(a.DefaultIngress); ok {
		attrs["default_ingress_host"] = f.Host
	}
	var domains, ips []string
	for _, d := range s.Domains {
		if d != nil {
			domains = append(domains, evidence.NormalizeHost(d.Domain))
		}
	}
	for _, ip := range a.DedicatedIps {
		if ip != nil {
			ips = append(ips, canonIP(ip.Ip))
		}
	}
	attrs["domains"], attrs["dedicated_ips"] = uniq(domains), uniq(ips)
	if a.VPC != nil {
		attrs["vpc_id"] = a.VPC.ID
	}
	// spec.databases: name (what bindables use) -> cluster_name (a managed cluster, when set).
	clusters := map[string]string{}
	var dbs []string
	for _, d := range s.Databases {
		if d == nil {
			continue
		}
		dbs = append(dbs, d.Name)
		if d.ClusterName != "" {
			clusters[d.Name] = d.ClusterName
		}
	}
	attrs["databases"] = dbs
	appRefs := envAttrs(attrs, s.Envs)
	aid := m.node("app", a.ID, s.Name, attrs)

	clusterByName := map[string]string{}
	for _, db := range e.databases {
		clusterByName[db.Name] = id("db_cluster", db.ID)
	}
	useDB := func(from, dbName, field string) {
		if cn, ok := clusters[dbName]; ok {
			if cid, ok := clusterByName[cn]; ok {
				m.edge(from, "uses_database", cid, field, cn)
			}
		}
	}
	for name := range clusters {
		useDB(aid, name, "spec.databases.cluster_name")
	}
	for _, r := range appRefs {
		useDB(aid, r, "spec.envs")
	}
	if a.VPC != nil && a.VPC.ID != "" {
		m.edge(aid, "attached_to", id("vpc", a.VPC.ID), "vpc.id", a.VPC.ID)
	}
	if a.ProjectID != "" {
		m.edge(id("project", a.ProjectID), "contains", aid, "project_id", a.ProjectID)
	}
	for _, d := range s.Domains {
		if d == nil {
			continue
		}
		if zone := m.zoneOf(d.Zone, d.Domain); zone != "" {
			m.edge(zone, "routes_to", aid, "spec.domains", evidence.NormalizeHost(d.Domain))
		}
	}

	registry := "" // an image spec without a registry name is in the account's only registry
	if len(e.registries) == 1 {
		registry = e.registries[0].Name
	}
	for _, c := range components(s) {
		ca := c.extra
		ca["component_type"], ca["app"] = c.typ, s.Name
		refs := envAttrs(ca, c.envs)
		var repo string
		switch {
		case c.github != nil && c.github.Repo != "":
			repo, ca["branch"] = "github.com/"+strings.Trim(c.github.Repo, "/"), c.github.Branch
		case c.gitlab != nil && c.gitlab.Repo != "":
			repo, ca["branch"] = "gitlab.com/"+strings.Trim(c.gitlab.Repo, "/"), c.gitlab.Branch
		case c.git != nil && c.git.RepoCloneURL != "":
			repo, ca["branch"] = cloneRepo(c.git.RepoCloneURL), c.git.Branch
		}
		ca["repo"] = repo
		var imageRepo string
		if im := c.image; im != nil { // registry_credentials is a secret and never read
			ref := strings.Trim(im.Registry+"/"+im.Repository, "/")
			if im.RegistryType == godo.ImageSourceSpecRegistryType_DOCR {
				reg := cmp.Or(im.Registry, registry)
				ref = "registry.digitalocean.com/" + strings.Trim(reg+"/"+im.Repository, "/")
				if reg != "" {
					imageRepo = id("registry_repo", reg+"/"+im.Repository)
				}
			}
			if im.Tag != "" {
				ref += ":" + im.Tag
			}
			ca["image"], ca["image_registry_type"] = ref, string(im.RegistryType)
		}
		cid := m.node("app_component", a.ID+"/"+c.name, s.Name+"/"+c.name, ca)
		m.edge(aid, "contains", cid, "spec."+c.typ+"s", c.name)
		if repo != "" {
			gid := graph.ID("git", "repo", repo)
			m.b.Node(graph.Node{ID: gid, Kind: "repo", Provider: "git", Name: repo, Attrs: graph.Attrs{"repo": repo}})
			m.edge(cid, "builds_from", gid, "source", repo)
		}
		if imageRepo != "" {
			m.edge(cid, "builds_from", imageRepo, "image.repository", c.image.Repository)
		}
		for _, r := range refs {
			useDB(cid, r, "envs")
		}
	}
}

// zoneOf returns the domain node that holds host: the spec's zone when given, else the longest
// of our domains that is a suffix of host.
func (m *mapped) zoneOf(zone, host string) string {
	if zone != "" {
		if zid := id("domain", evidence.NormalizeHost(zone)); m.has(zid) {
			return zid
		}
	}
	h := evidence.NormalizeHost(host)
	for h != "" {
		if zid := id("domain", h); m.has(zid) {
			return zid
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return ""
}

// cloneRepo turns a clone URL (https://gitlab.com/acme/x.git, git@github.com:acme/x.git) into
// "host/org/name".
func cloneRepo(u string) string {
	if !strings.Contains(u, "://") {
		if at := strings.Index(u, "@"); at >= 0 { // scp-like syntax
			u = "ssh://" + strings.Replace(u[at+1:], ":", "/", 1)
		}
	}
	f, ok := evidence.Parse(u)
	if !ok {
		return ""
	}
	p := strings.TrimSuffix(strings.Trim(f.Path, "/"), ".git")
	if p == "" {
		return ""
	}
	return f.Host + "/" + p
}

func (m *mapped) mapProject(acct string, p godo.Project, resources []godo.ProjectResource) {
	var unresolved []string
	for _, r := range resources {
		if _, ok := m.urns[r.URN]; !ok {
			unresolved = append(unresolved, r.URN)
		}
	}
	pid := m.node("project", p.ID, p.Name, graph.Attrs{"urn": godo.ToURN("Project", p.ID), "purpose": p.Purpose, "environment": p.Environment,
		"is_default": p.IsDefault, "description": p.Description, "unresolved_resources": uniq(unresolved)})
	m.edge(acct, "contains", pid, "projects", p.ID)
	for _, r := range resources {
		if nid, ok := m.urns[r.URN]; ok {
			m.edge(pid, "contains", nid, "resources.urn", r.URN)
		}
	}
}

func region(r *godo.Region) string {
	if r == nil {
		return ""
	}
	return r.Slug
}

func canonIP(s string) string {
	if ip := net.ParseIP(strings.TrimSpace(s)); ip != nil {
		return ip.String()
	}
	return ""
}

// cidrOf turns a trusted-source value into a CIDR: a bare address becomes /32 or /128.
func cidrOf(v string) string {
	if _, n, err := net.ParseCIDR(v); err == nil {
		return n.String()
	}
	if ip := net.ParseIP(v); ip != nil {
		if ip.To4() != nil {
			return ip.String() + "/32"
		}
		return ip.String() + "/128"
	}
	return v
}

func urnOr(urn, typ, native string) string {
	if urn != "" {
		return urn
	}
	return godo.ToURN(typ, native)
}

func intStrings(xs []int) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, strconv.Itoa(x))
	}
	return out
}

// uniq returns xs sorted, without duplicates or empty strings (nil when nothing is left).
func uniq(xs []string) []string {
	out := slices.DeleteFunc(slices.Clone(xs), func(x string) bool { return x == "" })
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}
