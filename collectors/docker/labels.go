package docker

import (
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

// Compose writes these labels on every container it creates (compose-spec, docker/compose
// pkg/api/labels.go); they are how a Compose project exists at all on an engine.
const (
	labelProject     = "com.docker.compose.project"
	labelService     = "com.docker.compose.service"
	labelOneoff      = "com.docker.compose.oneoff"
	labelNumber      = "com.docker.compose.container-number"
	labelWorkingDir  = "com.docker.compose.project.working_dir"
	labelConfigFiles = "com.docker.compose.project.config_files"
	labelDependsOn   = "com.docker.compose.depends_on"
	labelNetwork     = "com.docker.compose.network"
	labelVolume      = "com.docker.compose.volume"
	labelStack       = "com.docker.stack.namespace"
)

// dependency is one entry of com.docker.compose.depends_on.
type dependency struct {
	Service   string
	Condition string // service_started, service_healthy, service_completed_successfully
	Restart   bool
}

// parseDependsOn reads com.docker.compose.depends_on: "svc:condition:restart" entries separated
// by commas (Compose ≥ 2.17), "svc:condition" (earlier v2 releases) or bare service names.
func parseDependsOn(v string) []dependency {
	var out []dependency
	seen := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		parts := strings.Split(strings.TrimSpace(item), ":")
		svc := strings.TrimSpace(parts[0])
		if svc == "" || seen[svc] {
			continue
		}
		seen[svc] = true
		d := dependency{Service: svc, Condition: "service_started"}
		if len(parts) > 1 && strings.TrimSpace(parts[1]) != "" {
			d.Condition = strings.TrimSpace(parts[1])
		}
		if len(parts) > 2 {
			d.Restart, _ = strconv.ParseBool(strings.TrimSpace(parts[2]))
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}

var (
	// Traefik v2/v3 rules: Host(`a`, `b`) and HostSNI(`a`) for TCP routers; quotes may be
	// backticks or double quotes.
	traefikHostCall = regexp.MustCompile("(?i)\\bHost(?:SNI)?\\s*\\(([^)]*)\\)")
	traefikArg      = regexp.MustCompile("[`\"']([^`\"']+)[`\"']")
	// Traefik v1: traefik.frontend.rule=Host:a.example.com,b.example.com
	traefikV1Host = regexp.MustCompile(`(?i)\bHost:\s*([^;]+)`)
	caddyKey      = regexp.MustCompile(`^caddy(_\d+)?$`)
	domainLike    = regexp.MustCompile(`^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
)

// traefikHosts returns the host names a traefik router rule matches.
func traefikHosts(rule string) []string {
	var out []string
	for _, m := range traefikHostCall.FindAllStringSubmatch(rule, -1) {
		for _, a := range traefikArg.FindAllStringSubmatch(m[1], -1) {
			out = append(out, a[1])
		}
	}
	for _, m := range traefikV1Host.FindAllStringSubmatch(rule, -1) {
		out = append(out, strings.Split(m[1], ",")...)
	}
	return out
}

// hostList splits a VIRTUAL_HOST-style list ("a.example.com, b.example.com") or a caddy site
// address list ("http://a.example.com b.example.com:8080").
func hostList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if i := strings.Index(f, "://"); i >= 0 {
			f = f[i+3:]
		}
		if i := strings.IndexAny(f, "/"); i >= 0 {
			f = f[:i]
		}
		out = append(out, f)
	}
	return out
}

// proxyEnvKeys are nginx-proxy / acme-companion variables that name the domains a container
// serves (nginx-proxy/nginx-proxy docs: VIRTUAL_HOST, VIRTUAL_HOST_ALIAS; LETSENCRYPT_HOST).
var proxyEnvKeys = map[string]bool{"VIRTUAL_HOST": true, "VIRTUAL_HOST_ALIAS": true, "LETSENCRYPT_HOST": true}

// proxyDomainsFromLabels finds the domains reverse-proxy labels route to this container:
// traefik router rules, caddy-docker-proxy site addresses, and VIRTUAL_HOST set as a label.
func proxyDomainsFromLabels(labels map[string]string) []string {
	var out []string
	for k, v := range labels {
		switch {
		case strings.HasPrefix(k, "traefik.") && (strings.HasSuffix(k, ".rule") || k == "traefik.frontend.rule"):
			out = append(out, traefikHosts(v)...)
		case caddyKey.MatchString(k):
			out = append(out, hostList(v)...)
		case proxyEnvKeys[strings.ToUpper(k)]:
			out = append(out, hostList(v)...)
		}
	}
	return cleanDomains(out)
}

// cleanDomains keeps plain (or wildcard) domain names, normalised, sorted and unique: regex hosts
// (nginx-proxy "~^…"), ports and placeholders are dropped.
func cleanDomains(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range in {
		d = strings.TrimSpace(d)
		if h, _, err := net.SplitHostPort(d); err == nil {
			d = h
		}
		wild := strings.HasPrefix(d, "*.")
		d = evidence.NormalizeHost(strings.TrimPrefix(d, "*."))
		if wild {
			d = "*." + d
		}
		if d == "" || !domainLike.MatchString(d) || seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// envFacts reads a container's environment. Values are secrets: only the names are kept, plus the
// references evidence.RefFromEnv derives from URL/DSN/host:port values, plus bare host names
// ("db") in variables whose name says they hold a host (DB_HOST, REDIS_HOST, SMTP_SERVER), each
// recorded by its attribute prefix ("env.DATABASE_URL."). Proxy variables (VIRTUAL_HOST) become
// domains the container serves, not references it makes.
func envFacts(env []string) (keys []string, refs map[string]graph.Ref, domains []string) {
	refs = map[string]graph.Ref{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		keys = append(keys, k)
		if proxyEnvKeys[k] {
			domains = append(domains, hostList(v)...)
			continue
		}
		r, ok := evidence.RefFromEnv(k, v)
		if !ok && hostKey(k) && !evidence.SecretKey(k) {
			r = bareHost(v)
		}
		if r.Host == "" || localHost(r.Host) {
			continue
		}
		refs["env."+k+"."] = r
	}
	sort.Strings(keys)
	return keys, refs, cleanDomains(domains)
}

var (
	hostKeyName = regexp.MustCompile(`(?i)((^|_)(HOST|SERVER|ADDR|ADDRESS)|^PGHOST)$`)
	bareHostVal = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$`)
)

// hostKey reports whether an env-var name says its value is a host: HOST, DB_HOST, PGHOST,
// SMTP_SERVER, REDIS_ADDR. Only a whole "_HOST" word counts (GHOST_URL is not a host key).
func hostKey(k string) bool { return hostKeyName.MatchString(k) && !proxyEnvKeys[strings.ToUpper(k)] }

// bareHost turns "db" or "db:5432" into a reference to host db (port 5432): the Compose service
// names other containers reach each other by. No URL: the value is no URL.
func bareHost(v string) graph.Ref {
	m := bareHostVal.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil || evidence.LooksSecret(m[1]) {
		return graph.Ref{}
	}
	if _, err := strconv.Atoi(m[1]); err == nil { // a number is not a host
		return graph.Ref{}
	}
	r := graph.Ref{Host: evidence.NormalizeHost(m[1])}
	if m[2] != "" {
		r.Port, _ = strconv.ParseInt(m[2], 10, 64)
	}
	return r
}

// localHost reports addresses that name the container itself or every interface: they are bind
// addresses, not references to anything.
func localHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// labelAttrs returns the labels worth keeping as label.<key> attributes: secret-named keys and
// secret-looking values are dropped, URL values keep only their non-secret form.
func labelAttrs(labels map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range labels {
		if strings.HasPrefix(k, "com.docker.compose.") {
			continue // mapped to compose.* attributes, projects and services
		}
		if evidence.SecretKey(k) {
			continue
		}
		if strings.Contains(v, "://") && !strings.ContainsAny(v, " `(") {
			// A label URL keeps scheme, host and port only: labels are free text, and a path
			// may carry a token SafePath cannot recognise.
			f, ok := evidence.Parse(v)
			if !ok {
				continue
			}
			f.Path, f.Database = "", ""
			v = f.URL()
		} else if evidence.LooksSecret(v) && !strings.ContainsAny(v, " `(") {
			continue // long random values are tokens, whatever the key says; rules have spaces
		}
		out["label."+k] = v
	}
	return out
}
