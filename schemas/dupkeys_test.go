package schemas

import (
	"slices"
	"testing"
)

// TestValidateRejectsDuplicateKeys is issue #26 item 22: a graph.json with a key twice in one
// object (top level or nested) validated as whatever came last.
func TestValidateRejectsDuplicateKeys(t *testing.T) {
	doc := `{"schema_version":"1.0.0","scan":{},"collectors":[],
		"nodes":[{"id":"vercel:project:p","kind":"project","provider":"vercel","name":"a","name":"b","attrs":{"x/y":1,"x/y":2}}],
		"edges":[],
		"nodes":[]}`
	got := ValidateJSON([]byte(doc))
	for _, want := range []string{
		`duplicate key "nodes" in / (JSON keeps only the last)`,
		`duplicate key "name" in /nodes/0 (JSON keeps only the last)`,
		`duplicate key "x/y" in /nodes/0/attrs (JSON keeps only the last)`,
	} {
		if !slices.Contains(got, want) {
			t.Errorf("problems %q lack %q", got, want)
		}
	}
	if got := DuplicateKeys([]byte(`{"a":[{"b":1},{"b":2,"c":{"b":3}}],"b":{"a":1}}`)); len(got) != 0 {
		t.Errorf("same keys in different objects are no duplicates: %q", got)
	}
	if got := DuplicateKeys([]byte(`[{"k":1},{"k":1,"k":2}]`)); !slices.Equal(got, []string{`duplicate key "k" in /1 (JSON keeps only the last)`}) {
		t.Errorf("array element path: %q", got)
	}
}
