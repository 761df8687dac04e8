package serve

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/render"
)

// The web explorer: server-rendered pages (html/template escapes every value by context, so a
// provider-supplied name such as "<script>" is text), one small script (static/app.js) and the
// mermaid browser bundle, all embedded so the binary needs no network at run time.
//
//	GET /                         search (q, provider, kind, page) and the overview
//	GET /n/<url-escaped node id>  one node: attributes, impact, dependencies, edges with evidence
//	GET /systems                  the overview diagram and the list of systems
//	GET /s/<url-escaped node id>  a system's diagram (?page= for a split one)
//	GET /scans                    the history, collector statuses and warnings
//	GET /scans/diff?from=&to=     what changed between two scans
//	GET /static/...               app.js, app.css, mermaid.min.js
//
// mermaid.min.js is the dist/mermaid.min.js of the mermaid version tools/mermaid/package-lock.json
// pins (the parser the tests check diagrams with), committed with its licence: the build needs no
// npm, and TestMermaidBundleVersion fails when the lock file moves and the copy does not.

//go:embed ui
var uiFiles embed.FS

// uiPageSize is the number of rows on a page of search results or of a walk.
const uiPageSize = 50

// uiHomeSystems is how many systems the overview on / names.
const uiHomeSystems = 20

// uiDiffLimit caps each list of a diff page; the counts above it are always complete.
const uiDiffLimit = 200

// SessionCookie is the cookie the explorer sets after a browser presented the token once as
// ?token=. It holds an HMAC of the token, never the token itself.
const SessionCookie = "infragraph_session"

// contentSecurityPolicy allows scripts only from this server (no inline script, no eval).
// Styles allow 'unsafe-inline' because mermaid styles the SVG it draws with a <style> element
// and style attributes; a style cannot run code.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type web struct {
	svc    *Service
	log    *slog.Logger
	pages  map[string]*template.Template
	static *staticFiles
	now    func() time.Time
}

func newWeb(svc *Service, log *slog.Logger) *web {
	funcs := template.FuncMap{
		"nodeURL":   nodeURL,
		"systemURL": systemURL,
		"pct":       func(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" },
		"join":      strings.Join,
		"add":       func(a, b int) int { return a + b },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}
	w := &web{svc: svc, log: log, pages: map[string]*template.Template{}, now: time.Now}
	for _, p := range []string{"home", "node", "systems", "system", "scans", "diff", "error"} {
		w.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(uiFiles, "ui/layout.html", "ui/diagram.html", "ui/"+p+".html"))
	}
	w.static = &staticFiles{}
	return w
}

// register adds the explorer's routes to mux.
func (w *web) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", w.home)
	mux.HandleFunc("GET /n/{id...}", w.node)
	mux.HandleFunc("GET /systems", w.systems)
	mux.HandleFunc("GET /s/{id...}", w.system)
	mux.HandleFunc("GET /scans", w.scans)
	mux.HandleFunc("GET /scans/diff", w.diff)
	mux.HandleFunc("GET /static/{name}", w.static.serve)
}

func nodeURL(id string) string   { return "/n/" + url.PathEscape(id) }
func systemURL(id string) string { return "/s/" + url.PathEscape(id) }

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// webPage is what every page's layout shows around its content.
type webPage struct {
	Title   string
	Section string // home, systems, scans: the highlighted link
	Scan    graph.ScanInfo
	Demo    bool
	Banners []banner
	Query   string
	Data    any
}

// render writes a page; the template runs into a buffer first, so a failure is a clean 500.
func (w *web) render(rw http.ResponseWriter, status int, name string, p *webPage) {
	var buf bytes.Buffer
	if err := w.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		w.log.Error("render page", "page", name, "err", err)
		http.Error(rw, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	_, _ = rw.Write(buf.Bytes())
}

// fail renders err as a page with the status its code maps to.
func (w *web) fail(rw http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		w.log.Error("page failed", "path", r.URL.Path, "err", err)
		e = &Error{Code: "internal", Message: err.Error()}
	}
	p := &webPage{Title: "Not available", Data: e}
	if snap, _ := w.svc.Store.Current(); snap != nil {
		w.frame(p, snap)
	}
	w.render(rw, statusOf(e.Code), "error", p)
}

// frame fills what the layout needs from the snapshot: the scan and the banners.
func (w *web) frame(p *webPage, snap *Snapshot) {
	p.Scan, p.Demo = snap.Graph.Scan, snap.Graph.Scan.Demo
	for _, w := range snap.derived().warnings {
		if t, ok := strings.CutSuffix(w, staleHint); ok {
			p.Banners = append(p.Banners, banner{Text: t + ".", Link: "/?stale=1", LinkText: "Show them"})
			continue
		}
		p.Banners = append(p.Banners, banner{Text: w, Link: "/scans", LinkText: "Collectors"})
	}
	if t, err := time.Parse(time.RFC3339, firstNonEmpty(snap.Graph.Scan.FinishedAt, snap.Graph.Scan.StartedAt)); err == nil {
		if age := w.now().Sub(t); age > staleAfter {
			p.Banners = append(p.Banners, banner{Text: fmt.Sprintf("The latest scan finished %s ago (%s): the data may be out of date.", roughAge(age), t.UTC().Format(time.RFC3339)), Link: "/scans", LinkText: "Scans"})
		}
	}
}

// banner is a warning shown on every page, with a link to what it is about.
type banner struct {
	Text, Link, LinkText string
}

// staleHint is how the shared stale-node warning names the MCP tool that lists them; the pages
// link to the stale filter instead.
const staleHint = " (search_nodes with stale=true lists them)"

// staleAfter is the age past which the latest scan is called old in a banner: scans are
// typically daily.
const staleAfter = 36 * time.Hour

func roughAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%d hours", int(d/time.Hour))
}

func (w *web) snapshot(rw http.ResponseWriter, r *http.Request) *Snapshot {
	snap, err := w.svc.snapshot()
	if err != nil {
		w.fail(rw, r, err)
		return nil
	}
	return snap
}

// --- search ------------------------------------------------------------------------------------

// uiIndex is what the search page scans: one entry per node, sorted by id, with the text a
// query matches (id, name, kind, host-like attributes) lower-cased once per snapshot.
type uiIndex struct {
	entries   []uiEntry
	providers []string
	kinds     []string // provider:kind
}

type uiEntry struct {
	id, name, kind, provider string
	lowerName, hay           string
	stale                    bool
}

func (s *Snapshot) uiIndex() *uiIndex {
	s.uiOnce.Do(func() { s.uiData = buildIndex(s.Graph) })
	return s.uiData
}

func buildIndex(g *graph.Graph) *uiIndex {
	nodes := g.Nodes()
	x := &uiIndex{entries: make([]uiEntry, 0, len(nodes))}
	provs, kinds := map[string]bool{}, map[string]bool{}
	var b strings.Builder
	for _, n := range nodes {
		b.Reset()
		b.WriteString(n.ID)
		b.WriteByte(0)
		b.WriteString(n.Name)
		b.WriteByte(0)
		b.WriteString(n.Provider + ":" + n.Kind)
		for _, k := range n.Attrs.Keys() {
			if !hostKey(k) {
				continue
			}
			vals, _ := n.AttrValues(k)
			for _, v := range vals {
				b.WriteByte(0)
				b.WriteString(v)
			}
		}
		x.entries = append(x.entries, uiEntry{id: n.ID, name: n.Name, kind: n.Kind, provider: n.Provider,
			lowerName: strings.ToLower(n.Name), hay: strings.ToLower(b.String()), stale: n.Stale})
		provs[n.Provider], kinds[n.Provider+":"+n.Kind] = true, true
	}
	x.providers, x.kinds = sortedSet(provs), sortedSet(kinds)
	return x
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hostKey reports whether an attribute names a host, address or URL, which search matches:
// host, db_host, value.host, fqdn, domains, public_ipv4, url, webhook_url, ...
func hostKey(k string) bool {
	switch k {
	case "host", "hostname", "fqdn", "ip", "ips", "domains", "url", "target", "endpoint":
		return true
	}
	for _, suf := range []string{"host", "hosts", "_url", ".url", "_domain", "_domains", "ipv4", "ipv6", "_ip"} {
		if strings.HasSuffix(k, suf) {
			return true
		}
	}
	return false
}

// searchHit is one row of results.
type searchHit struct {
	ID, Name, Kind, Provider string
	Stale                    bool
}

// search returns a page of the entries matching every word of q and the filters, best first:
// exact name, then name prefix, then name substring, then id, kind or host; by id within each.
// The entries are already sorted by id, so bucketing keeps that order without a sort.
func (x *uiIndex) search(q, provider, kind string, staleOnly bool, offset, limit int) ([]searchHit, int) {
	q = strings.ToLower(strings.TrimSpace(q))
	words := strings.Fields(q)
	if len(words) == 0 && provider == "" && kind == "" && !staleOnly {
		// Everything, in id order: the page is a slice of the index.
		var out []searchHit
		for i := offset; i < len(x.entries) && len(out) < limit; i++ {
			e := &x.entries[i]
			out = append(out, searchHit{ID: e.id, Name: e.name, Kind: e.kind, Provider: e.provider, Stale: e.stale})
		}
		return out, len(x.entries)
	}
	kp, kk, _ := strings.Cut(kind, ":")
	var buckets [4][]int32
	for i := range x.entries {
		e := &x.entries[i]
		if provider != "" && e.provider != provider || kind != "" && (e.provider != kp || e.kind != kk) || staleOnly && !e.stale {
			continue
		}
		ok := true
		for _, wd := range words {
			if !strings.Contains(e.hay, wd) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		rank := 3
		switch {
		case q == "":
			rank = 0
		case e.lowerName == q:
			rank = 0
		case strings.HasPrefix(e.lowerName, q):
			rank = 1
		case strings.Contains(e.lowerName, q):
			rank = 2
		}
		buckets[rank] = append(buckets[rank], int32(i))
	}
	total := 0
	for _, b := range buckets {
		total += len(b)
	}
	var out []searchHit
	skip := offset
	for _, b := range buckets {
		if skip >= len(b) {
			skip -= len(b)
			continue
		}
		for _, i := range b[skip:] {
			if len(out) == limit {
				return out, total
			}
			e := &x.entries[i]
			out = append(out, searchHit{ID: e.id, Name: e.name, Kind: e.kind, Provider: e.provider, Stale: e.stale})
		}
		skip = 0
	}
	return out, total
}

type homeData struct {
	Q, Provider, Kind string
	Stale             bool
	Providers, Kinds  []string
	Hits              []searchHit
	Total, Offset     int
	Prev, Next        string // links, "" when none
	Searching         bool
	Summary           *SummaryResult
	SystemsTotal      int
}

func (w *web) home(rw http.ResponseWriter, r *http.Request) {
	snap := w.snapshot(rw, r)
	if snap == nil {
		return
	}
	q := r.URL.Query()
	d := &homeData{Q: q.Get("q"), Provider: q.Get("provider"), Kind: q.Get("kind"), Stale: boolParam(q.Get("stale"))}
	d.Searching = d.Q != "" || d.Provider != "" || d.Kind != "" || d.Stale
	pg, _ := strconv.Atoi(q.Get("page"))
	pg = max(pg, 1)
	x := snap.uiIndex()
	d.Providers, d.Kinds = x.providers, x.kinds
	d.Offset = (pg - 1) * uiPageSize
	d.Hits, d.Total = x.search(d.Q, d.Provider, d.Kind, d.Stale, d.Offset, uiPageSize)
	link := func(p int) string {
		v := url.Values{}
		for k, s := range map[string]string{"q": d.Q, "provider": d.Provider, "kind": d.Kind} {
			if s != "" {
				v.Set(k, s)
			}
		}
		if d.Stale {
			v.Set("stale", "1")
		}
		v.Set("page", strconv.Itoa(p))
		return "/?" + v.Encode()
	}
	if pg > 1 {
		d.Prev = link(pg - 1)
	}
	if d.Offset+len(d.Hits) < d.Total {
		d.Next = link(pg + 1)
	}
	if !d.Searching {
		d.Summary = summaryOf(snap)
		// An estate can have thousands of systems: the overview names the first few, /systems
		// pages through them all.
		if d.SystemsTotal = len(d.Summary.Systems); d.SystemsTotal > uiHomeSystems {
			d.Summary.Systems = d.Summary.Systems[:uiHomeSystems]
		}
	}
	p := &webPage{Title: "Search", Section: "home", Query: d.Q, Data: d}
	if d.Searching {
		p.Title = "Search: " + d.Q
	}
	w.frame(p, snap)
	w.render(rw, http.StatusOK, "home", p)
}

// --- a node ------------------------------------------------------------------------------------

type nodeData struct {
	Node       query.Node
	FirstSeen  string
	System     bool
	Attrs      []attrRow
	NoiseAttrs []attrRow
	Impact     walkView
	Deps       walkView
	Out, In    []edgeView
	OutTotal   int
	InTotal    int
}

type attrRow struct{ Key, Value string }

type walkView struct {
	Total, Stale int
	Hits         []query.Hit
	Next         string
	Names        map[string]string // node id -> name, for the "via" column
	// Impact only, from query.Analysis: what cannot redeploy, how many parts go down with the
	// broken nodes, the data a deletion destroys.
	Rebuild []query.Hit
	Parts   int
	Data    []query.Data
}

type edgeView struct {
	EdgeDetail
	Other     query.Node // the node at the other end
	Inferred  bool
	Evidences []evidenceView
}

type evidenceView struct {
	graph.Evidence
	NodeName string
}

func (w *web) node(rw http.ResponseWriter, r *http.Request) {
	snap := w.snapshot(rw, r)
	if snap == nil {
		return
	}
	g := snap.Graph
	ref := r.PathValue("id")
	res, err := w.svc.Node(NodeParams{ID: ref, EdgeLimit: MaxLimit})
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	id := res.Node.ID
	d := &nodeData{Node: res.Node, FirstSeen: res.FirstSeen, System: res.System, OutTotal: res.OutTotal, InTotal: res.InTotal}
	d.Attrs, d.NoiseAttrs = attrRows(res.Node.Attrs)
	d.Node.Attrs = nil
	q := r.URL.Query()
	walk := func(f func(WalkParams) (*WalkResult, error), param string) (walkView, error) {
		res, err := f(WalkParams{ID: id, Limit: uiPageSize, Cursor: q.Get(param)})
		if err != nil {
			return walkView{}, err
		}
		v := walkView{Total: res.Total, Stale: res.Stale, Hits: res.Hits, Names: map[string]string{},
			Rebuild: res.Rebuild, Parts: res.Parts, Data: res.Data}
		for _, h := range append(res.Hits, res.Rebuild...) {
			n, _ := g.Node(h.From)
			v.Names[h.From] = n.Name
		}
		if res.NextCursor != "" {
			u := url.Values{}
			for k, vs := range q {
				u[k] = vs
			}
			u.Set(param, res.NextCursor)
			v.Next = nodeURL(id) + "?" + u.Encode()
		}
		return v, nil
	}
	if d.Impact, err = walk(w.svc.Impact, "impact"); err != nil {
		w.fail(rw, r, err)
		return
	}
	if d.Deps, err = walk(w.svc.Dependencies, "deps"); err != nil {
		w.fail(rw, r, err)
		return
	}
	edges := func(es []EdgeDetail, out bool) []edgeView {
		vs := make([]edgeView, 0, len(es))
		for _, e := range es {
			other := e.To
			if !out {
				other = e.From
			}
			n, _ := g.Node(other)
			v := edgeView{EdgeDetail: e, Other: brief(n), Inferred: e.Origin == graph.Rule || e.Origin == graph.LLM}
			for _, ev := range e.Evidence {
				en, _ := g.Node(ev.Node)
				v.Evidences = append(v.Evidences, evidenceView{Evidence: ev, NodeName: en.Name})
			}
			vs = append(vs, v)
		}
		return vs
	}
	d.Out, d.In = edges(res.Out, true), edges(res.In, false)
	p := &webPage{Title: orDash(res.Node.Name) + " (" + res.Node.Provider + " " + res.Node.Kind + ")", Data: d}
	w.frame(p, snap)
	w.render(rw, http.StatusOK, "node", p)
}

// attrRows splits attributes into what a reader wants and the noise (opaque ids, labels,
// compose bookkeeping), which the page folds away.
func attrRows(a graph.Attrs) (main, noise []attrRow) {
	n := graph.Node{Attrs: a}
	for _, k := range a.Keys() {
		vals, _ := n.AttrValues(k)
		row := attrRow{Key: k, Value: strings.Join(vals, ", ")}
		if noisyKey(k) {
			noise = append(noise, row)
		} else {
			main = append(main, row)
		}
	}
	return main, noise
}

func noisyKey(k string) bool {
	for _, p := range []string{"label.", "compose."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	for _, s := range []string{"_id", "uuid", "urn", "_digests", "digest"} {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// --- systems and diagrams ---------------------------------------------------------------------

type diagrams struct {
	overview render.Document
	byUnit   map[string][]render.Document
	err      error
}

func (s *Snapshot) diagrams() *diagrams {
	s.diagOnce.Do(func() {
		d := &diagrams{byUnit: map[string][]render.Document{}}
		docs, err := render.Diagrams(s.Graph)
		if err != nil {
			d.err = err
		}
		for _, doc := range docs {
			switch {
			case doc.Name == output.OverviewFile:
				d.overview = doc
			case doc.Unit != "":
				d.byUnit[doc.Unit] = append(d.byUnit[doc.Unit], doc)
			}
		}
		s.diagData = d
	})
	return s.diagData
}

type diagramView struct {
	Source string
	Links  []diagramLink
}

type diagramLink struct {
	MermaidID, URL, Name, Kind string
}

func diagramOf(g *graph.Graph, doc render.Document) diagramView {
	v := diagramView{Source: string(doc.Data)}
	for mid, id := range doc.Nodes {
		n, _ := g.Node(id)
		v.Links = append(v.Links, diagramLink{MermaidID: mid, URL: nodeURL(id), Name: orDash(n.Name), Kind: n.Provider + " " + n.Kind})
	}
	sort.Slice(v.Links, func(i, j int) bool {
		if v.Links[i].Name != v.Links[j].Name {
			return v.Links[i].Name < v.Links[j].Name
		}
		return v.Links[i].URL < v.Links[j].URL
	})
	return v
}

type systemsData struct {
	Overview      diagramView
	Systems       []systemRow
	Total, Offset int
	Prev, Next    string
}

type systemRow struct {
	Node    query.Node
	Diagram bool
}

func (w *web) systems(rw http.ResponseWriter, r *http.Request) {
	snap := w.snapshot(rw, r)
	if snap == nil {
		return
	}
	ds := snap.diagrams()
	if ds.err != nil {
		w.fail(rw, r, ds.err)
		return
	}
	d := &systemsData{Overview: diagramOf(snap.Graph, ds.overview)}
	all := snap.derived().systems
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pg = max(pg, 1)
	d.Total, d.Offset = len(all), (pg-1)*uiPageSize
	shown, _ := page(all, d.Offset, uiPageSize)
	for _, n := range shown {
		d.Systems = append(d.Systems, systemRow{Node: n, Diagram: len(ds.byUnit[n.ID]) > 0})
	}
	if pg > 1 {
		d.Prev = "/systems?page=" + strconv.Itoa(pg-1)
	}
	if d.Offset+len(shown) < d.Total {
		d.Next = "/systems?page=" + strconv.Itoa(pg+1)
	}
	p := &webPage{Title: "Systems", Section: "systems", Data: d}
	w.frame(p, snap)
	w.render(rw, http.StatusOK, "systems", p)
}

type systemData struct {
	Node        query.Node
	Diagram     diagramView
	Page, Pages int
	PageLinks   []string
}

func (w *web) system(rw http.ResponseWriter, r *http.Request) {
	snap := w.snapshot(rw, r)
	if snap == nil {
		return
	}
	id, err := query.Resolve(snap.Graph, r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, classify(err))
		return
	}
	ds := snap.diagrams()
	if ds.err != nil {
		w.fail(rw, r, ds.err)
		return
	}
	docs := ds.byUnit[id]
	if len(docs) == 0 {
		w.fail(rw, r, &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s has no diagram of its own (it is drawn in its system's)", id)})
		return
	}
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pg = min(max(pg, 1), len(docs))
	n, _ := snap.Graph.Node(id)
	d := &systemData{Node: brief(n), Diagram: diagramOf(snap.Graph, docs[pg-1]), Page: pg, Pages: len(docs)}
	for i := range docs {
		d.PageLinks = append(d.PageLinks, systemURL(id)+"?page="+strconv.Itoa(i+1))
	}
	p := &webPage{Title: "Diagram: " + orDash(n.Name), Section: "systems", Data: d}
	w.frame(p, snap)
	w.render(rw, http.StatusOK, "system", p)
}

// --- scans -------------------------------------------------------------------------------------

type scansData struct {
	Scans  []scanRow
	Status *StatusResult
}

type scanRow struct {
	ID, Prev string
	Current  bool
}

func (w *web) scans(rw http.ResponseWriter, r *http.Request) {
	snap := w.snapshot(rw, r)
	if snap == nil {
		return
	}
	snaps, err := history.Store{Dir: w.svc.Store.Dir()}.List()
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	st, err := w.svc.Status()
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := &scansData{Status: st}
	for i := len(snaps) - 1; i >= 0; i-- {
		row := scanRow{ID: snaps[i].ID, Current: snaps[i].ID == snap.Graph.Scan.ID}
		if i > 0 {
			row.Prev = snaps[i-1].ID
		}
		d.Scans = append(d.Scans, row)
	}
	p := &webPage{Title: "Scans", Section: "scans", Data: d}
	w.frame(p, snap)
	w.render(rw, http.StatusOK, "scans", p)
}

type diffData struct {
	From, To  string
	Scans     []string
	Changes   *history.Changes
	Summary   *graph.ChangeSummary
	Truncated bool
	Names     map[string]string
}

func (w *web) diff(rw http.ResponseWriter, r *http.Request) {
	snap := w.snapshot(rw, r)
	if snap == nil {
		return
	}
	st := history.Store{Dir: w.svc.Store.Dir()}
	q := r.URL.Query()
	to := strings.TrimSpace(q.Get("to"))
	newG := snap.Graph
	if to != "" && to != snap.Graph.Scan.ID {
		sn, err := resolveScan(st, to, "")
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		if newG, err = history.LoadFile(sn.Path); err != nil {
			w.fail(rw, r, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("read scan %s: %v", sn.ID, err)})
			return
		}
	}
	from := firstNonEmpty(strings.TrimSpace(q.Get("from")), "previous")
	sn, err := resolveScan(st, from, newG.Scan.ID)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	oldG, err := history.LoadFile(sn.Path)
	if err != nil {
		w.fail(rw, r, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("read scan %s: %v", sn.ID, err)})
		return
	}
	c := history.Diff(oldG, newG)
	d := &diffData{From: c.Since, To: c.Until, Summary: c.Summary(), Names: map[string]string{}}
	snaps, _ := st.List()
	for i := len(snaps) - 1; i >= 0; i-- {
		d.Scans = append(d.Scans, snaps[i].ID)
	}
	d.Truncated = cutChanges(c, uiDiffLimit)
	name := func(id string) {
		if n, ok := newG.Node(id); ok {
			d.Names[id] = n.Name
		} else if n, ok := oldG.Node(id); ok {
			d.Names[id] = n.Name
		}
	}
	for _, l := range [][]history.EdgeRef{c.EdgesAdded, c.EdgesRemoved, c.EdgesStale} {
		for _, e := range l {
			name(e.From)
			name(e.To)
		}
	}
	for _, e := range c.EdgesChanged {
		name(e.From)
		name(e.To)
	}
	d.Changes = c
	p := &webPage{Title: "Changes " + c.Since + " → " + c.Until, Section: "scans", Data: d}
	w.frame(p, snap)
	w.render(rw, http.StatusOK, "diff", p)
}

// --- the browser's token -----------------------------------------------------------------------

// sessionValue is the cookie value for token: an HMAC, so the cookie (which a browser stores on
// disk) does not hold the token, and a new token voids every cookie.
func sessionValue(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("infragraph web session v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// isUIPath reports whether path is one of the explorer's pages, the only paths a session cookie
// opens (the API and /mcp take the Authorization header alone, so no cookie can be ridden into
// them from another page).
func isUIPath(path string) bool {
	if path == "/" {
		return true
	}
	for _, p := range []string{"/n/", "/s/", "/static/", "/systems", "/scans"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// uiAuth admits a browser on the explorer's pages. A request with the session cookie passes. A
// request with ?token=<the token> is answered with the cookie (HttpOnly, SameSite=Strict) and a
// redirect to the same URL without the token, so the token stays out of the history, the
// address bar and any Referer. It reports whether it handled the request (passed it on or
// redirected).
func uiAuth(token string, rw http.ResponseWriter, r *http.Request, next http.Handler) bool {
	if !isUIPath(r.URL.Path) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	want := sessionValue(token)
	if c, err := r.Cookie(SessionCookie); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(want)) == 1 {
		next.ServeHTTP(rw, r)
		return true
	}
	q := r.URL.Query()
	got := q.Get("token")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		return false
	}
	http.SetCookie(rw, &http.Cookie{Name: SessionCookie, Value: want, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	q.Del("token")
	u := *r.URL
	u.RawQuery = q.Encode()
	u.Scheme, u.Host = "", ""
	rw.Header().Set("Cache-Control", "no-store")
	http.Redirect(rw, r, u.RequestURI(), http.StatusSeeOther)
	return true
}

// staticFiles serves the embedded assets with an ETag (a hash of the content), so a browser
// revalidates mermaid's 3.5 MB in one round trip, and gzip-compressed to clients that accept it
// (compressed once, on first use).
type staticFiles struct {
	once  sync.Once
	files map[string]*staticFile
}

type staticFile struct {
	name       string
	etag       string
	plain, gz  []byte
	contentTyp string
}

func (s *staticFiles) load() {
	s.files = map[string]*staticFile{}
	ents, _ := fs.ReadDir(uiFiles, "ui/static")
	for _, e := range ents {
		b, err := uiFiles.ReadFile("ui/static/" + e.Name())
		if err != nil {
			continue
		}
		sum := sha256.Sum256(b)
		f := &staticFile{name: e.Name(), plain: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentTyp: mime.TypeByExtension(path.Ext(e.Name()))}
		if f.contentTyp == "" {
			f.contentTyp = "text/plain; charset=utf-8"
		}
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		if z.Len() < len(b) {
			f.gz = z.Bytes()
		}
		s.files[e.Name()] = f
	}
}

func (s *staticFiles) serve(rw http.ResponseWriter, r *http.Request) {
	s.once.Do(s.load)
	f, ok := s.files[r.PathValue("name")]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	securityHeaders(h)
	h.Set("Cache-Control", "no-cache") // revalidate: the ETag makes that one cheap round trip
	h.Set("ETag", f.etag)
	h.Set("Content-Type", f.contentTyp)
	h.Set("Vary", "Accept-Encoding")
	body := f.plain
	if f.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	http.ServeContent(rw, r, f.name, time.Time{}, bytes.NewReader(body))
}

// snapshotUI is the part of Snapshot the explorer computes once per graph.
type snapshotUI struct {
	uiOnce   sync.Once
	uiData   *uiIndex
	diagOnce sync.Once
	diagData *diagrams
}
