// Package render turns a graph into documents. Every renderer is a func(io.Writer, *graph.Graph)
// error: no files, no flags, no clock, and the same graph gives the same bytes.
package render

import (
	"io"

	"github.com/infragraph/infragraph/graph"
)

// Renderer writes one document for a graph.
type Renderer func(w io.Writer, g *graph.Graph) error

// JSON writes graph.json (schemas/graph.schema.json).
func JSON(w io.Writer, g *graph.Graph) error { return graph.Encode(w, g) }
