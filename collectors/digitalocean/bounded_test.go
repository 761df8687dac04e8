package digitalocean

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

// A listing padded past the cap (a well-formed answer a decoder would swallow whole) fails its
// family with the cap named; the scan is partial, never ok (issue #26, item 5).
func TestHugeBodyFailsTheFamily(t *testing.T) {
	fake := digitaloceanfake.New(testEstate(t))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/droplets" {
			fakeapitest.WriteHuge(w, `{"droplets":[],"links":{},"meta":{"total":0},"padding":"`, `"}`, 33<<20)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "test", Token: evidence.Secret(digitaloceanfake.Token), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = 0
	res := collectors.Run(context.Background(), []collectors.Instance{{Provider: "digitalocean", Name: "test", Collector: c}}, collectors.Options{})
	st := res[0].Status
	want := "response from " + srv.Listener.Addr().String() + "/v2/droplets exceeded 32 MiB"
	if st.Status == graph.StatusOK || !strings.Contains(st.Reason+strings.Join(st.Warnings, "\n"), want) {
		t.Fatalf("status %s (%s), warnings %q; want a failure saying %q", st.Status, st.Reason, st.Warnings, want)
	}
}

// An API that ignores page= answers page one with a "next" link forever: the walk stops at the
// first repeated page with a warning naming the family, instead of asking maxPages times
// (issue #26, item 6).
func TestServerIgnoringPageStops(t *testing.T) {
	fake := digitaloceanfake.New(testEstate(t))
	fake.MaxPerPage = 2
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/droplets" {
			calls++
			q := r.URL.Query()
			q.Set("page", "1")
			r.URL.RawQuery = q.Encode()
			// The links still point on: a next page that never comes.
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, r)
			body := strings.Replace(rec.Body.String(), `"pages":{`, `"pages":{"next":"`+"http://"+r.Host+`/v2/droplets?page=2\u0026per_page=200",`, 1)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "test", Token: evidence.Secret(digitaloceanfake.Token), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	res := collectors.Run(context.Background(), []collectors.Instance{{Provider: "digitalocean", Name: "test", Collector: c}}, collectors.Options{})
	st := res[0].Status
	if st.Status != graph.StatusPartial || !strings.Contains(strings.Join(st.Warnings, "\n"), "droplets: page 2 repeats page 1") {
		t.Errorf("status %s (%s), warnings %q; want droplets to warn that page 2 repeats page 1", st.Status, st.Reason, st.Warnings)
	}
	if calls > 5 {
		t.Errorf("droplets asked %d times", calls)
	}
}

// TestRepeatsComparesWholePages: a page repeats an earlier one only when it is identical; the
// cheap key (first item, length) only says when to compare in full. Pages that share their first
// item and length but differ further on are not repeats, and an identical page is, whichever
// page it repeats.
func TestRepeatsComparesWholePages(t *testing.T) {
	type item struct{ ID int }
	seen := repeats[item]{}
	var all []item
	add := func(p int, page ...item) error {
		start := len(all)
		all = append(all, page...)
		return seen.check(all, start, len(page), p)
	}
	if err := add(1, item{1}, item{2}, item{3}); err != nil {
		t.Fatal(err)
	}
	if err := add(2, item{1}, item{2}, item{4}); err != nil {
		t.Errorf("page 2 differs from page 1 in its last item: %v", err)
	}
	if err := add(3, item{5}, item{6}); err != nil {
		t.Errorf("page 3: %v", err)
	}
	err := add(4, item{1}, item{2}, item{4})
	if err == nil || err.Error() != "page 4 repeats page 2: the API ignores the page parameter, stopped" {
		t.Errorf("page 4 is page 2 again: %v", err)
	}
	if err := add(5); err != nil {
		t.Errorf("an empty page: %v", err)
	}
}
