package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Issue #23: the README's drift walkthrough on the demo, run as written: a demo scan, the same
// estate a week later (--demo-drift), and `discover alerts` printing the README's alerts with
// their demo triage, exit 5. The README's scan ids stand for the run's own (they are times).
// No canary secret reaches a gateway request or the output directory.
func TestDemoDriftREADMEWalkthrough(t *testing.T) {
	gateways := recordDemoGateway(t)
	block := readmeBlock(t, "$ discover scan --demo --llm demo --max-bytes 0\n$ discover scan --demo --demo-drift")
	steps := "$ discover scan --demo --llm demo --max-bytes 0\n$ discover scan --demo --demo-drift --llm demo --max-bytes 0\n$ discover alerts\n"
	if !strings.HasPrefix(block, steps) {
		t.Fatalf("the README's steps changed:\n%s", block)
	}
	dir := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{
		{"--demo", "--llm", "demo", "--max-bytes", "0", "--out", dir},
		{"--demo", "--demo-drift", "--llm", "demo", "--max-bytes", "0", "--out", dir},
	} {
		if code, log := scanCode(t, nil, args...); code != exitOK {
			t.Fatalf("scan %v: exit %d\n%s", args, code, log)
		}
	}
	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"alerts", "--out", dir}, e); code != exitAlerts {
		t.Fatalf("alerts: exit %d, want %d\n%s%s", code, exitAlerts, out, errb)
	}
	ids := regexp.MustCompile(`^Scan \S+, compared with \S+:`)
	want := strings.TrimPrefix(block, steps)
	got := ids.ReplaceAllString(out.String(), ids.FindString(want))
	if got != want {
		t.Errorf("the README's alerts should read:\n%s", got)
	}
	for _, kind := range []string{"! exposure opened ", "! new external host ", "! deploy from unknown repository "} {
		if !strings.Contains(got, kind) {
			t.Errorf("no %q alert", kind)
		}
	}
	if strings.Count(got, "triage (model-written by demo-data/scripted-gateway; citations checked): (demo data) ") != strings.Count(got, "\n! ") {
		t.Errorf("not every alert has its demo triage:\n%s", got)
	}
	doc, _ := os.ReadFile(filepath.Join(dir, "INFRA.md"))
	if !strings.Contains(string(doc), "## ALERTS") {
		t.Error("INFRA.md has no ALERTS section")
	}
	if len(gateways()) != 2 {
		t.Fatalf("%d demo gateways, want 2", len(gateways()))
	}
	for _, g := range gateways() {
		for _, b := range g.Bodies() {
			if strings.Contains(b, "CANARY") {
				t.Fatalf("a canary was sent to the demo gateway: %.300s", b)
			}
		}
	}
	assertNoCanary(t, dir)
}

// --demo-drift changes the demo estate: without --demo it is a usage error, and nothing is scanned.
func TestDemoDriftOnlyWithDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, nil, "--demo-drift", "--out", dir); code != exitUsage || !strings.Contains(log, "--demo-drift") {
		t.Errorf("scan --demo-drift without --demo: exit %d\n%s", code, log)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s was written: %v", dir, err)
	}
}
