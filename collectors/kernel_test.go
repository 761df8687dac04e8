package collectors

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// order is an emitter that keeps the order of what it is sent.
type order struct {
	nodes []graph.Node
	edges []graph.Edge
	warns []string
}

func (o *order) Node(n graph.Node) { o.nodes = append(o.nodes, n) }
func (o *order) Edge(e graph.Edge) { o.edges = append(o.edges, e) }
func (o *order) Warn(err error)    { o.warns = append(o.warns, err.Error()) }

func TestBuilder(t *testing.T) {
	var out order
	b := NewBuilder(&out)
	node := func(id string, attrs graph.Attrs) graph.Node {
		return graph.Node{ID: "vercel:project:" + id, Kind: "project", Provider: "vercel", Name: id, Attrs: attrs}
	}
	first := graph.Attrs{"framework": "nextjs", "repo": ""}
	// An edge to a node not found yet is held, not dropped.
	b.Edge(graph.Observe("vercel:project:web", "vercel:project:api", "calls", graph.Evidence{Node: "vercel:project:web", Field: "env.API_URL", Value: "a"}))
	if !b.Add(node("web", first)) {
		t.Error("first sighting not new")
	}
	if b.Add(graph.Node{ID: "vercel:project:web", Kind: "project", Provider: "vercel", Name: "other", Attrs: graph.Attrs{"framework": "vite", "repo": "acme/web", "region": "fra1"}}) {
		t.Error("second sighting new")
	}
	b.Node(node("api", nil))
	b.Node(graph.Node{ID: "vercel:project:api", Kind: "project", Provider: "vercel", Name: "api", Attrs: graph.Attrs{"region": "iad1"}})
	b.Edge(graph.Observe("vercel:project:web", "vercel:project:api", "calls", graph.Evidence{Node: "vercel:project:web", Field: "env.NEXT_PUBLIC_API", Value: "b"}))
	b.Edge(graph.Observe("vercel:project:web", "vercel:project:gone", "calls")) // never found
	b.Edge(graph.Observe("vercel:project:api", "vercel:project:api", "calls"))  // a loop
	b.Edge(graph.Edge{From: "vercel:project:api", To: "vercel:project:web", Type: "depends_on"})
	b.Warn(errors.New("drains: 500"))
	if !b.Has("vercel:project:api") || b.Has("vercel:project:gone") {
		t.Error("Has")
	}
	if len(out.nodes)+len(out.edges) != 0 || !reflect.DeepEqual(out.warns, []string{"drains: 500"}) {
		t.Fatalf("before Flush: %d nodes, %d edges, warnings %v (a warning passes at once, the rest waits)", len(out.nodes), len(out.edges), out.warns)
	}
	b.Flush()

	var ids []string
	for _, n := range out.nodes {
		ids = append(ids, n.ID)
	}
	if want := []string{"vercel:project:api", "vercel:project:web"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("nodes %v, want %v (each once, sorted)", ids, want)
	}
	web := out.nodes[1]
	if want := (graph.Attrs{"framework": "nextjs", "repo": "acme/web", "region": "fra1"}); web.Name != "web" || !reflect.DeepEqual(web.Attrs, want) {
		t.Errorf("web merged to %q %v, want the first name and %v", web.Name, web.Attrs, want)
	}
	if !reflect.DeepEqual(first, graph.Attrs{"framework": "nextjs", "repo": ""}) {
		t.Errorf("merging wrote the caller's map: %v", first)
	}
	if want := (graph.Attrs{"region": "iad1"}); !reflect.DeepEqual(out.nodes[0].Attrs, want) {
		t.Errorf("api attrs %v, want %v (a node without attributes takes the later ones)", out.nodes[0].Attrs, want)
	}
	var keys []string
	for _, e := range out.edges {
		keys = append(keys, fmt.Sprintf("%s -%s-> %s %s %d", e.From, e.Type, e.To, e.Origin, len(e.Evidence)))
	}
	want := []string{
		"vercel:project:api -depends_on-> vercel:project:web observed 0",
		"vercel:project:web -calls-> vercel:project:api observed 2",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("edges\n%v\nwant\n%v (held until both ends exist, no dangling edge, no loop, one edge with both pieces of evidence, sorted)", keys, want)
	}

	// Flush empties the builder.
	out = order{}
	b.Flush()
	if len(out.nodes)+len(out.edges) != 0 || b.Has("vercel:project:api") {
		t.Errorf("second Flush emitted %d nodes, %d edges", len(out.nodes), len(out.edges))
	}
}

func TestFamilies(t *testing.T) {
	rejected := errors.New("401 token rejected")
	gated := errors.New("404 not used")
	rule := func(family string, err error) (Verdict, error) {
		switch err {
		case rejected:
			return Fail, fmt.Errorf("acme: %w", err)
		case gated:
			return Absent, nil
		}
		return Warn, fmt.Errorf("%s: %w (hint)", family, err)
	}
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name     string
		rule     Rule
		ctx      context.Context
		err      error
		wantErr  string
		wantWarn string
	}{
		{name: "no failure", rule: rule, ctx: live},
		{name: "warning worded by the rule", rule: rule, ctx: live, err: errors.New("500"), wantWarn: "drains: 500 (hint)"},
		{name: "fails the collector", rule: rule, ctx: live, err: rejected, wantErr: "acme: 401 token rejected"},
		{name: "expected absence records nothing", rule: rule, ctx: live, err: gated},
		{name: "no rule: a warning naming the family", ctx: live, err: errors.New("500"), wantWarn: "drains: 500"},
		{name: "a scan that ended is no warning", rule: rule, ctx: done, err: errors.New("500"), wantErr: "context canceled"},
		{name: "the rule's failure wins over the ended scan", rule: rule, ctx: done, err: rejected, wantErr: "acme: 401 token rejected"},
		{name: "a call that timed out alone is the rule's to judge", rule: rule, ctx: live, err: fmt.Errorf("get: %w", context.DeadlineExceeded), wantWarn: "drains: get: context deadline exceeded (hint)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out order
			err := Families{Emit: &out, Rule: tc.rule}.Check(tc.ctx, "drains", tc.err)
			if got := fmt.Sprint(err); (err != nil || tc.wantErr != "") && got != tc.wantErr {
				t.Errorf("Check = %v, want %q", err, tc.wantErr)
			}
			var warns []string
			if tc.wantWarn != "" {
				warns = []string{tc.wantWarn}
			}
			if !reflect.DeepEqual(out.warns, warns) {
				t.Errorf("warnings %v, want %v", out.warns, warns)
			}
		})
	}
}

// HeldWarnings hands nothing on before Pass, then every warning in order, once; one never
// passed drops its warnings.
func TestHeldWarnings(t *testing.T) {
	var o order
	h := &HeldWarnings{Emitter: &o}
	h.Warn(errors.New("a"))
	h.Warn(errors.New("b"))
	if len(o.warns) != 0 {
		t.Fatalf("warnings passed before Pass: %v", o.warns)
	}
	h.Pass()
	h.Pass()
	if !reflect.DeepEqual(o.warns, []string{"a", "b"}) {
		t.Errorf("after Pass: %v, want [a b] once", o.warns)
	}
	dropped := &HeldWarnings{Emitter: &o}
	dropped.Warn(errors.New("c"))
	if len(o.warns) != 2 {
		t.Errorf("a warning never passed reached the emitter: %v", o.warns)
	}
}
