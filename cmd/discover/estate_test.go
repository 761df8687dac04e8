package main

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
	"github.com/infragraph/infragraph/demo/demograph"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/output"
)

const (
	acmeAPI = "digitalocean:app:c2a93513-8d9b-4223-9d61-5e7272c81cf5"
	staleAt = "2026-11-21T06:00:00Z"
)

// acmeGraphFile writes the shared test estate (package demograph: the demo's scanned graph) with
// the acme-api app and its edges stale, as a failed DigitalOcean scan leaves them, to a
// graph.json of its own and returns its path.
func acmeGraphFile(t testing.TB) string {
	t.Helper()
	g := demograph.Graph(t)
	demograph.MarkStale(g, acmeAPI, staleAt)
	path := filepath.Join(t.TempDir(), "graph.json")
	if err := output.WriteFileIn(filepath.Dir(path), path, 0o644, func(w io.Writer) error { return graph.Encode(w, g) }); err != nil {
		t.Fatal(err)
	}
	return path
}

// vercelFault makes the Vercel fake's next times requests on route answer f.
func vercelFault(route string, times int, f fakeapi.Fault) vercelfake.Option {
	return func(s *vercelfake.Server) { s.Fault(route, times, f) }
}
