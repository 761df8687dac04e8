package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

// TestRedirectsKeepCredentialsHome runs a scan whose every API answers the calls carrying a
// credential with a 307 to another port of the same host (issue #26, item 4). No client follows:
// the other listener receives no request at all (so none with a credential or a password-bearing
// body), each collector fails naming both origins, and no credential is written anywhere.
func TestRedirectsKeepCredentialsHome(t *testing.T) {
	const (
		vercelToken = "CANARY-redir-vercel-token"
		doToken     = "CANARY-redir-do-token"
		odooPass    = "CANARY-redir-odoo-password"
	)
	vercel := fakeapitest.NewRedirects(t, vercelfake.New(vercelfake.MustLoad("demo")), nil)
	df := digitaloceanfake.New(digitaloceanfake.MustLoad("demo"))
	df.Token = doToken
	do := fakeapitest.NewRedirects(t, df, nil)
	est := supabasefake.Demo()
	est.Token = "sbp_CANARY_redir_supabase_token"
	supa := fakeapitest.NewRedirects(t, supabasefake.New(est, supabasefake.Options{}), nil)
	// Odoo: only the calls that carry the password are redirected (the version probe is not).
	carriesPassword := func(_ *http.Request, body []byte) bool { return bytes.Contains(body, []byte(odooPass)) }
	odooXML := fakeapitest.NewRedirects(t, odoofake.New(odoofake.MustLoad("demo"), odoofake.Options{Version: 17}), carriesPassword)
	odooJSON := fakeapitest.NewRedirects(t, odoofake.New(odoofake.MustLoad("demo"), odoofake.Options{Version: 17}), carriesPassword)
	docker := fakeapitest.NewRedirects(t, dockerfake.New(dockerfake.MustLoad("demo")), nil)
	fronts := map[string]*fakeapitest.Redirects{"vercel": vercel, "digitalocean": do, "supabase": supa, "odoo xml-rpc": odooXML, "odoo json-rpc": odooJSON, "docker": docker}

	cfg := filepath.Join(t.TempDir(), "infragraph.yaml")
	yaml := "vercel:\n  - name: acme\n    token: " + vercelToken + "\n    api_url: " + vercel.Front.URL + "\n" +
		"digitalocean:\n  - name: acme\n    token: " + doToken + "\n    api_url: " + do.Front.URL + "\n" +
		"supabase:\n  - name: acme\n    access_token: " + est.Token + "\n    api_url: " + supa.Front.URL + "\n" +
		"odoo:\n  - name: erp\n    url: " + odooXML.Front.URL + "\n    database: acme\n    username: admin\n    password: " + odooPass + "\n" +
		"  - name: erp-json\n    protocol: jsonrpc\n    url: " + odooJSON.Front.URL + "\n    database: acme\n    username: admin\n    password: " + odooPass + "\n" +
		"docker:\n  - name: edge\n    host: tcp://" + docker.Front.Listener.Addr().String() + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	e, out, errb := testEnv(nil)
	code := runEnv(context.Background(), []string{"scan", "--config", cfg, "--out", dir, "--log-level", "debug"}, e)
	if code == exitOK {
		t.Fatalf("exit %d, want a failed scan\n%s", code, errb)
	}
	for name, f := range fronts {
		if got := f.Trapped(); len(got) > 0 {
			t.Errorf("%s: the other origin received %d requests; the first:\n%s", name, len(got), got[0])
		}
		if name == "docker" {
			continue // the Docker client never followed redirects: its error is the 307 itself
		}
		if want := "refused redirect from http://" + f.Front.Listener.Addr().String() + " to http://" + f.Trap.Listener.Addr().String(); !strings.Contains(errb.String(), want) {
			t.Errorf("%s: the log does not say %q\n%s", name, want, errb)
		}
	}
	assertNoCanaryAnywhere(t, dir, out, errb)
}
