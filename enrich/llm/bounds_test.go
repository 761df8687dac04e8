package llm

import (
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
)

// cacheFiles lists the answers cached under dir.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Issue #26 item 5: a gateway answering hundreds of megabytes is cut at MaxResponseBytes with a
// clear error, and nothing of it is cached.
func TestOversizedAnswerFailsAndIsNotCached(t *testing.T) {
	huge := strings.Repeat(" ", MaxResponseBytes+1)
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		return 200, nil, completion(model, `{"edges":[],"undecided":[]}`+huge)
	}}
	dir := t.TempDir()
	e, _ := setup(t, f, func(c *Config) { c.BatchSize = 50; c.CacheDir = dir })
	ps, err := e.Propose(context.Background(), estate(t))
	if err == nil || len(ps) != 0 {
		t.Fatalf("want an error, got %v %v", ps, err)
	}
	if !strings.Contains(err.Error(), "exceeded 1 MiB") {
		t.Errorf("error does not name the cap: %v", err)
	}
	if files := cacheFiles(t, dir); len(files) != 0 {
		t.Errorf("oversized answers cached: %v", files)
	}
}

// Issue #26 item 7: an answer is bounded by the pairs it was asked about: however many edges it
// lists, at most MaxEdgesPerPair per pair survive, and every string it wrote is clipped.
func TestAnswerIsBoundedByThePairsAsked(t *testing.T) {
	long := strings.Repeat("x", 100000)
	const good = `{"from_id":"vercel:env_var:prj_admin/env_odoo","to_id":"odoo:instance:erp.acme-coffee.com","type":"calls","confidence":0.9,"evidence":[` +
		`{"node_id":"vercel:env_var:prj_admin/env_odoo","field":"value.host","quote":"erp.acme-coffee.com"},{"node_id":"odoo:instance:erp.acme-coffee.com","field":"host","quote":"erp.acme-coffee.com"}]}`
	edges := []string{
		// ids nobody offered, a quote and a field of 100,000 characters, 20 evidence items
		`{"from_id":"` + long + `","to_id":"odoo:instance:erp.acme-coffee.com","type":"calls","confidence":0.9,"evidence":[]}`,
		`{"from_id":"odoo:instance:erp.acme-coffee.com","to_id":"vercel:env_var:prj_admin/env_odoo","type":"calls","confidence":0.9,"evidence":[` +
			`{"node_id":"vercel:env_var:prj_admin/env_odoo","field":"value.host","quote":"` + long + `"},` +
			`{"node_id":"odoo:instance:erp.acme-coffee.com","field":"` + long + `","quote":"erp.acme-coffee.com"}` +
			strings.Repeat(`,{"node_id":"odoo:instance:erp.acme-coffee.com","field":"host","quote":"erp.acme-coffee.com"}`, 20) + `]}`,
	}
	for len(edges) < 2000 {
		edges = append(edges, good) // the same edge, again and again
	}
	body := `{"edges":[` + strings.Join(edges, ",") + `],"undecided":[` + strings.Repeat(`"p1",`, 1000) + `"p1"]}`
	if len(body) > MaxResponseBytes-4096 {
		t.Fatalf("test answer of %d bytes would hit the body cap", len(body))
	}
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		if len(pairsIn(req)) != 1 || pairsIn(req)[0].B != "vercel:env_var:prj_admin/env_odoo" {
			return 200, nil, completion(model, `{"edges":[],"undecided":[]}`)
		}
		return 200, nil, completion(model, body)
	}}
	e, _ := setup(t, f, func(c *Config) { c.BatchSize = 1; c.Workers = 1 })
	ps, err := e.Propose(context.Background(), estate(t))
	if err != nil {
		t.Fatal(err)
	}
	// The pair is asked of each model tier once (it stays undecided): each answer yields at
	// most MaxEdgesPerPair proposals, and the 1001 "undecided" entries are one pair.
	perModel := map[string]int{}
	for _, p := range ps {
		perModel[p.Enricher]++
		for _, s := range []string{p.Edge.From, p.Edge.To} {
			if len(s) > MaxField {
				t.Errorf("id of %d bytes kept", len(s))
			}
		}
		if len(p.Edge.Evidence) > MaxEvidence {
			t.Errorf("%d evidence items kept", len(p.Edge.Evidence))
		}
		for _, ev := range p.Edge.Evidence {
			if len(ev.Node) > MaxField+len("…") || len(ev.Field) > MaxField+len("…") || len(ev.Value) > MaxField+len("…") {
				t.Errorf("evidence not clipped: %d/%d/%d bytes", len(ev.Node), len(ev.Field), len(ev.Value))
			}
		}
	}
	for m, n := range perModel {
		if n > MaxEdgesPerPair {
			t.Errorf("%s: %d proposals for one pair asked", m, n)
		}
	}
	if len(ps) == 0 {
		t.Fatal("the one good edge was dropped too")
	}
	if d, _ := e.Summary()["dropped"].(int); d < 1998 {
		t.Errorf("dropped %v, want the 1998 others of each answer counted", e.Summary()["dropped"])
	}
	b, _ := json.Marshal(ps)
	if len(b) > 64<<10 {
		t.Errorf("proposals hold %d bytes", len(b))
	}
}

// Issue #26 item 12: an answer that does not parse is not cached: the next scan asks again and
// gets the good answer, instead of replaying the bad one forever.
func TestUnparseableAnswerIsNotCached(t *testing.T) {
	bad := true
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		if bad {
			return 200, nil, completion(model, "I think the admin project probably talks to the ERP.")
		}
		return good(model, n, req)
	}}
	dir := t.TempDir()
	e1, srv := setup(t, f, func(c *Config) { c.CacheDir = dir })
	g := estate(t)
	e1.Propose(context.Background(), g)
	if files := cacheFiles(t, dir); len(files) != 0 {
		t.Errorf("unparseable answers cached: %v", files)
	}
	bad = false
	cfg := testConfig(srv.URL)
	cfg.CacheDir = dir
	e2, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := e2.Propose(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if vs := validate(g, ps); len(vs) != 1 || !vs[0].Accepted {
		t.Fatalf("second scan replayed the bad answer: %+v", vs)
	}
	if len(cacheFiles(t, dir)) == 0 {
		t.Error("the good answer was not cached")
	}
}

// runBounded runs Propose and fails the test if it has not returned after limit: a hang guard,
// not a timing assertion.
func runBounded(t *testing.T, e *Enricher, g *graph.Graph, limit time.Duration) (ps []enrich.Proposal, err error) {
	t.Helper()
	type result struct {
		ps  []enrich.Proposal
		err error
	}
	done := make(chan result, 1)
	go func() {
		ps, err := e.Propose(context.Background(), g)
		done <- result{ps, err}
	}()
	select {
	case r := <-done:
		return r.ps, r.err
	case <-time.After(limit):
		t.Fatalf("Propose still running after %s", limit)
		return nil, nil
	}
}

// Issue #26 item 8: a 429 asking to retry after 999999 s, beyond the stage's time budget, fails
// the call at once instead of holding the scan.
func TestRetryAfterBeyondBudgetFailsAtOnce(t *testing.T) {
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		return 429, map[string]string{"Retry-After": "999999"}, `{"error":{"message":"Rate limit exceeded","type":"rate_limit_exceeded"}}`
	}}
	e, _ := setup(t, f, func(c *Config) { c.BatchSize = 50; c.Timeout = time.Minute })
	ps, err := runBounded(t, e, estate(t), 20*time.Second)
	if err == nil || len(ps) != 0 {
		t.Fatalf("want an error, got %v %v", ps, err)
	}
	if !strings.Contains(err.Error(), "beyond the") || !strings.Contains(err.Error(), "time budget") {
		t.Errorf("error does not say why: %v", err)
	}
	// Once per tier (cheap, strong) and once for each tier's fallback: never a retry.
	if f.requests() != 4 || f.counts["cheap/model"] != 1 || f.counts["strong/model"] != 1 {
		t.Errorf("requests %v: a wait past the budget was retried", f.counts)
	}
}

// Issue #26 item 8: when the stage's time budget runs out it ends with the proposals it has,
// and says so.
func TestTimeBudgetEndsTheStageWithWhatItHas(t *testing.T) {
	f := &fakeAPI{behave: func(model string, n int, req map[string]any) (int, map[string]string, string) {
		if n > 1 {
			time.Sleep(3 * time.Second) // slower than the budget: the call is cut by it
		}
		return good(model, n, req)
	}}
	e, _ := setup(t, f, func(c *Config) { c.BatchSize = 1; c.Workers = 1; c.Timeout = time.Second })
	g := estate(t)
	ps, err := runBounded(t, e, g, 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "time budget exhausted of 1s") {
		t.Fatalf("want the time budget's error, got %v", err)
	}
	if notes, _ := e.Summary()["notes"].(string); !strings.Contains(notes, "time budget of 1s ran out") {
		t.Errorf("notes %q", notes)
	}
	if f.requests() >= 6*4 {
		t.Errorf("%d requests: calls kept starting after the budget", f.requests())
	}
	_ = ps // what the first call answered, if its pair was the good one
}

func TestConfigRejectsNegativeTimeout(t *testing.T) {
	c := Config{Timeout: -time.Second}
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "timeout:") {
		t.Errorf("err = %v", err)
	}
}
