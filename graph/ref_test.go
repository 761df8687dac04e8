package graph

import (
	"reflect"
	"testing"
)

// A Ref recorded as an attribute is written as the flat attributes graph.json has always carried
// (value.scheme, value.host, ...), kept typed in Refs, and a node read back from those attributes
// alone (graph.json) spells the same Ref.
func TestRefRecordedWrittenAndReadBack(t *testing.T) {
	r := Ref{Scheme: "postgres", Host: "db.example.com", Port: 5432, Database: "app", User: "app", URL: "postgres://db.example.com:5432"}
	in := Attrs{"key": "DATABASE_URL", "value.": r, "smtp_": Ref{Host: "smtp.example.com", Port: 587}}
	g := New()
	if err := g.AddNode(Node{ID: "vercel:env_var:e1", Provider: "vercel", Kind: "env_var", Attrs: in}); err != nil {
		t.Fatal(err)
	}
	if _, ok := in["value.host"]; ok || in["value."] != r {
		t.Errorf("the caller's attributes were rewritten: %v", in)
	}
	n, _ := g.Node("vercel:env_var:e1")
	want := Attrs{"key": "DATABASE_URL", "value.scheme": "postgres", "value.host": "db.example.com", "value.port": int64(5432),
		"value.database": "app", "value.user": "app", "value.url": "postgres://db.example.com:5432",
		"smtp_host": "smtp.example.com", "smtp_port": int64(587)}
	if !reflect.DeepEqual(n.Attrs, want) {
		t.Errorf("attrs = %v\nwant    %v", n.Attrs, want)
	}
	if got, recorded, ok := n.RefAt("value."); got != r || !recorded || !ok {
		t.Errorf("RefAt(value.) = %+v recorded=%v ok=%v", got, recorded, ok)
	}
	read := Node{ID: n.ID, Provider: n.Provider, Kind: n.Kind, Attrs: n.Attrs} // as graph.json gives it
	for _, p := range []string{"value.", "smtp_"} {
		got, recorded, ok := read.RefAt(p)
		if got != n.Refs[p] || recorded || !ok {
			t.Errorf("read back %s = %+v (recorded=%v ok=%v), recorded %+v", p, got, recorded, ok, n.Refs[p])
		}
	}
	if _, _, ok := read.RefAt("other."); ok {
		t.Error("RefAt found a reference under a prefix with no attributes")
	}
}
