package odoo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kolo/xmlrpc"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/retry"
)

// errKind classifies an Odoo error the way /xmlrpc/2 fault codes do (odoo/addons/base/controllers/
// rpc.py, xmlrpc_handle_exception_int): 1 application error, 2 warning (UserError), 3 access
// denied (bad credentials, list_db off), 4 access error (ACL / record rules).
type errKind int

const (
	errApplication errKind = 1
	errWarning     errKind = 2
	errDenied      errKind = 3
	errAccess      errKind = 4
)

// rpcError is an Odoo fault or JSON-RPC/JSON-2 error, reduced to a short message that never holds
// the credentials or a token-looking word.
type rpcError struct {
	kind   errKind
	call   string // "ir.cron search_read", "common authenticate"
	name   string // exception class when known ("odoo.exceptions.AccessError")
	msg    string
	status int // HTTP status for JSON-2
}

func (e *rpcError) Error() string {
	what := map[errKind]string{errApplication: "server error", errWarning: "user error", errDenied: "access denied", errAccess: "access error"}[e.kind]
	s := fmt.Sprintf("%s: %s", e.call, what)
	if e.msg != "" {
		s += ": " + e.msg
	}
	return s
}

func isKind(err error, k errKind) bool {
	var re *rpcError
	return errors.As(err, &re) && re.kind == k
}

// kindOf maps an exception class name (JSON-RPC data.name, JSON-2 name) to an errKind.
func kindOf(name string) errKind {
	switch {
	case strings.HasSuffix(name, ".AccessError"):
		return errAccess
	case strings.HasSuffix(name, ".AccessDenied"):
		return errDenied
	case strings.HasSuffix(name, "UserError"), strings.HasSuffix(name, "ValidationError"), strings.HasSuffix(name, "MissingError"), strings.HasSuffix(name, "RedirectWarning"):
		return errWarning
	}
	return errApplication
}

// transport is one of Odoo's three external APIs. Every call names its arguments (execute_kw
// accepts them as kwargs, JSON-2 only takes them so), which keeps the three interchangeable.
type transport interface {
	// version returns the server's version_info ([17, 0, 0, "final", 0, ""]).
	version(ctx context.Context) ([]any, error)
	listDBs(ctx context.Context) ([]string, error)
	// login returns the uid, or errDenied.
	login(ctx context.Context, db string) (int64, error)
	call(ctx context.Context, db string, uid int64, model, method string, kw map[string]any) (any, error)
}

// client adds throttling (Odoo has no server-side rate limit, so a scan must not hammer an ERP
// that serves users) and bounded retries to a transport's HTTP requests.
type client struct {
	http     *http.Client
	base     string
	user     string
	secret   evidence.Secret
	throttle *throttle
	retries  int
	backoff  time.Duration
}

// throttle spaces requests at least interval apart.
type throttle struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func (t *throttle) wait(ctx context.Context) error {
	if t == nil || t.interval <= 0 {
		return ctx.Err()
	}
	t.mu.Lock()
	now := time.Now()
	slot := t.next
	if slot.Before(now) {
		slot = now
	}
	t.next = slot.Add(t.interval)
	t.mu.Unlock()
	return retry.Sleep(ctx, time.Until(slot))
}

// maxBody bounds a response (httpguard.LimitBody): a runaway answer becomes an error, not an
// out-of-memory. A page of 200 records with their fields is well under 1 MiB.
const maxBody = 64 << 20

// do sends one request, retrying 429 (honouring Retry-After, which a reverse proxy in front of
// Odoo may send) and 502/503/504 with backoff (retry.Transport, each attempt throttled and
// bounded by the client's timeout). It returns the status and the body.
func (c *client) do(ctx context.Context, method, path string, body []byte, header http.Header) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // replayed on a retry (GetBody)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "infragraph-odoo")
	rt := &retry.Transport{
		Next:    retry.Through(c.http),
		Retries: c.retries, RateRetries: c.retries, MaxAttempts: c.retries + 1,
		Backoff: c.backoff, HonourRetryAfter5xx: true,
		Retryable: func(status int) bool {
			switch status {
			case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
				return true
			}
			return false
		},
		Before: func(ctx context.Context, _ *http.Request) error { return c.throttle.wait(ctx) },
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, scrubErr(err))
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read body: %w", method, path, scrubErr(err))
	}
	return resp.StatusCode, data, nil
}

// scrubErr drops the URL from net/http errors (it is our configured URL, but keep errors short
// and free of anything a user may have put in it).
func scrubErr(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// clean reduces a server message to one safe line: the exception line of a traceback or the
// first line of a message, the credentials replaced, token-looking words dropped, at most 200
// characters.
func (c *client) clean(msg string) string {
	msg = strings.TrimSpace(msg)
	lines := strings.Split(msg, "\n")
	line := lines[0]
	if strings.HasPrefix(msg, "Traceback") {
		for i := len(lines) - 1; i >= 0; i-- {
			if l := strings.TrimSpace(lines[i]); l != "" {
				line = l
				break
			}
		}
	}
	if s := c.secret.Reveal(); s != "" {
		line = strings.ReplaceAll(line, s, "[redacted]")
	}
	// Faults quote arguments and records: URLs with userinfo, "password=…", tokens.
	return evidence.Scrub(line)
}

// errNoEndpoint is a 404 on an RPC endpoint: a server without it (XML-RPC is removed in Odoo 22).
var errNoEndpoint = errors.New("HTTP 404 (no such endpoint on this server)")

// ---- XML-RPC ----

type xmlrpcTransport struct{ c *client }

func (t *xmlrpcTransport) rpc(ctx context.Context, path, method, call string, args ...any) (any, error) {
	body, err := xmlrpc.EncodeMethodCall(method, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: encode: %w", call, err)
	}
	status, data, err := t.c.do(ctx, http.MethodPost, path, body, http.Header{"Content-Type": {"text/xml"}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	if status == http.StatusNotFound {
		return nil, fmt.Errorf("%s: POST %s: %w", call, path, errNoEndpoint)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%s: POST %s: HTTP %d", call, path, status)
	}
	// Odoo marshals None as False; tolerate servers that send <nil/> anyway.
	data = bytes.ReplaceAll(data, []byte("<nil/>"), []byte("<boolean>0</boolean>"))
	resp := xmlrpc.Response(data)
	if !bytes.Contains(data, []byte("<methodResponse")) {
		return nil, fmt.Errorf("%s: POST %s: not an XML-RPC response", call, path)
	}
	if ferr := resp.Err(); ferr != nil {
		var f xmlrpc.FaultError
		if errors.As(ferr, &f) {
			k := errKind(f.Code)
			if k < errApplication || k > errAccess {
				k = errApplication
			}
			return nil, &rpcError{kind: k, call: call, msg: t.c.clean(f.String)}
		}
		return nil, fmt.Errorf("%s: malformed fault", call)
	}
	var out any
	if err := resp.Unmarshal(&out); err != nil {
		return nil, fmt.Errorf("%s: decode XML-RPC response: %w", call, err)
	}
	return out, nil
}

func (t *xmlrpcTransport) version(ctx context.Context) ([]any, error) {
	v, err := t.rpc(ctx, "/xmlrpc/2/common", "version", "common version")
	if err != nil {
		return nil, err
	}
	return serverVersionInfo(v)
}

// serverVersionInfo takes server_version_info from common.version's answer (XML-RPC and
// JSON-RPC answer the same dict).
func serverVersionInfo(v any) ([]any, error) {
	m, _ := v.(map[string]any)
	info, _ := m["server_version_info"].([]any)
	if len(info) == 0 {
		return nil, errors.New("common version: no server_version_info in the answer")
	}
	return info, nil
}

func (t *xmlrpcTransport) listDBs(ctx context.Context) ([]string, error) {
	v, err := t.rpc(ctx, "/xmlrpc/2/db", "list", "db list")
	if err != nil {
		return nil, err
	}
	return strs(v), nil
}

func (t *xmlrpcTransport) login(ctx context.Context, db string) (int64, error) {
	v, err := t.rpc(ctx, "/xmlrpc/2/common", "authenticate", "common authenticate", db, t.c.user, t.c.secret.Reveal(), map[string]any{})
	if err != nil {
		return 0, err
	}
	return asInt(v), nil
}

func (t *xmlrpcTransport) call(ctx context.Context, db string, uid int64, model, method string, kw map[string]any) (any, error) {
	return t.rpc(ctx, "/xmlrpc/2/object", "execute_kw", model+" "+method, db, uid, t.c.secret.Reveal(), model, method, []any{}, kw)
}

// ---- JSON-RPC ----

type jsonrpcTransport struct {
	c  *client
	mu sync.Mutex
	id int
}

type jsonrpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"data"`
}

func (t *jsonrpcTransport) rpc(ctx context.Context, path, call string, params any) (any, error) {
	t.mu.Lock()
	t.id++
	id := t.id
	t.mu.Unlock()
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "call", "params": params, "id": id})
	if err != nil {
		return nil, fmt.Errorf("%s: encode: %w", call, err)
	}
	status, data, err := t.c.do(ctx, http.MethodPost, path, body, http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%s: POST %s: HTTP %d", call, path, status)
	}
	var r struct {
		Result any           `json:"result"`
		Error  *jsonrpcError `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: POST %s: not a JSON-RPC response", call, path)
	}
	if r.Error != nil {
		msg := r.Error.Data.Message
		if msg == "" {
			msg = r.Error.Message
		}
		return nil, &rpcError{kind: kindOf(r.Error.Data.Name), call: call, name: r.Error.Data.Name, msg: t.c.clean(msg)}
	}
	return r.Result, nil
}

func (t *jsonrpcTransport) service(ctx context.Context, service, method string, args ...any) (any, error) {
	call := service + " " + method
	if service == "object" {
		call = fmt.Sprint(args[3], " ", args[4])
	}
	if args == nil {
		args = []any{}
	}
	return t.rpc(ctx, "/jsonrpc", call, map[string]any{"service": service, "method": method, "args": args})
}

func (t *jsonrpcTransport) version(ctx context.Context) ([]any, error) {
	v, err := t.service(ctx, "common", "version")
	if err != nil {
		return nil, err
	}
	return serverVersionInfo(v)
}

func (t *jsonrpcTransport) listDBs(ctx context.Context) ([]string, error) {
	v, err := t.service(ctx, "db", "list")
	if err != nil {
		return nil, err
	}
	return strs(v), nil
}

func (t *jsonrpcTransport) login(ctx context.Context, db string) (int64, error) {
	v, err := t.service(ctx, "common", "authenticate", db, t.c.user, t.c.secret.Reveal(), map[string]any{})
	if err != nil {
		return 0, err
	}
	return asInt(v), nil
}

func (t *jsonrpcTransport) call(ctx context.Context, db string, uid int64, model, method string, kw map[string]any) (any, error) {
	return t.service(ctx, "object", "execute_kw", db, uid, t.c.secret.Reveal(), model, method, []any{}, kw)
}

// ---- JSON-2 (Odoo 19+) ----

// json2Transport speaks /json/2/<model>/<method> with a bearer API key (Odoo 19
// external_json2_api.rst). The database goes in X-Odoo-Database.
type json2Transport struct {
	c   *client
	rpc *jsonrpcTransport // for /web/database/list, which JSON-2 does not cover
}

func (t *json2Transport) version(ctx context.Context) ([]any, error) {
	status, data, err := t.c.do(ctx, http.MethodGet, "/web/version", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("web version: %w", err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("web version: GET /web/version: HTTP %d", status)
	}
	var v struct {
		Info []any `json:"version_info"`
	}
	if err := json.Unmarshal(data, &v); err != nil || len(v.Info) == 0 {
		return nil, errors.New("web version: GET /web/version: no version_info in the answer")
	}
	return v.Info, nil
}

func (t *json2Transport) listDBs(ctx context.Context) ([]string, error) {
	v, err := t.rpc.rpc(ctx, "/web/database/list", "db list", map[string]any{})
	if err != nil {
		return nil, err
	}
	return strs(v), nil
}

func (t *json2Transport) login(ctx context.Context, db string) (int64, error) {
	v, err := t.call(ctx, db, 0, "res.users", "context_get", map[string]any{})
	if err != nil {
		if isKind(err, errDenied) {
			return 0, nil
		}
		return 0, err
	}
	m, _ := v.(map[string]any)
	return asInt(m["uid"]), nil
}

func (t *json2Transport) call(ctx context.Context, db string, _ int64, model, method string, kw map[string]any) (any, error) {
	call := model + " " + method
	body, err := json.Marshal(kw)
	if err != nil {
		return nil, fmt.Errorf("%s: encode: %w", call, err)
	}
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Authorization": {"bearer " + t.c.secret.Reveal()}}
	if db != "" {
		h.Set("X-Odoo-Database", db)
	}
	path := "/json/2/" + model + "/" + method
	status, data, err := t.c.do(ctx, http.MethodPost, path, body, h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if status != http.StatusOK {
		var e struct {
			Name    string `json:"name"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) != nil || e.Name == "" {
			return nil, fmt.Errorf("%s: POST %s: HTTP %d", call, path, status)
		}
		k := kindOf(e.Name)
		if status == http.StatusUnauthorized {
			k = errDenied
		}
		return nil, &rpcError{kind: k, call: call, name: e.Name, msg: t.c.clean(e.Message), status: status}
	}
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: POST %s: not JSON", call, path)
	}
	return out, nil
}

// ---- value helpers: XML-RPC gives int64, JSON gives json.Number; Odoo sends False for empty ----

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		return int64(x)
	case json.Number:
		n, _ := x.Int64()
		return n
	}
	return 0
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case int64, int, float64:
		return fmt.Sprint(x)
	}
	return ""
}

func asBool(v any) bool {
	b, _ := v.(bool)
	return b
}

// m2o splits a many2one value [id, "display name"] (False when empty).
func m2o(v any) (int64, string) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return 0, ""
	}
	name := ""
	if len(l) > 1 {
		name = asString(l[1])
	}
	return asInt(l[0]), name
}

// ids reads a many2many/one2many value (a list of ids).
func ids(v any) []int64 {
	l, _ := v.([]any)
	out := make([]int64, 0, len(l))
	for _, x := range l {
		if n := asInt(x); n != 0 {
			out = append(out, n)
		}
	}
	return out
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s := asString(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}
