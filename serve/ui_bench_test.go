package serve

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkUI times the explorer's pages on the scaled estate (about 10n nodes, 11n edges; see
// scaled) with the snapshot warm: what every request after a scan's first costs. "once per scan"
// is the work the first request after a new graph.json does on top (the search index, counts,
// warnings and critical components), measured alone.
func BenchmarkUI(b *testing.B) {
	for _, n := range []int{1100, 11000} {
		svc := benchService(b, n)
		snap, err := svc.Store.Current()
		if err != nil {
			b.Fatal(err)
		}
		nodes, _ := snap.Graph.Len()
		h := Handler(svc, nil, HTTPOptions{})
		get := func(b *testing.B, path string) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Host = "127.0.0.1:8765"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("GET %s: %d %.300s", path, rec.Code, rec.Body.String())
			}
		}
		get(b, "/") // warm: index and derived data built once
		mid := fmt.Sprintf("vercel:project:prj_%06d", n/2)
		for _, bc := range []struct{ name, path string }{
			{"first page", "/"},
			{"search", "/?q=" + url.QueryEscape(fmt.Sprintf("app-%06d", n/2))},
			{"search broad page 2", "/?q=var_3&page=2"},
			{"filter kind", "/?kind=vercel:env_var&page=3"},
			{"node", nodeURL(mid)},
			{"node of a hub", nodeURL(acmeAPI)},
		} {
			b.Run(fmt.Sprintf("%s/%dk", bc.name, nodes/1000), func(b *testing.B) {
				for b.Loop() {
					get(b, bc.path)
				}
			})
		}
		b.Run(fmt.Sprintf("once per scan/%dk", nodes/1000), func(b *testing.B) {
			for b.Loop() {
				buildIndex(snap.Graph)
				computeDerived(snap.Graph)
			}
		})
	}
}
