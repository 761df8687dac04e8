// Package evidence turns secret-bearing values (connection strings, URLs, env-var values, code)
// into the non-secret facts inference needs: scheme, host, port, database, user, a safe path.
// It is the one place that parses DSNs: every collector and the LLM stage use it, so no secret
// handling is written twice. Raw values are read in memory and never returned.
package evidence

import (
	"math"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"github.com/infragraph/infragraph/graph"
)

// Facts are the non-secret parts of a URL or connection string.
type Facts struct {
	Scheme   string
	Host     string // normalised: lower case, no trailing dot, IDNA A-label, no port
	Port     int
	Database string
	User     string // only when it does not look like a secret
	Path     string // URL path with secret-looking segments replaced by "…"; no query
}

// Empty reports whether nothing was extracted.
func (f Facts) Empty() bool { return f.Host == "" }

// URL renders the facts as scheme://host[:port]/path: no userinfo, no query, no fragment.
func (f Facts) URL() string {
	if f.Host == "" {
		return ""
	}
	var b strings.Builder
	if f.Scheme != "" {
		b.WriteString(f.Scheme + "://")
	}
	b.WriteString(f.Host)
	if f.Port != 0 {
		b.WriteString(":" + strconv.Itoa(f.Port))
	}
	if f.Path != "" && f.Path != "/" {
		b.WriteString(f.Path)
	}
	return b.String()
}

// Ref returns the facts as the typed reference a collector records on a node (graph.Ref): the
// graph writes it as the attributes Attrs gives, and the rules read it as it is.
func (f Facts) Ref() graph.Ref {
	if f.Host == "" {
		return graph.Ref{}
	}
	return graph.Ref{Scheme: f.Scheme, Host: f.Host, Port: int64(f.Port), Database: f.Database, User: f.User, Path: f.Path, URL: f.URL()}
}

var (
	keywordDSN = regexp.MustCompile(`(?i)^\s*(host|hostaddr|port|dbname|user|password|sslmode|server|database|uid|pwd)\s*=`)
	kvPair     = regexp.MustCompile(`(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s;]+)`)
	mysqlDSN   = regexp.MustCompile(`^(?:([^:@/]*)(?::[^@]*)?@)?(tcp|unix)\(([^)]*)\)/([^?]*)`)
	hostPort   = regexp.MustCompile(`^([a-zA-Z0-9.-]+\.[a-zA-Z]{2,}|\d{1,3}(?:\.\d{1,3}){3}|localhost)(?::(\d{1,5}))?$`)
)

// Parse extracts facts from a value that may be a URL ("postgres://u:p@h:5432/db"), a Postgres
// keyword DSN ("host=h port=5432 dbname=db user=u password=p"), an ADO-style string
// ("Server=h;Database=db;User Id=u;Password=p"), a MySQL DSN ("u:p@tcp(h:3306)/db") or a bare
// host[:port]. ok is false when nothing host-like is found.
//
// Only a well-formed scheme, host (a DNS name or an IP) and numeric port produce facts: a value
// that merely contains "://" (a JSON credential file, "Bearer <token> https://…", a PEM block
// beside a URL) or whose host or port holds anything else ("sqlserver://h;password=…:1")
// produces none, because whatever a malformed value puts in those places may be its secret.
// A database, user or path that is not well-formed is dropped.
func Parse(value string) (Facts, bool) {
	f, ok := parse(strings.TrimSpace(value))
	if !ok {
		return Facts{}, false
	}
	return f.clean()
}

func parse(v string) (Facts, bool) {
	if v == "" || len(v) > 4096 {
		return Facts{}, false
	}
	if strings.Contains(v, "://") {
		return parseURL(v)
	}
	if m := mysqlDSN.FindStringSubmatch(v); m != nil {
		f := Facts{Scheme: "mysql", User: safeUser(m[1]), Database: m[4]}
		h, p, ok := splitHostPort(m[3])
		f.Host, f.Port = NormalizeHost(h), p
		return f, ok && f.Host != ""
	}
	if keywordDSN.MatchString(v) {
		return parseKeywords(v)
	}
	if m := hostPort.FindStringSubmatch(v); m != nil {
		f := Facts{Host: NormalizeHost(m[1])}
		if m[2] != "" {
			f.Port, _ = strconv.Atoi(m[2])
		}
		return f, f.Host != ""
	}
	return Facts{}, false
}

var (
	schemeRE   = regexp.MustCompile(`^[a-z][a-z0-9+.-]{0,31}$`)
	hostRE     = regexp.MustCompile(`^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$`)
	databaseRE = regexp.MustCompile(`^[A-Za-z0-9_.$-]{1,63}$`)
	userRE     = regexp.MustCompile(`^[A-Za-z0-9_.@+-]{1,64}$`)
	// notInURL are characters RFC 3986 does not allow anywhere in a URL: a value holding one is
	// text around a URL (a header, JSON, a sentence), not a URL.
	notInURL = "\"<>\\^`{}| \t\r\n\v\f"
)

// clean applies Parse's rule: a malformed scheme, host or port rejects the facts, a malformed
// database, user or path is dropped.
func (f Facts) clean() (Facts, bool) {
	if f.Scheme != "" && !schemeRE.MatchString(f.Scheme) {
		return Facts{}, false
	}
	if !ValidHost(f.Host) || f.Port < 0 || f.Port > 65535 {
		return Facts{}, false
	}
	if f.Database != "" && !databaseRE.MatchString(f.Database) {
		f.Database = ""
	}
	if f.User != "" && !userRE.MatchString(f.User) {
		f.User = ""
	}
	if strings.ContainsAny(f.Path, notInURL) || hasControl(f.Path) {
		f.Path = ""
	}
	return f, true
}

// ValidHost reports whether h, as NormalizeHost returns it, is an IP address or a DNS name
// (letters, digits, "-" and "_" in labels of at most 63 characters, 253 in all).
func ValidHost(h string) bool {
	if h == "" {
		return false
	}
	if IsIP(h) {
		return true
	}
	return len(h) <= 253 && hostRE.MatchString(h)
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

func parseURL(v string) (Facts, bool) {
	// JDBC wraps a URL in "jdbc:"; anything else before the scheme makes it no URL.
	if len(v) > 5 && strings.EqualFold(v[:5], "jdbc:") {
		v = v[5:]
	}
	scheme := strings.ToLower(v[:strings.Index(v, "://")])
	if !schemeRE.MatchString(scheme) || strings.ContainsAny(v, notInURL) || hasControl(v) {
		return Facts{}, false
	}
	v, user := splitUserinfo(v)
	// SQL Server URLs (and JDBC's) end their authority at ";" ("sqlserver://h:1433;password=a@b"):
	// url.Parse would read what precedes a later "@" as userinfo and the rest as the host. In
	// other URLs a ";" may be part of an unencoded password ("postgres://u:p;w@h").
	if semicolonScheme(scheme) {
		rest := v[len(scheme)+3:]
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			rest = rest[:end]
		}
		if semi := strings.IndexByte(rest, ';'); semi >= 0 {
			v = scheme + "://" + rest[:semi]
		}
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		// Postgres URLs may list several hosts ("h1:5432,h2:5432"); take the first.
		rest := v[len(scheme)+3:]
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			rest = rest[:end]
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		first := strings.Split(rest, ",")[0]
		h, p, ok := splitHostPort(first)
		if !ok || h == "" {
			return Facts{}, false
		}
		return Facts{Scheme: scheme, Host: NormalizeHost(h), Port: p}, true
	}
	f := Facts{Scheme: scheme}
	host := u.Host
	if i := strings.Index(host, ","); i >= 0 {
		host = host[:i]
	}
	h, p, ok := splitHostPort(host)
	if !ok {
		return Facts{}, false
	}
	f.Host, f.Port = NormalizeHost(h), p
	// Outside database URLs, a user without a password is a token ("https://<token>@github.com").
	_, hasPass := u.User.Password()
	switch {
	case u.User != nil && (hasPass || isDBScheme(scheme)):
		f.User = safeUser(u.User.Username())
	case u.User == nil && user != "":
		f.User = safeUser(user)
	}
	if isDBScheme(f.Scheme) {
		f.Database = strings.TrimPrefix(u.Path, "/")
		if looksSecret(f.Database) {
			f.Database = ""
		}
		if f.User == "" {
			f.User = safeUser(u.Query().Get("user"))
		}
	} else {
		f.Path = SafePath(u.Path)
	}
	return f, f.Host != ""
}

// splitUserinfo takes the userinfo off a URL whose password holds a character that ends the
// authority for url.Parse ("/", "?" or "#": pasted passwords are often not percent-encoded).
// url.Parse would then read a piece of the password as the host, port, path or fragment
// ("postgres://app:p@ss#w@db/x" has host "ss"). A connection string has no "@" after its host,
// so there the userinfo ends at the last "@"; so it does in any URL whose authority (up to that
// character) has a ":" — a password's — while "https://unpkg.com/@scope/pkg" keeps its path.
// It returns the URL without userinfo and the user name.
func splitUserinfo(v string) (string, string) {
	i := strings.Index(v, "://")
	scheme, rest := v[:i], v[i+3:]
	at := strings.LastIndex(rest, "@")
	end := strings.IndexAny(rest, "/?#")
	if at < 0 || end < 0 || end > at || (semicolonScheme(strings.ToLower(scheme)) && strings.Contains(rest[:at], ";")) {
		// With a ";" before it, a SQL Server URL's "@" is a property's ("sqlserver://h;password=#@x").
		return v, ""
	}
	if !isDBScheme(strings.ToLower(scheme)) && !hasPassword(rest[:end]) {
		return v, ""
	}
	user := rest[:at]
	if j := strings.Index(user, ":"); j >= 0 {
		user = user[:j]
	}
	if strings.ContainsAny(user, "/?#") {
		user = ""
	}
	if un, err := url.PathUnescape(user); err == nil {
		user = un
	}
	return scheme + "://" + rest[at+1:], user
}

// hasPassword reports whether an authority's text ends in ":" and something other than a port:
// "user:pa" does, "api.example.com:8443" ("https://api.example.com:8443/users/@me") does not.
func hasPassword(auth string) bool {
	i := strings.LastIndex(auth, ":")
	if i < 0 {
		return false
	}
	_, err := strconv.Atoi(auth[i+1:])
	return err != nil
}

// semicolonScheme reports whether a URL scheme ends its authority at ";" (SQL Server's).
func semicolonScheme(s string) bool { return s == "sqlserver" || s == "mssql" }

func isDBScheme(s string) bool {
	switch s {
	case "postgres", "postgresql", "mysql", "mariadb", "redis", "rediss", "mongodb", "mongodb+srv", "amqp", "amqps", "sqlserver", "mssql", "clickhouse", "cockroachdb", "memcached":
		return true
	}
	return false
}

func parseKeywords(v string) (Facts, bool) {
	f := Facts{}
	for _, m := range kvPair.FindAllStringSubmatch(strings.ReplaceAll(v, ";", " "), -1) {
		val := strings.Trim(m[2], "'")
		if strings.Contains(val, "=") {
			// "user= password=x": an empty value lets the next pair pose as this one's value.
			continue
		}
		switch strings.ToLower(m[1]) {
		case "host", "server", "hostaddr", "data_source", "address":
			if f.Host == "" {
				h, p, ok := splitHostPort(strings.Split(strings.TrimPrefix(val, "tcp:"), ",")[0])
				if !ok {
					return Facts{}, false
				}
				f.Host = NormalizeHost(h)
				if p != 0 {
					f.Port = p
				}
			}
		case "port":
			n, err := strconv.Atoi(val)
			if err != nil {
				return Facts{}, false
			}
			f.Port = n
		case "dbname", "database":
			f.Database = val
		case "user", "uid", "username":
			f.User = safeUser(val)
		}
	}
	// "User Id=x" splits as "Id=x"; good enough: keep the scheme-less facts we found.
	if f.Host == "" {
		return Facts{}, false
	}
	if strings.Contains(strings.ToLower(v), "dbname") {
		f.Scheme = "postgres"
	}
	return f, true
}

// splitHostPort splits "host:port"; ok is false when the port is not a number in 1..65535.
func splitHostPort(s string) (string, int, bool) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		if p == "" {
			return h, 0, true
		}
		n, err := strconv.Atoi(p)
		return h, n, err == nil && n > 0 && n <= 65535
	}
	return strings.Trim(s, "[]"), 0, true
}

// NormalizeHost lower-cases a hostname, strips a trailing dot, a port and brackets, and converts
// it to its IDNA ASCII form. IPs are returned in canonical form.
func NormalizeHost(h string) string {
	h = strings.TrimSpace(h)
	if h == "" {
		return ""
	}
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if a, err := idna.Lookup.ToASCII(h); err == nil {
		h = a
	}
	return h
}

// IsIP reports whether s is an IP address.
func IsIP(s string) bool { return net.ParseIP(s) != nil }

var urlLiteral = regexp.MustCompile(`(?i)\b(https?|wss?|postgres(?:ql)?|mysql|redis|rediss|amqps?|mongodb(?:\+srv)?)://[^\s'"<>()\[\]{},;\\]+`)

// URLsIn finds URL literals in text (function bodies, cron commands, server-action code) and
// returns their facts, de-duplicated and sorted by URL. The text itself is never kept.
func URLsIn(text string) []Facts {
	seen := map[string]Facts{}
	for _, m := range urlLiteral.FindAllString(text, -1) {
		m = strings.TrimRight(m, ".:")
		if f, ok := Parse(m); ok {
			seen[f.URL()] = f
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Facts, 0, len(keys))
	for _, k := range keys {
		out = append(out, seen[k])
	}
	return out
}

// Hosts returns the distinct hosts of facts, sorted.
func Hosts(fs []Facts) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if f.Host != "" && !seen[f.Host] {
			seen[f.Host] = true
			out = append(out, f.Host)
		}
	}
	sort.Strings(out)
	return out
}

// SafePath keeps a URL path's shape but replaces secret-looking segments (long random tokens,
// webhook ids, JWTs) with "…". It drops the query string.
func SafePath(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "" || p == "/" {
		return ""
	}
	segs := strings.Split(p, "/")
	assigned := false
	for i, s := range segs {
		// Credentials hide in path segments as tokens, and as "user:pass@host" or "key=value".
		// After a "key=value" segment every segment goes: the value may go on past a "/"
		// (base64 tokens hold slashes).
		if s != "" && (assigned || looksSecret(s) || strings.ContainsAny(s, ":@=;,")) {
			segs[i] = "…"
		}
		if strings.Contains(s, "=") {
			assigned = true
		}
	}
	return strings.Join(segs, "/")
}

func safeUser(u string) string {
	if u == "" || looksSecret(u) {
		return ""
	}
	return u
}

var secretPrefixes = []string{"ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "sk-", "sk_", "pk_live", "rk_live", "xox", "sbp_", "sb_secret_", "dop_v1_", "doo_v1_", "dor_v1_", "vck_", "eyj", "akia", "aiza"}

// looksSecret reports whether a short value (a user name, a path segment) looks like a token:
// a known prefix, or long and random.
func looksSecret(s string) bool {
	l := strings.ToLower(s)
	for _, p := range secretPrefixes {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	if len(s) >= 32 {
		return true
	}
	if len(s) >= 16 && hasLetterAndDigit(s) && entropy(s) >= 3.0 {
		return true
	}
	// Letters only, but both cases and long: a webhook token ("/services/T0/B0/<token>"),
	// not a word.
	if len(s) >= 20 && hasUpperAndLower(s) && entropy(s) >= 3.0 {
		return true
	}
	return false
}

func hasUpperAndLower(s string) bool {
	return strings.ToLower(s) != s && strings.ToUpper(s) != s
}

// LooksSecret is looksSecret for other packages: true for values that must not be kept.
func LooksSecret(s string) bool { return looksSecret(s) }

func hasLetterAndDigit(s string) bool {
	var l, d bool
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			l = true
		}
	}
	return l && d
}

func entropy(s string) float64 {
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	var h float64
	n := float64(len([]rune(s)))
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

var secretKey = regexp.MustCompile(`(?i)(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|auth|cookie|session|signature|salt|jwt|bearer|access[-_]?key)`)

// SecretKey reports whether a key name (an env var, a config key, a header) says its value is a
// secret. Such values are never parsed for evidence, only their names kept.
func SecretKey(name string) bool { return secretKey.MatchString(name) }

// RefFromEnv extracts evidence from one environment variable: the facts of its value as the
// typed reference a collector records on a node (Attrs{"value.": ref}); ok is false when there
// are none. The key is always kept by the caller; the value only yields facts when it parses as a
// URL or DSN, and never when the key names a secret (a password that happens to look like a
// host).
func RefFromEnv(key, value string) (graph.Ref, bool) {
	if SecretKey(key) && !strings.Contains(value, "://") {
		return graph.Ref{}, false
	}
	f, ok := Parse(value)
	if !ok {
		return graph.Ref{}, false
	}
	return f.Ref(), true
}

// EnvRef is RefFromEnv as the attributes a collector adds to a node: {prefix+".": ref}, which the
// graph writes as prefix.scheme, prefix.host, prefix.port, ... (graph.Ref). Empty without facts.
func EnvRef(prefix, key, value string) graph.Attrs {
	if r, ok := RefFromEnv(key, value); ok {
		return graph.Attrs{prefix + ".": r}
	}
	return graph.Attrs{}
}
