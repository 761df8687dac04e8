package docker_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// TestGolden locks what each fake estate maps to: go test ./collectors/docker -run Golden -update
// rewrites the files after an intended change, and the diff is the review.
func TestGolden(t *testing.T) {
	for _, name := range []string{"demo", "test"} {
		t.Run(name, func(t *testing.T) {
			_, c := fakeEngine(t, map[string]string{"demo": "erp-1", "test": "edge-1"}[name], dockerfake.MustLoad(name))
			out := collectorstest.Collect(t, "docker", c)
			if out.Err != nil {
				t.Fatal(out.Err)
			}
			// The fake's address changes every run; the rest is deterministic.
			for i := range out.Nodes {
				if out.Nodes[i].Kind == "engine" {
					delete(out.Nodes[i].Attrs, "endpoint")
				}
			}
			got, err := json.MarshalIndent(struct {
				Nodes    any `json:"nodes"`
				Edges    any `json:"edges"`
				Warnings any `json:"warnings"`
			}{out.Nodes, out.Edges, out.Warnings}, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the mapping; rerun with -update if intended, and review the diff", path)
			}
		})
	}
}
