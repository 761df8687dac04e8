package main

import (
	"bytes"
	"context"
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
	start, _ := time.Parse(time.RFC3339, res.Graph.Scan.StartedAt)
	kept, dropped, err := keptAudit(s.store.Dir, start.Add(-s.retention()))
	if err != nil {
		return nil, false, err
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

// keptAudit reads the audit log of the output directory dir and returns its records made at or
// after cutoff, and how many it dropped. The caller holds dir's lock.
func keptAudit(dir string, cutoff time.Time) (kept *bytes.Buffer, dropped int, err error) {
	path := output.Layout{Dir: dir}.LLMAudit()
	kept = &bytes.Buffer{}
	if err := output.CheckIn(dir, path); err != nil {
		return nil, 0, err // a link planted as the log: never read or write through it
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return kept, 0, nil
	case err != nil:
		return nil, 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if _, dropped, err = llm.KeepAudit(kept, io.LimitReader(f, maxAuditLog), cutoff, info.ModTime()); err != nil {
		return nil, 0, err
	}
	return kept, dropped, nil
}

// askLockWait is how long `discover ask` waits for a scan holding the output directory to finish
// before it gives up writing its audit records (a variable for tests).
var askLockWait = 30 * time.Second

// appendAskAudit appends a question's audit records (stamped with the scan asked about and the
// time) to dir's llm-audit.jsonl, dropping records past the retention as a scan does. It holds
// dir's lock, waiting up to wait for a scan that holds it: a scan rewrites the log from what it
// read, so an append during a scan would be lost. The log is replaced atomically.
func appendAskAudit(ctx context.Context, dir string, retention, wait time.Duration, en *llm.Enricher, scanID string, now time.Time) error {
	if retention <= 0 {
		retention = llm.DefaultRetention
	}
	lock, err := output.Acquire(dir)
	for deadline := time.Now().Add(wait); errors.Is(err, output.ErrLocked) && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		lock, err = output.Acquire(dir)
	}
	if err != nil {
		return err
	}
	defer lock.Release()
	kept, _, err := keptAudit(dir, now.Add(-retention))
	if err != nil {
		return err
	}
	return output.WriteFileIn(dir, output.Layout{Dir: dir}.LLMAudit(), 0o600, func(w io.Writer) error {
		if _, err := w.Write(kept.Bytes()); err != nil {
			return err
		}
		return en.WriteScanAudit(w, nil, scanID, now)
	})
}
