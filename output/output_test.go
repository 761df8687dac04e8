package output

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "graph.json")
	if err := WriteFile(p, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "v1"); return err }); err != nil {
		t.Fatal(err)
	}
	// A renderer that fails half way leaves the old file intact and no temp file behind.
	err := WriteFile(p, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("boom")
	})
	if err == nil {
		t.Fatal("no error")
	}
	b, _ := os.ReadFile(p)
	if string(b) != "v1" {
		t.Errorf("file = %q after failed write", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("leftovers: %v", ents)
	}
}

// A batch replaces its files together: one that fails to render leaves every old file as it was,
// and no temp file behind.
func TestBatchAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "sub", "b")
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	var first Batch
	if err := first.Add(a, 0o644, write("a1")); err != nil {
		t.Fatal(err)
	}
	if err := first.Add(b, 0o600, write("b1")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a); err == nil {
		t.Fatal("a staged file is in place before Commit")
	}
	paths, err := first.Commit()
	if err != nil || len(paths) != 2 || paths[0] != a || paths[1] != b {
		t.Fatalf("commit: %v %v", paths, err)
	}
	if fi, _ := os.Stat(b); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}

	var second Batch
	if err := second.Add(a, 0o644, write("a2")); err != nil {
		t.Fatal(err)
	}
	if err := second.Add(b, 0o644, func(w io.Writer) error { io.WriteString(w, "half"); return errors.New("disk full") }); err == nil {
		t.Fatal("no error")
	}
	second.Discard()
	for p, want := range map[string]string{a: "a1", b: "b1"} {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s = %q after a failed batch, want %q", p, got, want)
		}
	}
	for _, d := range []string{dir, filepath.Dir(b)} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.Name() != "a" && e.Name() != "b" && e.Name() != "sub" {
				t.Errorf("leftover %s", e.Name())
			}
		}
	}
	if paths, err := second.Commit(); err != nil || len(paths) != 0 {
		t.Errorf("commit after discard: %v %v", paths, err)
	}
}

// Temp files a killed writer left behind are removed; nothing else is.
func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	keep := []string{"graph.json", ".lock", ".tmp-x", "diagrams/a.mmd", "scans/20261120T060000Z/graph.json.gz", ".install-key", "src/.main.go.tmp-1"}
	gone := []string{".graph.json.tmp-123", "diagrams/.a.mmd.tmp-9", "scans/20261120T060000Z/.graph.json.gz.tmp-77"}
	for _, f := range append(append([]string(nil), keep...), gone...) {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := RemoveTemps(dir, filepath.Join(dir, "diagrams"), filepath.Join(dir, "scans", "20261120T060000Z"), filepath.Join(dir, "nope")); err != nil || n != len(gone) {
		t.Fatalf("removed %d: %v", n, err)
	}
	for _, f := range keep {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s removed", f)
		}
	}
	for _, f := range gone {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s left", f)
		}
	}
}
