package odoo

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

// ConfigParams are the only system parameters read (providers.md §3): the query itself is
// restricted to them, so database.secret and its kin are never requested.
var ConfigParams = []string{"web.base.url", "web.base.url.freeze", "database.uuid", "database.create_date", "mail.catchall.domain", "mail.default.from", "report.url"}

// SecretField reports whether a field name must never be requested: passwords, keys, tokens,
// certificates, webhook uuids and base.automation's url (it embeds the uuid). Code fields are
// read, but only scanned for URL hosts.
func SecretField(model, field string) bool {
	f := strings.ToLower(field)
	switch f {
	case "password", "smtp_pass", "webhook_uuid", "new_password", "api_key_ids", "totp_secret", "signup_token":
		return true
	}
	if model == "base.automation" && f == "url" {
		return true
	}
	for _, s := range []string{"secret", "_key", "key_", "token", "passw", "certificate", "credential", "private"} {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}

// pageSize bounds one search_read: large estates are read in pages.
const pageSize = 500

type record map[string]any

// dbScan reads one database. Its nodes and edges are kept until the database was read (acts_on
// edges and model attributes are rewritten once ir.model names the models) and then go into the
// collector's Builder, which emits each once and drops an edge whose end was not found.
type dbScan struct {
	c    *Collector
	db   string
	uid  int64
	ver  version
	emit graph.Emitter

	nodes       []graph.Node
	edges       []graph.Edge
	models      map[string]bool            // models present in this database
	fields      map[string]map[string]bool // fields_get per model
	modelNames  map[int64]string           // ir.model id -> technical name
	modelUsed   map[string]string          // model acted on -> its label
	actions     map[int64]bool             // server actions emitted
	pending     map[int64]record           // server actions emitted only if an automation runs them
	baseURLHost string
}

func (s *dbScan) id(kind, native string) string {
	return graph.ID("odoo", kind, s.c.host+"/"+s.db+"/"+native)
}

func (s *dbScan) dbID() string { return graph.ID("odoo", "database", s.c.host+"/"+s.db) }

func (s *dbScan) node(kind, native, name string, attrs graph.Attrs) string {
	id := s.id(kind, native)
	if name == "" {
		name = native
	}
	s.nodes = append(s.nodes, graph.Node{ID: id, Kind: kind, Provider: "odoo", Name: name, Attrs: attrs})
	s.edges = append(s.edges, graph.Observe(s.dbID(), id, "contains"))
	return id
}

// flush hands what the database held to b.
func (s *dbScan) flush(b *collectors.Builder) {
	for _, n := range s.nodes {
		b.Node(n)
	}
	for _, e := range s.edges {
		b.Edge(e)
	}
}

// rule is Odoo's reading of a family that could not be read (collectors.Families): always a
// warning, and an AccessError (a non-admin user) is expected and worded as such.
func (s *dbScan) rule(what string, err error) (collectors.Verdict, error) {
	if isKind(err, errAccess) {
		return collectors.Warn, fmt.Errorf("odoo: %s/%s: %s skipped: user %s may not read it (%w)", s.c.host, s.db, what, s.c.cfg.Username, err)
	}
	return collectors.Warn, fmt.Errorf("odoo: %s/%s: %s skipped: %w", s.c.host, s.db, what, err)
}

// candidateModels are the models the collector may read; ir.model says which exist here.
var candidateModels = []string{"ir.module.module", "ir.module.module.dependency", "ir.cron", "ir.config_parameter", "ir.mail_server",
	"fetchmail.server", "base.automation", "ir.actions.server", "res.company", "website", "payment.provider", "payment.acquirer"}

func (s *dbScan) run(ctx context.Context) error {
	s.fields = map[string]map[string]bool{}
	s.modelNames = map[int64]string{}
	s.modelUsed = map[string]string{}
	s.actions = map[int64]bool{}
	s.pending = map[int64]record{}
	s.nodes = append(s.nodes, graph.Node{ID: s.dbID(), Kind: "database", Provider: "odoo", Name: s.db, Attrs: graph.Attrs{"name": s.db}})
	s.edges = append(s.edges, graph.Observe(graph.ID("odoo", "instance", s.c.host), s.dbID(), "contains"))

	recs, err := s.searchRead(ctx, "ir.model", []any{[]any{"model", "in", anys(candidateModels)}}, []string{"model"})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("odoo: %s/%s: list models: %w", s.c.host, s.db, err)
	}
	s.models = map[string]bool{}
	for _, r := range recs {
		s.models[asString(r["model"])] = true
	}

	steps := []struct {
		what string
		fn   func(context.Context) error
	}{
		{"system parameters (ir.config_parameter)", s.configParams},
		{"modules (ir.module.module)", s.modules},
		{"scheduled actions (ir.cron)", s.crons},
		{"outgoing mail servers (ir.mail_server)", s.mailServers},
		{"incoming mail servers (fetchmail.server)", s.fetchmailServers},
		{"server actions (ir.actions.server)", s.serverActions},
		{"automation rules (base.automation)", s.automations},
		{"companies (res.company)", s.companies},
		{"websites (website)", s.websites},
		{"payment providers", s.paymentProviders},
	}
	families := collectors.Families{Emit: s.emit, Rule: s.rule}
	for _, st := range steps {
		if err := families.Check(ctx, st.what, st.fn(ctx)); err != nil {
			return err
		}
	}
	return families.Check(ctx, "model names (ir.model)", s.emitModels(ctx))
}

// fieldsOf probes a model's fields once (fields_get with attributes, so the answer stays small).
func (s *dbScan) fieldsOf(ctx context.Context, model string) (map[string]bool, error) {
	if f, ok := s.fields[model]; ok {
		return f, nil
	}
	v, err := s.c.tr.call(ctx, s.db, s.uid, model, "fields_get", map[string]any{"attributes": []any{"type", "relation"}})
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	f := make(map[string]bool, len(m))
	for k := range m {
		f[k] = true
	}
	s.fields[model] = f
	return f, nil
}

// read is search_read of the wanted fields that exist in this version, never a secret one.
func (s *dbScan) read(ctx context.Context, model string, domain []any, want ...string) ([]record, error) {
	have, err := s.fieldsOf(ctx, model)
	if err != nil {
		return nil, err
	}
	var fields []string
	for _, f := range want {
		if have[f] && !SecretField(model, f) {
			fields = append(fields, f)
		}
	}
	return s.searchRead(ctx, model, domainFor(have, domain), fields)
}

// domainFor keeps the leaves of an implicitly and-ed domain whose field the instance reports
// (fields_get): a leaf on a field the model lacks is a ValueError ("Invalid field") that fails the
// whole read. Dropping it is what it meant: `active in (true, false)` asks for archived records
// too, and a model without `active` has none (issue #20).
func domainFor(have map[string]bool, domain []any) []any {
	out := make([]any, 0, len(domain))
	for _, leaf := range domain {
		if l, ok := leaf.([]any); ok && len(l) == 3 {
			if f, _ := l[0].(string); f != "id" && !have[f] {
				continue
			}
		}
		out = append(out, leaf)
	}
	return out
}

// maxReadPages bounds one search_read walk: 2,000 pages of 500 are a million records of one
// model, far past any instance we map, and a server that ignores offset stops here at worst.
const maxReadPages = 2000

// searchRead pages through search_read ordered by id, always naming its fields. Ordered by id,
// every page starts above the last id of the one before: a page that does not (a server that
// ignores offset and answers the first page again) ends the walk with an error, as does a walk
// past maxReadPages.
func (s *dbScan) searchRead(ctx context.Context, model string, domain []any, fields []string) ([]record, error) {
	if len(fields) == 0 {
		fields = []string{"id"} // an empty list would mean "every field"
	}
	if domain == nil {
		domain = []any{}
	}
	var out []record
	lastID := int64(-1 << 62)
	for page, offset := 1, 0; ; page, offset = page+1, offset+pageSize {
		if page > maxReadPages {
			return nil, fmt.Errorf("%s search_read: more than %d pages of %d records, stopped", model, maxReadPages, pageSize)
		}
		v, err := s.c.tr.call(ctx, s.db, s.uid, model, "search_read", map[string]any{
			"domain": domain, "fields": anys(fields), "offset": offset, "limit": pageSize, "order": "id",
		})
		if err != nil {
			return nil, err
		}
		// search_read answers a list, [] when nothing matches. A missing or null result (a
		// JSON-RPC `{}` or `{"result": null}`) is not an empty model: taking it for one would
		// drop what the last scan found instead of carrying it forward (issue #26 item 10).
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s search_read: the answer is %s, not the list Odoo documents", model, describeAnswer(v))
		}
		for _, x := range l {
			if m, ok := x.(map[string]any); ok {
				id := asInt(m["id"])
				if id <= lastID {
					return nil, fmt.Errorf("%s search_read: page %d (offset %d) repeats records (id %d after %d): the server ignores offset, stopped", model, page, offset, id, lastID)
				}
				lastID = id
				out = append(out, record(m))
			}
		}
		if len(l) < pageSize {
			return out, nil
		}
	}
}

// describeAnswer names the type of an unexpected answer without quoting it.
func describeAnswer(v any) string {
	if v == nil {
		return "null or missing"
	}
	return fmt.Sprintf("a %T", v)
}

func anys[T any](in []T) []any {
	out := make([]any, len(in))
	for i, x := range in {
		out[i] = x
	}
	return out
}

func activeAny() []any { return []any{"active", "in", []any{true, false}} }

func (s *dbScan) configParams(ctx context.Context) error {
	recs, err := s.searchRead(ctx, "ir.config_parameter", []any{[]any{"key", "in", anys(ConfigParams)}}, []string{"key", "value"})
	if err != nil {
		return err
	}
	allowed := map[string]bool{}
	for _, k := range ConfigParams {
		allowed[k] = true
	}
	sort.Slice(recs, func(i, j int) bool { return asString(recs[i]["key"]) < asString(recs[j]["key"]) })
	for _, r := range recs {
		key, val := asString(r["key"]), asString(r["value"])
		if !allowed[key] { // a server that ignores the domain still gets nothing else through
			continue
		}
		attrs := graph.Attrs{"key": key}
		switch key {
		case "web.base.url", "report.url":
			if f, ok := evidence.Parse(val); ok {
				attrs["value"], attrs["value_host"] = f.URL(), f.Host
				if key == "web.base.url" {
					s.baseURLHost = f.Host
				}
			}
		case "mail.catchall.domain":
			if f, ok := evidence.Parse(val); ok {
				attrs["value"], attrs["value_host"] = f.Host, f.Host
			} else if !evidence.LooksSecret(val) {
				attrs["value"] = val
			}
		default:
			if !evidence.LooksSecret(val) || key == "database.uuid" {
				attrs["value"] = val
			}
		}
		if key == "database.uuid" {
			for i := range s.nodes {
				if s.nodes[i].ID == s.dbID() {
					s.nodes[i].Attrs["uuid"] = val
				}
			}
		}
		s.node("config_param", key, key, attrs)
	}
	return nil
}

func (s *dbScan) modules(ctx context.Context) error {
	recs, err := s.read(ctx, "ir.module.module", []any{[]any{"state", "in", []any{"installed", "to upgrade", "to remove"}}},
		"name", "shortdesc", "state", "latest_version", "installed_version", "author", "application", "license", "category_id")
	if err != nil {
		return err
	}
	installed := map[string]bool{}
	var modIDs []any
	byID := map[int64]string{}
	for _, r := range recs {
		name := asString(r["name"])
		if name == "" {
			continue
		}
		installed[name] = true
		id := asInt(r["id"])
		byID[id] = name
		modIDs = append(modIDs, id)
		attrs := graph.Attrs{"module": name, "state": asString(r["state"]), "author": asString(r["author"]), "application": asBool(r["application"]),
			"license": asString(r["license"]), "title": asString(r["shortdesc"])}
		if v := asString(r["latest_version"]); v != "" {
			attrs["version"] = v
		} else {
			attrs["version"] = asString(r["installed_version"])
		}
		if _, cat := m2o(r["category_id"]); cat != "" {
			attrs["category"] = cat
		}
		s.node("module", name, name, attrs)
	}
	if len(modIDs) == 0 || !s.models["ir.module.module.dependency"] {
		return nil
	}
	deps, err := s.read(ctx, "ir.module.module.dependency", []any{[]any{"module_id", "in", modIDs}}, "module_id", "name")
	if err != nil {
		return fmt.Errorf("dependencies: %w", err)
	}
	for _, d := range deps {
		mid, _ := m2o(d["module_id"])
		from, to := byID[mid], asString(d["name"])
		if from == "" || !installed[to] {
			continue
		}
		s.edges = append(s.edges, graph.Observe(s.id("module", from), s.id("module", to), "depends_on"))
	}
	return nil
}

// useModel notes a model acted on; its node is emitted at the end, named by ir.model.
func (s *dbScan) useModel(from string, v any) {
	id, label := m2o(v)
	if id == 0 {
		return
	}
	key := "#" + strconv.FormatInt(id, 10)
	if _, ok := s.modelUsed[key]; !ok {
		s.modelUsed[key] = label
	}
	s.edges = append(s.edges, graph.Observe(from, key, "acts_on"))
}

// emitModels resolves model ids to technical names and rewrites the acts_on edges to them.
func (s *dbScan) emitModels(ctx context.Context) error {
	if len(s.modelUsed) == 0 {
		return nil
	}
	var want []any
	for k := range s.modelUsed {
		n, _ := strconv.ParseInt(k[1:], 10, 64)
		want = append(want, n)
	}
	sort.Slice(want, func(i, j int) bool { return want[i].(int64) < want[j].(int64) })
	recs, err := s.searchRead(ctx, "ir.model", []any{[]any{"id", "in", want}}, []string{"model", "name"})
	if err != nil {
		s.dropPendingEdges()
		return err
	}
	names := map[string]string{}
	for _, r := range recs {
		model := asString(r["model"])
		key := "#" + strconv.FormatInt(asInt(r["id"]), 10)
		names[key] = model
		s.node("model", model, model, graph.Attrs{"model": model, "label": asString(r["name"])})
	}
	edges := s.edges[:0]
	for _, e := range s.edges {
		if strings.HasPrefix(e.To, "#") {
			model, ok := names[e.To]
			if !ok {
				continue
			}
			e.To = s.id("model", model)
			e.Evidence = []graph.Evidence{{Node: e.From, Field: "model", Value: model}}
		}
		edges = append(edges, e)
	}
	s.edges = edges
	// The nodes carry the technical model name too.
	for i := range s.nodes {
		if k, ok := s.nodes[i].Attrs["model"].(string); ok && strings.HasPrefix(k, "#") {
			if names[k] != "" {
				s.nodes[i].Attrs["model"] = names[k]
			} else {
				delete(s.nodes[i].Attrs, "model")
			}
		}
	}
	return nil
}

func (s *dbScan) dropPendingEdges() {
	edges := s.edges[:0]
	for _, e := range s.edges {
		if !strings.HasPrefix(e.To, "#") {
			edges = append(edges, e)
		}
	}
	s.edges = edges
	for i := range s.nodes {
		if k, ok := s.nodes[i].Attrs["model"].(string); ok && strings.HasPrefix(k, "#") {
			delete(s.nodes[i].Attrs, "model")
		}
	}
}

func modelRef(v any) string {
	id, _ := m2o(v)
	if id == 0 {
		return ""
	}
	return "#" + strconv.FormatInt(id, 10)
}

// codeHosts extracts the hosts of URL literals in code; the code itself is dropped.
func codeHosts(code any) []string {
	return evidence.Hosts(evidence.URLsIn(asString(code)))
}

func (s *dbScan) crons(ctx context.Context) error {
	if !s.models["ir.cron"] {
		return nil
	}
	recs, err := s.read(ctx, "ir.cron", []any{activeAny()},
		"cron_name", "name", "active", "interval_number", "interval_type", "priority", "numbercall", "doall",
		"failure_count", "model_id", "state", "code", "ir_actions_server_id", "webhook_url")
	if err != nil {
		return err
	}
	for _, r := range recs {
		name := asString(r["cron_name"])
		if name == "" {
			name = asString(r["name"])
		}
		attrs := graph.Attrs{"active": asBool(r["active"]), "interval_number": asInt(r["interval_number"]), "interval_type": asString(r["interval_type"]),
			"priority": asInt(r["priority"]), "action_state": asString(r["state"]), "code_hosts": codeHosts(r["code"]), "model": modelRef(r["model_id"])}
		if _, ok := r["numbercall"]; ok {
			attrs["numbercall"] = asInt(r["numbercall"])
		}
		if _, ok := r["doall"]; ok {
			attrs["doall"] = asBool(r["doall"])
		}
		if _, ok := r["failure_count"]; ok {
			attrs["failure_count"] = asInt(r["failure_count"])
		}
		// A cron is its server action (ir.cron _inherits ir.actions.server, whose usage is then
		// ir_cron): one that runs a webhook (state webhook, 17+) carries webhook_url. The cron
		// is where that action is mapped, so its URL is kept here (issue #20).
		webhookAttrs(attrs, r)
		id := s.node("cron", strconv.FormatInt(asInt(r["id"]), 10), name, attrs)
		s.useModel(id, r["model_id"])
	}
	return nil
}

func (s *dbScan) mailServers(ctx context.Context) error {
	if !s.models["ir.mail_server"] {
		return nil
	}
	recs, err := s.read(ctx, "ir.mail_server", []any{activeAny()},
		"name", "smtp_host", "smtp_port", "smtp_encryption", "smtp_authentication", "smtp_user", "from_filter", "active", "sequence")
	if err != nil {
		return err
	}
	for _, r := range recs {
		attrs := graph.Attrs{"smtp_host": evidence.NormalizeHost(asString(r["smtp_host"])), "smtp_port": asInt(r["smtp_port"]),
			"smtp_encryption": asString(r["smtp_encryption"]), "smtp_authentication": asString(r["smtp_authentication"]),
			"from_filter": asString(r["from_filter"]), "active": asBool(r["active"])}
		if u := asString(r["smtp_user"]); u != "" && !evidence.LooksSecret(u) {
			attrs["smtp_user"] = u
		}
		s.node("mail_server", strconv.FormatInt(asInt(r["id"]), 10), asString(r["name"]), attrs)
	}
	return nil
}

func (s *dbScan) fetchmailServers(ctx context.Context) error {
	if !s.models["fetchmail.server"] {
		return nil
	}
	recs, err := s.read(ctx, "fetchmail.server", []any{activeAny()},
		"name", "server", "port", "server_type", "is_ssl", "user", "state", "active", "object_id")
	if err != nil {
		return err
	}
	for _, r := range recs {
		attrs := graph.Attrs{"server": evidence.NormalizeHost(asString(r["server"])), "port": asInt(r["port"]), "server_type": asString(r["server_type"]),
			"is_ssl": asBool(r["is_ssl"]), "state": asString(r["state"]), "active": asBool(r["active"])}
		if u := asString(r["user"]); u != "" && !evidence.LooksSecret(u) {
			attrs["user"] = u
		}
		if _, label := m2o(r["object_id"]); label != "" {
			attrs["creates"] = label
		}
		s.node("fetchmail_server", strconv.FormatInt(asInt(r["id"]), 10), asString(r["name"]), attrs)
	}
	return nil
}

// serverActions emits the server actions that matter for the graph: webhooks (17+), code with
// URL literals, and those an automation runs (resolved in automations). A database holds hundreds
// of module-defined actions with nothing external; they are left out.
func (s *dbScan) serverActions(ctx context.Context) error {
	// usage ir_cron actions are the crons' own (ir.cron _inherits ir.actions.server): the cron
	// read maps them, webhook_url included. multi actions run child_ids (Odoo's
	// ir_actions.py, state 'multi'): followed below.
	recs, err := s.read(ctx, "ir.actions.server", []any{[]any{"usage", "!=", "ir_cron"}, []any{"state", "in", []any{"code", "webhook", "multi"}}},
		"name", "state", "usage", "model_id", "code", "webhook_url", "base_automation_id", "child_ids")
	if err != nil {
		return err
	}
	var multi []record
	external := map[int64]bool{} // actions that call out, directly or through their children
	for _, r := range recs {
		id := asInt(r["id"])
		hosts := codeHosts(r["code"])
		_, hook := r["webhook_url"].(string)
		if len(hosts) == 0 && !hook {
			s.pending[id] = r // emitted only if an automation (or a multi action) runs it
			if asString(r["state"]) == "multi" {
				multi = append(multi, r)
			}
			continue
		}
		external[id] = true
		s.emitAction(r)
	}
	// A multi action that runs (directly or through another multi) an action that calls out
	// is emitted with its links; repeated until nothing changes, for multis of multis.
	for changed := true; changed; {
		changed = false
		for _, r := range multi {
			id := asInt(r["id"])
			if external[id] {
				continue
			}
			for _, child := range ids(r["child_ids"]) {
				if external[child] {
					external[id], changed = true, true
					break
				}
			}
		}
	}
	for _, r := range multi {
		if external[asInt(r["id"])] {
			s.emitAction(r)
		}
	}
	return nil
}

func (s *dbScan) emitAction(r record) string {
	id := asInt(r["id"])
	nid := s.id("server_action", strconv.FormatInt(id, 10))
	if s.actions[id] {
		return nid
	}
	s.actions[id] = true
	attrs := graph.Attrs{"state": asString(r["state"]), "usage": asString(r["usage"]), "code_hosts": codeHosts(r["code"]), "model": modelRef(r["model_id"])}
	webhookAttrs(attrs, r)
	s.node("server_action", strconv.FormatInt(id, 10), asString(r["name"]), attrs)
	s.useModel(nid, r["model_id"])
	// A multi action runs its child actions (child_ids) in sequence: each is linked, and a
	// child without anything external of its own is emitted for the link.
	for _, child := range ids(r["child_ids"]) {
		s.executes(nid, child, "child_ids")
	}
	return nid
}

// executes links from to the server action act, emitting it if it was read but held back
// (nothing external of its own); an action that was not read (not readable, not code, webhook
// or multi) has nothing to link.
func (s *dbScan) executes(from string, act int64, field string) {
	var to string
	if s.actions[act] {
		to = s.id("server_action", strconv.FormatInt(act, 10))
	} else if pr, ok := s.pending[act]; ok {
		to = s.emitAction(pr)
	} else {
		return
	}
	s.edges = append(s.edges, graph.Observe(from, to, "executes", graph.Evidence{Node: from, Field: field, Value: strconv.FormatInt(act, 10)}))
}

// webhookAttrs keeps a webhook URL's host and path (the URL reduced by evidence.Parse: no
// userinfo, no query).
func webhookAttrs(attrs graph.Attrs, r record) {
	if u := asString(r["webhook_url"]); u != "" {
		if f, ok := evidence.Parse(u); ok {
			attrs["webhook_url"], attrs["webhook_host"] = f.URL(), f.Host
			if f.Path != "" {
				attrs["webhook_path"] = f.Path
			}
		}
	}
}

func (s *dbScan) automations(ctx context.Context) error {
	if !s.models["base.automation"] {
		return nil
	}
	// ≤16 an automation _inherits one server action (action_server_id); 17+ it runs several
	// (action_server_ids) and may be triggered by an inbound webhook (trigger on_webhook).
	recs, err := s.read(ctx, "base.automation", []any{activeAny()},
		"name", "model_id", "trigger", "active", "action_server_id", "action_server_ids", "log_webhook_calls")
	if err != nil {
		return err
	}
	for _, r := range recs {
		trigger := asString(r["trigger"])
		attrs := graph.Attrs{"trigger": trigger, "active": asBool(r["active"]), "model": modelRef(r["model_id"])}
		if trigger == "on_webhook" {
			// The inbound URL is <web.base.url>/web/hook/<uuid>; the uuid is a bearer secret,
			// so only the host and the path shape are kept (derived, never read). They are not
			// references: whoever calls the hook references the instance's host.
			attrs["inbound_path"] = "/web/hook/…"
			if s.baseURLHost != "" {
				attrs["inbound_host"] = s.baseURLHost
			}
			if _, ok := r["log_webhook_calls"]; ok {
				attrs["log_webhook_calls"] = asBool(r["log_webhook_calls"])
			}
		}
		aid := s.node("automation", strconv.FormatInt(asInt(r["id"]), 10), asString(r["name"]), attrs)
		s.useModel(aid, r["model_id"])
		var acts []int64
		if v, ok := r["action_server_ids"]; ok {
			acts = ids(v)
		} else if id, _ := m2o(r["action_server_id"]); id != 0 {
			acts = []int64{id}
		}
		for _, act := range acts {
			s.executes(aid, act, "action_server_ids")
		}
	}
	return nil
}

func (s *dbScan) companies(ctx context.Context) error {
	recs, err := s.read(ctx, "res.company", []any{activeAny()}, "name", "website", "parent_id", "active")
	if err != nil {
		return err
	}
	for _, r := range recs {
		attrs := graph.Attrs{}
		if f, ok := evidence.Parse(asString(r["website"])); ok {
			attrs["website_host"], attrs["website"] = f.Host, f.URL()
		}
		if _, p := m2o(r["parent_id"]); p != "" {
			attrs["parent"] = p
		}
		s.node("company", strconv.FormatInt(asInt(r["id"]), 10), asString(r["name"]), attrs)
	}
	return nil
}

func (s *dbScan) companyEdge(from string, v any) {
	if id, _ := m2o(v); id != 0 {
		s.edges = append(s.edges, graph.Observe(from, s.id("company", strconv.FormatInt(id, 10)), "belongs_to"))
	}
}

func (s *dbScan) websites(ctx context.Context) error {
	if !s.models["website"] {
		return nil
	}
	recs, err := s.read(ctx, "website", nil, "name", "domain", "company_id", "cdn_activated", "cdn_url")
	if err != nil {
		return err
	}
	for _, r := range recs {
		attrs := graph.Attrs{}
		// domain may be a bare host or a full URL (providers.md §3).
		if d := asString(r["domain"]); d != "" {
			if f, ok := evidence.Parse(d); ok {
				attrs["domain"] = f.Host
				if f.Scheme != "" {
					attrs["url"] = f.URL()
				}
			}
		}
		if asBool(r["cdn_activated"]) {
			attrs["cdn_activated"] = true
			if f, ok := evidence.Parse(asString(r["cdn_url"])); ok {
				attrs["cdn_host"] = f.Host
			}
		}
		id := s.node("website", strconv.FormatInt(asInt(r["id"]), 10), asString(r["name"]), attrs)
		s.companyEdge(id, r["company_id"])
	}
	return nil
}

// paymentProviders reads payment.provider (16+, field code) or payment.acquirer (≤15, field
// provider), enabled or in test mode only: every database ships a dozen disabled ones.
func (s *dbScan) paymentProviders(ctx context.Context) error {
	model, codeField := "payment.provider", "code"
	if !s.models[model] {
		model, codeField = "payment.acquirer", "provider"
	}
	if !s.models[model] {
		return nil
	}
	recs, err := s.read(ctx, model, []any{[]any{"state", "in", []any{"enabled", "test"}}}, "name", codeField, "state", "company_id", "website_id")
	if err != nil {
		return err
	}
	for _, r := range recs {
		attrs := graph.Attrs{"code": asString(r[codeField]), "state": asString(r["state"]), "model": model}
		id := s.node("payment_provider", strconv.FormatInt(asInt(r["id"]), 10), asString(r["name"]), attrs)
		s.companyEdge(id, r["company_id"])
	}
	return nil
}
