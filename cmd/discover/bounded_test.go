package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
)

// Vercel, Supabase and Odoo answering bodies past their caps (issue #26, item 5): each collector
// fails with the cap named, none reads the body whole, and no token is echoed. (DigitalOcean's and
// Docker's caps are tested in their packages.)
func TestHugeBodiesAreNamed(t *testing.T) {
	huge := func(n int64) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fakeapitest.WriteHuge(w, `{"padding":"`, `"}`, n)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	vercel, supa, odoo := huge(65<<20), huge(33<<20), huge(65<<20)
	cfg := filepath.Join(t.TempDir(), "infragraph.yaml")
	yaml := "vercel:\n  - name: acme\n    token: CANARY-huge-vercel\n    api_url: " + vercel.URL + "\n" +
		"supabase:\n  - name: acme\n    access_token: sbp_CANARY_huge_supabase\n    api_url: " + supa.URL + "\n" +
		"odoo:\n  - name: erp\n    url: " + odoo.URL + "\n    database: acme\n    username: admin\n    password: CANARY-huge-odoo\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"scan", "--config", cfg, "--out", dir}, e); code == exitOK {
		t.Fatalf("exit 0\n%s", errb)
	}
	for name, want := range map[string]string{
		"vercel":   "response from " + vercel.Listener.Addr().String() + "/v2/user exceeded 64 MiB",
		"supabase": "response from " + supa.Listener.Addr().String() + "/v1/",
		"odoo":     "response from " + odoo.Listener.Addr().String() + "/",
	} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("%s: the log does not say %q\n%s", name, want, errb)
		}
	}
	for _, want := range []string{"exceeded 32 MiB", "exceeded 64 MiB"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("the log does not say %q", want)
		}
	}
	assertNoCanaryAnywhere(t, dir, out, errb)
}
