package llm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/infragraph/infragraph/output"
)

// DefaultRetention is how long the audit log keeps a scan's records and the response cache an
// entry: 90 days, the audit period the planning document asks for.
const DefaultRetention = 90 * 24 * time.Hour

// maxAuditLine bounds one line of the audit log read back: a record is hashes and counts, its
// proposals at most MaxEdgesPerPair per pair of a batch.
const maxAuditLine = 4 << 20

// KeepAudit copies to w the records of the audit log old (as earlier scans left it) made at or
// after cutoff, and counts those it kept and dropped. A record without a time (written before
// records carried one) is dated undated, the log file's modification time. A line that is not a
// record is dropped.
func KeepAudit(w io.Writer, old io.Reader, cutoff, undated time.Time) (kept, dropped int, err error) {
	sc := bufio.NewScanner(old)
	sc.Buffer(make([]byte, 0, 64<<10), maxAuditLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r struct {
			At    string `json:"at"`
			Model string `json:"model"`
		}
		if json.Unmarshal(line, &r) != nil || r.Model == "" {
			dropped++
			continue
		}
		at := undated
		if r.At != "" {
			t, err := time.Parse(time.RFC3339, r.At)
			if err != nil {
				dropped++
				continue
			}
			at = t
		}
		if at.Before(cutoff) {
			dropped++
			continue
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return kept, dropped, err
		}
		kept++
	}
	return kept, dropped, sc.Err()
}

// PruneCache removes from the response cache dir (inside root, the output directory) every entry last written before cutoff, and
// the batch-keyed answers that versions before per-pair decisions wrote (issue #20: never read
// again), whatever their age. It never follows a symbolic link and returns how many files it
// removed; a missing dir is no error.
func PruneCache(root, dir string, cutoff time.Time) (removed int, err error) {
	if err := output.CheckIn(root, dir); err != nil {
		return 0, err
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(path, ".json") {
			return nil // directories are walked, links and others left alone (WalkDir does not follow links)
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if info.ModTime().Before(cutoff) || batchEntry(path) {
			if os.Remove(path) == nil {
				removed++
			}
		}
		return nil
	})
	return removed, err
}

// batchEntry reports whether path holds a batch-keyed answer of the old cache: exactly the
// fields {model, content, prompt_tokens, completion_tokens}, content the raw answer.
func batchEntry(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDecisionBytes+1))
	if err != nil || len(b) > maxDecisionBytes {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || len(m) != 4 {
		return false
	}
	for _, k := range []string{"model", "content", "prompt_tokens", "completion_tokens"} {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}
