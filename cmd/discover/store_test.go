package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infragraph/infragraph/store/storetest"
)

// withPassword is dsn logging in with a CANARY password (the test server trusts local
// connections, so any password goes): the DSN is a secret the tests look for everywhere.
func withPassword(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "CANARY-store-dsn-password")
	return u.String()
}

// clockEnv is testEnv with a fixed clock.
func clockEnv(vars map[string]string, now time.Time) (*env, *bytes.Buffer, *bytes.Buffer) {
	e, out, errb := testEnv(vars)
	e.Now = func() time.Time { return now }
	return e, out, errb
}

// graphBody is graph.json's nodes and edges.
func graphBody(t *testing.T, dir string) string {
	t.Helper()
	var d struct {
		Nodes, Edges json.RawMessage
	}
	b, err := os.ReadFile(filepath.Join(dir, "graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return string(d.Nodes) + "\n" + string(d.Edges)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustRun is runEnv that fails the test on an unexpected exit code.
func mustRun(t *testing.T, e *env, errb *bytes.Buffer, want int, args ...string) {
	t.Helper()
	if code := runEnv(context.Background(), args, e); code != want {
		t.Fatalf("discover %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, errb)
	}
}

// shards are the demo estate split in two, as two scheduled scans would split an organisation.
var shards = [][]string{{"--only", "vercel,supabase"}, {"--only", "digitalocean,docker,odoo"}}

// publishShards runs the two shards of the demo at once, each into its own --out under root,
// publishing to the store named by vars or args; it returns the directories.
func publishShards(t *testing.T, root string, now time.Time, vars map[string]string, args ...string) []string {
	t.Helper()
	var wg sync.WaitGroup
	dirs := make([]string, len(shards))
	fails := make([]string, len(shards))
	for i, sh := range shards {
		dirs[i] = filepath.Join(root, fmt.Sprintf("shard%d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, out, errb := clockEnv(vars, now)
			a := append(append([]string{"scan", "--demo", "--out", dirs[i], "--log-level", "debug"}, sh...), args...)
			if code := runEnv(context.Background(), a, e); code != exitOK {
				fails[i] = fmt.Sprintf("shard %d: exit %d\n%s", i, code, errb)
			}
			for name, b := range map[string]*bytes.Buffer{"stdout": out, "stderr": errb} {
				if bytes.Contains(b.Bytes(), []byte("CANARY")) {
					fails[i] += fmt.Sprintf("shard %d: %s holds a CANARY:\n%s", i, name, b)
				}
			}
		}()
	}
	wg.Wait()
	for _, f := range fails {
		if f != "" {
			t.Fatal(f)
		}
	}
	return dirs
}

// TestStoreShardsWriteTheOrganisation: two shards of the demo scan at once into one store;
// `discover infer --store` then renders the same graph.json nodes, edges and proposals as one
// scan of everything, the last shard's --out already holds it, and the readers (query, export,
// diff) answer from the store as they do from the directory. The DSN's password reaches no
// output, log or store row.
func TestStoreShardsWriteTheOrganisation(t *testing.T) {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	root := t.TempDir()
	whole := filepath.Join(root, "whole")
	e, _, errb := clockEnv(nil, now)
	mustRun(t, e, errb, exitOK, "scan", "--demo", "--out", whole)
	storetest.EachMode(t, func(t *testing.T, dsn string) {
		dsn = withPassword(t, dsn)
		dirs := publishShards(t, t.TempDir(), now, nil, "--store", dsn)
		org := filepath.Join(t.TempDir(), "org")
		e, out, errb := clockEnv(nil, now)
		mustRun(t, e, errb, exitOK, "infer", "--store", dsn, "--out", org, "--llm", "off")
		if got, want := graphBody(t, org), graphBody(t, whole); got != want {
			t.Errorf("the store's graph differs from one scan of everything (%d vs %d bytes)", len(got), len(want))
		}
		if got, want := readFile(t, filepath.Join(org, "proposals.json")), readFile(t, filepath.Join(whole, "proposals.json")); got != want {
			t.Errorf("proposals differ from one scan of everything:\n%s\nwant\n%s", got, want)
		}
		last := 0
		for _, d := range dirs {
			if graphBody(t, d) == graphBody(t, whole) {
				last++
			}
		}
		if last == 0 {
			t.Error("no shard's --out holds the organisation's graph: the last to finish should")
		}
		for _, d := range append(dirs, org) {
			assertNoCanaryAnywhere(t, d, out, errb)
		}
		if dump := storetest.Dump(t, dsn); strings.Contains(dump, "CANARY") {
			i := strings.Index(dump, "CANARY")
			t.Errorf("the store holds a secret: ...%s...", dump[max(0, i-200):min(len(dump), i+60)])
		}
		// readers answer from the store as from the directory
		for _, args := range [][]string{
			{"query", "impact", "supabase:acme-prod"},
			{"query", "impact", "supabase:project:qwertyuiopasdfghjklz", "-o", "json"},
			{"query", "--kind", "droplet"},
			{"query", "show", "erp-odoo-1"},
			{"export", "--format", "dot"},
		} {
			fe, fout, ferr := testEnv(nil)
			mustRun(t, fe, ferr, exitOK, append(args, "--graph", whole)...)
			se, sout, serr := testEnv(nil)
			mustRun(t, se, serr, exitOK, append(args, "--store", dsn)...)
			if sout.String() != fout.String() || sout.Len() == 0 {
				t.Errorf("%s: --store answers\n%s\nwant (from --graph)\n%s", strings.Join(args, " "), sout, fout)
			}
			if strings.Contains(serr.String(), "CANARY") {
				t.Errorf("%s: stderr holds the DSN's password: %s", strings.Join(args, " "), serr)
			}
		}
		de, dout, derr := testEnv(map[string]string{storeEnv: dsn})
		mustRun(t, de, derr, exitOK, "diff", "--exit-code") // the last two snapshots: infer changed nothing
		if !strings.Contains(dout.String(), "No changes") {
			t.Errorf("diff --store after a no-op infer:\n%s", dout)
		}
	})
}

// TestStoreFailureKeepsFilesAndExits3: a store that cannot be reached (its URL from
// $DISCOVER_STORE_URL) leaves the shard's own graph in --out and exits 3 with the store's
// error, without the DSN's password.
func TestStoreFailureKeepsFilesAndExits3(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	dsn := "postgres://shard:CANARY-store-dsn-password@" + addr + "/org?sslmode=disable&connect_timeout=5"
	dir := filepath.Join(t.TempDir(), "out")
	e, out, errb := testEnv(map[string]string{storeEnv: dsn})
	mustRun(t, e, errb, exitPartial, "scan", "--demo", "--out", dir, "--only", "vercel,supabase")
	if !strings.Contains(errb.String(), "the store failed") || !strings.Contains(errb.String(), addr) {
		t.Errorf("stderr does not say the store failed, and where:\n%s", errb)
	}
	var doc struct{ Nodes []json.RawMessage }
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "graph.json"))), &doc); err != nil || len(doc.Nodes) < 20 {
		t.Fatalf("--out lacks the shard's graph: %d nodes (%v)", len(doc.Nodes), err)
	}
	assertNoCanaryAnywhere(t, dir, out, errb)
}

// TestServeStoreAsReadOnlyRole: shards publish through store: in their config file; a role with
// only the README's SELECT grants serves the organisation's graph over HTTP and answers queries.
func TestServeStoreAsReadOnlyRole(t *testing.T) {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	storetest.EachMode(t, func(t *testing.T, dsn string) {
		cfg := filepath.Join(t.TempDir(), "infragraph.yaml")
		if err := os.WriteFile(cfg, []byte("store: ${ORG_STORE}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		publishShards(t, t.TempDir(), now, map[string]string{"ORG_STORE": withPassword(t, dsn)}, "--config", cfg)
		reader := storetest.Reader(t, dsn)

		qe, qout, qerr := testEnv(nil)
		mustRun(t, qe, qerr, exitOK, "query", "impact", "supabase:acme-prod", "--store", reader)
		if !strings.Contains(qout.String(), "storefront") {
			t.Errorf("impact read by the read-only role lacks the cross-shard dependent:\n%s", qout)
		}

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		se, _, serr := testEnv(nil)
		done := make(chan int)
		go func() {
			done <- runEnv(ctx, []string{"serve", "--store", reader, "--addr", addr, "--poll", "100ms"}, se)
		}()
		defer func() {
			cancel()
			if code := <-done; code != exitOK {
				t.Errorf("serve exited %d\n%s", code, serr)
			}
			if strings.Contains(serr.String(), "CANARY") {
				t.Errorf("serve's log holds a password:\n%s", serr)
			}
		}()
		var summary struct{ Nodes, Edges int }
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/api/v1/summary")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK && json.Unmarshal(b, &summary) == nil {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve --store never answered: %v\n%s", err, serr)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if summary.Nodes < 90 || summary.Edges < 140 {
			t.Errorf("serve --store as the reader: %d nodes, %d edges; want the whole organisation", summary.Nodes, summary.Edges)
		}
	})
}

// TestFailingScanLeaksNoSecretIntoTheStore: the echoing estate of TestFailingScanLeaksNoSecret
// published to a store (its URL with a CANARY password): no planted secret in any row, log or
// output.
func TestFailingScanLeaksNoSecretIntoTheStore(t *testing.T) {
	cfg, vars := leakyEstate(t)
	storetest.EachMode(t, func(t *testing.T, dsn string) {
		dsn = withPassword(t, dsn)
		vars[storeEnv] = dsn
		dir := filepath.Join(t.TempDir(), "out")
		e, out, errb := testEnv(vars)
		mustRun(t, e, errb, exitPartial, "scan", "--config", cfg, "--out", dir, "--log-level", "debug", "--llm", "on")
		if !strings.Contains(errb.String(), "published to the store") {
			t.Fatalf("the scan did not publish:\n%s", errb)
		}
		assertNoCanaryAnywhere(t, dir, out, errb, "sslmode=require&password")
		dump := storetest.Dump(t, dsn)
		if !strings.Contains(dump, "db.example.com") {
			t.Fatal("the store lacks the failures' non-secret facts: the dump proves nothing")
		}
		for _, c := range []string{"CANARY", "sslmode=require&password"} {
			if i := strings.Index(dump, c); i >= 0 {
				t.Errorf("the store holds %q: ...%s...", c, dump[max(0, i-200):min(len(dump), i+60)])
			}
		}
	})
}

// TestMCPStoreAsReadOnlyRole: an agent's `discover mcp --store` with the README's SELECT-only
// role, the real binary over stdio, finds the organisation's nodes that two shards published
// (the storefront one shard saw, acme-prod the other) and logs no password.
func TestMCPStoreAsReadOnlyRole(t *testing.T) {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	storetest.EachMode(t, func(t *testing.T, dsn string) {
		publishShards(t, t.TempDir(), now, map[string]string{"DISCOVER_STORE_URL": withPassword(t, dsn)})
		reader := storetest.Reader(t, dsn)

		cmd, stdin, out, stderr := startMCP(t, "--store", reader, "--graph", t.TempDir())
		defer func() {
			stdin.Close()
			cmd.Wait()
			if strings.Contains(stderr.String(), "CANARY") {
				t.Errorf("mcp --store's log holds a password:\n%s", stderr.String())
			}
		}()
		call := func(frame string) string {
			t.Helper()
			if _, err := io.WriteString(stdin, frame+"\n"); err != nil {
				t.Fatalf("write: %v (stderr: %s)", err, stderr.String())
			}
			line, err := out.ReadBytes('\n')
			if err != nil {
				t.Fatalf("no answer to %s: %v (stderr: %s)", frame, err, stderr.String())
			}
			return string(line)
		}
		if a := call(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"store-test","version":"1"}}}`); strings.Contains(a, `"error"`) {
			t.Fatalf("initialize: %s", a)
		}
		io.WriteString(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
		for _, c := range []struct{ name, want string }{
			{"storefront", "vercel:project:prj_storefront"},
			{"acme-prod", "supabase:project:"},
		} {
			a := call(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_nodes","arguments":{"name":"` + c.name + `"}}}`)
			if strings.Contains(a, `"isError":true`) || !strings.Contains(a, c.want) {
				t.Errorf("search_nodes %q over the store: want %s in\n%s", c.name, c.want, a)
			}
		}
	})
}
