package vercel

import (
	"cmp"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

const provider = "vercel"

func id(kind, native string) string { return graph.ID(provider, kind, native) }

// mapper turns each scope's snapshot into nodes and edges, through one collectors.Builder: each
// node emitted once, no edge whose ends were not both emitted.
type mapper struct {
	b *collectors.Builder
}

func (m *mapper) node(kind, native, name string, attrs graph.Attrs) string {
	nid := id(kind, native)
	m.add(graph.Node{ID: nid, Kind: kind, Provider: provider, Name: cmp.Or(name, native), Attrs: attrs})
	return nid
}

func (m *mapper) add(n graph.Node) { m.b.Node(n) }

func (m *mapper) edge(from, typ, to string, ev ...graph.Evidence) {
	m.b.Edge(graph.Observe(from, to, typ, ev...))
}

func ev(node, field, value string) graph.Evidence {
	return graph.Evidence{Node: node, Field: field, Value: value}
}

// repoNode emits the shared git repo node and returns its id ("" for no repo).
func (m *mapper) repoNode(repo string) string {
	if repo == "" {
		return ""
	}
	nid := graph.ID("git", "repo", repo)
	m.add(graph.Node{ID: nid, Kind: "repo", Provider: "git", Name: repo, Attrs: graph.Attrs{"repo": repo}})
	return nid
}

func newMapper(emit graph.Emitter) *mapper { return &mapper{b: collectors.NewBuilder(emit)} }

// scope turns one scope's snapshot into nodes and edges. A mapper spans every scope of a scan,
// so shared nodes (git repos) are emitted once.
func (m *mapper) scope(s *snapshot) {
	sc := s.Scope
	team := m.node("team", sc.ID, sc.Name, graph.Attrs{"slug": sc.Slug, "plan": sc.Plan, "personal": sc.Personal})

	// Things projects point at come first, so edges to them can be checked.
	for _, n := range s.Networks {
		nid := m.node("secure_network", n.ID, n.Name, graph.Attrs{
			"region": n.Region, "aws_region": n.AWSRegion, "cidr": n.CIDR, "vpc_id": n.VPCID,
			"status": n.Status, "egress_ips": n.EgressIPAddresses,
		})
		m.edge(team, "contains", nid)
	}
	for _, ic := range s.Integrations {
		nid := m.node("integration_config", ic.ID, cmp.Or(ic.Slug, ic.IntegrationID), graph.Attrs{
			"slug": ic.Slug, "integration_id": ic.IntegrationID, "installation_type": ic.InstallationType,
			"status": ic.Status, "source": ic.Source, "type": ic.Type, "scopes": ic.Scopes,
			"project_selection": ic.ProjectSelection, "projects": ic.Projects,
		})
		m.edge(team, "contains", nid)
	}
	for _, e := range s.EdgeConfigs {
		nid := m.node("edge_config", e.ID, e.Slug, graph.Attrs{"slug": e.Slug, "item_count": e.ItemCount, "size_bytes": e.SizeInBytes})
		m.edge(team, "contains", nid)
	}
	for _, st := range s.Stores {
		nid := m.node("storage_store", st.ID, st.Name, graph.Attrs{"type": st.Type, "region": st.Region, "status": st.Status})
		m.edge(team, "contains", nid)
	}

	// Hosts each project serves: its domains and its *.vercel.app aliases.
	hosts := map[string][]string{}
	addHost := func(pid, h string) {
		if h = evidence.NormalizeHost(h); h != "" && pid != "" {
			hosts[pid] = append(hosts[pid], h)
		}
	}
	deployments := map[string]bool{}
	for _, pd := range s.Projects {
		for _, d := range pd.Domains {
			addHost(pd.Project.ID, d.Name)
		}
		for _, a := range pd.Project.Alias {
			if strings.HasSuffix(a.Domain, ".vercel.app") {
				addHost(pd.Project.ID, a.Domain)
			}
		}
		if t := pd.Project.Targets["production"]; t != nil {
			for _, a := range t.Alias {
				if strings.HasSuffix(a, ".vercel.app") {
					addHost(pd.Project.ID, a)
				}
			}
		}
		for _, d := range pd.Deployments {
			deployments[d.UID] = true
		}
	}
	for _, a := range s.Aliases {
		if deployments[a.DeploymentID] && strings.HasSuffix(a.Alias, ".vercel.app") {
			addHost(a.ProjectID, a.Alias)
		}
	}

	projects := map[string]string{}
	for _, pd := range s.Projects {
		projects[pd.Project.ID] = m.project(pd, team, hosts[pd.Project.ID], s)
	}

	// Project-level links to team resources.
	for _, ic := range s.Integrations {
		from := id("integration_config", ic.ID)
		targets := ic.Projects
		if ic.ProjectSelection == "all" {
			targets = slices.Sorted(maps.Keys(projects))
		}
		for _, p := range targets {
			m.edge(from, "installed_on", id("project", p), ev(from, "projects", p))
		}
	}
	for _, st := range s.Stores {
		sid := id("storage_store", st.ID)
		if st.ProjectsMetadata != nil {
			for _, c := range *st.ProjectsMetadata {
				m.edge(id("project", c.ProjectID), "uses_store", sid, ev(sid, "projectsMetadata.projectId", c.ProjectID))
			}
		}
	}
	for _, n := range s.Networks {
		nid := id("secure_network", n.ID)
		if n.Projects != nil {
			for _, p := range n.Projects.IDs {
				m.edge(id("project", p), "uses_network", nid, ev(nid, "projects.ids", p))
			}
		}
	}

	for _, v := range s.Shared {
		attrs := graph.Attrs{"key": v.Key, "type": v.Type, "targets": []string(v.Target), "project_ids": v.ProjectID}
		for k, x := range s.sharedFacts[v.ID] {
			attrs[k] = x
		}
		nid := m.node("shared_env_var", v.ID, v.Key, attrs)
		m.edge(team, "contains", nid)
		for _, p := range v.ProjectID {
			m.edge(id("project", p), "depends_on", nid, ev(nid, "project_ids", p))
		}
	}

	for _, d := range s.Domains {
		did := m.node("domain", d.Name, d.Name, graph.Attrs{
			"name": evidence.NormalizeHost(d.Name), "verified": d.Verified, "service_type": d.ServiceType,
			"nameservers": normHosts(d.Nameservers), "intended_nameservers": normHosts(d.IntendedNameservers),
			"custom_nameservers": normHosts(d.CustomNameservers),
		})
		m.edge(team, "contains", did)
		for _, r := range s.Records[d.Name] {
			m.record(did, d.Name, r)
		}
	}

	m.aliases(s, deployments, projects)

	for _, dr := range s.Drains {
		attrs := graph.Attrs{"status": dr.Status, "schemas": slices.Sorted(maps.Keys(dr.Schemas))}
		if dr.Source != nil {
			attrs["source"] = dr.Source.Kind
			attrs["integration_config_id"] = dr.Source.IntegrationConfigurationID
		}
		if d := dr.Delivery; d != nil {
			attrs["delivery_type"] = d.Type
			attrs["header_names"] = slices.Sorted(maps.Keys(d.Headers))
			for _, e := range d.Endpoint {
				if f, ok := evidence.Parse(e); ok {
					attrs["endpoint."] = f.Ref()
					break
				}
			}
		}
		nid := m.node("drain", dr.ID, dr.Name, attrs)
		m.edge(team, "contains", nid)
		m.notifies(nid, dr.ProjectIDs, team)
	}
	for _, w := range s.Webhooks {
		attrs := graph.Attrs{"events": w.Events}
		name := w.ID
		if f, ok := evidence.Parse(w.URL); ok {
			attrs["url."] = f.Ref()
			name = f.Host
		}
		nid := m.node("webhook", w.ID, name, attrs)
		m.edge(team, "contains", nid)
		m.notifies(nid, w.ProjectIDs, team)
	}
}

func (m *mapper) notifies(from string, projectIDs []string, team string) {
	if len(projectIDs) == 0 { // every project of the team
		m.edge(from, "notifies", team)
		return
	}
	for _, p := range projectIDs {
		m.edge(from, "notifies", id("project", p), ev(from, "projectIds", p))
	}
}

func (m *mapper) project(pd *projectData, team string, hosts []string, s *snapshot) string {
	p := pd.Project
	attrs := graph.Attrs{
		"framework": p.Framework, "root_directory": p.RootDirectory, "node_version": p.NodeVersion,
		"domains": hosts,
	}
	var regions []string
	if p.ServerlessFunctionRegion != "" {
		regions = append(regions, p.ServerlessFunctionRegion)
	}
	if p.ResourceConfig != nil {
		regions = append(regions, p.ResourceConfig.FunctionDefaultRegions...)
	}
	attrs["regions"] = regions
	repo := ""
	if l := p.Link; l != nil {
		repo = repoOf(l)
		attrs["repo"] = repo
		attrs["git_provider"] = l.Type
		attrs["production_branch"] = l.ProductionBranch
		if len(l.DeployHooks) > 0 { // names and refs only: each hook's URL embeds its token
			attrs["deploy_hooks"] = len(l.DeployHooks)
			var refs []string
			for _, h := range l.DeployHooks {
				refs = append(refs, h.Ref)
			}
			attrs["deploy_hook_refs"] = refs
		}
	}
	// Secure Compute: connectConfigurations[].connectConfigurationId, then the deprecated
	// connectConfigurationId (Project.SecureNetworks). The first is secure_network_id; several
	// are all listed in secure_network_ids.
	networks := p.SecureNetworks()
	netField := "secure_network_id"
	if len(networks) > 0 {
		attrs["secure_network_id"] = networks[0]
	}
	if len(networks) > 1 {
		attrs["secure_network_ids"], netField = networks, "secure_network_ids"
	}
	pid := m.node("project", p.ID, p.Name, attrs)
	m.edge(team, "contains", pid)
	if r := m.repoNode(repo); r != "" {
		m.edge(pid, "builds_from", r, ev(pid, "repo", repo))
	}
	for _, n := range networks {
		m.edge(pid, "uses_network", id("secure_network", n), ev(pid, netField, n))
	}

	for _, e := range pd.Envs {
		m.envVar(pid, p.ID, e, pd.EnvFacts[e.ID])
	}

	for _, d := range pd.Domains {
		name := evidence.NormalizeHost(d.Name)
		did := m.node("project_domain", p.ID+"/"+name, name, graph.Attrs{
			"name": name, "apex_name": evidence.NormalizeHost(d.ApexName), "redirect": evidence.NormalizeHost(d.Redirect),
			"redirect_status_code": d.RedirectStatusCode, "git_branch": d.GitBranch, "verified": d.Verified,
			"custom_environment_id": d.CustomEnvironmentID,
		})
		m.edge(pid, "contains", did)
		m.edge(did, "routes_to", pid, ev(did, "name", name))
	}
	for _, d := range pd.Domains { // redirects, once every domain of the project exists
		if d.Redirect != "" {
			from := id("project_domain", p.ID+"/"+evidence.NormalizeHost(d.Name))
			m.edge(from, "routes_to", id("project_domain", p.ID+"/"+evidence.NormalizeHost(d.Redirect)), ev(from, "redirect", evidence.NormalizeHost(d.Redirect)))
		}
	}

	for _, d := range pd.Deployments {
		m.deployment(pid, repo, d, false)
	}
	return pid
}

func (m *mapper) envVar(pid, projectID string, e EnvVar, facts map[string]any) {
	if e.ID == "" {
		return
	}
	attrs := graph.Attrs{
		"key": e.Key, "type": e.Type, "targets": []string(e.Target), "git_branch": e.GitBranch,
		"custom_environment_ids": e.CustomEnvironmentIDs, "edge_config_id": e.EdgeConfigID,
		"integration_config_id": e.ConfigurationID,
	}
	h := e.ContentHint
	if h != nil {
		attrs["content_hint"] = h.Type
		attrs["store_id"] = h.StoreID
		if attrs["integration_config_id"] == "" {
			attrs["integration_config_id"] = h.IntegrationConfigurationID
		}
	}
	for k, v := range facts {
		attrs[k] = v
	}
	nid := m.node("env_var", projectID+"/"+e.ID, e.Key, attrs)
	m.edge(pid, "contains", nid)
	if e.ConfigurationID != "" {
		m.edge(nid, "created_by", id("integration_config", e.ConfigurationID), ev(nid, "integration_config_id", e.ConfigurationID))
	}
	if e.EdgeConfigID != "" {
		m.edge(nid, "reads_from", id("edge_config", e.EdgeConfigID), ev(nid, "edge_config_id", e.EdgeConfigID))
	}
	if h != nil {
		if h.StoreID != "" {
			sid := id("storage_store", h.StoreID)
			m.edge(nid, "uses_store", sid, ev(nid, "store_id", h.StoreID))
			if h.IntegrationConfigurationID != "" {
				m.edge(sid, "created_by", id("integration_config", h.IntegrationConfigurationID), ev(nid, "integration_config_id", h.IntegrationConfigurationID))
			}
		}
		if h.IntegrationConfigurationID != "" && h.IntegrationConfigurationID != e.ConfigurationID {
			m.edge(nid, "created_by", id("integration_config", h.IntegrationConfigurationID), ev(nid, "integration_config_id", h.IntegrationConfigurationID))
		}
	}
}

// deployment emits a deployment. pinned ones are known only from an alias that points at them:
// their target and commit are unknown.
func (m *mapper) deployment(pid, projectRepo string, d Deployment, pinned bool) string {
	host := evidence.NormalizeHost(d.URL)
	if f, ok := evidence.Parse(d.URL); ok {
		host = f.Host
	}
	sha, ref, repo := commitOf(d.Meta)
	if repo == "" && sha != "" {
		repo = projectRepo
	}
	attrs := graph.Attrs{
		"target": deploymentTarget(d), "state": cmp.Or(d.ReadyState, d.State), "url_host": host,
		"source": d.Source, "commit_sha": sha, "commit_ref": ref, "repo": repo,
		"secure_network_id": d.ConnectConfigurationID,
	}
	if pinned {
		delete(attrs, "target")
		attrs["pinned_by_alias"] = true
	}
	if ms := cmp.Or(d.CreatedAt, d.Created); ms > 0 {
		attrs["created_at"] = time.UnixMilli(ms).UTC().Format(time.RFC3339)
	}
	nid := m.node("deployment", d.UID, cmp.Or(host, d.Name), attrs)
	m.edge(pid, "contains", nid)
	if r := m.repoNode(repo); r != "" {
		m.edge(nid, "builds_from", r, ev(nid, "commit_sha", sha))
	}
	return nid
}

func (m *mapper) record(did, domain string, r DNSRecord) {
	fqdn := evidence.NormalizeHost(domain)
	if n := strings.TrimSpace(r.Name); n != "" && n != "@" {
		fqdn = evidence.NormalizeHost(n + "." + domain)
	}
	attrs := graph.Attrs{"fqdn": fqdn, "type": r.Type, "name": r.Name, "ttl": r.TTL}
	switch strings.ToUpper(r.Type) {
	case "A", "AAAA":
		if v := strings.TrimSpace(r.Value); evidence.IsIP(v) {
			attrs["ip"] = evidence.NormalizeHost(v)
		}
	case "CNAME", "ALIAS":
		attrs["target"] = evidence.NormalizeHost(r.Value)
	case "MX":
		attrs["priority"] = cmp.Or(r.MXPriority, r.Priority)
	}
	nid := m.node("dns_record", domain+"/"+r.ID, fqdn, attrs)
	m.edge(did, "contains", nid)
}

// aliases emits aliases of the deployments emitted (the latest per target), and custom-domain
// aliases pinned to older deployments together with that deployment. Aliases of other
// deployments on *.vercel.app (every preview gets some) are left out.
func (m *mapper) aliases(s *snapshot, deployments map[string]bool, projects map[string]string) {
	for _, a := range s.Aliases {
		host := evidence.NormalizeHost(a.Alias)
		if a.UID == "" || host == "" {
			continue
		}
		if !deployments[a.DeploymentID] {
			if strings.HasSuffix(host, ".vercel.app") || a.DeploymentID == "" {
				continue
			}
			d := Deployment{UID: a.DeploymentID, ProjectID: a.ProjectID}
			if a.Deployment != nil {
				d.URL = a.Deployment.URL
			}
			if pid, ok := projects[a.ProjectID]; ok {
				m.deployment(pid, "", d, true)
			}
			deployments[a.DeploymentID] = true
		}
		nid := m.node("alias", a.UID, host, graph.Attrs{
			"alias": host, "project_id": a.ProjectID, "deployment_id": a.DeploymentID, "redirect": evidence.NormalizeHost(a.Redirect),
		})
		m.edge(nid, "routes_to", id("deployment", a.DeploymentID), ev(nid, "deployment_id", a.DeploymentID))
	}
}

// repoOf names a project's git repository host/org/name, lower-cased (GitHub, GitLab and
// Bitbucket paths are case-insensitive; the shared git:repo node must match other providers').
func repoOf(l *ProjectLink) string {
	var r string
	switch l.Type {
	case "github", "github-limited":
		if l.Org != "" && l.Repo != "" {
			r = "github.com/" + l.Org + "/" + l.Repo
		}
	case "github-custom-host":
		if l.Org != "" && l.Repo != "" {
			r = cmp.Or(evidence.NormalizeHost(l.Host), "github.com") + "/" + l.Org + "/" + l.Repo
		}
	case "gitlab":
		if u, err := url.Parse(l.ProjectURL); err == nil && u.Host != "" && strings.Trim(u.Path, "/") != "" {
			r = evidence.NormalizeHost(u.Host) + "/" + strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
		} else if l.ProjectNamespace != "" && l.ProjectName != "" {
			r = "gitlab.com/" + l.ProjectNamespace + "/" + l.ProjectName
		}
	case "bitbucket":
		if l.Owner != "" && l.Slug != "" {
			r = "bitbucket.org/" + l.Owner + "/" + l.Slug
		}
	}
	return strings.ToLower(r)
}

// commitOf reads the commit and repository a deployment was built from out of its git meta.
func commitOf(meta map[string]string) (sha, ref, repo string) {
	switch {
	case meta["githubCommitSha"] != "":
		org := cmp.Or(meta["githubOrg"], meta["githubCommitOrg"])
		name := cmp.Or(meta["githubRepo"], meta["githubCommitRepo"])
		if org != "" && name != "" {
			repo = "github.com/" + org + "/" + name
		}
		return meta["githubCommitSha"], meta["githubCommitRef"], strings.ToLower(repo)
	case meta["gitlabCommitSha"] != "":
		if p := meta["gitlabProjectPath"]; p != "" {
			repo = "gitlab.com/" + p
		}
		return meta["gitlabCommitSha"], meta["gitlabCommitRef"], strings.ToLower(repo)
	case meta["bitbucketCommitSha"] != "":
		if o, n := meta["bitbucketRepoOwner"], meta["bitbucketRepoSlug"]; o != "" && n != "" {
			repo = "bitbucket.org/" + o + "/" + n
		}
		return meta["bitbucketCommitSha"], meta["bitbucketCommitRef"], strings.ToLower(repo)
	}
	return "", "", ""
}

func normHosts(hs []string) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		if n := evidence.NormalizeHost(h); n != "" {
			out = append(out, n)
		}
	}
	return out
}
