// Package render turns a graph into documents. Every renderer is a func(io.Writer, *graph.Graph)
// error: no files, no flags, no clock, and the same graph gives the same bytes.
//
//   - JSON writes graph.json.
//   - Mermaid writes the overview diagram (graph.mmd); Diagrams returns it with one diagram per
//     system, every one within mermaid's default limits (MaxEdges, MaxTextSize).
//   - Infra(InfraOptions) returns the renderer of INFRA.md, the memory doc for agents.
//
// The diagrams and INFRA.md read the vocabulary (schemas) for kind categories, system kinds and
// edge categories: systems get sections and diagrams, containment decides what belongs to which
// system, and dependency edges (lifted to systems) answer "depends on" and "what breaks".
package render

import (
	"io"

	"github.com/infragraph/infragraph/graph"
)

// Renderer writes one document for a graph.
type Renderer func(w io.Writer, g *graph.Graph) error

// JSON writes graph.json (schemas/graph.schema.json).
func JSON(w io.Writer, g *graph.Graph) error { return graph.Encode(w, g) }
