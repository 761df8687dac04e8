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
