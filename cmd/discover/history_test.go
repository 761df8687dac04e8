package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/config"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/scan"
)

type fakeCollector func(ctx context.Context, emit graph.Emitter) error

func (f fakeCollector) Collect(ctx context.Context, emit graph.Emitter) error { return f(ctx, emit) }

// syncBuffer is a bytes.Buffer safe for the log writer and the test reading it concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// droplets emits a DigitalOcean estate, or fails when *fail is set.
func droplets(fail *bool) collectors.Collector {
	return fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
		if *fail {
			return errors.New("GET /v2/droplets: 401 Unauthorized")
		}
		emit.Node(graph.Node{ID: "digitalocean:droplet:1001", Kind: "droplet", Provider: "digitalocean", Name: "erp-1", Attrs: graph.Attrs{"public_ipv4": "203.0.113.10"}})
		return nil
	})
}

func withInstances(e *env, insts ...collectors.Instance) {
	e.Instances = func(*config.File) []collectors.Instance { return insts }
}

func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestScanFlagsParseSchedule(t *testing.T) {
	e, _, _ := testEnv(nil)
	var got *scanOpts
	cmd := newScanCmd(e, &globalOpts{}, func(o *scanOpts) error { got = o; return nil })
	cmd.SetArgs([]string{"--every", "6h", "--jitter", "0s", "--keep", "5"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.every != 6*time.Hour || got.jitter != 0 || !got.jitterSet || got.keep != 5 {
		t.Errorf("parsed %+v", got)
	}
	cmd = newScanCmd(e, &globalOpts{}, func(o *scanOpts) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.every != 0 || got.jitterSet || got.keep != history.DefaultKeep {
		t.Errorf("defaults %+v", got)
	}
	for _, args := range [][]string{{"--keep", "-1"}, {"--jitter", "1m"}, {"--every", "-1h"}} {
		e, _, errb := testEnv(nil)
		if code := runEnv(context.Background(), append([]string{"scan", "--out", t.TempDir()}, args...), e); code != exitUsage {
			t.Errorf("%v: exit %d (%s)", args, code, errb)
		}
	}
}

// Two scans through the CLI: the second has DigitalOcean failing. Its droplet stays, stale; the
// history holds both scans (the older compressed); CHANGES.md and graph.json say what went stale;
// diff and query read it back.
func TestScanKeepsHistoryAndStaleness(t *testing.T) {
	dir := t.TempDir()
	fail := false
	inst := collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)}
	t1 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	t2 := t1.Add(6 * time.Hour)

	e, _, errb := testEnv(nil)
	withInstances(e, inst)
	e.Now = clockAt(t1)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("scan 1: exit %d: %s", code, errb)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "CHANGES.md"))
	if !strings.Contains(string(md), "first scan") {
		t.Errorf("CHANGES.md of the first scan: %s", md)
	}

	fail = true
	e, _, errb = testEnv(nil)
	withInstances(e, inst)
	e.Now = clockAt(t2)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitNothing {
		t.Fatalf("scan 2: exit %d: %s", code, errb)
	}
	if !strings.Contains(errb.String(), "stale=1") || !strings.Contains(errb.String(), "failed=digitalocean/prod") {
		t.Errorf("summary line: %s", errb)
	}
	g, err := history.LoadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	n, ok := g.Node("digitalocean:droplet:1001")
	if !ok || !n.Stale || n.StaleSince != "2026-11-20T12:00:00Z" || n.LastSeen != "2026-11-20T06:00:00Z" {
		t.Fatalf("droplet after a failed scan: %+v present=%v", n, ok)
	}
	if g.Scan.Changes == nil || g.Scan.Changes.NodesStale != 1 || g.Scan.Changes.Since != "20261120T060000Z" {
		t.Errorf("changes %+v", g.Scan.Changes)
	}
	for _, p := range []string{"scans/20261120T060000Z/graph.json.gz", "scans/20261120T120000Z/graph.json"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("history: %v", err)
		}
	}
	md, _ = os.ReadFile(filepath.Join(dir, "CHANGES.md"))
	if !strings.Contains(string(md), "`digitalocean:droplet:1001` droplet \"erp-1\", stale since 2026-11-20T12:00:00Z (digitalocean/prod)") {
		t.Errorf("CHANGES.md:\n%s", md)
	}

	// diff with no arguments: previous against latest
	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"diff", "--out", dir}, e); code != exitOK {
		t.Fatalf("diff: exit %d: %s", code, errb)
	}
	if !strings.Contains(out.String(), "! digitalocean:droplet:1001") || !strings.Contains(out.String(), "1 went stale") {
		t.Errorf("diff:\n%s", out)
	}
	// by id prefix and file, as JSON
	e, out, errb = testEnv(nil)
	if code := runEnv(context.Background(), []string{"diff", "--out", dir, "--json", "20261120T06", filepath.Join(dir, "graph.json")}, e); code != exitOK {
		t.Fatalf("diff --json: exit %d: %s", code, errb)
	}
	var c history.Changes
	if err := json.Unmarshal(out.Bytes(), &c); err != nil || len(c.NodesStale) != 1 || c.NodesAdded == nil {
		t.Errorf("diff --json: %v %s", err, out)
	}
	// query the output directory: the stale droplet is marked
	e, out, _ = testEnv(nil)
	if code := runEnv(context.Background(), []string{"query", "--graph", dir, "--stale"}, e); code != exitOK || !strings.Contains(out.String(), "stale since 2026-11-20T12:00:00Z") {
		t.Errorf("query --stale: %d\n%s", code, out)
	}
}

func TestDiffErrors(t *testing.T) {
	dir := t.TempDir()
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"diff", "--out", dir}, e); code != exitError || !strings.Contains(errb.String(), "no scans in the history") {
		t.Errorf("empty history: %d %s", code, errb)
	}
	e, _, errb = testEnv(nil)
	if code := runEnv(context.Background(), []string{"diff", "a", "b", "c"}, e); code != exitUsage {
		t.Errorf("three args: %d %s", code, errb)
	}
}

// A second scan into a locked directory exits 1 and names the holder.
func TestScanLockContention(t *testing.T) {
	dir := t.TempDir()
	lock, err := output.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitError {
		t.Fatalf("exit %d: %s", code, errb)
	}
	want := "is being written by discover (pid " + itoa(os.Getpid())
	if !strings.Contains(errb.String(), want) {
		t.Errorf("stderr %q lacks %q", errb, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "graph.json")); err == nil {
		t.Error("locked directory was written")
	}
	lock.Release()
	e, _, errb = testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Errorf("after release: exit %d: %s", code, errb)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// A scan interrupted while its collectors run is abandoned: nothing is written, the previous
// outputs stay as they were, and --every stops.
func TestEveryAbandonsInterruptedScan(t *testing.T) {
	dir := t.TempDir()
	fail := false
	ok := collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)}
	e, _, errb := testEnv(nil)
	withInstances(e, ok)
	e.Now = clockAt(time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("first scan: %d %s", code, errb)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "graph.json"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	hang := collectors.Instance{Provider: "docker", Name: "edge", Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})}
	var log syncBuffer
	e = &env{Stdout: &bytes.Buffer{}, Stderr: &log, Getenv: func(string) string { return "" }, Exists: func(string) bool { return false }}
	withInstances(e, ok, hang)
	done := make(chan int, 1)
	go func() { done <- runEnv(ctx, []string{"scan", "--out", dir, "--every", "1h"}, e) }()
	<-started
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d: %s", code, log.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	if !strings.Contains(log.String(), "scan abandoned") || strings.Contains(log.String(), "scan finished") {
		t.Errorf("log:\n%s", log.String())
	}
	after, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	if !bytes.Equal(before, after) {
		t.Error("an interrupted scan changed graph.json")
	}
	if snaps, _ := (history.Store{Dir: dir}).List(); len(snaps) != 1 {
		t.Errorf("an interrupted scan added a snapshot: %v", snaps)
	}
	// without --every, the same interruption is an error: nothing was written
	ctx2, cancel2 := context.WithCancel(context.Background())
	started = make(chan struct{})
	e, _, errb = testEnv(nil)
	withInstances(e, ok, hang)
	go func() { <-started; cancel2() }()
	if code := runEnv(ctx2, []string{"scan", "--out", dir}, e); code != exitError || !strings.Contains(errb.String(), "interrupted before writing") {
		t.Errorf("one-shot interrupted: %d %s", code, errb)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestQueryCommands(t *testing.T) {
	fixture := acmeGraphFile(t)
	for name, c := range map[string]struct {
		args []string
		code int
		want []string
	}{
		"find":      {[]string{"query", "--graph", fixture, "--kind", "droplet"}, exitOK, []string{"digitalocean:droplet:1001", "droplet", "erp-1", "1 node(s)"}},
		"find none": {[]string{"query", "--graph", fixture, "--name", "zzz"}, exitOK, []string{"no nodes match"}},
		"bad attr":  {[]string{"query", "--graph", fixture, "--attr", "=x"}, exitUsage, nil},
		"impact":    {[]string{"query", "--graph", fixture, "impact", "1001", "--depth", "1"}, exitOK, []string{"impact of digitalocean:droplet:1001", "blast radius 20", "docker:engine:erp-1", "runs_on (rule 0.90)", "parts: 7 odoo module", "3 docker compose service", "destroys database acme", "destroys volume erp_db-data"}},
		"deps":      {[]string{"query", "--graph", fixture, "deps", "erp-odoo-1"}, exitOK, []string{"docker:engine:erp-1", "digitalocean:droplet:1001"}},
		"stale hit": {[]string{"query", "--graph", fixture, "impact", "odoo:instance:erp.acme-coffee.com"}, exitOK, []string{acmeAPI, "stale since 2026-11-21T06:00:00Z"}},
		"path":      {[]string{"query", "--graph", fixture, "path", "prj_admin", "erp_db-data"}, exitOK, []string{"-runs_on (rule 0.75) via erp.acme-coffee.com A (dns record)-> digitalocean:droplet:1001", "<-runs_on (rule 0.90)- docker:engine:erp-1", "-contains-> docker:volume:erp-1/erp_db-data"}},
		"restore":   {[]string{"query", "--graph", fixture, "restore", "erp-odoo-1"}, exitOK, []string{"restore order of docker:compose_project:erp-1/erp: 4 step(s)", "2     digitalocean droplet    erp-1         digitalocean:droplet:1001\n3     docker engine", "odoo:instance:erp.acme-coffee.com <-> vercel:project:prj_storefront"}},
		"show":      {[]string{"query", "--graph", fixture, "show", "acme-api"}, exitOK, []string{"STALE", "env.ODOO_URL.host", "erp.acme-coffee.com"}},
		"ambiguous": {[]string{"query", "--graph", fixture, "deps", "erp"}, exitUsage, nil},
		"no graph":  {[]string{"query", "--graph", t.TempDir()}, exitError, nil},
	} {
		e, out, errb := testEnv(nil)
		code := runEnv(context.Background(), c.args, e)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d: %s", name, code, c.code, errb)
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", name, w, out)
			}
		}
		if name == "ambiguous" && !strings.Contains(errb.String(), "docker:compose_project:erp-1/erp") {
			t.Errorf("ambiguity does not list candidates: %s", errb)
		}
		if name == "no graph" && !strings.Contains(errb.String(), "run `discover scan` first") {
			t.Errorf("missing graph: %s", errb)
		}
	}
	e, out, _ := testEnv(nil)
	if code := runEnv(context.Background(), []string{"query", "--graph", fixture, "--json", "impact", "1001"}, e); code != exitOK {
		t.Fatal(code)
	}
	var a struct {
		BlastRadius int `json:"blast_radius"`
		Breaks      []struct {
			Node struct {
				ID    string
				Stale bool
			}
			Distance int
		}
		Parts []struct{ Distance int }
	}
	if err := json.Unmarshal(out.Bytes(), &a); err != nil || len(a.Breaks) != 20 || a.BlastRadius != 20 || a.Breaks[19].Distance != 4 || len(a.Parts) != 44 {
		t.Errorf("--json impact: %v %s", err, out)
	}
}

// A scan whose documents fail to render (a full disk, a renderer error) after graph.json would
// have been written leaves the directory as the previous scan left it: no new graph.json beside
// the old INFRA.md, no snapshot; the next scan builds on the old one.
func TestScanFailingToRenderChangesNothing(t *testing.T) {
	dir := t.TempDir()
	fail := false
	inst := collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)}
	e, _, errb := testEnv(nil)
	withInstances(e, inst)
	e.Now = clockAt(time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("first scan: %d %s", code, errb)
	}
	before := map[string][]byte{}
	for _, f := range []string{"graph.json", "INFRA.md", "CHANGES.md", "proposals.json", "graph.mmd"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		before[f] = b
	}
	files := append(scan.DefaultFiles(scan.RenderOptions{}), scan.File{Name: "broken.md", Render: func(io.Writer, *graph.Graph) error {
		return errors.New("no space left on device")
	}})
	opts := scan.Options{Instances: []collectors.Instance{inst}, Now: clockAt(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))}
	sc := &scanner{opts: opts, store: history.Store{Dir: dir}, log: discardLogger(), files: files}
	if _, _, err := sc.once(context.Background()); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("once: %v", err)
	}
	for f, b := range before {
		if got, _ := os.ReadFile(filepath.Join(dir, f)); !bytes.Equal(got, b) {
			t.Errorf("%s replaced by a scan that failed to write", f)
		}
	}
	if snaps, _ := (history.Store{Dir: dir}).List(); len(snaps) != 1 {
		t.Errorf("snapshots %v", snaps)
	}
	ents, _ := os.ReadDir(dir)
	for _, en := range ents {
		if strings.Contains(en.Name(), ".tmp-") || en.Name() == "broken.md" {
			t.Errorf("leftover %s", en.Name())
		}
	}
}

type cancelEnricher struct{ cancel context.CancelFunc }

func (c cancelEnricher) Name() string { return "rules-test" }
func (c cancelEnricher) Propose(ctx context.Context, g *graph.Graph) ([]enrich.Proposal, error) {
	c.cancel()
	return nil, ctx.Err()
}

// A scan cancelled (SIGINT, SIGTERM) at any point leaves one consistent set of top-level files:
// cancelled while collecting or enriching, the previous scan's, untouched; cancelled once writing
// has begun, the new scan's, every file and the snapshot.
func TestScanCancelledAtEveryPoint(t *testing.T) {
	for _, point := range []string{"collect", "enrich", "render"} {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			fail := false
			inst := collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)}
			e, _, errb := testEnv(nil)
			withInstances(e, inst)
			e.Now = clockAt(time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
			if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
				t.Fatalf("first scan: %d %s", code, errb)
			}
			before := readTop(t, dir)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := scan.Options{Instances: []collectors.Instance{inst}, Now: clockAt(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))}
			files := scan.DefaultFiles(scan.RenderOptions{})
			switch point {
			case "collect":
				opts.Instances = append(opts.Instances, collectors.Instance{Provider: "docker", Name: "edge", Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
					cancel()
					<-ctx.Done()
					return ctx.Err()
				})})
			case "enrich":
				opts.Enrichers = []enrich.Enricher{cancelEnricher{cancel}}
			case "render":
				infra := files[1].Render
				files[1].Render = func(w io.Writer, g *graph.Graph) error { cancel(); return infra(w, g) }
			}
			sc := &scanner{opts: opts, store: history.Store{Dir: dir}, log: discardLogger(), files: files}
			_, _, err := sc.once(ctx)
			after := readTop(t, dir)
			snaps, _ := history.Store{Dir: dir}.List()
			if point != "render" {
				if !errors.Is(err, errInterrupted) {
					t.Fatalf("once: %v", err)
				}
				for f, b := range before {
					if !bytes.Equal(after[f], b) {
						t.Errorf("%s changed by an abandoned scan", f)
					}
				}
				if len(snaps) != 1 {
					t.Errorf("snapshots %v", snaps)
				}
				return
			}
			if err != nil {
				t.Fatalf("a scan cancelled while writing did not finish: %v", err)
			}
			if len(snaps) != 2 || snaps[1].ID != "20261120T120000Z" {
				t.Fatalf("snapshots %v", snaps)
			}
			snap, _ := os.ReadFile(snaps[1].Path)
			if !bytes.Equal(after["graph.json"], snap) || !bytes.Contains(after["INFRA.md"], []byte("scan `20261120T120000Z`")) ||
				!bytes.Contains(after["CHANGES.md"], []byte("20261120T060000Z")) {
				t.Errorf("mixed set after a cancelled write:\n%s\n%s", after["INFRA.md"][:200], after["CHANGES.md"])
			}
		})
	}
}

func readTop(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range []string{"graph.json", "INFRA.md", "CHANGES.md", "proposals.json", "graph.mmd"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		m[f] = b
	}
	return m
}

// diff and query read compressed snapshots: by scan id, by .gz path, and by the plain path a
// snapshot had before the next scan compressed it. A damaged one is a clear error.
func TestDiffAndQueryCompressedSnapshots(t *testing.T) {
	dir := t.TempDir()
	fail := false
	inst := collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)}
	t1 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	for i, f := range []bool{false, true, false} {
		fail = f
		e, _, errb := testEnv(nil)
		withInstances(e, inst)
		e.Now = clockAt(t1.Add(time.Duration(i) * 6 * time.Hour))
		if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code == exitError || code == exitUsage {
			t.Fatalf("scan %d: %d %s", i, code, errb)
		}
	}
	old := filepath.Join(dir, "scans", "20261120T060000Z", "graph.json.gz")
	mid := filepath.Join(dir, "scans", "20261120T120000Z", "graph.json.gz")
	for _, p := range []string{old, mid} {
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	}
	cli := func(args ...string) (int, string, string) {
		e, out, errb := testEnv(nil)
		return runEnv(context.Background(), args, e), out.String(), errb.String()
	}
	for _, args := range [][]string{
		{"diff", "--out", dir, "20261120T06", "20261120T12"},
		{"diff", old, mid},
		{"diff", strings.TrimSuffix(old, ".gz"), strings.TrimSuffix(mid, ".gz")},
	} {
		code, out, errb := cli(args...)
		if code != exitOK || !strings.Contains(out, "! digitalocean:droplet:1001") || !strings.Contains(out, "1 went stale") {
			t.Errorf("%v: %d %s\n%s", args, code, errb, out)
		}
	}
	for _, g := range []string{mid, strings.TrimSuffix(mid, ".gz")} {
		code, out, errb := cli("query", "--graph", g, "show", "erp-1")
		if code != exitOK || !strings.Contains(out, "STALE") {
			t.Errorf("query %s: %d %s\n%s", g, code, errb, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "graph.json.gz")
	os.WriteFile(bad, []byte("not gzip"), 0o644)
	if code, _, errb := cli("query", "--graph", bad); code != exitError || !strings.Contains(errb, bad) || !strings.Contains(errb, "gzip") {
		t.Errorf("damaged snapshot: %d %s", code, errb)
	}
	if code, _, errb := cli("diff", bad, mid); code != exitError || !strings.Contains(errb, bad) {
		t.Errorf("diff of a damaged snapshot: %d %s", code, errb)
	}
}

// A graph file that does not exist is named as such, not looked up as a scan id.
func TestDiffMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "graph.json")
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"diff", missing, missing}, e); code != exitError || !strings.Contains(errb.String(), missing+": no such file") {
		t.Errorf("%d %s", code, errb)
	}
}

// An instance that leaves the configuration (renamed, or a config file not passed) drops what it
// found, by design; the scan says so.
func TestScanWarnsOfDroppedInstance(t *testing.T) {
	dir := t.TempDir()
	fail := false
	e, _, errb := testEnv(nil)
	withInstances(e, collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)})
	e.Now = clockAt(time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("%d %s", code, errb)
	}
	e, _, errb = testEnv(nil)
	withInstances(e, collectors.Instance{Provider: "digitalocean", Name: "default", Skip: "not configured"})
	e.Now = clockAt(time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC))
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("%d %s", code, errb)
	}
	if !strings.Contains(errb.String(), "collector instance no longer configured") || !strings.Contains(errb.String(), "collector=digitalocean/prod nodes=1") {
		t.Errorf("no warning:\n%s", errb)
	}
}

// The temp files of a scan killed while writing are removed by the next one.
func TestScanRemovesLeftoverTemps(t *testing.T) {
	dir := t.TempDir()
	left := []string{".graph.json.tmp-1", "diagrams/.web.mmd.tmp-2", "scans/20261120T060000Z/.graph.json.tmp-3"}
	for _, f := range left {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("{"), 0o644)
	}
	e, _, errb := testEnv(nil)
	e.Now = clockAt(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("%d %s", code, errb)
	}
	for _, f := range left {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s left", f)
		}
	}
	if !strings.Contains(errb.String(), "removed temp files an interrupted scan left behind") {
		t.Errorf("log: %s", errb)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
