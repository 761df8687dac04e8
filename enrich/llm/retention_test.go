package llm

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PruneCache never follows a link: an old file outside the cache, linked from inside it, stays,
// and a cache directory that is itself a link is refused.
func TestPruneCacheFollowsNoLink(t *testing.T) {
	out, outside := t.TempDir(), t.TempDir()
	old := time.Now().Add(-200 * 24 * time.Hour)
	victim := filepath.Join(outside, "keep.json")
	os.WriteFile(victim, []byte(`{"model":"m","content":"x","prompt_tokens":1,"completion_tokens":1}`), 0o600)
	os.Chtimes(victim, old, old)
	cache := filepath.Join(out, ".cache", "llm")
	os.MkdirAll(filepath.Join(cache, "ab"), 0o700)
	if err := os.Symlink(victim, filepath.Join(cache, "ab", "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(cache, "cd")); err != nil {
		t.Fatal(err)
	}
	n, err := PruneCache(out, cache, time.Now())
	if err != nil || n != 0 {
		t.Errorf("removed %d (%v)", n, err)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("a file outside the cache was removed through a link: %v", err)
	}
	os.RemoveAll(filepath.Join(out, ".cache"))
	os.MkdirAll(filepath.Join(out, ".cache"), 0o700)
	os.Symlink(outside, cache)
	if _, err := PruneCache(out, cache, time.Now()); err == nil {
		t.Error("a cache directory that is a link was walked")
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("a file outside the cache was removed: %v", err)
	}
}
