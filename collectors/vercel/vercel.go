// Package vercel collects a Vercel account into the graph: the personal scope and each team, with
// their projects, env vars (names and derived facts, never values), latest deployments, domains and
// DNS records, project domains, aliases, integrations, edge configs, storage stores, drains,
// webhooks and Secure Compute networks. It talks to the REST API through its own small typed
// client (client.go); map.go turns what was read into nodes and edges.
package vercel

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

// Collector collects one configured instance.
type Collector struct {
	cfg    Config
	client *Client
	// parallel bounds the per-project reads in flight within one scope.
	parallel int
	// deploymentPages bounds the newest-first deployment walk per project: the latest deployment
	// per target is looked for among that many pages.
	deploymentPages int
}

// New returns a collector for cfg.
func New(cfg Config) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Vercel limits requests per endpoint and minute, not concurrency; the client waits out a 429
	// (Retry-After, X-RateLimit-Reset). 16 in flight (the client's idle connections) keeps a
	// 50 ms API from turning 120 projects × 5 reads into 30 sequential rounds (BENCHMARKS.md).
	// The pool bounds requests, not families: a project reads its env values, domains and
	// deployments at once.
	c := &Collector{cfg: cfg, client: NewClient(cfg.APIURL, cfg.Token, nil), parallel: 16, deploymentPages: 5}
	c.client.slots = make(chan struct{}, c.parallel)
	return c, nil
}

func (c *Collector) readEncrypted() bool { return c.cfg.ReadEncrypted == nil || *c.cfg.ReadEncrypted }

// Collect walks every scope. It returns an error only when the instance as a whole fails (a
// rejected token, an unreachable API, a cancelled scan); a failing resource family or a
// plan-gated endpoint is a warning.
func (c *Collector) Collect(ctx context.Context, emit graph.Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(c.cfg.TeamIDs) > 0 {
		return c.collectTeams(ctx, emit)
	}
	scopes, err := c.scopes(ctx, emit)
	if err != nil {
		return err
	}
	// Scopes are read at once (they share the client's request slots), and mapped in their order
	// afterwards: the scopes before the first that failed are emitted, and its error returned,
	// as when they were read one after another.
	snaps := make([]*snapshot, len(scopes))
	errs := make([]error, len(scopes))
	var g sync.WaitGroup
	for i, sc := range scopes {
		g.Go(func() { snaps[i], errs[i] = c.collectScope(ctx, sc.Scope, func() scopeInfo { return sc }, emit) })
	}
	g.Wait()
	m := newMapper(emit)
	defer m.b.Flush() // what was mapped is emitted even when a later scope fails, as it always was
	for i := range scopes {
		if errs[i] != nil {
			return errs[i]
		}
		m.scope(snaps[i])
	}
	return nil
}

// collectTeams reads the configured teams, each named by its id (team_...) or its slug: either
// names the scope, so a team's reads start beside the call that reads the team itself (GET
// /v2/teams/{id}, or the token's team list for a slug; its slug, name and plan word the warnings
// and the team's node), not after it. They wait for that answer only to word a warning, and hold
// their warnings until it came. A team the token cannot read (403, 404) or a slug not among its
// teams is a warning, and its reads are stopped and dropped unseen; any other failure of that
// call fails the collector, as when it came first.
func (c *Collector) collectTeams(ctx context.Context, emit graph.Emitter) error {
	ids := c.cfg.TeamIDs
	teams := sync.OnceValues(func() ([]Team, error) { return c.client.Teams(ctx) }) // for the slugs
	infos := make([]scopeInfo, len(ids))
	teamErrs := make([]error, len(ids))
	skip := make([]bool, len(ids))
	held := make([]*collectors.HeldWarnings, len(ids))
	snaps := make([]*snapshot, len(ids))
	errs := make([]error, len(ids))
	var g sync.WaitGroup
	for i, id := range ids {
		ready := make(chan struct{})
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		held[i] = &collectors.HeldWarnings{Emitter: emit}
		scope := Scope{TeamID: id}
		if !strings.HasPrefix(id, "team_") {
			scope = Scope{Slug: id}
		}
		g.Go(func() {
			defer close(ready)
			if scope.TeamID == "" { // a slug: find it in the token's teams
				ts, err := teams()
				if err != nil && !errors.Is(err, ErrPagesTruncated) {
					teamErrs[i] = fmt.Errorf("vercel: list teams: %w", err)
					cancel()
					return
				}
				for _, t := range ts {
					if t.Slug == id {
						infos[i] = teamScope(t)
						return
					}
				}
				skip[i], teamErrs[i] = true, fmt.Errorf("team %q: not among the token's teams", id)
				cancel()
				return
			}
			t, err := c.client.Team(ctx, id)
			switch {
			case err == nil:
				if t.ID == "" {
					t.ID = id
				}
				infos[i] = teamScope(t)
				return
			case IsStatus(err, http.StatusForbidden, http.StatusNotFound) && !Rejected(err):
				skip[i], teamErrs[i] = true, fmt.Errorf("team %s: %w", id, err)
			default:
				teamErrs[i] = fmt.Errorf("vercel: read team %s: %w", id, err)
			}
			cancel()
		})
		g.Go(func() {
			who := func() scopeInfo { <-ready; return infos[i] }
			snaps[i], errs[i] = c.collectScope(sctx, scope, who, held[i])
		})
	}
	g.Wait()
	var kept []int
	for i := range ids {
		switch {
		case skip[i]:
			emit.Warn(teamErrs[i])
		case teamErrs[i] != nil:
			return teamErrs[i]
		default:
			kept = append(kept, i)
		}
	}
	if len(kept) == 0 {
		return errors.New("vercel: none of the configured teams is accessible with this token")
	}
	m := newMapper(emit)
	defer m.b.Flush() // what was mapped is emitted even when a later scope fails
	for _, i := range kept {
		held[i].Pass()
		if errs[i] != nil {
			return errs[i]
		}
		m.scope(snaps[i])
	}
	return nil
}

// scopeInfo is one account to walk: a team, or the personal scope (Scope.TeamID empty).
type scopeInfo struct {
	Scope    Scope
	ID       string // node native id: the team id, or the user id for the personal scope
	Slug     string
	Name     string
	Plan     string
	Personal bool
}

// scopes lists the scopes of an instance without configured teams: the personal scope (unless
// the account was migrated to a team) and every team of the token.
func (c *Collector) scopes(ctx context.Context, emit graph.Emitter) ([]scopeInfo, error) {
	var out []scopeInfo
	// The user and the teams are asked at once: neither needs the other's answer.
	var teams []Team
	var teamsErr error
	var listed sync.WaitGroup
	listed.Go(func() { teams, teamsErr = c.client.Teams(ctx) })
	u, err := c.client.User(ctx)
	listed.Wait()
	defaultTeam := u.DefaultTeamID
	switch {
	case err == nil:
		out = append(out, scopeInfo{ID: u.ID, Slug: u.Username, Name: cmp.Or(u.Username, u.Name, u.ID), Personal: true})
	case IsStatus(err, http.StatusForbidden) && !Rejected(err):
		emit.Warn(fmt.Errorf("personal scope skipped: %w", err))
	default:
		return nil, fmt.Errorf("vercel: read user: %w", err)
	}
	if err := c.soft(ctx, "teams", teamsErr, emit); err != nil {
		return nil, err
	}
	for _, t := range teams {
		if len(out) > 0 && out[0].Personal && t.ID != "" && t.ID == defaultTeam {
			// The personal account was migrated to this (Hobby) team: calls without teamId
			// act on it, so walking both would report every resource twice.
			out = out[1:]
		}
		out = append(out, teamScope(t))
	}
	return out, nil
}

func teamScope(t Team) scopeInfo {
	s := scopeInfo{Scope: Scope{TeamID: t.ID}, ID: t.ID, Slug: t.Slug, Name: cmp.Or(t.Slug, t.Name, t.ID)}
	if t.Billing != nil {
		s.Plan = t.Billing.Plan
	}
	return s
}

// rule is Vercel's reading of a failed family (collectors.Families): a rejected token or the
// scan's end fails the collector; a 402, 403 or 404 is a family the token or plan does not reach;
// anything else a warning.
func rule(family string, err error) (collectors.Verdict, error) {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return collectors.Fail, err
	case Rejected(err):
		return collectors.Fail, fmt.Errorf("vercel: %w", err)
	case IsStatus(err, http.StatusPaymentRequired, http.StatusForbidden, http.StatusNotFound):
		return collectors.Warn, fmt.Errorf("%s: not available to this token or plan: %w", family, err)
	}
	return collectors.Warn, fmt.Errorf("%s: %w", family, err)
}

// soft records a family's failure by rule: nil when it was a warning (or there was none), the
// error when the whole collector must stop.
func (c *Collector) soft(ctx context.Context, family string, err error, emit graph.Emitter) error {
	return collectors.Families{Emit: emit, Rule: rule}.Check(ctx, family, err)
}

// teamOnly are the families Vercel offers to teams on paid plans only: shared (team) environment
// variables, account webhooks, drains and Secure Compute (vercel.com/docs: "Shared environment
// variables" are a team feature; webhooks, drains: Pro and Enterprise; Secure Compute:
// Enterprise). A Hobby scope answers 403 on them.
var teamOnly = map[string]bool{"shared env vars": true, "webhooks": true, "drains": true, "secure compute networks": true}

// expectedAbsence reports whether err is a personal or Hobby scope's 403 on a team-only family:
// an absence the plan explains, not a partial failure, so it is no warning and the collector stays
// ok (issue #20). A rejected token is never one.
func (c *Collector) expectedAbsence(sc scopeInfo, family string, err error) bool {
	hobby := sc.Personal || strings.EqualFold(sc.Plan, "hobby")
	return hobby && teamOnly[family] && IsStatus(err, http.StatusForbidden, http.StatusPaymentRequired) && !Rejected(err)
}

// snapshot is what one scope's API calls returned, values already reduced to evidence.
type snapshot struct {
	Scope        scopeInfo // who() once the scope is read
	who          func() scopeInfo
	Projects     []*projectData
	Shared       []SharedEnvVar
	Domains      []Domain
	Records      map[string][]DNSRecord
	Aliases      []Alias
	Integrations []IntegrationConfig
	EdgeConfigs  []EdgeConfig
	Stores       []Store
	Drains       []Drain
	Webhooks     []Webhook
	Networks     []Network
	sharedFacts  map[string]map[string]any
}

type projectData struct {
	Project     Project
	Envs        []EnvVar
	EnvFacts    map[string]map[string]any // env id -> value.* facts
	Domains     []ProjectDomain
	Deployments []Deployment // latest per target
}

// collectScope reads scope s. who tells what the scope is (its slug words the warnings, its plan
// says which refusals are expected); it is asked only when a read fails, and at the end.
func (c *Collector) collectScope(ctx context.Context, s Scope, who func() scopeInfo, emit graph.Emitter) (*snapshot, error) {
	snap := &snapshot{who: who, Records: map[string][]DNSRecord{}, sharedFacts: map[string]map[string]any{}}
	label := func(family string) string { return "scope " + who().Slug + ": " + family }

	// Team-wide families and per-project families share one pool: each family writes only its
	// own part of the snapshot (or of its project), and warnings are sorted by the recorder. The
	// team-wide families need nothing from the project list: they are asked beside it.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, c.parallel))
	steps := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"integration configurations", func(ctx context.Context) (err error) {
			snap.Integrations, err = c.client.IntegrationConfigs(ctx, s)
			return
		}},
		{"edge configs", func(ctx context.Context) (err error) { snap.EdgeConfigs, err = c.client.EdgeConfigs(ctx, s); return }},
		{"storage stores", func(ctx context.Context) error { return c.stores(ctx, s, snap) }},
		{"drains", func(ctx context.Context) (err error) { snap.Drains, err = c.client.Drains(ctx, s); return }},
		{"webhooks", func(ctx context.Context) (err error) { snap.Webhooks, err = c.client.Webhooks(ctx, s); return }},
		{"secure compute networks", func(ctx context.Context) (err error) { snap.Networks, err = c.client.Networks(ctx, s); return }},
		{"shared env vars", func(ctx context.Context) error { return c.sharedEnv(ctx, s, snap, emit) }},
		{"domains", func(ctx context.Context) error { return c.domains(ctx, s, snap, emit) }},
		{"aliases", func(ctx context.Context) (err error) { snap.Aliases, err = c.client.Aliases(ctx, s); return }},
	}
	// A team-only family a personal or Hobby scope is refused is an absence its plan explains.
	families := collectors.Families{Emit: emit, Rule: func(name string, err error) (collectors.Verdict, error) {
		if c.expectedAbsence(who(), name, err) {
			var ae *APIError
			errors.As(err, &ae)
			slog.DebugContext(gctx, "vercel: family not offered on this plan", "scope", who().Slug, "family", name, "status", ae.Status)
			return collectors.Absent, nil
		}
		return rule(label(name), err)
	}}
	for _, st := range steps {
		g.Go(func() error { return families.Check(ctx, st.name, st.run(gctx)) })
	}
	projects, err := c.client.Projects(gctx, s)
	if err := c.soft(ctx, label("projects"), err, emit); err != nil {
		if ferr := g.Wait(); ferr != nil { // a family's failure cancelled the listing
			return nil, ferr
		}
		return nil, err
	}
	for _, p := range projects {
		if p.ID != "" {
			pd := &projectData{Project: p, EnvFacts: map[string]map[string]any{}}
			snap.Projects = append(snap.Projects, pd)
			g.Go(func() error { return c.project(gctx, s, who, pd, emit) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	snap.Scope = who()
	return snap, nil
}

func (c *Collector) project(ctx context.Context, s Scope, who func() scopeInfo, pd *projectData, emit graph.Emitter) error {
	p := pd.Project
	label := func(family string) string { return "scope " + who().Slug + ": project " + p.Name + ": " + family }

	// A project's domains and deployments need nothing from its env vars: they are read beside
	// them, so a project costs the longest of its reads, not their sum.
	var side sync.WaitGroup
	var domErr, depErr error
	side.Go(func() { pd.Domains, domErr = c.client.ProjectDomains(ctx, s, p.ID) })
	side.Go(func() { pd.Deployments, depErr = c.latestDeployments(ctx, s, p) })
	envErr := c.projectEnvs(ctx, s, pd, label, emit)
	side.Wait()
	if envErr != nil {
		return envErr
	}
	if err := c.soft(ctx, label("domains"), domErr, emit); err != nil {
		return err
	}
	return c.soft(ctx, label("deployments"), depErr, emit)
}

// encryptedInFlight bounds one project's encrypted env values read at once.
const encryptedInFlight = 8

// projectEnvs lists a project's env vars and reads their encrypted values, several at once.
func (c *Collector) projectEnvs(ctx context.Context, s Scope, pd *projectData, label func(string) string, emit graph.Emitter) error {
	p := pd.Project
	envs, err := c.client.EnvVars(ctx, s, p.ID)
	if err := c.soft(ctx, label("env vars"), err, emit); err != nil {
		return err
	}
	facts := make([]map[string]any, len(envs))
	errs := make([]error, len(envs))
	var g errgroup.Group
	g.SetLimit(encryptedInFlight)
	for i := range envs {
		g.Go(func() error {
			facts[i], errs[i] = c.envFacts(ctx, s, p.ID, &envs[i])
			return nil
		})
	}
	_ = g.Wait()
	var failed []string
	var firstErr error
	for i := range envs {
		e := &envs[i]
		facts, err := facts[i], errs[i]
		if err != nil {
			if Rejected(err) || ctx.Err() != nil {
				return c.soft(ctx, label("env vars"), err, emit)
			}
			failed = append(failed, e.Key)
			if firstErr == nil {
				firstErr = err
			}
		}
		if len(facts) > 0 {
			pd.EnvFacts[e.ID] = facts
		}
	}
	if len(failed) > 0 {
		emit.Warn(fmt.Errorf("%s: could not read %d encrypted values (%s): %w", label("env vars"), len(failed), strings.Join(failed, ", "), firstErr))
	}
	pd.Envs = envs
	return nil
}

// envFacts reduces an env var's value to evidence and clears it: plain values come with the list,
// encrypted ones are read one by one (when enabled), sensitive, system and legacy secret values
// are never read.
func (c *Collector) envFacts(ctx context.Context, s Scope, projectID string, e *EnvVar) (map[string]any, error) {
	defer func() { e.Value = "" }()
	switch e.Type {
	case "plain":
		return evidence.EnvRef("value", e.Key, e.Value), nil
	case "encrypted":
		if !c.readEncrypted() || e.ID == "" {
			return nil, nil
		}
		full, err := c.client.EnvVar(ctx, s, projectID, e.ID)
		if err != nil {
			return nil, err
		}
		v := full.Value
		full.Value = ""
		if full.Decrypted || full.Type == "plain" {
			return evidence.EnvRef("value", e.Key, v), nil
		}
		return nil, nil
	}
	return nil, nil
}

func (c *Collector) sharedEnv(ctx context.Context, s Scope, snap *snapshot, emit graph.Emitter) error {
	vars, err := c.client.SharedEnvVars(ctx, s)
	var failed int
	var firstErr error
	for i := range vars {
		v := &vars[i]
		var value string
		switch {
		case v.Type == "plain":
			value = v.Value
		case v.Type == "encrypted" && c.readEncrypted() && v.ID != "":
			full, gerr := c.client.SharedEnvVar(ctx, s, v.ID)
			if gerr != nil {
				if Rejected(gerr) || ctx.Err() != nil {
					return gerr
				}
				failed++
				if firstErr == nil {
					firstErr = gerr
				}
			} else if full.Decrypted {
				value = full.Value
			}
		}
		v.Value = ""
		if f := evidence.EnvRef("value", v.Key, value); len(f) > 0 {
			snap.sharedFacts[v.ID] = f
		}
	}
	snap.Shared = vars
	if failed > 0 {
		emit.Warn(fmt.Errorf("scope %s: shared env vars: could not read %d encrypted values: %w", snap.who().Slug, failed, firstErr))
	}
	return err
}

func (c *Collector) domains(ctx context.Context, s Scope, snap *snapshot, emit graph.Emitter) error {
	domains, err := c.client.Domains(ctx, s)
	snap.Domains = domains
	for _, d := range domains {
		recs, rerr := c.client.Records(ctx, s, d.Name)
		if ferr := c.soft(ctx, "scope "+snap.who().Slug+": dns records of "+d.Name, rerr, emit); ferr != nil {
			return ferr
		}
		snap.Records[d.Name] = recs
	}
	return err
}

func (c *Collector) stores(ctx context.Context, s Scope, snap *snapshot) error {
	stores, err := c.client.Stores(ctx, s)
	if err != nil {
		return err
	}
	for i := range stores {
		if stores[i].ProjectsMetadata != nil {
			continue
		}
		full, err := c.client.Store(ctx, s, stores[i].ID)
		if err != nil {
			snap.Stores = stores
			return fmt.Errorf("store %s: %w", stores[i].ID, err)
		}
		stores[i].ProjectsMetadata = full.ProjectsMetadata
	}
	snap.Stores = stores
	return nil
}

// latestDeployments finds the latest deployment per target ("production", "preview" for none, or
// a custom environment). The production deployment is read directly with the documented `target`
// filter (GET /v6/deployments?target=production&limit=1, Vercel REST reference "List
// deployments"): it can be older than hundreds of previews, beyond any bounded walk (issue #20).
// The other targets are looked for in a newest-first walk that stops once every target the
// project is known to have (project.targets, latestDeployments) is found, or after
// deploymentPages pages: the answer is then the latest per target among the most recent ones.
func (c *Collector) latestDeployments(ctx context.Context, s Scope, p Project) ([]Deployment, error) {
	want := map[string]bool{}
	for t, d := range p.Targets {
		if d != nil {
			want[t] = true
		}
	}
	for _, d := range p.LatestDeployments {
		want[targetName(d.Target)] = true
	}
	if len(want) == 0 {
		want["production"], want["preview"] = true, true
	}
	latest := map[string]Deployment{}
	// production is read beside the walk (the walk does not look for it)
	var prod sync.WaitGroup
	var prodDep Deployment
	var prodOK bool
	var prodErr error
	if want["production"] {
		prod.Go(func() { prodDep, prodOK, prodErr = c.client.LatestDeployment(ctx, s, p.ID, "production") })
		delete(want, "production")
	}
	// The walk reads at least its first page even when only production was wanted: the latest
	// preview (or custom environment) a project's targets do not list is on it, and the demo's
	// storefront preview was lost when the walk was skipped.
	var err error
	{
		pages := 0
		sub := *c.client
		if c.deploymentPages > 0 && c.deploymentPages < sub.MaxPages {
			sub.MaxPages = c.deploymentPages + 1 // the stop below ends the walk first
		}
		var all []Deployment
		all, err = sub.Deployments(ctx, s, p.ID, func(ds []Deployment) bool {
			pages++
			seen := map[string]bool{}
			for _, d := range ds {
				seen[deploymentTarget(d)] = true
			}
			for t := range want {
				if !seen[t] {
					return c.deploymentPages > 0 && pages >= c.deploymentPages
				}
			}
			return true
		})
		prod.Wait()
		if prodErr != nil {
			return nil, prodErr
		}
		if prodOK {
			latest["production"] = prodDep
		}
		for _, d := range all { // newest first
			if t := deploymentTarget(d); latest[t].UID == "" {
				latest[t] = d
			}
		}
	}
	out := make([]Deployment, 0, len(latest))
	for _, d := range latest {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out, err
}

func deploymentTarget(d Deployment) string {
	if d.Target != nil && *d.Target != "" {
		return *d.Target
	}
	return "preview"
}

func targetName(t string) string {
	if t == "" {
		return "preview"
	}
	return t
}
