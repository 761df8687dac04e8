package enrich

import (
	"cmp"
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
	nodes  []*graph.Node         // the graph's own nodes (read, never changed), sorted by id
	num    map[*graph.Node]int32 // each node's number in the graph (graph.Graph.Index)
	info   []nodeInfo            // by node number
	kinds  map[string]*kindInfo
	kindOf map[[2]string]*kindInfo // kinds by provider and kind

	hosts map[string][]owner // normalised host -> owners
	ips   map[string][]owner // canonical IP -> owners
	urls  map[string][]owner // scheme://host/path (no trailing slash) -> owners
	repos map[string][]owner // github.com/org/name -> owners
	refs  map[string][]owner // Supabase project ref -> the project (or branch) with that ref
	nets  []netEntry         // IP and CIDR identities by address

	dnsIPs map[string]int // how many DNS records point at an IP

	pairs map[pairKey]bool             // InferAllowed, memoised
	ports map[string]map[int64][]owner // engine id -> published host port -> containers, lazily
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
	resolver bool              // a DNS record: its host and IP references are what it resolves to
	runsOn   bool              // may be inferred to run on something (docker engine, Odoo instance)
	masks    map[string]uint16 // attribute name -> the value types it is an identity or reference of
}

// valueTypes are the identity and reference value types, in the order the index reads them.
var valueTypes = []string{schemas.TypeHost, schemas.TypeIP, schemas.TypeCIDR, schemas.TypeRepo, schemas.TypeURL}

// planAttr is an attribute of a node that is an identity or reference of some value type: mask
// has bit t for an identity of valueTypes[t], bit 8+t for a reference.
type planAttr struct {
	name string
	mask uint16
}

func typeBit(identity bool, typ string) uint16 {
	b := uint16(1) << slices.Index(valueTypes, typ)
	if !identity {
		b <<= 8
	}
	return b
}

// mask returns which identities and references attribute a is of the kind (schemas.MatchAttr
// against its declarations), memoised: nodes of a kind share their attribute names.
func (ki *kindInfo) mask(a string) uint16 {
	m, ok := ki.masks[a]
	if ok {
		return m
	}
	for _, identity := range []bool{true, false} {
		for _, typ := range valueTypes {
			if len(ki.kind.AttrsOfType(identity, typ, []string{a})) > 0 {
				m |= typeBit(identity, typ)
			}
		}
	}
	ki.masks[a] = m
	return m
}

// plan returns n's attributes that are identities or references of the kind, sorted by name:
// what Kind.AttrsOfType finds among the node's sorted keys, without sorting every key of every
// node and matching each against every declaration again.
func (ki *kindInfo) plan(n *graph.Node) []planAttr {
	var out []planAttr
	for a := range n.Attrs {
		if m := ki.mask(a); m != 0 {
			out = append(out, planAttr{a, m})
		}
	}
	slices.SortFunc(out, func(x, y planAttr) int { return strings.Compare(x.name, y.name) })
	return out
}

// attrsOf returns the attributes of a plan that are identities (or references) of typ, sorted:
// Kind.AttrsOfType for the node the plan is of.
func attrsOf(plan []planAttr, identity bool, typ string) []string {
	bit := typeBit(identity, typ)
	var out []string
	for _, p := range plan {
		if p.mask&bit != 0 {
			out = append(out, p.name)
		}
	}
	return out
}

var supabaseHost = regexp.MustCompile(`^(?:db\.)?([a-z]{20})\.supabase\.(?:co|in)$`)

func buildIndex(g *graph.Graph, v *schemas.Vocabulary) *index {
	ix := &index{
		vocab: v, g: g, kinds: map[string]*kindInfo{}, kindOf: map[[2]string]*kindInfo{},
		hosts: map[string][]owner{}, ips: map[string][]owner{}, urls: map[string][]owner{},
		repos: map[string][]owner{}, refs: map[string][]owner{}, dnsIPs: map[string]int{},
		pairs: map[pairKey]bool{}, ports: map[string]map[int64][]owner{},
	}
	// the graph's nodes by number, not a sorted copy of them with a map of ids: edges are walked
	// by the numbers of their ends (EachOutIndex), without hashing a 90-byte container id per step
	order := g.SortedIndex()
	ix.nodes = make([]*graph.Node, len(order))
	ix.num = make(map[*graph.Node]int32, len(order))
	ix.info = make([]nodeInfo, g.IndexLen())
	for i, k := range order {
		n := g.NodeAt(k)
		ix.nodes[i], ix.num[n] = n, k
		ki := ix.kindByName(n)
		ix.info[k] = nodeInfo{ki: ki, rank: int32(i)}
		if ki == nil {
			continue
		}
		plan := ki.plan(n)
		ix.info[k].plan = plan
		for _, typ := range valueTypes {
			for _, a := range attrsOf(plan, true, typ) {
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
			for _, a := range attrsOf(plan, false, schemas.TypeIP) {
				vals, _ := n.AttrValues(a)
				for _, raw := range vals {
					if ip, err := netip.ParseAddr(strings.TrimSpace(raw)); err == nil {
						ix.dnsIPs[ip.Unmap().String()]++
					}
				}
			}
		}
	}
	// slices.SortFunc, not sort.Slice (its reflection swapper): the same pdqsort from the same
	// template, so equal entries keep the order they had; nodes by rank, which is their ids' order
	slices.SortFunc(ix.nets, func(a, b netEntry) int {
		if c := a.addr.Compare(b.addr); c != 0 {
			return c
		}
		return cmp.Compare(ix.rank(a.own.node), ix.rank(b.own.node))
	})
	return ix
}

// nodeInfo is what the index knows of a node of the graph.
type nodeInfo struct {
	ki   *kindInfo
	plan []planAttr // its identity and reference attributes, sorted
	rank int32      // its place among the nodes sorted by id

	// found lazily, once per node: a slot by node number, where maps keyed by node pointer were
	// hashed at every lookup and grown to the size of the graph (a Docker hub's 100,000 containers)
	parents []*graph.Node // containment parents, see parentsOf
	anc     []*graph.Node // ancestors, see matcher.ancestors
	dns     *dnsScope     // see matcher.scope
	has     uint8         // which of parents and anc are found (hasParents, hasAnc)
}

const (
	hasParents uint8 = 1 << iota
	hasAnc
)

// slot returns the index's record of n, nil for a node the graph does not hold (an external node
// a proposal creates): what is found of such a node is not kept.
func (ix *index) slot(n *graph.Node) *nodeInfo {
	if i, ok := ix.num[n]; ok {
		return &ix.info[i]
	}
	return nil
}

// kind returns what the vocabulary says of n's kind, nil when it declares none.
func (ix *index) kind(n *graph.Node) *kindInfo {
	if i, ok := ix.num[n]; ok {
		return ix.info[i].ki
	}
	return ix.kindByName(n)
}

// plan returns n's identity and reference attributes (nil for a node the graph does not hold).
func (ix *index) plan(n *graph.Node) []planAttr {
	if i, ok := ix.num[n]; ok {
		return ix.info[i].plan
	}
	return nil
}

// rank returns n's place among the graph's nodes sorted by id; -1 for a node the graph does not
// hold (an external node a proposal creates).
func (ix *index) rank(n *graph.Node) int32 {
	if i, ok := ix.num[n]; ok {
		return ix.info[i].rank
	}
	return -1
}

func (ix *index) kindByName(n *graph.Node) *kindInfo {
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
	ki := &kindInfo{kind: k, q: q, masks: map[string]uint16{}}
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
		if isIP(h) {
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
	k := canonIP(raw, ip)
	ix.ips[k] = append(ix.ips[k], o)
	ix.nets = append(ix.nets, netEntry{addr: ip, bits: ip.BitLen(), own: o})
}

// canonIP returns ip.String() for ip parsed from raw (and unmapped): raw itself when it is a
// dotted IPv4 address as written, which netip parses only in its canonical form (no leading
// zeros), so no string is allocated per container IP.
func canonIP(raw string, ip netip.Addr) string {
	if ip.Is4() && len(raw) <= 15 && strings.IndexByte(raw, ':') < 0 && strings.TrimSpace(raw) == raw {
		return raw
	}
	return ip.String()
}

// loopback reports whether a host names the machine it is read on: it identifies nothing.
func loopback(h string) bool {
	if plainHost(h) { // has a letter: no IP (ParseAddr's error was most of what indexing a host allocated)
		return h == "localhost" || strings.HasSuffix(h, ".localhost")
	}
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
	in := ix.slot(n)
	if in != nil && in.has&hasParents != 0 {
		return in.parents
	}
	var ps []*graph.Node
	ix.eachIn(n, func(e *graph.Edge, p *graph.Node) {
		if ix.vocab.EdgeTypes[e.Type].Category == schemas.Containment {
			ps = append(ps, p)
		}
	})
	if in != nil {
		in.parents, in.has = ps, in.has|hasParents
	}
	return ps
}

// byID returns the node with id, nil when the graph has none.
func (ix *index) byID(id string) *graph.Node { return ix.g.NodePtr(id) }

// eachOut calls f with each edge leaving n (a node of the graph) and the node it enters.
func (ix *index) eachOut(n *graph.Node, f func(e *graph.Edge, to *graph.Node)) {
	if i, ok := ix.num[n]; ok {
		ix.g.EachOutIndex(i, func(e *graph.Edge, to int32) { f(e, ix.g.NodeAt(to)) })
	}
}

// eachIn calls f with each edge entering n (a node of the graph) and the node it leaves.
func (ix *index) eachIn(n *graph.Node, f func(e *graph.Edge, from *graph.Node)) {
	if i, ok := ix.num[n]; ok {
		ix.g.EachInIndex(i, func(e *graph.Edge, from int32) { f(e, ix.g.NodeAt(from)) })
	}
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
	if plainHost(s) {
		return s
	}
	return normHostSlow(s)
}

// normHostSlow is normHost for any value: what it returns for a plain host is the host itself
// (TestPlainHostsNormaliseToThemselves).
func normHostSlow(s string) string {
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

// isIP reports whether s is an IP address (evidence.IsIP), without parsing a plain host name:
// net.ParseIP's error for each was most of what matching a host allocated.
func isIP(s string) bool { return !plainHost(s) && evidence.IsIP(s) }

// plainHost reports whether s is a host name normHost returns as it is: lower-case letters,
// digits, dots, hyphens and underscores, with a letter (no IP address), not ending in a dot. Most
// hosts are, and evidence.NormalizeHost's port split, IP parse and IDNA pass cost more than
// everything else the index does with them.
func plainHost(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return letter && s[len(s)-1] != '.' && !strings.Contains(s, "xn--") // an IDNA label is checked
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
		// (only those that publish a port, sorted by id: on a hub, a few of 100,000)
		var ctrs []*graph.Node
		start := ix.g.NodePtr(engine.ID) // the graph's own node, as eachOut walks them
		seen := map[*graph.Node]bool{start: true}
		level := []*graph.Node{start}
		for depth := 0; depth < 3 && len(level) > 0; depth++ {
			var next []*graph.Node
			for _, x := range level {
				ix.eachOut(x, func(e *graph.Edge, c *graph.Node) {
					if seen[c] || ix.vocab.EdgeTypes[e.Type].Category != schemas.Containment {
						return
					}
					seen[c] = true
					switch c.Kind {
					case "container":
						if _, ok := c.Attrs["published_ports"]; ok {
							ctrs = append(ctrs, c)
						}
					case "compose_project", "compose_service":
						next = append(next, c)
					}
				})
			}
			level = next
		}
		slices.SortFunc(ctrs, func(a, b *graph.Node) int { return strings.Compare(a.ID, b.ID) })
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
