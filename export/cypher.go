package export

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/infragraph/infragraph/graph"
)

// cypherBatch is how many rows one UNWIND statement carries: large enough to be fast, small
// enough for a transaction of default memory settings.
const cypherBatch = 500

// cypherCore are the node properties set from the node itself; an attribute of the same name is
// written as "attr.<name>" so it cannot overwrite them.
var cypherCore = map[string]bool{"id": true, "provider": true, "kind": true, "name": true, "source": true,
	"first_seen": true, "last_seen": true, "stale": true, "stale_since": true}

// Cypher writes a Neo4j import script (https://neo4j.com/docs/cypher-manual/current/): a
// uniqueness constraint on :InfraNode(id), then per node kind UNWIND ... MERGE (n:InfraNode {id})
// SET n = props with the labels of its provider and kind (:Vercel:Project), then per edge type
// MATCH both ends and MERGE the relationship (:CALLS, :USES_DATABASE) with its properties. MERGE
// on the key makes it re-runnable: running it again updates, never duplicates. Run it with
// `cypher-shell -f graph.cypher`.
//
// Every value is a literal escaped by cypherString and every label, type and key is quoted in
// backticks, so a name cannot end a string or inject a clause.
func Cypher(w io.Writer, g *graph.Graph) error {
	bw := bufio.NewWriter(w)
	nodes := g.Nodes()
	edges := g.Edges()
	fmt.Fprintf(bw, "// infragraph export: %d nodes, %d edges. Re-runnable: nodes and relationships are MERGEd on their keys.\n", len(nodes), len(edges))
	bw.WriteString("CREATE CONSTRAINT infragraph_node_id IF NOT EXISTS FOR (n:InfraNode) REQUIRE n.id IS UNIQUE;\n")

	type group struct {
		labels string
		rows   []string
	}
	groups := map[string]*group{}
	var keys []string
	for _, n := range nodes {
		k := n.Provider + ":" + n.Kind
		gr, ok := groups[k]
		if !ok {
			gr = &group{labels: cypherName(pascal(n.Provider)) + ":" + cypherName(pascal(n.Kind))}
			groups[k] = gr
			keys = append(keys, k)
		}
		props := []string{
			"id: " + cypherString(n.ID), "provider: " + cypherString(n.Provider), "kind: " + cypherString(n.Kind),
			"name: " + cypherString(n.Name), "stale: " + strconv.FormatBool(n.Stale),
		}
		for _, p := range [][2]string{{"source", n.Source}, {"first_seen", n.FirstSeen}, {"last_seen", n.LastSeen}, {"stale_since", n.StaleSince}} {
			if p[1] != "" {
				props = append(props, p[0]+": "+cypherString(p[1]))
			}
		}
		for _, k := range n.Attrs.Keys() {
			name := k
			if cypherCore[k] {
				name = "attr." + k
			}
			props = append(props, cypherName(name)+": "+cypherValue(n.Attrs[k]))
		}
		gr.rows = append(gr.rows, "{id: "+cypherString(n.ID)+", props: {"+strings.Join(props, ", ")+"}}")
	}
	sort.Strings(keys)
	for _, k := range keys {
		gr := groups[k]
		writeUnwind(bw, gr.rows, "MERGE (n:InfraNode {id: row.id})\nSET n = row.props, n:"+gr.labels+";\n")
	}

	byType := map[string][]string{}
	var types []string
	for _, e := range edges {
		if _, ok := byType[e.Type]; !ok {
			types = append(types, e.Type)
		}
		origins := make([]string, len(e.Origins))
		for i, o := range e.Origins {
			origins[i] = cypherString(string(o))
		}
		props := []string{"origin: " + cypherString(string(e.Origin)), "confidence: " + cypherFloat(e.Confidence),
			"stale: " + strconv.FormatBool(e.Stale)}
		if len(origins) > 0 {
			props = append(props, "origins: ["+strings.Join(origins, ", ")+"]")
		}
		for _, p := range [][2]string{{"source", e.Source}, {"first_seen", e.FirstSeen}, {"last_seen", e.LastSeen}, {"stale_since", e.StaleSince}} {
			if p[1] != "" {
				props = append(props, p[0]+": "+cypherString(p[1]))
			}
		}
		byType[e.Type] = append(byType[e.Type], "{from: "+cypherString(e.From)+", to: "+cypherString(e.To)+", props: {"+strings.Join(props, ", ")+"}}")
	}
	sort.Strings(types)
	for _, t := range types {
		writeUnwind(bw, byType[t], "MATCH (a:InfraNode {id: row.from}), (b:InfraNode {id: row.to})\nMERGE (a)-[r:"+cypherName(strings.ToUpper(t))+"]->(b)\nSET r = row.props;\n")
	}
	return bw.Flush()
}

func writeUnwind(w *bufio.Writer, rows []string, body string) {
	for start := 0; start < len(rows); start += cypherBatch {
		end := min(start+cypherBatch, len(rows))
		w.WriteString("UNWIND [\n")
		for i, r := range rows[start:end] {
			w.WriteString("  " + r)
			if i < end-start-1 {
				w.WriteByte(',')
			}
			w.WriteByte('\n')
		}
		w.WriteString("] AS row\n" + body)
	}
}

// cypherString quotes s as a Cypher string literal: single quotes, with backslash, quote and
// every control character escaped (\uXXXX), so no input can end the literal.
func cypherString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'':
			b.WriteString(`\'`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// cypherName quotes a label, relationship type or property key in backticks; a backtick inside
// is doubled (Cypher manual, "Naming rules and recommendations").
func cypherName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// cypherValue renders an attribute value: string, bool, integer, float or list of strings.
func cypherValue(v any) string {
	switch x := v.(type) {
	case string:
		return cypherString(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return cypherFloat(x)
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = cypherString(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return cypherString(fmt.Sprint(v))
}

// cypherFloat writes f in plain decimal notation, always with a fractional part so Neo4j stores
// a float (1.0, not the integer 1).
func cypherFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pascal turns a provider or kind name into a label: "app_component" -> "AppComponent".
func pascal(s string) string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == ' ' })
	for i, p := range parts {
		r, size := utf8.DecodeRuneInString(p)
		parts[i] = string(unicode.ToUpper(r)) + p[size:]
	}
	return strings.Join(parts, "")
}
