//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
)

// --every scans at once, then waits; SIGINT (delivered to this process, as a terminal's Ctrl-C
// would be) stops it cleanly with exit 0 and releases the lock.
func TestEveryStopsOnSignal(t *testing.T) {
	dir := t.TempDir()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var errb syncBuffer
	e := &env{Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: func(string) string { return "" }, Exists: func(string) bool { return false }}
	done := make(chan int, 1)
	go func() { done <- runEnv(ctx, []string{"scan", "--out", dir, "--every", "1h"}, e) }()
	waitFor(t, func() bool { return strings.Contains(errb.String(), "scan finished") })
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--every did not stop on SIGINT")
	}
	log := errb.String()
	if strings.Count(log, "scan finished") != 1 || !strings.Contains(log, "next=") || !strings.Contains(log, "scheduled scans stopped") {
		t.Errorf("log:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(dir, "graph.json")); err != nil {
		t.Error(err)
	}
	l, err := output.Acquire(dir)
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	l.Release()
}

// TestDiscoverHelperProcess is not a test: the process tests below run the test binary again as
// `discover` with the arguments in INFRAGRAPH_DISCOVER_ARGS (one per line).
func TestDiscoverHelperProcess(t *testing.T) {
	args := os.Getenv("INFRAGRAPH_DISCOVER_ARGS")
	if args == "" {
		return
	}
	os.Args = append([]string{"discover"}, strings.Split(args, "\n")...)
	main()
}

// discoverProcess starts `discover args...` as its own process, with no provider configured.
func discoverProcess(t *testing.T, stderr *syncBuffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiscoverHelperProcess$")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "INFRAGRAPH_DISCOVER_ARGS=" + strings.Join(args, "\n")}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// Real processes: a scheduled scan holds the directory's lock between scans, so a second scan
// exits 1 naming it; SIGTERM stops it with exit 0; one killed with SIGKILL leaves no stale lock.
func TestEveryProcessLockAndSignals(t *testing.T) {
	dir := t.TempDir()
	skipAll := "--skip=digitalocean,docker,odoo,supabase,vercel"
	var log1 syncBuffer
	first := discoverProcess(t, &log1, "scan", "--out", dir, "--every", "1h", skipAll)
	waitFor(t, func() bool { return strings.Contains(log1.String(), "scan finished") })

	var log2 syncBuffer
	second := discoverProcess(t, &log2, "scan", "--out", dir, skipAll)
	err := second.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitError || !strings.Contains(log2.String(), fmt.Sprintf("is being written by discover (pid %d", first.Process.Pid)) {
		t.Fatalf("second scan while --every holds the lock: %v\n%s", err, log2.String())
	}

	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, first, exitOK)
	if !strings.Contains(log1.String(), "scheduled scans stopped") {
		t.Errorf("log:\n%s", log1.String())
	}

	var log3 syncBuffer
	killed := discoverProcess(t, &log3, "scan", "--out", dir, "--every", "1h", skipAll)
	waitFor(t, func() bool { return strings.Contains(log3.String(), "scan finished") })
	if err := killed.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed.Wait()
	var log4 syncBuffer
	after := discoverProcess(t, &log4, "scan", "--out", dir, skipAll)
	waitExit(t, after, exitOK)
	if snaps, _ := (history.Store{Dir: dir}).List(); len(snaps) == 0 {
		t.Error("no snapshot")
	}
}

func waitExit(t *testing.T, cmd *exec.Cmd, want int) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Fatalf("exit %d, want %d", code, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("process did not exit")
	}
}
