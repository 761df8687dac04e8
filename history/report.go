package history

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/termtext"
)

// WriteText writes c for a terminal: a summary line per section, then one line per change
// ("+" added, "-" removed, "~" changed, "!" went stale, "^" observed again). Ids and values are
// escaped with termtext: they come from providers.
func WriteText(w io.Writer, c *Changes) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "Changes from %s to %s\n", termtext.Escape(orUnknown(c.Since)), termtext.Escape(orUnknown(c.Until)))
	fmt.Fprintf(b, "nodes: %d added, %d removed, %d changed, %d went stale, %d observed again\n",
		len(c.NodesAdded), len(c.NodesRemoved), len(c.NodesChanged), len(c.NodesStale), len(c.NodesFresh))
	fmt.Fprintf(b, "edges: %d added, %d removed, %d changed, %d went stale\n",
		len(c.EdgesAdded), len(c.EdgesRemoved), len(c.EdgesChanged), len(c.EdgesStale))
	t := c.ImplicitEdges
	fmt.Fprintf(b, "implicit edges: %d -> %d (rules %d -> %d, LLM %d -> %d)\n",
		t.Old.Rule+t.Old.LLM, t.New.Rule+t.New.LLM, t.Old.Rule, t.New.Rule, t.Old.LLM, t.New.LLM)
	if c.Empty() {
		fmt.Fprintln(b, "\nNo changes.")
		return b.Flush()
	}
	fmt.Fprintln(b)
	for _, n := range c.NodesAdded {
		fmt.Fprintf(b, "+ %s  %s\n", termtext.Escape(n.ID), label(n))
	}
	for _, n := range c.NodesRemoved {
		fmt.Fprintf(b, "- %s  %s\n", termtext.Escape(n.ID), label(n))
	}
	for _, n := range c.NodesChanged {
		fmt.Fprintf(b, "~ %s  %s\n", termtext.Escape(n.ID), label(n.NodeRef))
		for _, f := range n.Fields {
			fmt.Fprintf(b, "    %s\n", termtext.Escape(fieldLine(f)))
		}
	}
	for _, n := range c.NodesStale {
		fmt.Fprintf(b, "! %s  %s  stale since %s (%s)\n", termtext.Escape(n.ID), label(n), n.StaleSince, termtext.Escape(orNone(n.Source)))
	}
	for _, n := range c.NodesFresh {
		fmt.Fprintf(b, "^ %s  %s  observed again\n", termtext.Escape(n.ID), label(n))
	}
	for _, e := range c.EdgesAdded {
		fmt.Fprintf(b, "+ %s\n", termtext.Escape(edgeLine(e)))
	}
	for _, e := range c.EdgesRemoved {
		fmt.Fprintf(b, "- %s\n", termtext.Escape(edgeLine(e)))
	}
	for _, e := range c.EdgesChanged {
		fmt.Fprintf(b, "~ %s\n", termtext.Escape(edgeLine(e.EdgeRef)))
		for _, f := range e.Fields {
			fmt.Fprintf(b, "    %s\n", termtext.Escape(fieldLine(f)))
		}
	}
	for _, e := range c.EdgesStale {
		fmt.Fprintf(b, "! %s  stale since %s\n", termtext.Escape(edgeLine(e)), e.StaleSince)
	}
	return b.Flush()
}

// listCap is how many entries of one change list CHANGES.md shows.
const listCap = 200

// WriteMarkdown writes CHANGES.md. A nil c is the first scan: nothing to compare with. Each
// change list shows its first listCap entries and how many more there are.
func WriteMarkdown(w io.Writer, c *Changes) error {
	b := bufio.NewWriter(w)
	fmt.Fprintln(b, "# Changes")
	fmt.Fprintln(b)
	if c == nil {
		fmt.Fprintln(b, "This is the first scan in this output directory: there is nothing to compare it with yet.")
		return b.Flush()
	}
	fmt.Fprintf(b, "Scan `%s` compared with the previous scan `%s`. Volatile attributes (timestamps, counters) are ignored; stale means the collector that owns it did not complete, so it was kept from an earlier scan.\n\n",
		orUnknown(c.Until), orUnknown(c.Since))
	fmt.Fprintln(b, "| | added | removed | changed | went stale | observed again |")
	fmt.Fprintln(b, "|---|---:|---:|---:|---:|---:|")
	fmt.Fprintf(b, "| nodes | %d | %d | %d | %d | %d |\n", len(c.NodesAdded), len(c.NodesRemoved), len(c.NodesChanged), len(c.NodesStale), len(c.NodesFresh))
	fmt.Fprintf(b, "| edges | %d | %d | %d | %d | |\n", len(c.EdgesAdded), len(c.EdgesRemoved), len(c.EdgesChanged), len(c.EdgesStale))
	if c.Empty() {
		fmt.Fprintln(b, "\nNothing changed.")
		return b.Flush()
	}
	if hs := c.highlights(8); len(hs) > 0 {
		fmt.Fprintln(b, "\n## Highlights")
		fmt.Fprintln(b)
		for _, h := range hs {
			fmt.Fprintf(b, "- %s\n", md(h))
		}
	}
	section := func(title string, n int, each func()) {
		if n == 0 {
			return
		}
		fmt.Fprintf(b, "\n## %s\n\n", title)
		each()
	}
	// Each list shows its first listCap entries and counts the rest: a collector that failed
	// over 100,000 containers makes as many stale nodes and more stale edges, which no one reads
	// in a markdown file; `discover diff` lists them all.
	list := func(n int, each func(i int)) {
		for i := 0; i < n && i < listCap; i++ {
			each(i)
		}
		if n > listCap {
			fmt.Fprintf(b, "- … and %d more (`discover diff` lists them all)\n", n-listCap)
		}
	}
	nodeList := func(ns []NodeRef) {
		list(len(ns), func(i int) { fmt.Fprintf(b, "- %s %s\n", render.Code(ns[i].ID), md(label(ns[i]))) })
	}
	section("Nodes added", len(c.NodesAdded), func() { nodeList(c.NodesAdded) })
	section("Nodes removed", len(c.NodesRemoved), func() { nodeList(c.NodesRemoved) })
	section("Nodes changed", len(c.NodesChanged), func() {
		list(len(c.NodesChanged), func(i int) {
			n := c.NodesChanged[i]
			fmt.Fprintf(b, "- %s %s\n", render.Code(n.ID), md(label(n.NodeRef)))
			for _, f := range n.Fields {
				fmt.Fprintf(b, "  - %s\n", md(fieldLine(f)))
			}
		})
	})
	section("Went stale", len(c.NodesStale)+len(c.EdgesStale), func() {
		list(len(c.NodesStale), func(i int) {
			n := c.NodesStale[i]
			fmt.Fprintf(b, "- %s %s, stale since %s (%s)\n", render.Code(n.ID), md(label(n)), n.StaleSince, md(orNone(n.Source)))
		})
		list(len(c.EdgesStale), func(i int) {
			fmt.Fprintf(b, "- edge %s, stale since %s\n", edgeMD(c.EdgesStale[i]), c.EdgesStale[i].StaleSince)
		})
	})
	section("Observed again", len(c.NodesFresh), func() { nodeList(c.NodesFresh) })
	edgeList := func(es []EdgeRef) {
		list(len(es), func(i int) { fmt.Fprintf(b, "- %s\n", edgeMD(es[i])) })
	}
	section("Edges added", len(c.EdgesAdded), func() { edgeList(c.EdgesAdded) })
	section("Edges removed", len(c.EdgesRemoved), func() { edgeList(c.EdgesRemoved) })
	section("Edges changed", len(c.EdgesChanged), func() {
		list(len(c.EdgesChanged), func(i int) {
			e := c.EdgesChanged[i]
			fmt.Fprintf(b, "- %s\n", edgeMD(e.EdgeRef))
			for _, f := range e.Fields {
				fmt.Fprintf(b, "  - %s\n", md(fieldLine(f)))
			}
		})
	})
	return b.Flush()
}

func label(n NodeRef) string { return fmt.Sprintf("%s %q", n.Kind, n.Name) }

func edgeLine(e EdgeRef) string { return edgeWith(e, func(s string) string { return s }) }

// edgeMD is edgeLine for CHANGES.md: the ids and type escaped, our arrow kept readable.
func edgeMD(e EdgeRef) string { return edgeWith(e, md) }

func edgeWith(e EdgeRef, esc func(string) string) string {
	s := fmt.Sprintf("%s -%s-> %s", esc(e.From), esc(e.Type), esc(e.To))
	if e.Origin != "" && e.Origin != "observed" {
		s += fmt.Sprintf(" (%s, %.2f)", e.Origin, e.Confidence)
	}
	return s
}

func fieldLine(f FieldChange) string {
	return fmt.Sprintf("%s: %s → %s", f.Field, value(f.Old), value(f.New))
}

func value(v any) string {
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		return strconv.Quote(x)
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// md keeps text from breaking a markdown list: pipes and newlines.
// md escapes text for CHANGES.md as INFRA.md does (render.Markdown), pipes included for the
// table rows.
func md(s string) string { return render.Markdown(s) }

func orUnknown(id string) string {
	if id == "" {
		return "(unknown)"
	}
	return id
}
