//go:build !unix

package output

import (
	"errors"
	"io/fs"
	"os"
)

// lockFile creates path exclusively. Without flock, a lock left by a crashed process is detected
// by its pid: when that process no longer exists the lock is stale and taken over.
func lockFile(path string) (*os.File, error) {
	for attempt := 0; attempt < 2; attempt++ {
		if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
			return nil, &SymlinkError{Path: path}
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		pid, _ := readHolder(path)
		if pid > 0 && processAlive(pid) {
			return nil, ErrLocked
		}
		if pid == 0 {
			// No pid yet: its creator is writing it right now (or crashed in between, which
			// needs the file removed by hand, as the error says where it is).
			return nil, ErrLocked
		}
		_ = os.Remove(path)
	}
	return nil, ErrLocked
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid) // on Windows this fails for a process that does not exist
	if err != nil {
		return false
	}
	p.Release()
	return true
}

func unlockFile(f *os.File, path string) error {
	err := f.Close()
	if rerr := os.Remove(path); err == nil {
		err = rerr
	}
	return err
}
