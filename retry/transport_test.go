package retry

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/infragraph/infragraph/httpguard"
)

// script is a server answering each request with the next of its answers (the last repeats),
// counting requests and keeping their bodies.
type script struct {
	mu      sync.Mutex
	answers []answer
	bodies  []string
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	a := s.answers[min(len(s.bodies), len(s.answers)-1)]
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func (s *script) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

func TestTransport(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	epoch := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	ok := answer{status: 200, body: `{"ok":true}`}
	tooMany := func(h map[string]string) answer { return answer{status: 429, header: h, body: `{"error":"slow down"}`} }
	base := Transport{Retries: 3, RateRetries: 3, Backoff: 100 * time.Millisecond, Reset: Reset}
	for _, tc := range []struct {
		name       string
		tr         func(Transport) Transport
		method     string
		answers    []answer
		wantStatus int
		wantErr    string
		wantWaits  []time.Duration
		wantReqs   int
	}{
		{name: "429 Retry-After seconds", answers: []answer{tooMany(map[string]string{"Retry-After": "2"}), ok},
			wantStatus: 200, wantWaits: []time.Duration{2 * time.Second}, wantReqs: 2},
		{name: "429 Retry-After date", answers: []answer{tooMany(map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}), ok},
			wantStatus: 200, wantWaits: []time.Duration{7 * time.Second}, wantReqs: 2},
		{name: "429 Vercel X-RateLimit-Reset (epoch seconds)", answers: []answer{tooMany(map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(12 * time.Second)}), ok},
			wantStatus: 200, wantWaits: []time.Duration{12 * time.Second}, wantReqs: 2},
		{name: "429 DigitalOcean RateLimit-Reset (epoch seconds)", answers: []answer{tooMany(map[string]string{"ratelimit-remaining": "0", "ratelimit-reset": epoch(20 * time.Second)}), ok},
			wantStatus: 200, wantWaits: []time.Duration{20 * time.Second}, wantReqs: 2},
		{name: "429 Supabase X-RateLimit-Reset (seconds to the reset)", answers: []answer{tooMany(map[string]string{"X-RateLimit-Reset": "7"}), ok},
			wantStatus: 200, wantWaits: []time.Duration{7 * time.Second}, wantReqs: 2},
		{name: "429 reset ignored while requests remain: backoff", answers: []answer{tooMany(map[string]string{"ratelimit-remaining": "3", "ratelimit-reset": epoch(20 * time.Second)}), ok},
			wantStatus: 200, wantWaits: []time.Duration{100 * time.Millisecond}, wantReqs: 2},
		{name: "429 without a hint waits RateDefault", tr: func(t Transport) Transport { t.RateDefault = time.Second; return t },
			answers: []answer{tooMany(nil), ok}, wantStatus: 200, wantWaits: []time.Duration{time.Second}, wantReqs: 2},
		{name: "429 until the rate retries are spent: the last answer", answers: []answer{tooMany(map[string]string{"Retry-After": "1"})},
			wantStatus: 429, wantWaits: []time.Duration{time.Second, time.Second, time.Second}, wantReqs: 4},
		{name: "5xx with doubling backoff", answers: []answer{{status: 502}, {status: 503}, ok},
			wantStatus: 200, wantWaits: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, wantReqs: 3},
		{name: "5xx until the retries are spent", answers: []answer{{status: 500, body: "boom"}},
			wantStatus: 500, wantWaits: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}, wantReqs: 4},
		{name: "MaxBackoff caps the doubling", tr: func(t Transport) Transport { t.MaxBackoff = 150 * time.Millisecond; return t },
			answers: []answer{{status: 500}}, wantStatus: 500, wantWaits: []time.Duration{100 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond}, wantReqs: 4},
		{name: "5xx Retry-After honoured when asked", tr: func(t Transport) Transport { t.HonourRetryAfter5xx = true; return t },
			answers: []answer{{status: 503, header: map[string]string{"Retry-After": "3"}}, ok}, wantStatus: 200, wantWaits: []time.Duration{3 * time.Second}, wantReqs: 2},
		{name: "501 is not retried", answers: []answer{{status: 501}}, wantStatus: 501, wantReqs: 1},
		{name: "4xx is not retried", answers: []answer{{status: 404}}, wantStatus: 404, wantReqs: 1},
		{name: "MaxAttempts bounds all attempts together", tr: func(t Transport) Transport { t.MaxAttempts = 3; return t },
			answers: []answer{tooMany(map[string]string{"Retry-After": "1"}), {status: 500}}, wantStatus: 500,
			wantWaits: []time.Duration{time.Second, 100 * time.Millisecond}, wantReqs: 3},
		{name: "a wait past MaxWait returns the 429 at once", tr: func(t Transport) Transport { t.MaxWait = time.Minute; return t },
			answers: []answer{tooMany(map[string]string{"Retry-After": "3600"})}, wantStatus: 429, wantReqs: 1},
		{name: "a wait past MaxWait the budget affords is waited", tr: func(t Transport) Transport {
			t.MaxWait, t.Budget = time.Minute, func(context.Context, time.Duration) bool { return true }
			return t
		}, answers: []answer{tooMany(map[string]string{"Retry-After": "90"}), ok}, wantStatus: 200, wantWaits: []time.Duration{90 * time.Second}, wantReqs: 2},
		{name: "CapWait waits MaxWait instead", tr: func(t Transport) Transport { t.MaxWait, t.CapWait = time.Minute, true; return t },
			answers: []answer{tooMany(map[string]string{"Retry-After": "3600"}), ok}, wantStatus: 200, wantWaits: []time.Duration{time.Minute}, wantReqs: 2},
		{name: "FailLongWait makes a refused wait an error", tr: func(t Transport) Transport { t.MaxWait, t.FailLongWait = time.Minute, true; return t },
			answers: []answer{tooMany(map[string]string{"Retry-After": "3600"})}, wantErr: "HTTP 429 asks to retry after 1h0m0s, longer than the wait cap", wantReqs: 1},
		{name: "a POST is retried with its body replayed", method: "POST", answers: []answer{{status: 503}, ok},
			wantStatus: 200, wantWaits: []time.Duration{100 * time.Millisecond}, wantReqs: 2},
		{name: "IdempotentOnly sends a POST once", method: "POST", tr: func(t Transport) Transport { t.IdempotentOnly = true; return t },
			answers: []answer{{status: 503}, ok}, wantStatus: 503, wantReqs: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{answers: tc.answers}
			srv := httptest.NewServer(s)
			defer srv.Close()
			tr := base
			if tc.tr != nil {
				tr = tc.tr(tr)
			}
			var waits, observed []time.Duration
			tr.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }
			tr.Now = func() time.Time { return now }
			tr.OnRetry = func(status int, wait time.Duration) { observed = append(observed, wait) }
			method := cmp.Or(tc.method, "GET")
			var body io.Reader
			if method == "POST" {
				body = strings.NewReader(`{"q":1}`)
			}
			req, _ := http.NewRequest(method, srv.URL+"/v1/x", body)
			resp, err := (&http.Client{Transport: &tr}).Do(req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.wantStatus {
					t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
				}
				if want := tc.answers[min(s.requests(), len(tc.answers))-1].body; string(b) != want {
					t.Errorf("body %q, want the last answer's %q", b, want)
				}
			}
			if !slices.Equal(waits, tc.wantWaits) || !slices.Equal(observed, tc.wantWaits) {
				t.Errorf("waits %v (observed %v), want %v", waits, observed, tc.wantWaits)
			}
			if s.requests() != tc.wantReqs {
				t.Errorf("%d requests, want %d", s.requests(), tc.wantReqs)
			}
			if method == "POST" {
				for i, b := range s.bodies {
					if b != `{"q":1}` {
						t.Errorf("attempt %d sent body %q", i+1, b)
					}
				}
			}
		})
	}
}

// Nothing listens: the connection is refused, the cause is returned after the first attempt, and
// nothing is waited for.
func TestTransportConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var waits []time.Duration
	tr := &Transport{Retries: 5, RateRetries: 5, Backoff: time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	_, err := (&http.Client{Transport: tr}).Get(url)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err %v, want connection refused", err)
	}
	if len(waits) != 0 {
		t.Errorf("waited %v before giving up on a refused connection", waits)
	}
}

// A transient transport error (the server drops the connection) is retried.
func TestTransportDroppedConnection(t *testing.T) {
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	var waits []time.Duration
	tr := &Transport{Retries: 2, Backoff: 10 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n != 2 || !slices.Equal(waits, []time.Duration{10 * time.Millisecond}) {
		t.Errorf("%d requests, waits %v: want one retry after 10ms", n, waits)
	}
}

// The scan is cancelled while the client waits out a Retry-After of an hour: the wait ends at
// once with the context's error, and no second request is sent.
func TestTransportCancelledDuringRetryAfter(t *testing.T) {
	s := &script{answers: []answer{{status: 429, header: map[string]string{"Retry-After": "3600"}}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &Transport{RateRetries: 3, OnRetry: func(status int, wait time.Duration) {
		if status != 429 || wait != time.Hour {
			t.Errorf("retry of %d after %s, want 429 after 1h", status, wait)
		}
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	}} // the real Sleep
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		_, err := (&http.Client{Transport: tr}).Do(req)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the Retry-After wait did not end with the context")
	}
	if s.requests() != 1 {
		t.Errorf("%d requests, want 1", s.requests())
	}
}

// A deadline the wait does not fit in fails the call at once with FailLongWait.
func TestTransportDeadline(t *testing.T) {
	s := &script{answers: []answer{{status: 429, header: map[string]string{"Retry-After": "999999"}}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tr := &Transport{RateRetries: 3, FailLongWait: true, Sleep: func(context.Context, time.Duration) error {
		t.Error("slept into the deadline")
		return nil
	}}
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	_, err := (&http.Client{Transport: tr}).Do(req)
	var we *WaitError
	if !errors.As(err, &we) || we.Status != 429 || we.Left <= 0 || !strings.Contains(err.Error(), "time budget") {
		t.Errorf("err %v, want a *WaitError naming the time budget", err)
	}
}

// Built under httpguard.Guard, the retries see every attempt, the guard every answer: a body past
// its cap and a redirect to another origin fail, and neither is retried.
func TestTransportUnderHTTPGuard(t *testing.T) {
	var trapped, front int
	var mu sync.Mutex
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		trapped++
		mu.Unlock()
	}))
	defer trap.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		front++
		mu.Unlock()
		switch r.URL.Path {
		case "/huge":
			io.WriteString(w, strings.Repeat("x", 4096))
		case "/away":
			http.Redirect(w, r, trap.URL+"/x", http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()
	sleep := func(context.Context, time.Duration) error { t.Error("retried a refusal of httpguard's"); return nil }
	hc := httpguard.Guard(&http.Client{Transport: &Transport{Retries: 3, RateRetries: 3, Sleep: sleep}}, 1024)

	resp, err := hc.Get(srv.URL + "/huge")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if !httpguard.IsTooLarge(err) {
		t.Errorf("huge body: %v, want a TooLargeError", err)
	}
	_, err = hc.Get(srv.URL + "/away")
	var re *httpguard.RedirectError
	if !errors.As(err, &re) {
		t.Errorf("redirect elsewhere: %v, want a RedirectError", err)
	}
	if front != 2 || trapped != 0 {
		t.Errorf("front saw %d requests, trap %d: want 2 and 0", front, trapped)
	}
}

func TestReset(t *testing.T) {
	now := time.Unix(1735787045, 0)
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{http.Header{"X-Ratelimit-Reset": {"1735787065"}}, 20 * time.Second, true},
		{http.Header{"Ratelimit-Reset": {"1735787065"}, "Ratelimit-Remaining": {"0"}}, 20 * time.Second, true},
		{http.Header{"Ratelimit-Reset": {"1735787065"}, "Ratelimit-Remaining": {"12"}}, 0, false},
		{http.Header{"X-Ratelimit-Reset": {"7.5"}}, 7500 * time.Millisecond, true},
		{http.Header{"X-Ratelimit-Reset": {"1735787000"}}, 0, true}, // past: at once
		{http.Header{"X-Ratelimit-Reset": {"soon"}}, 0, false},
		{http.Header{}, 0, false},
	} {
		got, ok := Reset(tc.h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Reset(%v) = %v %v, want %v %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
}

// Through sends each attempt with the client's Do: its Timeout bounds one attempt, and an
// attempt that timed out is retried.
func TestThrough(t *testing.T) {
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			<-r.Context().Done() // hang until the client gives up
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	hc := httpguard.Guard(&http.Client{Timeout: 100 * time.Millisecond}, 1024)
	tr := &Transport{Next: Through(hc), Retries: 1, Backoff: time.Millisecond}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" || n != 2 {
		t.Errorf("%q after %d requests, want ok after 2", b, n)
	}
}

// RetryError refuses a transport error: it is returned after the first attempt (the Docker
// engine's rule: a connection failure is not retried).
func TestTransportRetryErrorRefused(t *testing.T) {
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	tr := &Transport{Retries: 3, Backoff: time.Millisecond, RetryError: func(error) bool { return false }}
	if _, err := (&http.Client{Transport: tr}).Get(srv.URL); err == nil {
		t.Fatal("no error from a dropped connection")
	}
	if n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
