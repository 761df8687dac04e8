package evidence

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// dsnForms are the connection-string shapes Parse reads, with the password as %[2]s. The other
// parts are fixed so that a password showing up in the facts can only have come from the
// password.
var dsnForms = []string{
	"postgres://%[1]s:%[2]s@db.example.com:5432/orders",
	"postgresql://%[1]s:%[2]s@db.example.com/orders?sslmode=require",
	"mysql://%[1]s:%[2]s@db.example.com:3306/orders",
	"redis://:%[2]s@cache.example.com:6379/0",
	"https://%[1]s:%[2]s@api.example.com/v1/hooks",
	"host=db.example.com port=5432 dbname=orders user=%[1]s password=%[2]s",
	"password=%[2]s host=db.example.com dbname=orders user=%[1]s",
	"host=db.example.com password='%[2]s' dbname=orders",
	"Server=db.example.com;Database=orders;User Id=%[1]s;Password=%[2]s",
	"%[1]s:%[2]s@tcp(db.example.com:3306)/orders",
}

// leaked reports which of the facts' rendered forms hold password, when the same form with an
// innocent password would not (the password may be a substring of a fixed part, "example").
func leaked(form, user, password string, facts ...string) string {
	innocent := fmt.Sprintf(form, user, "x")
	if strings.Contains(innocent, password) {
		return ""
	}
	// The password whole, and each run of it between separators: a parser that splits the
	// password at a "/" or "@" leaks it piecewise.
	parts := append([]string{password}, strings.FieldsFunc(password, func(r rune) bool {
		return strings.ContainsRune("/?#@:;=,'\" \t\n&%[](){}", r)
	})...)
	for _, p := range parts {
		lp := strings.ToLower(p)
		if len(p) < 5 || strings.Contains(strings.ToLower(innocent), lp) {
			continue
		}
		for _, f := range facts {
			if strings.Contains(strings.ToLower(f), lp) {
				return f
			}
		}
	}
	return ""
}

// portThenPath: an unencoded password of digits then "/" ("https://u:1/0@h/x") is a URL to host
// "u", port 1, whatever was meant: no parser can tell, so the property does not hold there.
var portThenPath = regexp.MustCompile(`^[0-9]+/`)

// usable limits the fuzzer to passwords long enough to mean something and not part of the
// user name (which is kept on purpose).
func usable(user, password string) bool {
	alnum := 0
	for _, r := range password {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			alnum++
		}
	}
	return alnum >= 4 && len(password) >= 5 && utf8.ValidString(password) && !strings.Contains(user, password) &&
		!strings.ContainsAny(password, "\x00") && !strings.Contains(strings.ToLower(password), "example") &&
		!portThenPath.MatchString(password)
}

func factStrings(f Facts) []string {
	return []string{f.Scheme, f.Host, f.Database, f.User, f.Path, f.URL()}
}

func attrStrings(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, k, fmt.Sprint(m[k]))
	}
	return out
}

func fuzzSeeds(f *testing.F) {
	for i := range dsnForms {
		f.Add(i, "app", "hunter2-s3cret")
		f.Add(i, "app", "9/Hq2xKpw")
		f.Add(i, "app", "p@ss/w0rd?#")
	}
}

// FuzzParseKeepsPasswordOut: whatever the password, no fact Parse returns holds it.
func FuzzParseKeepsPasswordOut(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, form int, user, password string) {
		if form < 0 || !usable(user, password) {
			return
		}
		tmpl := dsnForms[form%len(dsnForms)]
		dsn := fmt.Sprintf(tmpl, user, password)
		facts, _ := Parse(dsn)
		if where := leaked(tmpl, user, password, append(factStrings(facts), attrStrings(facts.Attrs("v"))...)...); where != "" {
			t.Fatalf("Parse(%q) keeps the password %q in %q", dsn, password, where)
		}
	})
}

// FuzzFromEnvKeepsPasswordOut: the same through FromEnv, under a plain and a secret key name.
func FuzzFromEnvKeepsPasswordOut(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, form int, user, password string) {
		if form < 0 || !usable(user, password) {
			return
		}
		tmpl := dsnForms[form%len(dsnForms)]
		dsn := fmt.Sprintf(tmpl, user, password)
		for _, key := range []string{"DATABASE_URL", "DB_PASSWORD"} {
			if where := leaked(tmpl, user, password, attrStrings(FromEnv("env."+key, key, dsn))...); where != "" {
				t.Fatalf("FromEnv(%s, %q) keeps the password %q in %q", key, dsn, password, where)
			}
		}
		// A bare secret under a secret name yields nothing at all.
		if got := FromEnv("env.DB_PASSWORD", "DB_PASSWORD", password); len(got) != 0 && !strings.Contains(password, "://") {
			t.Fatalf("FromEnv(DB_PASSWORD, %q) = %v, want nothing", password, got)
		}
	})
}

// FuzzSafePathKeepsPasswordOut: a URL path carrying userinfo or a key=value credential keeps
// neither.
func FuzzSafePathKeepsPasswordOut(f *testing.F) {
	f.Add("hunter2-s3cret")
	f.Add("a/b")
	f.Fuzz(func(t *testing.T, password string) {
		if !usable("", password) || strings.ContainsAny(password, "?#") {
			return
		}
		paths := []string{"/v1/hooks/key=" + password, "/v1/hooks/token=" + password + "/run"}
		if !strings.Contains(password, "/") {
			// A raw "/" in a path's userinfo cannot be told from the path's own.
			paths = append(paths, "/v1/login/user:"+password+"@host/x")
		}
		for _, p := range paths {
			got := SafePath(p)
			if strings.Contains(got, password) && !strings.Contains(strings.ReplaceAll(p, password, "x"), password) {
				t.Fatalf("SafePath(%q) = %q keeps %q", p, got, password)
			}
		}
	})
}
