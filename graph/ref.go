package graph

import (
	"maps"
	"slices"
)

// Ref is a reference a node holds to something elsewhere, as its collector read it: the
// non-secret facts of a URL, a connection string or a host (evidence.Facts gives them). Never a
// password or a token: only what the evidence package derived.
//
// A collector records a Ref once, as an attribute whose key is the prefix of the attributes
// graph.json carries it as (Attrs{"value.": ref} gives value.scheme, value.host, value.port,
// value.database, value.user, value.path, value.url; Attrs{"smtp_": ref} gives smtp_host,
// smtp_port, smtp_user). Normalize writes those attributes and keeps the typed value in
// Node.Refs, so the rules read a Ref, not strings parsed back. A node read from graph.json has
// the attributes only: RefAt assembles the same Ref from them.
type Ref struct {
	Scheme   string
	Host     string // normalised: lower case, no trailing dot, IDNA A-label, no port; or an IP
	Port     int64
	Database string
	User     string
	Path     string
	// URL is the reference as a URL, scheme://host[:port]/path (no userinfo, no query), for one
	// read from a URL or a connection string; empty for a host and a port read apart.
	URL string
}

// put writes r's facts as flat attributes under prefix; empty facts are left out.
func (r Ref) put(prefix string, a Attrs) {
	if r.Host == "" {
		return
	}
	for _, kv := range [...]struct{ k, v string }{{"scheme", r.Scheme}, {"host", r.Host}, {"database", r.Database}, {"user", r.User}, {"path", r.Path}, {"url", r.URL}} {
		if kv.v != "" {
			a[prefix+kv.k] = kv.v
		}
	}
	if r.Port != 0 {
		a[prefix+"port"] = r.Port
	}
}

// RefAt returns the reference whose attributes share prefix ("value." for value.host, "smtp_"
// for smtp_host, "" for host): the one the collector recorded (Refs), else, for a node read from
// graph.json or built without one, the Ref those attributes spell. ok is false when the node has
// neither a Ref nor a host or URL attribute under prefix.
func (n Node) RefAt(prefix string) (r Ref, recorded, ok bool) {
	if r, ok := n.Refs[prefix]; ok {
		return r, true, true
	}
	s := func(k string) string { v, _ := n.Attrs[prefix+k].(string); return v }
	r = Ref{Scheme: s("scheme"), Host: s("host"), Database: s("database"), User: s("user"), Path: s("path"), URL: s("url")}
	r.Port, _ = n.Attrs[prefix+"port"].(int64)
	return r, false, r.Host != "" || r.URL != ""
}

// Normalize normalises the node's attributes (NormalizeAttrs) and moves each recorded Ref from
// its attribute to Refs, writing its facts as the attributes graph.json carries (they win over a
// plain attribute of the same name: the Ref is what the collector read).
func (n *Node) Normalize() {
	cloned := false
	a := normalizeAttrs(n.Attrs, func(k string, r Ref) {
		if r.Host == "" {
			return
		}
		if !cloned { // never write to a map a copy of the node shares
			n.Refs, cloned = maps.Clone(n.Refs), true
			if n.Refs == nil {
				n.Refs = map[string]Ref{}
			}
		}
		n.Refs[k] = r
	})
	if len(n.Refs) > 0 {
		for _, k := range slices.Sorted(maps.Keys(n.Refs)) {
			if a == nil {
				a = Attrs{}
			}
			n.Refs[k].put(k, a)
		}
	}
	n.Attrs = a
}
