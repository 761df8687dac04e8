//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
