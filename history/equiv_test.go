package history

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/graph"
)

// The carry-forward and diff stages were rewritten for 100k-node estates (in place, walks in the
// graph's own order, only the order-deciding edges sorted). Over random previous and current
// scans, with instances ok, partial, failed and left out, ownerless nodes several carried edges
// need, nodes carried in early, inferred edges and changed attributes, they must give exactly
// what the straightforward versions below (the code before the rewrite, over sorted copies)
// give, and never modify prev.
func TestCarryAndDiffMatchSortedReference(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 16))
			scale := 1
			if seed%8 == 0 {
				scale = 12 // change lists long enough to be sorted by the graph's order (Diff's sorter)
			}
			prev, cur := randomScans(r, scale)
			now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
			prevJSON := encode(t, prev)

			want := refCarry(prev, cur, now)
			own := cur // Carry carries into the graph it is given
			Carry(prev, own, now)
			if a, b := encode(t, own), encode(t, want); a != b {
				t.Fatalf("Carry differs from the sorted reference:\n%s", firstDiff(a, b))
			}

			// enrichment: an inferred edge again, a new one, a node an enricher added
			enrichLike(rand.New(rand.NewPCG(seed, 17)), want)
			enrichLike(rand.New(rand.NewPCG(seed, 17)), own)
			want = refCarryInferred(prev, want, now)
			CarryInferred(prev, own, now)
			if a, b := encode(t, own), encode(t, want); a != b {
				t.Fatalf("CarryInferred differs from the sorted reference:\n%s", firstDiff(a, b))
			}
			if encode(t, prev) != prevJSON {
				t.Fatal("carrying modified prev")
			}

			if d, w := Diff(prev, own), refDiff(prev, want); !reflect.DeepEqual(d, w) {
				t.Fatalf("Diff differs from the sorted reference:\n got %+v\nwant %+v", d, w)
			}
			if d, w := Diff(own, prev), refDiff(want, prev); !reflect.DeepEqual(d, w) {
				t.Fatalf("Diff (reversed) differs from the sorted reference:\n got %+v\nwant %+v", d, w)
			}
		})
	}
}

// An ownerless node (a git repo) two carried edges of different instances need is carried by the
// first edge in (from, to, type) order, whatever order the previous graph holds them in.
func TestCarriedOwnerlessNodeNamedByFirstEdge(t *testing.T) {
	prev := graph.New()
	cur := graph.New()
	for _, st := range []graph.CollectorStatus{{Provider: "digitalocean", Instance: "b", Status: graph.StatusFailed}, {Provider: "vercel", Instance: "a", Status: graph.StatusFailed}} {
		cur.Collectors = append(cur.Collectors, st)
	}
	want := map[string]string{}
	for i := 0; i < 40; i++ {
		repo := graph.Node{ID: fmt.Sprintf("git:repo:github.com/acme/r%02d", i), Kind: "repo", Provider: "git"}
		app := graph.Node{ID: fmt.Sprintf("digitalocean:app:a%02d", i), Kind: "app", Provider: "digitalocean", Source: "digitalocean/b"}
		prj := graph.Node{ID: fmt.Sprintf("vercel:project:p%02d", i), Kind: "project", Provider: "vercel", Source: "vercel/a"}
		for _, x := range []graph.Node{repo, app, prj} {
			if err := prev.SetNode(x); err != nil {
				t.Fatal(err)
			}
		}
		do := graph.Edge{From: app.ID, To: repo.ID, Type: "builds_from", Origin: graph.Observed, Confidence: 1, Source: "digitalocean/b"}
		ve := graph.Edge{From: prj.ID, To: repo.ID, Type: "builds_from", Origin: graph.Observed, Confidence: 1, Source: "vercel/a"}
		first, second := do, ve // "digitalocean:…" < "vercel:…": DigitalOcean names the repo
		if i%2 == 1 {
			first, second = ve, do // held in the other order
		}
		for _, e := range []graph.Edge{first, second} {
			if err := prev.AddEdge(e); err != nil {
				t.Fatal(err)
			}
		}
		want[repo.ID] = "digitalocean/b"
	}
	g := cur
	Carry(prev, g, time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	for id, src := range want {
		n, ok := g.Node(id)
		if !ok || n.Source != src || !n.Stale {
			t.Errorf("%s: carried=%v source %q stale=%v, want %q stale", id, ok, n.Source, n.Stale, src)
		}
	}
	if st := g.Collectors[0]; st.Stale != 80 { // 40 apps and the 40 repos they carried
		t.Errorf("digitalocean/b stale %d, want 80", st.Stale)
	}
}

func encode(t *testing.T, g *graph.Graph) string {
	t.Helper()
	var b bytes.Buffer
	if err := graph.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}

var instances = []graph.CollectorStatus{
	{Provider: "docker", Instance: "ok", Status: graph.StatusOK},
	{Provider: "docker", Instance: "failed", Status: graph.StatusFailed},
	{Provider: "vercel", Instance: "partial", Status: graph.StatusPartial},
	{Provider: "vercel", Instance: "out", Status: graph.StatusExcluded},
	{Provider: "digitalocean", Instance: "failed", Status: graph.StatusFailed},
}

// randomScans builds a previous scan and this scan's merged collector output.
func randomScans(r *rand.Rand, scale int) (prev, cur *graph.Graph) {
	prev, cur = graph.New(), graph.New()
	prev.Scan = graph.ScanInfo{ID: "20261204T060000Z", StartedAt: "2026-12-04T06:00:00Z"}
	cur.Scan = graph.ScanInfo{ID: "20261204T120000Z", StartedAt: "2026-12-04T12:00:00Z"}
	cur.Collectors = append([]graph.CollectorStatus(nil), instances...)
	var ids []string
	kinds := map[string]string{"docker": "container", "vercel": "project", "digitalocean": "droplet"}
	for i := 0; i < scale*(60+r.IntN(60)); i++ {
		inst := instances[r.IntN(len(instances))]
		var n graph.Node
		if r.IntN(6) == 0 { // ownerless
			n = graph.Node{ID: fmt.Sprintf("git:repo:r%03d", r.IntN(1000*scale)), Kind: "repo", Provider: "git"}
		} else {
			k := kinds[inst.Provider]
			n = graph.Node{ID: graph.ID(inst.Provider, k, fmt.Sprintf("n%03d", r.IntN(1000*scale))), Kind: k, Provider: inst.Provider, Source: inst.Key()}
		}
		n.Name = fmt.Sprint("name", r.IntN(3))
		n.Attrs = randomAttrs(r)
		if r.IntN(3) > 0 { // seen by an earlier scan
			n.FirstSeen, n.LastSeen = "2026-12-01T06:00:00Z", "2026-12-04T06:00:00Z"
			if r.IntN(6) == 0 {
				n.FirstSeen = ""
			}
			if r.IntN(5) == 0 {
				n.Stale, n.StaleSince = true, "2026-12-03T06:00:00Z"
			}
		}
		if prev.HasNode(n.ID) {
			continue
		}
		_ = prev.SetNode(n)
		ids = append(ids, n.ID)
		// this scan: an ok instance returns most of its nodes, a partial one some, a failed or
		// left-out one few (a failed one's may come back early, stale, through CarriedNode)
		keep := map[graph.Status]int{graph.StatusOK: 8, graph.StatusPartial: 5, graph.StatusFailed: 1, graph.StatusExcluded: 1}[inst.Status]
		if n.Source == "" {
			keep = 3
		}
		if r.IntN(10) < keep {
			c := n
			c.Name = fmt.Sprint("name", r.IntN(3))
			c.Attrs = mutateAttrs(r, n.Attrs)
			c.FirstSeen, c.LastSeen, c.Stale, c.StaleSince = "", "", false, ""
			if inst.Status != graph.StatusOK && n.Source != "" && r.IntN(3) == 0 {
				c = staleNode(n, "2026-12-04T12:00:00Z") // carried in early
			}
			_ = cur.SetNode(c)
		}
	}
	for i := 0; i < 3; i++ { // new this scan
		n := graph.Node{ID: fmt.Sprintf("docker:container:new%d", i), Kind: "container", Provider: "docker", Source: "docker/ok"}
		_ = cur.SetNode(n)
		ids = append(ids, n.ID)
	}
	types := []string{"runs_on", "builds_from", "depends_on"}
	for i := 0; i < scale*(150+r.IntN(150)); i++ {
		from, to := ids[r.IntN(len(ids))], ids[r.IntN(len(ids))]
		if from == to {
			continue
		}
		e := graph.Edge{From: from, To: to, Type: types[r.IntN(len(types))], Origin: graph.Observed, Confidence: 1,
			Source:   instances[r.IntN(len(instances))].Key(),
			Evidence: []graph.Evidence{{Node: from, Field: "f", Value: fmt.Sprint(r.IntN(3))}}}
		switch r.IntN(5) {
		case 0:
			e.Origin, e.Confidence, e.Source = graph.Rule, 0.5+float64(r.IntN(50))/100, ""
		case 1:
			e.Origin, e.Confidence, e.Source = graph.LLM, 0.5+float64(r.IntN(50))/100, ""
		}
		if r.IntN(4) == 0 {
			e.FirstSeen, e.LastSeen = "2026-12-02T06:00:00Z", "2026-12-04T06:00:00Z"
		}
		if r.IntN(6) == 0 {
			e.Stale, e.StaleSince = true, "2026-12-03T06:00:00Z"
		}
		if prev.HasNode(from) && prev.HasNode(to) && r.IntN(4) > 0 {
			_ = prev.AddEdge(e)
		}
		if e.Origin == graph.Observed && cur.HasNode(from) && cur.HasNode(to) && r.IntN(3) > 0 {
			c := e
			c.FirstSeen, c.LastSeen, c.Stale, c.StaleSince = "", "", false, ""
			c.Evidence = []graph.Evidence{{Node: from, Field: "f", Value: fmt.Sprint(r.IntN(3))}} // may have changed
			_ = cur.AddEdge(c)
		}
	}
	for i := 0; i < 3; i++ { // removed nodes leave holes in the node numbers
		prev.RemoveNode(ids[r.IntN(len(ids))])
		cur.RemoveNode(ids[r.IntN(len(ids))])
	}
	return prev, cur
}

func randomAttrs(r *rand.Rand) graph.Attrs {
	a := graph.Attrs{}
	keys := []string{"image", "region", "updated_at", "stats.size_bytes", "ports", "count", "ratio", "public"}
	for _, k := range keys {
		if r.IntN(2) == 0 {
			continue
		}
		switch k {
		case "ports":
			a[k] = []string{fmt.Sprint(r.IntN(3)), "443"}
		case "count", "stats.size_bytes":
			a[k] = int64(r.IntN(3))
		case "ratio":
			a[k] = 0.5 + float64(r.IntN(2))
		case "public":
			a[k] = r.IntN(2) == 0
		default:
			a[k] = fmt.Sprint("v", r.IntN(3))
		}
	}
	return a
}

// mutateAttrs changes, adds or drops a few attributes, volatile ones among them.
func mutateAttrs(r *rand.Rand, a graph.Attrs) graph.Attrs {
	if r.IntN(2) == 0 {
		return a
	}
	b := graph.Attrs{}
	for k, v := range a {
		if r.IntN(5) > 0 {
			b[k] = v
		}
	}
	for k, v := range randomAttrs(r) {
		if r.IntN(3) == 0 {
			b[k] = v
		}
	}
	if v, ok := b["count"]; ok && r.IntN(2) == 0 {
		b["count"] = float64(v.(int64)) // a JSON round trip's type: the same value
	}
	return b
}

// enrichLike does what enrichment does to the graph between Carry and CarryInferred: inferred
// edges (some proposed again), a node an enricher added, and the enrichers' summary.
func enrichLike(r *rand.Rand, g *graph.Graph) {
	host := graph.Node{ID: "external:host:db.example.com", Kind: "host", Provider: "external", Name: "db.example.com"}
	_ = g.AddNode(host)
	nodes := g.Nodes()
	for i := 0; i < 20; i++ {
		from, to := nodes[r.IntN(len(nodes))].ID, nodes[r.IntN(len(nodes))].ID
		if from == to {
			continue
		}
		_ = g.AddEdge(graph.Edge{From: from, To: to, Type: "depends_on", Origin: graph.Rule, Confidence: 0.8})
	}
	switch r.IntN(3) {
	case 0:
		g.Scan.Enrichment = map[string]any{"rules.proposed": 20, "llm.error": "503"}
	case 1:
		g.Scan.Enrichment = map[string]any{"rules.proposed": 20, "llm.proposed": 3}
	}
}

// The reference versions: the code before the stages were rewritten, over sorted copies.

func refCarry(prev, cur *graph.Graph, now time.Time) *graph.Graph {
	g := cur.Clone()
	ts := stamp(now)
	carried := map[string]int{}
	excluded := excludedInstances(g.Collectors)
	for _, n := range g.Nodes() {
		p := g.NodePtr(n.ID)
		if n.Stale && prev != nil && prev.HasNode(n.ID) {
			carried[n.Source]++
			continue
		}
		if excluded[n.Source] && prev != nil && prev.HasNode(n.ID) {
			continue
		}
		refFreshNode(p, prev, ts)
	}
	for _, e := range g.Edges() {
		refFreshEdge(g.EdgePtr(e.Key()), prev, ts)
	}
	if prev == nil {
		return g
	}
	incomplete := incompleteInstances(g.Collectors)
	for _, n := range prev.Nodes() {
		if g.HasNode(n.ID) || n.Source == "" || !incomplete[n.Source] {
			continue
		}
		if excluded[n.Source] {
			_ = g.SetNode(n)
			if n.Stale {
				carried[n.Source]++
			}
			continue
		}
		_ = g.SetNode(staleNode(n, ts))
		carried[n.Source]++
	}
	for _, e := range prev.Edges() {
		if e.Origin != graph.Observed || e.Source == "" || !incomplete[e.Source] {
			continue
		}
		if _, ok := g.Edge(e.Key()); ok {
			continue
		}
		add, ok := endpoints(g, prev, e)
		if !ok {
			continue
		}
		if excluded[e.Source] {
			for _, n := range add {
				n.Source = e.Source
				_ = g.SetNode(n)
			}
			_ = g.AddEdge(e)
			continue
		}
		for _, n := range add {
			n.Source = e.Source
			_ = g.SetNode(staleNode(n, ts))
			carried[e.Source]++
		}
		_ = g.AddEdge(staleEdge(e, ts))
	}
	for i := range g.Collectors {
		g.Collectors[i].Stale = carried[g.Collectors[i].Key()]
	}
	return g
}

func refCarryInferred(prev, cur *graph.Graph, now time.Time) *graph.Graph {
	g := cur.Clone()
	ts := stamp(now)
	for _, n := range g.Nodes() {
		if n.LastSeen == "" {
			refFreshNode(g.NodePtr(n.ID), prev, ts)
		}
	}
	for _, e := range g.Edges() {
		if !e.Stale {
			refFreshEdge(g.EdgePtr(e.Key()), prev, ts)
		}
	}
	if prev == nil {
		return g
	}
	for _, e := range prev.Edges() {
		if e.Origin == graph.Observed {
			continue
		}
		if _, ok := g.Edge(e.Key()); ok {
			continue
		}
		from, okF := g.Node(e.From)
		to, okT := g.Node(e.To)
		if !okF || !okT {
			continue
		}
		if !from.Stale && !to.Stale && enrichersCompleted(g.Scan.Enrichment, e.Origin) {
			continue
		}
		_ = g.AddEdge(staleEdge(e, ts))
	}
	return g
}

func refFreshNode(n *graph.Node, prev *graph.Graph, ts string) {
	first := n.FirstSeen
	if prev != nil {
		if p, ok := prev.Node(n.ID); ok {
			first = firstSeen(p.FirstSeen, p.LastSeen, prev.Scan.StartedAt)
		}
	}
	if first == "" {
		first = ts
	}
	n.FirstSeen, n.LastSeen, n.Stale, n.StaleSince = first, ts, false, ""
}

func refFreshEdge(e *graph.Edge, prev *graph.Graph, ts string) {
	first := e.FirstSeen
	if prev != nil {
		if p, ok := prev.Edge(e.Key()); ok {
			first = firstSeen(p.FirstSeen, p.LastSeen, prev.Scan.StartedAt)
		}
	}
	if first == "" {
		first = ts
	}
	e.FirstSeen, e.LastSeen, e.Stale, e.StaleSince = first, ts, false, ""
}

func refDiff(old, new *graph.Graph) *Changes {
	c := &Changes{Since: old.Scan.ID, Until: new.Scan.ID, statuses: map[string]graph.CollectorStatus{},
		ImplicitEdges: ImplicitTrend{Old: implicit(old), New: implicit(new)}}
	for _, s := range new.Collectors {
		c.statuses[s.Key()] = s
	}
	c.NodesAdded, c.NodesRemoved, c.NodesStale, c.NodesFresh = []NodeRef{}, []NodeRef{}, []NodeRef{}, []NodeRef{}
	c.EdgesAdded, c.EdgesRemoved, c.EdgesStale = []EdgeRef{}, []EdgeRef{}, []EdgeRef{}
	c.NodesChanged, c.EdgesChanged = []NodeChange{}, []EdgeChange{}
	for _, n := range new.Nodes() {
		o, ok := old.Node(n.ID)
		switch {
		case !ok:
			c.NodesAdded = append(c.NodesAdded, nodeRef(&n))
		case n.Stale && !o.Stale:
			c.NodesStale = append(c.NodesStale, nodeRef(&n))
		case !n.Stale && o.Stale:
			c.NodesFresh = append(c.NodesFresh, nodeRef(&n))
		}
		if ok {
			if fs := refNodeFields(o, n); len(fs) > 0 {
				c.NodesChanged = append(c.NodesChanged, NodeChange{NodeRef: nodeRef(&n), Fields: fs})
			}
		}
	}
	for _, o := range old.Nodes() {
		if !new.HasNode(o.ID) {
			c.NodesRemoved = append(c.NodesRemoved, nodeRef(&o))
		}
	}
	for _, e := range new.Edges() {
		o, ok := old.Edge(e.Key())
		switch {
		case !ok:
			c.EdgesAdded = append(c.EdgesAdded, edgeRef(&e))
		case e.Stale && !o.Stale:
			c.EdgesStale = append(c.EdgesStale, edgeRef(&e))
		}
		if ok {
			var fs []FieldChange
			if o.Origin != e.Origin {
				fs = append(fs, FieldChange{Field: "origin", Old: o.Origin, New: e.Origin})
			}
			if math.Abs(o.Confidence-e.Confidence) >= 0.005 {
				fs = append(fs, FieldChange{Field: "confidence", Old: o.Confidence, New: e.Confidence})
			}
			if len(fs) > 0 {
				c.EdgesChanged = append(c.EdgesChanged, EdgeChange{EdgeRef: edgeRef(&e), Fields: fs})
			}
		}
	}
	for _, o := range old.Edges() {
		if _, ok := new.Edge(o.Key()); !ok {
			c.EdgesRemoved = append(c.EdgesRemoved, edgeRef(&o))
		}
	}
	return c
}

// refNodeFields compares every key, without sameAttrs' shortcut.
func refNodeFields(o, n graph.Node) []FieldChange {
	var fs []FieldChange
	if o.Name != n.Name {
		fs = append(fs, FieldChange{Field: "name", Old: o.Name, New: n.Name})
	}
	keys := map[string]bool{}
	for k := range o.Attrs {
		keys[k] = true
	}
	for k := range n.Attrs {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		if !Volatile(k) {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		ov, okO := o.Attrs[k]
		nv, okN := n.Attrs[k]
		if okO && okN && reflect.DeepEqual(graph.NormalizeAttrs(graph.Attrs{"v": ov})["v"], graph.NormalizeAttrs(graph.Attrs{"v": nv})["v"]) {
			continue
		}
		fs = append(fs, FieldChange{Field: "attrs." + k, Old: ov, New: nv})
	}
	return fs
}
