package odoofake

import (
	"embed"
	"fmt"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

//go:embed estates/*.json
var estates embed.FS

// Estate is what the fake serves: databases with users and records. Records are kept in the
// newest shape (payment.provider with code, base.automation with action_server_ids); the server
// reshapes them for older versions. A record with "_since"/"_until" exists only in those versions.
type Estate struct {
	Databases map[string]*Database `json:"databases"`
}

// Database is one Odoo database.
type Database struct {
	Users []User `json:"users"`
	// Records by model. A model listed here (even empty) is installed; core models always are.
	Records map[string][]map[string]any `json:"records"`
}

// User is a login. Admin users (base.group_system) see admin-only fields; Denied lists models
// this user gets an AccessError on.
type User struct {
	ID       int64    `json:"id"`
	Login    string   `json:"login"`
	Password string   `json:"password"`
	APIKey   string   `json:"api_key"`
	Admin    bool     `json:"admin,omitempty"`
	Denied   []string `json:"denied,omitempty"`
}

// Load returns a named embedded estate: "demo" (Acme Coffee) or "test".
func Load(name string) (*Estate, error) {
	e, err := fakeapi.Load[Estate](estates, "estates", name)
	if err != nil {
		return nil, fmt.Errorf("odoofake: %w", err)
	}
	for _, db := range e.Databases {
		for m, recs := range db.Records {
			for i := range recs {
				recs[i] = normalize(recs[i]).(map[string]any)
			}
			db.Records[m] = recs
		}
	}
	return e, nil
}

// MustLoad is Load for tests and the demo.
func MustLoad(name string) *Estate { return fakeapi.Must(Load(name)) }

// DatabaseNames returns the database names, sorted.
func (e *Estate) DatabaseNames() []string {
	out := make([]string, 0, len(e.Databases))
	for n := range e.Databases {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var coreModels = map[string]bool{"ir.model": true, "ir.module.module": true, "ir.module.module.dependency": true, "ir.cron": true,
	"ir.config_parameter": true, "ir.mail_server": true, "ir.actions.server": true, "res.company": true, "res.users": true}

func (db *Database) hasModel(name string, m model) bool {
	if coreModels[name] {
		return true
	}
	src := name
	if m.source != "" {
		src = m.source
	}
	_, ok := db.Records[src]
	return ok
}

// irModels is ir.model: the estate's business models plus every schema model installed here.
func (db *Database) irModels(v int) []map[string]any {
	out := append([]map[string]any(nil), db.Records["ir.model"]...)
	names := make([]string, 0, len(schema))
	for n := range schema {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		m := schema[n]
		if m.in(v) && db.hasModel(n, m) {
			out = append(out, map[string]any{"id": int64(1000 + i), "model": n, "name": m.label, "state": "base"})
		}
	}
	return out
}

func (db *Database) records(name string, m model, v int) []map[string]any {
	if name == "ir.model" {
		return db.irModels(v)
	}
	src := name
	if m.source != "" {
		src = m.source
	}
	var out []map[string]any
	for _, r := range db.Records[src] {
		if s := toInt(r["_since"]); s != 0 && v < s {
			continue
		}
		if u := toInt(r["_until"]); u != 0 && v > u {
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return toInt(out[i]["id"]) < toInt(out[j]["id"]) })
	return out
}

// value reads a served field from a record, through renames.
func value(m model, r map[string]any, name string) any {
	if src, ok := m.renamed[name]; ok {
		return r[src]
	}
	if name == "action_server_id" { // ≤16: the one delegated server action
		if l, ok := r["action_server_ids"].([]any); ok && len(l) > 0 {
			return l[0]
		}
	}
	return r[name]
}

func (db *Database) search(name string, m model, v int, domain []any) ([]map[string]any, *odooErr) {
	activeTest := false
	if _, ok := m.field("active", v); ok {
		activeTest = !strings.Contains(fmt.Sprint(domain), "active")
	}
	var out []map[string]any
	for _, r := range db.records(name, m, v) {
		if activeTest {
			if a, ok := r["active"].(bool); ok && !a {
				continue
			}
		}
		keep := true
		for _, leaf := range domain {
			l, ok := leaf.([]any)
			if !ok {
				if s, _ := leaf.(string); s == "&" {
					continue
				}
				return nil, serverError(fmt.Sprintf("ValueError: Invalid leaf %v", leaf))
			}
			if len(l) != 3 {
				return nil, serverError(fmt.Sprintf("ValueError: Invalid leaf %v", leaf))
			}
			fname, _ := l[0].(string)
			op, _ := l[1].(string)
			if _, ok := m.field(fname, v); !ok {
				return nil, serverError(fmt.Sprintf("ValueError: Invalid field %s.%s in leaf %v", name, fname, leaf))
			}
			if !match(value(m, r, fname), op, l[2]) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, r)
		}
	}
	return out, nil
}

func match(have any, op string, want any) bool {
	eq := func(a, b any) bool {
		if a == nil {
			a = false
		}
		if b == nil {
			b = false
		}
		if ai, ok := a.(int64); ok {
			return toInt(b) == int(ai)
		}
		return fmt.Sprint(a) == fmt.Sprint(b)
	}
	in := func() bool {
		l, _ := want.([]any)
		for _, w := range l {
			if eq(have, w) {
				return true
			}
		}
		return false
	}
	switch op {
	case "=", "==":
		return eq(have, want)
	case "!=", "<>":
		return !eq(have, want)
	case "in":
		return in()
	case "not in":
		return !in()
	case "ilike", "like":
		return strings.Contains(strings.ToLower(fmt.Sprint(have)), strings.ToLower(fmt.Sprint(want)))
	}
	return false
}

// render serves a field value as Odoo does: many2one [id, display name] or False, x2many a list
// of ids, empty values False (0 for integers).
func (db *Database) render(m model, fd field, r map[string]any, v int) any {
	if fd.name == "display_name" {
		return r["name"]
	}
	val := value(m, r, fd.name)
	switch fd.typ {
	case "many2one":
		id := toInt(val)
		if id == 0 {
			return false
		}
		return []any{int64(id), db.displayName(fd.relation, int64(id), v)}
	case "one2many", "many2many":
		if l, ok := val.([]any); ok {
			return l
		}
		return []any{}
	case "integer":
		if val == nil {
			return 0
		}
	}
	if val == nil {
		return false
	}
	return val
}

func (db *Database) displayName(relation string, id int64, v int) string {
	m := schema[relation]
	for _, r := range db.records(relation, m, v) {
		if toInt(r["id"]) == int(id) {
			if relation == "ir.module.module" {
				return fmt.Sprint(r["shortdesc"])
			}
			return fmt.Sprint(r["name"])
		}
	}
	return fmt.Sprintf("%s,%d", relation, id)
}

// Scaled returns an estate with one database "acme" holding about n modules, n crons, n server
// actions (half of them webhooks), n/5 automations, n/10 mail servers, companies and websites,
// for benchmarks and the performance demo.
func Scaled(n int) *Estate {
	if n < 1 {
		n = 1
	}
	recs := map[string][]map[string]any{}
	add := func(model string, r map[string]any) { recs[model] = append(recs[model], r) }
	add("ir.module.module", map[string]any{"id": int64(1), "name": "base", "shortdesc": "Base", "state": "installed", "latest_version": "17.0.1.3", "author": "Odoo S.A.", "application": false})
	for i := 2; i <= n+1; i++ {
		add("ir.module.module", map[string]any{"id": int64(i), "name": fmt.Sprintf("acme_mod_%d", i), "shortdesc": fmt.Sprintf("Acme %d", i), "state": "installed", "latest_version": "17.0.1.0", "author": "Acme"})
		add("ir.module.module.dependency", map[string]any{"id": int64(2*i - 1), "name": "base", "module_id": int64(i), "state": "installed"})
		add("ir.module.module.dependency", map[string]any{"id": int64(2 * i), "name": fmt.Sprintf("acme_mod_%d", i-1), "module_id": int64(i), "state": "installed"})
	}
	models := []string{"sale.order", "res.partner", "account.move", "stock.picking", "product.product"}
	for i, m := range models {
		add("ir.model", map[string]any{"id": int64(100 + i), "model": m, "name": m})
	}
	add("ir.config_parameter", map[string]any{"id": int64(1), "key": "web.base.url", "value": "https://erp.acme-coffee.com"})
	add("ir.config_parameter", map[string]any{"id": int64(2), "key": "database.secret", "value": "CANARY-odoo-scaled-database-secret"})
	add("res.company", map[string]any{"id": int64(1), "name": "Acme Coffee", "website": "https://acme-coffee.com", "active": true})
	for i := 1; i <= n; i++ {
		add("ir.cron", map[string]any{"id": int64(i), "name": fmt.Sprintf("cron %d", i), "cron_name": fmt.Sprintf("cron %d", i), "active": true,
			"interval_number": int64(1), "interval_type": "hours", "priority": int64(5), "numbercall": int64(-1), "doall": false, "failure_count": int64(0),
			"model_id": int64(100 + i%len(models)), "state": "code", "code": fmt.Sprintf("requests.get('https://api%d.example.com/x?token=CANARY-odoo-scaled-%d')", i%7, i)})
		sa := map[string]any{"id": int64(i), "name": fmt.Sprintf("action %d", i), "usage": "ir_actions_server", "model_id": int64(100 + i%len(models))}
		if i%2 == 0 {
			sa["state"], sa["webhook_url"], sa["_since"] = "webhook", fmt.Sprintf("https://hooks%d.example.com/odoo?key=CANARY-odoo-scaled-hook-%d", i%5, i), int64(17)
		} else {
			sa["state"], sa["code"] = "code", "record.write({'x': 1})"
		}
		add("ir.actions.server", sa)
		if i%5 == 0 {
			add("base.automation", map[string]any{"id": int64(i / 5), "name": fmt.Sprintf("automation %d", i/5), "model_id": int64(100 + i%len(models)),
				"trigger": "on_create_or_write", "active": true, "action_server_ids": []any{int64(i - 1)}, "webhook_uuid": fmt.Sprintf("CANARY-odoo-scaled-uuid-%d", i)})
		}
		if i%10 == 0 {
			add("ir.mail_server", map[string]any{"id": int64(i / 10), "name": fmt.Sprintf("smtp %d", i/10), "smtp_host": fmt.Sprintf("smtp%d.example.com", i/10),
				"smtp_port": int64(587), "smtp_encryption": "starttls", "smtp_authentication": "login", "smtp_user": "apikey", "smtp_pass": fmt.Sprintf("CANARY-odoo-scaled-smtp-%d", i), "active": true})
			add("website", map[string]any{"id": int64(i / 10), "name": fmt.Sprintf("site %d", i/10), "domain": fmt.Sprintf("site%d.acme-coffee.com", i/10), "company_id": int64(1)})
		}
	}
	if _, ok := recs["base.automation"]; !ok {
		recs["base.automation"] = nil
	}
	if _, ok := recs["website"]; !ok {
		recs["website"] = nil
	}
	return &Estate{Databases: map[string]*Database{"acme": {
		Users:   []User{{ID: 2, Login: "admin", Password: "CANARY-odoo-scaled-admin", APIKey: "CANARY-odoo-scaled-apikey", Admin: true}},
		Records: recs,
	}}}
}
