package query

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// ResolveIn is Resolve among the nodes of provider ("" for every node). A reference written
// "provider:ref" (supabase:acme-prod) is resolved among that provider's nodes, unless it is a
// full id.
func ResolveIn(g *graph.Graph, ref, provider string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", fmt.Errorf("empty node reference")
	}
	if n, ok := g.Node(ref); ok && (provider == "" || strings.EqualFold(n.Provider, provider)) {
		return ref, nil
	}
	nodes := g.Nodes()
	if provider == "" {
		if p, rest, ok := strings.Cut(ref, ":"); ok && rest != "" && hasProvider(nodes, p) {
			if id, err := resolveAmong(ofProvider(nodes, p), rest); err == nil || !isNotFound(err) {
				return id, err
			}
		}
		return resolveAmong(nodes, ref)
	}
	if !hasProvider(nodes, provider) {
		return "", fmt.Errorf("no node of provider %q%s", provider, didYouMean(provider, Providers(nodes)))
	}
	return resolveAmong(ofProvider(nodes, provider), ref)
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func hasProvider(nodes []graph.Node, p string) bool {
	for _, n := range nodes {
		if strings.EqualFold(n.Provider, p) {
			return true
		}
	}
	return false
}

func ofProvider(nodes []graph.Node, p string) []graph.Node {
	var out []graph.Node
	for _, n := range nodes {
		if strings.EqualFold(n.Provider, p) {
			out = append(out, n)
		}
	}
	return out
}

// Providers returns the providers the graph's nodes belong to, sorted.
func Providers(nodes []graph.Node) []string {
	return distinct(nodes, func(n graph.Node) string { return n.Provider })
}

func distinct(nodes []graph.Node, key func(graph.Node) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range nodes {
		if k := key(n); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// nodeWords are what a reference is matched against: names, and the last segment of ids.
func nodeWords(nodes []graph.Node) []string {
	return distinct(nodes, func(n graph.Node) string { return n.Name })
}

// didYouMean is " (did you mean a, b?)" with the candidates closest to word, or "" for none.
func didYouMean(word string, candidates []string) string {
	s := suggest(word, candidates, 3)
	if len(s) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(s, ", ") + "?)"
}

func suggest(word string, candidates []string, max int) []string {
	w := strings.ToLower(word)
	limit := len(w) / 3
	if limit < 2 {
		limit = 2
	}
	type scored struct {
		s string
		d int
	}
	var hits []scored
	for _, c := range candidates {
		d := distance(w, strings.ToLower(c))
		if d <= limit || (len(w) >= 3 && strings.Contains(strings.ToLower(c), w)) {
			hits = append(hits, scored{c, d})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].d != hits[j].d {
			return hits[i].d < hits[j].d
		}
		return hits[i].s < hits[j].s
	})
	var out []string
	for _, h := range hits {
		if len(out) == max {
			break
		}
		out = append(out, h.s)
	}
	return out
}

// distance is the Levenshtein distance between a and b (bytes).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ErrUnknown is a filter naming a kind or provider that neither the vocabulary nor the graph
// knows: a typo, not an empty answer.
var ErrUnknown = errors.New("unknown")

// checkFilter rejects a kind or provider no vocabulary entry and no node has, with the closest
// known ones.
func checkFilter(g *graph.Graph, f Filter) error {
	if f.Kind == "" && f.Provider == "" {
		return nil
	}
	nodes := g.Nodes()
	providers, kinds := map[string]bool{}, map[string]bool{}
	for _, p := range Providers(nodes) {
		providers[p] = true
	}
	for _, n := range nodes {
		kinds[n.Kind], kinds[n.Provider+":"+n.Kind] = true, true
	}
	if v, err := schemas.Load(); err == nil {
		for _, k := range v.SortedKinds() {
			providers[k.Provider], kinds[k.Name], kinds[k.Qualified()] = true, true, true
		}
	}
	keys := func(m map[string]bool, qualified bool) []string {
		var out []string
		for k := range m {
			if strings.Contains(k, ":") == qualified {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	if p := strings.ToLower(f.Provider); p != "" && !providers[p] {
		return fmt.Errorf("%w provider %q%s", ErrUnknown, f.Provider, didYouMean(f.Provider, keys(providers, false)))
	}
	if k := strings.ToLower(f.Kind); k != "" && !kinds[k] {
		return fmt.Errorf("%w kind %q%s", ErrUnknown, f.Kind, didYouMean(f.Kind, keys(kinds, strings.Contains(k, ":"))))
	}
	return nil
}
