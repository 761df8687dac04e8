package enrich

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// resolution is where a DNS record leads: a node, with the chain of records after the first (a
// CNAME to another record), the evidence and the confidence of the weakest hop.
type resolution struct {
	to   *graph.Node
	via  []string
	ev   []graph.Evidence
	conf float64
	why  string
	ip   string // the address an A/AAAA record gave, for published ports
}

// Vercel's DNS targets: an A record to 76.76.21.21 (apex) or a CNAME to cname.vercel-dns.com,
// cname.vercel-dns-0.com or a per-project <hash>.vercel-dns-017.com means "the Vercel project that
// has this domain serves it" (https://vercel.com/docs/domains/set-up-custom-domain,
// https://vercel.com/docs/domains/working-with-dns); 216.198.79.1 is the apex IP Vercel now
// recommends for new domains (as seen in is-a-dev/docs#104).
var (
	vercelIPs   = set("76.76.21.21", "216.198.79.1")
	vercelCNAME = regexp.MustCompile(`(^|\.)vercel-dns(-[0-9]+)?\.com$`)
)

func isVercelCNAME(h string) bool { return vercelCNAME.MatchString(h) }

// followed reports whether a record of this type points at what serves its name (MX, NS, TXT
// records do not).
func followed(rec *graph.Node) bool {
	switch strings.ToUpper(rec.Str("type")) {
	case "", "A", "AAAA", "CNAME", "ALIAS", "ANAME":
		return true
	}
	return false
}

// record proposes what a DNS record resolves to; a CNAME to a host nobody owns resolves to an
// external host. An A record to an IP nobody owns resolves to nothing: the record already says
// the IP, and an unknown IP is not a dependency anyone can act on.
func (m *matcher) record(rec *graph.Node) {
	if !followed(rec) {
		return
	}
	plan := m.ix.plan(rec)
	for _, res := range m.resolve(rec, 0) {
		m.emit(candidate{src: rec, types: []string{resolvesTo}, to: res.to, via: res.via, conf: res.conf, rule: "dns",
			ev: res.ev, why: "the record " + res.why})
	}
	for _, a := range attrsOf(plan, false, schemas.TypeHost) {
		vals, _ := rec.AttrValues(a)
		for _, raw := range vals {
			h := normHost(raw)
			if h == "" || isVercelCNAME(h) || len(m.resolveHost(rec, a, raw, 0)) > 0 {
				continue
			}
			if len(m.ix.hosts[h]) > 0 {
				continue
			}
			m.external(rec, ref{field: a, value: raw, host: h}, []string{resolvesTo}, graph.Evidence{Node: rec.ID, Field: a, Value: raw})
		}
	}
}

// resolve returns where a record leads, memoised; depth bounds CNAME chains (and loops).
func (m *matcher) resolve(rec *graph.Node, depth int) []resolution {
	if rs, ok := m.res[rec.ID]; ok {
		return rs
	}
	if depth > 4 || !followed(rec) {
		return nil
	}
	m.res[rec.ID] = nil // a loop resolves to nothing
	plan := m.ix.plan(rec)
	var out []resolution
	for _, a := range attrsOf(plan, false, schemas.TypeIP) {
		vals, _ := rec.AttrValues(a)
		for _, raw := range vals {
			out = append(out, m.resolveIP(rec, a, raw)...)
		}
	}
	for _, a := range attrsOf(plan, false, schemas.TypeHost) {
		vals, _ := rec.AttrValues(a)
		for _, raw := range vals {
			out = append(out, m.resolveHost(rec, a, raw, depth)...)
		}
	}
	m.res[rec.ID] = out
	return out
}

func (m *matcher) resolveIP(rec *graph.Node, field, raw string) []resolution {
	ip, err := netip.ParseAddr(strings.TrimSpace(raw))
	if err != nil {
		return nil
	}
	key := ip.Unmap().String()
	recEv := graph.Evidence{Node: rec.ID, Field: field, Value: raw}
	types := []string{resolvesTo}
	os := m.hosting(m.ix.ips[key])
	if len(os) == 0 && vercelIPs[key] {
		return m.vercelServing(rec, recEv, confARecord)
	}
	ts := m.targets(os, rec, types)
	conf := confARecord
	if m.ix.dnsIPs[key] >= 3 {
		conf = confARecordMny
	}
	if len(ts) > 1 {
		conf *= ambiguous
	}
	var out []resolution
	for _, t := range ts {
		out = append(out, resolution{to: t.node, via: t.via, conf: conf, ev: append([]graph.Evidence{recEv}, t.ev...), ip: key,
			why: fmt.Sprintf("points at %s, an IP of %s", raw, t.node.ID)})
	}
	return out
}

// hosting drops the owners of an IP that only borrow it from another owner: a Docker engine's
// host IP belongs to the droplet it may run on.
func (m *matcher) hosting(os []owner) []owner {
	if len(os) < 2 {
		return os
	}
	var out []owner
	for _, o := range os {
		ok := m.ix.kind(o.node)
		hosted := false
		if ok != nil && ok.runsOn {
			for _, other := range os {
				if other.node.ID != o.node.ID {
					if tk := m.ix.kind(other.node); tk != nil && m.ix.allowed(runsOn, ok.q, tk.q) {
						hosted = true
					}
				}
			}
		}
		if !hosted {
			out = append(out, o)
		}
	}
	return out
}

func (m *matcher) resolveHost(rec *graph.Node, field, raw string, depth int) []resolution {
	h := normHost(raw)
	if h == "" {
		return nil
	}
	recEv := graph.Evidence{Node: rec.ID, Field: field, Value: raw}
	types := []string{resolvesTo}
	if isVercelCNAME(h) {
		return m.vercelServing(rec, recEv, confCNAME)
	}
	var direct, records []owner
	for _, o := range m.ix.hosts[h] {
		if o.node.ID == rec.ID {
			continue
		}
		if ok := m.ix.kind(o.node); ok != nil && ok.resolver {
			records = append(records, o)
		} else {
			direct = append(direct, o)
		}
	}
	var out []resolution
	ts := m.targets(direct, rec, types)
	for _, t := range ts {
		conf := confCNAME
		if len(ts) > 1 {
			conf *= ambiguous
		}
		out = append(out, resolution{to: t.node, via: t.via, conf: conf, ev: append([]graph.Evidence{recEv}, t.ev...),
			why: fmt.Sprintf("is an alias of %s, which %s owns", h, t.node.ID)})
	}
	if len(out) > 0 {
		return out
	}
	for _, o := range records {
		for _, res := range m.resolve(o.node, depth+1) {
			out = append(out, resolution{to: res.to, via: append([]string{o.node.ID}, res.via...), conf: min(confCNAME, res.conf),
				ev:  append([]graph.Evidence{recEv, {Node: o.node.ID, Field: o.field, Value: o.value}}, res.ev...),
				why: fmt.Sprintf("is an alias of %s, whose record %s", h, res.why)})
		}
	}
	if len(out) > 0 {
		return out
	}
	if sm := supabaseHost.FindStringSubmatch(h); sm != nil {
		for _, t := range m.targets(m.ix.refs[sm[1]], rec, types) {
			out = append(out, resolution{to: t.node, via: t.via, conf: confCNAME, ev: append([]graph.Evidence{recEv}, t.ev...),
				why: fmt.Sprintf("is an alias of Supabase project ref %s", sm[1])})
		}
	}
	return out
}

// vercelServing finds the Vercel project that has the record's own name as a domain.
func (m *matcher) vercelServing(rec *graph.Node, recEv graph.Evidence, conf float64) []resolution {
	var out []resolution
	for _, a := range attrsOf(m.ix.plan(rec), true, schemas.TypeHost) {
		vals, _ := rec.AttrValues(a)
		for _, raw := range vals {
			var vercel []owner
			for _, o := range m.ix.hosts[normHost(raw)] {
				if ok := m.ix.kind(o.node); o.node.Provider == "vercel" && ok != nil && !ok.resolver {
					vercel = append(vercel, o)
				}
			}
			ts := m.targets(vercel, rec, []string{resolvesTo})
			for _, t := range ts {
				c := conf
				if len(ts) > 1 {
					c *= ambiguous
				}
				out = append(out, resolution{to: t.node, via: t.via, conf: c,
					ev:  append([]graph.Evidence{recEv, {Node: rec.ID, Field: a, Value: raw}}, t.ev...),
					why: fmt.Sprintf("points at Vercel (%s) and %s has the domain %s", recEv.Value, t.node.ID, raw)})
			}
		}
	}
	return out
}
