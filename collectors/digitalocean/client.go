package digitalocean

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/httpguard"
	"github.com/infragraph/infragraph/retry"
	"github.com/infragraph/infragraph/telemetry"
	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"
)

// DefaultAPIURL is DigitalOcean's API base.
const DefaultAPIURL = "https://api.digitalocean.com"

const (
	perPage = 200 // the API's maximum page size
	// maxPages bounds a listing whose links never end (a misbehaving proxy or API).
	maxPages = 10000
	// pagesInFlight bounds the pages of one listing asked for at once (the collector's request
	// pool bounds them all): 3,000 droplets are page one, then the other 14 at once.
	pagesInFlight = 16
)

// retryTransport is DigitalOcean's policy over retry.Transport: it retries 429 and 5xx answers
// of idempotent requests. A 429 waits for Retry-After, else until ratelimit-reset when
// ratelimit-remaining is 0 (DigitalOcean's rate-limit headers, specification/description.yml
// "Rate Limit"), else backs off. Waits honour the request's context and are bounded by maxWait:
// a longer Retry-After (the hourly quota is spent) fails the request instead of stalling the
// scan. Each attempt has its own deadline (a hung connection), and an error answer's body is
// scrubbed before godo reads it.
//
// We do not use godo.WithRetryAndBackoffs: go-retryablehttp's waits cannot be observed in tests
// and it requires an oauth2 transport underneath. godo's own retries are off unless that option
// is given (godo.New leaves RetryConfig empty), so requests are never retried twice over.
type retryTransport struct {
	base      http.RoundTripper
	retries   int           // retries after the first attempt
	backoff   time.Duration // first 5xx backoff, doubled per attempt
	maxWait   time.Duration
	attempt   time.Duration // bounds one attempt (a hung connection), not the retry waits
	sleep     func(ctx context.Context, d time.Duration) error
	now       func() time.Time
	onRetried func(status int, wait time.Duration) // tests observe waits
	token     string                               // scrubbed from error bodies
}

// policy is the retry.Transport the fields describe.
func (t *retryTransport) policy() *retry.Transport {
	return &retry.Transport{
		Next:    roundTripFunc(t.try),
		Retries: t.retries, RateRetries: t.retries, MaxAttempts: t.retries + 1,
		Backoff: t.backoff, Reset: retry.Reset, HonourRetryAfter5xx: true,
		MaxWait: t.maxWait, IdempotentOnly: true,
		Sleep: t.sleep, Now: t.now, OnRetry: t.onRetried,
	}
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.policy().RoundTrip(req)
	return t.scrubbed(resp), err // godo turns the last answer into an *godo.ErrorResponse
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// scrubbed replaces an error answer's body by DigitalOcean's error JSON with its message
// scrubbed (evidence.Scrub): godo's ErrorResponse prints the message, or the whole body when it
// is not JSON, and an API or a proxy before it may echo what it was sent (the token, a
// connection string). A body that is not JSON is not echoed at all.
func (t *retryTransport) scrubbed(resp *http.Response) *http.Response {
	if resp == nil || resp.StatusCode < 300 {
		return resp
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	var e struct {
		ID        string `json:"id"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(raw, &e) == nil {
		e.ID, e.Message, e.RequestID = evidence.Scrub(e.ID), evidence.Scrub(e.Message, t.token), evidence.Scrub(e.RequestID, t.token)
	} else {
		e.Message = fmt.Sprintf("%s (the answer was not JSON)", http.StatusText(resp.StatusCode))
	}
	b, _ := json.Marshal(e)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp
}

// try makes one attempt under its own deadline; the deadline lives until the body is closed.
func (t *retryTransport) try(req *http.Request) (*http.Response, error) {
	if t.attempt <= 0 {
		return t.base.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.attempt)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && req.Context().Err() == nil {
			err = fmt.Errorf("no answer within %s: %w", t.attempt, err)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// maxBody caps one answer (httpguard.LimitBody): a page is at most 200 objects (perPage), a
// few hundred KiB even for droplets with all their fields.
const maxBody = 32 << 20

// newClient builds a godo client for cfg: the token as an oauth2 bearer (revealed only here),
// the retrying transport underneath, and the configured base URL (with the trailing slash godo's
// relative paths need).
func (c *Collector) newClient() (*godo.Client, error) {
	base := c.base
	if base == nil {
		// Keep a connection per request in flight: the default two idle connections per host
		// would close most of them after each answer, and a new TLS connection costs round trips.
		base = http.DefaultTransport
		if t, ok := http.DefaultTransport.(*http.Transport); ok { // something may have wrapped it
			t = t.Clone()
			t.MaxIdleConnsPerHost = c.parallel
			base = t
		}
	}
	// The pool bounds requests, not families: a family's listing asks for its pages at once.
	base = &reqPool{next: base, slots: make(chan struct{}, c.parallel)}
	rt := &retryTransport{
		base:      telemetry.Transport(base), // a span per attempt
		retries:   c.retries,
		backoff:   c.backoff,
		maxWait:   c.maxWait,
		attempt:   c.attemptTimeout,
		sleep:     c.sleep,
		now:       time.Now,
		onRetried: c.onRetried,
		token:     c.cfg.Token.Reveal(),
	}
	// oauth2.Transport adds the token to every request, redirected ones too: httpguard's
	// redirect policy keeps them at the API's origin.
	hc := httpguard.Guard(&http.Client{Transport: &oauth2.Transport{
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: c.cfg.Token.Reveal(), TokenType: "Bearer"}),
		Base:   rt,
	}}, maxBody)
	hc.Transport = shapeCheck{next: hc.Transport} // reads the body LimitBody bounds
	apiURL := c.cfg.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if apiURL[len(apiURL)-1] != '/' {
		apiURL += "/"
	}
	return godo.New(hc, godo.SetBaseURL(apiURL), godo.SetUserAgent("infragraph-discover"))
}

// reqPool lets at most cap(slots) requests be in flight; a retry's wait holds no slot.
type reqPool struct {
	next  http.RoundTripper
	slots chan struct{}
}

func (p *reqPool) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case p.slots <- struct{}{}:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	defer func() { <-p.slots }()
	return p.next.RoundTrip(r)
}

// listAll pages through a page-numbered listing: godo's Links say whether there is a next page
// (links.go: IsLastPage, CurrentPage); we never stop at page one. Listings the API does not
// paginate (databases, replicas, pools, node pools: godo returns no Links for them) end after
// their one answer.
//
// Page one answers the total (meta.total), so the other pages are asked for at once
// (pagesInFlight at a time) rather than one after another: a project of 3,000 droplets is two
// round trips, not fifteen. Pages that repeat an earlier one fail the read as below; a listing
// that grew past its first total is finished page after page.
func listAll[T any](ctx context.Context, fetch func(*godo.ListOptions) ([]T, *godo.Response, error)) ([]T, error) {
	items, resp, err := fetch(&godo.ListOptions{Page: 1, PerPage: perPage})
	if err != nil {
		return nil, err
	}
	if resp == nil || resp.Links == nil || resp.Links.IsLastPage() {
		return items, nil
	}
	last := 0
	if resp.Meta != nil && resp.Meta.Total > len(items) && len(items) > 0 {
		last = (resp.Meta.Total + len(items) - 1) / len(items)
	}
	next := 2
	if last >= 2 && last <= maxPages {
		got := make([][]T, last+1)
		resps := make([]*godo.Response, last+1)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(pagesInFlight)
		for p := 2; p <= last; p++ {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				var err error
				got[p], resps[p], err = fetch(&godo.ListOptions{Page: p, PerPage: perPage})
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return items, err
		}
		seen := repeats[T]{}
		all := items
		for p := 1; p <= last; p++ {
			page := items
			if p > 1 {
				page = got[p]
			}
			start := len(all) - len(page) // page one is all already
			if p > 1 {
				start = len(all)
				all = append(all, page...)
			}
			if err := seen.check(all, start, len(page), p); err != nil {
				return all[:start], err
			}
		}
		r := resps[last]
		if r == nil || r.Links == nil || r.Links.IsLastPage() {
			return all, nil
		}
		items, next = all, last+1 // it grew while we read: go on page after page
	}
	opt := &godo.ListOptions{Page: next, PerPage: perPage}
	rest, err := pages(ctx, func() ([]T, *godo.Response, error) { return fetch(opt) }, func(l *godo.Links) error {
		cur, err := l.CurrentPage()
		if err != nil {
			return fmt.Errorf("read page links: %w", err)
		}
		// Links that disagree with what we asked for: trust our own count.
		opt.Page = max(cur, opt.Page) + 1
		return nil
	})
	return append(items, rest...), err
}

// listAllTokens pages through a page-token listing (registry repositoriesV2).
func listAllTokens[T any](ctx context.Context, fetch func(*godo.TokenListOptions) ([]T, *godo.Response, error)) ([]T, error) {
	opt := &godo.TokenListOptions{PerPage: perPage}
	return pages(ctx, func() ([]T, *godo.Response, error) { return fetch(opt) }, func(l *godo.Links) error {
		tok, err := l.NextPageToken()
		if err != nil {
			return fmt.Errorf("read page links: %w", err)
		}
		if tok == "" {
			if opt.Page == 0 {
				opt.Page = 1
			}
			opt.Page++
		} else if tok == opt.Token {
			return errors.New("page token did not advance")
		}
		opt.Token = tok
		return nil
	})
}

// pages calls fetch until the links say the last page came (or there are none), letting next
// move the options on; at most maxPages pages. A page identical to an earlier one (an API that
// ignores page= and answers the first page with a "next" link forever) ends the walk with an
// error instead of repeating it up to maxPages times.
func pages[T any](ctx context.Context, fetch func() ([]T, *godo.Response, error), next func(*godo.Links) error) ([]T, error) {
	var all []T
	seen := repeats[T]{}
	for n := 0; n < maxPages; n++ {
		items, resp, err := fetch()
		if err != nil {
			return all, err
		}
		start := len(all)
		all = append(all, items...)
		if err := seen.check(all, start, len(items), n+1); err != nil {
			return all[:start], err
		}
		if resp == nil || resp.Links == nil || resp.Links.IsLastPage() {
			return all, nil
		}
		if err := next(resp.Links); err != nil {
			return all, err
		}
		if err := ctx.Err(); err != nil {
			return all, err
		}
	}
	return all, fmt.Errorf("more than %d pages", maxPages)
}

// repeats tells whether a page of a listing is identical to an earlier one (an API that ignores
// the page parameter). Pages are compared in full (as JSON) only when their first items and
// lengths agree: the pages of a listing that honours it start with different resources, so a
// page is marshalled whole only when it may be a repeat, not every page (3,000 droplets
// re-marshalled cost more CPU than mapping them). The pages themselves are found in all, the
// listing read so far, by where each starts.
type repeats[T any] map[[sha256.Size]byte][]pageSpan

type pageSpan struct{ page, start, n int }

// check records page number p, all[start:start+n], and fails when it repeats an earlier page.
func (r repeats[T]) check(all []T, start, n, p int) error {
	if n == 0 {
		return nil
	}
	b, err := json.Marshal(all[start])
	if err != nil {
		return err
	}
	key := sha256.Sum256(append(b, fmt.Sprintf("|%d", n)...))
	for _, earlier := range r[key] {
		same, err := sameJSON(all[earlier.start:earlier.start+earlier.n], all[start:start+n])
		if err != nil {
			return err
		}
		if same {
			return fmt.Errorf("page %d repeats page %d: the API ignores the page parameter, stopped", p, earlier.page)
		}
	}
	r[key] = append(r[key], pageSpan{page: p, start: start, n: n})
	return nil
}

func sameJSON[T any](a, b []T) (bool, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal(b)
	return err == nil && bytes.Equal(ja, jb), err
}

// statusOf returns the HTTP status of a godo error, or 0.
func statusOf(err error) int {
	var er *godo.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// estate is what the API returned, held in memory until it is mapped. Top-level fields are
// written by one family each; the per-parent maps are guarded by mu.
type estate struct {
	account     *godo.Account
	projects    []godo.Project
	droplets    []godo.Droplet
	volumes     []godo.Volume
	vpcs        []*godo.VPC
	firewalls   []godo.Firewall
	lbs         []godo.LoadBalancer
	reservedIPs []godo.ReservedIP
	reservedV6  []godo.ReservedIPV6
	domains     []godo.Domain
	databases   []godo.Database
	clusters    []*godo.KubernetesCluster
	apps        []*godo.App
	registries  []*godo.Registry
	certs       []godo.Certificate
	cdns        []godo.CDN
	tags        []godo.Tag

	mu               sync.Mutex
	projectResources map[string][]godo.ProjectResource
	vpcMembers       map[string][]*godo.VPCMember
	records          map[string][]godo.DomainRecord
	replicas         map[string][]godo.DatabaseReplica
	pools            map[string][]godo.DatabasePool
	dbRules          map[string][]godo.DatabaseFirewallRule
	nodePools        map[string][]*godo.KubernetesNodePool
	repos            map[string][]*godo.RepositoryV2 // registry name -> repositories
}

func put[T any](e *estate, m *map[string]T, key string, v T) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if *m == nil {
		*m = map[string]T{}
	}
	(*m)[key] = v
}

// topFamilies are the account-wide listings.
func topFamilies() []family {
	return []family{
		{name: "projects", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.projects, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.Project, *godo.Response, error) { return api.Projects.List(ctx, o) })
			return err
		}},
		{name: "droplets", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.droplets, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.Droplet, *godo.Response, error) { return api.Droplets.List(ctx, o) })
			return err
		}},
		{name: "volumes", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.volumes, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.Volume, *godo.Response, error) {
				return api.Storage.ListVolumes(ctx, &godo.ListVolumeParams{ListOptions: o})
			})
			return err
		}},
		{name: "vpcs", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.vpcs, err = listAll(ctx, func(o *godo.ListOptions) ([]*godo.VPC, *godo.Response, error) { return api.VPCs.List(ctx, o) })
			return err
		}},
		{name: "firewalls", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.firewalls, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.Firewall, *godo.Response, error) { return api.Firewalls.List(ctx, o) })
			return err
		}},
		{name: "load balancers", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.lbs, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.LoadBalancer, *godo.Response, error) {
				return api.LoadBalancers.List(ctx, o)
			})
			return err
		}},
		{name: "reserved ips", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.reservedIPs, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.ReservedIP, *godo.Response, error) {
				return api.ReservedIPs.List(ctx, o)
			})
			return err
		}},
		// Reserved IPv6 addresses: GET /v2/reserved_ipv6 (DO API reference "List All Reserved
		// IPv6s"; godo ReservedIPV6s.List), paginated like reserved IPv4s (issue #20).
		{name: "reserved ipv6s", optional: true, fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.reservedV6, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.ReservedIPV6, *godo.Response, error) {
				return api.ReservedIPV6s.List(ctx, o)
			})
			return err
		}},
		{name: "domains", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.domains, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.Domain, *godo.Response, error) { return api.Domains.List(ctx, o) })
			return err
		}},
		{name: "databases", optional: true, fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.databases, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.Database, *godo.Response, error) { return api.Databases.List(ctx, o) })
			return err
		}},
		{name: "kubernetes clusters", optional: true, fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.clusters, err = listAll(ctx, func(o *godo.ListOptions) ([]*godo.KubernetesCluster, *godo.Response, error) {
				return api.Kubernetes.List(ctx, o)
			})
			return err
		}},
		{name: "apps", optional: true, fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.apps, err = listAll(ctx, func(o *godo.ListOptions) ([]*godo.App, *godo.Response, error) {
				o.WithProjects = true
				return api.Apps.List(ctx, o)
			})
			return err
		}},
		// Every container registry: GET /v2/registries (godo Registries.List). The legacy GET
		// /v2/registry (godo Registry.Get) "is not compatible with multiple registries in a DO
		// account" (DO API reference, "Get Container Registry Information"): it answered one
		// and an account's others were lost (issue #20).
		{name: "registries", optional: true, fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			rs, _, err := api.Registries.List(ctx)
			for _, r := range rs {
				if r != nil && r.Name != "" {
					e.registries = append(e.registries, r)
				}
			}
			sort.Slice(e.registries, func(i, j int) bool { return e.registries[i].Name < e.registries[j].Name })
			return err
		}},
		{name: "certificates", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.certs, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.Certificate, *godo.Response, error) {
				return api.Certificates.List(ctx, o)
			})
			return err
		}},
		{name: "cdn endpoints", optional: true, fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.cdns, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.CDN, *godo.Response, error) { return api.CDNs.List(ctx, o) })
			return err
		}},
		{name: "tags", fetch: func(ctx context.Context, api *godo.Client, e *estate) (err error) {
			e.tags, err = listAll(ctx, func(o *godo.ListOptions) ([]godo.Tag, *godo.Response, error) { return api.Tags.List(ctx, o) })
			return err
		}},
	}
}

// subFamiliesOf are the per-parent listings of the parents the top-level family top read,
// asked for as soon as that family is done while others are still being read: they are built
// from an estate holding that one list, so nothing reads a list another family is writing.
func (e *estate) subFamiliesOf(top string) []family {
	only := &estate{}
	switch top {
	case "projects":
		only.projects = e.projects
	case "vpcs":
		only.vpcs = e.vpcs
	case "domains":
		only.domains = e.domains
	case "databases":
		only.databases = e.databases
	case "kubernetes clusters":
		only.clusters = e.clusters
	case "registries":
		only.registries = e.registries
	default:
		return nil
	}
	fams := only.subFamilies()
	for id, ps := range only.nodePools { // node pools the cluster listing carried: no request
		put(e, &e.nodePools, id, ps)
	}
	return fams
}

// subFamilies are the per-parent listings. A 404 there means the parent vanished between the
// listing and its sub-listing (or the engine has no such sub-resource): not a failure.
func (e *estate) subFamilies() []family {
	var fams []family
	add := func(name string, fetch func(ctx context.Context, api *godo.Client, e *estate) error) {
		fams = append(fams, family{name: name, optional: true, fetch: fetch})
	}
	for _, p := range e.projects {
		add("resources of project "+p.Name, func(ctx context.Context, api *godo.Client, e *estate) error {
			rs, err := listAll(ctx, func(o *godo.ListOptions) ([]godo.ProjectResource, *godo.Response, error) {
				return api.Projects.ListResources(ctx, p.ID, o)
			})
			put(e, &e.projectResources, p.ID, rs)
			return err
		})
	}
	for _, v := range e.vpcs {
		add("members of vpc "+v.Name, func(ctx context.Context, api *godo.Client, e *estate) error {
			ms, err := listAll(ctx, func(o *godo.ListOptions) ([]*godo.VPCMember, *godo.Response, error) {
				return api.VPCs.ListMembers(ctx, v.ID, &godo.VPCListMembersRequest{}, o)
			})
			put(e, &e.vpcMembers, v.ID, ms)
			return err
		})
	}
	for _, d := range e.domains {
		add("records of domain "+d.Name, func(ctx context.Context, api *godo.Client, e *estate) error {
			rs, err := listAll(ctx, func(o *godo.ListOptions) ([]godo.DomainRecord, *godo.Response, error) {
				return api.Domains.Records(ctx, d.Name, o)
			})
			put(e, &e.records, d.Name, rs)
			return err
		})
	}
	for _, db := range e.databases {
		if db.EngineSlug == "pg" || db.EngineSlug == "mysql" {
			add("replicas of database "+db.Name, func(ctx context.Context, api *godo.Client, e *estate) error {
				rs, err := listAll(ctx, func(o *godo.ListOptions) ([]godo.DatabaseReplica, *godo.Response, error) {
					return api.Databases.ListReplicas(ctx, db.ID, o)
				})
				put(e, &e.replicas, db.ID, rs)
				return err
			})
		}
		if db.EngineSlug == "pg" { // connection pools are a PostgreSQL feature (PgBouncer)
			add("pools of database "+db.Name, func(ctx context.Context, api *godo.Client, e *estate) error {
				ps, err := listAll(ctx, func(o *godo.ListOptions) ([]godo.DatabasePool, *godo.Response, error) {
					return api.Databases.ListPools(ctx, db.ID, o)
				})
				put(e, &e.pools, db.ID, ps)
				return err
			})
		}
		add("trusted sources of database "+db.Name, func(ctx context.Context, api *godo.Client, e *estate) error {
			rs, _, err := api.Databases.GetFirewallRules(ctx, db.ID)
			put(e, &e.dbRules, db.ID, rs)
			return err
		})
	}
	for _, k := range e.clusters {
		if len(k.NodePools) > 0 { // the cluster listing already carries its pools and nodes
			put(e, &e.nodePools, k.ID, k.NodePools)
			continue
		}
		add("node pools of kubernetes cluster "+k.Name, func(ctx context.Context, api *godo.Client, e *estate) error {
			ps, err := listAll(ctx, func(o *godo.ListOptions) ([]*godo.KubernetesNodePool, *godo.Response, error) {
				return api.Kubernetes.ListNodePools(ctx, k.ID, o)
			})
			put(e, &e.nodePools, k.ID, ps)
			return err
		})
	}
	for _, reg := range e.registries {
		name := reg.Name
		// GET /v2/registries/{name}/repositoriesV2 (godo Registries.ListRepositoriesV2).
		add("repositories of registry "+name, func(ctx context.Context, api *godo.Client, e *estate) error {
			rs, err := listAllTokens(ctx, func(o *godo.TokenListOptions) ([]*godo.RepositoryV2, *godo.Response, error) {
				return api.Registries.ListRepositoriesV2(ctx, name, o)
			})
			put(e, &e.repos, name, rs)
			return err
		})
	}
	return fams
}
