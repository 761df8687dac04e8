package llmfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// DemoModel is the model name every answer of the demo gateway carries, so each output that
// names the model (INFRA.md's narratives, triages, `discover ask`, the audit log, graph.json's
// usage) says the text is scripted demo data, not a model's.
const DemoModel = "demo-data/scripted-gateway"

// DemoKey is the key the demo gateway accepts: it guards nothing (the gateway listens on
// 127.0.0.1 for one command) and is no secret.
const DemoKey = "demo-gateway-key"

// Demo is a scripted gateway for `discover scan --demo --llm demo` and `discover ask --llm demo`:
// what a new user needs to try the AI features without credentials. It answers from the content
// of each request, whatever estate it is asked about (no byte positions, no fixed ids):
//   - edges (schema "edges"): a pair of an external host and a card one of whose attribute values
//     names the host's service (api.stripe.com and a value "stripe") gets a "calls" edge with both
//     quotes as evidence; every other pair is omitted (no dependency). On the demo estate that is the one
//     edge only the LLM finds, Odoo's Stripe payment provider → api.stripe.com (demo/truth.yaml).
//   - narratives (schema "narrative"): per system, one grounded sentence claiming its first edge,
//     then one citing a node the subgraph does not have and one claiming the first
//     edge reversed, which the narrative check drops and counts.
//   - triage (schema "triage"): two grounded sentences citing the alert's nodes.
//   - questions (tools offered): search_nodes for the question's most specific word, then impact
//     on each match, then an answer citing the ids the tools returned.
//
// Every text starts with "(demo data)".
func Demo() *Gateway {
	return &Gateway{Key: DemoKey, Reply: demoReply}
}

func demoReply(r Request) (int, string) {
	switch {
	case r.Schema() == "edges":
		return 200, Completion(DemoModel, demoEdges(lastUser(r)))
	case r.Schema() == "narrative":
		return 200, Completion(DemoModel, demoNarrative(lastUser(r)))
	case r.Schema() == "triage":
		return 200, Completion(DemoModel, demoTriage(lastUser(r)))
	case r.Schema() == "":
		return demoAsk(r)
	}
	return 400, Error("the demo gateway does not know the response schema "+r.Schema(), "invalid_request_error")
}

// lastUser is the data block of the last user message: the JSON between its first { and last }.
func lastUser(r Request) []byte {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if m := r.Messages[i]; m.Role == "user" {
			a, b := strings.Index(m.Content, "{"), strings.LastIndex(m.Content, "}")
			if a >= 0 && b > a {
				return []byte(m.Content[a : b+1])
			}
		}
	}
	return nil
}

func marshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type demoEvidence struct {
	NodeID string `json:"node_id"`
	Field  string `json:"field"`
	Quote  string `json:"quote"`
}

type demoEdge struct {
	From       string         `json:"from_id"`
	To         string         `json:"to_id"`
	Type       string         `json:"type"`
	Confidence float64        `json:"confidence"`
	Evidence   []demoEvidence `json:"evidence"`
}

type demoCard struct {
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	Attrs map[string]string `json:"attrs"`
}

func demoEdges(data []byte) string {
	var in struct {
		Cards []demoCard `json:"cards"`
		Pairs []struct {
			ID    string   `json:"pair_id"`
			A     string   `json:"a"`
			B     string   `json:"b"`
			Types []string `json:"allowed_types"`
		} `json:"candidate_pairs"`
	}
	// A pair without a dependency is omitted, as the prompt asks (undecided ones would go to the
	// next model tier).
	ans := struct {
		Edges     []demoEdge `json:"edges"`
		Undecided []string   `json:"undecided"`
	}{Edges: []demoEdge{}, Undecided: []string{}}
	if json.Unmarshal(data, &in) != nil {
		return marshal(ans)
	}
	cards := map[string]demoCard{}
	for _, c := range in.Cards {
		cards[c.ID] = c
	}
	for _, p := range in.Pairs {
		a, b := cards[p.A], cards[p.B]
		if e, ok := serviceCall(a, b); ok && slices.Contains(p.Types, "calls") {
			ans.Edges = append(ans.Edges, e)
		} else if e, ok := serviceCall(b, a); ok && slices.Contains(p.Types, "calls") {
			ans.Edges = append(ans.Edges, e)
		}
	}
	return marshal(ans)
}

// serviceCall is from → ext "calls" when ext is an external host (external:host:H) whose
// service's name (H's label before the public suffix: stripe for api.stripe.com) is a whole word
// of one of from's attribute values. The quotes are copied from the cards, as a model must.
func serviceCall(from, ext demoCard) (demoEdge, bool) {
	host, ok := strings.CutPrefix(ext.ID, "external:host:")
	labels := strings.Split(host, ".")
	if !ok || len(labels) < 2 || from.ID == "" {
		return demoEdge{}, false
	}
	service := labels[len(labels)-2]
	word := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(service) + `\b`)
	hostField := "name"
	for _, k := range slices.Sorted(maps.Keys(ext.Attrs)) {
		if ext.Attrs[k] == host {
			hostField = k
			break
		}
	}
	for _, k := range slices.Sorted(maps.Keys(from.Attrs)) {
		if q := word.FindString(from.Attrs[k]); q != "" && !strings.Contains(from.Attrs[k], host) {
			return demoEdge{From: from.ID, To: ext.ID, Type: "calls", Confidence: 0.85, Evidence: []demoEvidence{
				{NodeID: from.ID, Field: k, Quote: q}, {NodeID: ext.ID, Field: hostField, Quote: host}}}, true
		}
	}
	return demoEdge{}, false
}

type demoSentence struct {
	Text   string      `json:"text"`
	Cites  []string    `json:"cites"`
	Claims []demoClaim `json:"claims"`
}

type demoClaim struct {
	From string `json:"from"`
	To   string `json:"to"`
	Type string `json:"type"`
}

type demoSubgraph struct {
	System string `json:"system"`
	Nodes  []struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"nodes"`
	Edges []struct {
		From, To, Type string
	} `json:"edges"`
}

func (s demoSubgraph) name(id string) string {
	for _, n := range s.Nodes {
		if n.ID == id && n.Name != "" {
			return n.Name
		}
	}
	return id
}

func demoNarrative(data []byte) string {
	var sub demoSubgraph
	out := struct {
		Sentences []demoSentence `json:"sentences"`
	}{Sentences: []demoSentence{}}
	if json.Unmarshal(data, &sub) != nil || sub.System == "" {
		return marshal(out)
	}
	add := func(text string, cites []string, claims ...demoClaim) {
		if claims == nil {
			claims = []demoClaim{}
		}
		out.Sentences = append(out.Sentences, demoSentence{Text: "(demo data) " + text, Cites: cites, Claims: claims})
	}
	if len(sub.Edges) == 0 {
		add(sub.name(sub.System)+" stands alone in this scan.", []string{sub.System})
	} else {
		e := sub.Edges[0]
		add(fmt.Sprintf("%s %s %s.", sub.name(e.From), strings.ReplaceAll(e.Type, "_", " "), sub.name(e.To)),
			[]string{e.From, e.To}, demoClaim{e.From, e.To, e.Type})
		// Two sentences the check must drop: a node the graph lacks, an edge stated backwards.
		add("It also relies on a legacy server nobody scanned.", []string{sub.System, sub.System + "-legacy"})
		add(fmt.Sprintf("%s %s %s.", sub.name(e.To), strings.ReplaceAll(e.Type, "_", " "), sub.name(e.From)),
			[]string{e.To, e.From}, demoClaim{e.To, e.From, e.Type})
	}
	return marshal(out)
}

func demoTriage(data []byte) string {
	var in struct {
		Alert struct {
			Kind    string   `json:"kind"`
			Subject string   `json:"subject"`
			Nodes   []string `json:"nodes"`
		} `json:"alert"`
		Subgraph demoSubgraph `json:"subgraph"`
	}
	out := struct {
		Sentences []demoSentence `json:"sentences"`
	}{Sentences: []demoSentence{}}
	if json.Unmarshal(data, &in) != nil || in.Alert.Subject == "" {
		return marshal(out)
	}
	cites := []string{in.Alert.Subject}
	for _, n := range in.Alert.Nodes {
		if !slices.Contains(cites, n) {
			cites = append(cites, n)
		}
	}
	what := strings.ReplaceAll(in.Alert.Kind, "_", " ")
	out.Sentences = append(out.Sentences,
		demoSentence{Text: fmt.Sprintf("(demo data) The %s on %s changes what depends on it.", what, in.Subgraph.name(in.Alert.Subject)), Cites: cites, Claims: []demoClaim{}},
		demoSentence{Text: "(demo data) Check who made the change and whether it was intended before the next deployment.", Cites: []string{in.Alert.Subject}, Claims: []demoClaim{}})
	return marshal(out)
}

// demoAsk plays a question's rounds from the conversation: search_nodes for the question's most
// specific word; impact on each match (at most three, in one round); then an answer listing, per
// match, what breaks, citing the ids the tool results gave.
func demoAsk(r Request) (int, string) {
	var question string
	var results []Message
	for _, m := range r.Messages {
		switch {
		case m.Role == "user" && question == "":
			question = m.Content
		case m.Role == "tool":
			results = append(results, m)
		}
	}
	offered := func(name string) bool {
		for _, t := range r.Tools {
			if t.Function.Name == name {
				return true
			}
		}
		return false
	}
	word := keyword(question)
	var found []string
	if len(results) > 0 {
		found = nodeIDs(results[0].Content, "nodes")
		if len(found) > 3 {
			found = found[:3]
		}
	}
	switch {
	case len(results) == 0 && offered("search_nodes"):
		return 200, ToolCalls(DemoModel, Call("call_demo_1", "search_nodes", marshal(map[string]string{"name": word})))
	case len(results) == 1 && len(found) > 0 && offered("impact"):
		var calls []ToolCall
		for i, id := range found {
			calls = append(calls, Call(fmt.Sprintf("call_demo_%d", i+2), "impact", marshal(map[string]string{"id": id})))
		}
		return 200, ToolCalls(DemoModel, calls...)
	}
	var b strings.Builder
	b.WriteString("(demo data: scripted from the tool results, not a model's reasoning)")
	if len(found) == 0 {
		fmt.Fprintf(&b, "\nNo node matches %q in this graph.", word)
		return 200, Completion(DemoModel, b.String())
	}
	for i, id := range found {
		var broken []string
		if i+1 < len(results) {
			broken = nodeIDs(results[i+1].Content, "hits")
		}
		fmt.Fprintf(&b, "\n\n%q matches [%s]. ", word, id)
		if len(broken) == 0 {
			b.WriteString("Nothing breaks at runtime if it goes down.")
			continue
		}
		fmt.Fprintf(&b, "If it goes down, %d node(s) break at runtime:", len(broken))
		for j, bid := range broken {
			if j == 5 {
				fmt.Fprintf(&b, "\n- and %d more", len(broken)-5)
				break
			}
			fmt.Fprintf(&b, "\n- [%s]", bid)
		}
	}
	return 200, Completion(DemoModel, b.String())
}

var stopwords = map[string]bool{"what": true, "which": true, "breaks": true, "break": true, "if": true, "i": true, "the": true,
	"rotate": true, "database": true, "password": true, "depends": true, "on": true, "does": true, "who": true, "uses": true,
	"goes": true, "down": true, "happens": true, "when": true, "a": true, "an": true, "of": true, "to": true, "is": true}

// keyword is the question's most specific word: the first with a hyphen or a dot, else the
// longest that is not a stopword.
func keyword(question string) string {
	words := strings.FieldsFunc(strings.ToLower(question), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_')
	})
	best := ""
	for _, w := range words {
		w = strings.Trim(w, ".-_")
		if strings.ContainsAny(w, "-.") {
			return w
		}
		if !stopwords[w] && len(w) > len(best) {
			best = w
		}
	}
	return best
}

// nodeIDs lists the ids of a tool result's list field (nodes: search results; hits: a walk's).
func nodeIDs(result, field string) []string {
	var res map[string]json.RawMessage
	if json.Unmarshal([]byte(result), &res) != nil {
		return nil
	}
	var items []struct {
		ID   string `json:"id"`
		Node *struct {
			ID string `json:"id"`
		} `json:"node"`
	}
	json.Unmarshal(res[field], &items)
	var ids []string
	for _, it := range items {
		id := it.ID
		if it.Node != nil && it.Node.ID != "" {
			id = it.Node.ID
		}
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}
