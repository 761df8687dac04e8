package graph

// Emitter receives what a collector discovers. Collectors call it synchronously (from any of
// their goroutines: implementations are safe for concurrent use) and never after Collect returns.
//
// Warn records a partial failure: the collector goes on and its status becomes "partial". A
// failure of the whole collector is Collect's returned error instead.
type Emitter interface {
	Node(n Node)
	Edge(e Edge)
	Warn(err error)
}

// Observe is a convenience for collectors: an observed edge with confidence 1.
func Observe(from, to, typ string, ev ...Evidence) Edge {
	return Edge{From: from, To: to, Type: typ, Origin: Observed, Confidence: 1, Evidence: ev}
}
