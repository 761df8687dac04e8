package render

import (
	"fmt"
	"strings"
)

// Narrative is a system's narrative as the model wrote it and enrich/llm checked it: only
// sentences whose cited nodes exist and whose stated edges the graph has are here (issue #23).
// INFRA.md shows it marked as model-written; without the LLM there is none and the document is
// unchanged.
type Narrative struct {
	Model     string
	Sentences []NarrativeSentence
	Dropped   int // sentences of the answer that failed the check
}

// NarrativeSentence is one checked sentence and the node ids it rests on.
type NarrativeSentence struct {
	Text  string
	Cites []string
}

// maxNarrativeSentence clips a sentence shown (enrich/llm keeps them shorter already).
const maxNarrativeSentence = 400

// narrativeText is a system section's narrative line ("" without one): the model named, the
// check stated, each sentence with the ids it cites.
func (m *model) narrativeText(id string) string {
	n, ok := m.narratives[id]
	if !ok || len(n.Sentences) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- **Narrative** (model-written by `%s` from this system's subgraph; each sentence was checked against the graph and cites the nodes it rests on", code(n.Model))
	if n.Dropped > 0 {
		fmt.Fprintf(&b, "; %s that did not hold dropped", plural(n.Dropped, "sentence"))
	}
	b.WriteString("):\n")
	for _, s := range n.Sentences {
		text := s.Text
		if r := []rune(text); len(r) > maxNarrativeSentence {
			text = string(r[:maxNarrativeSentence]) + "…"
		}
		cites := make([]string, len(s.Cites))
		for i, c := range s.Cites {
			cites[i] = "`" + code(c) + "`"
		}
		fmt.Fprintf(&b, "  - %s (%s)\n", md(text), strings.Join(cites, ", "))
	}
	return b.String()
}
