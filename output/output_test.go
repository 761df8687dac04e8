package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	if n, err := RemoveTemps(dir, dir, filepath.Join(dir, "diagrams"), filepath.Join(dir, "scans", "20261120T060000Z"), filepath.Join(dir, "nope")); err != nil || n != len(gone) {
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

// TestNoWriteThroughSymlinks is issue #26 item 16 at the package level: a file that is a link, a
// directory below the root that is a link (".cache" of the LLM cache, "diagrams"), and a temp-file
// sweep of a linked directory are all refused with a *SymlinkError naming the link; the root
// itself may be a link.
func TestNoWriteThroughSymlinks(t *testing.T) {
	base := t.TempDir()
	root, victim := filepath.Join(base, "out"), filepath.Join(base, "victim")
	os.Mkdir(root, 0o755)
	os.Mkdir(victim, 0o755)
	os.WriteFile(filepath.Join(victim, "f"), []byte("precious"), 0o644)
	os.WriteFile(filepath.Join(victim, ".x.tmp-1"), []byte("precious"), 0o644)
	os.Symlink(filepath.Join(victim, "f"), filepath.Join(root, "INFRA.md"))
	os.Symlink(victim, filepath.Join(root, ".cache"))
	os.Symlink(victim, filepath.Join(root, "diagrams"))
	write := func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }
	refused := func(what string, err error, link string) {
		t.Helper()
		var se *SymlinkError
		if !errors.As(err, &se) || se.Path != filepath.Join(root, link) || !strings.Contains(err.Error(), filepath.Join(root, link)+" is a symbolic link") {
			t.Errorf("%s: err %v, want a *SymlinkError for %s", what, err, link)
		}
	}
	refused("WriteFile onto a link", WriteFile(filepath.Join(root, "INFRA.md"), 0o644, write), "INFRA.md")
	refused("WriteFileIn below a linked dir", WriteFileIn(root, filepath.Join(root, ".cache", "llm", "ab", "k.json"), 0o600, write), ".cache")
	refused("MkdirIn", MkdirIn(root, filepath.Join(root, ".cache", "llm")), ".cache")
	b := Batch{Root: root}
	refused("Batch.Add below a linked dir", b.Add(filepath.Join(root, "diagrams", "x.mmd"), 0o644, write), "diagrams")
	_, err := RemoveTemps(root, root, filepath.Join(root, "diagrams"))
	refused("RemoveTemps of a linked dir", err, "diagrams")
	ents, _ := os.ReadDir(victim)
	if len(ents) != 2 {
		t.Errorf("the linked directory changed: %v", ents)
	}
	for _, f := range []string{"f", ".x.tmp-1"} {
		if b, _ := os.ReadFile(filepath.Join(victim, f)); string(b) != "precious" {
			t.Errorf("%s changed: %q", f, b)
		}
	}
	// a root that is itself a link is the user's choice
	os.Symlink(root, filepath.Join(base, "link-to-out"))
	if err := WriteFileIn(filepath.Join(base, "link-to-out"), filepath.Join(base, "link-to-out", "scans", "1", "graph.json"), 0o644, write); err != nil {
		t.Errorf("writing below a linked root: %v", err)
	}
}

// StageAll renders files side by side (all of them at once here: each renderer waits until every
// one has started, so a sequential StageAll would never return) and hands them back in the
// order given; when one fails, none is left staged and the first failure in that order is the
// error.
func TestStageAllConcurrentInOrder(t *testing.T) {
	dir := t.TempDir()
	const n = 12
	var started sync.WaitGroup
	started.Add(n)
	var files []Pending
	for i := 0; i < n; i++ {
		files = append(files, Pending{Path: filepath.Join(dir, "d", fmt.Sprintf("f%02d", i)), Perm: 0o644, Render: func(w io.Writer) error {
			started.Done()
			started.Wait()
			_, err := fmt.Fprintf(w, "content %d", i)
			return err
		}})
	}
	b := Batch{Root: dir}
	staged, err := b.StageAll(files, n)
	if err != nil {
		t.Fatal(err)
	}
	b.Append(staged...)
	paths, err := b.Commit()
	if err != nil || len(paths) != n {
		t.Fatalf("commit: %v %v", paths, err)
	}
	for i, p := range paths {
		if p != files[i].Path {
			t.Errorf("path %d = %s, want %s", i, p, files[i].Path)
		}
		if got, _ := os.ReadFile(p); string(got) != fmt.Sprintf("content %d", i) {
			t.Errorf("%s = %q", p, got)
		}
	}

	failing := append([]Pending(nil), files...)
	for _, i := range []int{3, 7} {
		failing[i].Render = func(w io.Writer) error { return fmt.Errorf("boom %d", i) }
	}
	for i := range failing {
		if i != 3 && i != 7 {
			failing[i].Render = func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }
		}
	}
	var c Batch
	c.Root = dir
	got, err := c.StageAll(failing, 4)
	if err == nil || !strings.Contains(err.Error(), "boom 3") || got != nil {
		t.Fatalf("StageAll with failures = %v, %v; want nil and the first failure (boom 3)", got, err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "d"))
	if len(ents) != n {
		t.Errorf("%d entries in the directory, want the %d committed files and no temp file", len(ents), n)
	}
	if got, _ := os.ReadFile(files[0].Path); string(got) != "content 0" {
		t.Errorf("a failed StageAll changed %s: %q", files[0].Path, got)
	}
}
