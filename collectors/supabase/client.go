package supabase

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/httpguard"
	"github.com/infragraph/infragraph/retry"
	"github.com/infragraph/infragraph/telemetry"
)

// DefaultRequestsPerMinute is the Management API's documented limit: 120 requests a minute per
// user, per scope (a project or an organization; the user itself for GET /v1/projects and
// GET /v1/organizations) and per endpoint; past it every call to that endpoint in that scope
// gets 429 until the minute is over. A few endpoints are stricter: GET
// /v1/projects/{ref}/config/vanity-subdomain allows 10 a minute. Source: the Management API
// reference, "Rate limits" (https://supabase.com/docs/reference/api/introduction; its text is
// supabase/supabase apps/docs/content/_partials/api_rate_limits.mdx, read at 0745a3e in December
// 2026). So a project's ten reads each count against their own budget: reading 300 projects
// is 3,000 requests but never more than one to any endpoint of any scope.
const DefaultRequestsPerMinute = 120

// stricter are the documented endpoint exceptions we call, by path suffix, a minute.
var stricter = map[string]int{"/config/vanity-subdomain": 10}

const (
	maxAttempts  = 5
	maxRetryWait = 65 * time.Second // one full rate-limit window and a little
	userAgent    = "infragraph-discover"
)

// ErrUnauthorized is returned for 401: the token is missing, expired or revoked.
var ErrUnauthorized = errors.New("the access token was rejected (401)") // the runner adds where it came from

// apiError is a non-2xx answer from the Management API.
type apiError struct {
	Method  string // GET when empty
	Status  int
	Path    string
	Message string
}

func (e *apiError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", cmp.Or(e.Method, http.MethodGet), e.Path, e.Status, msg)
}

// gated reports whether the status means "not available to this plan or token" rather than a
// fault: 402 (plan), 403 (scope), 404 (feature not enabled for the project).
func (e *apiError) gated() bool {
	return e.Status == http.StatusPaymentRequired || e.Status == http.StatusForbidden || e.Status == http.StatusNotFound
}

// client is a small typed client for the Supabase Management API (v1). It paces itself below the
// documented rate limit, waits out 429s and retries 5xx a bounded number of times.
type client struct {
	base    *url.URL
	token   evidence.Secret
	http    *http.Client
	limits  *limits
	rtt     rtt           // round trips measured so far, for the plan
	backoff time.Duration // first 5xx/transport retry wait; doubles each attempt
	sleep   func(ctx context.Context, d time.Duration) error
}

func newClient(base string, token evidence.Secret, perMinute int) (*client, error) {
	if base == "" {
		base = DefaultAPIURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return nil, fmt.Errorf("api_url: %w", err)
	}
	// Keep an idle connection for every request that may be in flight (a project's reads at
	// once, projectsInFlight projects): the default of two per host would close most of them
	// after each answer and open (and, against the real API, TLS-handshake) new ones for the next
	// project's reads.
	var rt http.RoundTripper = http.DefaultTransport
	if t, ok := rt.(*http.Transport); ok { // something may have wrapped it
		t = t.Clone()
		t.MaxIdleConnsPerHost = projectsInFlight * (readsPerProject + catalogReads)
		rt = t
	}
	return &client{
		base:    u,
		token:   token,
		http:    httpguard.Guard(&http.Client{Timeout: 60 * time.Second, Transport: telemetry.Transport(rt)}, maxBody),
		limits:  newLimits(perMinute),
		backoff: 500 * time.Millisecond,
		sleep:   retry.Sleep,
	}, nil
}

// newLimiter never lets more than perMinute requests start in any 60-second window: a small
// burst b, refilled at (perMinute-b)/60 per second, so b + 60·rate = perMinute.
func newLimiter(perMinute int) *rate.Limiter {
	burst := perMinute / 12
	if burst < 1 {
		burst = 1
	}
	if burst >= perMinute {
		return rate.NewLimiter(rate.Limit(float64(perMinute)/60), perMinute)
	}
	return rate.NewLimiter(rate.Limit(float64(perMinute-burst)/60), burst)
}

// maxBody caps one answer (httpguard.LimitBody). The largest are the catalog queries' rows: a
// project with thousands of functions and triggers answers a few MiB.
const maxBody = 32 << 20

// rtt averages the round trips of the requests made so far.
type rtt struct {
	mu    sync.Mutex
	total time.Duration
	n     int
}

func (r *rtt) add(d time.Duration) { r.mu.Lock(); r.total += d; r.n++; r.mu.Unlock() }

// mean is the average round trip, or def before any.
func (r *rtt) mean(def time.Duration) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return def
	}
	return r.total / time.Duration(r.n)
}

// limits paces requests the way the Management API counts them: one limiter per path (a path
// names its scope and endpoint) at the documented limit, and optionally one across all paths
// (requests_per_minute). Every answer's X-RateLimit-Limit, -Remaining and -Reset are read: a
// path's limiter follows the limit the API states for it, and a path with nothing remaining
// waits for its reset instead of spending a request on a 429.
type limits struct {
	mu      sync.Mutex
	overall *rate.Limiter // nil: no cap across paths
	byPath  map[string]*pathLimit
}

type pathLimit struct {
	lim   *rate.Limiter
	limit int       // requests a minute it was built for
	until time.Time // nothing remaining before then
}

func newLimits(overallPerMinute int) *limits {
	l := &limits{byPath: map[string]*pathLimit{}}
	if overallPerMinute > 0 {
		l.overall = newLimiter(overallPerMinute)
	}
	return l
}

func (l *limits) path(path string) *pathLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.byPath[path]
	if p == nil {
		limit := DefaultRequestsPerMinute
		for suffix, n := range stricter {
			if strings.HasSuffix(path, suffix) {
				limit = n
			}
		}
		p = &pathLimit{lim: newLimiter(limit), limit: limit}
		l.byPath[path] = p
	}
	return p
}

// wait blocks until a request to path may start; sleep waits out a reset.
func (l *limits) wait(ctx context.Context, path string, sleep func(context.Context, time.Duration) error) error {
	if l.overall != nil {
		if err := l.overall.Wait(ctx); err != nil {
			return err
		}
	}
	p := l.path(path)
	l.mu.Lock()
	until := p.until
	l.mu.Unlock()
	if d := time.Until(until); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	return p.lim.Wait(ctx)
}

// observe reads an answer's rate-limit headers for path (a 429's wait is the retry's).
func (l *limits) observe(path string, status int, h http.Header) {
	p := l.path(path)
	l.mu.Lock()
	defer l.mu.Unlock()
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit"))); err == nil && n > 0 && n != p.limit {
		fresh := newLimiter(n)
		p.lim.SetLimit(fresh.Limit())
		p.lim.SetBurst(fresh.Burst())
		p.limit = n
	}
	if rem, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining"))); err == nil && rem <= 0 && status != http.StatusTooManyRequests {
		if reset, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 64); err == nil && reset > 0 && reset <= maxRetryWait.Seconds() {
			p.until = time.Now().Add(time.Duration(reset * float64(time.Second)))
		}
	}
}

// get fetches path (with query) and decodes the JSON answer into out.
func (c *client) get(ctx context.Context, path string, query url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, query, nil, out)
}

// do sends one request (a JSON body when body is not nil) and decodes the JSON answer into out.
// Every request, whatever its method, is paced by the same per-path and overall limits, before
// each attempt; the retries are retry.Transport's (policy).
func (c *client) do(ctx context.Context, method, path string, query url.Values, body []byte, out any) error {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // replayed on a retry (GetBody)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.policy(path).RoundTrip(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		case retry.Permanent(err): // refused, unresolvable, untrusted: the cause as it is, at once
			return fmt.Errorf("%s %s: %w", method, path, scrubURLError(err))
		}
		return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, fmt.Errorf("%s %s: %w", method, path, scrubURLError(err)))
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	case resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, &apiError{Method: method, Status: resp.StatusCode, Path: path, Message: "rate limited"})
	case resp.StatusCode >= 500:
		return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, &apiError{Method: method, Status: resp.StatusCode, Path: path, Message: errorMessage(answer, c.token.Reveal())})
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return &apiError{Method: method, Status: resp.StatusCode, Path: path, Message: errorMessage(answer, c.token.Reveal())}
	}
	// No Management API answer is `null` (lists are arrays, the rest objects): decoding it
	// would leave an empty list, an account without projects, and every project of the
	// last scan would be dropped instead of carried forward stale (issue #26 item 10).
	if t := bytes.TrimSpace(answer); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return fmt.Errorf("%s %s: the answer is %s, not the JSON the Management API documents", method, path, cmp.Or(string(t), "empty"))
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the expected JSON: %w", method, path, err)
	}
	return nil
}

// policy is Supabase's retry.Transport for a request to path: maxAttempts in all; a 429 waits
// Retry-After (seconds or an HTTP date), else X-RateLimit-Reset (seconds until the window
// resets, per Supabase's docs; a date already past may be our clock running ahead, so the reset
// is trusted then), else a full window, never more than maxRetryWait; a 5xx or a transport
// error backs off from c.backoff, doubling. Each attempt waits for the limits, is timed for the
// plan (rtt), and its answer's X-RateLimit-* headers are read into the limits (observe).
func (c *client) policy(path string) *retry.Transport {
	return &retry.Transport{
		Next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sent := time.Now()
			resp, err := c.http.Do(r)
			c.rtt.add(time.Since(sent))
			if err == nil {
				c.limits.observe(path, resp.StatusCode, resp.Header)
			}
			return resp, err
		}),
		Retries: maxAttempts - 1, RateRetries: maxAttempts - 1, MaxAttempts: maxAttempts,
		Backoff:   c.backoff,
		Retryable: func(status int) bool { return status == http.StatusTooManyRequests || status >= 500 },
		Reset:     retry.Reset, RateDefault: 60 * time.Second, MaxWait: maxRetryWait, CapWait: true,
		Before: func(ctx context.Context, _ *http.Request) error { return c.limits.wait(ctx, path, c.sleep) },
		Sleep:  func(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) },
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// errorMessage takes the "message" of a Management API error body, scrubbed of the token and
// anything secret-looking (evidence.Scrub: an API may echo what it was sent) and shortened;
// bodies that are not JSON are not echoed (they could be anything).
func errorMessage(body []byte, token string) string {
	var e struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	m := e.Message
	if m == "" {
		m = e.Error
	}
	return evidence.Scrub(m, token)
}

// scrubURLError drops the URL from a transport error (it never holds the token, but keep errors
// short and stable).
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Wire types: only the fields we use, with Supabase's names (packages/api/src/generated/openapi.json
// in supabase/cli). Secret-bearing fields (api_key, hash, secret values, auth secrets) are not
// declared, so they are never decoded into memory we keep.

type apiOrganization struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type apiProject struct {
	ID               string `json:"id"`
	Ref              string `json:"ref"`
	OrganizationID   string `json:"organization_id"`
	OrganizationSlug string `json:"organization_slug"`
	Name             string `json:"name"`
	Region           string `json:"region"`
	Status           string `json:"status"`
	Database         struct {
		Host           string `json:"host"`
		Version        string `json:"version"`
		PostgresEngine string `json:"postgres_engine"`
		ReleaseChannel string `json:"release_channel"`
	} `json:"database"`
}

type apiBranch struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	ProjectRef       string `json:"project_ref"`
	ParentProjectRef string `json:"parent_project_ref"`
	IsDefault        bool   `json:"is_default"`
	GitBranch        string `json:"git_branch"`
	PRNumber         int    `json:"pr_number"`
	Persistent       bool   `json:"persistent"`
	Status           string `json:"status"`
}

type apiFunction struct {
	ID             string `json:"id"`
	Slug           string `json:"slug"`
	Name           string `json:"name"`
	Status         string `json:"status"`
	Version        int    `json:"version"`
	VerifyJWT      *bool  `json:"verify_jwt"`
	EntrypointPath string `json:"entrypoint_path"`
}

type apiSecret struct {
	Name string `json:"name"` // "value" (a digest) is deliberately not decoded
}

type apiKey struct {
	ID     *string `json:"id"`
	Name   string  `json:"name"`
	Type   *string `json:"type"`
	Prefix *string `json:"prefix"`
}

type apiPooler struct {
	Identifier   string `json:"identifier"`
	DatabaseType string `json:"database_type"`
	DBUser       string `json:"db_user"`
	DBHost       string `json:"db_host"`
	DBPort       int    `json:"db_port"`
	DBName       string `json:"db_name"`
	PoolMode     string `json:"pool_mode"`
}

type apiCustomHostname struct {
	Status         string `json:"status"`
	CustomHostname string `json:"custom_hostname"`
}

type apiVanity struct {
	Status       string `json:"status"`
	CustomDomain string `json:"custom_domain"`
}

type apiNetworkRestrictions struct {
	Entitlement string `json:"entitlement"`
	Status      string `json:"status"`
	Config      struct {
		V4 []string `json:"dbAllowedCidrs"`
		V6 []string `json:"dbAllowedCidrsV6"`
	} `json:"config"`
}

type apiBucket struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Public bool   `json:"public"`
}

// apiAuthConfig decodes only evidence fields; hook URIs are found by name in a raw map that is
// dropped right after (see authEvidence).
type apiAuthConfig map[string]json.RawMessage

func (c *client) organizations(ctx context.Context) ([]apiOrganization, error) {
	var out []apiOrganization
	return out, c.get(ctx, "/v1/organizations", nil, &out)
}

func (c *client) projects(ctx context.Context) ([]apiProject, error) {
	var out []apiProject
	return out, c.get(ctx, "/v1/projects", nil, &out)
}

func (c *client) branches(ctx context.Context, ref string) ([]apiBranch, error) {
	var out []apiBranch
	return out, c.get(ctx, "/v1/projects/"+ref+"/branches", nil, &out)
}

func (c *client) functions(ctx context.Context, ref string) ([]apiFunction, error) {
	var out []apiFunction
	return out, c.get(ctx, "/v1/projects/"+ref+"/functions", nil, &out)
}

func (c *client) secrets(ctx context.Context, ref string) ([]apiSecret, error) {
	var out []apiSecret
	return out, c.get(ctx, "/v1/projects/"+ref+"/secrets", nil, &out)
}

func (c *client) apiKeys(ctx context.Context, ref string) ([]apiKey, error) {
	var out []apiKey
	return out, c.get(ctx, "/v1/projects/"+ref+"/api-keys", url.Values{"reveal": {"false"}}, &out)
}

func (c *client) poolers(ctx context.Context, ref string) ([]apiPooler, error) {
	var out []apiPooler
	return out, c.get(ctx, "/v1/projects/"+ref+"/config/database/pooler", nil, &out)
}

func (c *client) customHostname(ctx context.Context, ref string) (apiCustomHostname, error) {
	var out apiCustomHostname
	return out, c.get(ctx, "/v1/projects/"+ref+"/custom-hostname", nil, &out)
}

func (c *client) vanitySubdomain(ctx context.Context, ref string) (apiVanity, error) {
	var out apiVanity
	return out, c.get(ctx, "/v1/projects/"+ref+"/vanity-subdomain", nil, &out)
}

func (c *client) networkRestrictions(ctx context.Context, ref string) (apiNetworkRestrictions, error) {
	var out apiNetworkRestrictions
	return out, c.get(ctx, "/v1/projects/"+ref+"/network-restrictions", nil, &out)
}

func (c *client) buckets(ctx context.Context, ref string) ([]apiBucket, error) {
	var out []apiBucket
	return out, c.get(ctx, "/v1/projects/"+ref+"/storage/buckets", nil, &out)
}

func (c *client) authConfig(ctx context.Context, ref string) (apiAuthConfig, error) {
	var out apiAuthConfig
	return out, c.get(ctx, "/v1/projects/"+ref+"/config/auth", nil, &out)
}

// readOnlyQuery runs sql through POST /v1/projects/{ref}/database/query/read-only (operationId
// v1-read-only-query in packages/api/src/generated/openapi.json of supabase/cli; body
// {"query", "parameters"}, answer 201 with the rows as a JSON array of objects). Supabase runs it
// as supabase_read_only_user in a read-only transaction; that role is created "with login
// bypassrls" and granted pg_read_all_data (supabase/postgres
// migrations/db/init-scripts/00000000000000-initial-schema.sql), so it sees cron.job past
// pg_cron's row security, and vault.secrets, of which only names are selected. The request counts against the project's
// budget for that endpoint like every other call (limits, by path).
func (c *client) readOnlyQuery(ctx context.Context, ref, sql string) ([]map[string]json.RawMessage, error) {
	body, err := json.Marshal(struct {
		Query      string `json:"query"`
		Parameters []any  `json:"parameters"`
	}{sql, []any{}})
	if err != nil {
		return nil, err
	}
	var rows []map[string]json.RawMessage
	return rows, c.do(ctx, http.MethodPost, "/v1/projects/"+ref+"/database/query/read-only", nil, body, &rows)
}
