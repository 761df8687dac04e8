package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const canary = "CANARY-s3cr3t-9f8e7d"

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Facts
	}{
		{"postgres://postgres.abcdefghijklmnopqrst:" + canary + "@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?sslmode=require",
			Facts{Scheme: "postgres", Host: "aws-0-eu-central-1.pooler.supabase.com", Port: 6543, Database: "postgres", User: "postgres.abcdefghijklmnopqrst"}},
		{"postgresql://doadmin:" + canary + "@db-pg-1-do-user-1-0.b.db.ondigitalocean.com:25060/defaultdb",
			Facts{Scheme: "postgresql", Host: "db-pg-1-do-user-1-0.b.db.ondigitalocean.com", Port: 25060, Database: "defaultdb", User: "doadmin"}},
		{"host=db.abcdefghijklmnopqrst.supabase.co port=5432 dbname=postgres user=postgres password=" + canary,
			Facts{Scheme: "postgres", Host: "db.abcdefghijklmnopqrst.supabase.co", Port: 5432, Database: "postgres", User: "postgres"}},
		{"app:" + canary + "@tcp(mysql.internal:3306)/shop", Facts{Scheme: "mysql", Host: "mysql.internal", Port: 3306, Database: "shop", User: "app"}},
		{"https://API.Example.COM./v1/hooks?token=" + canary, Facts{Scheme: "https", Host: "api.example.com", Path: "/v1/hooks"}},
		{"https://hooks.slack.com/services/T0000000/B0000000/aZ3kP9qLmN2xR7tY5vB8wC1d", Facts{Scheme: "https", Host: "hooks.slack.com", Path: "/services/T0000000/B0000000/…"}},
		{"https://ghp_abcdefghijklmnop@github.com/org/repo", Facts{Scheme: "https", Host: "github.com", Path: "/org/repo"}},
		{"redis://default:" + canary + "@h1.upstash.io:6379", Facts{Scheme: "redis", Host: "h1.upstash.io", Port: 6379, User: "default"}},
		{"postgres://u:" + canary + "@h1:5432,h2:5432/db", Facts{Scheme: "postgres", Host: "h1", Port: 5432, Database: "db", User: "u"}},
		{"erp.example.com:8069", Facts{Host: "erp.example.com", Port: 8069}},
		{"http://[2001:db8::1]:8080/x", Facts{Scheme: "http", Host: "2001:db8::1", Port: 8080, Path: "/x"}},
		{"https://bücher.example/", Facts{Scheme: "https", Host: "xn--bcher-kva.example"}},
	} {
		got, ok := Parse(c.in)
		if !ok || got != c.want {
			t.Errorf("Parse(%q)\n got %+v %v\nwant %+v", c.in, got, ok, c.want)
		}
		for k, v := range got.Attrs("value") {
			if s, _ := v.(string); strings.Contains(s, canary) || strings.Contains(s, "ghp_") {
				t.Errorf("secret leaked in %s=%v", k, v)
			}
		}
	}
	for _, bad := range []string{"", "hunter2", canary, "just some words", "true", "12345"} {
		if f, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) = %+v, want nothing", bad, f)
		}
	}
}

// Pasted passwords are often not percent-encoded: a "/", "?", "#" or "@" in one must not make
// a piece of it the host, the database or the path; an "@" in a real path stays in the path.
func TestParseUnencodedPassword(t *testing.T) {
	for in, want := range map[string]Facts{
		"postgres://app:p@ss#w0rd@db.example.com:5432/orders": {Scheme: "postgres", Host: "db.example.com", Port: 5432, Database: "orders", User: "app"},
		"mysql://app:9/Hq2xK@db.example.com/orders":           {Scheme: "mysql", Host: "db.example.com", Database: "orders", User: "app"},
		"https://u:p@ss#x@api.example.com/v1":                 {Scheme: "https", Host: "api.example.com", User: "u", Path: "/v1"},
		"https://unpkg.com/@scope/pkg":                        {Scheme: "https", Host: "unpkg.com", Path: "/…/pkg"},
		"https://api.example.com:8443/users/@me":              {Scheme: "https", Host: "api.example.com", Port: 8443, Path: "/users/…"},
	} {
		if got, _ := Parse(in); got != want {
			t.Errorf("Parse(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestSafePath(t *testing.T) {
	for in, want := range map[string]string{
		"/functions/v1/send-order-email": "/functions/v1/send-order-email",
		"/proxy/u:pass-word@inner/x":     "/proxy/…/x",
		"/hook;key=abc/run":              "/…/…", // the value may go on past a "/"
		"/hook/key=ab+c/de==/run":        "/hook/…/…/…",
		"/api/order-created?token=abc":   "/api/order-created",
		"/v1/" + strings.Repeat("a", 40): "/v1/…",
		"/":                              "",
	} {
		if got := SafePath(in); got != want {
			t.Errorf("SafePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	if a := FromEnv("value", "DB_PASSWORD", "db.example.com"); len(a) != 0 {
		t.Errorf("secret-named key yielded %v", a)
	}
	a := FromEnv("value", "DATABASE_URL", "postgres://u:"+canary+"@db.example.com:5432/app")
	if a["value.host"] != "db.example.com" || a["value.port"] != 5432 || a["value.url"] != "postgres://db.example.com:5432" {
		t.Errorf("got %v", a)
	}
}

func TestURLsIn(t *testing.T) {
	code := `select net.http_post(url:='https://abcdefghijklmnopqrst.supabase.co/functions/v1/send-email',
	  headers:='{"Authorization":"Bearer ` + canary + `"}'); -- also http://Example.org.`
	got := URLsIn(code)
	if len(got) != 2 || got[0].URL() != "http://example.org" || got[1].URL() != "https://abcdefghijklmnopqrst.supabase.co/functions/v1/send-email" {
		t.Fatalf("got %+v", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("postgres://u:pw@h:5432/db")
	f.Add("host=h password=pw")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Parse(s)
		if ok && got.Host == "" {
			t.Fatal("ok without host")
		}
	})
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(canary)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %#v %+v", s, s, s, struct{ S Secret }{s}), mustJSON(t, struct{ S Secret }{s})} {
		if strings.Contains(out, canary) {
			t.Errorf("secret printed: %s", out)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "token", s)
	if strings.Contains(buf.String(), canary) || s.Reveal() != canary {
		t.Errorf("slog: %s", buf.String())
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSafePathDropsLetterOnlyTokens(t *testing.T) {
	for in, want := range map[string]string{
		"/services/T000/B000/CANARYtokenCANARYtoken": "/services/T000/B000/…",
		"/functions/v1/send-order-email":             "/functions/v1/send-order-email",
		"/api/orderCreated":                          "/api/orderCreated",
	} {
		if got := SafePath(in); got != want {
			t.Errorf("SafePath(%q) = %q, want %q", in, got, want)
		}
	}
}
