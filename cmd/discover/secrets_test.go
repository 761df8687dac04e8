package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

// openAIFake is an OpenAI-compatible chat completions endpoint (the wire format of
// enrich/llm's tests): it checks the key and answers with answer(body), or with an error that
// echoes what it was sent (the Authorization header and the start of the prompt), as some
// gateways do.
func openAIFake(t *testing.T, key string, echo bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Invalid API key","type":"authentication_error"}}`)
			return
		}
		if echo {
			msg, _ := json.Marshal("invalid request from " + r.Header.Get("Authorization") + ": " + string(b[:min(len(b), 300)]))
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":`+string(msg)+`,"type":"invalid_request_error"}}`)
			return
		}
		var req struct {
			Model string `json:"model"`
		}
		json.Unmarshal(b, &req)
		out, _ := json.Marshal(map[string]any{
			"id": "gen_01TEST", "object": "chat.completion", "created": 1763700000, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": `{"edges":[],"undecided":[]}`}}},
			"usage":   map[string]any{"prompt_tokens": 900, "completion_tokens": 12, "total_tokens": 912},
		})
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// assertNoCanaryAnywhere checks the scan's stdout, stderr and every file under dir.
func assertNoCanaryAnywhere(t *testing.T, dir string, stdout, stderr *bytes.Buffer, extra ...string) {
	t.Helper()
	for name, b := range map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes()} {
		for _, c := range append([]string{"CANARY"}, extra...) {
			if i := bytes.Index(b, []byte(c)); i >= 0 {
				t.Errorf("%s holds %q: ...%s...", name, c, b[max(0, i-120):min(len(b), i+60)])
			}
		}
	}
	assertNoCanary(t, dir)
	for _, c := range extra {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(c)) {
					t.Errorf("%s holds %q", p, c)
				}
			}
			return err
		})
	}
}

// TestDemoScanLeaksNoSecret: the demo at debug level with progress and the LLM on (a fake
// OpenAI server, a CANARY key) writes no planted secret to the terminal or any output file.
func TestDemoScanLeaksNoSecret(t *testing.T) {
	const key = "CANARY-e2e-llm-key-5b2c"
	llmSrv := openAIFake(t, key, false)
	dir := filepath.Join(t.TempDir(), "out")
	e, out, errb := testEnv(map[string]string{"DISCOVER_LLM_BASE_URL": llmSrv.URL + "/v1", "DISCOVER_LLM_API_KEY": key})
	code := runEnv(context.Background(), []string{"scan", "--demo", "--out", dir, "--log-level", "debug", "--progress", "--llm", "on"}, e)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if _, err := os.Stat(filepath.Join(dir, "llm-audit.jsonl")); err != nil {
		t.Fatalf("the LLM did not run: %v\n%s", err, errb)
	}
	if !strings.Contains(errb.String(), "collector finished") {
		t.Errorf("no progress logged: the test would not see it\n%s", errb)
	}
	// The exports read graph.json, which holds no secret: neither do they (checked below with
	// every other file of dir).
	for _, f := range []string{"backstage", "csv", "cypher", "dot", "graphml"} {
		ee, _, eb := testEnv(nil)
		if code := runEnv(context.Background(), []string{"export", "--format", f, "--graph", dir, "--out", filepath.Join(dir, "export-"+f)}, ee); code != exitOK {
			t.Fatalf("export %s: exit %d\n%s", f, code, eb)
		}
	}
	assertNoCanaryAnywhere(t, dir, out, errb)
}

// TestFailingScanLeaksNoSecret: providers answering with errors that echo what they were sent
// (the token, a connection string, a proxy's page quoting the Authorization header) and an LLM
// gateway echoing the request: nothing planted reaches stderr, stdout or an output file.
func TestFailingScanLeaksNoSecret(t *testing.T) {
	cfg, vars := leakyEstate(t)
	dir := filepath.Join(t.TempDir(), "out")
	e, out, errb := testEnv(vars)
	code := runEnv(context.Background(), []string{"scan", "--config", cfg, "--out", dir, "--log-level", "debug", "--progress", "--llm", "on"}, e)
	if code != exitPartial {
		t.Fatalf("exit %d, want %d (some collectors failed)\n%s", code, exitPartial, errb)
	}
	log := errb.String()
	// The failures are reported, with their non-secret facts.
	for _, want := range []string{"db.example.com", "409", "403"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q: the failures are not all reported\n%s", want, log)
		}
	}
	// The gateway's echoing error was met and recorded.
	if audit, err := os.ReadFile(filepath.Join(dir, "llm-audit.jsonl")); err != nil || !strings.Contains(string(audit), "HTTP 400: invalid_request_error") {
		t.Errorf("llm-audit.jsonl does not record the gateway's error (%v):\n%s", err, audit)
	}
	assertNoCanaryAnywhere(t, dir, out, errb, "sslmode=require&password")
	assertExplorerShowsNoCanary(t, dir, "sslmode=require&password")
}

// leakyEstate is an estate whose providers and LLM gateway echo the secrets they were sent in
// their errors: a config file and the environment to scan it with.
func leakyEstate(t *testing.T) (cfgPath string, vars map[string]string) {
	const (
		vercelToken = "CANARY-e2e-vercel-token"
		doToken     = "CANARY-e2e-do-token"
		odooPass    = "CANARY-e2e-odoo-wrong-password"
		llmKey      = "CANARY-e2e-llm-key-9d4e"
		dsn         = "postgres://app:CANARY-e2e-db-password@db.example.com:5432/orders?sslmode=require&password=CANARY-e2e-query"
	)
	echo := func(token string) string { return "token " + token + " may not read this; tried " + dsn }

	vf := vercelfake.New(vercelfake.MustLoad("demo"),
		vercelFault("/v1/connect/networks", fakeapi.Always, fakeapi.Fault{Status: http.StatusForbidden, Message: echo(vercelToken)}),
		vercelFault("/v1/edge-config", fakeapi.Always, fakeapi.Fault{Status: http.StatusBadRequest, Message: echo(vercelToken)}))
	vSrv := httptest.NewServer(vf)
	t.Cleanup(vSrv.Close)

	df := digitaloceanfake.New(digitaloceanfake.MustLoad("demo"))
	df.Token = doToken
	df.Fault("/v2/load_balancers", -1, fakeapi.Fault{Status: http.StatusConflict, Message: echo(doToken)})
	df.Fault("/v2/tags", -1, fakeapi.Fault{Status: http.StatusForbidden, Body: "<html>proxy error; request had Authorization: Bearer " + doToken + "</html>"})
	dSrv := httptest.NewServer(df)
	t.Cleanup(dSrv.Close)

	est := supabasefake.Demo()
	est.Token = "sbp_CANARY_e2e_supabase_token"
	secrets := "/v1/projects/" + est.Projects[0].Ref() + "/secrets"
	sf := supabasefake.New(est, supabasefake.Options{})
	sf.Fault(secrets, fakeapi.Always, fakeapi.Fault{Status: http.StatusConflict, Message: echo(est.Token)})
	sSrv := httptest.NewServer(sf)
	t.Cleanup(sSrv.Close)

	oSrv := httptest.NewServer(odoofake.New(odoofake.MustLoad("demo"), odoofake.Options{Version: 17}))
	t.Cleanup(oSrv.Close)

	llmSrv := openAIFake(t, llmKey, true)

	cfg := filepath.Join(t.TempDir(), "infragraph.yaml")
	yaml := "vercel:\n  - name: acme\n    token: " + vercelToken + "\n    api_url: " + vSrv.URL + "\n" +
		"digitalocean:\n  - name: acme\n    token: " + doToken + "\n    api_url: " + dSrv.URL + "\n" +
		"supabase:\n  - name: acme\n    access_token: " + est.Token + "\n    api_url: " + sSrv.URL + "\n" +
		"odoo:\n  - name: erp\n    url: " + oSrv.URL + "\n    database: acme\n    username: admin\n    password: " + odooPass + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, map[string]string{"DISCOVER_LLM_BASE_URL": llmSrv.URL + "/v1", "DISCOVER_LLM_API_KEY": llmKey}
}
