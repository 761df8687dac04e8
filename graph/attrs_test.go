package graph

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// Normalize skips NormalizeAttrs for attributes that are normal already: it may only do so when
// NormalizeAttrs would have returned the same contents, and the node still gets its own map.
func TestNormalFastPath(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	values := []any{"", "x", true, int64(3), 3, int32(2), 2.5, 2.0, float32(1.5), nil, Ref{Host: "h"},
		[]string{}, []string{"a"}, []string{"a", "b"}, []string{"b", "a"}, []string{"a", "a"}, []string{"", "a"}, []any{"a"}, uint16(1)}
	fast := 0
	for i := 0; i < 2000; i++ {
		a := Attrs{}
		for k := r.Intn(4); k > 0; k-- {
			a[fmt.Sprint("k", r.Intn(5))] = values[r.Intn(len(values))]
		}
		want := NormalizeAttrs(a)
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
