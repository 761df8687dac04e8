package render

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/query"
)

// chainEstate is a long dependency chain and what interrupts one: n Vercel projects each calling
// the one before; Supabase projects each running on the one before (what a deletion destroys
// carries along a runs_on chain); a deployment of q that uses one of them, with q calling its
// own deployment (a chain step into a system that also breaks further on), and one of z whose
// system breaks only past the first eight (a digest cannot say: a walk); a cycle (p[n-10]
// calls p[n-5]); a project with a part that calls too; a rebuild.
func chainEstate(t *testing.T, n int) *graph.Graph {
	b := newBuilder(t)
	p := func(i int) string { return fmt.Sprintf("vercel:project:p%05d", i) }
	for i := range n {
		b.node("vercel/a", p(i), fmt.Sprintf("shop-%05d", i), nil)
		if i > 0 {
			b.observe(p(i), p(i-1), "calls")
		}
	}
	s := func(i int) string { return fmt.Sprintf("supabase:project:s%03d", i) }
	for i := range 30 {
		b.node("supabase/x", s(i), fmt.Sprintf("db-%03d", i), nil)
		if i > 0 {
			b.observe(s(i), s(i-1), "runs_on")
		}
	}
	b.observe(p(0), s(29), "uses_database")
	b.node("vercel/a", "vercel:project:q", "q", nil)
	b.node("vercel/a", "vercel:deployment:dq", "dq", nil)
	b.observe("vercel:project:q", "vercel:deployment:dq", "contains")
	b.observe("vercel:project:q", "vercel:deployment:dq", "calls")
	b.node("supabase/x", "supabase:project:t", "t", nil)
	b.observe("vercel:deployment:dq", "supabase:project:t", "uses_database")
	for i := range 4 { // more of q's members break with dq, and ten callers of q
		d := b.node("vercel/a", fmt.Sprintf("vercel:deployment:dq%d", i), fmt.Sprintf("dq%d", i), nil)
		b.observe("vercel:project:q", d, "contains")
		b.observe(d, "vercel:deployment:dq", "calls")
	}
	for i := range 10 {
		b.observe(b.node("vercel/a", fmt.Sprintf("vercel:project:cq%d", i), fmt.Sprintf("cq%d", i), nil), "vercel:project:q", "calls")
	}
	// a deployment of z (z's only one) that ten projects call, the last of them called by z: z
	// breaks with its deployment, eleventh, past the first eight systems
	b.node("vercel/a", "vercel:project:z", "z", nil)
	b.node("vercel/a", "vercel:deployment:dz", "dz", nil)
	b.observe("vercel:project:z", "vercel:deployment:dz", "contains")
	for i := range 10 {
		b.observe(b.node("vercel/a", fmt.Sprintf("vercel:project:cz%d", i), fmt.Sprintf("cz%d", i), nil), "vercel:deployment:dz", "calls")
	}
	b.observe("vercel:project:z", "vercel:project:cz9", "calls")
	b.node("supabase/x", "supabase:project:tz", "tz", nil)
	b.observe("vercel:deployment:dz", "supabase:project:tz", "uses_database")
	b.observe(p(n-10), p(n-5), "calls")
	b.node("vercel/a", "vercel:deployment:d30", "d30", nil)
	b.observe(p(30), "vercel:deployment:d30", "contains")
	b.observe("vercel:deployment:d30", p(29), "calls")
	b.node("git/g", "git:repo:r", "r", nil)
	b.observe(p(10), "git:repo:r", "builds_from")
	return b.g
}

// TestChainInfra: INFRA.md of a long chain, whose impact digests are derived along the chain
// (query.ImpactIndex.Chain), is the document every digest made by a walk gives, and its blast
// radii are query's.
func TestChainInfra(t *testing.T) {
	for name, g := range map[string]*graph.Graph{"chain": chainEstate(t, 400), "small": acme(t), "large": large(t, 12, 300)} {
		render := func(walkAll bool) (string, *model) {
			m, err := newModel(g)
			if err != nil {
				t.Fatal(err)
			}
			m.walkAll = walkAll
			return m.infra().String(), m
		}
		got, m := render(false)
		want, _ := render(true)
		if got != want {
			a, b := strings.Split(got, "\n"), strings.Split(want, "\n")
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("%s: line %d differs from the walks':\n%s\n%s", name, i+1, a[i], b[i])
				}
			}
			t.Fatalf("%s: %d lines, the walks' %d", name, len(a), len(b))
		}
		derived := 0
		radius := regexp.MustCompile("^\n`[^`]*`[^\n]* · blast radius ([0-9]+)")
		for _, v := range m.systems {
			if _, _, ok := m.impacts().Chain(v); ok {
				derived++
			}
			r, _ := query.BlastRadius(g, m.id(v))
			if !strings.Contains(got, "\n`"+m.id(v)+"` · ") || !radius.MatchString(got[strings.Index(got, "\n`"+m.id(v)+"` · "):]) || radius.FindStringSubmatch(got[strings.Index(got, "\n`"+m.id(v)+"` · "):])[1] != fmt.Sprint(r) {
				t.Errorf("%s: %s's section does not give blast radius %d", name, m.id(v), r)
			}
		}
		// the critical table's systems that break: what a walk of every node gives
		slugs := m.slugs(m.systems)
		for v := range int32(len(m.nodes)) {
			var want []string
			seen := map[int32]bool{m.rep[v]: true}
			for _, h := range m.impacts().BreaksOf(v) {
				if r := m.rep[h]; !seen[r] {
					seen[r] = true
					want = append(want, m.ref(r, slugs))
				}
			}
			if first, n := m.brokenSystems(v, slugs); joinCount(first, n, 4) != joinN(want, 4) {
				t.Errorf("%s: %s breaks %s, want %s", name, m.id(v), joinCount(first, n, 4), joinN(want, 4))
			}
		}
		if name == "chain" && derived < 350 {
			t.Errorf("only %d systems continue a chain", derived)
		}
	}
	// the chain's first project: everything above it breaks, the systems past the first eight counted
	doc := renderBytes(t, Infra(InfraOptions{}), chainEstate(t, 400))
	if !strings.Contains(string(doc), "and 391 more (`discover query impact vercel:project:p00000` lists them all)") {
		t.Error("p00000's breaks do not count the 391 systems past the first eight")
	}
	if !strings.Contains(string(doc), "- **Holds data**: deleting it destroys db-000 (supabase project), used by db-001, db-001 (supabase project), used by db-002, ") ||
		!strings.Contains(string(doc), "db-007 (supabase project), used by db-008 and 22 more\n") {
		t.Error("s000's deletion does not destroy the 29 databases running on it, the first 8 named")
	}
}
