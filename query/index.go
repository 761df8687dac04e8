package query

import (
	"cmp"
	"slices"
	"sort"
	"sync"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// ImpactIndex is the impact analysis of Analyze prepared for many questions about one graph: nodes
// get dense numbers (in id order), each node keeps only the edges the walk can follow, already
// classed by the vocabulary, and a walk marks what it reached in arrays stamped with a walk
// number instead of maps of ids. INFRA.md asks it for every system and the critical ranking:
// one Analyze per system built maps and hits for every node its walk reached (a hub's 90,000
// members for each system that reaches the hub). The graph must not change while it is used.
type ImpactIndex struct {
	g      *graph.Graph
	r      rules
	ids    []string
	rank   []int32 // the graph's node number -> the index's
	state  []bool
	system []bool
	in     [][]inEdge  // per node, the edges into it the walk follows, in EachIn's order
	parts  [][]outEdge // per runtime unit, its containment edges out, in EachOut's order
	pool   sync.Pool   // *walker

	// comp numbers the strongly connected components of the walk's graph (node -> the nodes a
	// walk from it can step to), made on the first Chain; radius caches RadiusOf (-1 not yet).
	compOnce sync.Once
	comp     []int32
	mu       sync.Mutex
	radius   []int32
	dataMu   sync.Mutex
	datas    map[int32]Data // data, once per node (read only: shared by every answer)
}

// in-edge classes: how the walk treats an edge into a broken node.
const (
	inRebuild uint8 = iota // a build-time dependency: its source is Rebuild, not walked through
	inDep                  // a runtime dependency: its source breaks
	inGroup                // containment whose source fails with its member or owns a setting
)

type inEdge struct {
	from   int32
	class  uint8
	runsOn bool
	e      *graph.Edge
}

type outEdge struct {
	to int32
	e  *graph.Edge
}

// NewImpactIndex prepares g for impact questions. Nodes are numbered in id order (the graph's
// SortedIndex: a renderer numbering them the same way shares the numbers), and the index keeps
// pointers to the graph's own edges, walking a node's in that order, EachIn's and EachOut's.
func NewImpactIndex(g *graph.Graph) (*ImpactIndex, error) {
	r, err := loadRules()
	if err != nil {
		return nil, err
	}
	order := g.SortedIndex()
	n := len(order)
	rank := make([]int32, g.IndexLen()) // the graph's node number -> ours
	x := &ImpactIndex{g: g, r: r, ids: make([]string, n), rank: rank,
		state: make([]bool, n), in: make([][]inEdge, n), parts: make([][]outEdge, n)}
	kinds := make([]schemas.Kind, n)
	unit := make([]bool, n)
	for i, gi := range order {
		rank[gi] = int32(i)
		nd := g.NodeAt(gi)
		x.ids[i] = nd.ID
		kinds[i] = r.kind(*nd)
		x.state[i] = kinds[i].State
		switch kinds[i].Category {
		case "compute", "app", "database":
			unit[i] = true
		}
	}
	var lastT, cat string
	var build bool
	g.EachEdgeIndex(func(e *graph.Edge, gf, gt int32) { // sorted by (from, to, type)
		from, to := rank[gf], rank[gt]
		if e.Type != lastT {
			lastT = e.Type
			cat, build = r.edge(e.Type)
		}
		switch {
		case cat == schemas.Dependency && build:
			x.in[to] = append(x.in[to], inEdge{from: from, class: inRebuild, e: e})
		case cat == schemas.Dependency:
			x.in[to] = append(x.in[to], inEdge{from: from, class: inDep, runsOn: e.Type == "runs_on", e: e})
		case cat == schemas.Containment:
			if kinds[from].FailsWithMembers || kinds[to].OwnerFails {
				x.in[to] = append(x.in[to], inEdge{from: from, class: inGroup, e: e})
			}
			if unit[from] {
				x.parts[from] = append(x.parts[from], outEdge{to: to, e: e})
			}
		}
	})
	x.system = make([]bool, n)
	for i := range kinds {
		x.system[i] = kinds[i].System
	}
	return x, nil
}

// lookup is the number of a node id, and whether the graph has it.
func (x *ImpactIndex) lookup(id string) (int32, bool) {
	gi, ok := x.g.Index(id)
	if !ok {
		return 0, false
	}
	return x.rank[gi], true
}

// step is what a walk reached: a node, the node it was reached from and by which edge.
type step struct {
	node, from int32
	d          int32
	rel        relation
	on         bool
	e          *graph.Edge
}

// walker holds one walk's marks; the stamps make clearing them free between walks.
type walker struct {
	stamp    uint32
	seen     []uint32 // == stamp: reached in this walk
	at       []uint32 // == level stamp: reached in the level being built
	pos      []int32  // index in out (seen) or in level (at)
	out, lvl []step
	frontier []int32
	lvlStamp uint32
}

func (x *ImpactIndex) walker() *walker {
	if w, ok := x.pool.Get().(*walker); ok {
		return w
	}
	n := len(x.ids)
	return &walker{seen: make([]uint32, n), at: make([]uint32, n), pos: make([]int32, n)}
}

// walk is analyze over the prepared graph: the same levels, the same order (a level sorted by
// id), the same choice between two edges reaching a node at the same distance. It returns the
// walker, whose out holds the steps; give it back with x.pool.Put.
func (x *ImpactIndex) walk(start int32) *walker {
	w := x.walker()
	w.stamp++
	w.out, w.frontier = w.out[:0], append(w.frontier[:0], start)
	w.seen[start] = w.stamp
	w.pos[start] = -1
	onStart := func(n int32) bool { return n == start || (w.pos[n] >= 0 && w.out[w.pos[n]].on) }
	for d := int32(1); len(w.frontier) > 0; d++ {
		w.lvlStamp++
		w.lvl = w.lvl[:0]
		add := func(from, to int32, e *graph.Edge, rel relation, on bool) {
			if w.at[to] == w.lvlStamp {
				l := &w.lvl[w.pos[to]]
				if rel < l.rel || (rel == l.rel && e.Confidence > l.e.Confidence) {
					l.rel, l.from, l.e = rel, from, e
				}
				l.on = l.on || on
				return
			}
			if w.seen[to] == w.stamp {
				return
			}
			w.at[to] = w.lvlStamp
			w.pos[to] = int32(len(w.lvl))
			w.lvl = append(w.lvl, step{node: to, from: from, d: d, rel: rel, on: on, e: e})
		}
		for _, cur := range w.frontier {
			if cur != start && w.out[w.pos[cur]].rel == relRebuild {
				continue
			}
			curOn := onStart(cur)
			for _, ie := range x.in[cur] {
				switch ie.class {
				case inRebuild:
					add(cur, ie.from, ie.e, relRebuild, false)
				case inDep:
					add(cur, ie.from, ie.e, relBreaks, curOn && ie.runsOn)
				default:
					add(cur, ie.from, ie.e, relBreaks, false)
				}
			}
			for _, oe := range x.parts[cur] {
				add(cur, oe.to, oe.e, relPart, curOn)
			}
		}
		if len(w.lvl) > 1 {
			slices.SortFunc(w.lvl, func(a, b step) int { return cmp.Compare(a.node, b.node) })
		}
		w.frontier = w.frontier[:0]
		for _, l := range w.lvl {
			w.seen[l.node] = w.stamp
			w.pos[l.node] = int32(len(w.out))
			w.out = append(w.out, l)
			w.frontier = append(w.frontier, l.node)
		}
	}
	return w
}

// Summary is an Analysis by node ids: the same lists in the same order, without the hits' nodes
// and edges (what INFRA.md needs: counts, names and links).
type Summary struct {
	BlastRadius int
	Breaks      []string
	Parts       []string
	Rebuild     []string
	Data        []Data
}

// Radius is BlastRadius(g, id); an id not in the graph has none.
func (x *ImpactIndex) Radius(id string) int {
	s, ok := x.lookup(id)
	if !ok {
		return 0
	}
	return x.RadiusOf(s)
}

// RadiusOf is Radius of node number v. Along a chain (see Chain) it is one more than the
// radius of the node before, so the radii of a long dependency chain cost one walk, not one
// walk per node (which was quadratic in the chain's length); every radius is kept.
func (x *ImpactIndex) RadiusOf(v int32) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.radius == nil {
		x.radius = make([]int32, len(x.ids))
		for i := range x.radius {
			x.radius[i] = -1
		}
	}
	var path []int32
	cur := v
	for x.radius[cur] < 0 {
		u, _, ok := x.Chain(cur)
		if !ok {
			x.radius[cur] = int32(x.walkRadius(cur))
			break
		}
		path = append(path, cur)
		cur = u
	}
	r := x.radius[cur]
	for i := len(path) - 1; i >= 0; i-- {
		r++
		x.radius[path[i]] = r
	}
	return int(r)
}

func (x *ImpactIndex) walkRadius(v int32) int {
	w := x.walk(v)
	defer x.pool.Put(w)
	c := 0
	for _, st := range w.out {
		if st.rel == relBreaks {
			c++
		}
	}
	return c
}

// Chain reports whether the walk from node v is the walk from one other node u, one level
// further out: v has exactly one edge into it the walk follows, and u breaks through it (a
// runtime dependency or a group failing with v), v has no parts, and no walk from u comes back
// to v (they are in different strongly connected components of the walk's graph). Then v's
// walk reaches u at distance 1 and then exactly what u's walk reaches, in the same order, with
// the same relations (its levels are u's, whole, each sorted by node); only the runs_on marks
// (whose data a deletion destroys) differ, unless u runs on v (runsOn): then they are u's too.
func (x *ImpactIndex) Chain(v int32) (u int32, runsOn, ok bool) {
	if len(x.in[v]) != 1 || len(x.parts[v]) > 0 {
		return 0, false, false
	}
	ie := x.in[v][0]
	if ie.class == inRebuild || ie.from == v {
		return 0, false, false
	}
	x.compOnce.Do(x.components)
	if x.comp[ie.from] == x.comp[v] {
		return 0, false, false
	}
	return ie.from, ie.runsOn, true
}

// DataOf is what deleting node number v destroys of its own (its Data in an analysis of v).
func (x *ImpactIndex) DataOf(v int32) (Data, bool) {
	if !x.state[v] {
		return Data{}, false
	}
	return x.data(v), true
}

// components is Tarjan's strongly connected components of the walk's graph (a node steps to the
// sources of the edges into it the walk follows and to its parts), iterative: a chain of
// 100,000 nodes must not recurse 100,000 deep.
func (x *ImpactIndex) components() {
	n := len(x.ids)
	next := func(v int32, i int) (int32, bool) {
		if i < len(x.in[v]) {
			return x.in[v][i].from, true
		}
		if i -= len(x.in[v]); i < len(x.parts[v]) {
			return x.parts[v][i].to, true
		}
		return 0, false
	}
	x.comp = make([]int32, n)
	index := make([]int32, n) // 0: not visited; else visit order + 1
	low := make([]int32, n)
	onStack := make([]bool, n)
	var stack []int32
	type frame struct {
		v int32
		i int
	}
	var calls []frame
	counter, comps := int32(0), int32(0)
	for root := range int32(n) {
		if index[root] != 0 {
			continue
		}
		calls = append(calls[:0], frame{v: root})
		counter++
		index[root], low[root] = counter, counter
		stack = append(stack, root)
		onStack[root] = true
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			if w, ok := next(f.v, f.i); ok {
				f.i++
				switch {
				case index[w] == 0:
					counter++
					index[w], low[w] = counter, counter
					stack = append(stack, w)
					onStack[w] = true
					calls = append(calls, frame{v: w})
				case onStack[w]:
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					x.comp[w] = comps
					if w == v {
						break
					}
				}
				comps++
			}
		}
	}
}

// Summary is Analyze(g, id) by ids; an id not in the graph gives an empty one.
func (x *ImpactIndex) Summary(id string) Summary {
	s := Summary{Breaks: []string{}, Parts: []string{}, Rebuild: []string{}, Data: []Data{}}
	start, ok := x.lookup(id)
	if !ok {
		return s
	}
	s.Data = x.each(start, func(st *step) {
		nid := x.ids[st.node]
		switch st.rel {
		case relBreaks:
			s.Breaks = append(s.Breaks, nid)
		case relPart:
			s.Parts = append(s.Parts, nid)
		case relRebuild:
			s.Rebuild = append(s.Rebuild, nid)
		}
	})
	s.BlastRadius = len(s.Breaks)
	return s
}

// Walked is a Summary by node numbers (the order of the nodes the index was made from), for a
// caller that numbers the nodes the same way: no ids looked up, no lists of strings. Data is the
// first of what a deletion destroys (WalkedOf's limit), Destroyed how many there are.
type Walked struct {
	BlastRadius int
	Breaks      []int32
	Rebuild     []int32
	Data        []Data
	Destroyed   int
}

// Num is the number of a node id, and whether the index has it.
func (x *ImpactIndex) Num(id string) (int32, bool) {
	v, ok := x.lookup(id)
	return v, ok
}

// WalkedOf is Summary of node number v (without the parts), with the Data of the first data
// nodes a deletion destroys (all of them if data < 0): each is a look at the node's attributes
// and users, and a hub's walk destroys thousands.
func (x *ImpactIndex) WalkedOf(v int32, data int) Walked {
	var s Walked
	w := x.walk(v)
	defer x.pool.Put(w)
	destroy := func(n int32) {
		if s.Destroyed++; data < 0 || len(s.Data) < data {
			s.Data = append(s.Data, x.data(n))
		}
	}
	if x.state[v] {
		destroy(v)
	}
	for i := range w.out {
		switch st := &w.out[i]; st.rel {
		case relBreaks:
			s.Breaks = append(s.Breaks, st.node)
		case relRebuild:
			s.Rebuild = append(s.Rebuild, st.node)
		}
		if st := &w.out[i]; st.on && x.state[st.node] {
			destroy(st.node)
		}
	}
	s.BlastRadius = len(s.Breaks)
	if s.Data == nil {
		s.Data = []Data{}
	}
	return s
}

// BreaksOf is what breaks when node number v goes down, nearest first (Summary's Breaks).
func (x *ImpactIndex) BreaksOf(v int32) []int32 {
	w := x.walk(v)
	defer x.pool.Put(w)
	var out []int32
	for _, st := range w.out {
		if st.rel == relBreaks {
			out = append(out, st.node)
		}
	}
	return out
}

// Analyze is Analyze(g, id) over the prepared graph.
func (x *ImpactIndex) Analyze(id string) Analysis {
	start, ok := x.lookup(id)
	if !ok {
		return Analysis{Breaks: []Hit{}, Parts: []Hit{}, Rebuild: []Hit{}, Data: []Data{}}
	}
	n, _ := x.g.Node(id)
	a := Analysis{Node: nodeOf(n, false), Breaks: []Hit{}, Parts: []Hit{}, Rebuild: []Hit{}}
	a.Data = x.each(start, func(st *step) {
		hn, _ := x.g.Node(x.ids[st.node])
		h := Hit{Node: nodeOf(hn, false), Distance: int(st.d), From: x.ids[st.from], Via: edgeOf(x.g, *st.e)}
		switch st.rel {
		case relBreaks:
			a.Breaks = append(a.Breaks, h)
		case relPart:
			a.Parts = append(a.Parts, h)
		case relRebuild:
			a.Rebuild = append(a.Rebuild, h)
		}
	})
	a.BlastRadius = len(a.Breaks)
	return a
}

// each walks from start, hands every step to f in walk order, and returns what the walk destroys:
// the data held by start and by what runs on it (the one loop Summary and Analyze share).
func (x *ImpactIndex) each(start int32, f func(*step)) []Data {
	w := x.walk(start)
	defer x.pool.Put(w)
	destroyed := []int32{}
	if x.state[start] {
		destroyed = append(destroyed, start)
	}
	for i := range w.out {
		st := &w.out[i]
		f(st)
		if st.on && x.state[st.node] {
			destroyed = append(destroyed, st.node)
		}
	}
	data := make([]Data, 0, len(destroyed))
	for _, dn := range destroyed {
		data = append(data, x.data(dn))
	}
	return data
}

// data is dataOf node n, made once: a database a hub's 100,000 containers use is destroyed in
// many walks, and its users are listed each time otherwise.
func (x *ImpactIndex) data(n int32) Data {
	x.dataMu.Lock()
	defer x.dataMu.Unlock()
	if d, ok := x.datas[n]; ok {
		return d
	}
	dn, _ := x.g.Node(x.ids[n])
	d := dataOf(x.g, x.r, dn)
	if x.datas == nil {
		x.datas = map[int32]Data{}
	}
	x.datas[n] = d
	return d
}

// Critical is Critical(g, limit) over the prepared graph.
func (x *ImpactIndex) Critical(limit int) []Ranked { return x.CriticalWith(limit, x.RadiusOf) }

// CriticalWith is Critical for a caller that knows the blast radius of some nodes already (a
// renderer that walked every system): radius(v) must be RadiusOf(v).
func (x *ImpactIndex) CriticalWith(limit int, radius func(v int32) int) []Ranked {
	type cand struct {
		n  int32
		in int
	}
	var cands []cand
	var systems []int32
	for i := range x.ids {
		if x.system[i] {
			systems = append(systems, int32(i))
			continue
		}
		in := 0
		for _, ie := range x.in[i] {
			if ie.class == inDep {
				in++
			}
		}
		if in > 0 {
			cands = append(cands, cand{int32(i), in})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].in > cands[j].in })
	if len(cands) > criticalCandidates {
		cands = cands[:criticalCandidates]
	}
	for _, c := range cands {
		systems = append(systems, c.n)
	}
	out := []Ranked{}
	for _, s := range systems {
		if c := radius(s); c > 0 {
			n, _ := x.g.Node(x.ids[s])
			out = append(out, Ranked{Node: nodeOf(n, false), BlastRadius: c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].BlastRadius != out[j].BlastRadius {
			return out[i].BlastRadius > out[j].BlastRadius
		}
		return out[i].Node.ID < out[j].Node.ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
