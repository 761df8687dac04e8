package main

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

// The scan's last log line names each document it wrote and counts the diagrams: a large estate
// writes a thousand diagrams, and their names made one log line of 60 kB.
func TestWroteAttrsCountsDiagrams(t *testing.T) {
	out := filepath.Join("o", "out")
	paths := []string{filepath.Join(out, "graph.json"), filepath.Join(out, "INFRA.md"), filepath.Join(out, "graph.mmd")}
	for i := 0; i < 1000; i++ {
		paths = append(paths, filepath.Join(out, "diagrams", fmt.Sprintf("vercel-project-app-%05d.mmd", i)))
	}
	paths = append(paths, filepath.Join(out, "proposals.json"), filepath.Join(out, "scans", "20261204T185351Z", "graph.json"))
	got := wroteAttrs(paths)
	want := []any{"wrote", filepath.Join(out, "graph.json") + "," + filepath.Join(out, "INFRA.md") + "," + filepath.Join(out, "graph.mmd") + "," +
		filepath.Join(out, "proposals.json") + "," + filepath.Join(out, "scans", "20261204T185351Z", "graph.json"),
		"diagrams", 1000, "diagrams_dir", filepath.Join(out, "diagrams")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("wroteAttrs = %v\nwant %v", got, want)
	}
	if got := wroteAttrs(paths[:2]); len(got) != 2 {
		t.Errorf("without diagrams: %v, want the documents alone", got)
	}
}
