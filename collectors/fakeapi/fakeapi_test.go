package fakeapi

import (
	"context"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

type estate struct {
	Name  string   `json:"name"`
	Items []string `json:"items"`
}

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"estates/demo.json":  {Data: []byte(`{"name":"acme","items":["a","b"]}`)},
		"estates/test.json":  {Data: []byte(`{"name":`)},
		"estates/README.txt": {Data: []byte("not an estate")},
	}
	e, err := Load[estate](fsys, "estates", "demo")
	if err != nil || !reflect.DeepEqual(*e, estate{Name: "acme", Items: []string{"a", "b"}}) {
		t.Fatalf("demo: %+v, %v", e, err)
	}
	if _, err := Load[estate](fsys, "estates", "big"); err == nil || err.Error() != `no estate "big" (have demo, test)` {
		t.Errorf("missing estate: %v", err)
	}
	if _, err := Load[estate](fsys, "estates", "test"); err == nil || !strings.HasPrefix(err.Error(), "estate test: ") {
		t.Errorf("broken estate: %v", err)
	}
}

func TestMust(t *testing.T) {
	if got := Must(7, nil); got != 7 {
		t.Errorf("Must = %d", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Must did not panic on an error")
		}
	}()
	Must(Load[estate](fstest.MapFS{}, "estates", "demo"))
}

func TestDelay(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	if !Delay(r, 0) || !Delay(r, time.Millisecond) {
		t.Error("Delay gave up on a live request")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if !Delay(r.WithContext(ctx), 0) {
		t.Error("no latency: a fake answers even a gone client (as before)")
	}
	if Delay(r.WithContext(ctx), time.Hour) {
		t.Error("Delay waited out an hour for a client that gave up")
	}
}

func TestLog(t *testing.T) {
	var l Log
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				l.Add("GET /v1/projects?page=2")
			} else {
				l.Add("GET /v1/projects/p1/env")
			}
		}()
	}
	wg.Wait()
	if n := l.Add("GET /v2/user"); n != 51 || l.Len() != 51 || len(l.Lines()) != 51 {
		t.Fatalf("Add = %d, Len = %d", n, l.Len())
	}
	if got := l.Count(func(p string) bool { return p == "/v1/projects" }); got != 25 {
		t.Errorf("exact count %d, want 25 (query ignored)", got)
	}
	if got := l.Count(func(p string) bool { return strings.HasPrefix(p, "/v1/projects") }); got != 50 {
		t.Errorf("prefix count %d, want 50", got)
	}
	lines := l.Lines()
	lines[0] = "changed"
	if l.Lines()[0] == "changed" {
		t.Error("Lines shares the log's memory")
	}
}

func TestFaults(t *testing.T) {
	var fs Faults[string]
	exact := func(want string) func(string) bool { return func(p string) bool { return p == want } }
	fs.Add(exact("/a"), 2, "a-twice")
	fs.Add(exact("/a"), 1, "a-then")
	fs.Add(exact("/b"), Always, "b-always")
	fs.Add(exact("/c"), 0, "never")
	var got []string
	for _, p := range []string{"/a", "/a", "/a", "/a", "/b", "/b", "/b", "/c"} {
		f, ok := fs.Take(p)
		if !ok {
			f = "-"
		}
		got = append(got, f)
	}
	want := []string{"a-twice", "a-twice", "a-then", "-", "b-always", "b-always", "b-always", "-"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("faults %v, want %v", got, want)
	}
}
