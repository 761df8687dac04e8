// Package supabase collects a Supabase account into the graph, in two halves: the Management API
// (organizations, projects, branches, edge functions, secret and key names, poolers, domains,
// network restrictions, buckets, auth evidence) and each project's database catalog (schemas,
// tables, foreign keys, views, functions, triggers, policies, pg_cron jobs, webhooks,
// publications, foreign servers), read without row data through the project's connection string
// (one read-only transaction) or, without one, the Management API's read-only SQL endpoint: the
// same two statements either way (catalogsql.go). Function bodies, cron commands and webhook arguments are scanned in
// memory for URLs and table names; they, headers, keys and passwords are never emitted.
package supabase

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"golang.org/x/sync/errgroup"
)

// Collector collects one configured instance.
type Collector struct {
	cfg Config
	api *client // nil without an access token
	// check, set by tests, runs inside the catalog transaction after the reads.
	check func(context.Context, pgx.Tx) error
}

// New returns a collector for cfg.
func New(cfg Config) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Collector{cfg: cfg}
	if cfg.AccessToken.Set() {
		cl, err := newClient(cfg.APIURL, cfg.AccessToken, cfg.RequestsPerMinute)
		if err != nil {
			return nil, err
		}
		c.api = cl
	}
	return c, nil
}

// Collect reads the Management API (when a token is configured, with the catalogs of the active
// projects without a connection string), then the catalog of every project with one. A bad token fails the instance; an unreachable database or a
// plan-gated endpoint is a warning and the rest is kept.
func (c *Collector) Collect(ctx context.Context, emit graph.Emitter) error {
	st := newState(emit)
	defer st.b.Flush() // what was found is emitted even when a later part fails, as it always was
	var dbs map[string]evidence.Secret
	if c.api != nil {
		var err error
		if dbs, err = c.collectAPI(ctx, st); err != nil {
			return err
		}
	} else {
		var err error
		if dbs, err = c.databases(ctx, nil); err != nil {
			if len(dbs) == 0 {
				return err
			}
			emit.Warn(err)
		}
	}
	refs := make([]string, 0, len(dbs))
	for ref := range dbs {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	var failed []error
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return err
		}
		cat, err := readCatalog(ctx, dbs[ref], c.check)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("project %s: database catalog: %w", ref, ctx.Err())
			}
			err = projectErr(ref, "database catalog (the Management API part is kept)", err)
			failed = append(failed, err)
			emit.Warn(err)
			continue
		}
		st.bareProject(ref)
		st.catalog(ref, cat)
	}
	// Without the Management API, a catalog that could not be read at all is the whole instance
	// failing.
	if c.api == nil && len(failed) == len(refs) && len(refs) > 0 {
		return errors.Join(failed...)
	}
	return nil
}

// databases resolves which project each configured connection string belongs to. A db_url that
// names no project is matched by asking: its database's fingerprint against each active
// project's, through the read-only query endpoint.
func (c *Collector) databases(ctx context.Context, projects []apiProject) (map[string]evidence.Secret, error) {
	dbs := map[string]evidence.Secret{}
	for ref, dsn := range c.cfg.Databases {
		dbs[ref] = dsn
	}
	if !c.cfg.DBURL.Set() {
		return dbs, nil
	}
	if ref, ok := refFromDSN(c.cfg.DBURL); ok {
		if _, dup := dbs[ref]; !dup {
			dbs[ref] = c.cfg.DBURL
		}
		return dbs, nil
	}
	if len(projects) == 1 {
		if _, dup := dbs[projects[0].Ref]; !dup {
			dbs[projects[0].Ref] = c.cfg.DBURL
		}
		return dbs, nil
	}
	why := "there is no access token to list projects"
	if c.api != nil {
		ref, err := c.matchDSN(ctx, c.cfg.DBURL, projects)
		switch {
		case err != nil:
			why = fmt.Sprintf("the access token sees %d projects and asking which one has this database failed (%v)", len(projects), err)
		case ref != "":
			if _, dup := dbs[ref]; !dup {
				dbs[ref] = c.cfg.DBURL
			}
			return dbs, nil
		default:
			why = fmt.Sprintf("the access token sees %d projects and none of the active ones answers with this database through the read-only query endpoint", len(projects))
		}
	}
	return dbs, fmt.Errorf("db_url: cannot tell which project it belongs to: its host is not db.<ref>.supabase.co, its user is not postgres.<ref>, and %s; map it under databases: <ref> instead", why)
}

// collectAPI reads the Management API. It returns the connection string of each project whose
// catalog is read through one (the others' were read through the API); an error means the
// instance failed (bad token, projects unreadable).
func (c *Collector) collectAPI(ctx context.Context, st *state) (map[string]evidence.Secret, error) {
	orgs, err := c.api.organizations(ctx)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) || ctx.Err() != nil {
			return nil, fmt.Errorf("list organizations: %w", err)
		}
		st.emit.Warn(fmt.Errorf("list organizations: %w", err))
	}
	projects, err := c.api.projects(ctx)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	sort.Slice(projects, func(i, j int) bool { return projects[i].Ref < projects[j].Ref })
	c.plan(ctx, projects)
	// Projects with a connection string have their catalog read through it (Collect), the
	// others through the Management API.
	dbs, err := c.databases(ctx, projects)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) || ctx.Err() != nil {
			return nil, err
		}
		st.emit.Warn(err)
	}
	seenOrg := map[string]bool{}
	for _, o := range orgs {
		st.organization(o)
		seenOrg[orgNative(o)] = true
		if o.ID != "" {
			seenOrg[o.ID] = true
		}
	}
	// Projects are read concurrently (the limiter still paces every request); what each read
	// found is applied to the state afterwards, in ref order, so the output does not depend on
	// which answer came first. A 401 or cancellation stops the others.
	applies := make([][]func(*state), len(projects))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(projectsInFlight)
	for i, p := range projects {
		g.Go(func() error {
			_, dsn := dbs[p.Ref]
			a, err := c.project(gctx, st.emit, p, !dsn && c.cfg.apiCatalog())
			applies[i] = a
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, p := range projects {
		for _, apply := range applies[i] {
			apply(st)
		}
		if slug := orgSlug(p); slug != "" {
			if !seenOrg[slug] {
				st.organization(apiOrganization{Slug: slug})
				seenOrg[slug] = true
			}
			st.contains(id("organization", slug), id("project", p.Ref))
		}
	}
	return dbs, nil
}

// inactive projects are paused or going away: their own services (storage, auth) do not answer.
func inactive(status string) bool {
	switch status {
	case "INACTIVE", "REMOVED", "PAUSING", "GOING_DOWN", "INIT_FAILED", "PAUSE_FAILED":
		return true
	}
	return false
}

// projectsInFlight bounds how many projects are read at once. A project's reads are asked at
// once (each is an endpoint of its own), so up to projectsInFlight × readsPerProject requests
// are in flight. Supabase counts its limit per user, project (or organization) and endpoint
// (120 a minute; apps/docs/content/_partials/api_rate_limits.mdx in supabase/supabase) and
// documents no limit on concurrency, so reading many projects at once spends no shared budget:
// no request of a scan, however wide, is refused for it. The pool is our own politeness (the
// API serves the dashboard), not a limit of the API's.
const projectsInFlight = 32

// readsPerProject is how many requests a project's API families cost (an inactive one two
// fewer); catalogReads more when its catalog is read through the Management API (a probe and
// the catalog document).
const (
	readsPerProject = 10
	catalogReads    = 2
)

// plan estimates how long reading projects takes and tells the runner (collectors.Expect),
// which gives the collector that much time when the user set no timeout and logs the estimate.
// The requests per project and endpoint stay far under the documented 120 a minute, so the
// estimate is the pool's: rounds of projectsInFlight projects, each one round trip (its reads
// at once; two when its catalog is read through the Management API: a probe, then the catalog)
// as long as those measured so far; a requests_per_minute cap bounds it from below.
func (c *Collector) plan(ctx context.Context, projects []apiProject) time.Duration {
	reqs := 0
	for _, p := range projects {
		reqs += readsPerProject
		switch {
		case inactive(p.Status):
			reqs -= 2
		case c.cfg.apiCatalog():
			reqs += catalogReads
		}
	}
	rt := c.api.rtt.mean(500 * time.Millisecond)
	rounds := (len(projects) + projectsInFlight - 1) / projectsInFlight
	perProject := 1 // round trips: a project's reads are asked at once
	if c.cfg.apiCatalog() {
		perProject = catalogReads // an upper bound: the catalog's two statements follow each other
	}
	expected := time.Duration(rounds*perProject) * rt
	how := fmt.Sprintf("%d projects, %d requests, %d projects at once (each one's endpoints at once) at %s a request", len(projects), reqs, projectsInFlight, rt.Round(time.Millisecond))
	if c.api.limits.overall != nil {
		rate := float64(c.api.limits.overall.Limit()) // per second
		if byRate := time.Duration(float64(reqs) / rate * float64(time.Second)); byRate > expected {
			expected = byRate
			how += fmt.Sprintf(", paced to requests_per_minute %d", c.cfg.RequestsPerMinute)
		}
	}
	collectors.Expect(ctx, expected, how)
	return expected
}

// project reads one project's families and returns what to apply to the state, in order. Only a
// 401 (or cancellation) ends the scan; any other failure is a warning naming the project and the
// family. It may run concurrently with other projects: it touches the state only through the
// returned functions, and warns through emit (safe for concurrent use).
func (c *Collector) project(ctx context.Context, emit graph.Emitter, p apiProject, catalog bool) ([]func(*state), error) {
	ref := p.Ref
	// Supabase's rule (collectors.Families): a 401 or the scan's end stops the scan, a plan-gated
	// family is worded as such, anything else is a warning naming the project and the family.
	families := collectors.Families{Emit: emit, Rule: func(what string, err error) (collectors.Verdict, error) {
		switch {
		case errors.Is(err, ErrUnauthorized):
			return collectors.Fail, projectErr(ref, what, err)
		case ctx.Err() != nil:
			return collectors.Fail, projectErr(ref, what, ctx.Err())
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.gated() {
			return collectors.Warn, projectErr(ref, what, fmt.Errorf("not available to this plan or token (HTTP %d)", ae.Status))
		}
		return collectors.Warn, projectErr(ref, what, err)
	}}
	// The project's reads need nothing from each other, and Supabase counts its limit per
	// project and endpoint (every read here is an endpoint of its own), so they are asked at
	// once; what each found is applied in this fixed order afterwards. A read returns what to
	// apply; the first that must stop the scan (a 401, the scan's end) is the project's error.
	type read struct {
		what string
		read func() ([]func(*state), error)
	}
	one := func(f func(*state)) []func(*state) { return []func(*state){f} }
	var x projectExtras
	reads := []read{
		{"custom hostname", func() (_ []func(*state), err error) { x.custom, err = c.api.customHostname(ctx, ref); return nil, err }},
		{"vanity subdomain", func() (_ []func(*state), err error) { x.vanity, err = c.api.vanitySubdomain(ctx, ref); return nil, err }},
		{"branches", func() ([]func(*state), error) {
			v, err := c.api.branches(ctx, ref)
			return one(func(st *state) { st.branches(ref, v) }), err
		}},
		{"edge functions", func() ([]func(*state), error) {
			v, err := c.api.functions(ctx, ref)
			return one(func(st *state) { st.functions(ref, v) }), err
		}},
		{"secrets", func() ([]func(*state), error) {
			v, err := c.api.secrets(ctx, ref)
			return one(func(st *state) { st.secrets(ref, v) }), err
		}},
		{"api keys", func() ([]func(*state), error) {
			v, err := c.api.apiKeys(ctx, ref)
			return one(func(st *state) { st.apiKeys(ref, v) }), err
		}},
		{"pooler config", func() ([]func(*state), error) {
			v, err := c.api.poolers(ctx, ref)
			return one(func(st *state) { st.poolers(ref, v) }), err
		}},
		{"network restrictions", func() ([]func(*state), error) {
			v, err := c.api.networkRestrictions(ctx, ref)
			return one(func(st *state) { st.networkRestrictions(ref, v) }), err
		}},
	}
	if !inactive(p.Status) {
		reads = append(reads,
			read{"storage buckets", func() ([]func(*state), error) {
				v, err := c.api.buckets(ctx, ref)
				var out []func(*state)
				for _, b := range v {
					out = append(out, func(st *state) { st.bucket(ref, b.ID, b.Name, b.Public) })
				}
				return out, err
			}},
			read{"auth config", func() ([]func(*state), error) {
				v, err := c.api.authConfig(ctx, ref)
				return one(func(st *state) { st.authConfig(ref, v) }), err
			}})
	}
	switch {
	case !catalog:
	case inactive(p.Status):
		emit.Warn(projectErr(ref, "database catalog", fmt.Errorf("skipped: the project is %s, its database does not answer (paused or going away)", p.Status)))
	default:
		reads = append(reads, read{"database catalog (read-only query)", func() ([]func(*state), error) {
			cat, err := readCatalogWith(ctx, apiQuerier{c: c.api, ref: ref})
			return one(func(st *state) { st.catalog(ref, cat) }), err
		}})
	}
	found := make([][]func(*state), len(reads))
	var g errgroup.Group
	for i, r := range reads {
		g.Go(func() error {
			a, err := r.read()
			if err == nil {
				found[i] = a
			}
			return families.Check(ctx, r.what, err)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	apply := []func(*state){func(st *state) { st.project(p, x) }}
	for _, a := range found {
		apply = append(apply, a...)
	}
	return apply, nil
}

// String names the instance without its secrets (for logs).
func (c *Collector) String() string {
	return "supabase/" + strings.TrimSpace(c.cfg.Name)
}

// fingerprintSQL names one database: its cluster's system identifier (random, set by initdb)
// and its name. Both functions are executable by PUBLIC.
const fingerprintSQL = `SELECT json_build_object('system', (SELECT system_identifier::text FROM pg_control_system()),
  'database', current_database())::text AS doc`

// matchDSN finds the active project whose database answers the read-only query endpoint with
// dsn's fingerprint: one request a project, in ref order, until one matches ("" when none).
func (c *Collector) matchDSN(ctx context.Context, dsn evidence.Secret, projects []apiProject) (string, error) {
	conn, secrets, err := connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var want string
	if err := conn.QueryRow(ctx, fingerprintSQL).Scan(&want); err != nil {
		return "", fmt.Errorf("fingerprint: %w", scrub(err, secrets))
	}
	for _, p := range projects {
		if inactive(p.Status) {
			continue
		}
		got, err := (apiQuerier{c: c.api, ref: p.Ref}).doc(ctx, fingerprintSQL)
		if errors.Is(err, ErrUnauthorized) || ctx.Err() != nil {
			return "", err
		}
		if err == nil && string(got) == want {
			return p.Ref, nil
		}
	}
	return "", nil
}
