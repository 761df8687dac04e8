package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// Issue #26 item 8: a gateway asking to retry after 999999 seconds does not hold the scan (and
// its lock): the wait is beyond --llm-timeout, so each call fails at once and the stage is
// recorded as failed with the cause.
func TestLLMRetryAfterBeyondTimeBudget(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "999999")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":{"message":"Rate limit exceeded","type":"rate_limit_exceeded"}}`)
	}))
	t.Cleanup(srv.Close)
	vars := map[string]string{"DISCOVER_LLM_BASE_URL": srv.URL + "/v1", "DISCOVER_LLM_API_KEY": "k-test"}
	dir := filepath.Join(t.TempDir(), "out")
	code, log := scanCode(t, vars, "--demo", "--llm", "on", "--llm-timeout", "2m", "--out", dir)
	if code != exitPartial {
		t.Fatalf("exit %d, want %d\n%s", code, exitPartial, log)
	}
	st, _ := readGraph(t, dir).Scan.Enrichment["llm.status"].(string)
	if !strings.HasPrefix(st, "failed: ") || !strings.Contains(st, "HTTP 429 asks to retry after") || !strings.Contains(st, "time budget") {
		t.Errorf("llm.status %q", st)
	}
	if code, log := scanCode(t, nil, "--demo", "--llm-timeout", "-1s", "--out", filepath.Join(t.TempDir(), "o")); code != exitUsage || !strings.Contains(log, "--llm-timeout must not be negative") {
		t.Errorf("negative --llm-timeout: exit %d\n%s", code, log)
	}
}
