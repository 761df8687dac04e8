package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors/all"
	"github.com/infragraph/infragraph/collectors/digitalocean"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/odoo"
	"github.com/infragraph/infragraph/collectors/supabase"
	"github.com/infragraph/infragraph/collectors/vercel"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
func none(string) bool                            { return false }

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "infragraph.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadNothingConfigured(t *testing.T) {
	f, err := Load("", all.Registry, env(nil), none)
	if err != nil {
		t.Fatal(err)
	}
	if len(Section[vercel.Config](f, "vercel"))+len(Section[supabase.Config](f, "supabase"))+len(Section[odoo.Config](f, "odoo"))+len(Section[digitalocean.Config](f, "digitalocean"))+len(Section[docker.Config](f, "docker")) != 0 {
		t.Fatalf("instances from nowhere: %+v", f)
	}
}

func TestLoadEnvDefaults(t *testing.T) {
	f, err := Load("", all.Registry, env(map[string]string{
		"VERCEL_TOKEN": "v", "VERCEL_TEAM_ID": "team_1", "DIGITALOCEAN_ACCESS_TOKEN": "d", "DIGITALOCEAN_API_URL": "http://127.0.0.1:1",
		"SUPABASE_DB_URL": "postgres://x", "ODOO_URL": "https://erp.example.com", "ODOO_USERNAME": "admin", "ODOO_PASSWORD": "p", "DOCKER_HOST": "tcp://h:2376",
	}), none)
	if err != nil {
		t.Fatal(err)
	}
	if len(Section[vercel.Config](f, "vercel")) != 1 || Section[vercel.Config](f, "vercel")[0].TeamIDs[0] != "team_1" || Section[vercel.Config](f, "vercel")[0].Token.Reveal() != "v" {
		t.Errorf("vercel %+v", Section[vercel.Config](f, "vercel"))
	}
	if len(Section[digitalocean.Config](f, "digitalocean")) != 1 || Section[digitalocean.Config](f, "digitalocean")[0].Token.Reveal() != "d" || Section[digitalocean.Config](f, "digitalocean")[0].APIURL != "http://127.0.0.1:1" {
		t.Errorf("do %+v", Section[digitalocean.Config](f, "digitalocean"))
	}
	if len(Section[supabase.Config](f, "supabase")) != 1 || len(Section[odoo.Config](f, "odoo")) != 1 || len(Section[docker.Config](f, "docker")) != 1 || Section[docker.Config](f, "docker")[0].Host != "tcp://h:2376" {
		t.Errorf("others: %+v %+v %+v", Section[supabase.Config](f, "supabase"), Section[odoo.Config](f, "odoo"), Section[docker.Config](f, "docker"))
	}
	if strings.Join(f.FromEnv, ",") != "vercel,supabase,odoo,digitalocean,docker" {
		t.Errorf("FromEnv %v", f.FromEnv)
	}
}

func TestLoadFile(t *testing.T) {
	p := write(t, `# two accounts, secrets from the environment
timeout: 90s
digitalocean:
  - name: prod
    token: ${DO_PROD}
  - name: staging
    token: ${DO_STAGING}
docker:
  - name: a
    host: unix:///run/a.sock
  - name: b
    host: ssh://deploy@b.example.com
vercel:
  - token: ${VERCEL_TOKEN}
    teams: [team_a, team_b]
    read_encrypted: false
enrich:
  threshold: 0.7
llm:
  timeout: 2m
`)
	f, err := Load(p, all.Registry, env(map[string]string{"DO_PROD": "p1", "DO_STAGING": "p2", "VERCEL_TOKEN": "vt", "DIGITALOCEAN_TOKEN": "ignored"}), none)
	if err != nil {
		t.Fatal(err)
	}
	if f.Timeout != 90*time.Second || len(Section[digitalocean.Config](f, "digitalocean")) != 2 || Section[digitalocean.Config](f, "digitalocean")[1].Token.Reveal() != "p2" || Section[digitalocean.Config](f, "digitalocean")[0].Name != "prod" {
		t.Errorf("do: %+v", f)
	}
	if len(Section[docker.Config](f, "docker")) != 2 || Section[vercel.Config](f, "vercel")[0].Name != "default" || *Section[vercel.Config](f, "vercel")[0].ReadEncrypted || len(Section[vercel.Config](f, "vercel")[0].TeamIDs) != 2 {
		t.Errorf("docker/vercel: %+v %+v", Section[docker.Config](f, "docker"), Section[vercel.Config](f, "vercel"))
	}
	if f.Enrich.Threshold != 0.7 {
		t.Errorf("threshold %v", f.Enrich.Threshold)
	}
	if f.LLM.Timeout != 2*time.Minute {
		t.Errorf("llm.timeout %v", f.LLM.Timeout)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, c := range map[string]struct {
		body string
		env  map[string]string
		want []string
	}{
		"syntax":          {"vercel:\n  - token: [\n", nil, []string{"infragraph.yaml:"}},
		"unknown field":   {"vercel:\n  - tokn: x\n", nil, []string{"infragraph.yaml:2:", "vercel[0].tokn", `unknown field "tokn"`}},
		"unknown section": {"timeout: 1m\nverсel: []\n", nil, []string{"infragraph.yaml:2:", "unknown field"}},
		"missing env":     {"digitalocean:\n  - token: ${DO_TOKEN}\n", nil, []string{"infragraph.yaml:2:", "digitalocean[0].token", "DO_TOKEN is not set"}},
		"wrong type":      {"timeout: soon\n", nil, []string{"infragraph.yaml:1:", "timeout: expected a duration such as 90s, 5m or 1h, got a string"}},
		"not a list":      {"vercel:\n  name: x\n", nil, []string{"infragraph.yaml:2:", "vercel: expected a list", "got a mapping"}},
		"unknown in flow": {"vercel:\n  - token: x\n    team: [a]\n", nil, []string{"infragraph.yaml:3:", `vercel[0].team: unknown field "team"`}},
		"validate":        {"odoo:\n  - name: erp\n    url: ftp://erp\n    username: a\n    password: b\n", nil, []string{"infragraph.yaml:3:", "odoo[0].url", "not an http(s) URL"}},
		"missing token":   {"vercel:\n  - teams: [a]\n", nil, []string{"infragraph.yaml:2:", "vercel[0].token", "required"}},
		"bad ref":         {"supabase:\n  - access_token: x\n    databases:\n      NOTAREF: postgres://h/db\n", nil, []string{"infragraph.yaml:3:", "supabase[0].databases"}},
		"duplicate name":  {"docker:\n  - name: a\n    host: unix:///a\n  - name: a\n    host: unix:///b\n", nil, []string{"infragraph.yaml:1:", `named "a"`}},
		"threshold":       {"enrich:\n  threshold: 2\n", nil, []string{"infragraph.yaml:2:", "enrich.threshold"}},
		// issue #26 item 14: NaN compares false with everything and then accepted every proposal
		"llm timeout":    {"llm:\n  timeout: -1s\n", nil, []string{"infragraph.yaml:2:", "llm.timeout", "must not be negative"}},
		"threshold nan":  {"enrich:\n  threshold: .nan\n", nil, []string{"infragraph.yaml:2:", "enrich.threshold", "NaN"}},
		"threshold inf":  {"timeout: 1m\nenrich:\n  threshold: .inf\n", nil, []string{"infragraph.yaml:3:", "enrich.threshold"}},
		"alerts stale":   {"timeout: 1m\nalerts:\n  stale_scans: -2\n", nil, []string{"infragraph.yaml:3:", "alerts.stale_scans", "negative"}},
		"alerts repos":   {"alerts:\n  known_repos: [\"github.com/*/x\"]\n", nil, []string{"infragraph.yaml:2:", "alerts.known_repos"}},
		"threshold -inf": {"enrich:\n  threshold: -.Inf\n", nil, []string{"infragraph.yaml:2:", "enrich.threshold"}},
		"threshold neg":  {"enrich:\n  threshold: -0.1\n", nil, []string{"infragraph.yaml:2:", "enrich.threshold"}},
	} {
		_, err := Load(write(t, c.body), all.Registry, env(c.env), none)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", name, err, w)
			}
		}
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	const canary = "CANARY-cfg-71c2"
	_, err := Load(write(t, "vercel:\n  - token: ${T}\n    api_url: not-a-url\n"), all.Registry, env(map[string]string{"T": canary}), none)
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Fatalf("err = %v", err)
	}
	// A secret referenced where another type belongs: not even its first characters are quoted.
	_, err = Load(write(t, "vercel:\n  - token: x\n    read_encrypted: ${T}\n"), all.Registry, env(map[string]string{"T": canary}), none)
	if err == nil || strings.Contains(err.Error(), "CANARY") || !strings.Contains(err.Error(), "vercel[0].read_encrypted: expected true or false") {
		t.Fatalf("err = %v", err)
	}
}

// A secret holding a backtick ends yaml.v3's quoted value early; the type error still quotes
// nothing of it (issue #26, item 3).
func TestSecretWithBacktickNotInTypeError(t *testing.T) {
	for _, secret := range []string{"CA`NARY-x", "`CANARY", "CANAR`Y`", "CANARY` into x", "CANARY-``-x"} {
		_, err := Load(write(t, "vercel:\n  - token: x\n    read_encrypted: ${T}\n"), all.Registry, env(map[string]string{"T": secret}), none)
		if err == nil || strings.Contains(err.Error(), "CA") || !strings.Contains(err.Error(), "vercel[0].read_encrypted: expected true or false") {
			t.Errorf("secret %q: err = %v", secret, err)
		}
	}
}

// Origin names where a value came from (the variable and the line), never the value.
func TestOrigin(t *testing.T) {
	p := filepath.Join(t.TempDir(), "infragraph.yaml")
	os.WriteFile(p, []byte("digitalocean:\n  - name: prod\n    token: literal-CANARY\n  - name: staging\n    token: ${DO_STAGING_TOKEN}\n"), 0o600)
	env := map[string]string{"DO_STAGING_TOKEN": "CANARY-x", "VERCEL_TOKEN": "CANARY-v"}
	f, err := Load(p, all.Registry, func(k string) string { return env[k] }, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		provider string
		i        int
		field    string
		want     string
	}{
		{"digitalocean", 0, "token", "token at " + p + ":3"},
		{"digitalocean", 1, "token", "token from $DO_STAGING_TOKEN, " + p + ":5"},
		{"digitalocean", 1, "api_url", ""},
		{"vercel", 0, "token", "token from $VERCEL_TOKEN"},
	} {
		if got := f.Origin(c.provider, c.i, c.field); got != c.want {
			t.Errorf("%s[%d].%s: %q, want %q", c.provider, c.i, c.field, got, c.want)
		}
	}
}
