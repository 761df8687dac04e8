// Package alerts finds, deterministically, what an operator must see when a scan is compared
// with the previous one: an exposure opened (a firewall rule, trusted source or network
// restriction now allowing 0.0.0.0/0 or ::/0, a bucket made public), a new dependency on an
// external host no earlier scan had, a database setting whose target moved to another database,
// a collector stale for more than N scans in a row, and a production deployment from a
// repository not known before.
//
// Alerts are about change: an unchanged rescan raises none, and what a collector instance the
// previous scan did not have brings is its baseline, not news (configuring a new provider does
// not flood the operator). The first scan in a directory has nothing to compare with and raises
// none.
package alerts

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
)

// DefaultStaleScans is how many scans in a row a collector may stay stale before an alert.
const DefaultStaleScans = 3

// Options configure detection (the config file's alerts: section).
type Options struct {
	// StaleScans: a collector instance that failed or was skipped, holding stale data, for more
	// than this many scans in a row raises one alert, on the scan that crosses it (0: the default).
	StaleScans int `yaml:"stale_scans"`
	// KnownRepos are repositories production may deploy from besides those earlier scans saw:
	// "github.com/acme/api", or "github.com/acme/*" for every repository of an owner.
	KnownRepos []string `yaml:"known_repos"`
}

// Validate checks the options; errors start with the field's yaml name.
func (o Options) Validate() error {
	if o.StaleScans < 0 {
		return fmt.Errorf("stale_scans: must not be negative, not %d", o.StaleScans)
	}
	for _, r := range o.KnownRepos {
		if strings.TrimSpace(r) == "" || strings.Contains(strings.TrimSuffix(r, "/*"), "*") {
			return fmt.Errorf("known_repos: %q is not a repository (host/owner/name) or host/owner/*", r)
		}
	}
	return nil
}

func (o Options) staleScans() int {
	if o.StaleScans <= 0 {
		return DefaultStaleScans
	}
	return o.StaleScans
}

// Streaks sets each collector's StaleScans in cur from prev (nil: the first scan): one more than
// last time when the instance failed or was skipped while it holds stale data, unchanged when it
// was excluded on purpose (--only, --skip), 0 otherwise.
func Streaks(prev, cur *graph.Graph) {
	before := map[string]int{}
	if prev != nil {
		for _, c := range prev.Collectors {
			before[c.Key()] = c.StaleScans
		}
	}
	for i := range cur.Collectors {
		c := &cur.Collectors[i]
		switch {
		case c.Status == graph.StatusExcluded:
			c.StaleScans = before[c.Key()]
		case (c.Status == graph.StatusFailed || c.Status == graph.StatusSkipped) && c.Stale > 0:
			c.StaleScans = before[c.Key()] + 1
		default:
			c.StaleScans = 0
		}
	}
}

// Detect compares cur with prev, whose differences ch are (history.Diff(prev, cur)), and returns
// the alerts, sorted by kind, subject and message. cur's collectors must have their streaks set
// (Streaks).
func Detect(prev, cur *graph.Graph, ch *history.Changes, o Options) []graph.Alert {
	if prev == nil || ch == nil {
		return nil
	}
	d := detector{prev: prev, cur: cur, o: o, sources: map[string]bool{}}
	for _, c := range prev.Collectors {
		if c.Status == graph.StatusOK || c.Status == graph.StatusPartial || c.Stale > 0 {
			d.sources[c.Key()] = true
		}
	}
	d.exposures(ch)
	d.externalHosts(ch)
	d.databases(ch)
	d.stale()
	d.deploys(ch)
	sort.Slice(d.out, func(i, j int) bool {
		a, b := d.out[i], d.out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Message < b.Message
	})
	return d.out
}

type detector struct {
	prev, cur *graph.Graph
	o         Options
	sources   map[string]bool // collector instances the previous scan had data from
	out       []graph.Alert
}

// baseline reports whether n came from a collector instance the previous scan had no data from:
// its first findings are the baseline, not news.
func (d *detector) baseline(n graph.Node) bool {
	return n.Source != "" && !d.sources[n.Source]
}

func (d *detector) add(a graph.Alert) {
	sort.Strings(a.Nodes)
	a.Nodes = slices.Compact(a.Nodes)
	d.out = append(d.out, a)
}

// --- exposure -----------------------------------------------------------------------------------

// world are the addresses that mean "anyone".
var world = map[string]bool{"0.0.0.0/0": true, "::/0": true, "0.0.0.0": true, "::": true}

// openings returns what makes n reachable by anyone, per kind, as short phrases ("inbound from
// 0.0.0.0/0"); nil when nothing does.
func openings(n graph.Node, perPortOK bool) []string {
	var out []string
	worldIn := func(field, what string) {
		for _, v := range vals(n, field) {
			if world[strings.TrimPrefix(v, "ip_addr:")] {
				out = append(out, what+" "+strings.TrimPrefix(v, "ip_addr:"))
			}
		}
	}
	switch n.Kind {
	case "firewall":
		// A firewall read by a collector that records which ports anyone may reach says so per
		// port (opening SSH to the world beside an open HTTPS is news); one carried from an older
		// scan has only its addresses.
		if _, perPort := n.Attrs["inbound_open_ports"]; perPort && perPortOK {
			for _, p := range vals(n, "inbound_open_ports") {
				out = append(out, "inbound "+p+" from anywhere")
			}
			break
		}
		worldIn("inbound_addresses", "inbound traffic from")
	case "network_restriction":
		worldIn("allowed_cidrs", "database connections from")
		if b, _ := n.Attrs["unrestricted"].(bool); b && len(out) == 0 {
			out = append(out, "database connections from anywhere (unrestricted)")
		}
	case "db_cluster":
		worldIn("trusted_sources", "connections from trusted source")
	case "db_trusted_source":
		if world[n.Str("cidr")] {
			out = append(out, "connections from trusted source "+n.Str("cidr"))
		}
	case "storage_bucket":
		if b, _ := n.Attrs["public"].(bool); b {
			out = append(out, "public reads (the bucket is public)")
		}
	}
	return out
}

func (d *detector) exposures(ch *history.Changes) {
	for _, r := range ch.NodesAdded {
		n, ok := d.cur.Node(r.ID)
		if !ok || n.Stale || d.baseline(n) {
			continue
		}
		if open := openings(n, true); len(open) > 0 {
			d.add(graph.Alert{Kind: graph.AlertExposureOpened, Subject: n.ID, Nodes: d.withParents(n.ID),
				Now:     strings.Join(open, "; "),
				Message: fmt.Sprintf("new %s %s allows %s", words(n.Kind), quote(n.Name), strings.Join(open, "; "))})
		}
	}
	for _, c := range ch.NodesChanged {
		n, ok := d.cur.Node(c.ID)
		o, okO := d.prev.Node(c.ID)
		if !ok || !okO || n.Stale {
			continue
		}
		// Both sides in the same terms: per port only when both scans recorded ports.
		_, a := o.Attrs["inbound_open_ports"]
		_, b := n.Attrs["inbound_open_ports"]
		was, now := openings(o, a && b), openings(n, a && b)
		var opened []string
		for _, x := range now {
			if !slices.Contains(was, x) {
				opened = append(opened, x)
			}
		}
		if len(opened) > 0 {
			d.add(graph.Alert{Kind: graph.AlertExposureOpened, Subject: n.ID, Nodes: d.withParents(n.ID),
				Was: strings.Join(orNone(was), "; "), Now: strings.Join(opened, "; "),
				Message: fmt.Sprintf("%s %s now allows %s", words(n.Kind), quote(n.Name), strings.Join(opened, "; "))})
			continue
		}
		// A DigitalOcean database with no trusted source accepts connections from anywhere: the
		// last rule removed opens it as surely as a 0.0.0.0/0 rule would.
		if n.Kind == "db_cluster" && len(vals(o, "trusted_sources")) > 0 && len(vals(n, "trusted_sources")) == 0 {
			d.add(graph.Alert{Kind: graph.AlertExposureOpened, Subject: n.ID, Nodes: d.withParents(n.ID),
				Was: strings.Join(vals(o, "trusted_sources"), ", "), Now: "no trusted sources",
				Message: fmt.Sprintf("database cluster %s has no trusted sources any more: it accepts connections from any address", quote(n.Name))})
		}
	}
}

// withParents is id and the nodes that contain it (a trusted source's cluster, a bucket's
// project), so the alert names the system.
func (d *detector) withParents(id string) []string {
	ids := []string{id}
	d.cur.EachIn(id, func(e *graph.Edge) {
		if e.Type == "contains" {
			ids = append(ids, e.From)
		}
	})
	return ids
}

// --- external hosts -----------------------------------------------------------------------------

func (d *detector) externalHosts(ch *history.Changes) {
	users := map[string][]string{} // new external host -> dependents that are not baseline
	for _, e := range ch.EdgesAdded {
		to, ok := d.cur.Node(e.To)
		if !ok || to.Provider != "external" || d.prev.HasNode(e.To) {
			continue
		}
		from, ok := d.cur.Node(e.From)
		if !ok || from.Stale || d.baseline(from) {
			continue
		}
		users[e.To] = append(users[e.To], e.From)
	}
	for host, from := range users {
		n, _ := d.cur.Node(host)
		sort.Strings(from)
		from = slices.Compact(from)
		d.add(graph.Alert{Kind: graph.AlertNewExternalHost, Subject: host, Nodes: append([]string{host}, from...), Now: n.Name,
			Message: fmt.Sprintf("new dependency on external host %s, which no earlier scan had: used by %s", quote(n.Name), strings.Join(from, ", "))})
	}
}

// --- databases ----------------------------------------------------------------------------------

// targets returns the databases the setting key reaches in g through uses_database edges: key
// is an env var node (its own edges, and those lifted to what contains it, which name it in
// Via), or "<node id> env <NAME>" for a variable inside a container's or app's spec.
func targets(g *graph.Graph, key string) []string {
	subject, _, inSpec := strings.Cut(key, " env ")
	var out []string
	visit := func(e *graph.Edge) {
		if e.Type == "uses_database" && !e.Stale && slices.Contains(settingKeys(g, *e), key) {
			out = append(out, e.To)
		}
	}
	g.EachOut(subject, visit)
	if !inSpec {
		g.EachIn(subject, func(c *graph.Edge) {
			if c.Type == "contains" {
				g.EachOut(c.From, visit)
			}
		})
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func settingKeys(g *graph.Graph, e graph.Edge) []string {
	var ks []string
	for _, v := range e.Via {
		if n, ok := g.Node(v); ok && n.Kind == "env_var" {
			ks = append(ks, v)
		}
	}
	for _, ev := range e.Evidence {
		if ev.Node == e.From && strings.HasPrefix(ev.Field, "env.") {
			name, _, _ := strings.Cut(strings.TrimPrefix(ev.Field, "env."), ".")
			ks = append(ks, e.From+" env "+name)
		}
	}
	return ks
}

func (d *detector) databases(ch *history.Changes) {
	// Only a setting whose uses_database edges changed can have moved: its keys come from the
	// edges added and removed, and only those are looked up (not every edge of the graph).
	keys := map[string]bool{}
	for _, side := range []struct {
		g  *graph.Graph
		es []history.EdgeRef
	}{{d.cur, ch.EdgesAdded}, {d.prev, ch.EdgesRemoved}} {
		for _, r := range side.es {
			if r.Type != "uses_database" {
				continue
			}
			if e, ok := side.g.Edge(graph.EdgeKey{From: r.From, To: r.To, Type: r.Type}); ok {
				for _, k := range settingKeys(side.g, e) {
					keys[k] = true
				}
			}
		}
	}
	was, now := map[string][]string{}, map[string][]string{}
	for k := range keys {
		if w := targets(d.prev, k); len(w) > 0 {
			was[k], now[k] = w, targets(d.cur, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(was)) {
		subject, name, inSpec := strings.Cut(k, " env ")
		n, ok := d.cur.Node(subject)
		if !ok || n.Stale {
			continue // removed or not observed this scan: nothing says where it points now
		}
		label := quote(n.Name)
		if inSpec {
			label = quote(name) + " of " + quote(n.Name)
		} else if p := d.project(n.ID); p != "" {
			label += " of " + quote(p)
		}
		var moved []string
		for _, t := range now[k] {
			if !slices.Contains(was[k], t) {
				moved = append(moved, t)
			}
		}
		switch {
		case len(moved) > 0:
			d.add(graph.Alert{Kind: graph.AlertDatabaseMoved, Subject: subject, Nodes: append(append([]string{subject}, moved...), present(d.cur, was[k])...),
				Was: strings.Join(was[k], ", "), Now: strings.Join(now[k], ", "),
				Message: fmt.Sprintf("setting %s now points at database %s (it pointed at %s)", label, strings.Join(moved, ", "), strings.Join(was[k], ", "))})
		case len(now[k]) == 0 && !inSpec:
			// The variable still exists but reaches no database this graph has: say where it goes.
			o, _ := d.prev.Node(subject)
			if h, oh := n.Str("value.host"), o.Str("value.host"); h != oh || n.Str("value.database") != o.Str("value.database") {
				d.add(graph.Alert{Kind: graph.AlertDatabaseMoved, Subject: subject, Nodes: append([]string{subject}, present(d.cur, was[k])...),
					Was: strings.Join(was[k], ", "), Now: orDash(h),
					Message: fmt.Sprintf("setting %s now points at host %s, which no scanned database owns (it pointed at %s)", label, quote(orDash(h)), strings.Join(was[k], ", "))})
			}
		}
	}
}

// project names the node that contains id (an env var's project), or "".
func (d *detector) project(id string) string {
	name := ""
	d.cur.EachIn(id, func(e *graph.Edge) {
		if e.Type == "contains" && name == "" {
			if p, ok := d.cur.Node(e.From); ok {
				name = p.Name
			}
		}
	})
	return name
}

// present keeps the ids g has (an alert cites only nodes of its graph).
func present(g *graph.Graph, ids []string) []string {
	var out []string
	for _, id := range ids {
		if g.HasNode(id) {
			out = append(out, id)
		}
	}
	return out
}

// --- stale collectors ---------------------------------------------------------------------------

func (d *detector) stale() {
	n := d.o.staleScans()
	for _, c := range d.cur.Collectors {
		if c.StaleScans != n+1 { // once, on the scan that crosses the limit
			continue
		}
		d.add(graph.Alert{Kind: graph.AlertProviderStale, Subject: c.Key(), Now: string(c.Status),
			Message: fmt.Sprintf("collector %s has not completed for %d scans in a row (%s now; alerts.stale_scans is %d): its %d nodes are carried from an earlier scan and may be out of date",
				c.Key(), c.StaleScans, c.Status, n, c.Stale)})
	}
}

// --- deployments --------------------------------------------------------------------------------

func (d *detector) deploys(ch *history.Changes) {
	var known map[string]bool // every repository the previous scan named, built on first need
	isKnown := func(repo string) bool {
		if d.prev.HasNode(graph.ID("git", "repo", repo)) {
			return true
		}
		if known == nil {
			known = map[string]bool{}
			for _, n := range d.prev.Nodes() {
				if n.Kind == "repo" {
					known[n.Name] = true
				}
				if r := n.Str("repo"); r != "" {
					known[r] = true
				}
			}
		}
		return known[repo]
	}
	for _, r := range ch.NodesAdded {
		n, ok := d.cur.Node(r.ID)
		if !ok || n.Kind != "deployment" || n.Stale || d.baseline(n) || n.Str("target") != "production" {
			continue
		}
		repo := n.Str("repo")
		if repo == "" || d.allowed(repo) || isKnown(repo) {
			continue
		}
		ids := d.withParents(n.ID)
		d.cur.EachOut(n.ID, func(e *graph.Edge) {
			if e.Type == "builds_from" {
				ids = append(ids, e.To)
			}
		})
		d.add(graph.Alert{Kind: graph.AlertUnknownRepoDeploy, Subject: n.ID, Nodes: ids, Now: repo,
			Message: fmt.Sprintf("production deployment %s was built from repository %s, which no earlier scan had and alerts.known_repos does not list", quote(n.Name), quote(repo))})
	}
}

func (d *detector) allowed(repo string) bool {
	for _, k := range d.o.KnownRepos {
		if k == repo || (strings.HasSuffix(k, "/*") && strings.HasPrefix(repo, strings.TrimSuffix(k, "*"))) {
			return true
		}
	}
	return false
}

// --- small helpers ------------------------------------------------------------------------------

// vals is a string or list attribute's values (nil when absent).
func vals(n graph.Node, field string) []string {
	v, _ := n.AttrValues(field)
	return v
}

func words(kind string) string { return strings.ReplaceAll(kind, "_", " ") }

// quote marks a provider's name as data in our sentence.
func quote(s string) string { return strconv.Quote(s) }

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"nothing open"}
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
