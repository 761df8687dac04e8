package docker

import (
	"reflect"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

func TestParseDependsOn(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []dependency
	}{
		{"", nil},
		{"db:service_healthy:false", []dependency{{"db", "service_healthy", false}}},
		// Compose ≥ 2.17 writes several, comma separated, with the restart flag.
		{"redis:service_started:true,db:service_healthy:false", []dependency{{"db", "service_healthy", false}, {"redis", "service_started", true}}},
		// Earlier v2 releases: no restart flag; bare names mean service_started.
		{"db:service_completed_successfully", []dependency{{"db", "service_completed_successfully", false}}},
		{"db, cache", []dependency{{"cache", "service_started", false}, {"db", "service_started", false}}},
		{" db :: ,db:service_healthy:false,", []dependency{{"db", "service_started", false}}},
	} {
		if got := parseDependsOn(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseDependsOn(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestTraefikHosts(t *testing.T) {
	for _, tc := range []struct {
		rule string
		want []string
	}{
		{"Host(`erp.acme-coffee.com`)", []string{"erp.acme-coffee.com"}},
		// v2 accepts several hosts in one matcher; rules combine matchers.
		{"Host(`a.example.com`, `b.example.com`) && PathPrefix(`/api`)", []string{"a.example.com", "b.example.com"}},
		{"Host(`a.example.com`) || Host(\"c.example.com\")", []string{"a.example.com", "c.example.com"}},
		{"HostSNI(`db.example.com`)", []string{"db.example.com"}},
		{"HostRegexp(`{sub:[a-z]+}.example.com`)", nil},
		{"PathPrefix(`/x`)", nil},
		// v1 frontend rules.
		{"Host:old.example.com,older.example.com", []string{"old.example.com", "older.example.com"}},
	} {
		got := traefikHosts(tc.rule)
		if !reflect.DeepEqual(cleanDomains(got), cleanDomains(tc.want)) {
			t.Errorf("traefikHosts(%q) = %v, want %v", tc.rule, got, tc.want)
		}
	}
}

func TestProxyDomains(t *testing.T) {
	labels := map[string]string{
		"traefik.http.routers.web.rule":       "Host(`Shop.Example.com`) || Host(`www.shop.example.com`)",
		"traefik.tcp.routers.pg.rule":         "HostSNI(`*`)",
		"traefik.http.routers.web.middleware": "Host(`not-a-rule.example.com`)", // not a .rule key
		"traefik.frontend.rule":               "Host:legacy.example.com",
		"caddy":                               "http://caddy.example.com, caddy2.example.com:8443",
		"caddy_1":                             "*.wild.example.com",
		"caddy.reverse_proxy":                 "{{upstreams 80}}",
		"VIRTUAL_HOST":                        "label.example.com",
	}
	want := []string{"*.wild.example.com", "caddy.example.com", "caddy2.example.com", "label.example.com", "legacy.example.com", "shop.example.com", "www.shop.example.com"}
	if got := proxyDomainsFromLabels(labels); !reflect.DeepEqual(got, want) {
		t.Errorf("proxyDomainsFromLabels = %v, want %v", got, want)
	}
}

func TestEnvFacts(t *testing.T) {
	keys, attrs, domains := envFacts([]string{
		"DATABASE_URL=postgres://odoo:CANARY-pw@db.internal:5432/acme",
		"DB_HOST=db",
		"PGHOST=pg:5433",
		"REDIS_ADDR=cache:6379",
		"HOST=0.0.0.0",
		"LISTEN_HOST=localhost",
		"SECRET_HOST=CANARY-not-a-host", // a secret-named key never yields facts
		"DB_PASSWORD=db.example.com",    // even when the value looks like a host
		"GHOST_URL=https://blog.example.com",
		"WORKERS=4",
		"PORT_HOST=8080", // a number is not a host
		"VIRTUAL_HOST=a.example.com, b.example.com,~^c\\d+\\.example\\.com$",
		"LETSENCRYPT_HOST=a.example.com",
		"EMPTY=",
		"NOVALUE",
	})
	wantKeys := []string{"DATABASE_URL", "DB_HOST", "DB_PASSWORD", "EMPTY", "GHOST_URL", "HOST", "LETSENCRYPT_HOST", "LISTEN_HOST", "NOVALUE", "PGHOST", "PORT_HOST", "REDIS_ADDR", "SECRET_HOST", "VIRTUAL_HOST", "WORKERS"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("keys = %v", keys)
	}
	want := map[string]graph.Ref{
		"env.DATABASE_URL.": {Scheme: "postgres", Host: "db.internal", Port: 5432, Database: "acme", User: "odoo", URL: "postgres://db.internal:5432"},
		"env.DB_HOST.":      {Host: "db"}, "env.PGHOST.": {Host: "pg", Port: 5433},
		"env.REDIS_ADDR.": {Host: "cache", Port: 6379},
		"env.GHOST_URL.":  {Scheme: "https", Host: "blog.example.com", URL: "https://blog.example.com"},
	}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("attrs = %v\nwant    %v", attrs, want)
	}
	if !reflect.DeepEqual(domains, []string{"a.example.com", "b.example.com"}) {
		t.Errorf("domains = %v", domains)
	}
	for k, v := range attrs {
		if strings.Contains(k+" "+toString(v), "CANARY") {
			t.Errorf("secret leaked in %s=%v", k, v)
		}
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func TestLabelAttrs(t *testing.T) {
	got := labelAttrs(map[string]string{
		"traefik.enable":                             "true",
		"traefik.http.routers.x.rule":                "Host(`a.example.com`) || Host(`b.example.com`) || Host(`c.example.com`)",
		"traefik.http.middlewares.a.basicauth.users": "admin:$apr1$CANARY",
		"com.example.api-key":                        "CANARY",
		"com.example.build":                          "a8f5f167f44f4964e6c998dee827110c", // looks like a token
		"org.opencontainers.image.source":            "https://user:CANARY@github.com/acme/api",
		"com.example.hook":                           "https://hooks.example.com/u:CANARY-x@y?token=CANARY",
		"com.docker.compose.project":                 "erp",
	})
	want := map[string]any{
		"label.traefik.enable":                  "true",
		"label.traefik.http.routers.x.rule":     "Host(`a.example.com`) || Host(`b.example.com`) || Host(`c.example.com`)",
		"label.org.opencontainers.image.source": "https://github.com",
		"label.com.example.hook":                "https://hooks.example.com",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("labelAttrs = %v", got)
	}
}

func TestHostIdentity(t *testing.T) {
	for _, tc := range []struct{ host, want, endpoint string }{
		{"unix:///var/run/docker.sock", "", "unix:///var/run/docker.sock"},
		{"tcp://203.0.113.10:2376", "203.0.113.10", "tcp://203.0.113.10:2376"},
		{"ssh://deploy@Edge-1.Example.com", "edge-1.example.com", "ssh://deploy@Edge-1.Example.com"},
		{"ssh://deploy:CANARY@edge-1.example.com:2222", "edge-1.example.com", "ssh://deploy@edge-1.example.com:2222"},
		{"tcp://127.0.0.1:2375", "", "tcp://127.0.0.1:2375"},
	} {
		if got := hostOf(tc.host); got != tc.want {
			t.Errorf("hostOf(%q) = %q, want %q", tc.host, got, tc.want)
		}
		if got := endpoint(tc.host); got != tc.endpoint {
			t.Errorf("endpoint(%q) = %q, want %q", tc.host, got, tc.endpoint)
		}
	}
	a := engineAttrs(Config{Name: "erp-1", Host: "tcp://203.0.113.10:2376"}, snapshot{})
	if a["host"] != "203.0.113.10" || a["host_ip"] != "203.0.113.10" {
		t.Errorf("engine attrs %v", a)
	}
	a = engineAttrs(Config{Name: "edge", Host: "ssh://deploy@edge-1.example.com"}, snapshot{})
	if a["host"] != "edge-1.example.com" || a["host_ip"] != nil {
		t.Errorf("engine attrs %v", a)
	}
	a = engineAttrs(Config{Name: "erp-1", Host: "unix:///var/run/docker.sock", HostAddress: "203.0.113.10"}, snapshot{})
	if a["host"] != "203.0.113.10" || a["host_ip"] != "203.0.113.10" {
		t.Errorf("host_address ignored: %v", a)
	}
}

func TestImageRef(t *testing.T) {
	for in, want := range map[string]string{
		"nginx:1.27@sha256:abc":      "nginx:1.27",
		"nginx":                      "nginx:latest",
		"registry:5000/team/app":     "registry:5000/team/app:latest",
		"registry:5000/team/app:1.0": "registry:5000/team/app:1.0",
		"":                           "",
	} {
		if got := imageRef(in); got != want {
			t.Errorf("imageRef(%q) = %q, want %q", in, got, want)
		}
	}
}
