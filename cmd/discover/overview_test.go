package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/render"
)

// TestOverviewOnTheDemo: the demo's graph.mmd draws one node per system (no alias, domain or
// repository), containment once (the compose project inside its Docker engine's box, with no
// edge between them), and every dependency between systems, the cross-provider ones included.
func TestOverviewOnTheDemo(t *testing.T) {
	dir, g, _ := runDemo(t, nil)
	docs, err := render.Diagrams(g)
	if err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(filepath.Join(dir, "graph.mmd"))
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != string(docs[0].Data) {
		t.Fatal("graph.mmd differs from the overview rendered from graph.json")
	}
	if !strings.Contains(string(written), ". Detail: one diagram per system in diagrams/") {
		t.Error("graph.mmd does not say where the detail lives")
	}
	r, err := render.CheckOverview(g, docs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error(p)
	}
	if r.CrossProvider < 8 {
		t.Errorf("%d cross-provider dependencies between systems checked, want at least 8", r.CrossProvider)
	}
}
