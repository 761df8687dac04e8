package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/enrich/llm/llmfake"
)

const odooImage = "docker:image:erp-1/sha256:7a05d947a0d0853f9c704597faaef6ca65ef038372403906a85c290f69de7622"

// asker plays a model that first calls tools (a search, the impact of acme-prod, the Odoo image
// with its maintainer label, an unknown tool), then answers citing one node the graph has and
// one it does not.
func asker(r llmfake.Request) (int, string) {
	last := r.Messages[len(r.Messages)-1]
	if last.Role != "tool" {
		return 200, llmfake.ToolCalls(r.Model,
			llmfake.Call("call_1", "search_nodes", `{"name":"acme-prod"}`),
			llmfake.Call("call_2", "impact", `{"id":"supabase:project:qwertyuiopasdfghjklz"}`),
			llmfake.Call("call_3", "get_node", `{"id":"`+odooImage+`"}`),
			llmfake.Call("call_4", "drop_tables", `{}`))
	}
	return 200, llmfake.Completion(r.Model, "Rotating the password breaks [supabase:project:qwertyuiopasdfghjklz] and [vercel:project:prj_ghost].")
}

func askServer(t *testing.T, reply func(llmfake.Request) (int, string)) (*llmfake.Gateway, map[string]string) {
	gw := &llmfake.Gateway{Key: "k-test", Reply: reply}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return gw, map[string]string{"DISCOVER_LLM_BASE_URL": srv.URL + "/v1", "DISCOVER_LLM_API_KEY": "k-test"}
}

// Issue #23: discover ask answers through the MCP server's tools, shows the calls, flags a cited
// id the graph does not have, and sends no secret or email in any request.
func TestAskAnswersWithTools(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, nil, "--demo", "--out", dir); code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, log)
	}
	gw, vars := askServer(t, asker)
	e, out, errb := testEnv(vars)
	code := runEnv(context.Background(), []string{"ask", "--graph", dir, "what breaks if I rotate the acme-prod database password? ask ops@acme-coffee.com"}, e)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	s := out.String()
	for _, want := range []string{
		"Tool calls (4):\n  1. search_nodes {\"name\":\"acme-prod\"}\n  2. impact {\"id\":\"supabase:project:qwertyuiopasdfghjklz\"}\n",
		"4. drop_tables {} -> error: ",
		"Rotating the password breaks [supabase:project:qwertyuiopasdfghjklz]",
		"NOT in the graph (do not trust what the answer says about them): vercel:project:prj_ghost\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	bodies := gw.Bodies()
	if len(bodies) != 2 {
		t.Fatalf("%d requests, want 2", len(bodies))
	}
	for _, tool := range []string{"search_nodes", "get_node", "dependencies", "impact", "path", "restore_order", "changes_since", "scan_status"} {
		if !strings.Contains(bodies[0], `"name":"`+tool+`"`) {
			t.Errorf("tool %s not offered", tool)
		}
	}
	// the second request carries the tools' real answers, redacted
	for _, want := range []string{`"role":"tool"`, `"tool_call_id":"call_2"`, `blast_radius`, `label.maintainer`, `⟨pii:`} {
		if !strings.Contains(bodies[1], want) {
			t.Errorf("second request lacks %s", want)
		}
	}
	for _, b := range bodies {
		for _, bad := range []string{"CANARY", "info@odoo.com", "ops@acme", "Odoo S.A. <"} {
			if strings.Contains(b, bad) {
				t.Errorf("%q sent to the model", bad)
			}
		}
	}
}

// -o json carries the same facts for scripts.
func TestAskJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, nil, "--demo", "--out", dir); code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, log)
	}
	_, vars := askServer(t, asker)
	e, out, errb := testEnv(vars)
	if code := runEnv(context.Background(), []string{"ask", "--graph", dir, "-o", "json", "what breaks?"}, e); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	var r askJSON
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(r.ToolCalls) != 4 || r.ToolCalls[3].Error == "" || r.Rounds != 2 ||
		!reflect.DeepEqual(r.Cited, []string{"supabase:project:qwertyuiopasdfghjklz"}) || !reflect.DeepEqual(r.NotInGraph, []string{"vercel:project:prj_ghost"}) {
		t.Errorf("%+v", r)
	}
	if code := runEnv(context.Background(), []string{"ask", "--graph", dir, "-o", "yaml", "what?"}, e); code != exitUsage {
		t.Errorf("-o yaml: exit %d", code)
	}
}

// A model that never stops calling tools gets no tools on the last round, and one that still
// answers with tool calls is an error, after at most --rounds requests.
func TestAskRoundsAreBounded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, nil, "--demo", "--out", dir); code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, log)
	}
	gw, vars := askServer(t, func(r llmfake.Request) (int, string) {
		return 200, llmfake.ToolCalls(r.Model, llmfake.Call("c", "scan_status", `{}`))
	})
	e, out, errb := testEnv(vars)
	code := runEnv(context.Background(), []string{"ask", "--graph", dir, "--rounds", "3", "anything?"}, e)
	if code != exitError || !strings.Contains(errb.String(), "no answer within 3 rounds") {
		t.Errorf("exit %d\n%s\n%s", code, out, errb)
	}
	bodies := gw.Bodies()
	if len(bodies) != 3 || strings.Contains(bodies[2], `"tools"`) || !strings.Contains(bodies[1], `"tools"`) {
		t.Errorf("%d requests; the last offered tools: %v", len(bodies), len(bodies) == 3 && strings.Contains(bodies[2], `"tools"`))
	}
}

// Without credentials ask exits 2 and says how to configure them.
func TestAskWithoutCredentials(t *testing.T) {
	e, out, errb := testEnv(nil)
	code := runEnv(context.Background(), []string{"ask", "--graph", t.TempDir(), "anything?"}, e)
	if code != exitUsage || !strings.Contains(errb.String(), "AI_GATEWAY_API_KEY") || !strings.Contains(errb.String(), "DISCOVER_LLM_BASE_URL") {
		t.Errorf("exit %d\n%s\n%s", code, out, errb)
	}
}

// The README's example is this run, byte for byte (the fake's usage: 900+120 tokens a call).
func TestAskREADMEExample(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, nil, "--demo", "--out", dir); code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, log)
	}
	_, vars := askServer(t, func(r llmfake.Request) (int, string) {
		if r.Messages[len(r.Messages)-1].Role != "tool" {
			return 200, llmfake.ToolCalls(r.Model,
				llmfake.Call("call_1", "search_nodes", `{"name":"acme-prod"}`),
				llmfake.Call("call_2", "impact", `{"id":"supabase:project:qwertyuiopasdfghjklz"}`))
		}
		return 200, llmfake.Completion(r.Model, "The password is the one in the storefront's DATABASE_URL [vercel:env_var:prj_storefront/env_sf_db],\n"+
			"which connects through the transaction pooler [supabase:pooler:qwertyuiopasdfghjklz/qwertyuiopasdfghjklz] to\n"+
			"acme-prod [supabase:project:qwertyuiopasdfghjklz]. Update that variable and redeploy the storefront\n"+
			"[vercel:project:prj_storefront] in the same change, or its orders fail until you do.")
	})
	e, out, errb := testEnv(vars)
	q := "what breaks if I rotate the acme-prod database password?"
	if code := runEnv(context.Background(), []string{"ask", "--graph", dir, q}, e); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	readme, _ := os.ReadFile("../../README.md")
	if !strings.Contains(string(readme), "$ discover ask \""+q+"\"\n"+out.String()+"```") {
		t.Errorf("the README's example should read:\n%s", out)
	}
}
