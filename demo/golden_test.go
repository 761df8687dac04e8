package demo

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/infragraph/infragraph/demo/demograph"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/scan"
)

var update = flag.Bool("update", false, "rewrite demograph's golden demo graph")

// TestDemoGraphGolden scans the demo estate (no PostgreSQL catalog, no LLM) at a fixed clock and
// compares the graph with the shared test estate, package demograph's golden: a change to what
// the collectors or the rules find about the demo shows here first, and the tests built on the
// estate follow it after `-update`.
func TestDemoGraphGolden(t *testing.T) {
	got := scanDemo(t)
	file := filepath.Join("demograph", "testdata", "demo.graph.json")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return // demograph embeds the file: the next run checks it
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the demo's graph differs from %s; rerun with -update and review the diff", demograph.Path)
	}
	// The estate the other packages decode is this graph.
	var again bytes.Buffer
	if err := graph.Encode(&again, demograph.Graph(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), want) {
		t.Error("demograph.Graph does not decode to the golden's graph")
	}
}

func scanDemo(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	e, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	res, err := scan.Run(ctx, scan.Options{Instances: e.Instances, Enrichers: []enrich.Enricher{enrich.Rules{}},
		Now: func() time.Time { return at }, Demo: true, Generator: "infragraph test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Graph.Collectors {
		res.Graph.Collectors[i].DurationMS = 0 // the one measured value
	}
	var b bytes.Buffer
	if err := graph.Encode(&b, res.Graph); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
