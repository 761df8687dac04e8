package vercel

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

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/httpguard"
	"github.com/infragraph/infragraph/retry"
	"github.com/infragraph/infragraph/telemetry"
)

// Client is a small typed client for the parts of the Vercel REST API the collector reads
// (vercel/sdk:vercel-spec.json). Struct fields carry Vercel's JSON names; fields that hold secrets
// (deployHooks[].url, protectionBypass, passwordProtection, drain secrets and header values,
// edge-config tokens) are deliberately not modelled, so they are never decoded into memory that
// outlives a response.
type Client struct {
	base  string
	token evidence.Secret
	http  *http.Client

	// Retry policy. 429: wait Retry-After / X-RateLimit-Reset (at most MaxWait) up to
	// MaxRateRetries times; 5xx and transport errors: Backoff doubling, MaxRetries times.
	MaxRateRetries int
	MaxRetries     int
	Backoff        time.Duration
	MaxWait        time.Duration
	// PageLimit is the page size asked for (Vercel caps most lists at 100); MaxPages bounds one
	// list walk.
	PageLimit int
	MaxPages  int

	// wait sleeps for d or until ctx is done (tests replace it to record waits).
	wait func(ctx context.Context, d time.Duration) error
	now  func() time.Time
	// slots, when set, bounds the requests in flight (a retry's wait holds none): the
	// collector's reads run concurrently at several levels, the requests stay within its pool.
	slots chan struct{}
}

// maxBody caps one answer (httpguard.LimitBody): a page of 100 projects or deployments is
// well under 1 MiB; an environment listing with decrypted values can be a few MiB.
const maxBody = 64 << 20

// NewClient returns a client for base (DefaultAPIURL when empty).
func NewClient(base string, token evidence.Secret, hc *http.Client) *Client {
	if base == "" {
		base = DefaultAPIURL
	}
	if hc == nil {
		// Keep enough idle connections for the collector's parallel project reads (the default
		// of 2 per host makes every extra request open a new connection).
		var rt http.RoundTripper = http.DefaultTransport
		if t, ok := rt.(*http.Transport); ok {
			t = t.Clone()
			t.MaxIdleConnsPerHost = 16
			rt = t
		}
		hc = &http.Client{Timeout: 60 * time.Second, Transport: telemetry.Transport(rt)}
	}
	return &Client{
		base: strings.TrimRight(base, "/"), token: token, http: httpguard.Guard(hc, maxBody),
		MaxRateRetries: 5, MaxRetries: 3, Backoff: 500 * time.Millisecond, MaxWait: 60 * time.Second,
		PageLimit: 100, MaxPages: 200,
		wait: retry.Sleep, now: time.Now,
	}
}

// APIError is a non-2xx answer. Vercel's error body is {"error":{"code","message"}}; the body
// itself is never kept (it may echo what was sent).
type APIError struct {
	Status  int
	Code    string
	Message string
	Path    string
	// InvalidToken is Vercel's flag on a rejected credential: an expired or revoked token gets
	// 403 {"error":{"code":"forbidden","invalidToken":true}}, not a 401.
	InvalidToken bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s", e.Path, e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Status == http.StatusUnauthorized || e.InvalidToken {
		b.WriteString(" — the token was rejected") // the runner adds where it came from
	}
	return b.String()
}

// IsStatus reports whether err is an APIError with one of the statuses.
func IsStatus(err error, statuses ...int) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, s := range statuses {
		if ae.Status == s {
			return true
		}
	}
	return false
}

// Rejected reports whether err says the token itself was refused (401, or 403 with invalidToken):
// the whole instance fails then, unlike a 403 on one plan-gated endpoint.
func Rejected(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.InvalidToken)
}

// Scope is the account a call acts on: the personal scope (empty) or a team, by its id or, when
// only that is known, its slug (the API takes either: `teamId` or `slug`).
type Scope struct {
	TeamID string
	Slug   string
}

func (s Scope) query(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	switch {
	case s.TeamID != "":
		q.Set("teamId", s.TeamID)
	case s.Slug != "":
		q.Set("slug", s.Slug)
	}
	return q
}

// get performs one GET with retries (retry.Transport, policy) and decodes the JSON answer into v.
func (c *Client) get(ctx context.Context, path string, q url.Values, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "infragraph-discover")
	rateTries := 0
	resp, err := c.policy(&rateTries).RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s: %w", path, scrubURLError(err))
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s: read response: %w", path, scrubURLError(err))
	}
	switch status := resp.StatusCode; {
	case status == http.StatusTooManyRequests && rateTries >= c.MaxRateRetries:
		return fmt.Errorf("%s: rate limited (429) %d times, giving up", path, rateTries+1)
	case status == http.StatusTooManyRequests:
		return fmt.Errorf("%s: rate limited (429) for %s, longer than the %s wait cap and the collector's remaining time", path, c.retryAfter(resp.Header).Round(time.Second), c.MaxWait)
	case status < 200 || status > 299:
		return apiError(path, status, body, c.token.Reveal())
	}
	// No Vercel answer is `null` (lists are objects or arrays, the rest objects): decoding it
	// would leave an empty list, a team without projects, and every project of the last
	// scan would be dropped instead of carried forward stale (issue #26 item 10).
	if t := bytes.TrimSpace(body); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return fmt.Errorf("%s: %w: the answer is %s", path, ErrShape, cmp.Or(string(t), "empty"))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: decode response: %w", path, decodeErr(err))
	}
	return nil
}

// policy is Vercel's retry.Transport: a 429 waits Retry-After, else X-RateLimit-Reset (epoch
// seconds), else a second, MaxRateRetries times, and a wait longer than MaxWait only when the
// collector's time allows it (withinBudget); a 5xx or a transport error backs off from Backoff,
// doubling, MaxRetries times. Each attempt is one c.http.Do (its timeout, httpguard's rules) in
// a request slot (send).
// rateTries, when not nil, counts the 429 retries.
func (c *Client) policy(rateTries *int) *retry.Transport {
	return &retry.Transport{
		Next:    roundTripFunc(c.send),
		Retries: c.MaxRetries, RateRetries: c.MaxRateRetries,
		Backoff: c.Backoff, Reset: retry.Reset, RateDefault: time.Second,
		Retryable: func(status int) bool { return status == http.StatusTooManyRequests || status >= 500 },
		MaxWait:   c.MaxWait, Budget: withinBudget,
		OnRetry: func(status int, _ time.Duration) {
			if status == http.StatusTooManyRequests && rateTries != nil {
				*rateTries++
			}
		},
		Sleep: func(ctx context.Context, d time.Duration) error { return c.wait(ctx, d) },
		Now:   func() time.Time { return c.now() },
	}
}

// withinBudget reports whether waiting d still leaves the collector time to finish: ctx carries
// the collector's own timeout (collectors.Run), and a 429 window longer than MaxWait is waited
// out when it ends well before that deadline (a tenth of what is left, at least 5 s, stays for
// the rest of the scan) instead of failing the family (issue #20). Without a deadline there is
// no budget to spend, and MaxWait is the cap.
func withinBudget(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return false
	}
	left := time.Until(deadline)
	return d <= left-max(left/10, 5*time.Second)
}

// ErrShape is an answer without the shape Vercel's API documents: a failure of what asked for
// it, never an empty result.
var ErrShape = errors.New("not the shape the Vercel API documents")

// decodeErr keeps json errors free of payload text: syntax errors carry only an offset, type
// errors only field names and types.
func decodeErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %s: got JSON %s, want %s", te.Field, te.Value, te.Type)
	}
	return errors.New("not the expected JSON")
}

// scrubURLError drops the URL from transport errors: ours hold only ids and cursors, but an
// error message is no place for a query string.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// send makes one attempt with c.http, holding one of the request slots until its body is closed
// (a retry's wait holds none).
func (c *Client) send(req *http.Request) (*http.Response, error) {
	if c.slots == nil {
		return c.http.Do(req)
	}
	select {
	case c.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp, err := c.http.Do(req)
	if err != nil {
		<-c.slots
		return nil, err
	}
	resp.Body = &releaseOnClose{ReadCloser: resp.Body, release: func() { <-c.slots }}
	return resp, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// releaseOnClose calls release once, when the body is closed.
type releaseOnClose struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// retryAfter is a 429's wait under the policy: Retry-After (seconds or an HTTP date), else
// X-RateLimit-Reset (epoch seconds), else one second.
func (c *Client) retryAfter(h http.Header) time.Duration {
	return c.policy(nil).RateWait(h, c.now(), 0)
}

// apiError reads Vercel's error body. Its message is scrubbed (evidence.Scrub) of the token and
// anything secret-looking: an API may echo what it was sent.
func apiError(path string, status int, body []byte, token string) error {
	e := &APIError{Status: status, Path: path}
	var eb struct {
		Error struct {
			Code         string `json:"code"`
			Message      string `json:"message"`
			InvalidToken bool   `json:"invalidToken"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &eb) == nil {
		e.Code, e.InvalidToken = eb.Error.Code, eb.Error.InvalidToken
		e.Message = evidence.Scrub(eb.Error.Message, token)
	}
	return e
}

// Cursor is pagination.next: a millisecond timestamp on most endpoints, a base32 continuation
// token on GET /v10/projects (vercel/sdk: GetProjectsPagination1). Empty means no more pages.
type Cursor string

// UnmarshalJSON accepts a number, a string or null.
func (c *Cursor) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Cursor(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*c = Cursor(n.String())
	}
	return nil
}

// Pagination is Vercel's pagination object.
type Pagination struct {
	Count int    `json:"count"`
	Next  Cursor `json:"next"`
}

// ErrPagesTruncated marks a list walk that stopped early (a repeated cursor or the page cap):
// the items gathered so far are returned with it.
var ErrPagesTruncated = errors.New("pagination stopped early")

// pages walks a paginated list: fetch gets one page for a cursor ("" first) and returns the
// page's next cursor; stop, if set, ends the walk early when the caller has what it needs.
// A cursor that repeats or a walk longer than MaxPages ends with ErrPagesTruncated instead of
// spinning (Vercel pages some endpoints with `until`, others with `from`; a wrong guess loops).
func (c *Client) pages(ctx context.Context, what string, fetch func(cursor Cursor) (Cursor, error), stop func() bool) error {
	seen := map[Cursor]bool{}
	var cur Cursor
	for page := 1; ; page++ {
		next, err := fetch(cur)
		if err != nil {
			return err
		}
		if next == "" || (stop != nil && stop()) {
			return nil
		}
		if next == cur || seen[next] {
			return fmt.Errorf("%s: %w: the cursor repeated after page %d", what, ErrPagesTruncated, page)
		}
		if page >= c.MaxPages {
			return fmt.Errorf("%s: %w: more than %d pages", what, ErrPagesTruncated, c.MaxPages)
		}
		seen[next] = true
		cur = next
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// list walks a paginated endpoint whose page is {<key>: [...], pagination}, with the cursor in
// param (`until` on most endpoints, `from` on /v10/projects).
func list[T any](ctx context.Context, c *Client, s Scope, path, key, param string, extra url.Values, stop func([]T) bool) ([]T, error) {
	var all []T
	err := c.pages(ctx, path, func(cur Cursor) (Cursor, error) {
		q := s.query(url.Values{})
		for k, v := range extra {
			q[k] = v
		}
		q.Set("limit", strconv.Itoa(c.PageLimit))
		if cur != "" {
			q.Set(param, string(cur))
		}
		var page map[string]json.RawMessage
		if err := c.get(ctx, path, q, &page); err != nil {
			return "", err
		}
		var items []T
		raw, ok := page[key]
		if !ok || string(raw) == "null" {
			return "", fmt.Errorf("%s: %w: no %q list (an empty one is %q: [])", path, ErrShape, key, key)
		}
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", fmt.Errorf("%s: decode %s: %w", path, key, decodeErr(err))
		}
		all = append(all, items...)
		var p Pagination
		if raw, ok := page["pagination"]; ok {
			if err := json.Unmarshal(raw, &p); err != nil {
				return "", fmt.Errorf("%s: decode pagination: %w", path, decodeErr(err))
			}
		}
		return p.Next, nil
	}, func() bool { return stop != nil && stop(all) })
	return all, err
}

// getArray fetches an unpaginated endpoint that answers a JSON array.
func getArray[T any](ctx context.Context, c *Client, s Scope, path string, extra url.Values) ([]T, error) {
	q := s.query(url.Values{})
	for k, v := range extra {
		q[k] = v
	}
	var out []T
	if err := c.get(ctx, path, q, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// StringList decodes a JSON string or array of strings (env-var `target` is either).
type StringList []string

// UnmarshalJSON accepts a string, an array of strings or null.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = StringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*l = ss
	return nil
}

// discarded swallows a JSON value without keeping it (secret-bearing fields we must parse past).
type discarded struct{}

// UnmarshalJSON keeps nothing.
func (*discarded) UnmarshalJSON([]byte) error { return nil }

// --- wire types (vercel/sdk docs/models) ---

// User is GET /v2/user's user.
type User struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Name          string `json:"name"`
	DefaultTeamID string `json:"defaultTeamId"`
}

// Team is a team from GET /v2/teams or /v2/teams/{id}. inviteCode, saml and the rest are left out.
type Team struct {
	ID      string `json:"id"`
	Slug    string `json:"slug"`
	Name    string `json:"name"`
	Billing *struct {
		Plan string `json:"plan"`
	} `json:"billing"`
}

// Project is a project from GET /v10/projects.
type Project struct {
	ID                       string                   `json:"id"`
	Name                     string                   `json:"name"`
	AccountID                string                   `json:"accountId"`
	Framework                string                   `json:"framework"`
	RootDirectory            string                   `json:"rootDirectory"`
	NodeVersion              string                   `json:"nodeVersion"`
	ServerlessFunctionRegion string                   `json:"serverlessFunctionRegion"`
	ConnectConfigurationID   string                   `json:"connectConfigurationId"` // deprecated
	ConnectConfigurations    []ConnectConfiguration   `json:"connectConfigurations"`
	Link                     *ProjectLink             `json:"link"`
	ResourceConfig           *ResourceConfig          `json:"resourceConfig"`
	Targets                  map[string]*TargetDeploy `json:"targets"`
	LatestDeployments        []TargetDeploy           `json:"latestDeployments"`
	Alias                    []ProjectAlias           `json:"alias"`
}

// ConnectConfiguration is one entry of project.connectConfigurations: the Secure Compute network
// an environment's functions (and, with buildsEnabled, builds) run in (vercel/sdk docs/models
// GetProjectsConnectConfigurations / UpdateProjectConnectConfigurations: envId,
// connectConfigurationId, passive, buildsEnabled). It supersedes the deprecated top-level
// connectConfigurationId, which names one network for the whole project.
type ConnectConfiguration struct {
	EnvID                  string `json:"envId"`
	ConnectConfigurationID string `json:"connectConfigurationId"`
	Passive                bool   `json:"passive"`
	BuildsEnabled          bool   `json:"buildsEnabled"`
}

// SecureNetworks returns the project's Secure Compute network ids: connectConfigurations first
// (in their order), then the deprecated connectConfigurationId if it names another one
// (issue #20).
func (p Project) SecureNetworks() []string {
	var ids []string
	seen := map[string]bool{}
	for _, cc := range p.ConnectConfigurations {
		if id := cc.ConnectConfigurationID; id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if id := p.ConnectConfigurationID; id != "" && !seen[id] {
		ids = append(ids, id)
	}
	return ids
}

// ResourceConfig holds a project's function regions.
type ResourceConfig struct {
	FunctionDefaultRegions []string `json:"functionDefaultRegions"`
}

// ProjectAlias is one entry of a project's alias[] (a domain assigned to it).
type ProjectAlias struct {
	Domain      string `json:"domain"`
	Environment string `json:"environment"`
	Target      string `json:"target"`
}

// TargetDeploy is a deployment summary in project.targets / latestDeployments.
type TargetDeploy struct {
	ID                     string            `json:"id"`
	URL                    string            `json:"url"`
	Alias                  []string          `json:"alias"`
	AutomaticAliases       []string          `json:"automaticAliases"`
	Target                 string            `json:"target"`
	ReadyState             string            `json:"readyState"`
	CreatedAt              int64             `json:"createdAt"`
	Meta                   map[string]string `json:"meta"`
	ConnectConfigurationID string            `json:"connectConfigurationId"`
}

// ProjectLink is project.link: github / github-limited / github-custom-host (org, repo, host),
// gitlab (projectUrl, projectNamespace, projectName), bitbucket (owner, slug), vercel,
// cursor-origin (owner, repo). deployHooks[].url embeds a token and is not decoded.
type ProjectLink struct {
	Type             string `json:"type"`
	Org              string `json:"org"`
	Repo             string `json:"repo"`
	Host             string `json:"host"`
	ProjectURL       string `json:"projectUrl"`
	ProjectNamespace string `json:"projectNamespace"`
	ProjectName      string `json:"projectName"`
	Owner            string `json:"owner"`
	Slug             string `json:"slug"`
	ProductionBranch string `json:"productionBranch"`
	DeployHooks      []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Ref  string `json:"ref"`
	} `json:"deployHooks"`
}

// ContentHint says what an integration-managed env var holds and which store it came from.
type ContentHint struct {
	Type                       string `json:"type"`
	StoreID                    string `json:"storeId"`
	IntegrationID              string `json:"integrationId"`
	IntegrationConfigurationID string `json:"integrationConfigurationId"`
	ProjectID                  string `json:"projectId"`
}

// EnvVar is an env var from GET /v10/projects/{p}/env or /v1/projects/{p}/env/{id}. Value is
// read only to derive evidence and cleared right after (see readEnvValue).
type EnvVar struct {
	ID                   string       `json:"id"`
	Key                  string       `json:"key"`
	Type                 string       `json:"type"` // plain, encrypted, sensitive, system, secret
	Target               StringList   `json:"target"`
	GitBranch            string       `json:"gitBranch"`
	CustomEnvironmentIDs []string     `json:"customEnvironmentIds"`
	ConfigurationID      string       `json:"configurationId"`
	EdgeConfigID         string       `json:"edgeConfigId"`
	ContentHint          *ContentHint `json:"contentHint"`
	Value                string       `json:"value"`
	Decrypted            bool         `json:"decrypted"`
}

// SharedEnvVar is a team-level env var from GET /v1/env.
type SharedEnvVar struct {
	ID        string     `json:"id"`
	Key       string     `json:"key"`
	Type      string     `json:"type"`
	Target    StringList `json:"target"`
	ProjectID []string   `json:"projectId"`
	Value     string     `json:"value"`
	Decrypted bool       `json:"decrypted"`
}

// Deployment is a deployment from GET /v6/deployments.
type Deployment struct {
	UID                    string            `json:"uid"`
	Name                   string            `json:"name"`
	ProjectID              string            `json:"projectId"`
	URL                    string            `json:"url"`
	Target                 *string           `json:"target"`
	State                  string            `json:"state"`
	ReadyState             string            `json:"readyState"`
	Source                 string            `json:"source"`
	CreatedAt              int64             `json:"createdAt"`
	Created                int64             `json:"created"`
	Meta                   map[string]string `json:"meta"`
	ConnectConfigurationID string            `json:"connectConfigurationId"`
}

// Domain is a domain from GET /v5/domains.
type Domain struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	Verified            bool     `json:"verified"`
	ServiceType         string   `json:"serviceType"`
	Nameservers         []string `json:"nameservers"`
	IntendedNameservers []string `json:"intendedNameservers"`
	CustomNameservers   []string `json:"customNameservers"`
	CreatedAt           int64    `json:"createdAt"`
}

// DNSRecord is a record from GET /v5/domains/{d}/records.
type DNSRecord struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Value      string `json:"value"`
	TTL        int64  `json:"ttl"`
	MXPriority int64  `json:"mxPriority"`
	Priority   int64  `json:"priority"`
}

// ProjectDomain is a domain assigned to a project, from GET /v9/projects/{p}/domains.
type ProjectDomain struct {
	Name                string `json:"name"`
	ApexName            string `json:"apexName"`
	ProjectID           string `json:"projectId"`
	Redirect            string `json:"redirect"`
	RedirectStatusCode  int64  `json:"redirectStatusCode"`
	GitBranch           string `json:"gitBranch"`
	CustomEnvironmentID string `json:"customEnvironmentId"`
	Verified            bool   `json:"verified"`
}

// Alias is an alias from GET /v4/aliases. protectionBypass (secret keys) is not decoded.
type Alias struct {
	UID          string `json:"uid"`
	Alias        string `json:"alias"`
	DeploymentID string `json:"deploymentId"`
	ProjectID    string `json:"projectId"`
	Redirect     string `json:"redirect"`
	Deployment   *struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"deployment"`
}

// IntegrationConfig is an installed integration from GET /v1/integrations/configurations.
type IntegrationConfig struct {
	ID               string   `json:"id"`
	IntegrationID    string   `json:"integrationId"`
	Slug             string   `json:"slug"`
	Projects         []string `json:"projects"`
	ProjectSelection string   `json:"projectSelection"` // all | selected
	Scopes           []string `json:"scopes"`
	Source           string   `json:"source"`
	Type             string   `json:"type"`
	InstallationType string   `json:"installationType"`
	Status           string   `json:"status"`
}

// EdgeConfig is an Edge Config from GET /v1/edge-config (tokens are never listed).
type EdgeConfig struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	OwnerID     string `json:"ownerId"`
	ItemCount   int64  `json:"itemCount"`
	SizeInBytes int64  `json:"sizeInBytes"`
}

// Store is a storage store from GET /v1/storage/stores (terraform-provider-vercel client/blob.go;
// not in the public spec). ProjectsMetadata nil means "not included": the store's own GET is read.
type Store struct {
	ID               string             `json:"id"`
	Name             string             `json:"name"`
	Type             string             `json:"type"`
	Region           string             `json:"region"`
	Status           string             `json:"status"`
	OwnerID          string             `json:"ownerId"`
	ProjectsMetadata *[]StoreConnection `json:"projectsMetadata"`
}

// StoreConnection is one project a store is connected to.
type StoreConnection struct {
	ProjectID    string   `json:"projectId"`
	Environments []string `json:"environments"`
	EnvVarPrefix string   `json:"envVarPrefix"`
}

// Drain is a log/trace drain from GET /v1/drains. delivery.secret and header values are parsed
// past, never kept.
type Drain struct {
	ID         string               `json:"id"`
	Name       string               `json:"name"`
	ProjectIDs []string             `json:"projectIds"`
	Status     string               `json:"status"`
	Schemas    map[string]discarded `json:"schemas"`
	Source     *struct {
		Kind                       string `json:"kind"`
		IntegrationID              string `json:"integrationId"`
		IntegrationConfigurationID string `json:"integrationConfigurationId"`
	} `json:"source"`
	Delivery *DrainDelivery `json:"delivery"`
}

// DrainDelivery is where a drain sends data. endpoint is a URL, or {traces: URL} for otlphttp.
type DrainDelivery struct {
	Type     string               `json:"type"`
	Endpoint drainEndpoint        `json:"endpoint"`
	Headers  map[string]discarded `json:"headers"`
	Region   string               `json:"region"`
}

type drainEndpoint []string

func (d *drainEndpoint) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = drainEndpoint{s}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil // an unknown shape: no endpoint facts
	}
	for _, v := range m {
		*d = append(*d, v)
	}
	return nil
}

// Webhook is a team webhook from GET /v1/webhooks (the secret is only shown at creation).
type Webhook struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	ProjectIDs []string `json:"projectIds"`
}

// Network is a Secure Compute network from GET /v1/connect/networks.
type Network struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Region            string   `json:"region"`
	AWSRegion         string   `json:"awsRegion"`
	CIDR              string   `json:"cidr"`
	VPCID             string   `json:"vpcId"`
	Status            string   `json:"status"`
	EgressIPAddresses []string `json:"egressIpAddresses"`
	Projects          *struct {
		IDs []string `json:"ids"`
	} `json:"projects"`
}

// --- endpoints ---

// User reads GET /v2/user.
func (c *Client) User(ctx context.Context) (User, error) {
	var r struct {
		User User `json:"user"`
	}
	err := c.get(ctx, "/v2/user", nil, &r)
	if err == nil && r.User.ID == "" {
		err = fmt.Errorf("/v2/user: %w: no user id", ErrShape)
	}
	return r.User, err
}

// Teams lists GET /v2/teams (paginated with until).
func (c *Client) Teams(ctx context.Context) ([]Team, error) {
	return list[Team](ctx, c, Scope{}, "/v2/teams", "teams", "until", nil, nil)
}

// Team reads GET /v2/teams/{id}.
func (c *Client) Team(ctx context.Context, id string) (Team, error) {
	var t Team
	err := c.get(ctx, "/v2/teams/"+url.PathEscape(id), nil, &t)
	if err == nil && t.ID == "" {
		err = fmt.Errorf("/v2/teams/%s: %w: no team id", url.PathEscape(id), ErrShape)
	}
	return t, err
}

// Projects lists GET /v10/projects. The v10 spec documents `from` ("timestamp or continuation
// token") as the page parameter and a string or numeric pagination.next.
func (c *Client) Projects(ctx context.Context, s Scope) ([]Project, error) {
	return list[Project](ctx, c, s, "/v10/projects", "projects", "from", nil, nil)
}

// EnvVars lists GET /v10/projects/{p}/env (until; most projects fit one page).
func (c *Client) EnvVars(ctx context.Context, s Scope, projectID string) ([]EnvVar, error) {
	return list[EnvVar](ctx, c, s, "/v10/projects/"+url.PathEscape(projectID)+"/env", "envs", "until", nil, nil)
}

// EnvVar reads GET /v1/projects/{p}/env/{id}, which answers an encrypted value decrypted.
func (c *Client) EnvVar(ctx context.Context, s Scope, projectID, envID string) (EnvVar, error) {
	var e EnvVar
	err := c.get(ctx, "/v1/projects/"+url.PathEscape(projectID)+"/env/"+url.PathEscape(envID), s.query(nil), &e)
	return e, err
}

// SharedEnvVars lists GET /v1/env.
func (c *Client) SharedEnvVars(ctx context.Context, s Scope) ([]SharedEnvVar, error) {
	return list[SharedEnvVar](ctx, c, s, "/v1/env", "data", "until", nil, nil)
}

// SharedEnvVar reads GET /v1/env/{id} (decrypted when encrypted).
func (c *Client) SharedEnvVar(ctx context.Context, s Scope, id string) (SharedEnvVar, error) {
	var e SharedEnvVar
	err := c.get(ctx, "/v1/env/"+url.PathEscape(id), s.query(nil), &e)
	return e, err
}

// deploymentsPath is the documented list endpoint: Vercel's REST reference, "List deployments",
// GET /v6/deployments (vercel.com/docs/rest-api/deployments/list-deployments; vercel/sdk
// getDeployments), with projectId, target, limit and until. /v7 answered too but is not
// documented anywhere (issue #20).
const deploymentsPath = "/v6/deployments"

// Deployments lists GET /v6/deployments?projectId= newest first, until stop says enough.
func (c *Client) Deployments(ctx context.Context, s Scope, projectID string, stop func([]Deployment) bool) ([]Deployment, error) {
	return list(ctx, c, s, deploymentsPath, "deployments", "until", url.Values{"projectId": {projectID}}, stop)
}

// LatestDeployment reads the newest deployment of a project for one target with
// GET /v6/deployments?projectId=&target=&limit=1 (the documented `target` filter): one request
// however many newer deployments other targets have. ok is false when there is none.
func (c *Client) LatestDeployment(ctx context.Context, s Scope, projectID, target string) (d Deployment, ok bool, err error) {
	q := s.query(url.Values{"projectId": {projectID}, "target": {target}, "limit": {"1"}})
	var page map[string]json.RawMessage
	if err := c.get(ctx, deploymentsPath, q, &page); err != nil {
		return Deployment{}, false, err
	}
	raw, has := page["deployments"]
	if !has || string(raw) == "null" {
		return Deployment{}, false, fmt.Errorf("%s: %w: no %q list", deploymentsPath, ErrShape, "deployments")
	}
	var ds []Deployment
	if err := json.Unmarshal(raw, &ds); err != nil {
		return Deployment{}, false, fmt.Errorf("%s: decode deployments: %w", deploymentsPath, decodeErr(err))
	}
	if len(ds) == 0 {
		return Deployment{}, false, nil
	}
	return ds[0], true, nil
}

// Domains lists GET /v5/domains.
func (c *Client) Domains(ctx context.Context, s Scope) ([]Domain, error) {
	return list[Domain](ctx, c, s, "/v5/domains", "domains", "until", nil, nil)
}

// Records lists GET /v5/domains/{d}/records.
func (c *Client) Records(ctx context.Context, s Scope, domain string) ([]DNSRecord, error) {
	return list[DNSRecord](ctx, c, s, "/v5/domains/"+url.PathEscape(domain)+"/records", "records", "until", nil, nil)
}

// ProjectDomains lists GET /v9/projects/{p}/domains.
func (c *Client) ProjectDomains(ctx context.Context, s Scope, projectID string) ([]ProjectDomain, error) {
	return list[ProjectDomain](ctx, c, s, "/v9/projects/"+url.PathEscape(projectID)+"/domains", "domains", "until", nil, nil)
}

// Aliases lists GET /v4/aliases.
func (c *Client) Aliases(ctx context.Context, s Scope) ([]Alias, error) {
	return list[Alias](ctx, c, s, "/v4/aliases", "aliases", "until", nil, nil)
}

// IntegrationConfigs lists GET /v1/integrations/configurations?view=account (an array).
func (c *Client) IntegrationConfigs(ctx context.Context, s Scope) ([]IntegrationConfig, error) {
	return getArray[IntegrationConfig](ctx, c, s, "/v1/integrations/configurations", url.Values{"view": {"account"}})
}

// EdgeConfigs lists GET /v1/edge-config (an array).
func (c *Client) EdgeConfigs(ctx context.Context, s Scope) ([]EdgeConfig, error) {
	return getArray[EdgeConfig](ctx, c, s, "/v1/edge-config", nil)
}

// Stores lists GET /v1/storage/stores ({stores: [...], pagination}). The listing is paginated
// like Vercel's other lists (pagination.next, `until`; vercel/sdk docs/models pagination, the
// REST reference's "Pagination" section): it was read as one page and stores past the first were
// lost (issue #20). The walk keeps the repeated-cursor and page-cap guard of every list.
func (c *Client) Stores(ctx context.Context, s Scope) ([]Store, error) {
	return list[Store](ctx, c, s, "/v1/storage/stores", "stores", "until", nil, nil)
}

// Store reads GET /v1/storage/stores/{id} ({store: {...}}).
func (c *Client) Store(ctx context.Context, s Scope, id string) (Store, error) {
	var r struct {
		Store Store `json:"store"`
	}
	err := c.get(ctx, "/v1/storage/stores/"+url.PathEscape(id), s.query(nil), &r)
	return r.Store, err
}

// Drains lists GET /v1/drains ({drains: [...]}).
func (c *Client) Drains(ctx context.Context, s Scope) ([]Drain, error) {
	var r struct {
		Drains []Drain `json:"drains"`
	}
	err := c.get(ctx, "/v1/drains", s.query(nil), &r)
	return r.Drains, err
}

// Webhooks lists GET /v1/webhooks (an array).
func (c *Client) Webhooks(ctx context.Context, s Scope) ([]Webhook, error) {
	return getArray[Webhook](ctx, c, s, "/v1/webhooks", nil)
}

// Networks lists GET /v1/connect/networks (an array).
func (c *Client) Networks(ctx context.Context, s Scope) ([]Network, error) {
	return getArray[Network](ctx, c, s, "/v1/connect/networks", nil)
}
