// Package collectorstest is the conformance suite every collector's tests run: ids valid, kinds
// and edges in the vocabulary, no dangling edges, no emit after return, cancellation honoured,
// canary secrets absent from everything emitted.
package collectorstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas/schemastest"
)

// Output is what one Collect call produced.
type Output struct {
	Nodes    []graph.Node
	Edges    []graph.Edge
	Warnings []string
	Err      error
	Graph    *graph.Graph // nodes and edges assembled, as the pipeline would
}

// Node returns the node with id, failing the test when it is missing.
func (o Output) Node(t testing.TB, id string) graph.Node {
	t.Helper()
	n, ok := o.Graph.Node(id)
	if !ok {
		t.Fatalf("node %s not emitted", id)
	}
	return n
}

// HasEdge reports whether an edge from -typ-> to was emitted.
func (o Output) HasEdge(from, typ, to string) bool {
	_, ok := o.Graph.Edge(graph.EdgeKey{From: from, To: to, Type: typ})
	return ok
}

// CountKind counts emitted nodes of a kind.
func (o Output) CountKind(kind string) int {
	n := 0
	for _, x := range o.Nodes {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// JSON is everything emitted (nodes, edges, warnings, the error) as JSON, for secret checks.
func (o Output) JSON() []byte {
	errText := ""
	if o.Err != nil {
		errText = o.Err.Error()
	}
	b, _ := json.Marshal(struct {
		N []graph.Node
		E []graph.Edge
		W []string
		X string
	}{o.Nodes, o.Edges, o.Warnings, errText})
	return b
}

// Collect runs c (with a generous timeout) and checks conformance. Edges may only point at nodes
// this collector emitted.
func Collect(t testing.TB, provider string, c collectors.Collector) Output {
	t.Helper()
	return CollectContext(t, context.Background(), provider, c)
}

// CollectContext is Collect with a caller's context.
func CollectContext(t testing.TB, ctx context.Context, provider string, c collectors.Collector) Output {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rec := &collectors.Recorder{Provider: provider}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("collector panicked: %v", r)
			}
		}()
		err = c.Collect(ctx, rec)
	}()
	rec.Close()
	nodes, edges, warns := rec.Snapshot()
	out := Output{Nodes: nodes, Edges: edges, Warnings: warns, Err: err, Graph: graph.New()}
	for _, p := range Check(nodes, edges) {
		t.Errorf("conformance: %s", p)
	}
	for _, n := range nodes {
		_ = out.Graph.AddNode(n)
	}
	for _, e := range edges {
		_ = out.Graph.AddEdge(e)
	}
	// Late emits are checked after a short wait for stray goroutines.
	time.Sleep(10 * time.Millisecond)
	if l := rec.Late(); l > 0 {
		t.Errorf("conformance: %d emits after Collect returned", l)
	}
	return out
}

// Check returns conformance problems of emitted nodes and edges against the vocabulary.
func Check(nodes []graph.Node, edges []graph.Edge) []string {
	v := schemastest.Vocabulary()
	var problems []string
	kinds := map[string]string{}
	for _, n := range nodes {
		if err := n.Validate(); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		q := n.Provider + ":" + n.Kind
		if _, ok := v.Kinds[q]; !ok {
			problems = append(problems, fmt.Sprintf("node %s: kind %s not in schemas/vocabulary", n.ID, q))
		}
		if n.Name == "" {
			problems = append(problems, fmt.Sprintf("node %s: empty name", n.ID))
		}
		kinds[n.ID] = q
	}
	for _, e := range edges {
		fk, ok1 := kinds[e.From]
		tk, ok2 := kinds[e.To]
		switch {
		case !ok1 || !ok2:
			problems = append(problems, fmt.Sprintf("edge %s -%s-> %s: endpoint not emitted", e.From, e.Type, e.To))
		case !v.EdgeAllowed(e.Type, fk, tk):
			problems = append(problems, fmt.Sprintf("edge %s -%s-> %s: %s not allowed from %s to %s in schemas/vocabulary", e.From, e.Type, e.To, e.Type, fk, tk))
		}
		if e.Origin != graph.Observed || e.Confidence != 1 {
			problems = append(problems, fmt.Sprintf("edge %s -%s-> %s: collectors emit observed edges with confidence 1", e.From, e.Type, e.To))
		}
	}
	return problems
}

// CheckCancelled runs c with an already-cancelled context: it must return an error promptly and
// not panic.
func CheckCancelled(t testing.TB, provider string, c collectors.Collector) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- c.Collect(ctx, &collectors.Recorder{Provider: provider})
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Collect with a cancelled context returned nil")
		} else if strings.HasPrefix(err.Error(), "panic:") {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Collect ignored a cancelled context for 10s")
	}
}

// AssertAbsent fails t when any canary occurs in any blob.
func AssertAbsent(t testing.TB, canaries []string, blobs ...[]byte) {
	t.Helper()
	for _, c := range canaries {
		if c == "" {
			t.Fatal("empty canary")
		}
		for i, b := range blobs {
			if bytes.Contains(b, []byte(c)) {
				t.Errorf("canary secret %q found in output #%d", c, i)
			}
		}
	}
}
