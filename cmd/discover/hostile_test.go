package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

// hostileValues are secret-bearing values as real configurations hold them, each with a
// CANARY in its secret part: credential JSON files, PEM blocks, headers, keyword DSNs, JDBC and
// ODBC strings (issue #26). The last ones are well-formed and must still give their host.
var hostileValues = []string{
	`{"type":"service_account","project_id":"acme-prod","private_key_id":"CANARY-h-gcp-key-id","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQCANARYhgcpPEMbody\n-----END PRIVATE KEY-----\n","client_email":"svc@acme-prod.iam.gserviceaccount.com","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token"}`,
	`{"apiKey":"AIzaSyCANARY-h-firebase-0000000000000","authDomain":"acme.firebaseapp.com","databaseURL":"https://acme.firebaseio.com","projectId":"acme"}`,
	"Bearer CANARY-h-bearer-token https://api.example.com/v1/hooks",
	"-----BEGIN RSA PRIVATE KEY-----\nCANARYhPEMbodyMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\nhttps://api.example.com/v1",
	"sqlserver://sql.example.com;password=CANARY-h-sqlserver:1",
	"jdbc:sqlserver://sql.example.com:1433;databaseName=orders;user=app;password=CANARY-h-jdbc@evil.example.org",
	"host=db.example.com port=5432 dbname=orders user=app password='CANARY-h-libpq with spaces'",
	"Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql.example.com,1433;Database=orders;Uid=app;Pwd={CANARY-h-odbc};",
	"postgres://app:CANARY-h-url-password@pg.example.com:5432/orders",
}

// hostileKey names the i-th planted variable: a plain name, so the value is parsed for facts.
func hostileKey(i int) string { return "APP_SETTING_" + string(rune('A'+i)) }

// chatRecorder is an OpenAI-compatible endpoint (openAIFake) that keeps every request body: the
// prompts, to check for canaries.
type chatRecorder struct {
	mu     sync.Mutex
	bodies []string
}

func (c *chatRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, string(b))
		c.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		next.ServeHTTP(w, r)
	})
}

// TestHostileEstateLeaksNoCanary is the canary suite: every collector reads an estate holding
// the hostile values (Vercel, DigitalOcean and Docker env vars, Odoo cron and server-action code,
// Supabase auth URLs), some families answer with malformed or oversized bodies, and the LLM
// stage runs over the result. No canary reaches stdout, stderr, any output file or any prompt;
// the well-formed values still give their hosts.
func TestHostileEstateLeaksNoCanary(t *testing.T) {
	const llmKey = "CANARY-h-llm-key"

	ve := vercelfake.MustLoad("demo")
	ve.Token = "CANARY-h-vercel-token"
	for pid := range ve.Scopes[0].Env {
		for i, v := range hostileValues {
			ve.Scopes[0].Env[pid] = append(ve.Scopes[0].Env[pid], map[string]any{
				"id": "env_h_" + pid + hostileKey(i), "key": hostileKey(i), "type": "plain", "target": []any{"production"},
				"value": v, "createdAt": 1700000400000 + i,
			})
		}
		break
	}
	vSrv := httptest.NewServer(vercelfake.New(ve))
	t.Cleanup(vSrv.Close)

	de := digitaloceanfake.MustLoad("demo")
	var app map[string]any
	if err := json.Unmarshal(de.Apps[0], &app); err != nil {
		t.Fatal(err)
	}
	svc := app["spec"].(map[string]any)["services"].([]any)[0].(map[string]any)
	envs, _ := svc["envs"].([]any)
	for i, v := range hostileValues {
		envs = append(envs, map[string]any{"key": hostileKey(i), "value": v, "scope": "RUN_TIME", "type": "GENERAL"})
	}
	svc["envs"] = envs
	de.Apps[0], _ = json.Marshal(app)
	df := digitaloceanfake.New(de)
	df.Fault("/v2/tags", -1, fakeapi.Fault{Garbage: true}) // a malformed body
	dSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/volumes" { // an oversized one, echoing a canary in its padding
			fakeapitest.WriteHuge(w, `{"volumes":[],"padding":"CANARY-h-huge-body `, `"}`, 33<<20)
			return
		}
		df.ServeHTTP(w, r)
	}))
	t.Cleanup(dSrv.Close)

	ke := dockerfake.MustLoad("demo")
	cfg := ke.Containers[0]["Config"].(map[string]any)
	env, _ := cfg["Env"].([]any)
	for i, v := range hostileValues {
		env = append(env, hostileKey(i)+"="+v)
	}
	cfg["Env"] = env
	kf := dockerfake.New(ke)
	kf.Fault("/volumes", fakeapi.Always, fakeapi.Fault{Garbage: true})
	kSrv := httptest.NewServer(kf)
	t.Cleanup(kSrv.Close)

	oe := odoofake.MustLoad("demo")
	db := oe.Databases["acme"]
	for i, v := range hostileValues {
		db.Records["ir.cron"] = append(db.Records["ir.cron"], map[string]any{
			"id": int64(900 + i), "name": "hostile " + hostileKey(i), "cron_name": "hostile " + hostileKey(i), "active": true,
			"interval_number": int64(1), "interval_type": "hours", "priority": int64(5), "numbercall": int64(-1), "doall": false,
			"failure_count": int64(0), "model_id": int64(204), "state": "code", "code": "requests.post(" + jsonString(v) + ")",
		})
	}
	oSrv := httptest.NewServer(odoofake.New(oe, odoofake.Options{Version: 17}))
	t.Cleanup(oSrv.Close)

	se := supabasefake.Demo()
	se.Token = "sbp_CANARY_h_supabase_token"
	var auth map[string]any
	if err := json.Unmarshal(se.Projects[0].AuthConfig, &auth); err != nil {
		t.Fatal(err)
	}
	auth["site_url"] = hostileValues[2]
	auth["uri_allow_list"] = strings.Join(hostileValues, ",")
	se.Projects[0].AuthConfig, _ = json.Marshal(auth)
	sSrv := httptest.NewServer(supabasefake.New(se, supabasefake.Options{}))
	t.Cleanup(sSrv.Close)

	rec := &chatRecorder{}
	llm := openAIFake(t, llmKey, false)
	llm.Config.Handler = rec.wrap(llm.Config.Handler)

	conf := filepath.Join(t.TempDir(), "infragraph.yaml")
	yaml := "vercel:\n  - name: acme\n    token: " + ve.Token + "\n    api_url: " + vSrv.URL + "\n" +
		"digitalocean:\n  - name: acme\n    token: " + digitaloceanfake.Token + "\n    api_url: " + dSrv.URL + "\n" +
		"supabase:\n  - name: acme\n    access_token: " + se.Token + "\n    api_url: " + sSrv.URL + "\n" +
		"odoo:\n  - name: erp\n    url: " + oSrv.URL + "\n    database: acme\n    username: admin\n    password: " + oe.Databases["acme"].Users[0].Password + "\n" +
		"docker:\n  - name: erp-1\n    host: tcp://" + kSrv.Listener.Addr().String() + "\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	e, out, errb := testEnv(map[string]string{"DISCOVER_LLM_BASE_URL": llm.URL + "/v1", "DISCOVER_LLM_API_KEY": llmKey})
	code := runEnv(context.Background(), []string{"scan", "--config", conf, "--out", dir, "--log-level", "debug", "--progress", "--llm", "on"}, e)
	if code != exitOK && code != exitPartial {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	graphJSON, _ := os.ReadFile(filepath.Join(dir, "graph.json"))
	// The scan read the planted values and kept their well-formed facts.
	for _, want := range []string{hostileKey(len(hostileValues) - 1), "pg.example.com", "db.example.com"} {
		if !bytes.Contains(graphJSON, []byte(want)) {
			t.Errorf("graph.json lacks %q: the hostile values were not read", want)
		}
	}
	// The malformed and oversized bodies were met and reported.
	for _, want := range []string{"/v2/volumes exceeded 32 MiB", "tags: ", "list volumes: "} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	rec.mu.Lock()
	prompts := rec.bodies
	rec.mu.Unlock()
	if len(prompts) == 0 {
		t.Error("the LLM stage sent no prompt: the suite does not cover it")
	}
	for i, p := range prompts {
		if j := strings.Index(p, "CANARY"); j >= 0 {
			t.Errorf("prompt %d holds a canary: ...%s...", i, p[max(0, j-120):min(len(p), j+60)])
		}
	}
	assertNoCanaryAnywhere(t, dir, out, errb, "evil.example.org", "BEGIN PRIVATE", "BEGIN RSA")
	// A parser that lower-cases what it keeps (a scheme, a host) leaks a canary in lower case.
	texts := map[string]string{"stdout": out.String(), "stderr": errb.String()}
	for i, p := range prompts {
		texts[fmt.Sprintf("prompt %d", i)] = p
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			texts[p] = string(b)
		}
		return err
	})
	for name, text := range texts {
		lt := strings.ToLower(text)
		for _, marker := range []string{"canary-h-", "canaryh", "canary_h_"} {
			if j := strings.Index(lt, marker); j >= 0 {
				t.Errorf("%s holds a planted secret in lower case: ...%s...", name, text[max(0, j-100):min(len(text), j+60)])
			}
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
