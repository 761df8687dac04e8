package evidence

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// Values that hold a secret and a URL-ish piece but are no URL or DSN: Parse must return
// nothing for them, whatever it could dig out (issue #26, item 1).
func TestParseRefusesMalformedSecretBearingValues(t *testing.T) {
	for _, v := range []string{
		`{"type":"service_account","project_id":"acme","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQCANARYkey\n-----END PRIVATE KEY-----\n","auth_uri":"https://accounts.google.com/o/oauth2/auth"}`,
		`{"apiKey":"AIzaSyCANARY0000000000000000000000000","authDomain":"acme.firebaseapp.com","databaseURL":"https://acme.firebaseio.com"}`,
		"Bearer CANARYtoken https://api.example.com/v1",
		"https://api.example.com:CANARY/v1",
		"postgres://db.example.com:CANARY",
		"https://api.example.com/v1 CANARY",
		"-----BEGIN RSA PRIVATE KEY-----\nCANARY\n-----END RSA PRIVATE KEY-----\nhttps://api.example.com",
		"host=db.example.com port=CANARY dbname=orders",
		"https://api.example.com:99999/v1",
	} {
		if f, ok := Parse(v); ok {
			t.Errorf("Parse(%q) = %+v, want nothing", v, f)
		}
		for _, key := range []string{"GOOGLE_CREDENTIALS", "FIREBASE_CONFIG", "SERVICE"} {
			if a := FromEnv("value", key, v); len(a) != 0 {
				t.Errorf("FromEnv(%s, %q) = %v, want nothing", key, v, a)
			}
		}
	}
	// Well-formed URLs around such pieces still give their facts, without the secret.
	for in, want := range map[string]Facts{
		"jdbc:postgresql://db.example.com:5432/orders?user=app&password=CANARY":                      {Scheme: "postgresql", Host: "db.example.com", Port: 5432, Database: "orders", User: "app"},
		"jdbc:sqlserver://sql.example.com:1433;databaseName=orders;password=CANARY@evil.example.org": {Scheme: "sqlserver", Host: "sql.example.com", Port: 1433},
		"sqlserver://sql.example.com;password=CANARYpw:1":                                            {Scheme: "sqlserver", Host: "sql.example.com"},
		"https://CANARYtoken@github.com/org/repo":                                                    {Scheme: "https", Host: "github.com", Path: "/org/repo"},
	} {
		if got, _ := Parse(in); got != want {
			t.Errorf("Parse(%q) = %+v, want %+v", in, got, want)
		}
	}
}

// secretForms are structured values that carry a secret (%s, filled by a form-specific
// encoding) the way real configurations do: credential JSON files, PEM blocks, headers, keyword
// DSNs, JDBC and ODBC strings.
var secretForms = []struct {
	name string
	fill func(secret string) string
}{
	{"gcp-service-account", func(s string) string {
		return `{"type":"service_account","project_id":"acme-prod","private_key_id":` + jsonString(s) +
			`,"private_key":` + jsonString("-----BEGIN PRIVATE KEY-----\n"+s+"\n-----END PRIVATE KEY-----\n") +
			`,"client_email":"svc@acme-prod.iam.gserviceaccount.com","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token"}`
	}},
	{"firebase-config", func(s string) string {
		return `{"apiKey":` + jsonString(s) + `,"authDomain":"acme.firebaseapp.com","databaseURL":"https://acme.firebaseio.com","projectId":"acme"}`
	}},
	{"bearer-then-url", func(s string) string { return "Bearer " + s + " https://api.example.com/v1/hooks" }},
	{"header-then-url", func(s string) string { return "Authorization: Bearer " + s + "\nhttps://api.example.com/v1" }},
	{"pem-then-url", func(s string) string {
		return "-----BEGIN RSA PRIVATE KEY-----\n" + s + "\n-----END RSA PRIVATE KEY-----\nhttps://api.example.com/v1"
	}},
	{"sqlserver-props", func(s string) string { return "sqlserver://sql.example.com;password=" + s + ":1" }},
	{"jdbc-sqlserver", func(s string) string {
		return "jdbc:sqlserver://sql.example.com:1433;databaseName=orders;user=app;password={" + strings.ReplaceAll(s, "}", "}}") + "}"
	}},
	{"jdbc-postgres-query", func(s string) string {
		return "jdbc:postgresql://db.example.com:5432/orders?user=app&password=" + url.QueryEscape(s)
	}},
	{"url-userinfo-escaped", func(s string) string {
		return "postgres://app:" + url.QueryEscape(s) + "@db.example.com:5432/orders"
	}},
	{"libpq-keywords", func(s string) string {
		return "host=db.example.com port=5432 dbname=orders user=app password=" + pqQuote(s)
	}},
	{"libpq-password-first", func(s string) string {
		return "password=" + pqQuote(s) + " host=db.example.com dbname=orders"
	}},
	{"odbc", func(s string) string {
		return "Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql.example.com,1433;Database=orders;Uid=app;Pwd={" + strings.ReplaceAll(s, "}", "}}") + "};"
	}},
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// pqQuote quotes a libpq keyword value: single quotes, with ' and \ escaped by a backslash.
func pqQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// secretWindows are the byte sequences of the secret (and of its encoded form in the value) that
// a derived fact must not contain: every run of 6 bytes not also found in the same value built
// around an innocent secret.
func secretWindows(secret, innocent string) []string {
	const n = 6
	var out []string
	for _, s := range []string{secret, url.QueryEscape(secret)} {
		ls := strings.ToLower(s)
		for i := 0; i+n <= len(ls); i++ {
			w := ls[i : i+n]
			if !strings.Contains(strings.ToLower(innocent), w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// FuzzParseStructuredSecrets: for every secret-bearing shape, no byte sequence of the secret
// part appears in any fact Parse or FromEnv derives (under a plain and a secret-naming key).
func FuzzParseStructuredSecrets(f *testing.F) {
	for i := range secretForms {
		f.Add(i, "CANARY-s3cr3t-9f8e7d")
		f.Add(i, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC/+a==")
		f.Add(i, "p@ss;word=x host=evil.example.org")
		f.Add(i, "a@evil.example.org:1/x?y#z")
		f.Add(i, `x" https://evil.example.org "`)
		f.Add(i, "x}; Server=evil.example.org;")
	}
	f.Fuzz(func(t *testing.T, form int, secret string) {
		if form < 0 || len(secret) < 6 || !utf8.ValidString(secret) || strings.ContainsRune(secret, 0) {
			return
		}
		sf := secretForms[form%len(secretForms)]
		value := sf.fill(secret)
		windows := secretWindows(secret, sf.fill("x"))
		if len(windows) == 0 {
			return
		}
		facts, _ := Parse(value)
		derived := append(factStrings(facts), attrStrings(facts.Attrs("v"))...)
		for _, key := range []string{"APP_CONFIG", "GOOGLE_CREDENTIALS"} {
			derived = append(derived, attrStrings(FromEnv("env."+key, key, value))...)
		}
		for _, d := range derived {
			ld := strings.ToLower(d)
			for _, w := range windows {
				if strings.Contains(ld, w) {
					t.Fatalf("%s: Parse(%q) derives %q holding %q of the secret", sf.name, value, d, w)
				}
			}
		}
	})
}
