package graph

import (
	"fmt"
	"maps"
	"math/rand"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// referenceNormalizeAttrs is NormalizeAttrs as it was before it copied the map and replaced only
// what is not normal: a new map, every value converted one by one.
func referenceNormalizeAttrs(a Attrs) Attrs {
	if len(a) == 0 {
		return nil
	}
	out := make(Attrs, len(a))
	clean := func(in []string) []string {
		out := make([]string, 0, len(in))
		seen := map[string]bool{}
		for _, s := range in {
			if s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		sort.Strings(out)
		return out
	}
	for k, v := range a {
		switch x := v.(type) {
		case nil, Ref:
		case string:
			if x != "" {
				out[k] = x
			}
		case bool:
			out[k] = x
		case int:
			out[k] = int64(x)
		case int32:
			out[k] = int64(x)
		case int64:
			out[k] = x
		case uint16:
			out[k] = int64(x)
		case uint32:
			out[k] = int64(x)
		case uint64:
			out[k] = int64(x)
		case float32:
			out[k] = float64(x)
		case float64:
			if x == float64(int64(x)) {
				out[k] = int64(x)
			} else {
				out[k] = x
			}
		case []string:
			if s := clean(x); len(s) > 0 {
				out[k] = s
			}
		case []any:
			ss := make([]string, 0, len(x))
			for _, e := range x {
				ss = append(ss, fmt.Sprint(e))
			}
			if s := clean(ss); len(s) > 0 {
				out[k] = s
			}
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// referenceNormalize is Node.Normalize as it was before it found the Refs in NormalizeAttrs' pass.
func referenceNormalize(n *Node) {
	cloned := false
	for k, v := range n.Attrs {
		if r, ok := v.(Ref); ok && r.Host != "" {
			if !cloned {
				n.Refs, cloned = maps.Clone(n.Refs), true
				if n.Refs == nil {
					n.Refs = map[string]Ref{}
				}
			}
			n.Refs[k] = r
		}
	}
	a := referenceNormalizeAttrs(n.Attrs)
	for _, k := range slices.Sorted(maps.Keys(n.Refs)) {
		if a == nil {
			a = Attrs{}
		}
		n.Refs[k].put(k, a)
	}
	n.Attrs = a
}

// NormalizeAttrs and Node.Normalize give what they gave when NormalizeAttrs rebuilt every value
// and Normalize looked for Refs in a pass of its own (referenceNormalizeAttrs,
// referenceNormalize), and the node stored gets a map of its own, also when its attributes were
// normal already (copied, not rebuilt).
func TestNormalizeAsBefore(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	values := []any{"", "x", true, int64(3), 3, int32(2), 2.5, 2.0, float32(1.5), nil, Ref{Host: "h"}, Ref{Host: "db", Port: 5432, User: "u"}, Ref{},
		[]string{}, []string{"a"}, []string{"a", "b"}, []string{"b", "a"}, []string{"a", "a"}, []string{"", "a"}, []string{"b", "", "b"}, []any{"a"}, []any{"b", 1, "a", "", nil}, []any{}, uint16(1), int32(-4), uint64(9), uint32(3), float32(2), struct{ X int }{1}}
	normal := 0
	for i := 0; i < 2000; i++ {
		a := Attrs{}
		for k := r.Intn(4); k > 0; k-- {
			a[fmt.Sprint("k", r.Intn(5))] = values[r.Intn(len(values))]
		}
		want := referenceNormalizeAttrs(a)
		if got := NormalizeAttrs(a); !reflect.DeepEqual(got, want) {
			t.Fatalf("NormalizeAttrs(%#v) = %#v, want %#v", a, got, want)
		}
		if reflect.DeepEqual(want, a) {
			normal++
		}
		n := Node{ID: "a:x:1", Provider: "a", Kind: "x", Attrs: a}
		if r.Intn(4) == 0 {
			n.Refs = map[string]Ref{"k1": {Host: "old", Port: 1}}
		}
		ref := n
		ref.Attrs = maps.Clone(a)
		referenceNormalize(&ref)
		norm := n
		norm.Normalize()
		if !reflect.DeepEqual(norm, ref) {
			t.Fatalf("Normalize(%#v) = %#v, want %#v", n, norm, ref)
		}
		g := New()
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
		got := g.NodePtr("a:x:1")
		if !reflect.DeepEqual(*got, ref) {
			t.Fatalf("AddNode(%#v) stored %#v, want %#v", n, *got, ref)
		}
		if got.Attrs != nil {
			got.Attrs["mine"] = true
			if _, shared := a["mine"]; shared {
				t.Fatal("the stored node shares the caller's attribute map")
			}
		}
	}
	if normal < 100 {
		t.Errorf("only %d of 2000 attribute sets were normal already: copying them is barely tested", normal)
	}
}
