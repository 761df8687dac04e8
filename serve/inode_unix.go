//go:build unix

package serve

import (
	"io/fs"
	"syscall"
)

// inode tells two files apart when an atomic rename replaces graph.json within the timestamp
// granularity and with the same size.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
