package graph

import (
	"fmt"
	"math/rand"
	"reflect"
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

// NormalizeAttrs gives what it gave when it rebuilt every value (referenceNormalizeAttrs); and
// Normalize skips NormalizeAttrs for attributes that are normal already: it may only do so when
// NormalizeAttrs would have returned the same contents, and the node still gets its own map.
func TestNormalFastPath(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	values := []any{"", "x", true, int64(3), 3, int32(2), 2.5, 2.0, float32(1.5), nil, Ref{Host: "h"},
		[]string{}, []string{"a"}, []string{"a", "b"}, []string{"b", "a"}, []string{"a", "a"}, []string{"", "a"}, []string{"b", "", "b"}, []any{"a"}, []any{"b", 1, "a", "", nil}, []any{}, uint16(1), int32(-4), uint64(9), uint32(3), float32(2), struct{ X int }{1}}
	fast := 0
	for i := 0; i < 2000; i++ {
		a := Attrs{}
		for k := r.Intn(4); k > 0; k-- {
			a[fmt.Sprint("k", r.Intn(5))] = values[r.Intn(len(values))]
		}
		want := referenceNormalizeAttrs(a)
		if got := NormalizeAttrs(a); !reflect.DeepEqual(got, want) {
			t.Fatalf("NormalizeAttrs(%#v) = %#v, want %#v", a, got, want)
		}
		if normal(a) {
			fast++
			if !reflect.DeepEqual(want, a) && len(want)+len(a) > 0 {
				t.Fatalf("normal(%#v), but NormalizeAttrs gives %#v", a, want)
			}
		}
		n := Node{ID: "a:x:1", Provider: "a", Kind: "x", Attrs: a}
		g := New()
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
		got := g.NodePtr("a:x:1")
		refs := false // a Ref writes its facts as attributes: compared by TestRefRecordedWrittenAndReadBack
		for _, v := range a {
			_, isRef := v.(Ref)
			refs = refs || isRef
		}
		if !refs {
			if !reflect.DeepEqual(got.Attrs, want) {
				t.Fatalf("AddNode(%#v) stored %#v, want %#v", a, got.Attrs, want)
			}
		}
		if got.Attrs != nil {
			got.Attrs["mine"] = true
			if _, shared := a["mine"]; shared {
				t.Fatal("the stored node shares the caller's attribute map")
			}
		}
	}
	if fast < 200 {
		t.Errorf("only %d of 2000 attribute sets were normal: the fast path is barely tested", fast)
	}
}
