package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/render"
)

// File is one output document rendered from the graph, or (Set) a set of documents whose names
// depend on the graph, such as one diagram per system.
type File struct {
	Name   string
	Render render.Renderer
	// Set renders a dynamic set of documents, named relative to the output directory. Dir, when
	// set, is a subdirectory the set owns: files in it with extension Ext that this scan did not
	// write (the diagram of a system that is gone) are removed after the set is written.
	Set      func(g *graph.Graph) ([]render.Document, error)
	Dir, Ext string
}

// RenderOptions tune the rendered documents.
type RenderOptions struct {
	// MaxBytes caps INFRA.md (0: no cap); see render.InfraOptions.
	MaxBytes int
}

// DefaultFiles are the documents a scan writes, graph.json first.
func DefaultFiles(o RenderOptions) []File {
	return []File{
		{Name: "graph.json", Render: render.JSON},
		{Name: "INFRA.md", Render: render.Infra(render.InfraOptions{MaxBytes: o.MaxBytes})},
		{Name: "graph.mmd, diagrams/*.mmd", Set: render.Diagrams, Dir: "diagrams", Ext: ".mmd"},
	}
}

// Files are the documents every scan writes into the output directory.
var Files = DefaultFiles(RenderOptions{})

// Write renders Files into dir atomically and writes proposals.json and CHANGES.md (what changed
// since the previous scan). It returns the paths written.
func Write(dir string, res *Result) ([]string, error) { return WriteFiles(dir, res, Files) }

// WriteFiles renders files into dir, each atomically (output.WriteFile), and writes
// proposals.json and CHANGES.md. It returns the paths written.
func WriteFiles(dir string, res *Result, files []File) ([]string, error) {
	var paths []string
	for _, f := range files {
		if f.Set != nil {
			ps, err := writeSet(dir, res.Graph, f)
			paths = append(paths, ps...)
			if err != nil {
				return paths, err
			}
			continue
		}
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

// writeSet writes a document set, then removes what an earlier scan left in the set's own
// directory and this one did not write.
func writeSet(dir string, g *graph.Graph, f File) ([]string, error) {
	docs, err := f.Set(g)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", f.Name, err)
	}
	var paths []string
	written := map[string]bool{}
	for _, d := range docs {
		if !filepath.IsLocal(filepath.FromSlash(d.Name)) {
			return paths, fmt.Errorf("render %s: document name %q leaves the output directory", f.Name, d.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(d.Name))
		data := d.Data
		if err := output.WriteFile(p, 0o644, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return paths, err
		}
		written[p] = true
		paths = append(paths, p)
	}
	if f.Dir == "" {
		return paths, nil
	}
	owned := filepath.Join(dir, f.Dir)
	entries, err := os.ReadDir(owned)
	if err != nil {
		if os.IsNotExist(err) {
			return paths, nil
		}
		return paths, fmt.Errorf("list %s: %w", owned, err)
	}
	for _, e := range entries {
		p := filepath.Join(owned, e.Name())
		if e.Type().IsRegular() && !written[p] && !strings.HasPrefix(e.Name(), ".") && filepath.Ext(e.Name()) == f.Ext {
			if err := os.Remove(p); err != nil {
				return paths, fmt.Errorf("remove stale %s: %w", p, err)
			}
		}
	}
	return paths, nil
}
