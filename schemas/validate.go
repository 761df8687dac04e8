package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaURL is graph.schema.json's $id.
const SchemaURL = "https://infragraph.dev/schemas/graph.schema.json"

func compile() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		return nil, fmt.Errorf("graph.schema.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(SchemaURL)
}

// ValidateJSON checks a graph.json document against graph.schema.json and then against the
// vocabulary: every node kind is declared, every edge joins existing nodes with a type allowed for
// their kinds. It returns every problem found, not just the first.
func ValidateJSON(data []byte) []string {
	sch, err := compile()
	if err != nil {
		return []string{err.Error()}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	dups := DuplicateKeys(data)
	if err := sch.Validate(inst); err != nil {
		return append(dups, "schema: "+strings.TrimSpace(err.Error()))
	}
	var doc struct {
		Nodes []struct{ ID, Kind, Provider string } `json:"nodes"`
		Edges []struct{ From, To, Type string }     `json:"edges"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return []string{err.Error()}
	}
	v, err := Load()
	if err != nil {
		return []string{"vocabulary: " + err.Error()}
	}
	problems := dups
	kinds := map[string]string{}
	for _, n := range doc.Nodes {
		q := n.Provider + ":" + n.Kind
		if _, ok := v.Kinds[q]; !ok {
			problems = append(problems, fmt.Sprintf("node %s: kind %s is not in the vocabulary", n.ID, q))
		}
		if !strings.HasPrefix(n.ID, q+":") {
			problems = append(problems, fmt.Sprintf("node %s: id does not start with %s:", n.ID, q))
		}
		if _, dup := kinds[n.ID]; dup {
			problems = append(problems, fmt.Sprintf("node %s: duplicate id", n.ID))
		}
		kinds[n.ID] = q
	}
	for _, e := range doc.Edges {
		fk, ok1 := kinds[e.From]
		tk, ok2 := kinds[e.To]
		switch {
		case !ok1 || !ok2:
			problems = append(problems, fmt.Sprintf("edge %s -%s-> %s: endpoint missing", e.From, e.Type, e.To))
		case v.EdgeTypes[e.Type].Name == "":
			problems = append(problems, fmt.Sprintf("edge %s -%s-> %s: edge type %s is not in the vocabulary", e.From, e.Type, e.To, e.Type))
		case !v.EdgeAllowed(e.Type, fk, tk):
			problems = append(problems, fmt.Sprintf("edge %s -%s-> %s: %s is not allowed from %s to %s", e.From, e.Type, e.To, e.Type, fk, tk))
		}
	}
	sort.Strings(problems)
	return problems
}
