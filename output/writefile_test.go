package output

import (
	"io"
	"os"
	"path/filepath"
)

// WriteFile is WriteFileIn in path's own directory, the tests' shorthand: path must not be a
// symbolic link.
func WriteFile(path string, perm os.FileMode, render func(io.Writer) error) error {
	return WriteFileIn(filepath.Dir(path), path, perm, render)
}
