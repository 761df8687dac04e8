// Package output owns the output directory: paths, atomic writes (temp file, fsync, rename, so a
// crash never leaves a half-written file) and the lock that keeps two scans from writing one
// directory at once.
package output

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// WriteFileIn writes path, inside the output directory root, atomically: render writes into a
// temp file in the same directory, which is synced and renamed over path only when render and
// every write succeeded. Neither path nor any directory between root and path may be a symbolic
// link (see MkdirIn).
func WriteFileIn(root, path string, perm os.FileMode, render func(io.Writer) error) error {
	s, err := StageIn(root, path, perm, render)
	if err != nil {
		return err
	}
	return s.Commit()
}

// Staged is a file rendered and synced into a temp file beside its path, not yet in place.
type Staged struct {
	tmp, path string
}

// StageIn renders path's new content into a temp file in the same directory and syncs it; Commit
// puts it in place, Discard drops it. On error nothing is left behind and path is untouched. path
// is inside the output directory root: the directories between root and path are created as real
// directories, and none of them, nor path, may be a symbolic link (a *SymlinkError).
func StageIn(root, path string, perm os.FileMode, render func(io.Writer) error) (_ *Staged, err error) {
	dir := filepath.Dir(path)
	if err := MkdirIn(root, dir); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := CheckIn(dir, path); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := render(bw); err != nil {
		return nil, fmt.Errorf("render %s: %w", filepath.Base(path), err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &Staged{tmp: tmp.Name(), path: path}, nil
}

// Commit renames the staged file over its path and makes the rename durable. It may be called
// once.
func (s *Staged) Commit() error {
	if err := os.Rename(s.tmp, s.path); err != nil {
		os.Remove(s.tmp)
		return fmt.Errorf("rename %s: %w", s.path, err)
	}
	s.tmp = ""
	syncDir(filepath.Dir(s.path))
	return nil
}

// Discard removes the staged file; after Commit it does nothing.
func (s *Staged) Discard() {
	if s != nil && s.tmp != "" {
		os.Remove(s.tmp)
		s.tmp = ""
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Batch is a set of files that replace their predecessors together: every one is rendered and
// synced first (Add), and only when all succeeded are they renamed into place, one after another
// (Commit). A failure while rendering (a renderer error, a full disk) leaves every old file as it
// was, never a mix of old and new; only a crash during the renames themselves, a window of a few
// system calls, can.
type Batch struct {
	// Root, when set, is the output directory every path is inside: no directory between it and
	// a path may be a symbolic link (StageIn). Unset, only each path itself is checked.
	Root   string
	staged []*Staged
}

// Add stages one file of the batch.
func (b *Batch) Add(path string, perm os.FileMode, render func(io.Writer) error) error {
	root := b.Root
	if root == "" {
		root = filepath.Dir(path)
	}
	s, err := StageIn(root, path, perm, render)
	if err != nil {
		return err
	}
	b.staged = append(b.staged, s)
	return nil
}

// Pending is one file to stage: what StageIn takes.
type Pending struct {
	Path   string
	Perm   os.FileMode
	Render func(io.Writer) error
}

// StageAll stages files as Add does, up to parallel at once (renderers run side by side and one
// file's sync overlaps the others': a scan writes a thousand diagrams, and syncing them one
// after another was most of its wall time), and returns them in the order given, for Append.
// On an error none is left staged and the first error in their order is returned.
func (b *Batch) StageAll(files []Pending, parallel int) ([]*Staged, error) {
	out := make([]*Staged, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(parallel, 1))
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			root := b.Root
			if root == "" {
				root = filepath.Dir(f.Path)
			}
			out[i], errs[i] = StageIn(root, f.Path, f.Perm, f.Render)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, s := range out {
			if s != nil {
				s.Discard()
			}
		}
		for _, e := range errs {
			if e != nil {
				return nil, e
			}
		}
	}
	return out, nil
}

// Append adds files staged by StageAll to the batch, in their order.
func (b *Batch) Append(staged ...*Staged) { b.staged = append(b.staged, staged...) }

// Commit puts every staged file in place, in the order added, and returns their paths. After a
// failed rename the rest are discarded.
func (b *Batch) Commit() ([]string, error) {
	paths := make([]string, 0, len(b.staged))
	for i, s := range b.staged {
		if err := os.Rename(s.tmp, s.path); err != nil {
			b.staged = b.staged[i:]
			b.Discard()
			return paths, fmt.Errorf("rename %s: %w", s.path, err)
		}
		s.tmp = ""
		paths = append(paths, s.path)
	}
	dirs := map[string]bool{}
	for _, s := range b.staged {
		if d := filepath.Dir(s.path); !dirs[d] {
			dirs[d] = true
			syncDir(d)
		}
	}
	b.staged = nil
	return paths, nil
}

// Discard drops every file not yet committed.
func (b *Batch) Discard() {
	for _, s := range b.staged {
		s.Discard()
	}
	b.staged = nil
}

// RemoveTemps removes the temp files that writes into dirs left behind when their process was
// killed mid-write: in each directory given, not below it (an output directory may be a
// user's own directory). dirs are inside the output directory root; one reached through a
// symbolic link is an error, not a directory to clean. Call it only while holding the output
// directory's lock, when no write can be under way. It returns how many it removed.
func RemoveTemps(root string, dirs ...string) (int, error) {
	n := 0
	for _, dir := range dirs {
		if err := CheckIn(root, dir); err != nil {
			return n, fmt.Errorf("remove leftover temp files: %w", err)
		}
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("remove leftover temp files: %w", err)
		}
		for _, e := range ents {
			if e.Type().IsRegular() && isTemp(e.Name()) {
				if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
					return n, fmt.Errorf("remove leftover temp files: %w", err)
				}
				n++
			}
		}
	}
	return n, nil
}

// isTemp matches the names Stage gives its temp files: ".<name>.tmp-<random>".
func isTemp(name string) bool {
	i := strings.LastIndex(name, ".tmp-")
	return strings.HasPrefix(name, ".") && i > 0 && i+len(".tmp-") < len(name)
}
