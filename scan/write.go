package scan

import (
	"encoding/json"
	"io"
	"path/filepath"
	"sort"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/render"
)

// File is one output document rendered from the graph.
type File struct {
	Name   string
	Render render.Renderer
}

// Files are the documents every scan writes into the output directory.
var Files = []File{
	{Name: "graph.json", Render: render.JSON},
}

// Write renders every file into dir atomically and writes proposals.json and CHANGES.md (what
// changed since the previous scan). It returns the paths written.
func Write(dir string, res *Result) ([]string, error) {
	var paths []string
	for _, f := range Files {
		p := filepath.Join(dir, f.Name)
		if err := output.WriteFile(p, 0o644, func(w io.Writer) error { return f.Render(w, res.Graph) }); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	p := filepath.Join(dir, "proposals.json")
	if err := output.WriteFile(p, 0o644, func(w io.Writer) error { return WriteProposals(w, res.Verdicts) }); err != nil {
		return paths, err
	}
	paths = append(paths, p)
	p = filepath.Join(dir, "CHANGES.md")
	if err := output.WriteFile(p, 0o644, func(w io.Writer) error { return history.WriteMarkdown(w, res.Changes) }); err != nil {
		return paths, err
	}
	return append(paths, p), nil
}

// WriteProposals writes every proposal with its verdict, sorted by edge, deterministic.
func WriteProposals(w io.Writer, vs []enrich.Verdict) error {
	sorted := append([]enrich.Verdict(nil), vs...)
	sortVerdicts(sorted)
	if sorted == nil {
		sorted = []enrich.Verdict{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		SchemaVersion string           `json:"schema_version"`
		Proposals     []enrich.Verdict `json:"proposals"`
	}{graph.SchemaVersion, sorted})
}

func sortVerdicts(vs []enrich.Verdict) {
	less := func(a, b enrich.Verdict) bool {
		ka, kb := a.Proposal.Edge.Key(), b.Proposal.Edge.Key()
		if ka != kb {
			if ka.From != kb.From {
				return ka.From < kb.From
			}
			if ka.To != kb.To {
				return ka.To < kb.To
			}
			return ka.Type < kb.Type
		}
		return a.Proposal.Enricher < b.Proposal.Enricher
	}
	sort.SliceStable(vs, func(i, j int) bool { return less(vs[i], vs[j]) })
}
