package llm

import (
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/infragraph/infragraph/graph"
)

// Personal data never reaches a prompt (issue #23), like secrets. Where it enters the graph:
//
//   - Vercel's personal scope: the team node of a user's own account (attrs personal=true) is
//     named after the user (username, else full name), and its slug is the username
//     (collectors/vercel: scopes).
//   - Odoo: a module's author (ir.module.module "author", a person for custom modules), a mail
//     server's smtp_user and from_filter and a fetchmail server's user (mailboxes: emails).
//   - Docker: image and container labels such as maintainer and org.opencontainers.image.authors
//     (names with emails).
//
// No collector stores Git commit authors (Vercel's deployment meta is read for the commit, ref
// and repository only) or Supabase members (no members endpoint is read); the rules below would
// catch them under an author/creator/email key if one ever did.
//
// Emails are caught by the redactor's "email" rule wherever they occur; names by key
// (PersonalKey) and, through Personal, as literal strings wherever the same name appears again
// (a project named after its owner).

// personalKeys are attribute names (the last dot-separated segment) whose values name people.
var personalKeys = map[string]bool{
	"author": true, "authors": true, "maintainer": true, "maintainers": true, "creator": true,
	"committer": true, "owner_name": true, "contact": true, "email": true, "emails": true,
	"username": false, // a database role (Supabase cron job), not a person
}

// PersonalKey reports whether an attribute named name holds a person's name or email.
func PersonalKey(name string) bool {
	name = strings.ToLower(name)
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return personalKeys[name] || strings.HasSuffix(name, "_email") || strings.HasSuffix(name, "_author")
}

// isPersonal reports whether n stands for a person: Vercel's personal scope.
func isPersonal(n graph.Node) bool {
	p, _ := n.Attrs["personal"].(bool)
	return p
}

// People are the names of the nodes that stand for a person: Names are replaced wherever they
// occur, Words (their words) when one stands alone as a candidate pair's shared token. A personal
// attribute's value (an author) is redacted by its key only, not everywhere: "Acme" authors a
// team's own Odoo modules, and "acme" in acme-coffee.com is evidence.
type People struct {
	Names []string
	Words []string
}

// Personal lists the personal names of g, sorted: the name and slug of every node that stands
// for a person.
func Personal(g *graph.Graph) People {
	names, words := map[string]bool{}, map[string]bool{}
	add := func(s string) {
		s = strings.ToLower(strings.TrimSpace(s))
		if len([]rune(s)) < 3 {
			return
		}
		names[s] = true
		for _, w := range strings.FieldsFunc(s, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) }) {
			if len([]rune(w)) >= 3 && !stop[w] {
				words[w] = true
			}
		}
	}
	for _, n := range g.Nodes() {
		if isPersonal(n) {
			add(n.Name)
			if s, ok := n.Attrs["slug"].(string); ok {
				add(s)
			}
		}
	}
	return People{Names: slices.Sorted(maps.Keys(names)), Words: slices.Sorted(maps.Keys(words))}
}

// WithPeople makes r replace every one of p's names (case-insensitive) with a ⟨pii:name:…⟩
// placeholder wherever it occurs, and a shared token that is one of p's words. It returns r.
func (r *Redactor) WithPeople(p People) *Redactor {
	r.words = map[string]bool{}
	for _, w := range p.Words {
		r.words[w] = true
	}
	if len(p.Names) == 0 {
		return r
	}
	sorted := append([]string(nil), p.Names...)
	sort.Slice(sorted, func(i, j int) bool { // longest first: "jane doe" before "jane"
		if len(sorted[i]) != len(sorted[j]) {
			return len(sorted[i]) > len(sorted[j])
		}
		return sorted[i] < sorted[j]
	})
	alts := make([]string, len(sorted))
	for i, n := range sorted {
		alts[i] = regexp.QuoteMeta(n)
	}
	r.people = regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))
	return r
}
