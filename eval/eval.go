// Package eval scores a scan against a labelled estate (a truth file): the precision and recall
// of the rules and of the LLM separately, the validator's rejections by reason (and how many of
// them rejected a true edge), and what the LLM's accepted edges cost in tokens and money.
//
// A truth file lists the relationships a person confirmed ("edges") and, optionally, pairs they
// confirmed are unrelated ("not"). With "complete: true" it claims to list every relationship of
// the estate, so an inferred edge it does not list is wrong; otherwise only the "not" entries
// judge an edge wrong and the rest are counted as unjudged. That lets a team label a sample.
package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/infragraph/infragraph/graph"
)

// Truth is a labelled estate.
type Truth struct {
	Estate   string      `yaml:"estate"`
	Complete bool        `yaml:"complete"`
	Edges    []TruthEdge `yaml:"edges"`
	Not      []TruthEdge `yaml:"not"`
	path     string
}

// TruthEdge is a labelled relationship: from depends on to by type. In "not", an empty type
// means no relationship of any type.
type TruthEdge struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
	Type string `yaml:"type"`
	line int
}

func (e TruthEdge) key() graph.EdgeKey { return graph.EdgeKey{From: e.From, To: e.To, Type: e.Type} }

// LoadTruth reads a truth file (YAML, or JSON, which is YAML). Errors name the file, the line
// and the field.
func LoadTruth(path string) (*Truth, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read truth: %w", err)
	}
	return ParseTruth(path, raw)
}

// ParseTruth parses a truth file's content; path names it in errors.
func ParseTruth(path string, raw []byte) (*Truth, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("%s: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	t := &Truth{path: path}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(t); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	lines := func(section string) []int { return itemLines(&root, section) }
	for _, sec := range []struct {
		name  string
		edges []TruthEdge
		typed bool
	}{{"edges", t.Edges, true}, {"not", t.Not, false}} {
		ls := lines(sec.name)
		seen := map[graph.EdgeKey]int{}
		for i := range sec.edges {
			e := &sec.edges[i]
			if i < len(ls) {
				e.line = ls[i]
			}
			where := fmt.Sprintf("%s:%d: %s[%d]", path, e.line, sec.name, i)
			switch {
			case e.From == "" || e.To == "":
				return nil, fmt.Errorf("%s: from and to are required (node ids, provider:kind:native-id)", where)
			case sec.typed && e.Type == "":
				return nil, fmt.Errorf("%s.type: required (an edge type such as calls, uses_database)", where)
			}
			for _, id := range []string{e.From, e.To} {
				if _, _, _, err := graph.ParseID(id); err != nil {
					return nil, fmt.Errorf("%s: %v", where, err)
				}
			}
			if l, dup := seen[e.key()]; dup {
				return nil, fmt.Errorf("%s: the same edge as line %d", where, l)
			}
			seen[e.key()] = e.line
		}
	}
	for _, n := range t.Not {
		for _, e := range t.Edges {
			if e.From == n.From && e.To == n.To && (n.Type == "" || n.Type == e.Type) {
				return nil, fmt.Errorf("%s:%d: not: %s -> %s is also listed under edges (line %d)", path, n.line, n.From, n.To, e.line)
			}
		}
	}
	return t, nil
}

// itemLines returns the line of each item of the top-level sequence named section.
func itemLines(root *yaml.Node, section string) []int {
	if root == nil || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == section {
			var out []int
			for _, it := range m.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

// Verdict is a proposal and the validator's verdict as proposals.json has them.
type Verdict struct {
	Proposal struct {
		Edge     graph.Edge `json:"edge"`
		Enricher string     `json:"enricher"`
	} `json:"proposal"`
	Accepted bool     `json:"accepted"`
	Reasons  []string `json:"reasons"`
}

// ReadProposals decodes proposals.json.
func ReadProposals(r io.Reader) ([]Verdict, error) {
	var doc struct {
		Proposals []Verdict `json:"proposals"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode proposals.json: %w", err)
	}
	return doc.Proposals, nil
}

// Prices are what the gateway charges, in US dollars per million tokens (0: not given): Prompt
// and Completion for every model, unless Models prices it ("anthropic/claude-haiku-4.5").
type Prices struct {
	Prompt, Completion float64
	Models             map[string]Price
}

// Price is one model's price per million prompt and completion tokens.
type Price struct{ Prompt, Completion float64 }

func (p Prices) of(model string) (Price, bool) {
	if m, ok := p.Models[model]; ok {
		return m, true
	}
	return Price{p.Prompt, p.Completion}, p.Prompt > 0 || p.Completion > 0
}

// Report is a scan's score against a truth.
type Report struct {
	Scan     string `json:"scan"`
	Truth    string `json:"truth"`
	Complete bool   `json:"complete"`
	// Labelled counts the truth's edges and its "not" entries.
	Labelled    int `json:"labelled_edges"`
	LabelledNot int `json:"labelled_not"`
	// MissingNodes are node ids the truth names that the graph does not have (a label for
	// another scan, or something no collector found), sorted.
	MissingNodes []string `json:"missing_nodes"`
	Rules        Score    `json:"rules"`
	LLM          Score    `json:"llm"`
	// Inferred scores rules and LLM together (an edge either found).
	Inferred Score `json:"inferred"`
	// Rejections counts the validator's rejections by enricher class (rules, llm) and reason code.
	Rejections map[string]map[string]int `json:"rejections"`
	// RejectedTrue counts rejected proposals the truth says are right, by class.
	RejectedTrue map[string]int `json:"rejected_true"`
	Cost         Cost           `json:"llm_cost"`
}

// Score is one enricher class's precision and recall.
type Score struct {
	// Found are the graph's edges this class inferred (or confirmed, merged with an observed one).
	Found int `json:"found"`
	// True are found edges the truth lists; False found edges it judges wrong (listed under "not",
	// or unlisted in a complete truth); Unjudged the rest.
	True     int `json:"true"`
	False    int `json:"false"`
	Unjudged int `json:"unjudged"`
	// Missed are truth edges this class did not find.
	Missed int `json:"missed"`
	// Precision is True/(True+False), Recall True/(labelled edges); -1 when undefined (nothing
	// judged, nothing labelled).
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// FalseEdges and MissedEdges name them ("from -type-> to"), sorted.
	FalseEdges  []string `json:"false_edges"`
	MissedEdges []string `json:"missed_edges"`
}

// Cost is what the LLM's edge stage used (graph.json's scan.enrichment llm.usage.*).
type Cost struct {
	Calls            int `json:"calls"`
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	// Accepted counts the LLM proposals the validator accepted, TrueAccepted those the truth
	// lists.
	Accepted     int `json:"accepted"`
	TrueAccepted int `json:"true_accepted"`
	// TokensPerAccepted is (prompt+completion)/Accepted, -1 when none was accepted.
	TokensPerAccepted float64 `json:"tokens_per_accepted_edge"`
	// USD and USDPerAccepted are priced with Prices (-1 when no price was given, a model that
	// used tokens has none, or nothing was accepted).
	USD            float64 `json:"usd"`
	USDPerAccepted float64 `json:"usd_per_accepted_edge"`
}

// Classes of enrichers a proposal's "rules/url" or "llm/<model>" name falls in.
const (
	ClassRules = "rules"
	ClassLLM   = "llm"
)

func class(enricher string) string {
	c, _, _ := strings.Cut(enricher, "/")
	return c
}

func edgeName(k graph.EdgeKey) string { return k.From + " -" + k.Type + "-> " + k.To }

// Evaluate scores g (and its proposals) against t.
func Evaluate(g *graph.Graph, proposals []Verdict, t *Truth, p Prices) Report {
	r := Report{Scan: g.Scan.ID, Truth: t.path, Complete: t.Complete, Labelled: len(t.Edges), LabelledNot: len(t.Not),
		Rejections: map[string]map[string]int{}, RejectedTrue: map[string]int{}, MissingNodes: []string{}}
	truth := map[graph.EdgeKey]bool{}
	missing := map[string]bool{}
	for _, e := range t.Edges {
		truth[e.key()] = true
		for _, id := range []string{e.From, e.To} {
			if !g.HasNode(id) {
				missing[id] = true
			}
		}
	}
	for _, e := range t.Not {
		for _, id := range []string{e.From, e.To} {
			if !g.HasNode(id) {
				missing[id] = true
			}
		}
	}
	for id := range missing {
		r.MissingNodes = append(r.MissingNodes, id)
	}
	sort.Strings(r.MissingNodes)
	judgedFalse := func(k graph.EdgeKey) bool {
		for _, n := range t.Not {
			if n.From == k.From && n.To == k.To && (n.Type == "" || n.Type == k.Type) {
				return true
			}
		}
		return t.Complete
	}
	found := map[string]map[graph.EdgeKey]bool{ClassRules: {}, ClassLLM: {}, "": {}}
	for _, e := range g.Edges() {
		origins := e.Origins
		if len(origins) == 0 {
			origins = []graph.Origin{e.Origin}
		}
		for _, o := range origins {
			switch o {
			case graph.Rule:
				found[ClassRules][e.Key()] = true
				found[""][e.Key()] = true
			case graph.LLM:
				found[ClassLLM][e.Key()] = true
				found[""][e.Key()] = true
			}
		}
	}
	score := func(set map[graph.EdgeKey]bool) Score {
		s := Score{Found: len(set), FalseEdges: []string{}, MissedEdges: []string{}}
		for k := range set {
			switch {
			case truth[k]:
				s.True++
			case judgedFalse(k):
				s.False++
				s.FalseEdges = append(s.FalseEdges, edgeName(k))
			default:
				s.Unjudged++
			}
		}
		for _, e := range t.Edges {
			if !set[e.key()] {
				s.Missed++
				s.MissedEdges = append(s.MissedEdges, edgeName(e.key()))
			}
		}
		sort.Strings(s.FalseEdges)
		sort.Strings(s.MissedEdges)
		s.Precision, s.Recall = ratio(s.True, s.True+s.False), ratio(s.True, len(t.Edges))
		return s
	}
	r.Rules, r.LLM, r.Inferred = score(found[ClassRules]), score(found[ClassLLM]), score(found[""])
	for _, v := range proposals {
		c := class(v.Proposal.Enricher)
		k := v.Proposal.Edge.Key()
		if v.Accepted {
			if c == ClassLLM {
				r.Cost.Accepted++
				if truth[k] {
					r.Cost.TrueAccepted++
				}
			}
			continue
		}
		if r.Rejections[c] == nil {
			r.Rejections[c] = map[string]int{}
		}
		for _, reason := range v.Reasons {
			code, _, _ := strings.Cut(reason, ":")
			r.Rejections[c][strings.TrimSpace(code)]++
		}
		if truth[k] {
			r.RejectedTrue[c]++
		}
	}
	type use struct{ prompt, completion int }
	byModel := map[string]*use{}
	for k, v := range g.Scan.Enrichment {
		n, ok := v.(float64)
		if !ok {
			if i, isInt := v.(int); isInt {
				n, ok = float64(i), true
			}
		}
		rest, usage := strings.CutPrefix(k, "llm.usage.")
		if !ok || !usage {
			continue
		}
		for _, field := range []string{"prompt_tokens", "completion_tokens", "calls"} {
			model, isField := strings.CutSuffix(rest, "."+field)
			if !isField {
				continue
			}
			u := byModel[model]
			if u == nil {
				u = &use{}
				byModel[model] = u
			}
			switch field {
			case "prompt_tokens":
				r.Cost.PromptTokens += int(n)
				u.prompt += int(n)
			case "completion_tokens":
				r.Cost.CompletionTokens += int(n)
				u.completion += int(n)
			case "calls":
				r.Cost.Calls += int(n)
			}
		}
	}
	r.Cost.TokensPerAccepted = ratio(r.Cost.PromptTokens+r.Cost.CompletionTokens, r.Cost.Accepted)
	r.Cost.USD, r.Cost.USDPerAccepted = -1, -1
	priced, usd := true, 0.0
	for model, u := range byModel {
		pr, ok := p.of(model)
		if !ok && u.prompt+u.completion > 0 {
			priced = false // a model that cost tokens has no price: no total rather than a wrong one
		}
		usd += (float64(u.prompt)*pr.Prompt + float64(u.completion)*pr.Completion) / 1e6
	}
	if priced && (p.Prompt > 0 || p.Completion > 0 || len(p.Models) > 0) {
		r.Cost.USD = usd
		if r.Cost.Accepted > 0 {
			r.Cost.USDPerAccepted = usd / float64(r.Cost.Accepted)
		}
	}
	return r
}

// ratio is a/b, or -1 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}
