package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportCommand: every format exports the demo's graph.json, to stdout or to --out; bad
// flags are usage errors.
func TestExportCommand(t *testing.T) {
	src := filepath.Join("..", "..", "export", "testdata", "demo.graph.json")
	for _, c := range []struct {
		args []string
		code int
		out  string // stdout starts with
		err  string
	}{
		{[]string{"export", "--graph", src}, exitUsage, "", "--format is required"},
		{[]string{"export", "--format", "svg", "--graph", src}, exitUsage, "", `unknown export format "svg"`},
		{[]string{"export", "--format", "csv", "--graph", src}, exitUsage, "", "csv writes 2 files: pass --out DIR"},
		{[]string{"export", "--format", "dot", "--graph", filepath.Join(t.TempDir(), "none")}, exitError, "", "not found: run `discover scan` first"},
		{[]string{"export", "--format", "dot", "--graph", src}, exitOK, "digraph infragraph {", ""},
		{[]string{"export", "--format", "graphml", "--graph", src}, exitOK, `<?xml version="1.0" encoding="UTF-8"?>`, ""},
		{[]string{"export", "--format", "cypher", "--graph", src}, exitOK, "// infragraph export: 94 nodes, 142 edges.", ""},
		{[]string{"export", "--format", "backstage", "--graph", src}, exitOK, "# infragraph export: Backstage", ""},
		{[]string{"export", "--format", "dot", "--owner", "group:platform", "--graph", src}, exitUsage, "", "--owner is for --format backstage"},
		{[]string{"export", "--format", "backstage", "--owner", "the platform team", "--graph", src}, exitUsage, "", "not a Backstage entity reference"},
	} {
		e, out, errb := testEnv(nil)
		if got := runEnv(context.Background(), c.args, e); got != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, got, c.code, errb)
		}
		if !strings.HasPrefix(out.String(), c.out) || !strings.Contains(errb.String(), c.err) {
			t.Errorf("%v: stdout %.60q, stderr %q", c.args, out, errb)
		}
	}

	dir := t.TempDir()
	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"export", "--format", "csv", "--graph", src, "--out", dir}, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, name := range []string{"nodes.csv", "edges.csv"} {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if err != nil || !strings.Contains(out.String(), p) {
			t.Fatalf("%s: %v (stdout %q)", name, err, out)
		}
		if lines := strings.Count(string(data), "\r\n"); lines < 95 {
			t.Errorf("%s: %d lines", name, lines)
		}
	}

	e, out, errb = testEnv(nil)
	if code := runEnv(context.Background(), []string{"export", "--format", "backstage", "--owner", "group:default/platform", "--graph", src}, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if n := strings.Count(out.String(), "\n  owner: group:default/platform\n"); n < 70 || strings.Contains(out.String(), "owner: unknown") {
		t.Errorf("--owner set on %d entities", n)
	}
}
