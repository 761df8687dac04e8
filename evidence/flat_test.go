package evidence

import (
	"reflect"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// The flat attribute form of facts (Facts.Attrs, FromEnv): what the graph writes for the
// reference a collector records (EnvRef, graph.Ref), as TestFlatFormIsWhatTheGraphWrites
// checks, so the leak tests here check what reaches graph.json.

// Attrs returns the facts as flat node attributes under prefix ("value" gives value.host,
// value.port, ...). Empty facts are left out. value.url is the URL() form.
func (f Facts) Attrs(prefix string) map[string]any {
	out := map[string]any{}
	if f.Host == "" {
		return out
	}
	p := prefix
	if p != "" {
		p += "."
	}
	put := func(k string, v any) {
		switch x := v.(type) {
		case string:
			if x == "" {
				return
			}
		case int:
			if x == 0 {
				return
			}
		}
		out[p+k] = v
	}
	put("scheme", f.Scheme)
	put("host", f.Host)
	put("port", f.Port)
	put("database", f.Database)
	put("user", f.User)
	put("path", f.Path)
	put("url", f.URL())
	return out
}

// FromEnv extracts evidence from one environment variable. The key is always kept; the value only
// yields facts when it parses as a URL or DSN, and never when the key names a secret (a password
// that happens to look like a host). Attributes are returned under prefix.
func FromEnv(prefix, key, value string) map[string]any {
	if _, ok := RefFromEnv(key, value); !ok {
		return map[string]any{}
	}
	f, _ := Parse(value)
	return f.Attrs(prefix)
}

func TestFlatFormIsWhatTheGraphWrites(t *testing.T) {
	for _, kv := range [][2]string{
		{"DATABASE_URL", "postgres://app:" + canary + "@db.example.com:5432/shop"},
		{"API", "https://user:" + canary + "@api.example.com/v1/x?token=" + canary},
		{"PG", "host=db.example.com port=6543 dbname=app user=postgres.abcdefghijklmnopqrst password=" + canary},
		{"REDIS", "redis://cache.internal:6379"},
		{"DB_PASSWORD", "db.example.com"},
		{"PLAIN", "hello"},
	} {
		n := graph.Node{Attrs: EnvRef("env."+kv[0], kv[0], kv[1])}
		n.Normalize()
		if want := graph.NormalizeAttrs(FromEnv("env."+kv[0], kv[0], kv[1])); !reflect.DeepEqual(n.Attrs, want) {
			t.Errorf("%s: the graph writes %v, the flat form is %v", kv[0], n.Attrs, want)
		}
	}
}
