package serve

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TokenEnv is the environment variable `discover serve` reads the bearer token from.
const TokenEnv = "DISCOVER_SERVE_TOKEN"

// HTTPOptions configures Handler.
type HTTPOptions struct {
	// Token, when set, is required as "Authorization: Bearer <token>" on every request.
	Token  string
	Logger *slog.Logger
	// Version is reported by /metrics (infragraph_build_info).
	Version string
}

// Handler serves the JSON API under /api/v1/, the MCP streamable-HTTP transport at /mcp and the
// web explorer at / (see ui.go), all read-only, over svc. mcpServer may be nil (no /mcp).
//
//	GET /api/v1/summary                        overview of the latest scan
//	GET /api/v1/status                         collectors, staleness
//	GET /api/v1/nodes?kind=&provider=&name=&attr=k=v&stale=&include_attrs=&limit=&cursor=
//	GET /api/v1/nodes/{id}                     one node with its edges (?edge_limit=)
//	GET /api/v1/nodes/{id}/dependencies?depth=&limit=&cursor=
//	GET /api/v1/nodes/{id}/impact?depth=&limit=&cursor=
//	GET /api/v1/path?from=&to=
//	GET /api/v1/changes?since=&limit=
//
// Errors are {"error":{"code","message"}}: 404 for unknown ids, 400 for bad parameters and
// ambiguous references (with "candidates"), 401 without the token, 503 without a graph.
func Handler(svc *Service, mcpServer *mcp.Server, o HTTPOptions) http.Handler {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{svc: svc, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/summary", a.summary)
	mux.HandleFunc("GET /api/v1/status", a.status)
	mux.HandleFunc("GET /api/v1/nodes", a.nodes)
	mux.HandleFunc("GET /api/v1/nodes/{ref...}", a.node)
	mux.HandleFunc("GET /api/v1/path", a.path)
	mux.HandleFunc("GET /api/v1/changes", a.changes)
	newWeb(svc, log).register(mux)
	op := newOps(svc, o.Version) // ops.go: probes, /metrics, /openapi.json, graph.mmd, INFRA.md
	op.register(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, &Error{Code: "method_not_allowed", Message: "the API is read-only: GET only"})
			return
		}
		writeError(w, http.StatusNotFound, &Error{Code: CodeNotFound, Message: "no such endpoint: " + r.URL.Path})
	})
	if mcpServer != nil {
		// Stateless with JSON responses: every request stands alone, no long-lived event streams,
		// so the server's write timeout never cuts a session and nothing is kept per client.
		mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return mcpServer },
			&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: sdkLogger(log)}))
	}
	outer := http.NewServeMux()
	op.registerProbes(outer) // without the token: a kubelet cannot send one
	outer.Handle("/", requireToken(o.Token, mux))
	return op.instrument(localHostOnly(outer))
}

type api struct {
	svc *Service
	log *slog.Logger
}

func (a *api) summary(w http.ResponseWriter, r *http.Request) {
	res, err := a.svc.Summary()
	a.reply(w, res, err)
}

func (a *api) status(w http.ResponseWriter, r *http.Request) {
	res, err := a.svc.Status()
	a.reply(w, res, err)
}

func (a *api) nodes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit")
	if err != nil {
		a.reply(w, nil, err)
		return
	}
	p := SearchParams{Kind: q.Get("kind"), Provider: q.Get("provider"), Name: q.Get("name"), Attrs: q["attr"],
		Stale: boolParam(q.Get("stale")), IncludeAttrs: boolParam(q.Get("include_attrs")), Limit: limit, Cursor: q.Get("cursor")}
	res, err := a.svc.Search(p)
	a.reply(w, res, err)
}

// node serves /nodes/{id}, /nodes/{id}/dependencies and /nodes/{id}/impact. Ids hold "/"
// (docker:container:<engine>/<id>), so the id is the rest of the path minus a known suffix.
func (a *api) node(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	q := r.URL.Query()
	for suffix, walk := range map[string]func(WalkParams) (*WalkResult, error){
		"/dependencies": a.svc.Dependencies,
		"/impact":       a.svc.Impact,
	} {
		id, ok := strings.CutSuffix(ref, suffix)
		if !ok {
			continue
		}
		depth, err := intParam(q.Get("depth"), "depth")
		if err != nil {
			a.reply(w, nil, err)
			return
		}
		limit, err := intParam(q.Get("limit"), "limit")
		if err != nil {
			a.reply(w, nil, err)
			return
		}
		res, err := walk(WalkParams{ID: id, Depth: depth, Limit: limit, Cursor: q.Get("cursor")})
		a.reply(w, res, err)
		return
	}
	limit, err := intParam(q.Get("edge_limit"), "edge_limit")
	if err != nil {
		a.reply(w, nil, err)
		return
	}
	res, err := a.svc.Node(NodeParams{ID: ref, EdgeLimit: limit})
	a.reply(w, res, err)
}

func (a *api) path(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res, err := a.svc.Path(PathParams{From: q.Get("from"), To: q.Get("to")})
	a.reply(w, res, err)
}

func (a *api) changes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit")
	if err != nil {
		a.reply(w, nil, err)
		return
	}
	res, err := a.svc.ChangesSince(ChangesParams{Since: q.Get("since"), Limit: limit})
	a.reply(w, res, err)
}

func intParam(s, name string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("%s=%q is not a number", name, s)
	}
	return n, nil
}

func boolParam(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}

// reply writes v, or err as a JSON error with the status its code maps to.
func (a *api) reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			a.log.Error("api request failed", "err", err)
			e = &Error{Code: "internal", Message: err.Error()}
		}
		writeError(w, statusOf(e.Code), e)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func statusOf(code string) int {
	switch code {
	case CodeNotFound:
		return http.StatusNotFound
	case CodeAmbiguous, CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, status int, e *Error) {
	writeJSON(w, status, struct {
		Error *Error `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// requireToken admits only requests bearing the token, when one is set. The comparison is
// constant-time so the token cannot be guessed byte by byte from response times. The explorer's
// pages also take the session cookie a browser gets by presenting the token once (uiAuth).
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			if uiAuth(token, w, r, next) {
				return
			}
			if isUIPath(r.URL.Path) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="infragraph"`)
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, "This server needs its token: open this address once with ?token=<the value of %s> (it is then kept in a cookie), or send \"Authorization: Bearer <token>\".\n", TokenEnv)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="infragraph"`)
			writeError(w, http.StatusUnauthorized, &Error{Code: "unauthorized", Message: "missing or wrong bearer token (Authorization: Bearer $" + TokenEnv + ")"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// localHostOnly refuses requests that reached a loopback listener with a Host header naming
// something else: a web page's DNS rebinding would otherwise let it read the graph through the
// browser (the MCP SDK guards /mcp the same way; this covers the API too).
func localHostOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopbackAddr(la.String()) && !isLoopbackHost(r.Host) {
			writeError(w, http.StatusForbidden, &Error{Code: "forbidden", Message: fmt.Sprintf("host %q is not this local server", r.Host)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return host != "" && isLoopbackHost(host)
}

// CheckBind refuses to serve on anything but a loopback address without a token: the graph maps
// a company's infrastructure and must not be readable by anyone on the network.
func CheckBind(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w (want host:port, e.g. 127.0.0.1:8765)", addr, err)
	}
	if token == "" && (host == "" || !isLoopbackHost(host)) {
		return fmt.Errorf("--addr %s is not a loopback address: set %s to a bearer token to serve beyond this machine", addr, TokenEnv)
	}
	return nil
}

// NewHTTPServer returns an http.Server for h with timeouts, so a slow or stalled client cannot
// hold connections open forever.
func NewHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	s := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	if log != nil {
		s.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return s
}
