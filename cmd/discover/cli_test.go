package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testEnv(vars map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }, Exists: func(string) bool { return false }}, &out, &errb
}

func TestScanFlagsParse(t *testing.T) {
	e, _, _ := testEnv(nil)
	var got *scanOpts
	cmd := newScanCmd(e, &globalOpts{}, func(o *scanOpts) error { got = o; return nil })
	cmd.SetArgs([]string{"--config", "c.yaml", "--out", "d", "--only", "vercel,docker", "--skip", "odoo", "--timeout", "90s", "--progress", "--max-bytes", "65536"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.configPath != "c.yaml" || got.out != "d" || strings.Join(got.only, ",") != "vercel,docker" || got.skip[0] != "odoo" || got.timeout != 90*time.Second || !got.progress || got.maxBytes != 65536 {
		t.Errorf("parsed %+v", got)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("vercel:\n  - tokn: x\n"), 0o600)
	for name, c := range map[string]struct {
		args []string
		code int
		err  string
	}{
		"unknown command": {[]string{"frobnicate"}, exitUsage, "unknown command"},
		"unknown flag":    {[]string{"scan", "--nope"}, exitUsage, "unknown flag"},
		"bad config":      {[]string{"scan", "--config", bad, "--out", dir}, exitUsage, "bad.yaml:2: vercel[0].tokn"},
		"bad provider":    {[]string{"scan", "--only", "aws", "--out", dir}, exitUsage, `unknown provider "aws"`},
		"bad log format":  {[]string{"scan", "--log-format", "xml", "--out", dir}, exitUsage, "--log-format"},
		"bad max bytes":   {[]string{"scan", "--max-bytes", "-1", "--out", dir}, exitUsage, "--max-bytes"},
		"bad llm mode":    {[]string{"scan", "--llm", "maybe", "--out", dir}, exitUsage, `--llm must be off, auto or on, not "maybe"`},
		"bad llm demo":    {[]string{"scan", "--demo", "--llm", "maybe", "--out", dir}, exitUsage, `--llm must be off, auto or on, not "maybe"`},
		"validate no arg": {[]string{"validate"}, exitUsage, "arg"},
		"version":         {[]string{"version"}, exitOK, ""},
	} {
		e, _, errb := testEnv(nil)
		if got := runEnv(context.Background(), c.args, e); got != c.code {
			t.Errorf("%s: exit %d, want %d (%s)", name, got, c.code, errb)
		}
		if !strings.Contains(errb.String(), c.err) {
			t.Errorf("%s: stderr %q lacks %q", name, errb, c.err)
		}
	}
}

func TestScanNothingConfigured(t *testing.T) {
	dir := t.TempDir()
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"No provider is configured", "VERCEL_TOKEN", "DIGITALOCEAN_TOKEN", "SUPABASE_ACCESS_TOKEN", "ODOO_URL", "DOCKER_HOST"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb)
		}
	}
	if strings.Contains(errb.String(), "collector started") {
		t.Error("progress printed although stderr is not a terminal")
	}
	data, err := os.ReadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Collectors []struct{ Provider, Status, Reason string }
	}
	json.Unmarshal(data, &doc)
	if len(doc.Collectors) != 5 {
		t.Fatalf("collectors: %+v", doc.Collectors)
	}
	for _, c := range doc.Collectors {
		if c.Status != "skipped" || !strings.Contains(c.Reason, "not configured") {
			t.Errorf("%+v", c)
		}
	}
	// the installation key lives beside the output, private, and nowhere in it
	st, err := os.Stat(filepath.Join(dir, ".infragraph.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("installation key: %v %v", st, err)
	}
	key, _ := os.ReadFile(filepath.Join(dir, ".infragraph.key"))
	proposals, err := os.ReadFile(filepath.Join(dir, "proposals.json"))
	if err != nil || len(key) < 32 || bytes.Contains(data, bytes.TrimSpace(key)) || bytes.Contains(proposals, bytes.TrimSpace(key)) {
		t.Errorf("key missing or leaked into the output (%v)", err)
	}
	// validate accepts what scan wrote
	e2, out, errb2 := testEnv(nil)
	if code := runEnv(context.Background(), []string{"validate", filepath.Join(dir, "graph.json")}, e2); code != exitOK {
		t.Errorf("validate: %d %s %s", code, out, errb2)
	}
}

func TestProgressAndJSONLogs(t *testing.T) {
	dir := t.TempDir()
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--progress", "--log-format", "json", "--only", "vercel"}, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	n := 0
	for _, l := range lines {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "collector finished" {
			n++
		}
	}
	if n != 5 {
		t.Errorf("want 5 JSON 'collector finished' lines, got %d:\n%s", n, errb)
	}
}

func TestValidateRejects(t *testing.T) {
	p := filepath.Join(t.TempDir(), "g.json")
	os.WriteFile(p, []byte(`{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[{"id":"vercel:nope:1","kind":"nope","provider":"vercel","name":"x"}],"edges":[]}`), 0o644)
	e, out, _ := testEnv(nil)
	if code := runEnv(context.Background(), []string{"validate", p}, e); code != exitError {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(out.String(), "vercel:nope is not in the vocabulary") {
		t.Errorf("out: %s", out)
	}
}

// TestValidateRejectsDuplicateKeys is issue #26 item 22: two "nodes" arrays (the last one valid)
// passed as valid.
func TestValidateRejectsDuplicateKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "g.json")
	os.WriteFile(p, []byte(`{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[{"id":"vercel:nope:1","kind":"nope","provider":"vercel","name":"x"}],"edges":[],"nodes":[]}`), 0o644)
	e, out, _ := testEnv(nil)
	if code := runEnv(context.Background(), []string{"validate", p}, e); code != exitError {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(out.String(), `duplicate key "nodes" in /`) {
		t.Errorf("out: %s", out)
	}
}

// validate takes what the other commands take: an output directory, and the history's gzip
// snapshots as well as plain graph.json files.
func TestValidateDirAndSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	e, _, errb := testEnv(nil)
	for range 2 { // the second scan compresses the first one's snapshot
		// Scan ids have one-second resolution and a demo scan can take less: start each in a
		// second of its own, or the second replaces the first's snapshot.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		if code := runEnv(context.Background(), []string{"scan", "--demo", "--out", dir}, e); code != exitOK {
			t.Fatalf("scan: exit %d\n%s", code, errb)
		}
	}
	gz, _ := filepath.Glob(filepath.Join(dir, "scans", "*", "graph.json.gz"))
	if len(gz) != 1 {
		t.Fatalf("snapshots %v", gz)
	}
	for _, p := range []string{dir, gz[0]} {
		e, out, errb := testEnv(nil)
		if code := runEnv(context.Background(), []string{"validate", p}, e); code != exitOK || !strings.Contains(out.String(), ": valid") {
			t.Errorf("validate %s: exit %d %s %s", p, code, out, errb)
		}
	}
}

// An OTLP endpoint nobody listens on: the export failure is a warning in our log, and the scan
// goes on.
func TestTelemetryExportFailureLogged(t *testing.T) {
	e, _, errb := testEnv(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"})
	if code := runEnv(context.Background(), []string{"scan", "--out", t.TempDir()}, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.Contains(errb.String(), "telemetry export failed") || !strings.Contains(errb.String(), "127.0.0.1:1") {
		t.Errorf("no export warning in the log:\n%s", errb)
	}
}

func TestLLMAutoSkipsQuietlyWithoutCredentials(t *testing.T) {
	dir := t.TempDir()
	e, _, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--llm", "auto"}, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if strings.Contains(errb.String(), "LLM enrichment") || strings.Contains(errb.String(), "--llm") {
		t.Errorf("auto without credentials should be quiet: %s", errb)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	if !strings.Contains(string(data), `"llm.status": "skipped: no credentials"`) {
		t.Errorf("graph.json does not say the LLM was skipped")
	}
	e2, _, errb2 := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--llm", "on"}, e2); code != exitUsage || !strings.Contains(errb2.String(), "no LLM credentials") {
		t.Errorf("--llm on without credentials should say so: %s", errb2)
	}
	e3, _, _ := testEnv(map[string]string{"VERCEL_OIDC_TOKEN": "not-a-jwt"})
	if code := runEnv(context.Background(), []string{"scan", "--out", dir, "--llm", "maybe"}, e3); code != exitUsage {
		t.Errorf("--llm maybe: exit %d", code)
	}
}

// The exit code is decided by the error's type, never by its words: an error that merely quotes
// "arg(s)" or "unknown command" (a path, a name) is not a usage error, and cobra's own argument
// checks (a command's, cobra's completion command's) and an unknown command are (issue #22).
func TestExitCodeByType(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		args []string
		code int
		err  string
	}{
		"path quoting arg(s)":           {[]string{"validate", filepath.Join(dir, "arg(s).json")}, exitError, "arg(s).json: no such file"},
		"path quoting unknown command":  {[]string{"validate", filepath.Join(dir, "unknown command")}, exitError, "no such file"},
		"too many args":                 {[]string{"validate", "a", "b"}, exitUsage, "accepts 1 arg(s), received 2"},
		"args to a command taking none": {[]string{"scan", "extra", "--out", dir}, exitUsage, `unknown command "extra" for "discover scan"`},
		"cobra's completion command":    {[]string{"completion", "bash", "extra"}, exitUsage, `unknown command "extra"`},
		"unknown command":               {[]string{"scna"}, exitUsage, "Did you mean this?\n\tscan"},
		"help":                          {[]string{"help", "scan"}, exitOK, ""},
	} {
		e, _, errb := testEnv(nil)
		if got := runEnv(context.Background(), c.args, e); got != c.code {
			t.Errorf("%s: exit %d, want %d (%s)", name, got, c.code, errb)
		}
		if !strings.Contains(errb.String(), c.err) {
			t.Errorf("%s: stderr %q lacks %q", name, errb, c.err)
		}
	}
}
