//go:build unix

package output

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestLockExcludesSecondHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || le.PID != os.Getpid() || le.Since == "" {
		t.Fatalf("second acquire: %v", err)
	}
	if !strings.Contains(err.Error(), dir+" is being written by discover (pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("message: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

// TestLockHelperProcess is not a test: TestLockAcrossProcesses runs the test binary again with
// INFRAGRAPH_LOCK_DIR set to hold a lock from another process.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv("INFRAGRAPH_LOCK_DIR")
	if dir == "" {
		return
	}
	if _, err := Acquire(dir); err != nil {
		os.Stdout.WriteString("error " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("locked\n")
	select {} // hold it until killed
}

// Another process holds the lock: Acquire names it. When that process dies without releasing
// (SIGKILL, a crash), the kernel drops the lock and the directory is free again: no stale lock.
func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "INFRAGRAPH_LOCK_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper: %q %v", line, err)
	}
	_, err = Acquire(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
		t.Fatalf("acquire while another process holds it: %v (helper pid %d)", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("lock of a killed process not released: %v", err)
	}
	l.Release()
}
