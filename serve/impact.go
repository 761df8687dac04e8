package serve

import (
	"sync"

	"github.com/infragraph/infragraph/query"
)

// impactIndex is a snapshot's query.ImpactIndex, prepared on the first impact question: the
// explorer's node page, the impact tool and /impact then walk dense arrays instead of building
// maps over the whole graph per request (query.Analyze), and give the same answer (query's test
// pins ImpactIndex.Analyze to Analyze on every node).
type impactIndex struct {
	impactOnce sync.Once
	impactX    *query.ImpactIndex
	impactErr  error
}

func (s *Snapshot) impacts() (*query.ImpactIndex, error) {
	s.impactOnce.Do(func() { s.impactX, s.impactErr = query.NewImpactIndex(s.Graph) })
	return s.impactX, s.impactErr
}
