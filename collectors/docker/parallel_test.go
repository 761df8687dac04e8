package docker

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakescale"
)

// inFlight counts the requests a handler serves at once.
type inFlight struct {
	h        http.Handler
	mu       sync.Mutex
	now, top int
	// lists is the most requests in flight while a family was being listed.
	lists int
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.now++
	f.top = max(f.top, f.now)
	if p := r.URL.Path; strings.HasSuffix(p, "/networks") || strings.HasSuffix(p, "/volumes") || strings.HasSuffix(p, "/images/json") {
		f.lists = max(f.lists, f.now)
	}
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.now--; f.mu.Unlock() }()
	f.h.ServeHTTP(w, r)
}

// Behind a slow engine the families are read at once and the inspects keep the whole pool busy,
// and ssh:// stays under sshd's MaxStartups.
func TestInspectConcurrencyUnderLatency(t *testing.T) {
	fake := dockerfake.New(fakescale.Docker(40)) // 120 containers
	fake.SetLatency(20 * time.Millisecond)
	counter := &inFlight{h: fake}
	srv := httptest.NewServer(counter)
	defer srv.Close()
	c, err := New(Config{Name: "big-1", Host: "tcp://" + strings.TrimPrefix(srv.URL, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "docker", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	// the inspects share one pool of 32; the four list calls may overlap it
	if inspectParallel != 32 || counter.top < inspectParallel || counter.top > inspectParallel+4 {
		t.Errorf("at most %d requests in flight, want the pool's %d (32) plus at most the 4 lists", counter.top, inspectParallel)
	}
	// the families are listed at once, not one after another
	if counter.lists < 3 {
		t.Errorf("families listed one after another (%d in flight)", counter.lists)
	}
	if p := parallelism("ssh://u@h"); p >= 10 {
		t.Errorf("ssh parallelism %d reaches sshd's MaxStartups", p)
	}
}
