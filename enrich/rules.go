package enrich

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// Confidence of each kind of evidence. A proposal's confidence is the weakest link of its chain.
const (
	confHostPort   = 0.95 // exact host and port of a database
	confPoolerUser = 0.95 // a Supabase pooler host with user postgres.<ref>
	confRef        = 0.9  // a Supabase project ref read from a host
	confURL        = 0.9  // a URL under a node's own URL (an edge function)
	confExternal   = 0.9  // a host nobody owns: the reference itself is the fact
	confRepo       = 0.9  // the same repository
	confRunsOnIP   = 0.9  // an engine's host IP is a droplet's IP
	confHost       = 0.85 // exact host
	confCNAME      = 0.85 // a CNAME to a host something serves
	confARecord    = 0.8  // an A/AAAA record to an IP exactly one node owns
	confARecordMny = 0.7  // ... an IP that several records point at (shared hosting)
	confRunsOnDNS  = 0.75 // a node's host resolves, by DNS, to a machine
	confCIDRHost   = 0.7  // an allowlist entry that is exactly a node's IP
	confCIDR       = 0.55 // an allowlist range that contains a node's IP
	ambiguous      = 0.5  // factor when several systems own the same identity
)

// Edge types the rules propose.
const (
	usesDatabase = "uses_database"
	calls        = "calls"
	resolvesTo   = "resolves_to"
	runsOn       = "runs_on"
	sendsMail    = "sends_mail_via"
	allows       = "allows"
	buildsFrom   = "builds_from"
)

// Rules is the rule-based enricher. It indexes every node's identities (hosts, IPs, URLs, CIDRs,
// repositories, as declared by the vocabulary) in one pass, then matches every reference against
// the index in a second pass, following DNS records to what they resolve to. References that
// match nothing become external:host nodes. Name similarity is never evidence.
type Rules struct {
	// Vocab is the vocabulary (schemas.Load() when nil).
	Vocab *schemas.Vocabulary
}

// Name implements Enricher.
func (Rules) Name() string { return "rules" }

// Propose implements Enricher. It reads g and never modifies it.
func (r Rules) Propose(ctx context.Context, g *graph.Graph) ([]Proposal, error) {
	v := r.Vocab
	if v == nil {
		var err error
		if v, err = schemas.Load(); err != nil {
			return nil, fmt.Errorf("load vocabulary: %w", err)
		}
	}
	m := &matcher{
		ix:    buildIndex(g, v),
		out:   map[outKey]*pending{},
		outR:  map[[3]int32]*pending{},
		typs:  map[string]int32{},
		res:   map[string][]resolution{},
		loc:   map[string]*localOwners{},
		names: map[string]string{},
	}
	for i := range m.ix.nodes {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		m.node(m.ix.nodes[i])
	}
	return m.proposals(), nil
}

type matcher struct {
	ix    *index
	out   map[outKey]*pending     // proposals by edge, an end not held by the graph
	outR  map[[3]int32]*pending   // proposals by edge, both ends held by the graph, see outKey
	typs  map[string]int32        // edge types by number, for outKey
	res   map[string][]resolution // DNS resolutions by record id
	loc   map[string]*localOwners // owners of a bare name by scope, see localOwners
	names map[string]string       // enricher names by rule
	slab  []pending               // where new pendings are put, 256 to an allocation
}

// ref is one reference a node holds: a host (with what was said about it) or a URL.
type ref struct {
	field  string // attribute holding the value
	value  string // the value as it occurs
	host   string // normalised host or IP
	scheme string
	port   int64
	user   string
	userAt string // attribute holding user
	url    string // normalised URL, for URL references
}

// candidate is a possible edge from the node holding a reference to a target.
type candidate struct {
	src   *graph.Node
	types []string // edge types in order of preference; nil: by the target's category
	to    *graph.Node
	isNew bool
	via   []string
	conf  float64
	ev    []graph.Evidence
	rule  string
	why   string
}

func (m *matcher) node(n *graph.Node) {
	ki := m.ix.kind(n)
	if ki == nil {
		return
	}
	if ki.resolver {
		m.record(n)
		return
	}
	plan := m.ix.plan(n)
	hosts, urls := m.refsOf(n, plan)
	covered := map[string]bool{}
	for _, r := range urls {
		if m.matchURL(n, ki, r) {
			covered[r.host] = true
		}
	}
	for _, r := range hosts {
		if !covered[r.host] {
			m.matchHost(n, ki, r)
		}
	}
	for _, a := range attrsOf(plan, false, schemas.TypeIP) {
		vals, _ := n.AttrValues(a)
		for _, raw := range vals {
			if h := normHost(raw); isIP(h) {
				m.matchHost(n, ki, ref{field: a, value: raw, host: h})
			}
		}
	}
	for _, a := range attrsOf(plan, false, schemas.TypeCIDR) {
		vals, _ := n.AttrValues(a)
		for _, raw := range vals {
			m.matchCIDR(n, a, raw)
		}
	}
	for _, a := range attrsOf(plan, false, schemas.TypeRepo) {
		vals, _ := n.AttrValues(a)
		for _, raw := range vals {
			for _, o := range m.ix.repos[normRepo(raw)] {
				m.emit(candidate{src: n, types: []string{buildsFrom}, to: o.node, conf: confRepo, rule: "repo",
					ev:  []graph.Evidence{{Node: n.ID, Field: a, Value: raw}, {Node: o.node.ID, Field: o.field, Value: o.value}},
					why: fmt.Sprintf("%s names repository %s", a, o.value)})
			}
		}
	}
	if ki.runsOn {
		m.runsOn(n, plan)
	}
}

// refsOf collects a node's host and URL references. A reference's scheme, port and user are the
// facts its collector recorded with it (graph.Ref: value.host, value.port and value.url are one
// reference); a host reference without them borrows them from a URL reference to the same host,
// so the edge type can be told.
func (m *matcher) refsOf(n *graph.Node, plan []planAttr) (hosts, urls []ref) {
	for _, a := range attrsOf(plan, false, schemas.TypeURL) {
		vals, _ := n.AttrValues(a)
		for _, raw := range vals {
			if r, ok := urlRef(n, a, raw, len(vals) == 1); ok {
				urls = append(urls, r)
			}
		}
	}
	var seen []string // refKeys: a node has a few references
	for _, a := range attrsOf(plan, false, schemas.TypeHost) {
		vals, _ := n.AttrValues(a)
		for _, raw := range vals {
			r := ref{field: a, value: raw}
			if p, ok := strings.CutSuffix(a, "host"); ok && len(vals) == 1 {
				g, recorded, ok := n.RefAt(p)
				if recorded && g.Host == raw {
					r.host = g.Host // recorded normalised
				}
				withRef(&r, g, ok, p)
			}
			if r.host == "" {
				r.host = normHost(raw)
			}
			if r.host == "" {
				continue
			}
			for _, u := range urls {
				if u.host == r.host && r.scheme == "" {
					r.scheme, r.port = u.scheme, u.port
				}
			}
			if k := refKey(r); !slices.Contains(seen, k) {
				seen = append(seen, k)
				hosts = append(hosts, r)
			}
		}
	}
	// A URL whose host no host attribute repeats is matched by its host too.
	for _, u := range urls {
		if k := refKey(u); !hostSeen(hosts, u.host) && !slices.Contains(seen, k) {
			seen = append(seen, k)
			hosts = append(hosts, u)
		}
	}
	return hosts, urls
}

// urlRef reads a URL reference: the Ref its collector recorded (value.url with value.host,
// value.port, ...) or, on a node read from graph.json, the Ref those attributes spell; only a URL
// with no facts beside it (an entry of a list of URLs) is parsed.
func urlRef(n *graph.Node, a, raw string, single bool) (ref, bool) {
	p, _ := strings.CutSuffix(a, "url")
	var g graph.Ref
	var facts bool
	if single {
		g, _, facts = n.RefAt(p)
		if g.Host != "" && g.URL == raw {
			r := ref{field: a, value: raw, host: g.Host, url: strings.TrimRight(g.URL, "/")}
			withRef(&r, g, facts, p)
			return r, true
		}
	}
	f, ok := evidence.Parse(raw)
	if !ok {
		return ref{}, false
	}
	r := ref{field: a, value: raw, host: f.Host, scheme: f.Scheme, port: int64(f.Port), url: strings.TrimRight(f.URL(), "/")}
	if single {
		withRef(&r, g, facts, p)
	}
	return r, true
}

// refKey is "host|scheme|port|user" (concatenated: Sprintf was a tenth of what refsOf allocated).
func refKey(r ref) string {
	return r.host + "|" + r.scheme + "|" + strconv.FormatInt(r.port, 10) + "|" + r.user
}

func hostSeen(rs []ref, h string) bool {
	return slices.ContainsFunc(rs, func(r ref) bool { return r.host == h })
}

// withRef fills a reference's scheme and port (when it has none) and user from g, the Ref at
// prefix (Node.RefAt, read once by the caller; ok: there is one): what the collector recorded
// with it, or the attributes that spell it.
func withRef(r *ref, g graph.Ref, ok bool, prefix string) {
	if !ok {
		return
	}
	if r.scheme == "" {
		r.scheme = strings.ToLower(g.Scheme)
	}
	if r.port == 0 {
		r.port = g.Port
	}
	if g.User != "" {
		r.user, r.userAt = g.User, prefix+"user"
	}
}

var (
	dbSchemes   = set("postgres", "postgresql", "mysql", "mariadb", "redis", "rediss", "mongodb", "mongodb+srv", "sqlserver", "mssql", "clickhouse", "cockroachdb", "memcached", "jdbc")
	mailSchemes = set("smtp", "smtps", "submission", "imap", "imaps", "pop3", "pop3s")
	httpSchemes = set("http", "https", "ws", "wss")
	dbPorts     = map[int64]bool{5432: true, 6543: true, 3306: true, 6379: true, 25060: true, 25061: true, 27017: true, 1433: true, 26257: true}
	mailPorts   = map[int64]bool{25: true, 465: true, 587: true, 2525: true, 993: true, 995: true, 143: true}
	dbWords     = []string{"database", "db_", "_db", ".db", "db.", "postgres", "pghost", "pg_", "mysql", "redis", "mongo", "supabase_db"}
	mailWords   = []string{"smtp", "mail", "imap"}
)

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// hints returns the edge types a reference suggests, strongest signal first: the scheme, the port,
// then the names of the attribute and the kind. nil means "decide by the target".
func hints(r ref, ki *kindInfo) []string {
	switch {
	case dbSchemes[r.scheme]:
		return []string{usesDatabase}
	case mailSchemes[r.scheme]:
		return []string{sendsMail}
	case httpSchemes[r.scheme]:
		return []string{calls}
	case dbPorts[r.port]:
		return []string{usesDatabase}
	case mailPorts[r.port]:
		return []string{sendsMail}
	case r.port == 80 || r.port == 443:
		return []string{calls}
	}
	field := strings.ToLower(r.field)
	for _, w := range mailWords {
		if strings.Contains(field, w) || strings.Contains(ki.kind.Name, w) {
			return []string{sendsMail}
		}
	}
	if ki.kind.Category == "database" {
		return []string{usesDatabase}
	}
	for _, w := range dbWords {
		if strings.Contains(field, w) {
			return []string{usesDatabase}
		}
	}
	return nil
}

// byTarget picks edge types for a reference that said nothing about itself.
func (m *matcher) byTarget(to *graph.Node) []string {
	if ki := m.ix.kind(to); ki != nil && ki.kind.Category == "database" {
		return []string{usesDatabase, calls}
	}
	return []string{calls}
}

// pick chooses the source and type of an edge to `to`: a config node (an env var) is lifted to
// the node that contains it (its project) when the vocabulary allows that pair, else the edge
// starts at the node itself.
func (m *matcher) pick(src, to *graph.Node, types []string) (*graph.Node, string, bool) {
	ki, tk := m.ix.kind(src), m.ix.kind(to)
	if ki == nil || tk == nil {
		return nil, "", false
	}
	if types == nil {
		types = m.byTarget(to)
	}
	froms := []*graph.Node{}
	if ki.kind.Category == "config" {
		froms = append(froms, m.ix.parentsOf(src)...)
	}
	froms = append(froms, src)
	for _, f := range froms {
		fk := m.ix.kind(f)
		if fk == nil || f.ID == to.ID {
			continue
		}
		for _, t := range types {
			if m.ix.allowed(t, fk.q, tk.q) {
				return f, t, true
			}
		}
	}
	return nil, "", false
}

func (m *matcher) ancestors(n *graph.Node) []*graph.Node {
	in := m.ix.slot(n)
	if in != nil && in.has&hasAnc != 0 {
		return in.anc
	}
	a := m.ix.ancestors(n)
	if in != nil {
		in.anc, in.has = a, in.has|hasAnc
	}
	return a
}

// contains reports whether id is one of n's ancestors.
func (m *matcher) contains(id string, n *graph.Node) bool {
	return slices.ContainsFunc(m.ancestors(n), func(p *graph.Node) bool { return p.ID == id })
}

// emit records a candidate as a proposal when the vocabulary allows it, merging it with an
// earlier proposal of the same edge. A node never gets an edge to itself or to what contains it
// (an Odoo instance's own web.base.url).
func (m *matcher) emit(c candidate) bool {
	if c.to.ID == c.src.ID || m.contains(c.to.ID, c.src) {
		return false
	}
	from, typ, ok := m.pick(c.src, c.to, c.types)
	if !ok {
		return false
	}
	via := append([]string(nil), c.via...)
	if from.ID != c.src.ID {
		via = append(via, c.src.ID)
	}
	e := graph.Edge{From: from.ID, To: c.to.ID, Type: typ, Origin: graph.Rule, Confidence: round2(c.conf), Evidence: sortEvidence(append([]graph.Evidence(nil), c.ev...))}
	p := Proposal{Edge: e, Enricher: m.enricher(c.rule), Rationale: c.why, Via: uniq(via)}
	if c.isNew {
		p.NewNodes = []graph.Node{*c.to}
	}
	k := m.key(from, c.to, typ)
	var pe *pending
	if k.fromID == "" && k.toID == "" {
		pe = m.outR[k.ranks()]
	} else {
		pe = m.out[k]
	}
	if pe == nil {
		if len(m.slab) == cap(m.slab) {
			m.slab = make([]pending, 0, 256)
		}
		m.slab = append(m.slab, pending{p: p, from: m.ix.rank(from), to: m.ix.rank(c.to)})
		pe = &m.slab[len(m.slab)-1]
		if k.fromID == "" && k.toID == "" {
			m.outR[k.ranks()] = pe
		} else {
			m.out[k] = pe
		}
		return true
	}
	pe.merged = true
	old := &pe.p
	if p.Edge.Confidence > old.Edge.Confidence {
		old.Edge.Confidence, old.Enricher, old.Rationale = p.Edge.Confidence, p.Enricher, p.Rationale
	}
	// Sorted and made unique once, in proposals: doing it here made a hub (3,000 env vars naming
	// one database) cost the square of its size.
	old.Edge.Evidence = append(old.Edge.Evidence, p.Edge.Evidence...)
	old.Via = append(old.Via, p.Via...)
	if len(old.NewNodes) == 0 {
		old.NewNodes = p.NewNodes
	}
	return true
}

// sortEvidence is graph.SortEvidence (sorted by node, field and value, duplicates dropped) for
// the few items of one candidate, sorted by insertion in place: graph.SortEvidence's sort.Slice
// took a reflection swapper and two allocations per proposal. Longer lists are left to it.
func sortEvidence(ev []graph.Evidence) []graph.Evidence {
	if len(ev) > 8 {
		return graph.SortEvidence(ev)
	}
	if len(ev) == 0 {
		return nil
	}
	for i := 1; i < len(ev); i++ {
		for j := i; j > 0 && compareEvidence(ev[j], ev[j-1]) < 0; j-- {
			ev[j], ev[j-1] = ev[j-1], ev[j]
		}
	}
	return slices.Compact(ev)
}

func compareEvidence(a, b graph.Evidence) int {
	if c := strings.Compare(a.Node, b.Node); c != 0 {
		return c
	}
	if c := strings.Compare(a.Field, b.Field); c != 0 {
		return c
	}
	return strings.Compare(a.Value, b.Value)
}

// outKey identifies a proposal's edge as graph.EdgeKey does: an end the graph holds by its rank
// (no 90-byte container id hashed per candidate), any other by its id; the type by its number.
// With both ends ranked it is three numbers (ranks), hashed as one small block.
type outKey struct {
	from, to     int32
	fromID, toID string // "" for a ranked end
	typ          int32
}

func (k outKey) ranks() [3]int32 { return [3]int32{k.from, k.to, k.typ} }

func (m *matcher) key(from, to *graph.Node, typ string) outKey {
	t, ok := m.typs[typ]
	if !ok {
		t = int32(len(m.typs))
		m.typs[typ] = t
	}
	k := outKey{from: m.rankByID(from), to: m.rankByID(to), typ: t}
	if k.from < 0 {
		k.fromID = from.ID
	}
	if k.to < 0 {
		k.toID = to.ID
	}
	return k
}

// rankByID returns the rank of the graph's node with n's id: n's own, or for a node made apart
// from the graph (an external host) the rank of the graph's node of that id, so both key alike.
func (m *matcher) rankByID(n *graph.Node) int32 {
	if r := m.ix.rank(n); r >= 0 {
		return r
	}
	if g := m.ix.byID(n.ID); g != nil {
		return m.ix.rank(g)
	}
	return -1
}

// enricher names the rule's proposals ("rules/host"), one string per rule.
func (m *matcher) enricher(rule string) string {
	name, ok := m.names[rule]
	if !ok {
		name = "rules/" + rule
		m.names[rule] = name
	}
	return name
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func uniq(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	slices.Sort(ss)
	return slices.Compact(ss)
}

// pending is a proposal being gathered: emit merges later candidates of the same edge into it.
type pending struct {
	p Proposal
	// merged is set once another candidate's evidence and via were appended: they are sorted and
	// made unique in proposals (a proposal emitted once has them so already).
	merged bool
	// from and to are the ranks of the ends among the graph's nodes sorted by id (index.rank), -1
	// for a node the graph does not hold: proposals sorts by them instead of comparing ids.
	from, to int32
}

func (m *matcher) proposals() []Proposal {
	ps := make([]*pending, 0, len(m.out)+len(m.outR))
	for _, pe := range m.outR {
		ps = append(ps, pe)
	}
	for _, pe := range m.out {
		ps = append(ps, pe)
	}
	for _, pe := range ps {
		if pe.merged {
			pe.p.Edge.Evidence = graph.SortEvidence(pe.p.Edge.Evidence)
			pe.p.Via = uniq(pe.p.Via)
		}
	}
	slices.SortFunc(ps, comparePending)
	out := make([]Proposal, len(ps))
	for i, pe := range ps {
		out[i] = pe.p
	}
	return out
}

// comparePending orders proposals by edge key (from, to, type). Two ranked ends compare by rank,
// which is their ids' order; any other pair by id.
func comparePending(a, b *pending) int {
	ea, eb := &a.p.Edge, &b.p.Edge
	if c := compareEnd(a.from, b.from, ea.From, eb.From); c != 0 {
		return c
	}
	if c := compareEnd(a.to, b.to, ea.To, eb.To); c != 0 {
		return c
	}
	return strings.Compare(ea.Type, eb.Type)
}

func compareEnd(ra, rb int32, a, b string) int {
	if ra >= 0 && rb >= 0 {
		return cmp.Compare(ra, rb)
	}
	return strings.Compare(a, b)
}

// matchURL matches a URL reference against URL identities (an edge function's URL, an Odoo
// instance's URL), longest path prefix first.
func (m *matcher) matchURL(n *graph.Node, ki *kindInfo, r ref) bool {
	if notCalled(r.field) {
		return false
	}
	types := hints(r, ki)
	for u := r.url; ; {
		if os := m.ix.urls[u]; len(os) > 0 {
			ts := m.targets(os, n, types)
			done := false
			for _, t := range ts {
				conf := confURL
				if len(ts) > 1 {
					conf *= ambiguous
				}
				done = m.emit(candidate{src: n, types: types, to: t.node, via: t.via, conf: conf, rule: "url",
					ev:  append([]graph.Evidence{{Node: n.ID, Field: r.field, Value: r.value}}, t.ev...),
					why: fmt.Sprintf("%s is under %s, which %s serves", r.field, u, t.node.ID)}) || done
			}
			return done
		}
		i := strings.LastIndex(u, "/")
		if i < 0 || strings.HasSuffix(u[:i], "/") { // stop at scheme://host
			return false
		}
		u = u[:i]
	}
}

// target is a node a reference may point at, possibly lifted from the node that owns the value
// (a project domain, a deployment, a pooler) to the system that contains it.
type target struct {
	node *graph.Node
	via  []string
	ev   []graph.Evidence
	sys  bool
}

// lift returns the system that contains owner, so a reference to a project domain or a pooler
// host points at the project. It lifts only when an edge from src to that system is allowed, and
// either the owner itself may not be linked or the owner depends on the system (a domain routes
// to its project, a pooler is the pool of its project); a Supabase branch, contained by its
// project but a database of its own, stays itself.
func (m *matcher) lift(o owner, src *graph.Node, types []string) target {
	t := target{node: o.node, ev: []graph.Evidence{{Node: o.node.ID, Field: o.field, Value: o.value}}}
	if ki := m.ix.kind(o.node); ki != nil && ki.kind.System {
		t.sys = true
		return t
	}
	_, _, ownerOK := m.pick(src, o.node, types)
	frontier := []*graph.Node{o.node}
	seen := map[string]bool{}
	for depth := 0; depth < 4 && len(frontier) > 0; depth++ {
		var next []*graph.Node
		for _, c := range frontier {
			for _, p := range m.ix.parentsOf(c) {
				if seen[p.ID] {
					continue
				}
				seen[p.ID] = true
				if pk := m.ix.kind(p); pk != nil && pk.kind.System {
					if _, _, ok := m.pick(src, p, types); ok && (!ownerOK || m.dependsOn(o.node, p)) {
						return target{node: p, via: []string{o.node.ID}, ev: t.ev, sys: true}
					}
					continue
				}
				next = append(next, p)
			}
		}
		frontier = next
	}
	return t
}

// dependsOn reports whether a has an observed dependency edge to b.
func (m *matcher) dependsOn(a, b *graph.Node) bool {
	found := false
	m.ix.g.EachOut(a.ID, func(e *graph.Edge) {
		found = found || (e.To == b.ID && m.ix.vocab.EdgeTypes[e.Type].Category == schemas.Dependency)
	})
	return found
}

// targets turns the owners of a value into distinct targets; systems win over their parts.
func (m *matcher) targets(os []owner, src *graph.Node, types []string) []target {
	var out []target
	var byID map[string]int // positions in out once it is long; a linear search before
	anySys := false
	for _, o := range os {
		if o.node.ID == src.ID {
			continue
		}
		t := m.lift(o, src, types)
		if _, _, ok := m.pick(src, t.node, types); !ok {
			continue
		}
		i, ok := byID[t.node.ID]
		if byID == nil {
			i = slices.IndexFunc(out, func(x target) bool { return x.node.ID == t.node.ID })
			ok = i >= 0
		}
		if ok {
			out[i].ev = append(out[i].ev, t.ev...)
			out[i].via = append(out[i].via, t.via...)
			continue
		}
		out = append(out, t)
		anySys = anySys || t.sys
		if byID != nil {
			byID[t.node.ID] = len(out) - 1
		} else if len(out) > 8 {
			byID = make(map[string]int, 2*len(out))
			for k, x := range out {
				byID[x.node.ID] = k
			}
		}
	}
	var ids map[string]bool // the targets' ids, for insideAny (none for one target)
	if len(out) > 1 {
		ids = make(map[string]bool, len(out))
		for _, t := range out {
			ids[t.node.ID] = true
		}
	}
	kept := out[:0]
	for _, t := range out {
		if (t.sys || !anySys) && !m.insideAny(t.node, ids) {
			kept = append(kept, t)
		}
	}
	return kept
}

// insideAny reports whether one of the other targets contains n (a compose service and its
// container both answer to "db": the service is the target).
func (m *matcher) insideAny(n *graph.Node, targets map[string]bool) bool {
	if len(targets) < 2 {
		return false
	}
	for _, p := range m.ancestors(n) {
		if targets[p.ID] {
			return true
		}
	}
	return false
}

// portMatches reports whether an owner states the referenced port beside the host it owns
// (db_host and db_port, host and port).
func portMatches(o owner, port int64) bool {
	if port == 0 {
		return false
	}
	base := strings.TrimSuffix(o.field, "host")
	for _, f := range []string{base + "port", base + "_port", "port"} {
		if p, ok := o.node.Attrs[f].(int64); ok && p == port {
			return true
		}
	}
	return false
}

// poolerRef returns the project ref of a Supabase pooler user "postgres.<ref>".
func poolerRef(user string) string {
	if r, ok := strings.CutPrefix(user, "postgres."); ok && len(r) == 20 && strings.Trim(r, "abcdefghijklmnopqrstuvwxyz") == "" {
		return r
	}
	return ""
}

func isPoolerHost(h string) bool { return strings.HasSuffix(h, ".pooler.supabase.com") }

// matchHost matches one host (or IP) reference: a node that owns it, else the DNS record named
// so and what it resolves to, else a Supabase project ref, else a new external node.
func (m *matcher) matchHost(n *graph.Node, ki *kindInfo, r ref) {
	h := r.host
	if h == "" || h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return
	}
	if notCalled(r.field) {
		return
	}
	types := hints(r, ki)
	srcEv := graph.Evidence{Node: n.ID, Field: r.field, Value: r.value}

	// A Supabase pooler host is shared by every project of a region: the user names the project.
	if isPoolerHost(h) {
		if pr := poolerRef(r.user); pr != "" {
			done := false
			for _, t := range m.targets(m.ix.refs[pr], n, types) {
				done = m.emit(candidate{src: n, types: types, to: t.node, via: t.via, conf: confPoolerUser, rule: "supabase-pooler",
					ev:  append([]graph.Evidence{srcEv, {Node: n.ID, Field: r.userAt, Value: r.user}}, t.ev...),
					why: fmt.Sprintf("pooler user %s names Supabase ref %s", r.user, pr)}) || done
			}
			if !done {
				m.external(n, r, types, srcEv)
			}
			return
		}
	}

	var owners []owner
	if isIP(h) {
		owners = m.ix.ips[h]
	} else {
		owners = m.ix.hosts[h]
	}
	// An IP and a port a container publishes on the engine at that IP: the container.
	if isIP(h) && m.matchPublished(n, r, types, h, nil, srcEv, confHostPort) {
		return
	}
	local := !strings.Contains(h, ".") && !isIP(h)
	if local {
		owners = m.inScope(h, owners, n)
	}
	// direct is owners itself while every owner so far is in scope and no DNS record (100,000
	// containers naming "db": no copy of its owners each), a copy from the first that is not
	var direct, records []owner
	split := false
	for i, o := range owners {
		// a compose service name means something only on its networks
		in := !local || m.sameScope(n, o.node)
		rec := false
		if in {
			ok := m.ix.kind(o.node)
			rec = ok != nil && ok.resolver
		}
		if !split && (!in || rec) {
			split, direct = true, append([]owner(nil), owners[:i]...)
		}
		switch {
		case !split || !in:
		case rec:
			records = append(records, o)
		default:
			direct = append(direct, o)
		}
	}
	if !split {
		direct = owners
	}
	if ts := m.targets(direct, n, types); len(ts) > 0 {
		for _, t := range ts {
			conf := confHost
			for _, e := range t.ev {
				if portMatches(owner{node: m.ix.byID(e.Node), field: e.Field}, r.port) {
					conf = confHostPort
				}
			}
			if isPoolerHost(h) || len(ts) > 1 {
				conf *= ambiguous
			}
			m.emit(candidate{src: n, types: types, to: t.node, via: t.via, conf: conf, rule: "host",
				ev:  append([]graph.Evidence{srcEv}, t.ev...),
				why: r.field + " names " + h + ", which " + t.node.ID + " owns"})
		}
		return
	}
	done := false
	for _, rec := range records {
		for _, res := range m.resolve(rec.node, 0) {
			conf := min(confHost, res.conf)
			if res.ip != "" {
				chain := append([]graph.Evidence{srcEv, {Node: rec.node.ID, Field: rec.field, Value: rec.value}}, res.ev...)
				if m.matchPublished(n, r, types, res.ip, append([]string{rec.node.ID, res.to.ID}, res.via...), graph.Evidence{}, conf, chain...) {
					done = true
					continue
				}
			}
			done = m.emit(candidate{src: n, types: types, to: res.to, via: append([]string{rec.node.ID}, res.via...), conf: conf, rule: "dns",
				ev:  append([]graph.Evidence{srcEv, {Node: rec.node.ID, Field: rec.field, Value: rec.value}}, res.ev...),
				why: fmt.Sprintf("%s names %s; its DNS record %s", r.field, h, res.why)}) || done
		}
	}
	if done {
		return
	}
	if sm := supabaseHost.FindStringSubmatch(h); sm != nil {
		for _, t := range m.targets(m.ix.refs[sm[1]], n, types) {
			done = m.emit(candidate{src: n, types: types, to: t.node, via: t.via, conf: confRef, rule: "supabase-ref",
				ev:  append([]graph.Evidence{srcEv}, t.ev...),
				why: fmt.Sprintf("%s is Supabase project ref %s", h, sm[1])}) || done
		}
		if done {
			return
		}
	}
	if len(direct) > 0 {
		return // owned, but by nothing an edge may join: not external either
	}
	// Nobody owns it, or its DNS record leads nowhere we know (an IP nobody owns): the host
	// itself is what the node depends on.
	m.external(n, r, types, srcEv)
}

// notCalled reports whether a reference attribute names where users are sent, not what the node
// depends on: Supabase Auth's site URL and redirect allow-list are links in e-mails, never
// called (https://supabase.com/docs/guides/auth/redirect-urls).
func notCalled(field string) bool {
	f := strings.ToLower(field)
	return strings.Contains(f, "redirect") || strings.Contains(f, "site_url")
}

// sameScope reports whether a bare name held by a resolves to b the way Docker's embedded DNS
// resolves it: a service or container name answers only on the networks the two share, and a
// Compose project's services share its network `<project>_default`
// (https://docs.docker.com/compose/how-tos/networking/). Without network facts on both sides the
// Compose project stands for its network, and without a project the engine does.
func (m *matcher) sameScope(a, b *graph.Node) bool {
	sa, sb := m.scope(a), m.scope(b)
	for _, level := range [2]func(*dnsScope) []*graph.Node{
		func(s *dnsScope) []*graph.Node { return s.nets },
		func(s *dnsScope) []*graph.Node { return s.projects },
	} {
		la, lb := level(sa), level(sb)
		for _, x := range lb {
			if slices.Contains(la, x) {
				return true
			}
		}
		if len(la) > 0 && len(lb) > 0 {
			return false // both sides know this level and share nothing at it
		}
	}
	return m.sameRoot(a, b)
}

// dnsScope is where a node's bare names resolve: the networks it (or, for a Compose service, its
// containers) is attached to, and its Compose projects; each node once.
type dnsScope struct{ nets, projects []*graph.Node }

// scope returns where a node's bare names resolve.
func (m *matcher) scope(n *graph.Node) *dnsScope {
	in := m.ix.slot(n)
	if in != nil && in.dns != nil {
		return in.dns
	}
	s := &dnsScope{}
	// EachOut, not Out: a copy of every edge of each node (a Compose service's 100,000
	// containers) was most of what scoping cost on a Docker hub
	nets := func(x *graph.Node) {
		m.ix.eachOut(x, func(e *graph.Edge, t *graph.Node) {
			if e.Type == "attached_to" && t.Kind == "network" && !slices.Contains(s.nets, t) {
				s.nets = append(s.nets, t)
			}
		})
	}
	nets(n)
	if n.Kind == "compose_service" {
		m.ix.eachOut(n, func(_ *graph.Edge, c *graph.Node) {
			if c.Kind == "container" {
				nets(c)
			}
		})
	}
	for _, p := range m.ancestors(n) {
		if p.Kind == "compose_project" {
			s.projects = append(s.projects, p)
		}
	}
	if in != nil {
		in.dns = s
	}
	return s
}

// sameRoot reports whether two nodes share a container (the same Docker engine or project).
func (m *matcher) sameRoot(a, b *graph.Node) bool {
	ab := m.ancestors(b)
	for _, p := range m.ancestors(a) {
		if slices.Contains(ab, p) {
			return true
		}
	}
	return false
}

// localOwners holds the owners of a bare name by what their scopes are made of: their networks
// and ancestors (their Compose projects among them), each naming the positions of the owners
// that have it.
type localOwners struct {
	by map[*graph.Node][]int32
}

// localScan is how many owners of a bare name are checked one by one with sameScope; beyond it
// they are looked up by scope (a bare "db" in each of a thousand Compose projects made every
// reference to it compare scopes with every project's "db").
var localScan = 8

// inScope returns the owners of the bare name h that may share n's scope, in their order: every
// owner for which sameScope(n, owner) holds, and maybe more (the caller checks each). sameScope
// needs a shared network, Compose project or ancestor (a project is one), so only the owners that
// have one of n's are candidates.
func (m *matcher) inScope(h string, owners []owner, n *graph.Node) []owner {
	if len(owners) <= localScan {
		return owners
	}
	lo := m.loc[h]
	if lo == nil {
		lo = &localOwners{by: map[*graph.Node][]int32{}}
		for i, o := range owners {
			s := m.scope(o.node)
			for _, xs := range [2][]*graph.Node{s.nets, m.ancestors(o.node)} {
				for _, x := range xs {
					if is := lo.by[x]; len(is) == 0 || is[len(is)-1] != int32(i) {
						lo.by[x] = append(is, int32(i))
					}
				}
			}
		}
		m.loc[h] = lo
	}
	var idx []int32
	s := m.scope(n)
	for _, xs := range [2][]*graph.Node{s.nets, m.ancestors(n)} {
		for _, x := range xs {
			idx = append(idx, lo.by[x]...)
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]owner, len(idx))
	for k, i := range idx {
		out[k] = owners[i]
	}
	return out
}

// external proposes an edge to a node for a host no collector discovered: the storefront calls
// api.stripe.com. Private, loopback and single-label names (compose service names) are not
// worth a node.
func (m *matcher) external(n *graph.Node, r ref, types []string, srcEv graph.Evidence) {
	h := r.host
	var x graph.Node
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
			return
		}
		x = graph.Node{ID: graph.ID("external", "ip", h), Kind: "ip", Provider: "external", Name: h, Attrs: graph.Attrs{"ip": h}}
	} else {
		if !strings.Contains(h, ".") || strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".internal") {
			return
		}
		x = graph.Node{ID: graph.ID("external", "host", h), Kind: "host", Provider: "external", Name: h, Attrs: graph.Attrs{"host": h}}
	}
	field := x.Kind
	m.emit(candidate{src: n, types: types, to: &x, isNew: !m.ix.g.HasNode(x.ID), conf: confExternal, rule: "external",
		ev:  []graph.Evidence{srcEv, {Node: x.ID, Field: field, Value: h}},
		why: fmt.Sprintf("%s names %s, which no collector discovered", r.field, h)})
}

// matchCIDR proposes allows edges from an allowlist entry to the nodes whose IPs (or networks)
// it contains. Ranges broader than /16 (IPv4) or /48 (IPv6), or containing many identities, say
// nothing about a particular node and are skipped.
func (m *matcher) matchCIDR(n *graph.Node, field, raw string) {
	s := strings.TrimSpace(raw)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return
		}
		p = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if (p.Addr().Is4() && p.Bits() < 16) || (p.Addr().Is6() && p.Bits() < 48) {
		return
	}
	es := m.ix.within(p)
	if len(es) > 32 {
		return
	}
	conf := confCIDR
	if p.IsSingleIP() {
		conf = confCIDRHost
	}
	for i := 0; i < len(es); {
		j := i
		var os []owner
		for ; j < len(es) && es[j].addr == es[i].addr && es[j].bits == es[i].bits; j++ {
			os = append(os, es[j].own)
		}
		i = j
		for _, o := range m.hosting(os) {
			m.emit(candidate{src: n, types: []string{allows}, to: o.node, conf: conf, rule: "cidr",
				ev:  []graph.Evidence{{Node: n.ID, Field: field, Value: raw}, {Node: o.node.ID, Field: o.field, Value: o.value}},
				why: fmt.Sprintf("%s %s contains %s", field, raw, o.value)})
		}
	}
}

// runsOn proposes where a node runs: its IP identity is a machine's IP (a Docker engine's host
// IP is a droplet's), or its host identity resolves by DNS to a machine (an Odoo instance's
// domain has an A record to a droplet).
func (m *matcher) runsOn(n *graph.Node, plan []planAttr) {
	types := []string{runsOn}
	for _, a := range attrsOf(plan, true, schemas.TypeIP) {
		vals, _ := n.AttrValues(a)
		for _, raw := range vals {
			ip, err := netip.ParseAddr(strings.TrimSpace(raw))
			if err != nil {
				continue
			}
			ts := m.targets(m.ix.ips[ip.Unmap().String()], n, types)
			for _, t := range ts {
				conf := confRunsOnIP
				if len(ts) > 1 {
					conf *= ambiguous
				}
				m.emit(candidate{src: n, types: types, to: t.node, via: t.via, conf: conf, rule: "runs-on-ip",
					ev:  append([]graph.Evidence{{Node: n.ID, Field: a, Value: raw}}, t.ev...),
					why: fmt.Sprintf("%s %s is an IP of %s", a, raw, t.node.ID)})
			}
		}
	}
	for _, a := range attrsOf(plan, true, schemas.TypeHost) {
		vals, _ := n.AttrValues(a)
		for _, raw := range vals {
			m.servedBy(n, a, raw, types)
			for _, rec := range m.ix.hosts[normHost(raw)] {
				if rk := m.ix.kind(rec.node); rk == nil || !rk.resolver {
					continue
				}
				for _, res := range m.resolve(rec.node, 0) {
					if res.ip != "" {
						// the machine's Docker engine publishes the app's port: the container
						// behind it serves the app (DNS -> droplet -> engine -> container)
						chain := append([]graph.Evidence{{Node: n.ID, Field: a, Value: raw}, {Node: rec.node.ID, Field: rec.field, Value: rec.value}}, res.ev...)
						site := ref{field: a, value: raw, host: normHost(raw), scheme: siteScheme(n)}
						m.matchPublished(n, site, types, res.ip, append([]string{rec.node.ID, res.to.ID}, res.via...), graph.Evidence{}, min(confRunsOnDNS, res.conf), chain...)
					}
					m.emit(candidate{src: n, types: types, to: res.to, via: append([]string{rec.node.ID}, res.via...), conf: min(confRunsOnDNS, res.conf), rule: "runs-on-dns",
						ev:  append([]graph.Evidence{{Node: n.ID, Field: a, Value: raw}, {Node: rec.node.ID, Field: rec.field, Value: rec.value}}, res.ev...),
						why: fmt.Sprintf("%s %s has a DNS record that %s", a, raw, res.why)})
				}
			}
		}
	}
}

// siteScheme is the scheme an application is served on: its own URL's, https when it has none.
func siteScheme(n *graph.Node) string {
	if u := n.Str("url"); strings.HasPrefix(strings.ToLower(u), "http://") {
		return "http"
	}
	return "https"
}

// servedBy proposes that an application runs on the container or Compose service that serves its
// own host: a reverse proxy's router for it (traefik Host(...) or caddy labels, VIRTUAL_HOST,
// collected as proxy_domains), matched exactly. Which kinds may be linked is the vocabulary's
// runs_on pairs (an Odoo instance and what serves web.base.url's host).
func (m *matcher) servedBy(n *graph.Node, field, raw string, types []string) {
	h := normHost(raw)
	if !strings.Contains(h, ".") {
		return // a bare name is a network alias, not a site a proxy serves
	}
	var direct []owner
	for _, o := range m.ix.hosts[h] {
		if ok := m.ix.kind(o.node); ok != nil && !ok.resolver && o.field == "proxy_domains" {
			direct = append(direct, o)
		}
	}
	ts := m.targets(direct, n, types)
	for _, t := range ts {
		conf := confHost
		if len(ts) > 1 {
			conf *= ambiguous
		}
		m.emit(candidate{src: n, types: types, to: t.node, via: t.via, conf: conf, rule: "served-by",
			ev:  append([]graph.Evidence{{Node: n.ID, Field: field, Value: raw}}, t.ev...),
			why: fmt.Sprintf("%s %s is a site %s serves (reverse proxy rule)", field, raw, t.node.ID)})
	}
}

// defaultPorts are the ports a scheme implies when a URL names none.
var defaultPorts = map[string]int64{"http": 80, "ws": 80, "https": 443, "wss": 443, "postgres": 5432, "postgresql": 5432, "mysql": 3306, "mariadb": 3306, "redis": 6379, "rediss": 6379, "mongodb": 27017, "smtp": 25}

// matchPublished proposes an edge to the containers that publish the reference's port on a
// Docker engine whose host IP is ip: "203.0.113.10:8069" is the Odoo container, not just the
// droplet. ev is the chain so far (srcEv alone when it is empty).
func (m *matcher) matchPublished(n *graph.Node, r ref, types []string, ip string, via []string, srcEv graph.Evidence, conf float64, ev ...graph.Evidence) bool {
	port := r.port
	if port == 0 {
		port = defaultPorts[r.scheme]
	}
	if port == 0 {
		return false
	}
	if len(ev) == 0 {
		ev = []graph.Evidence{srcEv}
	}
	done := false
	for _, eng := range m.ix.ips[ip] {
		for _, c := range m.ix.publishedOn(eng.node)[port] {
			done = m.emit(candidate{src: n, types: types, to: c.node, via: append(append([]string(nil), via...), eng.node.ID), conf: conf, rule: "published-port",
				ev:  append(append([]graph.Evidence(nil), ev...), graph.Evidence{Node: eng.node.ID, Field: eng.field, Value: eng.value}, graph.Evidence{Node: c.node.ID, Field: c.field, Value: c.value}),
				why: fmt.Sprintf("%s names port %d at %s, which %s publishes on %s", r.field, port, ip, c.node.ID, eng.node.ID)}) || done
		}
	}
	return done
}
