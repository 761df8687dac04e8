// Package odoofake is a fake Odoo server for tests, the demo and benchmarks: an http.Handler that
// speaks XML-RPC (/xmlrpc/2/common, /xmlrpc/2/object, /xmlrpc/2/db: methodCall/methodResponse,
// faults with Odoo's int faultCode and faultString), JSON-RPC (/jsonrpc, /web/database/list) and,
// when serving Odoo 19, JSON-2 (/json/2/<model>/<method>, GET /web/version), over an in-memory
// estate shaped like Odoo 15 to 19 (renamed models and fields per version).
//
// It records every model, method, field list and domain asked for, so tests can prove a client
// never requests a secret field or a secret system parameter (Violations).
package odoofake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

// Options shape the server.
type Options struct {
	// Version is the major Odoo version served (15 to 20; default 17). 20 has no db service.
	Version int
	// Enterprise marks the server as Enterprise ("+e").
	Enterprise bool
	// NoListDB answers db.list with AccessDenied, as with list_db = False.
	NoListDB bool
	// Forbid makes every search_read/read on these models an AccessError for every user.
	Forbid []string
	// Missing lists "model.field" entries this instance's models lack (a customised or trimmed
	// database): fields_get does not report them and a domain naming them is an Invalid field.
	Missing []string
	// Latency is added to every request.
	Latency time.Duration
}

// Call is one recorded request.
type Call struct {
	Path   string
	DB     string
	Model  string
	Method string
	Fields []string
	Domain string // JSON
	Status int    // non-200 HTTP status, or 0
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	opts   Options
	estate *Estate

	mu               sync.Mutex
	calls            []Call
	n                int
	fakeapi.Injector // Fault: a status, rate limit, garbage, hang or hollow answer on a route
}

// New serves e with opts.
func New(e *Estate, opts Options) *Server {
	if opts.Version == 0 {
		opts.Version = 17
	}
	return &Server{opts: opts, estate: e}
}

// Requests counts HTTP requests served.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Calls returns the recorded model calls.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// SecretField is the fake's own list of what a collector must never request: passwords, keys,
// tokens, certificates, webhook uuids and base.automation.url (it embeds the uuid). It is kept
// apart from the collector's list on purpose.
func SecretField(model, name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "smtp_pass", "password", "webhook_uuid", "smtp_ssl_certificate", "smtp_ssl_private_key":
		return true
	}
	if model == "base.automation" && n == "url" {
		return true
	}
	return strings.Contains(n, "secret") || strings.Contains(n, "_key") || strings.Contains(n, "token")
}

// Violations lists every request that asked for a secret: a secret field, a read without a field
// list (Odoo then returns every field), database.secret, or system parameters not restricted by
// key.
func (s *Server) Violations() []string {
	var out []string
	for _, c := range s.Calls() {
		if strings.Contains(c.Domain, "database.secret") {
			out = append(out, fmt.Sprintf("%s %s: domain names database.secret", c.Model, c.Method))
		}
		if c.Method != "search_read" && c.Method != "read" && c.Method != "web_search_read" {
			continue
		}
		if len(c.Fields) == 0 {
			out = append(out, fmt.Sprintf("%s %s without fields (returns every field, secrets included)", c.Model, c.Method))
		}
		for _, fl := range c.Fields {
			if SecretField(c.Model, fl) {
				out = append(out, fmt.Sprintf("%s %s: secret field %s requested", c.Model, c.Method, fl))
			}
		}
		if c.Model == "ir.config_parameter" && !strings.Contains(c.Domain, `"key"`) {
			out = append(out, "ir.config_parameter read without a key restriction")
		}
	}
	return out
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

// odooErr is an Odoo exception: its class, message and /xmlrpc/2 fault code.
type odooErr struct {
	code int
	name string
	msg  string
}

func (e *odooErr) Error() string { return e.msg }

func accessDenied() *odooErr {
	return &odooErr{code: 3, name: "odoo.exceptions.AccessDenied", msg: "Access Denied"}
}

func accessError(m string) *odooErr {
	label := schema[m].label
	if label == "" {
		label = m
	}
	return &odooErr{code: 4, name: "odoo.exceptions.AccessError", msg: fmt.Sprintf("You are not allowed to access '%s' (%s) records.\n\n"+
		"This operation is allowed for the following groups:\n\t- Administration/Settings\n\n"+
		"Contact your administrator to request access if necessary.", label, m)}
}

func serverError(exc string) *odooErr {
	name := exc
	if i := strings.Index(exc, ":"); i > 0 {
		name = exc[:i]
	}
	tb := "Traceback (most recent call last):\n" +
		"  File \"/usr/lib/python3/dist-packages/odoo/addons/base/controllers/rpc.py\", line 154, in xmlrpc_2\n" +
		"    response = self._xmlrpc(service)\n" +
		"  File \"/usr/lib/python3/dist-packages/odoo/service/model.py\", line 62, in execute_kw\n" +
		"    return execute(db, uid, obj, method, *args, **kw or {})\n" + exc + "\n"
	return &odooErr{code: 1, name: name, msg: tb}
}

// ServeHTTP routes Odoo's external API endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	ft, faulty := s.Take(r.URL.Path)
	if !fakeapi.Delay(r, s.opts.Latency) {
		return
	}
	if faulty {
		ft.Serve(w, r, func(w http.ResponseWriter, status int, msg string) {
			s.record(Call{Path: r.URL.Path, Status: status})
			http.Error(w, cmp.Or(msg, http.StatusText(status)), status)
		}, http.HandlerFunc(s.serve))
		return
	}
	s.serve(w, r)
}

// serve answers a request that no fault took.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/xmlrpc/2/"):
		s.serveXMLRPC(w, r)
	case r.URL.Path == "/jsonrpc" || r.URL.Path == "/web/database/list":
		s.serveJSONRPC(w, r)
	case r.URL.Path == "/web/version" && r.Method == http.MethodGet:
		writeJSON(w, 200, map[string]any{"version_info": s.versionInfo(), "version": fmt.Sprintf("%d.0", s.opts.Version)})
	case strings.HasPrefix(r.URL.Path, "/json/2/") && s.opts.Version >= 19:
		s.serveJSON2(w, r)
	default:
		http.NotFound(w, r)
	}
}

// withoutMissing is m without the fields Options.Missing removes from model name.
func (s *Server) withoutMissing(name string, m model) model {
	if len(s.opts.Missing) == 0 {
		return m
	}
	out := m
	out.fields = nil
	for _, fl := range m.fields {
		if !slices.Contains(s.opts.Missing, name+"."+fl.name) {
			out.fields = append(out.fields, fl)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) versionInfo() []any {
	e := ""
	if s.opts.Enterprise {
		e = "e"
	}
	return []any{s.opts.Version, 0, 0, "final", 0, e}
}

func (s *Server) versionResult() map[string]any {
	v := fmt.Sprintf("%d.0", s.opts.Version)
	if s.opts.Enterprise {
		v += "+e"
	}
	return map[string]any{"server_version": v, "server_version_info": s.versionInfo(), "server_serie": fmt.Sprintf("%d.0", s.opts.Version), "protocol_version": 1}
}

func (s *Server) serveXMLRPC(w http.ResponseWriter, r *http.Request) {
	method, params, err := decodeCall(r.Body)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	if err != nil {
		_, _ = w.Write(encodeFault(1, serverError("xml.parsers.expat.ExpatError: "+err.Error()).msg))
		return
	}
	service := strings.TrimPrefix(r.URL.Path, "/xmlrpc/2/")
	res, oerr := s.dispatch(r.URL.Path, service, method, params)
	if oerr != nil {
		_, _ = w.Write(encodeFault(oerr.code, oerr.msg))
		return
	}
	_, _ = w.Write(encodeResponse(res))
}

func (s *Server) serveJSONRPC(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     any `json:"id"`
		Params struct {
			Service string `json:"service"`
			Method  string `json:"method"`
			Args    []any  `json:"args"`
		} `json:"params"`
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var res any
	var oerr *odooErr
	if r.URL.Path == "/web/database/list" {
		res, oerr = s.dispatch(r.URL.Path, "db", "list", nil)
	} else {
		res, oerr = s.dispatch(r.URL.Path, req.Params.Service, req.Params.Method, normalize(req.Params.Args).([]any))
	}
	if oerr != nil {
		// Odoo's JSON-RPC error envelope (http.py, JsonRPCDispatcher.handle_error).
		writeJSON(w, 200, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{
			"code": 200, "message": "Odoo Server Error",
			"data": map[string]any{"name": oerr.name, "debug": oerr.msg, "message": lastLine(oerr.msg), "arguments": []any{lastLine(oerr.msg)}, "context": map[string]any{}},
		}})
		return
	}
	writeJSON(w, 200, map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": res})
}

func lastLine(msg string) string {
	if !strings.HasPrefix(msg, "Traceback") {
		return msg
	}
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	l := lines[len(lines)-1]
	if i := strings.Index(l, ": "); i > 0 {
		return l[i+2:]
	}
	return l
}

// normalize turns json.Number into int64 or float64 so JSON and XML-RPC arguments look alike.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		if x == nil {
			return []any{}
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
		return x
	case nil:
		return []any{}
	}
	return v
}

func (s *Server) serveJSON2(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/json/2/"), "/")
	if len(parts) != 2 {
		http.NotFound(w, r)
		return
	}
	model, method := parts[0], parts[1]
	jerr := func(status int, e *odooErr) {
		writeJSON(w, status, map[string]any{"name": e.name, "message": lastLine(e.msg), "arguments": []any{lastLine(e.msg)}, "context": map[string]any{}, "debug": e.msg})
	}
	auth := r.Header.Get("Authorization")
	key := ""
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		key = auth[7:]
	}
	dbName := r.Header.Get("X-Odoo-Database")
	if dbName == "" && len(s.estate.Databases) == 1 {
		for n := range s.estate.Databases {
			dbName = n
		}
	}
	db := s.estate.Databases[dbName]
	var user *User
	if db != nil && key != "" {
		for i := range db.Users {
			if db.Users[i].APIKey == key {
				user = &db.Users[i]
			}
		}
	}
	if user == nil {
		s.record(Call{Path: r.URL.Path, DB: dbName, Model: model, Method: method, Status: 401})
		writeJSON(w, 401, map[string]any{"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey", "arguments": []any{"Invalid apikey", 401},
			"context": map[string]any{}, "debug": "Traceback (most recent call last):\n  File \"/opt/odoo/odoo/addons/base/models/ir_http.py\", line 240, in _auth_method_bearer\n" +
				"    raise werkzeug.exceptions.Unauthorized(\nwerkzeug.exceptions.Unauthorized: 401 Unauthorized: Invalid apikey\n"})
		return
	}
	var kw map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&kw); err != nil && err != io.EOF {
		jerr(400, &odooErr{name: "werkzeug.exceptions.BadRequest", msg: "could not parse the body as json"})
		return
	}
	if kw == nil {
		kw = map[string]any{}
	}
	kw = normalize(kw).(map[string]any)
	if model == "res.users" && method == "context_get" {
		writeJSON(w, 200, map[string]any{"uid": user.ID, "lang": "en_US", "tz": "Europe/Brussels"})
		return
	}
	res, oerr := s.execute(r.URL.Path, dbName, db, user, model, method, nil, kw)
	if oerr != nil {
		status := 500
		switch oerr.code {
		case 2:
			status = 422
		case 3:
			status = 401
		case 4:
			status = 403
		}
		jerr(status, oerr)
		return
	}
	writeJSON(w, 200, res)
}

// dispatch runs one RPC service method (common, db, object).
func (s *Server) dispatch(path, service, method string, args []any) (any, *odooErr) {
	switch service + "." + method {
	case "common.version":
		return s.versionResult(), nil
	case "common.authenticate", "common.login":
		if len(args) < 3 {
			return nil, serverError("TypeError: authenticate() missing required positional arguments")
		}
		dbName, _ := args[0].(string)
		login, _ := args[1].(string)
		pwd, _ := args[2].(string)
		db := s.estate.Databases[dbName]
		if db == nil {
			return nil, serverError(fmt.Sprintf("psycopg2.OperationalError: connection to server failed: FATAL:  database \"%s\" does not exist", dbName))
		}
		s.record(Call{Path: path, DB: dbName, Model: "res.users", Method: "authenticate"})
		for _, u := range db.Users {
			if u.Login == login && (pwd == u.Password || pwd == u.APIKey) && pwd != "" {
				return u.ID, nil
			}
		}
		return false, nil
	case "db.list":
		s.record(Call{Path: path, Method: "db.list"})
		if s.opts.Version >= 20 {
			// The db service was removed in Odoo 20 and Online 19.1 (odoo/documentation
			// external_rpc_api.rst, "deprecated:: 19.0").
			return nil, serverError("KeyError: 'db'")
		}
		if s.opts.NoListDB {
			return nil, accessDenied()
		}
		names := make([]any, 0, len(s.estate.Databases))
		for _, n := range s.estate.DatabaseNames() {
			names = append(names, n)
		}
		return names, nil
	case "object.execute_kw":
		if len(args) < 5 {
			return nil, serverError("TypeError: execute_kw() missing required positional arguments")
		}
		dbName, _ := args[0].(string)
		uid, _ := args[1].(int64)
		pwd, _ := args[2].(string)
		model, _ := args[3].(string)
		method, _ := args[4].(string)
		db := s.estate.Databases[dbName]
		if db == nil {
			return nil, serverError(fmt.Sprintf("psycopg2.OperationalError: FATAL:  database \"%s\" does not exist", dbName))
		}
		var user *User
		for i := range db.Users {
			if db.Users[i].ID == uid && pwd != "" && (pwd == db.Users[i].Password || pwd == db.Users[i].APIKey) {
				user = &db.Users[i]
			}
		}
		if user == nil {
			return nil, accessDenied()
		}
		var pos []any
		if len(args) > 5 {
			pos, _ = args[5].([]any)
		}
		kw := map[string]any{}
		if len(args) > 6 {
			if m, ok := args[6].(map[string]any); ok {
				kw = m
			}
		}
		return s.execute(path, dbName, db, user, model, method, pos, kw)
	}
	return nil, serverError(fmt.Sprintf("NameError: method not available %s.%s", service, method))
}

// execute runs a model method with positional and keyword arguments.
func (s *Server) execute(path, dbName string, db *Database, user *User, modelName, method string, pos []any, kw map[string]any) (any, *odooErr) {
	arg := func(i int, name string) any {
		if v, ok := kw[name]; ok {
			return v
		}
		if i < len(pos) {
			return pos[i]
		}
		return nil
	}
	v := s.opts.Version
	m, ok := schema[modelName]
	m = s.withoutMissing(modelName, m)
	present := ok && m.in(v) && db.hasModel(modelName, m)
	if !present {
		return nil, serverError(fmt.Sprintf("KeyError: '%s'", modelName))
	}
	call := Call{Path: path, DB: dbName, Model: modelName, Method: method}
	switch method {
	case "fields_get":
		s.record(call)
		attrs := strs(arg(1, "attributes"))
		out := map[string]any{}
		for _, fl := range m.fields {
			if !fl.in(v) || fl.admin && !user.Admin {
				continue
			}
			desc := map[string]any{"type": fl.typ, "string": fl.name}
			if fl.relation != "" {
				desc["relation"] = fl.relation
			}
			if len(attrs) > 0 {
				for k := range desc {
					if !slices.Contains(attrs, k) {
						delete(desc, k)
					}
				}
			}
			out[fl.name] = desc
		}
		return out, nil
	case "search_read", "read", "search_count", "search":
	default:
		s.record(call)
		return nil, serverError(fmt.Sprintf("AttributeError: The method '%s' does not exist on the model '%s'", method, modelName))
	}
	var domain []any
	var fields []string
	offset, limit := 0, 0
	switch method {
	case "search_read":
		domain, _ = arg(0, "domain").([]any)
		fields = strs(arg(1, "fields"))
		offset, limit = toInt(arg(2, "offset")), toInt(arg(3, "limit"))
	case "read":
		domain = []any{[]any{"id", "in", arg(0, "ids")}}
		fields = strs(arg(1, "fields"))
	case "search", "search_count":
		domain, _ = arg(0, "domain").([]any)
		fields = []string{"id"}
	}
	dj, _ := json.Marshal(domain)
	call.Fields, call.Domain = fields, string(dj)
	s.record(call)
	if slices.Contains(s.opts.Forbid, modelName) || slices.Contains(user.Denied, modelName) {
		return nil, accessError(modelName)
	}
	for _, fl := range fields {
		fd, ok := m.field(fl, v)
		if !ok {
			return nil, serverError(fmt.Sprintf("ValueError: Invalid field '%s' on model '%s'", fl, modelName))
		}
		if fd.admin && !user.Admin {
			return nil, &odooErr{code: 4, name: "odoo.exceptions.AccessError", msg: fmt.Sprintf("You do not have enough rights to access the fields \"%s\" on %s (%s). "+
				"Please contact your system administrator.\n\n(Operation: read, User: %d)", fl, m.label, modelName, user.ID)}
		}
	}
	if len(fields) == 0 {
		for _, fl := range m.fields {
			if fl.in(v) && (!fl.admin || user.Admin) {
				fields = append(fields, fl.name)
			}
		}
	}
	recs, oerr := db.search(modelName, m, v, domain)
	if oerr != nil {
		return nil, oerr
	}
	if method == "search_count" {
		return len(recs), nil
	}
	if offset > len(recs) {
		offset = len(recs)
	}
	recs = recs[offset:]
	if limit > 0 && limit < len(recs) {
		recs = recs[:limit]
	}
	if method == "search" {
		out := []any{}
		for _, r := range recs {
			out = append(out, r["id"])
		}
		return out, nil
	}
	out := make([]any, 0, len(recs))
	for _, r := range recs {
		row := map[string]any{"id": r["id"]}
		for _, fl := range fields {
			fd, _ := m.field(fl, v)
			row[fl] = db.render(m, fd, r, v)
		}
		out = append(out, row)
	}
	return out, nil
}

func strs(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func toInt(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case float64:
		return int(x)
	case int:
		return x
	}
	return 0
}

// Canaries returns every CANARY token in the estate, for AssertAbsent.
func (e *Estate) Canaries() []string {
	b, _ := json.Marshal(e)
	seen := map[string]bool{}
	var out []string
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("CANARY"))
		if j < 0 {
			break
		}
		k := i + j
		end := k
		for end < len(b) && (isTokenByte(b[end])) {
			end++
		}
		tok := string(b[k:end])
		if !seen[tok] {
			seen[tok] = true
			out = append(out, tok)
		}
		i = end
	}
	sort.Strings(out)
	return out
}

func isTokenByte(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Redirect returns an http.Client that sends every request to base (the fake's URL) whatever
// host it names, so a collector configured with https://erp.acme-coffee.com reaches the fake.
func Redirect(base string) *http.Client {
	return &http.Client{Transport: redirect{base: base}, Timeout: time.Minute}
}

type redirect struct{ base string }

func (rd redirect) RoundTrip(r *http.Request) (*http.Response, error) {
	u, err := url.Parse(rd.base)
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = u.Scheme, u.Host
	r2.Host = u.Host
	return http.DefaultTransport.RoundTrip(r2)
}
