package render

import (
	"slices"

	"github.com/infragraph/infragraph/query"
)

// impactDigest is what INFRA.md shows of a node's impact analysis (query's, the one `discover
// query impact` gives): the blast radius, the first systems that break with their first broken
// members, the first rebuilds and data destroyed, and how many of each there are. Along a
// dependency chain it is derived from the digest of the node before (see query.ImpactIndex.Chain)
// instead of a walk: a walk per system of a chain of n systems was n²/2 steps.
type impactDigest struct {
	radius   int
	reps     []brokenRep // the first maxBreaks systems among what breaks, nearest first
	nreps    int         // how many systems break
	rebuild  []int32     // the first maxDigest of what cannot redeploy
	nrebuild int
	data     []query.Data // the first maxDigest of the data a deletion destroys
	ndata    int
}

// brokenRep is a system that breaks and its broken members: the first three, and how many.
type brokenRep struct {
	rep   int32
	named []int32
	n     int
}

// maxDigest is how much of a list a digest keeps: what stateLines shows (joinN's first 8).
const maxDigest = 8

// digestOf is v's impact digest, made once: by a walk, or from the digest of the node v's walk
// continues (query.ImpactIndex.Chain), following such nodes without recursion (a chain of
// 100,000 nodes).
func (m *model) digestOf(v int32) *impactDigest {
	if m.digests == nil {
		m.digests = make([]*impactDigest, len(m.nodes))
	}
	x := m.impacts()
	var path []int32 // nodes whose digest comes from the next one's, v first
	for cur := v; m.digests[cur] == nil; {
		u, _, ok := x.Chain(cur)
		if !ok || m.walkAll {
			m.digests[cur] = m.walkDigest(cur)
			break
		}
		path = append(path, cur)
		cur = u
	}
	for i := len(path) - 1; i >= 0; i-- {
		w := path[i]
		u, runsOn, _ := x.Chain(w)
		d := m.chainDigest(w, u, runsOn, m.digests[u])
		if d == nil {
			d = m.walkDigest(w)
		}
		m.digests[w] = d
	}
	return m.digests[v]
}

// walkDigest makes v's digest from its walk.
func (m *model) walkDigest(v int32) *impactDigest {
	w := m.impacts().WalkedOf(v, maxDigest)
	d := &impactDigest{radius: w.BlastRadius, nrebuild: len(w.Rebuild), ndata: w.Destroyed,
		rebuild: slices.Clone(w.Rebuild[:min(len(w.Rebuild), maxDigest)]), data: w.Data}
	at := map[int32]int{} // rep -> its index in reps, -1 past them
	for _, h := range w.Breaks {
		r := m.rep[h]
		i, ok := at[r]
		if !ok {
			i = -1
			if len(d.reps) < maxBreaks {
				i = len(d.reps)
				d.reps = append(d.reps, brokenRep{rep: r})
			}
			at[r] = i
			d.nreps++
		}
		if i < 0 || h == r {
			continue
		}
		if b := &d.reps[i]; len(b.named) < 3 {
			b.named = append(b.named, h)
		}
		d.reps[i].n++
	}
	return d
}

// chainDigest derives w's digest from du, the digest of u, the node w's walk continues (u breaks
// first, then what breaks with u, one level further; runsOn: u runs on w, so what u's deletion
// destroys w's destroys too). It returns nil when du cannot say (u's system may be among those
// past du's list): then w is walked.
func (m *model) chainDigest(w, u int32, runsOn bool, du *impactDigest) *impactDigest {
	ru := m.rep[u]
	first := brokenRep{rep: ru}
	if u != ru {
		first.named, first.n = []int32{u}, 1
	}
	d := &impactDigest{radius: du.radius + 1, rebuild: du.rebuild, nrebuild: du.nrebuild, nreps: du.nreps + 1}
	found := slices.IndexFunc(du.reps, func(b brokenRep) bool { return b.rep == ru })
	switch {
	case found >= 0: // u's system broke in u's walk too: one entry, u's members first
		b := du.reps[found]
		first.named = append(first.named, b.named...)[:min(len(first.named)+len(b.named), 3)]
		first.n += b.n
		d.nreps = du.nreps
	case du.nreps > len(du.reps) && (ru != u || len(m.members.of(u)) > 0):
		return nil // ru may be past the list (u's walk excludes u, and no member of u can be in it)
	}
	d.reps = make([]brokenRep, 0, min(len(du.reps)+1, maxBreaks))
	d.reps = append(d.reps, first)
	for i, b := range du.reps {
		if i != found && len(d.reps) < maxBreaks {
			d.reps = append(d.reps, b)
		}
	}
	if own, ok := m.impacts().DataOf(w); ok {
		d.data, d.ndata = []query.Data{own}, 1
	}
	if runsOn {
		for _, x := range du.data {
			if len(d.data) < maxDigest {
				d.data = append(d.data, x)
			}
		}
		d.ndata += du.ndata
	}
	return d
}
