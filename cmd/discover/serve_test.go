package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infragraph/infragraph/collectors"
)

// TestMain lets a test run this binary as discover itself (the MCP stdio test starts it as a
// subprocess).
func TestMain(m *testing.M) {
	if os.Getenv("DISCOVER_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// scannedDir runs two scans through the CLI, the second with DigitalOcean failing, and returns
// the output directory.
func scannedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fail := false
	inst := collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)}
	t1 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	for i, code := range []int{exitOK, exitNothing} { // its one collector fails the second scan
		fail = i == 1
		e, _, errb := testEnv(nil)
		withInstances(e, inst)
		e.Now = clockAt(t1.Add(time.Duration(i) * 6 * time.Hour))
		if got := runEnv(context.Background(), []string{"scan", "--out", dir}, e); got != code {
			t.Fatalf("scan %d: exit %d: %s", i+1, got, errb)
		}
	}
	return dir
}

func TestServeCommand(t *testing.T) {
	dir := scannedDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb, outb syncBuffer
	e, _, _ := testEnv(map[string]string{"DISCOVER_SERVE_TOKEN": "CANARY-token"})
	e.Stderr, e.Stdout = &errb, &outb
	done := make(chan int, 1)
	go func() { done <- runEnv(ctx, []string{"serve", "--graph", dir, "--addr", "127.0.0.1:0"}, e) }()
	addr := regexp.MustCompile(`serving (http://127\.0\.0\.1:[0-9]+)`)
	waitFor(t, func() bool { return addr.MatchString(errb.String()) })
	base := addr.FindStringSubmatch(errb.String())[1]

	get := func(path, token string, out any) int {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	if code := get("/api/v1/status", "", nil); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d", code)
	}
	// The explorer's address is printed for a person to open; the token is not.
	if want := "infragraph explorer: " + base + "/?token=<value of DISCOVER_SERVE_TOKEN>"; !strings.Contains(outb.String(), want) {
		t.Errorf("stdout %q, want %q", outb.String(), want)
	}
	if code := get("/", "CANARY-token", nil); code != 200 {
		t.Errorf("the explorer: %d", code)
	}
	var status struct {
		StaleNodes int `json:"stale_nodes"`
		Collectors []struct{ Provider, Status, Reason string }
	}
	if code := get("/api/v1/status", "CANARY-token", &status); code != 200 || status.StaleNodes != 1 || len(status.Collectors) != 1 || status.Collectors[0].Status != "failed" {
		t.Errorf("status %d %+v", code, status)
	}
	var changes struct {
		Summary struct {
			Since      string `json:"since"`
			NodesStale int    `json:"nodes_stale"`
		} `json:"summary"`
	}
	if code := get("/api/v1/changes", "CANARY-token", &changes); code != 200 || changes.Summary.Since != "20261120T060000Z" || changes.Summary.NodesStale != 1 {
		t.Errorf("changes %d %+v", code, changes)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(errb.String()+outb.String(), "CANARY-token") {
		t.Error("the token is in the log")
	}
}

func TestServeRefusesPublicBindWithoutToken(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"serve", "--graph", dir, "--addr", "0.0.0.0:0"},
		{"serve", "--graph", dir, "--addr", ":0"},
		{"serve", "--graph", dir + "/missing"},
		{"mcp", "--graph", dir + "/missing"},
	} {
		e, _, errb := testEnv(nil)
		if code := runEnv(context.Background(), args, e); code != exitUsage {
			t.Errorf("%v: exit %d: %s", args, code, errb)
		}
		if strings.HasPrefix(args[len(args)-1], ":") || strings.HasPrefix(args[len(args)-1], "0.") {
			if !strings.Contains(errb.String(), "DISCOVER_SERVE_TOKEN") {
				t.Errorf("%v: %s", args, errb)
			}
		}
	}
}

// TestMCPStdio runs `discover mcp` as a process and talks to it over its stdin and stdout with the
// SDK's client, as Claude Desktop or Claude Code would.
func TestMCPStdio(t *testing.T) {
	dir := scannedDir(t)
	cmd := exec.Command(os.Args[0], "mcp", "--graph", dir, "--log-level", "debug")
	cmd.Env = append(os.Environ(), "DISCOVER_TEST_AS_MAIN=1")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "stdio-test"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_node", Arguments: map[string]any{"id": "1001"}})
	if err != nil {
		t.Fatal(err)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if res.IsError || text != "erp-1 (digitalocean droplet) digitalocean:droplet:1001: 0 edge(s) out, 0 in; STALE since 2026-11-20T12:00:00Z." {
		t.Errorf("get_node over stdio: %q", text)
	}
	sum, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "infragraph://summary"})
	if err != nil || !strings.Contains(sum.Contents[0].Text, "digitalocean/prod failed") {
		t.Errorf("summary over stdio: %v %+v", err, sum)
	}
	if err := cs.Close(); err != nil {
		t.Errorf("close: %v (stderr: %s)", err, stderr.String())
	}
}
