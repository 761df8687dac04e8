package odoofake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kolo/xmlrpc"
)

// The fake's XML-RPC is checked against a third-party client (kolo/xmlrpc, which uses Go's
// net/rpc): what the fake writes, a real client reads.
func TestXMLRPCWithKolo(t *testing.T) {
	srv := httptest.NewServer(New(MustLoad("test"), Options{Version: 16, Enterprise: true}))
	defer srv.Close()
	common, err := xmlrpc.NewClient(srv.URL+"/xmlrpc/2/common", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ver map[string]any
	if err := common.Call("version", nil, &ver); err != nil {
		t.Fatal(err)
	}
	if ver["server_version"] != "16.0+e" {
		t.Errorf("version %v", ver)
	}
	var uid any
	if err := common.Call("authenticate", []any{"erp", "admin", "CANARY-odoo-test-admin-password", map[string]any{}}, &uid); err != nil {
		t.Fatal(err)
	}
	if uid != int64(2) {
		t.Fatalf("uid %v (%T)", uid, uid)
	}
	var denied any
	if err := common.Call("authenticate", []any{"erp", "admin", "nope", map[string]any{}}, &denied); err != nil || denied != false {
		t.Errorf("wrong password: uid %v err %v", denied, err)
	}
	obj, _ := xmlrpc.NewClient(srv.URL+"/xmlrpc/2/object", nil)
	var rows []any
	err = obj.Call("execute_kw", []any{"erp", 2, "CANARY-odoo-test-admin-password", "base.automation", "search_read",
		[]any{[]any{[]any{"trigger", "=", "on_create_or_write"}}}, map[string]any{"fields": []any{"name", "action_server_id"}}}, &rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	r := rows[0].(map[string]any)
	if m2o := r["action_server_id"].([]any); m2o[0] != int64(20) || m2o[1] != "Push order to warehouse" {
		t.Errorf("Odoo 16 action_server_id = %v", m2o)
	}
	// A field of a newer version is an application fault, as on a real 16.
	err = obj.Call("execute_kw", []any{"erp", 2, "CANARY-odoo-test-admin-password", "ir.actions.server", "search_read",
		[]any{}, map[string]any{"fields": []any{"webhook_url"}}}, &rows)
	if err == nil || !strings.Contains(err.Error(), "Fault(1)") || !strings.Contains(err.Error(), "ValueError: Invalid field 'webhook_url'") {
		t.Errorf("err = %v", err)
	}
	// A wrong password on execute_kw is AccessDenied (fault 3).
	err = obj.Call("execute_kw", []any{"erp", 2, "bad", "res.company", "search_read", []any{}, map[string]any{"fields": []any{"name"}}}, &rows)
	if err == nil || !strings.Contains(err.Error(), "Fault(3): Access Denied") {
		t.Errorf("err = %v", err)
	}
}

func TestJSONRPCAccessError(t *testing.T) {
	s := New(MustLoad("test"), Options{Version: 17})
	srv := httptest.NewServer(s)
	defer srv.Close()
	body := `{"jsonrpc":"2.0","method":"call","id":1,"params":{"service":"object","method":"execute_kw",
		"args":["erp",7,"CANARY-odoo-test-viewer-password","ir.mail_server","search_read",[],{"fields":["name"]}]}}`
	resp, err := http.Post(srv.URL+"/jsonrpc", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Error struct {
			Code int `json:"code"`
			Data struct {
				Name    string `json:"name"`
				Message string `json:"message"`
			} `json:"data"`
		} `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if r.Error.Code != 200 || r.Error.Data.Name != "odoo.exceptions.AccessError" || !strings.Contains(r.Error.Data.Message, "(ir.mail_server)") {
		t.Errorf("error %+v", r.Error)
	}
}

func TestJSON2(t *testing.T) {
	srv := httptest.NewServer(New(MustLoad("test"), Options{Version: 19}))
	defer srv.Close()
	post := func(key, db, path, body string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "bearer "+key)
		req.Header.Set("X-Odoo-Database", db)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	st, b := post("CANARY-odoo-test-admin-api-key", "erp", "/json/2/website/search_read", `{"domain":[],"fields":["domain"]}`)
	if st != 200 || !bytes.Contains(b, []byte("shop.test.example")) {
		t.Errorf("%d %s", st, b)
	}
	st, b = post("wrong", "erp", "/json/2/website/search_read", `{}`)
	if st != 401 || !bytes.Contains(b, []byte(`"name":"werkzeug.exceptions.Unauthorized"`)) {
		t.Errorf("%d %s", st, b)
	}
	st, _ = post("CANARY-odoo-test-viewer-api-key", "erp", "/json/2/ir.mail_server/search_read", `{"fields":["name"]}`)
	if st != 403 {
		t.Errorf("AccessError status %d", st)
	}
}

func TestAdminOnlyFields(t *testing.T) {
	s := New(MustLoad("test"), Options{Version: 17})
	db := s.estate.Databases["erp"]
	viewer := &db.Users[1]
	fg, _ := s.execute("/x", "erp", db, viewer, "ir.cron", "fields_get", nil, map[string]any{})
	if _, ok := fg.(map[string]any)["code"]; ok {
		t.Error("fields_get shows code to a non-admin")
	}
	_, err := s.execute("/x", "erp", db, viewer, "ir.cron", "search_read", nil, map[string]any{"fields": []any{"code"}})
	if err == nil || err.code != 4 || !strings.Contains(err.msg, `access the fields "code"`) {
		t.Errorf("err = %v", err)
	}
}

func TestViolations(t *testing.T) {
	s := New(MustLoad("test"), Options{Version: 17})
	db := s.estate.Databases["erp"]
	user := &db.Users[0]
	_, _ = s.execute("/x", "erp", db, user, "ir.mail_server", "search_read", nil, map[string]any{"fields": []any{"name", "smtp_pass"}})
	_, _ = s.execute("/x", "erp", db, user, "res.company", "search_read", nil, map[string]any{})
	_, _ = s.execute("/x", "erp", db, user, "ir.config_parameter", "search_read", nil, map[string]any{"domain": []any{[]any{"key", "=", "database.secret"}}, "fields": []any{"value"}})
	_, _ = s.execute("/x", "erp", db, user, "base.automation", "search_read", nil, map[string]any{"fields": []any{"url"}})
	v := strings.Join(s.Violations(), "\n")
	for _, want := range []string{"secret field smtp_pass", "res.company search_read without fields", "database.secret", "secret field url"} {
		if !strings.Contains(v, want) {
			t.Errorf("violations miss %q:\n%s", want, v)
		}
	}
}

func TestVersionShapes(t *testing.T) {
	e := MustLoad("test")
	for v, want := range map[int]string{15: "payment.acquirer", 16: "payment.provider"} {
		s := New(e, Options{Version: v})
		db := e.Databases["erp"]
		res, err := s.execute("/x", "erp", db, &db.Users[0], want, "search_read", nil, map[string]any{"fields": []any{"name"}})
		if err != nil || len(res.([]any)) != 3 {
			t.Errorf("Odoo %d %s: %v %v", v, want, res, err)
		}
	}
	if len(MustLoad("demo").Canaries()) < 8 { // and fakescale.Odoo's, in package fakescale
		t.Error("too few canaries")
	}
}
