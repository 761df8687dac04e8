package output

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrLocked is returned (wrapped in a *LockedError) when another process holds the lock.
var ErrLocked = errors.New("output directory is locked")

// LockedError says who holds an output directory.
type LockedError struct {
	Dir   string
	PID   int    // 0 when unknown
	Since string // RFC 3339, when known
}

func (e *LockedError) Error() string {
	who := "another discover process"
	if e.PID > 0 {
		who = fmt.Sprintf("discover (pid %d", e.PID)
		if e.Since != "" {
			who += ", since " + e.Since
		}
		who += ")"
	}
	return fmt.Sprintf("%s is being written by %s; wait for it to finish, or stop it, before scanning into the same directory", e.Dir, who)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Lock is held by the one process that may write an output directory. Release it when done;
// the operating system releases it if the process dies.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes dir's lock (creating dir) without waiting: when another process holds it, the
// error is a *LockedError naming that process. The lock file records the holder's pid and start
// time for that message; it is left in place on release (removing it would race with a process
// that just opened it).
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	path := Layout{Dir: dir}.Lock()
	f, err := lockFile(path)
	if errors.Is(err, ErrSymlink) {
		return nil, err
	}
	if err != nil {
		if errors.Is(err, ErrLocked) {
			le := &LockedError{Dir: dir}
			le.PID, le.Since = readHolder(path)
			return nil, le
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
		_ = f.Sync()
	}
	return &Lock{f: f, path: path}, nil
}

// Release gives the lock up. It is safe to call more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f, l.path)
	l.f = nil
	return err
}

func readHolder(path string) (pid int, since string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, ""
	}
	fields := strings.Fields(string(b))
	if len(fields) > 0 {
		pid, _ = strconv.Atoi(fields[0])
	}
	if len(fields) > 1 {
		since = fields[1]
	}
	return pid, since
}
