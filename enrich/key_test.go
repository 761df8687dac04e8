package enrich

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas/schemastest"
)

// TestCanonIPIsString: the key an IP identity is indexed by is ip.String() of the parsed and
// unmapped address, whether or not it is the raw value itself.
func TestCanonIPIsString(t *testing.T) {
	raws := []string{"10.0.0.1", " 10.0.0.1", "10.0.0.1 ", "::ffff:1.2.3.4", "::ffff:10.0.0.1", "1.2.3.4",
		"2001:db8::1", "2001:DB8::1", "fe80::1%eth0", "0:0:0:0:0:ffff:102:304", "255.255.255.255"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		raws = append(raws, strconv.Itoa(r.IntN(256))+"."+strconv.Itoa(r.IntN(256))+"."+strconv.Itoa(r.IntN(256))+"."+strconv.Itoa(r.IntN(256)))
	}
	for _, raw := range raws {
		ip, err := netip.ParseAddr(trim(raw))
		if err != nil {
			continue
		}
		ip = ip.Unmap()
		if got, want := canonIP(raw, ip), ip.String(); got != want {
			t.Errorf("canonIP(%q) = %q, want %q", raw, got, want)
		}
	}
}

func trim(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// TestOutKeyIsEdgeKey: two candidates share a proposal exactly when their edges have the same
// key (from, to, type), ends held by the graph or not, and a node made apart from the graph with
// the id of one of its nodes keys as that node.
func TestOutKeyIsEdgeKey(t *testing.T) {
	g := graph.New()
	ids := []string{"a:x:1", "a:x:2", "a:x:3", "external:host:h.example.com"}
	for _, id := range ids {
		p, rest, _ := strings.Cut(id, ":")
		k, _, _ := strings.Cut(rest, ":")
		must(t, g.AddNode(graph.Node{ID: id, Provider: p, Kind: k}))
	}
	m := &matcher{ix: buildIndex(g, schemastest.Vocabulary()), typs: map[string]int32{}}
	var ends []*graph.Node
	for _, id := range ids {
		ends = append(ends, g.NodePtr(id))
	}
	// apart from the graph: one with a graph node's id, two with ids the graph does not hold
	ends = append(ends, &graph.Node{ID: ids[3]}, &graph.Node{ID: "external:host:o.example.com"},
		&graph.Node{ID: "external:host:p.example.com"}, &graph.Node{ID: "external:host:o.example.com"})
	for _, a := range ends {
		for _, b := range ends {
			for _, c := range ends {
				for _, d := range ends {
					for _, t1 := range []string{"calls", "reads_from"} {
						for _, t2 := range []string{"calls", "reads_from"} {
							same := m.key(a, b, t1) == m.key(c, d, t2)
							want := (graph.EdgeKey{From: a.ID, To: b.ID, Type: t1}) == (graph.EdgeKey{From: c.ID, To: d.ID, Type: t2})
							if same != want {
								t.Fatalf("%s->%s %s and %s->%s %s: same key %v, want %v", a.ID, b.ID, t1, c.ID, d.ID, t2, same, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestOccursInIsOccurs: the shortcut for a value quoted as it occurs answers as occurs does.
func TestOccursInIsOccurs(t *testing.T) {
	vals := []string{"", " ", "db", "true", "TRUE", "undefined", "Undefined", "undefined1", " undefined ",
		"db.example.com", " db.example.com", "db.example.com ", "DB.Example.com", "https://", "https://db.example.com/x",
		"acme_prod", "postgres://u@db.internal:5432/app", "none", "nonexistent", "null\t", "abcdefghijklmnopqrst"}
	for _, a := range vals {
		for _, b := range vals {
			if got, want := occursIn(a, b), occurs(a, []string{b}); got != want {
				t.Errorf("occursIn(%q, %q) = %v, occurs says %v", a, b, got, want)
			}
		}
	}
}

// TestSortEvidenceIsGraphs: the small-list sort gives what graph.SortEvidence gives, duplicates
// dropped, for lists of every length up to beyond the cut-off.
func TestSortEvidenceIsGraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	for range 20000 {
		ev := make([]graph.Evidence, r.IntN(12))
		for i := range ev {
			ev[i] = graph.Evidence{Node: pick("a:x:1", "a:x:2", "b:y:1"), Field: pick("host", "url", ""), Value: pick("db", "DB", "x.example.com")}
		}
		want := graph.SortEvidence(append([]graph.Evidence(nil), ev...))
		got := sortEvidence(append([]graph.Evidence(nil), ev...))
		if !slices.Equal(got, want) {
			t.Fatalf("sortEvidence(%v) = %v, want %v", ev, got, want)
		}
	}
}
