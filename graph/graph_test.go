package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func n(id string) Node {
	p, k, _, _ := ParseID(id)
	return Node{ID: id, Provider: p, Kind: k, Name: id}
}

func build(t *testing.T, ids []string, edges [][3]string) *Graph {
	t.Helper()
	g := New()
	for _, id := range ids {
		if err := g.AddNode(n(id)); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range edges {
		if err := g.AddEdge(Observe(e[0], e[2], e[1])); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func TestIDs(t *testing.T) {
	if got := ID("supabase", "table", "abc/public.orders"); got != "supabase:table:abc/public.orders" {
		t.Error(got)
	}
	p, k, native, err := ParseID("external:host:api.stripe.com")
	if err != nil || p != "external" || k != "host" || native != "api.stripe.com" {
		t.Error(p, k, native, err)
	}
	// native ids may contain colons (ipv6, urls)
	if _, _, native, _ := ParseID("external:ip:2001:db8::1"); native != "2001:db8::1" {
		t.Error(native)
	}
	for _, bad := range []string{"", "a", "a:b", "a::c", ":b:c"} {
		if _, _, _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
	if err := (Node{ID: "a:b:c", Provider: "a", Kind: "x"}).Validate(); !errors.Is(err, ErrBadNode) {
		t.Error("kind mismatch accepted")
	}
}

func TestAddNodeMerges(t *testing.T) {
	g := New()
	g.AddNode(Node{ID: "git:repo:r", Provider: "git", Kind: "repo", Attrs: Attrs{"a": "1", "n": 2}})
	g.AddNode(Node{ID: "git:repo:r", Provider: "git", Kind: "repo", Name: "r", Attrs: Attrs{"a": "other", "b": []string{"y", "x", "x"}}})
	got, _ := g.Node("git:repo:r")
	want := Attrs{"a": "1", "n": int64(2), "b": []string{"x", "y"}}
	if got.Name != "r" || !reflect.DeepEqual(got.Attrs, want) {
		t.Errorf("merged %+v", got)
	}
}

func TestAddEdge(t *testing.T) {
	g := build(t, []string{"a:x:1", "a:x:2"}, nil)
	if err := g.AddEdge(Observe("a:x:1", "a:x:3", "calls")); !errors.Is(err, ErrNodeNotFound) {
		t.Errorf("dangling edge: %v", err)
	}
	if err := g.AddEdge(Edge{From: "a:x:1", To: "a:x:2", Type: "calls", Origin: Rule, Confidence: 2}); err == nil {
		t.Error("confidence 2 accepted")
	}
	g.AddEdge(Edge{From: "a:x:1", To: "a:x:2", Type: "calls", Origin: LLM, Confidence: 0.6, Evidence: []Evidence{{Node: "a:x:2", Field: "f", Value: "v"}}})
	g.AddEdge(Edge{From: "a:x:1", To: "a:x:2", Type: "calls", Origin: Rule, Confidence: 0.9, Evidence: []Evidence{{Node: "a:x:1", Field: "f", Value: "w"}, {Node: "a:x:2", Field: "f", Value: "v"}}})
	e, _ := g.Edge(EdgeKey{From: "a:x:1", To: "a:x:2", Type: "calls"})
	if e.Confidence != 0.9 || e.Origin != Rule || !reflect.DeepEqual(e.Origins, []Origin{Rule, LLM}) || len(e.Evidence) != 2 {
		t.Errorf("merged edge %+v", e)
	}
	g.AddEdge(Observe("a:x:1", "a:x:2", "calls"))
	e, _ = g.Edge(EdgeKey{From: "a:x:1", To: "a:x:2", Type: "calls"})
	if e.Origin != Observed || e.Confidence != 1 || len(e.Origins) != 3 {
		t.Errorf("observed should lead: %+v", e)
	}
}

func TestTraversal(t *testing.T) {
	// app -> db, app -> cache, db -> disk, web -> app; island alone
	g := build(t, []string{"p:k:app", "p:k:db", "p:k:cache", "p:k:disk", "p:k:web", "p:k:island"}, [][3]string{
		{"p:k:app", "uses", "p:k:db"}, {"p:k:app", "uses", "p:k:cache"}, {"p:k:db", "mounts", "p:k:disk"}, {"p:k:web", "calls", "p:k:app"},
	})
	deps, _ := g.Reach("p:k:app", true, 0, nil)
	if ids(deps) != "p:k:cache,p:k:db,p:k:disk" || deps[2].Distance != 2 {
		t.Errorf("deps %v", deps)
	}
	one, _ := g.Reach("p:k:app", true, 1, nil)
	if ids(one) != "p:k:cache,p:k:db" {
		t.Errorf("depth 1 %v", one)
	}
	noMount, _ := g.Reach("p:k:app", true, 0, func(e Edge) bool { return e.Type != "mounts" })
	if ids(noMount) != "p:k:cache,p:k:db" {
		t.Errorf("filtered %v", noMount)
	}
	impact, _ := g.Reach("p:k:disk", false, 0, nil)
	if ids(impact) != "p:k:db,p:k:app,p:k:web" {
		t.Errorf("impact %v", impact)
	}
	if _, err := g.Reach("p:k:nope", true, 0, nil); !errors.Is(err, ErrNodeNotFound) {
		t.Error(err)
	}
	if c := g.RestoreOrder(nil).Cycles(); len(c) != 0 {
		t.Errorf("cycles %v", c)
	}
	g.AddEdge(Observe("p:k:disk", "p:k:web", "calls"))
	if c := g.RestoreOrder(nil).Cycles(); len(c) != 1 || len(c[0]) != 4 {
		t.Errorf("cycle %v", c)
	}
	g.RemoveNode("p:k:db")
	if r, _ := g.Reach("p:k:web", true, 0, nil); ids(r) != "p:k:app,p:k:cache" || len(g.In("p:k:disk")) != 0 {
		t.Error("RemoveNode left edges")
	}
}

func ids(rs []Reached) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.ID)
	}
	return strings.Join(s, ",")
}

func TestEncodeDecodeDeterministic(t *testing.T) {
	g := build(t, []string{"p:k:b", "p:k:a", "p:k:c"}, [][3]string{{"p:k:b", "x", "p:k:a"}, {"p:k:a", "x", "p:k:c"}})
	g.NodePtr("p:k:a").Attrs = Attrs{"z": "1", "a": []string{"q"}, "f": 0.5}
	var a, b bytes.Buffer
	Encode(&a, g)
	g2, err := Decode(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	Encode(&b, g2)
	Encode(&b, g2.Clone())
	if a.String()+a.String() != b.String() {
		t.Errorf("not stable:\n%s\n%s", a.String(), b.String())
	}
	if !strings.Contains(a.String(), `"id": "p:k:a"`) || strings.Index(a.String(), `"p:k:a"`) > strings.Index(a.String(), `"p:k:b"`) {
		t.Error("nodes not sorted")
	}
	if _, err := Decode(strings.NewReader(`{"nodes":[],"edges":[{"from":"a:b:c","to":"a:b:d","type":"x","origin":"observed","confidence":1}]}`)); err == nil {
		t.Error("dangling edge decoded")
	}
}

func TestAttrValues(t *testing.T) {
	nd := Node{Attrs: NormalizeAttrs(Attrs{"s": "x", "l": []string{"b", "a"}, "i": 5, "b": true, "f": 1.5, "empty": "", "nil": nil})}
	for f, want := range map[string]string{"s": "x", "l": "a,b", "i": "5", "b": "true", "f": "1.5"} {
		v, ok := nd.AttrValues(f)
		if !ok || strings.Join(v, ",") != want {
			t.Errorf("%s: %v %v", f, v, ok)
		}
	}
	if _, ok := nd.AttrValues("empty"); ok {
		t.Error("empty string kept")
	}
}

// Encode streams, but must write exactly what encoding/json writes for the whole document.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	g := build(t, []string{"p:k:b", "p:k:a", "p:k:c"}, [][3]string{{"p:k:b", "x", "p:k:a"}, {"p:k:a", "x", "p:k:c"}})
	g.NodePtr("p:k:a").Attrs = Attrs{"z": "<&>", "a": []string{"q"}, "f": 0.5, "n": int64(3), "b": true}
	g.NodePtr("p:k:b").Stale, g.NodePtr("p:k:b").StaleSince = true, "2026-11-21T06:00:00Z"
	g.Scan = ScanInfo{ID: "x", Enrichment: map[string]any{"rules.proposed": 3, "note": "a <b>"}, Changes: &ChangeSummary{Since: "y", Highlights: []string{"h"}}}
	g.Collectors = []CollectorStatus{{Provider: "p", Instance: "i", Status: StatusOK, Warnings: []string{"w"}}}
	// every value type and every escape encoding/json makes: the streamed writer formats these
	// itself, and must not differ by a byte
	odd := "q\"\\/\b\f\n\r\t\x00\x1f\x7f<>&\u2028\u2029é😀\xff\xc3"
	g.NodePtr("p:k:c").Attrs = Attrs{
		odd: odd, "list": []string{odd, "", "b"}, "empty": []string{}, "nil": []string(nil),
		"f1": 1e-7, "f2": 1e21, "f3": -123456789.125, "f4": 0.0, "f5": 1e20, "f6": -2.5e-9,
		"i": int64(-42), "no": false, "int": 7, "map": map[string]any{"b": 1, "a": []any{"x", 2.5}},
		"any": []any{"x", 1}, "u": uint8(3),
	}
	g.NodePtr("p:k:c").Source, g.NodePtr("p:k:c").FirstSeen, g.NodePtr("p:k:c").LastSeen, g.NodePtr("p:k:c").Name = "s/"+odd, "f", "l", ""
	ek := EdgeKey{From: "p:k:a", To: "p:k:c", Type: "x"}
	e := g.EdgePtr(ek)
	e.Origins = []Origin{Observed, Rule}
	e.Confidence = 0.875
	e.Evidence = []Evidence{{Node: "p:k:a", Field: odd, Value: "v<"}, {Node: "p:k:c", Field: "g", Value: ""}}
	e.Via = []string{"p:k:b", odd}
	e.Source, e.FirstSeen, e.LastSeen, e.Stale, e.StaleSince = "src", "1", "2", true, "3"
	for _, gr := range []*Graph{g, New()} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(gr.Document()); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := Encode(&got, gr); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("streamed encoding differs:\n%s\n---\n%s", got.String(), want.String())
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	g := New()
	for i := 0; i < 20000; i++ {
		id := ID("p", "k", strconv.Itoa(i))
		g.AddNode(Node{ID: id, Provider: "p", Kind: "k", Name: id, Attrs: Attrs{"host": "h" + strconv.Itoa(i) + ".example.com", "n": i}})
		if i > 0 {
			g.AddEdge(Observe(id, ID("p", "k", strconv.Itoa(i-1)), "x"))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Encode(io.Discard, g); err != nil {
			b.Fatal(err)
		}
	}
}
