package llm

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// InferableTypes are the edge types the model may propose.
var InferableTypes = []string{"builds_from", "calls", "resolves_to", "runs_on", "sends_mail_via", "uses_database"}

// Pair is a candidate: two nodes of different providers that share evidence no rule settled.
type Pair struct {
	ID     string   `json:"pair_id"`
	A      string   `json:"a"`
	B      string   `json:"b"`
	Shared []string `json:"shared"`        // the tokens they share
	Types  []string `json:"allowed_types"` // inferable types the vocabulary allows in either direction
}

// skipCategories are kinds that only group others: never a dependency endpoint worth asking about.
var skipCategories = map[string]bool{"org": true}

// stop words: too generic to suggest a relationship.
var stop = map[string]bool{
	"the": true, "and": true, "com": true, "www": true, "http": true, "https": true, "app": true, "api": true,
	"web": true, "prod": true, "production": true, "staging": true, "dev": true, "main": true, "default": true,
	"url": true, "host": true, "port": true, "user": true, "key": true, "next": true, "public": true, "db": true,
	"net": true, "org": true, "io": true, "co": true, "vercel": true, "supabase": true, "docker": true, "odoo": false,
	"postgres": true, "postgresql": true, "database": true, "service": true, "server": true, "local": true, "v1": true,
}

// tokens returns the words that identify what a node is or names: host labels and registrable
// domains, name words, env-var key words, repository names.
func tokens(n graph.Node, v *schemas.Vocabulary) []string {
	set := map[string]bool{}
	addWords := func(s string) {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(w) >= 3 && !stop[w] && !isNumber(w) {
				set[w] = true
			}
		}
	}
	addHost := func(h string) {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		labels := strings.Split(h, ".")
		if len(labels) >= 2 {
			set[strings.Join(labels[len(labels)-2:], ".")] = true // registrable-ish domain
		}
		addWords(labels[0])
	}
	addWords(n.Name)
	k, _ := v.Kind(n.Provider, n.Kind)
	keys := n.Attrs.Keys()
	for _, typ := range []string{schemas.TypeHost, schemas.TypeURL} {
		for _, ident := range []bool{true, false} {
			for _, a := range k.AttrsOfType(ident, typ, keys) {
				vals, _ := n.AttrValues(a)
				for _, val := range vals {
					if typ == schemas.TypeURL {
						if i := strings.Index(val, "://"); i >= 0 {
							val = val[i+3:]
						}
						val = strings.SplitN(val, "/", 2)[0]
					}
					addHost(strings.SplitN(val, ":", 2)[0])
				}
			}
		}
	}
	for _, a := range []string{"key", "env_keys", "repo", "image", "framework"} {
		vals, _ := n.AttrValues(a)
		for _, val := range vals {
			addWords(strings.ReplaceAll(val, "_", " "))
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func isNumber(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// Candidates builds candidate pairs deterministically: nodes of different providers sharing at
// least one token, not already joined by an edge in either direction. Tokens shared by more than
// maxFanout nodes are too common to mean anything. Pairs are ranked by how much they share and
// capped at max.
func Candidates(g *graph.Graph, v *schemas.Vocabulary, max int) []Pair {
	const maxFanout = 12
	index := map[string][]string{}
	nodes := g.Nodes()
	for _, n := range nodes {
		k, ok := v.Kind(n.Provider, n.Kind)
		if !ok || skipCategories[k.Category] {
			continue
		}
		for _, t := range tokens(n, v) {
			index[t] = append(index[t], n.ID)
		}
	}
	type key struct{ a, b string }
	shared := map[key][]string{}
	toks := make([]string, 0, len(index))
	for t := range index {
		toks = append(toks, t)
	}
	sort.Strings(toks)
	for _, t := range toks {
		ids := index[t]
		if len(ids) < 2 || len(ids) > maxFanout {
			continue
		}
		for i := 0; i < len(ids); i++ {
			for j := i + 1; j < len(ids); j++ {
				a, b := ids[i], ids[j]
				pa, _, _, _ := graph.ParseID(a)
				pb, _, _, _ := graph.ParseID(b)
				if pa == pb || connected(g, a, b) {
					continue
				}
				shared[key{a, b}] = append(shared[key{a, b}], t)
			}
		}
	}
	pairs := make([]Pair, 0, len(shared))
	for k, ts := range shared {
		types := allowedTypes(g, v, k.a, k.b)
		if len(types) == 0 {
			continue
		}
		pairs = append(pairs, Pair{A: k.a, B: k.b, Shared: ts, Types: types})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if len(pairs[i].Shared) != len(pairs[j].Shared) {
			return len(pairs[i].Shared) > len(pairs[j].Shared)
		}
		if pairs[i].A != pairs[j].A {
			return pairs[i].A < pairs[j].A
		}
		return pairs[i].B < pairs[j].B
	})
	if max > 0 && len(pairs) > max {
		pairs = pairs[:max]
	}
	for i := range pairs {
		pairs[i].ID = fmt.Sprintf("p%d", i+1)
	}
	return pairs
}

func connected(g *graph.Graph, a, b string) bool {
	for _, e := range g.Out(a) {
		if e.To == b {
			return true
		}
	}
	for _, e := range g.In(a) {
		if e.From == b {
			return true
		}
	}
	return false
}

func allowedTypes(g *graph.Graph, v *schemas.Vocabulary, a, b string) []string {
	na, _ := g.Node(a)
	nb, _ := g.Node(b)
	qa, qb := na.Provider+":"+na.Kind, nb.Provider+":"+nb.Kind
	var out []string
	for _, t := range InferableTypes {
		if v.EdgeAllowed(t, qa, qb) || v.EdgeAllowed(t, qb, qa) {
			out = append(out, t)
		}
	}
	return out
}

// Card is a compact, redacted description of a node for the prompt.
type Card struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Provider string            `json:"provider"`
	Name     string            `json:"name"`
	Attrs    map[string]string `json:"attrs,omitempty"`
}

// card builds n's card: every attribute, redacted, lists joined, long values cut.
func card(n graph.Node, r *Redactor) Card {
	c := Card{ID: n.ID, Kind: n.Kind, Provider: n.Provider, Name: r.String(n.Name), Attrs: map[string]string{}}
	keys := n.Attrs.Keys()
	if len(keys) > 40 {
		keys = keys[:40]
	}
	for _, k := range keys {
		vals, _ := n.AttrValues(k)
		if len(vals) > 12 {
			vals = vals[:12]
		}
		s := strings.Join(vals, ", ")
		if r := []rune(s); len(r) > 300 {
			s = string(r[:300]) + "…"
		}
		c.Attrs[k] = r.Attr(k, s)
	}
	if len(c.Attrs) == 0 {
		c.Attrs = nil
	}
	return c
}
