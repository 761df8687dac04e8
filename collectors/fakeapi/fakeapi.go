// Package fakeapi is the machinery the collectors' fake provider APIs (vercelfake,
// supabasefake, digitaloceanfake, dockerfake, odoofake) share: loading an embedded estate, a
// per-request latency that gives up with the client, a request log, and one fault API (Fault,
// Injector) every fake embeds: a status, headers, garbage, a hang or a hollow answer on a route or
// a family, a counted number of times.
//
// Only the provider's own wire format of a fault (its error body, its rate-limit header names)
// stays in each fake, as the function it passes to Fault.Serve.
package fakeapi

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/infragraph/infragraph/retry"
)

// Load decodes the estate dir/name.json from fsys (a fake's embedded fixtures).
func Load[E any](fsys fs.FS, dir, name string) (*E, error) {
	b, err := fs.ReadFile(fsys, path.Join(dir, name+".json"))
	if err != nil {
		return nil, fmt.Errorf("no estate %q (have %s)", name, strings.Join(names(fsys, dir), ", "))
	}
	var e E
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("estate %s: %w", name, err)
	}
	return &e, nil
}

// names lists the estates in dir, sorted.
func names(fsys fs.FS, dir string) []string {
	m, _ := fs.Glob(fsys, path.Join(dir, "*.json"))
	out := make([]string, 0, len(m))
	for _, p := range m {
		out = append(out, strings.TrimSuffix(path.Base(p), ".json"))
	}
	sort.Strings(out)
	return out
}

// Must returns v, or panics with err: for loading the embedded estates, which are known good.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Delay waits d before a fake answers r. It reports false when the client gave up meanwhile:
// the fake then writes nothing.
func Delay(r *http.Request, d time.Duration) bool {
	return d <= 0 || retry.Sleep(r.Context(), d) == nil
}

// Log is a request log, safe for concurrent use. Each fake chooses its line format.
type Log struct {
	mu    sync.Mutex
	lines []string
}

// Add appends line and returns how many requests are logged, this one included.
func (l *Log) Add(line string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	return len(l.lines)
}

// Lines returns the log in arrival order.
func (l *Log) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Len returns how many requests are logged.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// Count returns how many logged lines of the form "METHOD /path?query" have a path (the query
// dropped) that match accepts.
func (l *Log) Count(match func(path string) bool) int {
	n := 0
	for _, line := range l.Lines() {
		_, p, _ := strings.Cut(line, " ")
		p, _, _ = strings.Cut(p, "?")
		if match(p) {
			n++
		}
	}
	return n
}

// Always is the times of a fault that answers every matching request.
const Always = -1

// Faults is an ordered list of injected faults of a fake's own type F, each answering a counted
// number of requests. Safe for concurrent use; faults may be added while the fake serves.
type Faults[F any] struct {
	mu   sync.Mutex
	list []*fault[F]
}

type fault[F any] struct {
	match func(path string) bool
	left  int // answers left; Always: no limit
	f     F
}

// Add appends f for the requests whose path match accepts: the next times of them, or every one
// when times is Always (any negative number). A times of 0 adds nothing.
func (fs *Faults[F]) Add(match func(path string) bool, times int, f F) {
	if times == 0 {
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = append(fs.list, &fault[F]{match: match, left: max(times, Always), f: f})
}

// Take returns the first fault, in the order added, that accepts path and has answers left,
// and counts this answer. ok is false when no fault applies.
func (fs *Faults[F]) Take(path string) (f F, ok bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, ft := range fs.list {
		if ft.left == 0 || !ft.match(path) {
			continue
		}
		if ft.left > 0 {
			ft.left--
		}
		return ft.f, true
	}
	return f, false
}
