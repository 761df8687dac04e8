package history

import (
	"strings"
	"time"

	"github.com/infragraph/infragraph/graph"
)

// Carry returns a copy of cur, the merged output of this scan's collectors, with freshness
// stamped and the previous scan's observed contributions carried forward where their instance did
// not complete. now is the scan's start. prev may be nil (the first scan). Neither input is
// modified.
//
// Every node and observed edge in cur is fresh: last_seen is now, first_seen comes from prev (or
// is now). A node of prev missing from cur is carried, stale, when the instance in its Source has
// a status in cur.Collectors other than ok; an observed edge likewise, when both endpoints are in
// the result. An ownerless node of prev (a git repo, an external host) is carried only when a
// carried edge needs it, with that edge's source. Carried nodes are counted in their instance's CollectorStatus.Stale.
//
// Carry runs before enrichment, so that rules see carried nodes: a reference to a database whose
// collector failed still resolves to that database, not to a new external host.
//
// A node cur already holds marked stale was carried in early, by CarriedNode (scan.Merge does so
// when an edge observed this scan points at it): it stays as it is and is counted as carried.
func Carry(prev, cur *graph.Graph, now time.Time) *graph.Graph {
	g := cur.Clone()
	ts := stamp(now)
	carried := map[string]int{}
	excluded := excludedInstances(g.Collectors)
	// stamps in place, node by node: no order matters, so no sorted copy of the graph
	g.EachNode(func(n *graph.Node) {
		if n.Stale && prev != nil && prev.HasNode(n.ID) {
			carried[n.Source]++
			return
		}
		if excluded[n.Source] && prev != nil && prev.HasNode(n.ID) {
			return // carried in early, as it was, by CarriedNode
		}
		freshNode(n, prev, ts)
	})
	g.EachEdge(func(e *graph.Edge) { freshEdge(e, prev, ts) })
	if prev == nil {
		return g
	}
	incomplete := incompleteInstances(g.Collectors)
	for _, n := range prev.Nodes() {
		if g.HasNode(n.ID) || n.Source == "" || !incomplete[n.Source] {
			continue
		}
		if excluded[n.Source] {
			_ = g.SetNode(n) // left out on purpose: kept as it was, stale only if it already was
			if n.Stale {
				carried[n.Source]++
			}
			continue
		}
		_ = g.SetNode(staleNode(n, ts))
		carried[n.Source]++
	}
	for _, e := range prev.Edges() {
		if e.Origin != graph.Observed || e.Source == "" || !incomplete[e.Source] {
			continue
		}
		if _, ok := g.Edge(e.Key()); ok {
			continue
		}
		add, ok := endpoints(g, prev, e)
		if !ok {
			continue // an endpoint's owner completed without it: it is gone, and the edge with it
		}
		if excluded[e.Source] {
			for _, n := range add {
				n.Source = e.Source
				_ = g.SetNode(n)
			}
			_ = g.AddEdge(e)
			continue
		}
		for _, n := range add {
			n.Source = e.Source // says why it is still here
			_ = g.SetNode(staleNode(n, ts))
			carried[e.Source]++
		}
		_ = g.AddEdge(staleEdge(e, ts))
	}
	for i := range g.Collectors {
		g.Collectors[i].Stale = carried[g.Collectors[i].Key()]
	}
	return g
}

// CarriedNode returns the node with id as Carry would carry it from prev, stale since now: a node
// of prev whose instance (its Source) has a status other than ok in statuses, this scan's. ok is
// false for any other id. The pipeline uses it to keep an edge observed this scan whose endpoint
// only history still holds (a droplet of a DigitalOcean account that failed this scan, pointed at
// by a Docker engine that succeeded); Carry then leaves the node as it is.
func CarriedNode(prev *graph.Graph, statuses []graph.CollectorStatus, id string, now time.Time) (graph.Node, bool) {
	if prev == nil {
		return graph.Node{}, false
	}
	n, ok := prev.Node(id)
	if !ok || n.Source == "" || !incompleteInstances(statuses)[n.Source] {
		return graph.Node{}, false
	}
	if excludedInstances(statuses)[n.Source] {
		return n, true // left out on purpose: as it was
	}
	return staleNode(n, stamp(now)), true
}

// excludedInstances maps each instance left out on purpose (--only, --skip) to true.
func excludedInstances(statuses []graph.CollectorStatus) map[string]bool {
	m := map[string]bool{}
	for _, c := range statuses {
		if c.Status == graph.StatusExcluded {
			m[c.Key()] = true
		}
	}
	return m
}

// incompleteInstances maps each instance's key to whether it did not complete (status not ok).
func incompleteInstances(statuses []graph.CollectorStatus) map[string]bool {
	m := make(map[string]bool, len(statuses))
	for _, c := range statuses {
		m[c.Key()] = c.Status != graph.StatusOK
	}
	return m
}

// CarryInferred returns a copy of cur after enrichment with the inferred edges' freshness stamped
// (and that of nodes enrichers added, such as external hosts), and carries forward, stale, an
// inferred edge of prev that this scan did not propose again when both its endpoints are in cur
// and either an endpoint is stale (its evidence could not be re-read) or the enrichers of its
// origin did not complete this scan (an LLM that was unreachable or not configured). An inferred
// edge whose enrichers ran cleanly over fresh endpoints and did not propose it again is gone: its
// evidence changed.
func CarryInferred(prev, cur *graph.Graph, now time.Time) *graph.Graph {
	g := cur.Clone()
	ts := stamp(now)
	g.EachNode(func(n *graph.Node) {
		if n.LastSeen == "" {
			freshNode(n, prev, ts)
		}
	})
	g.EachEdge(func(e *graph.Edge) {
		if !e.Stale {
			freshEdge(e, prev, ts)
		}
	})
	if prev == nil {
		return g
	}
	// each edge is decided on cur's nodes alone, so the order does not matter: no sorted copy
	prev.EachEdge(func(e *graph.Edge) {
		if e.Origin == graph.Observed {
			return
		}
		if _, ok := g.Edge(e.Key()); ok {
			return
		}
		from, okF := g.Node(e.From)
		to, okT := g.Node(e.To)
		if !okF || !okT {
			return
		}
		if !from.Stale && !to.Stale && enrichersCompleted(g.Scan.Enrichment, e.Origin) {
			return
		}
		_ = g.AddEdge(staleEdge(*e, ts))
	})
	return g
}

// enrichersCompleted reports whether the enrichers of an origin ran this scan without error,
// reading the enrich stage's summary (keys "<enricher>.proposed" and "<enricher>.error", enricher
// names starting with "rule" or "llm").
func enrichersCompleted(summary map[string]any, o graph.Origin) bool {
	family := string(o)
	ran := false
	for k := range summary {
		if !strings.HasPrefix(k, family) {
			continue
		}
		switch {
		case strings.HasSuffix(k, ".error"):
			return false
		case strings.HasSuffix(k, ".proposed"):
			ran = true
		}
	}
	return ran
}

// endpoints reports whether e's endpoints are in g, or can be: an ownerless node of prev comes
// along with the edge (returned in add).
func endpoints(g, prev *graph.Graph, e graph.Edge) (add []graph.Node, ok bool) {
	for _, id := range []string{e.From, e.To} {
		if g.HasNode(id) {
			continue
		}
		n, found := prev.Node(id)
		if !found || n.Source != "" {
			return nil, false
		}
		if len(add) == 0 || add[0].ID != id {
			add = append(add, n)
		}
	}
	return add, true
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// freshNode marks n observed now, keeping when it was first seen.
func freshNode(n *graph.Node, prev *graph.Graph, ts string) {
	first := n.FirstSeen
	if prev != nil {
		if p, ok := prev.Node(n.ID); ok {
			first = firstSeen(p.FirstSeen, p.LastSeen, prev.Scan.StartedAt)
		}
	}
	if first == "" {
		first = ts
	}
	n.FirstSeen, n.LastSeen, n.Stale, n.StaleSince = first, ts, false, ""
}

func freshEdge(e *graph.Edge, prev *graph.Graph, ts string) {
	first := e.FirstSeen
	if prev != nil {
		if p, ok := prev.Edge(e.Key()); ok {
			first = firstSeen(p.FirstSeen, p.LastSeen, prev.Scan.StartedAt)
		}
	}
	if first == "" {
		first = ts
	}
	e.FirstSeen, e.LastSeen, e.Stale, e.StaleSince = first, ts, false, ""
}

// firstSeen picks the earliest known sighting of something an older graph.json (written before
// freshness existed) may lack.
func firstSeen(candidates ...string) string {
	for _, c := range candidates {
		if c != "" {
			return c
		}
	}
	return ""
}

func staleNode(n graph.Node, ts string) graph.Node {
	if !n.Stale || n.StaleSince == "" {
		n.Stale, n.StaleSince = true, ts
	}
	return n
}

func staleEdge(e graph.Edge, ts string) graph.Edge {
	if !e.Stale || e.StaleSince == "" {
		e.Stale, e.StaleSince = true, ts
	}
	e.Evidence = append([]graph.Evidence(nil), e.Evidence...)
	e.Origins = append([]graph.Origin(nil), e.Origins...)
	return e
}
