package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

// hollowConfig is estateConfig's estate with one provider's fake answering every success with
// body (fakeapi.Hollow).
func hollowConfig(t *testing.T, hollow, body string) string {
	t.Helper()
	serve := func(p string, h http.Handler) string {
		if p == hollow {
			h = fakeapi.Hollow(h, body)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	ve := vercelfake.MustLoad("demo")
	ve.Token = "good-vercel-token"
	vURL := serve("vercel", vercelfake.New(ve))
	df := digitaloceanfake.New(digitaloceanfake.MustLoad("demo"))
	df.Token = "good-do-token"
	dURL := serve("digitalocean", df)
	est := supabasefake.Demo()
	sURL := serve("supabase", supabasefake.New(est, supabasefake.Options{}))
	odb := odoofake.MustLoad("demo")
	oURL := serve("odoo", odoofake.New(odb, odoofake.Options{Version: 17}))
	dk := dockerfake.New(dockerfake.MustLoad("demo"))
	dk.SetAPIVersion("1.41")
	kURL := serve("docker", dk)
	opass := ""
	for _, u := range odb.Databases["acme"].Users {
		if u.Login == "admin" {
			opass = u.Password
		}
	}
	yaml := "timeout: 20s\n" +
		"vercel:\n  - name: acme\n    token: " + ve.Token + "\n    api_url: " + vURL + "\n" +
		"digitalocean:\n  - name: acme\n    token: " + df.Token + "\n    api_url: " + dURL + "\n" +
		"supabase:\n  - name: acme\n    access_token: " + est.Token + "\n    api_url: " + sURL + "\n" +
		"odoo:\n  - name: erp\n    url: " + oURL + "\n    database: acme\n    username: admin\n    password: " + opass + "\n" +
		"docker:\n  - name: erp-1\n    host: tcp://" + strings.TrimPrefix(kURL, "http://") + "\n"
	cfg := filepath.Join(t.TempDir(), "infragraph.yaml")
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Issue #26 item 10: a provider answering `200 {}` or `200 null` to everything is not an empty
// account. Its collector fails (or is partial), and the nodes it had last scan are carried
// forward stale instead of being dropped.
func TestHollowAnswersCarryTheEstateForward(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, log := scanCode(t, nil, "--config", hollowConfig(t, "", ""), "--out", dir); code != exitOK {
		t.Fatalf("good estate: exit %d\n%s", code, log)
	}
	before := map[string]int{}
	for _, n := range readGraph(t, dir).Nodes {
		before[strings.SplitN(n.ID, ":", 2)[0]]++
	}
	for _, p := range []string{"digitalocean", "docker", "vercel", "supabase", "odoo"} {
		for _, body := range []string{`{}`, `null`} {
			t.Run(p+" "+body, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out")
				if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
					t.Fatal(err)
				}
				code, log := scanCode(t, nil, "--config", hollowConfig(t, p, body), "--out", out)
				if code != exitOK && code != exitPartial { // partial is exit 0, failed is 3
					t.Errorf("exit %d\n%s", code, log)
				}
				g := readGraph(t, out)
				for _, c := range g.Collectors {
					if c.Provider == p && c.Status == "ok" {
						t.Errorf("%s/%s ok on hollow answers", c.Provider, c.Instance)
					}
				}
				kept, stale := 0, 0
				for _, n := range g.Nodes {
					if strings.HasPrefix(n.ID, p+":") {
						kept++
						if n.Stale {
							stale++
						}
					}
				}
				if kept < before[p] || stale == 0 {
					t.Errorf("%d of %d %s nodes kept (%d stale)", kept, before[p], p, stale)
				}
			})
		}
	}
}
