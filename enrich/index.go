package enrich

import (
	"net"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// owner is a node that owns an identity value: the value of field on node is what the node is
// reachable as.
type owner struct {
	node  *graph.Node
	field string
	value string // as it occurs in the attribute (evidence must quote it)
}

// netEntry is an IP identity, or a CIDR identity (bits < full length), sorted by address for
// containment lookups.
type netEntry struct {
	addr netip.Addr
	bits int
	own  owner
}

// index holds every node's identities, built in one pass over the graph from the vocabulary's
// `identities` declarations, so a new kind is indexed without code changes.
type index struct {
	vocab  *schemas.Vocabulary
	g      *graph.Graph
	nodes  []graph.Node
	byID   map[string]*graph.Node
	keys   map[string][]string // sorted attribute names by node id
	kinds  map[string]*kindInfo
	kindOf map[[2]string]*kindInfo // kinds by provider and kind

	hosts map[string][]owner // normalised host -> owners
	ips   map[string][]owner // canonical IP -> owners
	urls  map[string][]owner // scheme://host/path (no trailing slash) -> owners
	repos map[string][]owner // github.com/org/name -> owners
	refs  map[string][]owner // Supabase project ref -> the project (or branch) with that ref
	nets  []netEntry         // IP and CIDR identities by address

	dnsIPs map[string]int // how many DNS records point at an IP

	parents map[*graph.Node][]*graph.Node // containment parents, filled lazily
	pairs   map[pairKey]bool              // InferAllowed, memoised
	ports   map[string]map[int64][]owner  // engine id -> published host port -> containers, lazily
}

type pairKey struct{ typ, from, to string }

// allowed is the vocabulary's InferAllowed, memoised: there are few kinds and many nodes.
func (ix *index) allowed(typ, from, to string) bool {
	k := pairKey{typ, from, to}
	ok, seen := ix.pairs[k]
	if !seen {
		ok = ix.vocab.InferAllowed(typ, from, to)
		ix.pairs[k] = ok
	}
	return ok
}

// kindInfo caches what the vocabulary says about a kind.
type kindInfo struct {
	kind     schemas.Kind
	q        string
	resolver bool // a DNS record: its host and IP references are what it resolves to
	runsOn   bool // may be inferred to run on something (docker engine, Odoo instance)
}

var supabaseHost = regexp.MustCompile(`^(?:db\.)?([a-z]{20})\.supabase\.(?:co|in)$`)

func buildIndex(g *graph.Graph, v *schemas.Vocabulary) *index {
	ix := &index{
		vocab: v, g: g, nodes: g.Nodes(), kinds: map[string]*kindInfo{}, kindOf: map[[2]string]*kindInfo{},
		hosts: map[string][]owner{}, ips: map[string][]owner{}, urls: map[string][]owner{},
		repos: map[string][]owner{}, refs: map[string][]owner{}, dnsIPs: map[string]int{},
		parents: map[*graph.Node][]*graph.Node{}, pairs: map[pairKey]bool{}, ports: map[string]map[int64][]owner{},
	}
	ix.byID = make(map[string]*graph.Node, len(ix.nodes))
	ix.keys = make(map[string][]string, len(ix.nodes))
	for i := range ix.nodes {
		n := &ix.nodes[i]
		ix.byID[n.ID] = n
		ki := ix.kind(n)
		if ki == nil {
			continue
		}
		keys := n.Attrs.Keys()
		ix.keys[n.ID] = keys
		for _, typ := range []string{schemas.TypeHost, schemas.TypeIP, schemas.TypeCIDR, schemas.TypeRepo, schemas.TypeURL} {
			for _, a := range ki.kind.AttrsOfType(true, typ, keys) {
				vals, _ := n.AttrValues(a)
				for _, raw := range vals {
					ix.addIdentity(typ, owner{node: n, field: a, value: raw})
				}
			}
		}
		// A Supabase project or branch is known by its ref (20 lower-case letters) even where a
		// collector did not spell out its hosts.
		if n.Provider == "supabase" {
			if r := n.Str("ref"); len(r) == 20 && strings.Trim(r, "abcdefghijklmnopqrstuvwxyz") == "" {
				ix.refs[r] = append(ix.refs[r], owner{node: n, field: "ref", value: r})
			}
		}
		if ki.resolver {
			for _, a := range ki.kind.AttrsOfType(false, schemas.TypeIP, keys) {
				vals, _ := n.AttrValues(a)
				for _, raw := range vals {
					if ip, err := netip.ParseAddr(strings.TrimSpace(raw)); err == nil {
						ix.dnsIPs[ip.Unmap().String()]++
					}
				}
			}
		}
	}
	sort.Slice(ix.nets, func(i, j int) bool {
		if c := ix.nets[i].addr.Compare(ix.nets[j].addr); c != 0 {
			return c < 0
		}
		return ix.nets[i].own.node.ID < ix.nets[j].own.node.ID
	})
	return ix
}

func (ix *index) kind(n *graph.Node) *kindInfo {
	// by provider and kind: no "provider:kind" string built per lookup, asked several times a node
	k := [2]string{n.Provider, n.Kind}
	ki, ok := ix.kindOf[k]
	if !ok {
		ki = ix.kindInfo(n.Provider + ":" + n.Kind)
		ix.kindOf[k] = ki
	}
	return ki
}

// kindInfo is what the rules need of the kind named q ("docker:container"); nil when the
// vocabulary does not declare it.
func (ix *index) kindInfo(q string) *kindInfo {
	if ki, ok := ix.kinds[q]; ok {
		return ki
	}
	k, ok := ix.vocab.Kinds[q]
	if !ok {
		ix.kinds[q] = nil
		return nil
	}
	ki := &kindInfo{kind: k, q: q}
	ki.resolver = k.Category == "dns" && (len(k.References[schemas.TypeIP]) > 0 || len(k.References[schemas.TypeHost]) > 0)
	for t := range ix.vocab.Kinds {
		if ix.allowed(runsOn, q, t) {
			ki.runsOn = true
			break
		}
	}
	ix.kinds[q] = ki
	return ki
}

func (ix *index) addIdentity(typ string, o owner) {
	switch typ {
	case schemas.TypeHost:
		h := normHost(o.value)
		if h == "" || loopback(h) {
			return
		}
		if evidence.IsIP(h) {
			ix.addIP(h, o)
			return
		}
		ix.hosts[h] = append(ix.hosts[h], o)
		if m := supabaseHost.FindStringSubmatch(h); m != nil {
			// the value as it occurs (evidence quotes it): the host, not the ref read from it
			ix.refs[m[1]] = append(ix.refs[m[1]], owner{node: o.node, field: o.field, value: o.value})
		}
	case schemas.TypeIP:
		ix.addIP(o.value, o)
	case schemas.TypeCIDR:
		p, err := netip.ParsePrefix(strings.TrimSpace(o.value))
		if err != nil {
			ix.addIP(o.value, o)
			return
		}
		p = p.Masked()
		ix.nets = append(ix.nets, netEntry{addr: p.Addr().Unmap(), bits: p.Bits(), own: o})
	case schemas.TypeRepo:
		if r := normRepo(o.value); r != "" {
			ix.repos[r] = append(ix.repos[r], o)
		}
	case schemas.TypeURL:
		if u := normURL(o.value); u != "" && !loopback(normHost(o.value)) {
			ix.urls[u] = append(ix.urls[u], o)
		}
	}
}

func (ix *index) addIP(raw string, o owner) {
	ip, err := netip.ParseAddr(strings.TrimSpace(raw))
	if err != nil || ip.IsLoopback() || ip.IsUnspecified() {
		return
	}
	ip = ip.Unmap()
	ix.ips[ip.String()] = append(ix.ips[ip.String()], o)
	ix.nets = append(ix.nets, netEntry{addr: ip, bits: ip.BitLen(), own: o})
}

// loopback reports whether a host names the machine it is read on: it identifies nothing.
func loopback(h string) bool {
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.IsLoopback() || ip.IsUnspecified()
	}
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// within returns the IP and CIDR identities inside prefix p (binary search, then a scan of the
// range): no comparison with every identity.
func (ix *index) within(p netip.Prefix) []netEntry {
	p = p.Masked()
	start := p.Addr().Unmap()
	end := lastAddr(p)
	i := sort.Search(len(ix.nets), func(i int) bool { return ix.nets[i].addr.Compare(start) >= 0 })
	var out []netEntry
	for ; i < len(ix.nets) && ix.nets[i].addr.Compare(end) <= 0; i++ {
		if ix.nets[i].bits >= p.Bits() && ix.nets[i].addr.BitLen() == start.BitLen() {
			out = append(out, ix.nets[i])
		}
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().Unmap()
	if a.Is4() {
		b := a.As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 1 << (7 - uint(i%8))
		}
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	return netip.AddrFrom16(b)
}

// parentsOf returns the nodes that contain n (containment edges into it). Per-node state is
// keyed by the node's pointer into nodes, hashed in a few instructions where its id (a Docker
// container's is 90 bytes) was hashed and compared at every lookup.
func (ix *index) parentsOf(n *graph.Node) []*graph.Node {
	if ps, ok := ix.parents[n]; ok {
		return ps
	}
	var ps []*graph.Node
	ix.g.EachIn(n.ID, func(e *graph.Edge) {
		if ix.vocab.EdgeTypes[e.Type].Category != schemas.Containment {
			return
		}
		if p := ix.byID[e.From]; p != nil {
			ps = append(ps, p)
		}
	})
	ix.parents[n] = ps
	return ps
}

// ancestors returns every node that contains n, transitively (bounded depth), each once, nearest
// first.
func (ix *index) ancestors(n *graph.Node) []*graph.Node {
	var out []*graph.Node
	var seen map[*graph.Node]bool // once out is long: a linear search is cheaper below that
	frontier := []*graph.Node{n}
	for depth := 0; depth < 6 && len(frontier) > 0; depth++ {
		var next []*graph.Node
		for _, c := range frontier {
			for _, p := range ix.parentsOf(c) {
				if seen != nil && seen[p] || seen == nil && slices.Contains(out, p) {
					continue
				}
				out = append(out, p)
				next = append(next, p)
				if seen != nil {
					seen[p] = true
				} else if len(out) > 32 {
					seen = make(map[*graph.Node]bool, 2*len(out))
					for _, q := range out {
						seen[q] = true
					}
				}
			}
		}
		frontier = next
	}
	return out
}

// normHost normalises a host identity or reference; "" for values that are not hosts.
func normHost(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "://") {
		f, ok := evidence.Parse(s)
		if !ok {
			return ""
		}
		return f.Host
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	h := evidence.NormalizeHost(s)
	if strings.ContainsAny(h, " \t@") {
		return ""
	}
	return h
}

// normURL reduces a URL to scheme://host[:port]/path without a trailing slash.
func normURL(s string) string {
	f, ok := evidence.Parse(s)
	if !ok {
		return ""
	}
	return strings.TrimRight(f.URL(), "/")
}

// normRepo reduces a repository reference to host/org/name.
func normRepo(s string) string {
	r := strings.ToLower(strings.TrimSpace(s))
	r = strings.TrimPrefix(r, "git+")
	for _, p := range []string{"https://", "http://", "ssh://", "git://"} {
		r = strings.TrimPrefix(r, p)
	}
	if strings.HasPrefix(r, "git@") {
		r = strings.Replace(strings.TrimPrefix(r, "git@"), ":", "/", 1)
	}
	if i := strings.Index(r, "@"); i >= 0 && i < strings.Index(r+"/", "/") {
		r = r[i+1:]
	}
	r = strings.TrimSuffix(strings.TrimSuffix(r, "/"), ".git")
	if strings.Count(r, "/") < 2 {
		return ""
	}
	return r
}

// publishedOn returns the containers of a Docker engine by the host ports they publish
// (published_ports "0.0.0.0:8069->8069/tcp", as docker ps shows them). Ports bound to loopback are
// not reachable from elsewhere and are left out.
func (ix *index) publishedOn(engine *graph.Node) map[int64][]owner {
	if ps, ok := ix.ports[engine.ID]; ok {
		return ps
	}
	ps := map[int64][]owner{}
	if engine.Provider == "docker" && engine.Kind == "engine" {
		// the engine's containers, directly or through its Compose projects and services
		// (engine -> project -> service -> container, as the collector emits them)
		var ctrs []*graph.Node
		seen := map[string]bool{engine.ID: true}
		level := []string{engine.ID}
		for depth := 0; depth < 3 && len(level) > 0; depth++ {
			var next []string
			for _, id := range level {
				ix.g.EachOut(id, func(e *graph.Edge) {
					c := ix.byID[e.To]
					if c == nil || seen[c.ID] || ix.vocab.EdgeTypes[e.Type].Category != schemas.Containment {
						return
					}
					seen[c.ID] = true
					switch c.Kind {
					case "container":
						ctrs = append(ctrs, c)
					case "compose_project", "compose_service":
						next = append(next, c.ID)
					}
				})
			}
			level = next
		}
		sort.Slice(ctrs, func(i, j int) bool { return ctrs[i].ID < ctrs[j].ID })
		for _, c := range ctrs {
			vals, _ := c.AttrValues("published_ports")
			for _, v := range vals {
				host, _, _ := strings.Cut(v, "->")
				h, p, err := net.SplitHostPort(host)
				if err != nil {
					continue
				}
				if ip, err := netip.ParseAddr(h); err == nil && ip.IsLoopback() {
					continue
				}
				if port, err := strconv.ParseInt(p, 10, 64); err == nil {
					ps[port] = append(ps[port], owner{node: c, field: "published_ports", value: v})
				}
			}
		}
	}
	ix.ports[engine.ID] = ps
	return ps
}
