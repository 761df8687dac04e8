package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/infragraph/infragraph/alerts"
	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/demo"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/schemas"
)

// The offline stages are measured on the demo estate's real collector output, repeated: each
// copy gets its own company name, Supabase ref, IP addresses and node ids, so a copy's Vercel
// project still names its own Supabase pooler and its own Odoo host, and inference has the
// same work per copy as on the demo.

var (
	baseOnce sync.Once
	base     []collectors.Result
	baseErr  error
)

// demoResults runs the real collectors once against the demo estate's fakes.
func demoResults(tb testing.TB) []collectors.Result {
	baseOnce.Do(func() {
		d, err := demo.Start(context.Background(), demo.Options{})
		if err != nil {
			baseErr = err
			return
		}
		defer d.Close()
		base = collectors.Run(context.Background(), d.Instances, collectors.Options{})
	})
	if baseErr != nil {
		tb.Fatal(baseErr)
	}
	return base
}

var idRE = regexp.MustCompile(`"(vercel|supabase|odoo|digitalocean|docker|git|external):([a-z_]+):`)

// estate returns collector results of about n nodes: copies of the demo's results.
func estate(tb testing.TB, n int) []collectors.Result {
	src := demoResults(tb)
	per := 0
	for _, r := range src {
		per += len(r.Nodes)
	}
	copies := (n + per - 1) / per
	out := make([]collectors.Result, len(src))
	for i, r := range src {
		out[i].Status = r.Status
		raw, err := json.Marshal(struct {
			N []graph.Node
			E []graph.Edge
		}{r.Nodes, r.Edges})
		if err != nil {
			tb.Fatal(err)
		}
		text := string(raw)
		for c := 0; c < copies; c++ {
			t := strings.NewReplacer(
				"qwertyuiopasdfghjklz", ref(c),
				"203.0.113.10", fmt.Sprintf("10.%d.%d.10", 1+c/250, c%250),
				"10.110.0.2", fmt.Sprintf("10.%d.%d.2", 100+c/250, c%250),
				"acme", fmt.Sprintf("acme%d", c),
			).Replace(text)
			t = idRE.ReplaceAllString(t, fmt.Sprintf(`"$1:$2:c%d.`, c))
			var part struct {
				N []graph.Node
				E []graph.Edge
			}
			if err := json.Unmarshal([]byte(t), &part); err != nil {
				tb.Fatal(err)
			}
			out[i].Nodes = append(out[i].Nodes, part.N...)
			out[i].Edges = append(out[i].Edges, part.E...)
		}
	}
	return out
}

// ref is a 20-letter Supabase project ref unique per copy.
func ref(c int) string {
	b := []byte("aaaaaaaaaaaaaaaaaaaa")
	for i := len(b) - 1; c > 0 && i >= 0; i-- {
		b[i] = byte('a' + c%26)
		c /= 26
	}
	return string(b)
}

// peak samples the heap every 5 ms while a stage runs: the highest HeapInuse seen, above what
// was in use before it (the stage's input).
type peak struct {
	stop chan struct{}
	done chan uint64
	base uint64 // HeapInuse before the stage: its input, already in memory
}

func startPeak() *peak {
	p := &peak{stop: make(chan struct{}), done: make(chan uint64)}
	runtime.GC()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	p.base = ms0.HeapInuse
	go func() {
		var ms runtime.MemStats
		var top uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			top = max(top, ms.HeapInuse)
			select {
			case <-p.stop:
				runtime.ReadMemStats(&ms)
				p.done <- max(top, ms.HeapInuse)
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// end returns how far the heap grew above its size before the stage.
func (p *peak) end() uint64 {
	close(p.stop)
	top := <-p.done
	if top < p.base {
		return 0
	}
	return top - p.base
}

var sizes = []int{10_000, 100_000}

// stage runs f b.N times and reports time, allocation and peak heap per run, and prints a line.
func stage(b *testing.B, name string, nodes, edges int, f func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	pk := startPeak()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f()
	}
	b.StopTimer()
	cpu := (cpuTime() - cpu0) / time.Duration(b.N)
	b.ReportMetric(float64(cpu.Milliseconds()), "cpu-ms/op")
	top := pk.end()
	runtime.ReadMemStats(&after)
	perOp := time.Duration(int64(b.Elapsed()) / int64(b.N))
	allocMB := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N) / (1 << 20)
	b.ReportMetric(float64(top)/(1<<20), "peak-heap-growth-MB")
	b.ReportMetric(float64(nodes), "nodes")
	lines.Lock()
	lines.m[name] = fmt.Sprintf("%-34s nodes %6d edges %6d  %10s/op  cpu %10s/op  alloc %8.1f MB/op  peak heap +%7.1f MB", name, nodes, edges, perOp.Round(time.Microsecond), cpu.Round(time.Millisecond), allocMB, float64(top)/(1<<20))
	lines.order = appendNew(lines.order, name)
	lines.Unlock()
}

// cpuTime is the CPU time (user and system) the process has used: on a machine shared with
// other work, it measures a stage's work where wall time measures the machine's load. It
// includes garbage collection and the heap sampler (one ReadMemStats every 5 ms).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lines keeps each stage's last (largest b.N) result, printed once at the end.
var lines = struct {
	sync.Mutex
	m     map[string]string
	order []string
}{m: map[string]string{}}

func appendNew(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// BenchmarkOffline times the stages after collection for 10k and 100k nodes of each shape:
// graph build (scan.Merge), inference and validation (scan.Enrich with the enrichers a scan
// runs), carrying a failed collector's part of the previous scan forward (history.Carry and
// CarryInferred), the diff against the previous scan (history.Diff), proposals.json, and
// rendering graph.json, the Mermaid diagrams and INFRA.md.
//
//	go test ./bench -run '^$' -bench Offline -benchtime 3x -timeout 30m
func BenchmarkOffline(b *testing.B) {
	fmt.Println("reproduce: go test ./bench -run '^$' -bench Offline -benchtime 3x -timeout 30m")
	vocab, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, k := range lines.order {
			fmt.Println(lines.m[k])
		}
	}()
	for _, sh := range shapes {
		for _, n := range sizes {
			// Sub-benchmarks are named shape/size/stage, and the estate is built inside
			// shape/size, so -bench 'Offline/do-hub/10k' builds only that estate.
			b.Run(fmt.Sprintf("%s/%dk", sh.name, n/1000), func(b *testing.B) {
				offline(b, vocab, sh.name, n, sh.build(b, n))
			})
		}
	}
}

// offline runs every offline stage of one estate as sub-benchmarks.
func offline(b *testing.B, vocab *schemas.Vocabulary, shape string, n int, results []collectors.Result) {
	label := func(stage string) string { return fmt.Sprintf("%s %s %dk", shape, stage, n/1000) }
	// The scan after a previous one, first, while only its inputs are in memory: every offline
	// stage as a scan runs them (scan.Build: merge, carry-forward, inference and validation, the
	// stale inferred edges, the history diff, alerts) and every document scan.Stage writes
	// (graph.json, INFRA.md, the diagrams, proposals.json, CHANGES.md, side by side as it renders
	// them; into files on tmpfs, so disk and fsync are not timed). The largest collector
	// instance failed this time, so history carries its part of the previous scan forward.
	t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	t1 := t0.Add(6 * time.Hour)
	prev := previousScan(vocab, results, t0)
	failed := failLargest(results)
	b.Run("scan", func(b *testing.B) {
		dir := memDir(b)
		nodes, e := prev.Len()
		stage(b, label("scan (all stages)"), nodes, e, func() {
			res := scan.Build(context.Background(), failed, vocab, t1, scan.Options{
				Enrichers: enrichers(), Previous: prev, Now: func() time.Time { return t1 },
			})
			st, err := scan.Stage(dir, res, scan.DefaultFiles(scan.RenderOptions{}))
			if err != nil {
				b.Fatal(err)
			}
			st.Discard()
		})
	})
	g := scan.MergeCarrying(results, nil, time.Time{})
	nodes, _ := g.Len()
	b.Run("merge", func(b *testing.B) {
		_, e := g.Len()
		stage(b, label("merge"), nodes, e, func() { scan.MergeCarrying(results, nil, time.Time{}) })
	})
	enriched := scan.MergeCarrying(results, nil, time.Time{})
	scan.Enrich(context.Background(), enriched, enrichers(), enrich.Validator{Vocab: vocab, Threshold: scan.DefaultThreshold})
	b.Run("infer+validate", func(b *testing.B) {
		_, e := enriched.Len()
		var gs []*graph.Graph
		for i := 0; i < b.N; i++ {
			gs = append(gs, scan.MergeCarrying(results, nil, time.Time{})) // a fresh graph per run: Enrich adds edges
		}
		i := 0
		stage(b, label("infer+validate"), nodes, e, func() {
			scan.Enrich(context.Background(), gs[i], enrichers(), enrich.Validator{Vocab: vocab, Threshold: scan.DefaultThreshold})
			i++
		})
	})
	// The stages of a scan after one before it: the largest collector instance failed this time,
	// so history carries its part of the previous graph forward stale (before inference) and the
	// previous scan's inferred edges over them (after it); then the diff against the previous
	// scan and proposals.json.
	after := scan.MergeCarrying(failed, nil, time.Time{})
	history.Carry(prev, after, t1)
	verdicts := scan.Enrich(context.Background(), after, enrichers(), enrich.Validator{Vocab: vocab, Threshold: scan.DefaultThreshold})
	history.CarryInferred(prev, after, t1)
	b.Run("carry-forward", func(b *testing.B) {
		_, e := prev.Len()
		// the pipeline carries into this scan's own graph: a fresh one per run, built untimed
		gs := make([]*graph.Graph, b.N)
		for i := range gs {
			gs[i] = scan.MergeCarrying(failed, nil, time.Time{})
		}
		i := 0
		stage(b, label("carry-forward"), nodes, e, func() {
			history.Carry(prev, gs[i], t1)
			history.CarryInferred(prev, gs[i], t1)
			gs[i] = nil
			i++
		})
	})
	b.Run("history-diff", func(b *testing.B) {
		_, e := after.Len()
		stage(b, label("history diff"), nodes, e, func() { history.Diff(prev, after) })
	})
	b.Run("alerts", func(b *testing.B) {
		ch := history.Diff(prev, after)
		_, e := after.Len()
		stage(b, label("drift alerts"), nodes, e, func() {
			alerts.Streaks(prev, after)
			alerts.Detect(prev, after, ch, alerts.Options{})
		})
	})
	b.Run("proposals", func(b *testing.B) {
		stage(b, label("proposals.json"), nodes, len(verdicts), func() {
			if err := scan.WriteProposals(io.Discard, verdicts); err != nil {
				b.Fatal(err)
			}
		})
	})
	for _, r := range []struct {
		name string
		f    func() error
	}{
		{"graph.json", func() error { return render.JSON(io.Discard, enriched) }},
		{"mermaid", func() error { _, err := render.Diagrams(enriched); return err }},
		{"INFRA.md", func() error { return render.Infra(render.InfraOptions{})(io.Discard, enriched) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			_, e := enriched.Len()
			stage(b, label("render "+r.name), nodes, e, func() {
				if err := r.f(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// memDir is a directory for scan.Stage's files in memory (tmpfs, where a sync costs nothing),
// so the scan stage times what a scan renders and not the disk; a temp dir where there is none.
func memDir(b *testing.B) string {
	if d, err := os.MkdirTemp("/dev/shm", "infragraph-bench-"); err == nil {
		b.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	return b.TempDir()
}

// previousScan is the scan before: every instance complete, enriched, stamped at t0.
func previousScan(vocab *schemas.Vocabulary, results []collectors.Result, t0 time.Time) *graph.Graph {
	g := scan.MergeCarrying(results, nil, time.Time{})
	scan.Enrich(context.Background(), g, enrichers(), enrich.Validator{Vocab: vocab, Threshold: scan.DefaultThreshold})
	history.Carry(nil, g, t0)
	history.CarryInferred(nil, g, t0)
	return g
}

// failLargest returns results with the instance that found the most nodes failed, nothing
// collected: what history then carries forward.
func failLargest(results []collectors.Result) []collectors.Result {
	out := append([]collectors.Result(nil), results...)
	big := 0
	for i, r := range out {
		if len(r.Nodes) > len(out[big].Nodes) {
			big = i
		}
	}
	out[big].Status.Status = graph.StatusFailed
	out[big].Status.Reason = "bench: failed"
	out[big].Nodes, out[big].Edges = nil, nil
	return out
}

// enrichers are the enrichers a scan runs without the LLM.
func enrichers() []enrich.Enricher { return []enrich.Enricher{enrich.Rules{}} }
