package docker

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/go-connections/nat"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

const provider = "docker"

// mapper turns one engine's snapshot into nodes and edges through a collectors.Builder, so every
// edge has both endpoints (a container may reference an image the image list no longer has).
type mapper struct {
	engine string // Config.Name, the scope of every native id
	engID  string
	b      *collectors.Builder
}

func mapSnapshot(cfg Config, s snapshot, emit graph.Emitter) {
	m := &mapper{engine: cfg.Name, b: collectors.NewBuilder(emit)}
	defer m.b.Flush()
	m.engID = graph.ID(provider, "engine", cfg.Name)
	m.node(graph.Node{ID: m.engID, Kind: "engine", Name: cfg.Name, Attrs: engineAttrs(cfg, s)})

	imageByRef := map[string]string{} // repo:tag -> image id, for swarm image references
	for _, img := range s.Images {
		id := m.id("image", img.ID)
		tags := append([]string(nil), img.RepoTags...)
		sort.Strings(tags)
		for _, t := range tags {
			imageByRef[t] = img.ID
		}
		a := graph.Attrs{"image_id": img.ID, "repo_tags": tags, "repo_digests": img.RepoDigests, "size": img.Size}
		for k, v := range labelAttrs(img.Labels) {
			a[k] = v
		}
		m.node(graph.Node{ID: id, Kind: "image", Name: imageName(img.ID, tags), Attrs: a})
		m.edge(graph.Observe(m.engID, id, "contains"))
	}

	netByID := map[string]string{} // id and name -> node id
	for _, n := range s.Networks {
		id := m.id("network", n.ID)
		netByID[n.ID], netByID[n.Name] = id, id
		a := graph.Attrs{"network_id": n.ID, "driver": n.Driver, "scope": n.Scope, "internal": n.Internal,
			"attachable": n.Attachable, "ingress": n.Ingress, "enable_ipv6": n.EnableIPv6,
			"compose.project": n.Labels[labelProject], "compose.network": n.Labels[labelNetwork],
			"stack": n.Labels[labelStack]}
		var subnets, gateways []string
		for _, c := range n.IPAM.Config {
			subnets = append(subnets, c.Subnet)
			gateways = append(gateways, c.Gateway)
		}
		a["subnets"], a["gateways"] = subnets, gateways
		if n.Containers != nil {
			a["containers"] = len(n.Containers)
		}
		for k, v := range labelAttrs(n.Labels) {
			a[k] = v
		}
		m.node(graph.Node{ID: id, Kind: "network", Name: n.Name, Attrs: a})
		m.edge(graph.Observe(m.engID, id, "contains"))
	}

	for _, v := range s.Volumes {
		if v == nil {
			continue
		}
		id := m.id("volume", v.Name)
		a := graph.Attrs{"driver": v.Driver, "scope": v.Scope, "mountpoint": v.Mountpoint,
			"compose.project": v.Labels[labelProject], "compose.volume": v.Labels[labelVolume],
			"stack": v.Labels[labelStack]}
		for k, val := range labelAttrs(v.Labels) {
			a[k] = val
		}
		m.node(graph.Node{ID: id, Kind: "volume", Name: v.Name, Attrs: a})
		m.edge(graph.Observe(m.engID, id, "contains"))
	}

	m.containers(s, netByID)
	m.swarm(s, netByID, imageByRef)
}

func (m *mapper) id(kind, native string) string { return graph.ID(provider, kind, m.engine+"/"+native) }

func (m *mapper) node(n graph.Node) {
	n.Provider = provider
	m.b.Node(n)
}

// edge records e; it is emitted once, and only when both endpoints were.
func (m *mapper) edge(e graph.Edge) { m.b.Edge(e) }

func engineAttrs(cfg Config, s snapshot) graph.Attrs {
	i := s.Info
	a := graph.Attrs{
		"engine_id": i.ID, "hostname": i.Name, "server_version": i.ServerVersion, "api_version": s.APIVersion,
		"os": i.OperatingSystem, "os_type": i.OSType, "arch": i.Architecture, "kernel_version": i.KernelVersion,
		"ncpu": i.NCPU, "mem_total": i.MemTotal, "storage_driver": i.Driver,
		"containers": i.Containers, "containers_running": i.ContainersRunning, "images": i.Images,
		"swarm_state":   string(i.Swarm.LocalNodeState),
		"endpoint":      endpoint(cfg.Host),
		"swarm_node_id": i.Swarm.NodeID,
	}
	if i.Swarm.Cluster != nil {
		a["swarm_cluster_id"] = i.Swarm.Cluster.ID
	}
	if i.Swarm.LocalNodeState == swarm.LocalNodeStateActive {
		a["swarm_manager"] = i.Swarm.ControlAvailable
		a["swarm_addr"] = i.Swarm.NodeAddr
	}
	h := hostOf(cfg.Host)
	if cfg.HostAddress != "" {
		h = evidence.NormalizeHost(cfg.HostAddress)
	}
	if h != "" {
		a["host"] = h
		if evidence.IsIP(h) {
			a["host_ip"] = h
		}
	}
	return a
}

func imageName(id string, tags []string) string {
	for _, t := range tags {
		if t != "<none>:<none>" {
			return t
		}
	}
	return "<untagged>@" + shortID(strings.TrimPrefix(id, "sha256:"))
}

// composeService gathers one Compose service across its containers.
type composeService struct {
	project, service string
	image            string
	containers       []string // node ids
	dependsOn        []dependency
}

// containers maps containers and the Compose projects and services their labels describe.
func (m *mapper) containers(s snapshot, netByID map[string]string) {
	byName := map[string]string{} // container name and id -> node id
	for _, c := range s.Containers {
		if c.ContainerJSONBase == nil {
			continue
		}
		id := m.id("container", c.ID)
		byName[strings.TrimPrefix(c.Name, "/")], byName[c.ID] = id, id
	}
	services := map[string]*composeService{}
	projects := map[string]graph.Attrs{}
	for _, c := range s.Containers {
		if c.ContainerJSONBase == nil {
			continue
		}
		id := byName[c.ID]
		name := strings.TrimPrefix(c.Name, "/")
		cfg := c.Config
		if cfg == nil {
			cfg = &container.Config{}
		}
		a := graph.Attrs{"container_id": c.ID, "image": cfg.Image, "image_id": c.Image, "hostname": cfg.Hostname}
		if c.State != nil {
			a["state"] = c.State.Status
			if c.State.Health != nil {
				a["health"] = c.State.Health.Status
			}
		}
		a["restart_count"] = c.RestartCount
		var links []string
		if hc := c.HostConfig; hc != nil {
			a["restart_policy"] = string(hc.RestartPolicy.Name)
			a["network_mode"] = string(hc.NetworkMode)
			a["extra_hosts"] = hc.ExtraHosts
			a["extra_host_ips"] = extraHostIPs(hc.ExtraHosts)
			// The default bridge keeps legacy links here ("/db:/web/db"); user-defined networks
			// keep them on the endpoint ("db:database").
			links = append(links, hc.Links...)
		}
		a["exposed_ports"] = portKeys(cfg.ExposedPorts)
		keys, envRefs, envDomains := envFacts(cfg.Env)
		a["env_keys"] = keys
		for k, r := range envRefs {
			a[k] = r
		}
		for k, v := range labelAttrs(cfg.Labels) {
			a[k] = v
		}
		a["proxy_domains"] = cleanDomains(append(proxyDomainsFromLabels(cfg.Labels), envDomains...))

		// Networks: names, IPs and the DNS names other containers reach this one by.
		var nets, ips, aliases []string
		userNet := false
		if ns := c.NetworkSettings; ns != nil {
			a["published_ports"] = publishedPorts(ns.Ports)
			for nname, ep := range ns.Networks {
				if ep == nil {
					continue
				}
				nets = append(nets, nname)
				links = append(links, ep.Links...)
				ips = append(ips, ep.IPAddress, ep.GlobalIPv6Address)
				for _, al := range append(append([]string(nil), ep.Aliases...), ep.DNSNames...) {
					if !strings.HasPrefix(c.ID, al) { // the short-id alias names nothing
						aliases = append(aliases, al)
					}
				}
				switch nname {
				case "bridge", "host", "none":
				default:
					userNet = true
				}
			}
		}
		if userNet {
			aliases = append(aliases, name) // user-defined networks resolve container names
		}
		a["networks"], a["ips"], a["network_aliases"] = nets, ips, aliases

		var vols, mounts []string
		for _, mt := range c.Mounts {
			switch mt.Type {
			case "volume":
				vols = append(vols, mt.Name)
				mounts = append(mounts, "volume:"+mt.Name+":"+mt.Destination)
			default:
				mounts = append(mounts, string(mt.Type)+":"+mt.Source+":"+mt.Destination)
			}
		}
		a["volumes"], a["mounts"] = vols, mounts
		a["links"] = links

		proj, svc := cfg.Labels[labelProject], cfg.Labels[labelService]
		if proj != "" {
			a["compose.project"], a["compose.service"] = proj, svc
			a["compose.oneoff"] = strings.EqualFold(cfg.Labels[labelOneoff], "true")
			a["compose.container_number"] = cfg.Labels[labelNumber]
		}
		m.node(graph.Node{ID: id, Kind: "container", Name: name, Attrs: a})
		if proj == "" || svc == "" {
			// One containment parent each: a Compose container's parent is its service.
			m.edge(graph.Observe(m.engID, id, "contains"))
		}

		m.containerEdges(c, id, nets, vols, links, byName, netByID)

		if proj != "" {
			pa := projects[proj]
			if pa == nil {
				pa = graph.Attrs{"project": proj}
				projects[proj] = pa
			}
			if wd := cfg.Labels[labelWorkingDir]; wd != "" {
				pa["working_dir"] = evidence.SafePath(wd)
			}
			if cf := cfg.Labels[labelConfigFiles]; cf != "" {
				pa["config_files"] = strings.Split(cf, ",")
			}
			if svc != "" {
				key := proj + "/" + svc
				cs := services[key]
				if cs == nil {
					cs = &composeService{project: proj, service: svc}
					services[key] = cs
				}
				cs.containers = append(cs.containers, id)
				if cs.image == "" {
					cs.image = cfg.Image
				}
				if d := parseDependsOn(cfg.Labels[labelDependsOn]); len(d) > 0 {
					cs.dependsOn = d
				}
			}
		}
	}
	m.compose(projects, services)
}

func (m *mapper) containerEdges(c container.InspectResponse, id string, nets, vols, links []string, byName, netByID map[string]string) {
	if c.Image != "" {
		img := m.id("image", c.Image)
		if !m.b.Has(img) { // the image list failed or the image was removed: keep the edge
			ref := ""
			if c.Config != nil {
				ref = c.Config.Image
			}
			m.node(graph.Node{ID: img, Kind: "image", Name: imageName(c.Image, []string{ref}), Attrs: graph.Attrs{"image_id": c.Image, "missing": true}})
		}
		m.edge(graph.Observe(id, img, "runs", graph.Evidence{Node: id, Field: "image_id", Value: c.Image}))
	}
	for _, n := range nets {
		nid := ""
		if ep := c.NetworkSettings.Networks[n]; ep != nil && ep.NetworkID != "" {
			nid = netByID[ep.NetworkID]
		}
		if nid == "" {
			nid = netByID[n]
		}
		if nid != "" {
			m.edge(graph.Observe(id, nid, "attached_to", graph.Evidence{Node: id, Field: "networks", Value: n}))
		}
	}
	for _, v := range vols {
		vid := m.id("volume", v)
		if !m.b.Has(vid) {
			m.node(graph.Node{ID: vid, Kind: "volume", Name: v, Attrs: graph.Attrs{"missing": true}})
		}
		m.edge(graph.Observe(id, vid, "mounts", graph.Evidence{Node: id, Field: "volumes", Value: v}))
	}
	for _, l := range links {
		target, _, _ := strings.Cut(l, ":")
		if t := byName[strings.TrimPrefix(target, "/")]; t != "" {
			m.edge(graph.Observe(id, t, "links_to", graph.Evidence{Node: id, Field: "links", Value: l}))
		}
	}
	if hc := c.HostConfig; hc != nil {
		if mode := string(hc.NetworkMode); strings.HasPrefix(mode, "container:") {
			if t := byName[strings.TrimPrefix(mode, "container:")]; t != "" {
				m.edge(graph.Observe(id, t, "shares_netns", graph.Evidence{Node: id, Field: "network_mode", Value: mode}))
			}
		}
	}
}

// compose emits projects and services, containment down to containers and depends_on between
// services. A service named only by another's depends_on (no container left) is still a node.
func (m *mapper) compose(projects map[string]graph.Attrs, services map[string]*composeService) {
	keys := slices.Sorted(maps.Keys(services))
	perProject := map[string][]string{}
	for _, k := range keys {
		cs := services[k]
		perProject[cs.project] = append(perProject[cs.project], cs.service)
		for _, d := range cs.dependsOn {
			if _, ok := services[cs.project+"/"+d.Service]; !ok {
				perProject[cs.project] = append(perProject[cs.project], d.Service)
			}
		}
	}
	for p, pa := range projects {
		pa["services"] = perProject[p]
		pid := m.id("compose_project", p)
		m.node(graph.Node{ID: pid, Kind: "compose_project", Name: p, Attrs: pa})
		m.edge(graph.Observe(m.engID, pid, "contains"))
	}
	svcID := func(p, s string) string { return m.id("compose_service", p+"/"+s) }
	for _, k := range keys {
		cs := services[k]
		sid := svcID(cs.project, cs.service)
		var deps []string
		for _, d := range cs.dependsOn {
			deps = append(deps, d.Service+":"+d.Condition)
		}
		m.node(graph.Node{ID: sid, Kind: "compose_service", Name: cs.service, Attrs: graph.Attrs{
			"project": cs.project, "service": cs.service, "image": cs.image, "containers": len(cs.containers), "depends_on": deps}})
		m.edge(graph.Observe(m.id("compose_project", cs.project), sid, "contains",
			graph.Evidence{Node: cs.containers[0], Field: "compose.project", Value: cs.project}))
		for _, c := range cs.containers {
			m.edge(graph.Observe(sid, c, "contains", graph.Evidence{Node: c, Field: "compose.service", Value: cs.service}))
		}
	}
	for _, k := range keys {
		cs := services[k]
		for _, d := range cs.dependsOn {
			tid := svcID(cs.project, d.Service)
			if !m.b.Has(tid) {
				m.node(graph.Node{ID: tid, Kind: "compose_service", Name: d.Service, Attrs: graph.Attrs{
					"project": cs.project, "service": d.Service, "containers": 0}})
				m.edge(graph.Observe(m.id("compose_project", cs.project), tid, "contains"))
			}
			sid := svcID(cs.project, cs.service)
			m.edge(graph.Observe(sid, tid, "depends_on", graph.Evidence{Node: sid, Field: "depends_on", Value: d.Service + ":" + d.Condition}))
		}
	}
}

// swarm maps a manager's nodes, services and tasks.
func (m *mapper) swarm(s snapshot, netByID, imageByRef map[string]string) {
	for _, n := range s.Nodes {
		id := m.id("swarm_node", n.ID)
		a := graph.Attrs{"node_id": n.ID, "hostname": n.Description.Hostname, "role": string(n.Spec.Role),
			"availability": string(n.Spec.Availability), "state": string(n.Status.State), "addr": n.Status.Addr,
			"engine_version": n.Description.Engine.EngineVersion, "os": n.Description.Platform.OS, "arch": n.Description.Platform.Architecture}
		if ms := n.ManagerStatus; ms != nil {
			a["leader"], a["manager_addr"] = ms.Leader, ms.Addr
		}
		name := n.Description.Hostname
		if name == "" {
			name = n.ID
		}
		m.node(graph.Node{ID: id, Kind: "swarm_node", Name: name, Attrs: a})
		m.edge(graph.Observe(m.engID, id, "contains"))
	}
	netName := map[string]string{} // network id -> name
	for _, n := range s.Networks {
		netName[n.ID] = n.Name
	}
	svcName := map[string]string{}
	for _, sv := range s.Services {
		id := m.id("swarm_service", sv.ID)
		svcName[sv.ID] = sv.Spec.Name
		a := graph.Attrs{"service_id": sv.ID, "stack": sv.Spec.Labels[labelStack]}
		var domains []string
		if cs := sv.Spec.TaskTemplate.ContainerSpec; cs != nil {
			a["image"] = cs.Image
			keys, env, envDomains := envFacts(cs.Env)
			a["env_keys"] = keys
			for k, v := range env {
				a[k] = v
			}
			domains = append(append(domains, envDomains...), proxyDomainsFromLabels(cs.Labels)...)
			var secrets, configs []string
			for _, r := range cs.Secrets {
				if r != nil {
					secrets = append(secrets, r.SecretName)
				}
			}
			for _, r := range cs.Configs {
				if r != nil {
					configs = append(configs, r.ConfigName)
				}
			}
			a["secrets"], a["configs"] = secrets, configs
		}
		for k, v := range labelAttrs(sv.Spec.Labels) {
			a[k] = v
		}
		a["proxy_domains"] = cleanDomains(append(domains, proxyDomainsFromLabels(sv.Spec.Labels)...))
		switch {
		case sv.Spec.Mode.Replicated != nil:
			a["mode"] = "replicated"
			if r := sv.Spec.Mode.Replicated.Replicas; r != nil {
				a["replicas"] = int64(*r)
			}
		case sv.Spec.Mode.Global != nil:
			a["mode"] = "global"
		}
		var ports, ips []string
		for _, p := range sv.Endpoint.Ports {
			ports = append(ports, fmt.Sprintf("%d->%d/%s", p.PublishedPort, p.TargetPort, p.Protocol))
		}
		for _, v := range sv.Endpoint.VirtualIPs {
			ips = append(ips, stripPrefix(v.Addr))
		}
		a["published_ports"], a["ips"] = ports, ips
		nets := sv.Spec.TaskTemplate.Networks
		if len(nets) == 0 {
			nets = sv.Spec.Networks // engines before API 1.44 fill only this
		}
		var netNames []string
		for _, n := range nets {
			name := n.Target // a network id (or a name, as `docker service create --network` allows)
			if nm := netName[name]; nm != "" {
				name = nm
			}
			netNames = append(netNames, name)
		}
		a["networks"] = netNames
		m.node(graph.Node{ID: id, Kind: "swarm_service", Name: sv.Spec.Name, Attrs: a})
		m.edge(graph.Observe(m.engID, id, "contains"))
		for _, n := range netNames {
			if nid := netByID[n]; nid != "" {
				m.edge(graph.Observe(id, nid, "attached_to", graph.Evidence{Node: id, Field: "networks", Value: n}))
			}
		}
		if img, ok := a["image"].(string); ok {
			if iid := imageByRef[imageRef(img)]; iid != "" {
				m.edge(graph.Observe(id, m.id("image", iid), "runs", graph.Evidence{Node: id, Field: "image", Value: img}))
			}
		}
	}
	for _, t := range s.Tasks {
		// Shut-down tasks are history (Swarm keeps a few per slot): the graph shows what runs.
		if t.DesiredState == swarm.TaskStateShutdown || t.DesiredState == swarm.TaskStateRemove {
			continue
		}
		id := m.id("swarm_task", t.ID)
		name := svcName[t.ServiceID]
		if name == "" {
			name = t.ServiceID
		}
		if t.Slot > 0 {
			name += "." + strconv.Itoa(t.Slot)
		} else {
			name += "." + t.NodeID
		}
		a := graph.Attrs{"task_id": t.ID, "service_id": t.ServiceID, "node_id": t.NodeID, "slot": t.Slot,
			"state": string(t.Status.State), "desired_state": string(t.DesiredState)}
		cid := ""
		if cs := t.Status.ContainerStatus; cs != nil {
			cid = cs.ContainerID
			a["container_id"] = cid
		}
		var ips []string
		for _, na := range t.NetworksAttachments {
			for _, addr := range na.Addresses {
				ips = append(ips, stripPrefix(addr))
			}
		}
		a["ips"] = ips
		img := ""
		if t.Spec.ContainerSpec != nil {
			img = t.Spec.ContainerSpec.Image
			a["image"] = img
		}
		m.node(graph.Node{ID: id, Kind: "swarm_task", Name: name, Attrs: a})
		m.edge(graph.Observe(id, m.id("swarm_service", t.ServiceID), "runs_on", graph.Evidence{Node: id, Field: "service_id", Value: t.ServiceID}))
		m.edge(graph.Observe(id, m.id("swarm_node", t.NodeID), "runs_on", graph.Evidence{Node: id, Field: "node_id", Value: t.NodeID}))
		if cid != "" {
			m.edge(graph.Observe(id, m.id("container", cid), "runs_on", graph.Evidence{Node: id, Field: "container_id", Value: cid}))
		}
		if iid := imageByRef[imageRef(img)]; iid != "" {
			m.edge(graph.Observe(id, m.id("image", iid), "runs", graph.Evidence{Node: id, Field: "image", Value: img}))
		}
	}
}

// imageRef strips a pinned digest ("nginx:1.27@sha256:…" -> "nginx:1.27") so a service's image
// matches the local image's repo tag; an untagged name gets ":latest".
func imageRef(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if ref == "" {
		return ""
	}
	if i := strings.LastIndex(ref, ":"); i < 0 || i < strings.LastIndex(ref, "/") {
		ref += ":latest"
	}
	return ref
}

// extraHostIPs returns the addresses of ExtraHosts entries ("legacy-db:10.110.0.9", or
// "name=ip" on API ≥ 1.44): hosts the container was told to reach at a fixed IP.
func extraHostIPs(entries []string) []string {
	var out []string
	for _, e := range entries {
		i := strings.IndexAny(e, ":=")
		if i < 0 {
			continue
		}
		if ip := strings.Trim(e[i+1:], "[]"); net.ParseIP(ip) != nil {
			out = append(out, net.ParseIP(ip).String())
		}
	}
	return out
}

func stripPrefix(cidr string) string {
	if ip, _, err := net.ParseCIDR(cidr); err == nil {
		return ip.String()
	}
	return cidr
}

func portKeys(ports nat.PortSet) []string {
	out := make([]string, 0, len(ports))
	for p := range ports {
		out = append(out, string(p))
	}
	return out
}

// publishedPorts renders host bindings as "0.0.0.0:8080->80/tcp", as `docker ps` does.
func publishedPorts(pm nat.PortMap) []string {
	var out []string
	for p, binds := range pm {
		for _, b := range binds {
			if b.HostPort == "" {
				continue
			}
			ip := b.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			out = append(out, net.JoinHostPort(ip, b.HostPort)+"->"+string(p))
		}
	}
	return out
}
