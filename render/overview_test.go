package render

import (
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// assertOverview checks graph.mmd of g at the system level: systems only, containment as nesting
// and never as an edge, every dependency between drawn systems (and at least want cross-provider
// ones) drawn with its type, and the line saying where the detail lives.
func assertOverview(t *testing.T, name string, g *graph.Graph, wantCross int) {
	t.Helper()
	docs, err := Diagrams(g)
	if err != nil {
		t.Fatal(err)
	}
	ov := docs[0]
	if !strings.HasPrefix(string(ov.Data), "%% infragraph overview: systems and their dependencies. Detail: one diagram per system in diagrams/") {
		t.Fatalf("%s: not the labelled system overview:\n%s", name, ov.Data)
	}
	r, err := CheckOverview(g, ov)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("%s: %s", name, p)
	}
	if r.CrossProvider < wantCross {
		t.Errorf("%s: %d cross-provider dependencies checked, want at least %d", name, r.CrossProvider, wantCross)
	}
}

func TestOverviewDrawsSystemsAndContainmentOnce(t *testing.T) {
	assertOverview(t, "small", acme(t), 8) // the demo's estate: at least 8 cross-provider dependencies
	assertOverview(t, "small-failed", acmeOdooDown(t), 3)
	assertOverview(t, "special", special(t), 0)
	assertOverview(t, "large", large(t, 12, 300), 12)
}
