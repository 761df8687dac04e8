package docker

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
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
	// gate, when set, holds every container inspect until that many are in flight at once (or
	// 5 s pass), then lets all through: the whole pool is seen however slowly a loaded machine
	// starts its requests, and a smaller pool never reaches it.
	gate, inspecting int
	open             bool
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	inspect := strings.Contains(p, "/containers/") && strings.HasSuffix(p, "/json") && !strings.HasSuffix(p, "/containers/json")
	f.mu.Lock()
	f.now++
	f.top = max(f.top, f.now)
	if strings.HasSuffix(p, "/networks") || strings.HasSuffix(p, "/volumes") || strings.HasSuffix(p, "/images/json") {
		f.lists = max(f.lists, f.now)
	}
	if inspect {
		f.inspecting++
		f.open = f.open || f.inspecting >= f.gate
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.now--
		if inspect {
			f.inspecting--
		}
		f.mu.Unlock()
	}()
	for deadline := time.Now().Add(5 * time.Second); inspect && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		f.mu.Lock()
		open := f.open
		f.mu.Unlock()
		if open {
			break
		}
	}
	f.h.ServeHTTP(w, r)
}

// Behind a slow engine the families are read at once and the inspects keep the whole pool busy,
// and ssh:// stays under sshd's MaxStartups.
func TestInspectConcurrencyUnderLatency(t *testing.T) {
	fake := dockerfake.New(fakescale.DockerHub(300)) // 300 containers on one network
	fake.SetLatency(20 * time.Millisecond)
	counter := &inFlight{h: fake, gate: inspectParallel}
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
	// the inspects share one pool of 256; the four list calls may overlap it
	if inspectParallel != 256 || counter.top < inspectParallel || counter.top > inspectParallel+4 {
		t.Errorf("at most %d requests in flight, want the pool's %d (256) plus at most the 4 lists", counter.top, inspectParallel)
	}
	// the families are listed at once, not one after another
	if counter.lists < 3 {
		t.Errorf("families listed one after another (%d in flight)", counter.lists)
	}
	if p := parallelism("ssh://u@h"); p >= 10 {
		t.Errorf("ssh parallelism %d reaches sshd's MaxStartups", p)
	}
}

// TestListsBesideInfo: the families need nothing from Info but whether swarm objects are
// readable, so they are listed while Info is on its way (the fake holds Info until the container
// list arrives, or 3 s pass). Before, every list waited for Info: a round trip on every scan.
func TestListsBesideInfo(t *testing.T) {
	fake := dockerfake.New(fakescale.Docker(2))
	listed := make(chan struct{})
	var once sync.Once
	var released atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/info"):
			select {
			case <-listed:
				released.Store(true)
			case <-time.After(3 * time.Second):
			}
		case strings.HasSuffix(r.URL.Path, "/containers/json"):
			once.Do(func() { close(listed) })
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := New(Config{Name: "beside", Host: "tcp://" + strings.TrimPrefix(srv.URL, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "docker", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	if !released.Load() {
		t.Error("the containers were not listed while Info was on its way: the lists wait for Info")
	}
	if out.CountKind("container") != 6 {
		t.Errorf("%d containers, want 6", out.CountKind("container"))
	}
}
