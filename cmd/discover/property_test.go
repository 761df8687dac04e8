package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
)

// mode is how a fake collector instance behaves in one scan.
type mode int

const (
	modeOK      mode = iota
	modePartial      // a random part of its estate, and a warning
	modeFailed       // a random part, then an error
	modeTimeout      // a random part, then it hangs past --timeout
	modePanic        // a random part, then a panic
	modeSkipped      // not configured this time (a cron job without its token)
	modes
)

func (m mode) status() graph.Status {
	switch m {
	case modeOK:
		return graph.StatusOK
	case modePartial:
		return graph.StatusPartial
	case modeSkipped:
		return graph.StatusSkipped
	}
	return graph.StatusFailed
}

// propInstance is one fake collector instance with an estate that changes between scans.
type propInstance struct {
	provider, name string
	truth          map[string]bool // node ids the provider holds now
	mode           mode
	emitted        map[string]bool // what it emitted in the current scan
	rng            *rand.Rand
	node           func(id string) graph.Node
	edges          func(id string) []graph.Edge // edges emitted with the node
	shared         []graph.Node                 // emitted first whenever anything is (a git repo)
}

func (p *propInstance) key() string { return p.provider + "/" + p.name }

func (p *propInstance) instance() collectors.Instance {
	inst := collectors.Instance{Provider: p.provider, Name: p.name}
	p.emitted = map[string]bool{}
	if p.mode == modeSkipped {
		inst.Skip = "not configured"
		return inst
	}
	ids := make([]string, 0, len(p.truth))
	for id := range p.truth {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var emit []string
	for _, id := range ids {
		if p.mode == modeOK || p.rng.IntN(2) == 0 {
			emit = append(emit, id)
		}
	}
	for _, id := range emit {
		p.emitted[id] = true
	}
	m := p.mode
	inst.Collector = fakeCollector(func(ctx context.Context, e graph.Emitter) error {
		if len(emit) > 0 {
			for _, n := range p.shared {
				e.Node(n)
			}
		}
		for _, id := range emit {
			e.Node(p.node(id))
			for _, ed := range p.edges(id) {
				e.Edge(ed)
			}
		}
		switch m {
		case modePartial:
			e.Warn(errors.New("list volumes: 403 Forbidden"))
		case modeFailed:
			return errors.New("list droplets: 500 Internal Server Error after 3 retries")
		case modeTimeout:
			<-ctx.Done()
			return ctx.Err()
		case modePanic:
			panic("nil map")
		}
		return nil
	})
	return inst
}

// expected is what graph.json must hold for one owned node.
type expected struct {
	firstSeen, lastSeen, staleSince string
}

// Random sequences of scans through the CLI, each collector instance randomly ok, partial,
// failed, timed out, panicking or skipped, its estate changing in between. After every scan:
// every node the last successful scan of its owner saw (and everything seen since) is in
// graph.json, stale exactly when this scan did not see it, with the right first_seen, last_seen
// and stale_since; nothing else of that owner is there; each instance's status and stale count are
// right; an edge observed to a carried node is kept; graph.json is the latest snapshot; and
// CHANGES.md and scan.changes say what `discover diff` says.
func TestScanSequencesNeverLoseANode(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { scanSequence(t, seed, 10) })
	}
}

func scanSequence(t *testing.T, seed uint64, scans int) {
	rng := rand.New(rand.NewPCG(seed, 11))
	dir := t.TempDir()
	droplet := func(id string) graph.Node {
		_, _, native, _ := graph.ParseID(id)
		return graph.Node{ID: id, Kind: "droplet", Provider: "digitalocean", Name: "d-" + native}
	}
	none := func(string) []graph.Edge { return nil }
	const engine, host = "docker:engine:erp-1", "digitalocean:droplet:1"
	repo := "git:repo:github.com/acme/web"
	insts := []*propInstance{
		{provider: "digitalocean", name: "prod", truth: map[string]bool{host: true}, node: droplet, edges: none},
		{provider: "digitalocean", name: "staging", truth: map[string]bool{}, node: droplet, edges: none},
		{provider: "docker", name: "erp", truth: map[string]bool{engine: true},
			node: func(id string) graph.Node {
				if id == engine {
					return graph.Node{ID: id, Kind: "engine", Provider: "docker", Name: "erp-1"}
				}
				return graph.Node{ID: id, Kind: "container", Provider: "docker", Name: id[len(id)-3:]}
			},
			edges: func(id string) []graph.Edge {
				if id == engine {
					return []graph.Edge{graph.Observe(engine, host, "runs_on")} // to another instance's droplet
				}
				return []graph.Edge{graph.Observe(engine, id, "contains")}
			}},
		{provider: "vercel", name: "acme", truth: map[string]bool{},
			shared: []graph.Node{{ID: repo, Kind: "repo", Provider: "git", Name: "acme/web", Attrs: graph.Attrs{"repo": "github.com/acme/web"}}},
			node: func(id string) graph.Node {
				return graph.Node{ID: id, Kind: "project", Provider: "vercel", Name: id[len(id)-3:]}
			},
			edges: func(id string) []graph.Edge { return []graph.Edge{graph.Observe(id, repo, "builds_from")} }},
	}
	for _, in := range insts {
		in.rng = rng
	}
	want := map[string]map[string]*expected{} // instance → node id → expectation
	for _, in := range insts {
		want[in.key()] = map[string]*expected{}
	}
	serial := 100
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := 0; i < scans; i++ {
		now := start.Add(time.Duration(i) * 6 * time.Hour)
		ts := now.Format(time.RFC3339)
		// the estates change: resources come and go (droplet 1 and the engine stay)
		for _, in := range insts {
			for id := range in.truth {
				if id != host && id != engine && rng.IntN(4) == 0 {
					delete(in.truth, id)
				}
			}
			for n := rng.IntN(3); n > 0; n-- {
				serial++
				switch in.provider {
				case "digitalocean":
					in.truth[fmt.Sprintf("digitalocean:droplet:%d", serial)] = true
				case "docker":
					in.truth[fmt.Sprintf("docker:container:erp-1/c%d", serial)] = true
				case "vercel":
					in.truth[fmt.Sprintf("vercel:project:prj_%d", serial)] = true
				}
			}
			in.mode = mode(rng.IntN(int(modes)))
		}
		var list []collectors.Instance
		for _, in := range insts {
			list = append(list, in.instance())
		}
		e, _, errb := testEnv(nil)
		withInstances(e, list...)
		e.Now = clockAt(now)
		if testing.Verbose() {
			for _, in := range insts {
				t.Logf("scan %d: %s mode %d emits %v", i, in.key(), in.mode, in.emitted)
			}
		}
		code := runEnv(context.Background(), []string{"scan", "--out", dir, "--timeout", "200ms"}, e)
		failed, ran := 0, 0
		for _, in := range insts {
			if in.mode.status() == graph.StatusFailed {
				failed++
			}
			if in.mode.status() != graph.StatusSkipped {
				ran++
			}
		}
		wantCode := exitOK
		switch {
		case ran > 0 && failed == ran:
			wantCode = exitNothing // every collector that ran failed: nothing current
		case failed > 0:
			wantCode = exitPartial
		}
		if code != wantCode {
			t.Fatalf("scan %d: exit %d, want %d: %s", i, code, wantCode, errb)
		}
		g, err := history.LoadFile(filepath.Join(dir, "graph.json"))
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]graph.CollectorStatus{}
		for _, c := range g.Collectors {
			status[c.Key()] = c
		}
		// the model: an instance's set is what it emitted when it completed, and grows by what it
		// emits while it does not
		for _, in := range insts {
			w := want[in.key()]
			st := status[in.key()]
			wantStatus := in.mode.status()
			if in.provider == "docker" && wantStatus == graph.StatusOK && in.emitted[engine] && !g.HasNode(host) {
				wantStatus = graph.StatusPartial // its runs_on edge dangles: DigitalOcean never listed the droplet
			}
			if st.Status != wantStatus {
				t.Fatalf("scan %d: %s is %s, want %s (mode %d): %+v", i, in.key(), st.Status, wantStatus, in.mode, st)
			}
			if st.Status == graph.StatusOK {
				for id := range w {
					if !in.emitted[id] {
						delete(w, id)
					}
				}
			}
			for id := range in.emitted {
				if x, ok := w[id]; ok {
					x.lastSeen, x.staleSince = ts, ""
				} else {
					w[id] = &expected{firstSeen: ts, lastSeen: ts}
				}
			}
			stale := 0
			for id, x := range w {
				if !in.emitted[id] {
					stale++
					if x.staleSince == "" {
						x.staleSince = ts
					}
				}
				n, ok := g.Node(id)
				if !ok {
					t.Fatalf("scan %d (seed %d): %s lost %s (status %s)", i, seed, in.key(), id, st.Status)
				}
				if n.Source != in.key() || n.Stale != (x.staleSince != "") || n.StaleSince != x.staleSince || n.LastSeen != x.lastSeen || n.FirstSeen != x.firstSeen {
					t.Fatalf("scan %d: %s: got source %s stale %v since %q last %q first %q, want since %q last %q first %q",
						i, id, n.Source, n.Stale, n.StaleSince, n.LastSeen, n.FirstSeen, x.staleSince, x.lastSeen, x.firstSeen)
				}
			}
			if r, ok := g.Node(repo); ok && r.Stale && r.Source == in.key() {
				stale++ // an ownerless node carried with an edge of this instance counts as its own
			}
			if st.Stale != stale {
				t.Errorf("scan %d: %s stale count %d, want %d", i, in.key(), st.Stale, stale)
			}
		}
		for _, n := range g.Nodes() {
			if n.Provider == "git" {
				continue
			}
			if _, ok := want[n.Source][n.ID]; !ok {
				t.Fatalf("scan %d: %s (source %q) kept though its owner completed without it", i, n.ID, n.Source)
			}
		}
		// every project in the graph keeps its repo and the edge to it; the engine its droplet
		for _, n := range g.Nodes() {
			if n.Kind == "project" {
				if _, ok := g.Edge(graph.EdgeKey{From: n.ID, To: repo, Type: "builds_from"}); !ok {
					t.Fatalf("scan %d: %s lost its builds_from edge", i, n.ID)
				}
			}
		}
		// runs_on, observed by Docker this scan, is kept whenever the droplet is in the graph, fresh
		// or carried
		if docker := insts[2]; docker.emitted[engine] && g.HasNode(host) {
			ed, ok := g.Edge(graph.EdgeKey{From: engine, To: host, Type: "runs_on"})
			if !ok || ed.Stale || ed.LastSeen != ts {
				t.Fatalf("scan %d: runs_on observed this scan: %+v present=%v", i, ed, ok)
			}
		}
		staleNodes := 0
		for _, n := range g.Nodes() {
			if n.Stale {
				staleNodes++
			}
		}
		infra, _ := os.ReadFile(filepath.Join(dir, "INFRA.md"))
		if banner := fmt.Sprintf("WARNING: %d STALE resources", staleNodes); (staleNodes > 0) != bytes.Contains(infra, []byte(banner)) {
			t.Errorf("scan %d: %d stale nodes, INFRA.md banner %q present=%v", i, staleNodes, banner, !(staleNodes > 0))
		}
		checkLatest(t, dir, g, i)
	}
}

// checkLatest: graph.json is the newest snapshot, and CHANGES.md and scan.changes agree with
// `discover diff` of the two newest scans.
func checkLatest(t *testing.T, dir string, g *graph.Graph, i int) {
	t.Helper()
	top, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	snap, _ := os.ReadFile(filepath.Join(dir, "scans", g.Scan.ID, "graph.json"))
	if !bytes.Equal(top, snap) {
		t.Fatalf("scan %d: graph.json is not the latest snapshot", i)
	}
	if i == 0 {
		return
	}
	store := history.Store{Dir: dir}
	prevSnap, err := store.Resolve("previous")
	if err != nil {
		t.Fatal(err)
	}
	old, err := history.LoadFile(prevSnap.Path) // compressed
	if err != nil {
		t.Fatal(err)
	}
	c := history.Diff(old, g)
	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"diff", "--out", dir, "--json"}, e); code != exitOK {
		t.Fatalf("scan %d: diff: %d %s", i, code, errb)
	}
	want, _ := json.MarshalIndent(c, "", "  ")
	if !bytes.Equal(bytes.TrimSpace(out.Bytes()), want) {
		t.Errorf("scan %d: discover diff --json:\n%s\nwant\n%s", i, out, want)
	}
	got, _ := json.Marshal(g.Scan.Changes)
	wantSum, _ := json.Marshal(c.Summary())
	if !bytes.Equal(got, wantSum) {
		t.Errorf("scan %d: scan.changes %s, diff says %s", i, got, wantSum)
	}
	var md bytes.Buffer
	if err := history.WriteMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	changes, _ := os.ReadFile(filepath.Join(dir, "CHANGES.md"))
	if !bytes.Equal(changes, md.Bytes()) {
		t.Errorf("scan %d: CHANGES.md differs from diff:\n%s\n---\n%s", i, changes, md.Bytes())
	}
}
