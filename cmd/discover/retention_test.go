package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich/llm/llmfake"
	"github.com/infragraph/infragraph/graph"
)

// initrode is one Vercel project: the narrative stage asks about it, so every LLM scan writes
// at least one audit record.
var initrode = collectors.Instance{Provider: "vercel", Name: "initrode", Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
	emit.Node(graph.Node{ID: "vercel:project:prj_initrode", Kind: "project", Provider: "vercel", Name: "initrode-web"})
	return nil
})}

type auditLine struct {
	Scan, At, Model string
}

func readAudit(t *testing.T, dir string) []auditLine {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, llmAuditFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []auditLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var a auditLine
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, a)
	}
	return out
}

func plant(t *testing.T, path, content string, mod time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// Issue #23: the audit log keeps every scan's records (stamped with the scan and the model that
// answered) instead of being overwritten; records and cache entries older than the retention
// (default 90 days) go at the next scan, with the LLM on or off; the old batch-keyed cache
// entries go whatever their age.
func TestAuditLogAndCacheRetention(t *testing.T) {
	gw := &llmfake.Gateway{Key: "k-test", Reply: func(r llmfake.Request) (int, string) {
		if r.Schema() == "narrative" {
			return 200, llmfake.Completion("served/model-b", `{"sentences":[{"text":"A web project.","cites":["vercel:project:prj_initrode"],"claims":[]}]}`)
		}
		return 200, llmfake.Completion(r.Model, `{"edges":[],"undecided":[]}`)
	}}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	vars := map[string]string{"DISCOVER_LLM_BASE_URL": srv.URL + "/v1", "DISCOVER_LLM_API_KEY": "k-test"}
	dir := t.TempDir()
	start := time.Now().UTC().Truncate(time.Second)
	day := 24 * time.Hour

	// Planted: an expired record, a young one, a record without a date in a log last written
	// 100 days ago (so it is dated then), a line that is no record.
	plant(t, filepath.Join(dir, llmAuditFile), strings.Join([]string{
		`{"scan":"old","at":"` + start.Add(-91*day).Format(time.RFC3339) + `","model":"m-expired"}`,
		`{"scan":"young","at":"` + start.Add(-89*day).Format(time.RFC3339) + `","model":"m-young"}`,
		`{"model":"m-undated"}`,
		`not json`,
	}, "\n")+"\n", start.Add(-100*day))
	cache := llmCacheDir(dir)
	expired := filepath.Join(cache, "aa", strings.Repeat("a", 64)+".json")
	batch := filepath.Join(cache, "bb", strings.Repeat("b", 64)+".json")
	fresh := filepath.Join(cache, "cc", strings.Repeat("c", 64)+".json")
	plant(t, expired, `{"model":"m","edges":[]}`, start.Add(-91*day))
	plant(t, batch, `{"model":"m","content":"{\"edges\":[]}","prompt_tokens":1,"completion_tokens":1}`, start.Add(-time.Hour))
	plant(t, fresh, `{"model":"m","edges":[]}`, start.Add(-time.Hour))

	scanAt := func(at time.Time, llm string) {
		t.Helper()
		e, _, errb := testEnv(vars)
		withInstances(e, initrode)
		e.Now = clockAt(at)
		if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--llm", llm}, e); code != exitOK {
			t.Fatalf("scan at %s: exit %d\n%s", at, code, errb)
		}
	}
	scanAt(start, "on")
	scanAt(start.Add(time.Hour), "on")
	recs := readAudit(t, dir)
	scans := map[string]int{}
	for _, r := range recs {
		scans[r.Scan]++
		if r.Model == "m-expired" || r.Model == "m-undated" {
			t.Errorf("record past the retention kept: %+v", r)
		}
	}
	id1, id2 := start.Format("20060102T150405Z"), start.Add(time.Hour).Format("20060102T150405Z")
	if scans["young"] != 1 || scans[id1] == 0 || scans[id2] == 0 || len(scans) != 3 {
		t.Fatalf("records by scan %v, want the young planted one and both scans'", scans)
	}
	for _, r := range recs {
		if r.Scan == id1 && (r.At != start.Format(time.RFC3339) || r.Model != "served/model-b") {
			t.Errorf("first scan's record %+v: want its start and the model that served it", r)
		}
	}
	if _, err := os.Stat(expired); !os.IsNotExist(err) {
		t.Errorf("expired cache entry kept (%v)", err)
	}
	if _, err := os.Stat(batch); !os.IsNotExist(err) {
		t.Errorf("old batch-keyed cache entry kept (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("young cache entry removed: %v", err)
	}

	// 91 days on, with the LLM off: every record and every cache entry has expired.
	scanAt(start.Add(91*day), "off")
	if recs := readAudit(t, dir); len(recs) != 0 {
		t.Errorf("records past the retention kept by an LLM-off scan: %+v", recs)
	}
	left := 0
	filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left++
		}
		return nil
	})
	if left != 0 {
		t.Errorf("%d cache entries past the retention kept", left)
	}
}

// llm.retention configures it: 1h keeps the last hour only.
func TestAuditRetentionFromConfig(t *testing.T) {
	gw := &llmfake.Gateway{Key: "k-test", Reply: func(r llmfake.Request) (int, string) {
		return 200, llmfake.Completion(r.Model, `{"sentences":[],"edges":[],"undecided":[]}`)
	}}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	vars := map[string]string{"DISCOVER_LLM_BASE_URL": srv.URL + "/v1", "DISCOVER_LLM_API_KEY": "k-test"}
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "infragraph.yaml")
	os.WriteFile(cfg, []byte("llm:\n  retention: 1h\n"), 0o600)
	start := time.Now().UTC().Truncate(time.Second)
	for i, at := range []time.Time{start, start.Add(30 * time.Minute), start.Add(2 * time.Hour)} {
		e, _, errb := testEnv(vars)
		withInstances(e, initrode)
		e.Now = clockAt(at)
		if code := runEnv(context.Background(), []string{"scan", "--config", cfg, "--out", dir, "--llm", "on"}, e); code != exitOK {
			t.Fatalf("scan %d: exit %d\n%s", i, code, errb)
		}
	}
	recs := readAudit(t, dir)
	if len(recs) == 0 {
		t.Fatal("no audit record: the test proves nothing")
	}
	for _, r := range recs {
		if r.Scan != start.Add(2*time.Hour).Format("20060102T150405Z") {
			t.Errorf("record of scan %s kept past a 1h retention", r.Scan)
		}
	}
	os.WriteFile(cfg, []byte("llm:\n  retention: -1h\n"), 0o600)
	e, _, errb := testEnv(vars)
	if code := runEnv(context.Background(), []string{"scan", "--config", cfg, "--out", dir}, e); code != exitUsage || !strings.Contains(errb.String(), "infragraph.yaml:2: llm.retention: must not be negative") {
		t.Errorf("negative retention: exit %d: %s", code, errb)
	}
}
