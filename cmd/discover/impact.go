package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/query"
	"github.com/infragraph/infragraph/termtext"
)

// impactOut prints `discover query impact`: query.Analysis, with breaks bounded by --depth
// (hits). The blast radius is the whole analysis's, whatever the depth.
func impactOut(w io.Writer, g *graph.Graph, ref string, hits []query.Hit, asJSON bool) error {
	a, err := query.Analyze(g, ref)
	if err != nil {
		return err
	}
	a.Breaks = hits
	if asJSON {
		return writeJSON(w, a)
	}
	n := a.Node
	tw := termtext.Writer(w) // names and ids are provider data: no terminal controls
	fmt.Fprintf(tw, "impact of %s (%s %q)%s: blast radius %d (nodes that break at runtime)\n", termtext.Escape(n.ID), n.Kind, n.Name, staleNote(n.Stale, n.StaleSince), a.BlastRadius)
	if err := hitTable(w, hits); err != nil {
		return err
	}
	if len(a.Rebuild) > 0 {
		fmt.Fprintf(tw, "\nbuild from it (keep running, cannot redeploy): %d\n", len(a.Rebuild))
		if err := hitTable(w, a.Rebuild); err != nil {
			return err
		}
	}
	if len(a.Parts) > 0 {
		fmt.Fprintf(tw, "\ngo down with it as parts: %s\n", kindCounts(a.Parts))
	}
	for _, d := range a.Data {
		used := ""
		if len(d.UsedBy) > 0 {
			used = ", used by " + strings.Join(d.UsedBy, ", ")
		}
		fmt.Fprintf(tw, "deleting it destroys %s %s `%s`%s\n", strings.ReplaceAll(d.Node.Kind, "_", " "), termtext.Escape(d.Node.Name), termtext.Escape(d.Node.ID), termtext.Escape(used))
	}
	return nil
}

// kindCounts is "3 docker container, 1 docker compose project", largest first.
func kindCounts(hs []query.Hit) string {
	c := map[string]int{}
	for _, h := range hs {
		c[h.Node.Provider+" "+strings.ReplaceAll(h.Node.Kind, "_", " ")]++
	}
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if c[keys[i]] != c[keys[j]] {
			return c[keys[i]] > c[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", c[k], k)
	}
	return strings.Join(parts, ", ")
}
