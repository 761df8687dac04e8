package supabase

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

const provider = "supabase"

func id(kind, native string) string { return graph.ID(provider, kind, native) }

func node(kind, native, name string, attrs graph.Attrs) graph.Node {
	return graph.Node{ID: id(kind, native), Kind: kind, Provider: provider, Name: name, Attrs: attrs}
}

// Host formats (supabase/cli internal/utils: api.go, connect.go): the API at <ref>.supabase.co,
// the direct database at db.<ref>.supabase.co, Supavisor poolers at *.pooler.supabase.com with
// the user postgres.<ref>.
var (
	projectHostRE = regexp.MustCompile(`^(?:db\.)?([a-z]{20})\.supabase\.(?:co|in)$`)
	poolerHostRE  = regexp.MustCompile(`\.pooler\.supabase\.com$`)
	poolerUserRE  = regexp.MustCompile(`^postgres\.([a-z]{20})$`)
)

func apiHost(ref string) string { return ref + ".supabase.co" }
func dbHost(ref string) string  { return "db." + ref + ".supabase.co" }

// refFromDSN finds the project a connection string belongs to: the direct host
// db.<ref>.supabase.co, or a pooler host with the user postgres.<ref>.
func refFromDSN(dsn evidence.Secret) (string, bool) {
	f, ok := evidence.Parse(dsn.Reveal())
	if !ok {
		return "", false
	}
	if m := projectHostRE.FindStringSubmatch(f.Host); m != nil {
		return m[1], true
	}
	if m := poolerUserRE.FindStringSubmatch(f.User); m != nil {
		return m[1], true
	}
	return "", false
}

// state is what one Collect call knows across its two halves.
type state struct {
	// emit is b: each node emitted once, edges only between nodes found.
	emit graph.Emitter
	b    *collectors.Builder
	// edgeFunctions found by the Management API, by node id.
	edgeFunctions map[string]bool
	// hostRef maps every host a project answers on (API host, custom hostname, vanity
	// subdomain) to its ref, for matching edge-function URLs.
	hostRef map[string]string
}

func newState(emit graph.Emitter) *state {
	b := collectors.NewBuilder(emit)
	return &state{emit: b, b: b, edgeFunctions: map[string]bool{}, hostRef: map[string]string{}}
}

func (s *state) contains(parent, child string) { s.emit.Edge(graph.Observe(parent, child, "contains")) }

// --- Management API --------------------------------------------------------------------------

func orgNative(o apiOrganization) string {
	if o.Slug != "" {
		return o.Slug
	}
	return o.ID
}

func (s *state) organization(o apiOrganization) {
	name := o.Name
	if name == "" {
		name = orgNative(o)
	}
	s.emit.Node(node("organization", orgNative(o), name, graph.Attrs{"slug": orgNative(o)}))
}

type projectExtras struct {
	custom apiCustomHostname
	vanity apiVanity
}

func (s *state) project(p apiProject, x projectExtras) {
	a := graph.Attrs{
		"ref":             p.Ref,
		"region":          p.Region,
		"status":          p.Status,
		"organization":    orgSlug(p),
		"db_host":         evidence.NormalizeHost(p.Database.Host),
		"db_version":      p.Database.Version,
		"postgres_engine": p.Database.PostgresEngine,
		"api_host":        apiHost(p.Ref),
		"api_url":         "https://" + apiHost(p.Ref),
	}
	if h := evidence.NormalizeHost(x.custom.CustomHostname); h != "" {
		a["custom_hostname"] = h
		a["custom_hostname_status"] = x.custom.Status
		s.hostRef[h] = p.Ref
	}
	if x.vanity.Status == "active" && x.vanity.CustomDomain != "" {
		h := evidence.NormalizeHost(x.vanity.CustomDomain)
		if !strings.Contains(h, ".") {
			h += ".supabase.co"
		}
		a["vanity_subdomain"] = h
		s.hostRef[h] = p.Ref
	}
	name := p.Name
	if name == "" {
		name = p.Ref
	}
	s.emit.Node(node("project", p.Ref, name, a))
	s.hostRef[apiHost(p.Ref)] = p.Ref
}

func orgSlug(p apiProject) string {
	if p.OrganizationSlug != "" {
		return p.OrganizationSlug
	}
	return p.OrganizationID
}

// bareProject is a project known only from a configured connection string.
func (s *state) bareProject(ref string) {
	if !s.b.Add(node("project", ref, ref, graph.Attrs{
		"ref": ref, "api_host": apiHost(ref), "api_url": "https://" + apiHost(ref), "db_host": dbHost(ref),
	})) {
		return
	}
	s.hostRef[apiHost(ref)] = ref
}

func (s *state) branches(ref string, bs []apiBranch) {
	for _, b := range bs {
		a := graph.Attrs{
			"ref": b.ProjectRef, "parent_ref": b.ParentProjectRef, "default": b.IsDefault,
			"git_branch": b.GitBranch, "persistent": b.Persistent, "status": b.Status,
		}
		if b.PRNumber != 0 {
			a["pr_number"] = b.PRNumber
		}
		if b.ProjectRef != "" {
			a["db_host"] = dbHost(b.ProjectRef)
			a["api_host"] = apiHost(b.ProjectRef)
		}
		n := node("branch", ref+"/"+b.Name, b.Name, a)
		s.emit.Node(n)
		s.contains(id("project", ref), n.ID)
	}
}

func (s *state) functions(ref string, fs []apiFunction) {
	for _, f := range fs {
		a := graph.Attrs{
			"slug": f.Slug, "status": f.Status, "version": f.Version,
			"url": "https://" + apiHost(ref) + "/functions/v1/" + f.Slug, "entrypoint_path": f.EntrypointPath,
		}
		if f.VerifyJWT != nil {
			a["verify_jwt"] = *f.VerifyJWT
		}
		name := f.Name
		if name == "" {
			name = f.Slug
		}
		n := node("edge_function", ref+"/"+f.Slug, name, a)
		s.emit.Node(n)
		s.edgeFunctions[n.ID] = true
		s.contains(id("project", ref), n.ID)
	}
}

func (s *state) secrets(ref string, ss []apiSecret) {
	for _, x := range ss {
		n := node("secret", ref+"/"+x.Name, x.Name, graph.Attrs{"store": "edge_functions"})
		s.emit.Node(n)
		s.contains(id("project", ref), n.ID)
	}
}

func (s *state) apiKeys(ref string, ks []apiKey) {
	for _, k := range ks {
		a := graph.Attrs{}
		if k.Type != nil {
			a["type"] = *k.Type
		}
		// Prefixes of new keys ("sb_publishable_…") are designed to be shown; anything that
		// looks like a key itself is dropped.
		if k.Prefix != nil && len(*k.Prefix) <= 24 {
			a["prefix"] = *k.Prefix
		}
		n := node("api_key", ref+"/"+k.Name, k.Name, a)
		s.emit.Node(n)
		s.contains(id("project", ref), n.ID)
	}
}

func (s *state) poolers(ref string, ps []apiPooler) {
	for _, p := range ps {
		native := ref + "/" + p.Identifier
		if p.Identifier == "" {
			native = ref + "/" + p.DatabaseType
		}
		a := graph.Attrs{
			"db_host": evidence.NormalizeHost(p.DBHost), "db_port": p.DBPort, "db_user": p.DBUser,
			"db_name": p.DBName, "pool_mode": p.PoolMode, "database_type": p.DatabaseType,
		}
		// Supavisor serves session mode on 5432 and transaction mode on 6543 on the same host.
		if poolerHostRE.MatchString(evidence.NormalizeHost(p.DBHost)) {
			a["ports"] = []string{"5432", "6543"}
		}
		n := node("pooler", native, "pooler "+p.DBHost, a)
		s.emit.Node(n)
		s.contains(id("project", ref), n.ID)
		s.emit.Edge(graph.Observe(n.ID, id("project", ref), "pool_of",
			graph.Evidence{Node: n.ID, Field: "db_user", Value: p.DBUser}))
	}
}

func (s *state) networkRestrictions(ref string, nr apiNetworkRestrictions) {
	cidrs := append(append([]string(nil), nr.Config.V4...), nr.Config.V6...)
	sort.Strings(cidrs)
	n := node("network_restriction", ref, "network restrictions", graph.Attrs{
		"allowed_cidrs": cidrs, "status": nr.Status, "entitlement": nr.Entitlement,
		"unrestricted": len(cidrs) == 0 || slices.Contains(cidrs, "0.0.0.0/0"),
	})
	s.emit.Node(n)
	s.contains(id("project", ref), n.ID)
}

func (s *state) bucket(ref, bucketID, name string, public bool) {
	if name == "" {
		name = bucketID
	}
	n := node("storage_bucket", ref+"/"+bucketID, name, graph.Attrs{"public": public})
	if !s.b.Add(n) { // the API and the catalog both list buckets
		return
	}
	s.contains(id("project", ref), n.ID)
}

// authConfig keeps hosts only: the site URL's, the redirect allow list's, the SMTP server and the
// HTTP hooks'. Every *_secret(s), smtp_pass and the like are never read out of the raw map.
func (s *state) authConfig(ref string, raw apiAuthConfig) {
	str := func(k string) string {
		var v string
		if b, ok := raw[k]; ok {
			_ = json.Unmarshal(b, &v)
		}
		return v
	}
	host := func(v string) string {
		if f, ok := evidence.Parse(v); ok {
			return f.Host
		}
		return ""
	}
	a := graph.Attrs{"site_url_host": host(str("site_url"))}
	var redirects []string
	for _, u := range strings.Split(str("uri_allow_list"), ",") {
		// Wildcards ("https://*.example.com/**") are made parseable; the wildcard label is dropped.
		h := strings.TrimPrefix(host(strings.ReplaceAll(strings.TrimSpace(u), "*", "x")), "x.")
		redirects = append(redirects, h)
	}
	a["redirect_hosts"] = dedupe(redirects)
	if h := evidence.NormalizeHost(str("smtp_host")); h != "" {
		a["smtp_host"] = h
		if p := str("smtp_port"); p != "" {
			a["smtp_port"] = p
		}
	}
	var hooks, hookFns []string
	for k := range raw {
		if !strings.HasPrefix(k, "hook_") || !strings.HasSuffix(k, "_uri") {
			continue
		}
		v := str(k)
		switch {
		case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
			if h := host(v); h != "" {
				hooks = append(hooks, h)
			}
		case strings.HasPrefix(v, "pg-functions://"):
			// pg-functions://postgres/<schema>/<function>: a database function, not a host.
			parts := strings.Split(strings.TrimPrefix(v, "pg-functions://"), "/")
			if len(parts) == 3 {
				hookFns = append(hookFns, parts[1]+"."+parts[2])
			}
		}
	}
	a["hook_hosts"] = dedupe(hooks)
	a["hook_functions"] = dedupe(hookFns)
	n := node("auth_config", ref, "auth config", a)
	s.emit.Node(n)
	s.contains(id("project", ref), n.ID)
}

// dedupe returns ss sorted, without duplicates or empty strings (nil when nothing is left).
func dedupe(ss []string) []string {
	out := slices.DeleteFunc(slices.Clone(ss), func(s string) bool { return s == "" })
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// --- database catalog ------------------------------------------------------------------------

// edgeFunctionTarget returns the edge_function node a URL calls, when the URL is
// https://<ref>.supabase.co/functions/v1/<slug> (or a custom domain of the project) and the
// Management API reported that function.
func (s *state) edgeFunctionTarget(f evidence.Facts) (string, bool) {
	ref, ok := s.hostRef[f.Host]
	if !ok {
		if m := projectHostRE.FindStringSubmatch(f.Host); m != nil {
			ref = m[1]
		} else {
			return "", false
		}
	}
	rest, ok := strings.CutPrefix(f.Path, "/functions/v1/")
	if !ok {
		return "", false
	}
	slug, _, _ := strings.Cut(rest, "/")
	target := id("edge_function", ref+"/"+slug)
	return target, slug != "" && s.edgeFunctions[target]
}

func (s *state) callsFromURLs(from, field string, urls []evidence.Facts) {
	for _, f := range urls {
		if to, ok := s.edgeFunctionTarget(f); ok {
			s.emit.Edge(graph.Observe(from, to, "calls", graph.Evidence{Node: from, Field: field, Value: f.URL()}))
		}
	}
}

func urlAttrs(a graph.Attrs, urls []evidence.Facts) {
	var us []string
	for _, f := range urls {
		us = append(us, f.URL())
	}
	a["urls"] = us
	a["url_hosts"] = evidence.Hosts(urls)
}

func (s *state) catalog(ref string, cat *catalog) {
	project := id("project", ref)
	scoped := func(kind, native string) string { return id(kind, ref+"/"+native) }

	realtime := map[string]bool{}
	for _, p := range cat.Publications {
		if p.Name == "supabase_realtime" {
			for _, t := range p.Tables {
				realtime[t] = true
			}
		}
	}

	for _, sc := range cat.Schemas {
		n := node("schema", ref+"/"+sc, sc, graph.Attrs{"managed": isManaged(sc)})
		s.emit.Node(n)
		s.contains(project, n.ID)
	}
	schemaSet := map[string]bool{}
	for _, sc := range cat.Schemas {
		schemaSet[sc] = true
	}

	rels := map[uint32]relation{}
	relID := map[uint32]string{}
	for _, r := range cat.Relations {
		if !schemaSet[r.Schema] {
			continue
		}
		kind := "table"
		a := graph.Attrs{"schema": r.Schema, "managed": isManaged(r.Schema)}
		switch r.Kind {
		case "v", "m":
			kind = "view"
			a["materialized"] = r.Kind == "m"
		case "f":
			a["foreign"] = true
		case "p":
			a["partitioned"] = true
		}
		if kind == "table" {
			a["rls"] = r.RLS
			a["force_rls"] = r.ForceRLS
			a["partition"] = r.Partition
			a["realtime"] = realtime[r.qualified()]
			if r.Rows >= 0 {
				a["estimated_rows"] = r.Rows
			}
		}
		n := node(kind, ref+"/"+r.qualified(), r.qualified(), a)
		s.emit.Node(n)
		s.contains(scoped("schema", r.Schema), n.ID)
		rels[r.OID], relID[r.OID] = r, n.ID
	}
	byName := map[string]string{}
	for oid, r := range rels {
		byName[r.qualified()] = relID[oid]
	}

	for _, fk := range cat.ForeignKeys {
		from, ok1 := relID[fk.From]
		to, ok2 := relID[fk.To]
		if !ok1 || !ok2 || from == to {
			continue
		}
		s.emit.Edge(graph.Observe(from, to, "references", graph.Evidence{
			Node: from, Field: "foreign_key", Value: fk.Name + " (" + strings.Join(fk.Columns, ", ") + ")"}))
	}
	for _, d := range cat.ViewDeps {
		v, ok1 := relID[d.View]
		dep, ok2 := relID[d.Dep]
		if !ok1 || !ok2 || rels[d.View].Kind == "r" {
			continue
		}
		s.emit.Edge(graph.Observe(v, dep, "reads_from", graph.Evidence{Node: v, Field: "pg_rewrite", Value: rels[d.Dep].qualified()}))
	}

	// Supabase's own functions are kept only when a (non-webhook) trigger runs them.
	triggered := map[uint32]bool{}
	for _, t := range cat.Triggers {
		if !t.Webhook {
			triggered[t.Function] = true
		}
	}
	fnID := map[uint32]string{}
	for _, f := range cat.Functions {
		if !schemaSet[f.Schema] || (isManaged(f.Schema) && !triggered[f.OID]) {
			continue
		}
		a := graph.Attrs{"schema": f.Schema, "language": f.Language, "security_definer": f.SecurityDefiner,
			"procedure": f.Kind == "p"}
		urlAttrs(a, f.URLs)
		var tables []string
		for _, oid := range f.Tables {
			if r, ok := rels[oid]; ok {
				tables = append(tables, r.qualified())
			}
		}
		a["tables"] = tables
		n := node("function", ref+"/"+f.signature(), f.signature(), a)
		s.emit.Node(n)
		s.contains(scoped("schema", f.Schema), n.ID)
		fnID[f.OID] = n.ID
		s.callsFromURLs(n.ID, "urls", f.URLs)
	}

	for _, t := range cat.Triggers {
		table, ok := relID[t.Table]
		if !ok {
			continue
		}
		native := rels[t.Table].qualified() + "." + t.Name
		a := graph.Attrs{"table": rels[t.Table].qualified(), "enabled": t.Enabled != "D"}
		timing, events, level := triggerType(t.Type)
		a["timing"], a["events"], a["level"] = timing, events, level
		if t.Webhook {
			a["method"] = t.WebhookMethod
			a["url"] = t.WebhookURL.URL()
			a["url_host"] = t.WebhookURL.Host
			n := node("db_webhook", ref+"/"+native, t.Name, a)
			s.emit.Node(n)
			s.contains(table, n.ID)
			s.emit.Edge(graph.Observe(n.ID, table, "applies_to"))
			if !t.WebhookURL.Empty() {
				s.callsFromURLs(n.ID, "url", []evidence.Facts{t.WebhookURL})
			}
			continue
		}
		fn, ok := fnID[t.Function]
		if ok {
			a["function"] = strings.TrimPrefix(fn, id("function", ref+"/"))
		}
		n := node("trigger", ref+"/"+native, t.Name, a)
		s.emit.Node(n)
		s.contains(table, n.ID)
		s.emit.Edge(graph.Observe(n.ID, table, "applies_to"))
		if ok {
			s.emit.Edge(graph.Observe(n.ID, fn, "executes"))
		}
	}

	for _, p := range cat.Policies {
		table, ok := relID[p.Table]
		if !ok {
			continue
		}
		n := node("policy", ref+"/"+rels[p.Table].qualified()+"."+p.Name, p.Name, graph.Attrs{
			"table": rels[p.Table].qualified(), "command": p.Command, "permissive": p.Permissive, "roles": p.Roles})
		s.emit.Node(n)
		s.contains(table, n.ID)
		s.emit.Edge(graph.Observe(n.ID, table, "applies_to"))
	}

	for _, e := range cat.Extensions {
		n := node("extension", ref+"/"+e.Name, e.Name, graph.Attrs{"version": e.Version, "schema": e.Schema})
		s.emit.Node(n)
		s.contains(project, n.ID)
	}

	for _, p := range cat.Publications {
		n := node("publication", ref+"/"+p.Name, p.Name, graph.Attrs{
			"all_tables": p.AllTables, "realtime": p.Name == "supabase_realtime", "tables": p.Tables})
		s.emit.Node(n)
		s.contains(project, n.ID)
		for _, t := range p.Tables {
			if to, ok := byName[t]; ok && strings.HasPrefix(to, id("table", "")) {
				s.emit.Edge(graph.Observe(n.ID, to, "publishes"))
			}
		}
	}

	for _, fs := range cat.Servers {
		n := node("foreign_server", ref+"/"+fs.Name, fs.Name, graph.Attrs{"wrapper": fs.Wrapper, "host": fs.Host})
		s.emit.Node(n)
		s.contains(project, n.ID)
	}

	for _, j := range cat.CronJobs {
		native := j.Name
		if native == "" {
			native = strconv.FormatInt(j.ID, 10)
		}
		a := graph.Attrs{"jobid": j.ID, "schedule": j.Schedule, "active": j.Active, "database": j.Database, "username": j.Username}
		urlAttrs(a, j.URLs)
		n := node("cron_job", ref+"/"+native, native, a)
		s.emit.Node(n)
		s.contains(project, n.ID)
		for _, oid := range j.Functions {
			if fn, ok := fnID[oid]; ok {
				s.emit.Edge(graph.Observe(n.ID, fn, "executes"))
			}
		}
		s.callsFromURLs(n.ID, "urls", j.URLs)
	}

	for _, b := range cat.Buckets {
		s.bucket(ref, b.ID, b.Name, b.Public)
	}
	for _, name := range cat.VaultSecrets {
		n := node("secret", ref+"/vault."+name, name, graph.Attrs{"store": "vault"})
		s.emit.Node(n)
		s.contains(project, n.ID)
	}
}

// triggerType decodes pg_trigger.tgtype (src/include/catalog/pg_trigger.h): bit 0 row, 1 before,
// 2 insert, 3 delete, 4 update, 5 truncate, 6 instead. pg_get_triggerdef is not used: it prints
// the trigger's arguments, which for webhooks hold headers.
func triggerType(t int16) (timing string, events []string, level string) {
	level = "STATEMENT"
	if t&1 != 0 {
		level = "ROW"
	}
	switch {
	case t&64 != 0:
		timing = "INSTEAD OF"
	case t&2 != 0:
		timing = "BEFORE"
	default:
		timing = "AFTER"
	}
	for bit, e := range map[int16]string{4: "INSERT", 8: "DELETE", 16: "UPDATE", 32: "TRUNCATE"} {
		if t&bit != 0 {
			events = append(events, e)
		}
	}
	sort.Strings(events)
	return timing, events, level
}

// projectErr prefixes a project's errors.
func projectErr(ref, what string, err error) error {
	return fmt.Errorf("project %s: %s: %w", ref, what, err)
}
