package history

import (
	"slices"
	"strings"
	"time"

	"github.com/infragraph/infragraph/graph"
)

// Carry stamps freshness into cur, the merged output of this scan's collectors, and carries the
// previous scan's observed contributions forward into it where their instance did not complete.
// now is the scan's start. prev may be nil (the first scan). Carry modifies cur, which the caller
// owns (the scan's own graph: a copy of a 100k-node graph was most of the stage's time and
// memory; clone it first to keep it); prev is not modified, and cur shares no attribute map,
// evidence or origin list with it afterwards.
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
func Carry(prev, cur *graph.Graph, now time.Time) {
	g := cur
	ts := stamp(now)
	carried := map[string]int{}
	excluded := excludedInstances(g.Collectors)
	// stamps in place, node by node: no order matters, so no sorted copy of the graph
	m := mapNumbers(prev, g, func(n, p *graph.Node) {
		if n.Stale && p != nil {
			carried[n.Source]++
			return
		}
		if excluded[n.Source] && p != nil {
			return // carried in early, as it was, by CarriedNode
		}
		freshNode(n, p, prev, ts)
	})
	g.EachEdgeEnds(func(e *graph.Edge, from, to int32) { freshEdge(e, m.prevEdge(prev, e, from, to), prev, ts) })
	if prev == nil {
		return
	}
	incomplete := incompleteInstances(g.Collectors)
	// A carried node depends on nothing else carried: prev's nodes in any order. Nodes are added
	// to g while prev is walked, never to prev; each takes g's next number, from first on.
	first := int32(g.IndexLen())
	for pi, i := range m.toG {
		n := prev.NodeAt(int32(pi))
		if n == nil || i >= 0 || n.Source == "" || !incomplete[n.Source] {
			continue
		}
		next := int32(g.IndexLen())
		if excluded[n.Source] {
			if g.SetNode(*n) == nil { // left out on purpose: kept as it was, stale only if it already was
				m.toG[pi] = next
			}
			if n.Stale {
				carried[n.Source]++
			}
			continue
		}
		if g.SetNode(staleNode(*n, ts)) == nil {
			m.toG[pi] = next
		}
		carried[n.Source]++
	}
	// An observed edge whose endpoints are both in g is carried whatever the order. One that
	// needs an ownerless node of prev depends on order: the first such edge, in (from, to, type)
	// order, carries the node and names its source, so only these few are sorted.
	var needy []*graph.Edge
	prev.EachEdgeEnds(func(e *graph.Edge, from, to int32) {
		if e.Origin != graph.Observed || e.Source == "" || !incomplete[e.Source] {
			return
		}
		f, t := m.toG[from], m.toG[to]
		if f < 0 || t < 0 {
			needy = append(needy, e)
			return
		}
		if f < first && t < first && g.EdgeBetween(f, t, e.Type) != nil {
			return // observed this scan too (an edge of a node carried just now cannot be)
		}
		carryEdge(g, *e, nil, excluded[e.Source], ts, carried)
	})
	slices.SortFunc(needy, compareEdges)
	for _, e := range needy {
		if g.EdgePtr(e.Key()) != nil {
			continue
		}
		add, ok := endpoints(g, prev, *e)
		if !ok {
			continue // an endpoint's owner completed without it: it is gone, and the edge with it
		}
		carryEdge(g, *e, add, excluded[e.Source], ts, carried)
	}
	for i := range g.Collectors {
		g.Collectors[i].Stale = carried[g.Collectors[i].Key()]
	}
}

// numbering maps the node numbers of a scan's graph (g) and of the previous scan's (prev) to
// each other, -1 for a node the other lacks: an id is hashed once per node, and an edge is
// looked up in the other graph by its ends' numbers (graph.EdgeBetween), not by its two ids.
type numbering struct{ toPrev, toG []int32 }

// mapNumbers numbers g's nodes in prev (nil: none) and calls f with each node of g and its node
// in prev (nil when prev has none).
func mapNumbers(prev, g *graph.Graph, f func(n, p *graph.Node)) numbering {
	m := numbering{toPrev: numbers(g.IndexLen())}
	if prev != nil {
		m.toG = numbers(prev.IndexLen())
	}
	for i := range m.toPrev {
		n := g.NodeAt(int32(i))
		if n == nil {
			continue
		}
		var p *graph.Node
		if prev != nil {
			if pi, ok := prev.Index(n.ID); ok {
				p = prev.NodeAt(pi)
				m.toPrev[i], m.toG[pi] = pi, int32(i)
			}
		}
		f(n, p)
	}
	return m
}

// prevEdge returns the edge of prev between the nodes numbered from and to in g with e's type,
// nil when there is none (or no prev).
func (m numbering) prevEdge(prev *graph.Graph, e *graph.Edge, from, to int32) *graph.Edge {
	if prev == nil {
		return nil
	}
	f, t := m.toPrev[from], m.toPrev[to]
	if f < 0 || t < 0 {
		return nil
	}
	return prev.EdgeBetween(f, t, e.Type)
}

// carryEdge adds e of the previous scan to g with the ownerless nodes it brings along (add),
// stale unless its instance was left out on purpose (then as it was), counting the nodes carried.
func carryEdge(g *graph.Graph, e graph.Edge, add []graph.Node, excluded bool, ts string, carried map[string]int) {
	if excluded {
		for _, n := range add {
			n.Source = e.Source
			_ = g.SetNode(n)
		}
		_ = g.AddEdge(copyLists(e))
		return
	}
	for _, n := range add {
		n.Source = e.Source // says why it is still here
		_ = g.SetNode(staleNode(n, ts))
		carried[e.Source]++
	}
	_ = g.AddEdge(staleEdge(e, ts))
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

// CarryInferred stamps, in cur after enrichment, the inferred edges' freshness (and that of nodes
// enrichers added, such as external hosts), and carries forward into it, stale, an inferred edge
// of prev that this scan did not propose again when both its endpoints are in cur and either an
// endpoint is stale (its evidence could not be re-read) or the enrichers of its origin did not
// complete this scan (an LLM that was unreachable or not configured). An inferred edge whose
// enrichers ran cleanly over fresh endpoints and did not propose it again is gone: its evidence
// changed. Like Carry, it modifies cur, which the caller owns, and never prev; cur shares no
// evidence or origin list with prev afterwards.
func CarryInferred(prev, cur *graph.Graph, now time.Time) {
	g := cur
	ts := stamp(now)
	m := mapNumbers(prev, g, func(n, p *graph.Node) {
		if n.LastSeen == "" {
			freshNode(n, p, prev, ts)
		}
	})
	g.EachEdgeEnds(func(e *graph.Edge, from, to int32) {
		if !e.Stale {
			freshEdge(e, m.prevEdge(prev, e, from, to), prev, ts)
		}
	})
	if prev == nil {
		return
	}
	completed := map[graph.Origin]bool{}
	for _, o := range []graph.Origin{graph.Rule, graph.LLM} {
		completed[o] = enrichersCompleted(g.Scan.Enrichment, o)
	}
	// each edge is decided on g's nodes as they were before any is carried (carrying an edge adds
	// no node), so the order does not matter: no sorted copy. Edges are added to g while prev is
	// walked, never to prev.
	prev.EachEdgeEnds(func(e *graph.Edge, from, to int32) {
		if e.Origin == graph.Observed {
			return
		}
		f, t := m.toG[from], m.toG[to]
		if f < 0 || t < 0 {
			return
		}
		if !g.NodeAt(f).Stale && !g.NodeAt(t).Stale && originCompleted(completed, g.Scan.Enrichment, e.Origin) {
			return
		}
		if g.EdgeBetween(f, t, e.Type) != nil {
			return
		}
		_ = g.AddEdge(staleEdge(*e, ts))
	})
}

// originCompleted is enrichersCompleted, read from done for the usual origins.
func originCompleted(done map[graph.Origin]bool, summary map[string]any, o graph.Origin) bool {
	if c, ok := done[o]; ok {
		return c
	}
	return enrichersCompleted(summary, o)
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

// freshNode marks n observed now, keeping when it was first seen: p is n's node in prev, nil
// when prev has none.
func freshNode(n, p *graph.Node, prev *graph.Graph, ts string) {
	first := n.FirstSeen
	if p != nil {
		first = firstSeen(p.FirstSeen, p.LastSeen, prev.Scan.StartedAt)
	}
	if first == "" {
		first = ts
	}
	n.FirstSeen, n.LastSeen, n.Stale, n.StaleSince = first, ts, false, ""
}

// freshEdge is freshNode for an edge, p its edge in prev.
func freshEdge(e, p *graph.Edge, prev *graph.Graph, ts string) {
	first := e.FirstSeen
	if p != nil {
		first = firstSeen(p.FirstSeen, p.LastSeen, prev.Scan.StartedAt)
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
	return copyLists(e)
}

// copyLists gives e its own evidence and origin lists, so that the graph it is added to never
// writes to the previous scan's.
func copyLists(e graph.Edge) graph.Edge {
	e.Evidence = append([]graph.Evidence(nil), e.Evidence...)
	e.Origins = append([]graph.Origin(nil), e.Origins...)
	return e
}
