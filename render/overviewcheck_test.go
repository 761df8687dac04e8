package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/infragraph/infragraph/graph"
)

// CheckOverview is the tests' reader of the overview (graph.mmd): the promises Diagrams makes,
// checked against the graph drawn.

// OverviewReport is what CheckOverview found in a system-level overview.
type OverviewReport struct {
	Problems      []string // each broken promise, in words
	CrossProvider int      // dependencies between systems of two providers checked to be drawn
}

var (
	ovEdge = regexp.MustCompile(`^(\S+) (-->|-\.->|---)(?:\|"([^"]*)"\|)? (\S+)$`)
	ovNode = regexp.MustCompile(`^(n[0-9a-z_]+)[\[({>]`)
	ovSub  = regexp.MustCompile(`^subgraph (\S+)\["(.*)"\]$`)
)

// CheckOverview reads a system-level overview (graph.mmd as Diagrams writes it, with its node
// links) against the graph it draws and reports every broken promise: a node that is not a
// system or an external host (an alias, a DNS record); a node drawn twice; containment drawn as
// an edge between two drawn nodes, or not drawn as nesting (the contained node outside the
// container's box); a dependency between two drawn, non-nested units (every cross-provider one
// among them) missing or without its type in the label.
func CheckOverview(g *graph.Graph, doc Document) (OverviewReport, error) {
	var r OverviewReport
	m, err := newModel(g)
	if err != nil {
		return r, err
	}
	bad := func(f string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(f, a...)) }
	var stack []string
	titles := map[string]string{}     // subgraph id -> title
	where := map[string][]string{}    // graph id -> subgraph stack it is drawn in
	drawn := map[[2]string][]string{} // (from, to) graph ids -> labels
	for _, line := range strings.Split(string(doc.Data), "\n") {
		line = strings.TrimSpace(line)
		if s := ovSub.FindStringSubmatch(line); s != nil {
			stack = append(stack, s[1])
			titles[s[1]] = s[2]
			continue
		}
		if line == "end" {
			stack = stack[:len(stack)-1]
			continue
		}
		if e := ovEdge.FindStringSubmatch(line); e != nil {
			from, to := doc.Nodes[e[1]], doc.Nodes[e[4]]
			if e[2] == "---" || from == "" || to == "" {
				bad("edge %q is not a dependency between drawn nodes", line)
				continue
			}
			drawn[[2]string{from, to}] = append(drawn[[2]string{from, to}], e[3])
			continue
		}
		if n := ovNode.FindStringSubmatch(line); n != nil {
			id := doc.Nodes[n[1]]
			switch {
			case id == "":
				bad("node %q draws no graph node", line)
			case where[id] != nil:
				bad("%s is drawn twice", id)
			case !m.inOverview(m.numOf(id)):
				bad("%s (%s) is drawn, but it is not a system or an external host", id, m.kindOf(m.numOf(id)))
			}
			where[id] = append([]string{""}, stack...)
		}
	}
	boxOf := func(id string) string { return escape(m.label(m.numOf(id)) + " (" + m.kindOf(m.numOf(id)) + ")") }
	ancestors := func(id string) map[string]bool {
		out := map[string]bool{}
		for _, a := range m.ancestors(m.numOf(id)) {
			out[m.id(a.v)] = true
		}
		return out
	}
	for b := range where {
		for a := range ancestors(b) {
			if where[a] == nil {
				continue
			}
			if len(drawn[[2]string{a, b}]) > 0 || len(drawn[[2]string{b, a}]) > 0 {
				bad("%s contains %s, and an edge between them draws it again", a, b)
			}
			inBox := false
			for _, s := range where[b] {
				if s != "" && titles[s] == boxOf(a) && slices.Contains(where[a], s) {
					inBox = true
				}
			}
			if !inBox {
				bad("%s contains %s, but it is not drawn inside %s's box", a, b, a)
			}
		}
	}
	related := func(a, b string) bool {
		return ancestors(a)[b] || ancestors(b)[a]
	}
	seen := map[[3]string]bool{}
	for j, e := range m.edges {
		a, b := m.id(m.rep[m.from[j]]), m.id(m.rep[m.to[j]])
		if !m.dep[j] || a == b || where[a] == nil || where[b] == nil || related(a, b) || seen[[3]string{a, b, e.Type}] {
			continue
		}
		seen[[3]string{a, b, e.Type}] = true
		if m.nodes[m.numOf(a)].Provider != m.nodes[m.numOf(b)].Provider {
			r.CrossProvider++
		}
		labels := drawn[[2]string{a, b}]
		if len(labels) == 0 {
			bad("dependency %s -%s-> %s is not drawn", a, e.Type, b)
			continue
		}
		types := strings.FieldsFunc(labels[0], func(c rune) bool { return c == ',' || c == ' ' })
		if labels[0] != "" && !slices.Contains(types, e.Type) {
			bad("dependency %s -> %s is drawn without its type %s: %q", a, b, e.Type, labels[0])
		}
	}
	return r, nil
}
