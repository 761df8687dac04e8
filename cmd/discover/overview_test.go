package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/render"
)

// TestOverviewOnTheDemo: the demo's graph.mmd is the overview rendered from its graph.json and
// says where the detail lives. That the overview draws one node per system, containment once and
// every dependency between systems is render's TestOverviewDrawsSystemsAndContainmentOnce, on the
// same estate (package demograph).
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
}
