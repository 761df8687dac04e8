package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/infragraph/infragraph/enrich/llm"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/scan"
)

// maxAuditLog bounds the audit log read back to keep its younger records: 90 days of scans every
// hour at the default 40 calls is some 90,000 lines of a few hundred bytes.
const maxAuditLog = 256 << 20

// llmCacheDir is the LLM's response cache under --out.
func llmCacheDir(out string) string { return output.Layout{Dir: out}.LLMCache() }

// pruneLLMCache deletes the cache entries older than the retention (and the old batch-keyed
// ones) before a scan, with the LLM on or off: what it answered expires like the audit log.
func (s *scanner) pruneLLMCache(start time.Time) {
	n, err := llm.PruneCache(s.store.Dir, llmCacheDir(s.store.Dir), start.Add(-s.retention()))
	switch {
	case err != nil:
		s.log.Warn("LLM cache not pruned", "error", err)
	case n > 0:
		s.log.Info("LLM cache entries past their retention removed", "files", n, "retention", s.retention())
	}
}

func (s *scanner) retention() time.Duration {
	if s.keepLLM > 0 {
		return s.keepLLM
	}
	return llm.DefaultRetention
}

// auditLog returns what to write as llm-audit.jsonl this scan: the records earlier scans left
// that are younger than the retention, then this scan's (ai nil: none). ok is false when nothing
// would change: no LLM this scan and no record expired (or no log at all).
func (s *scanner) auditLog(ai *llm.Enricher, res *scan.Result) (write func(io.Writer) error, ok bool, err error) {
	path := output.Layout{Dir: s.store.Dir}.LLMAudit()
	start, _ := time.Parse(time.RFC3339, res.Graph.Scan.StartedAt)
	var kept bytes.Buffer
	dropped := 0
	if err := output.CheckIn(s.store.Dir, path); err != nil {
		return nil, false, err // a link planted as the log: never read or write through it
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, false, err
	default:
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return nil, false, err
		}
		if _, dropped, err = llm.KeepAudit(&kept, io.LimitReader(f, maxAuditLog), start.Add(-s.retention()), info.ModTime()); err != nil {
			return nil, false, err
		}
	}
	if dropped > 0 {
		s.log.Info("LLM audit records past their retention removed", "records", dropped, "retention", s.retention())
	}
	if ai == nil && dropped == 0 {
		return nil, false, nil
	}
	return func(w io.Writer) error {
		if _, err := w.Write(kept.Bytes()); err != nil {
			return err
		}
		if ai == nil {
			return nil
		}
		return ai.WriteScanAudit(w, res.Verdicts, res.Graph.Scan.ID, start)
	}, true, nil
}
