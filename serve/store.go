package serve

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
)

// Store holds the latest scan of an output directory and reloads it when graph.json changes.
type Store struct {
	dir string

	mu    sync.Mutex
	cur   *Snapshot
	stamp fileStamp
	gen   int
}

// Snapshot is one loaded graph with what is derived from it once (systems, critical components).
// It is never modified after load, so readers share it without locks.
type Snapshot struct {
	Graph *graph.Graph
	// Gen counts loads, starting at 1: a new value means a new graph.
	Gen int

	derivedOnce sync.Once
	derivedData derived
	snapshotUI
	impactIndex
}

type fileStamp struct {
	size    int64
	modTime time.Time
	ino     uint64
}

// NewStore returns a store over dir that loads graph.json on first use, so a server can start
// before the first scan and answer "unavailable" until one lands.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Dir is the output directory the store reads.
func (s *Store) Dir() string { return s.dir }

func (s *Store) graphPath() string { return output.Layout{Dir: s.dir}.Graph() }

// Current returns the latest graph, reloading graph.json when its size, modification time or
// inode changed since the last load. When a reload fails (a damaged file), the graph loaded
// before stays in service and the error is returned with it; with nothing loaded yet, the
// snapshot is nil.
func (s *Store) Current() (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.graphPath())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("no graph.json in %s: run `discover scan --out %s` first", s.dir, s.dir)
		}
		return s.cur, err
	}
	st := stampOf(fi)
	if s.cur != nil && st == s.stamp {
		return s.cur, nil
	}
	g, err := history.LoadFile(s.graphPath())
	if err != nil {
		return s.cur, fmt.Errorf("reload graph: %w", err)
	}
	s.gen++
	s.cur = &Snapshot{Graph: g, Gen: s.gen}
	s.stamp = st
	return s.cur, nil
}

func stampOf(fi fs.FileInfo) fileStamp {
	return fileStamp{size: fi.Size(), modTime: fi.ModTime(), ino: inode(fi)}
}
