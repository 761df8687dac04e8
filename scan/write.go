package scan

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
	// Narratives are the systems' model-written narratives for INFRA.md (nil: none).
	Narratives map[string]render.Narrative
}

// DefaultFiles are the documents a scan writes, graph.json first.
func DefaultFiles(o RenderOptions) []File {
	return []File{
		{Name: output.GraphFile, Render: render.JSON},
		{Name: output.InfraFile, Render: render.Infra(render.InfraOptions{MaxBytes: o.MaxBytes, Narratives: o.Narratives})},
		{Name: output.OverviewFile + ", " + output.Diagram("*"), Set: render.Diagrams, Dir: output.DiagramsDir, Ext: output.DiagramExt},
	}
}

// Staging is a scan's documents rendered and synced beside their places, not yet in place.
type Staging struct {
	batch output.Batch
	// sets lists the directories the document sets own, with what this scan writes in them.
	sets []ownedDir
}

type ownedDir struct {
	root, dir, ext string
	written        map[string]bool
}

// stageParallel is how many documents Stage renders and syncs at once.
const stageParallel = 16

// Stage renders files, proposals.json and CHANGES.md into temp files in dir. Nothing in dir
// changes until Commit; on error nothing is left behind.
//
// The documents render side by side: the single ones (graph.json, INFRA.md, proposals.json,
// CHANGES.md) into their temp files while each set renders in memory, then each set's documents
// are synced at once (a thousand diagrams synced one after another were most of a large scan's
// wall time). They are committed in the order given, each set in its place.
func Stage(dir string, res *Result, files []File) (_ *Staging, err error) {
	st := &Staging{batch: output.Batch{Root: dir}}
	var staged []*output.Staged
	defer func() {
		if err != nil {
			st.batch.Discard()
			for _, s := range staged {
				s.Discard() // those not yet added; Discard of an added one does nothing
			}
		}
	}()
	lay := output.Layout{Dir: dir}
	var single []output.Pending
	for _, f := range files {
		if f.Set == nil {
			single = append(single, output.Pending{Path: filepath.Join(dir, f.Name), Perm: 0o644, Render: func(w io.Writer) error { return f.Render(w, res.Graph) }})
		}
	}
	single = append(single,
		output.Pending{Path: lay.Proposals(), Perm: 0o644, Render: func(w io.Writer) error { return WriteProposals(w, res.Verdicts) }},
		output.Pending{Path: lay.Changes(), Perm: 0o644, Render: func(w io.Writer) error { return history.WriteMarkdown(w, res.Changes) }})
	var singleErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		staged, singleErr = st.batch.StageAll(single, stageParallel)
	}()
	sets := make([][]render.Document, len(files))
	var setErr error
	for i, f := range files {
		if f.Set == nil {
			continue
		}
		if sets[i], setErr = f.Set(res.Graph); setErr != nil {
			setErr = fmt.Errorf("render %s: %w", f.Name, setErr)
			break
		}
	}
	<-done
	if singleErr != nil {
		return nil, singleErr
	}
	if setErr != nil {
		return nil, setErr
	}
	next := 0
	for i, f := range files {
		if f.Set == nil {
			st.batch.Append(staged[next])
			next++
			continue
		}
		if err := st.addSet(dir, f, sets[i]); err != nil {
			return nil, err
		}
	}
	st.batch.Append(staged[next:]...)
	return st, nil
}

// Add stages one more file (an audit log) to be committed with the documents.
func (st *Staging) Add(path string, perm os.FileMode, render func(io.Writer) error) error {
	return st.batch.Add(path, perm, render)
}

// Commit puts every staged file in place, then removes what an earlier scan left in a document
// set's own directory and this one did not write (the diagram of a system that is gone). It
// returns the paths written.
func (st *Staging) Commit() ([]string, error) {
	paths, err := st.batch.Commit()
	if err != nil {
		return paths, err
	}
	for _, o := range st.sets {
		if err := removeUnwritten(o); err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// Discard drops every staged file: dir stays as it was.
func (st *Staging) Discard() { st.batch.Discard() }

// addSet stages a set's rendered documents, synced at once, and notes the directory it owns.
func (st *Staging) addSet(dir string, f File, docs []render.Document) error {
	written := make(map[string]bool, len(docs))
	pending := make([]output.Pending, 0, len(docs))
	for _, d := range docs {
		if !filepath.IsLocal(filepath.FromSlash(d.Name)) {
			return fmt.Errorf("render %s: document name %q leaves the output directory", f.Name, d.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(d.Name))
		data := d.Data
		pending = append(pending, output.Pending{Path: p, Perm: 0o644, Render: func(w io.Writer) error { _, err := w.Write(data); return err }})
		written[p] = true
	}
	staged, err := st.batch.StageAll(pending, stageParallel)
	if err != nil {
		return err
	}
	st.batch.Append(staged...)
	if f.Dir != "" {
		st.sets = append(st.sets, ownedDir{root: dir, dir: filepath.Join(dir, f.Dir), ext: f.Ext, written: written})
	}
	return nil
}

// removeUnwritten removes the files with the set's extension in its own directory that this scan
// did not write. A set's directory reached through a symbolic link is refused: the files there
// are someone else's.
func removeUnwritten(o ownedDir) error {
	if err := output.CheckIn(o.root, o.dir); err != nil {
		return fmt.Errorf("remove stale files: %w", err)
	}
	entries, err := os.ReadDir(o.dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("list %s: %w", o.dir, err)
	}
	for _, e := range entries {
		p := filepath.Join(o.dir, e.Name())
		if e.Type().IsRegular() && !o.written[p] && !strings.HasPrefix(e.Name(), ".") && filepath.Ext(e.Name()) == o.ext {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("remove stale %s: %w", p, err)
			}
		}
	}
	return nil
}
