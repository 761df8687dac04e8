package output

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrSymlink is returned (wrapped in a *SymlinkError) when a path inside an output directory is a
// symbolic link. Everything below an output directory is ours to create, replace and remove: a
// link planted there (".lock" to a file of the user's, "diagrams" to a directory of theirs) would
// make a scan truncate, write or delete what it points to (issue #26 item 16).
var ErrSymlink = errors.New("symbolic link inside an output directory")

// SymlinkError names the link a write refused to pass through.
type SymlinkError struct{ Path string }

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("%s is a symbolic link: refusing to write through it (replace it with a real file or directory, or point --out at the real location)", e.Path)
}

func (e *SymlinkError) Unwrap() error { return ErrSymlink }

// MkdirIn creates dir and its missing parents below root as real directories, refusing one that
// is a symbolic link or not a directory. root itself may be a link (the user named it) and is
// created with its parents when missing; dir must be root or below it.
func MkdirIn(root, dir string) error {
	return walkIn(root, dir, true)
}

// CheckIn is MkdirIn without creating anything: a missing directory is fine, a symbolic link is
// not. It checks path itself too, which may be a file.
func CheckIn(root, path string) error {
	return walkIn(root, path, false)
}

func walkIn(root, path string, create bool) error {
	rel, err := filepath.Rel(root, path)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return fmt.Errorf("%s is not inside %s", path, root)
	}
	if create {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", root, err)
		}
	}
	if rel == "." {
		return nil
	}
	p := root
	for _, part := range splitPath(rel) {
		p = filepath.Join(p, part)
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			if !create {
				return nil
			}
			if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("create %s: %w", p, err)
			}
			if st, err = os.Lstat(p); err != nil {
				return fmt.Errorf("create %s: %w", p, err)
			}
		} else if err != nil {
			return err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return &SymlinkError{Path: p}
		}
		if create && !st.IsDir() {
			return fmt.Errorf("create %s: not a directory", p)
		}
	}
	return nil
}

func splitPath(rel string) []string { return strings.Split(filepath.ToSlash(rel), "/") }
