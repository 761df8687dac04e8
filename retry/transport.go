package retry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Transport is the one retrying http.RoundTripper every API client here is built with (Vercel,
// the Supabase Management API, Odoo's three protocols, DigitalOcean under godo, the LLM
// gateway). It retries:
//
//   - a 429, waiting what the server asks: Retry-After (seconds or an HTTP date), else the
//     provider's reset header (Reset: Vercel's X-RateLimit-Reset, DigitalOcean's
//     RateLimit-Reset, Supabase's X-RateLimit-Reset), else RateDefault;
//   - a 5xx (but 501, which will not change), and a transport error, with exponential backoff;
//   - never a transport error that will not change within a scan (Permanent: connection refused,
//     a name that does not resolve, an untrusted certificate, an httpguard refusal): it is
//     returned at once, after the first attempt, as it is.
//
// Every wait honours the request's context: a cancelled scan ends a Retry-After wait at once.
// When the retries are spent, or a wait is longer than the caller can afford (MaxWait, the
// context's deadline), the last answer is returned as it is, for the client to turn into its
// own error (or, with FailLongWait, a *WaitError). A request whose body cannot be replayed
// (no GetBody) is sent once.
//
// It composes with httpguard: build the client with httpguard.Guard over it (redirect policy and
// body caps apply to every attempt, and a refusal of httpguard's is Permanent).
type Transport struct {
	// Next sends one attempt (http.DefaultTransport when nil).
	Next http.RoundTripper
	// Retries bounds the retries after a 5xx or a transport error; RateRetries after a 429.
	Retries, RateRetries int
	// MaxAttempts, when positive, bounds all attempts together (a client with one budget).
	MaxAttempts int
	// Backoff is the wait before the first retry after a 5xx or a transport error, doubled for
	// each next one (Jitter: a random point in its upper half, Backoff's "equal jitter"), never
	// more than MaxBackoff when that is set.
	Backoff, MaxBackoff time.Duration
	Jitter              bool
	// RateDefault is a 429's wait when the answer names none (the backoff's when zero).
	RateDefault time.Duration
	// Reset reads a provider's rate-limit reset header on a 429 without Retry-After (see Reset).
	Reset func(h http.Header, now time.Time) (time.Duration, bool)
	// HonourRetryAfter5xx waits a 5xx's Retry-After instead of the backoff.
	HonourRetryAfter5xx bool
	// Retryable says which statuses are retried (nil: 429 and 5xx but 501).
	Retryable func(status int) bool
	// RetryError says which transport errors are retried (nil: every one but a Permanent one,
	// which never is).
	RetryError func(err error) bool
	// MaxWait bounds one wait. A longer one ends the retries, unless Budget says the context's
	// deadline affords it, or CapWait is set, which waits MaxWait instead.
	MaxWait time.Duration
	CapWait bool
	// Budget, when set, may allow a wait longer than MaxWait (a collector with minutes left
	// waits out a 90 s rate-limit window).
	Budget func(ctx context.Context, wait time.Duration) bool
	// FailLongWait returns a *WaitError instead of the last answer when a wait is beyond what
	// MaxWait or the context's deadline allow.
	FailLongWait bool
	// IdempotentOnly retries only GET and HEAD.
	IdempotentOnly bool
	// Before runs before every attempt (a client's rate limiter or throttle).
	Before func(ctx context.Context, req *http.Request) error
	// OnRetry observes each retry: the status (0 for a transport error) and the wait.
	OnRetry func(status int, wait time.Duration)
	// Sleep waits (Sleep when nil; tests record waits); Now is the clock (time.Now).
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// WaitError is a retryable answer whose wait is beyond what the caller allows.
type WaitError struct {
	Status     int
	Wait, Left time.Duration // Left is zero when MaxWait, not a deadline, refused the wait
}

func (e *WaitError) Error() string {
	if e.Left > 0 {
		return fmt.Sprintf("HTTP %d asks to retry after %s, beyond the %s left of the time budget", e.Status, e.Wait.Round(time.Second), e.Left.Round(time.Second))
	}
	return fmt.Sprintf("HTTP %d asks to retry after %s, longer than the wait cap", e.Status, e.Wait.Round(time.Second))
}

// DefaultRetryable is a 429 or a 5xx other than 501 Not Implemented.
func DefaultRetryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500 && status != http.StatusNotImplemented
}

func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	sleep := t.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	now := t.Now
	if now == nil {
		now = time.Now
	}
	retryable := t.Retryable
	if retryable == nil {
		retryable = DefaultRetryable
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	idempotent := req.Method == "" || req.Method == http.MethodGet || req.Method == http.MethodHead
	once := !replayable || t.IdempotentOnly && !idempotent
	errTries, rateTries := 0, 0
	for attempt := 1; ; attempt++ {
		if t.Before != nil {
			if err := t.Before(ctx, req); err != nil {
				return nil, err
			}
		}
		r := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := next.RoundTrip(r)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, ctx.Err()
		}
		var wait time.Duration
		status := 0
		switch {
		case err != nil && Permanent(err):
			return nil, err
		case err != nil:
			if once || errTries >= t.Retries || t.spent(attempt) || t.RetryError != nil && !t.RetryError(err) {
				return nil, err
			}
			wait = t.backoff(errTries)
			errTries++
		case !retryable(resp.StatusCode):
			return resp, nil
		case resp.StatusCode == http.StatusTooManyRequests:
			status = resp.StatusCode
			if once || rateTries >= t.RateRetries || t.spent(attempt) {
				return resp, nil
			}
			wait = t.RateWait(resp.Header, now(), rateTries)
			rateTries++
		default:
			status = resp.StatusCode
			if once || errTries >= t.Retries || t.spent(attempt) {
				return resp, nil
			}
			wait = t.backoff(errTries)
			if d, ok := After(resp.Header.Get("Retry-After"), now()); ok && t.HonourRetryAfter5xx {
				wait = max(d, 0)
			}
			errTries++
		}
		if wait, err = t.afford(ctx, status, wait); err != nil {
			if resp == nil || t.FailLongWait {
				if resp != nil {
					drain(resp)
				}
				return nil, err
			}
			return resp, nil
		}
		if resp != nil {
			drain(resp)
		}
		if t.OnRetry != nil {
			t.OnRetry(status, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// spent reports whether attempt used up MaxAttempts.
func (t *Transport) spent(attempt int) bool { return t.MaxAttempts > 0 && attempt >= t.MaxAttempts }

// backoff is the wait before retry n (0 for the first) after a 5xx or a transport error.
func (t *Transport) backoff(n int) time.Duration {
	cap := t.MaxBackoff
	if cap <= 0 {
		cap = time.Duration(1<<63 - 1)
	}
	if t.Jitter {
		return Backoff(n, t.Backoff, cap)
	}
	d := cap
	if n < 63 && t.Backoff <= cap>>n {
		d = t.Backoff << n
	}
	return d
}

// RateWait is the wait before retry n (0 for the first) after a 429 with headers h: its
// Retry-After, else the provider's reset (Reset), else RateDefault, else the backoff.
func (t *Transport) RateWait(h http.Header, now time.Time, n int) time.Duration {
	d, ok := After(h.Get("Retry-After"), now)
	if ok && d >= 0 {
		return d
	}
	if t.Reset != nil {
		if r, rok := t.Reset(h, now); rok {
			return r
		}
	}
	if ok { // a date already past, and no reset to trust instead: at once
		return 0
	}
	if t.RateDefault > 0 {
		return t.RateDefault
	}
	return t.backoff(n)
}

// afford checks wait against the context's deadline (with FailLongWait: a wait the deadline
// does not leave room for fails now, before any cap shortens it, since the server would only
// answer the same) and MaxWait: the wait to make, or why not.
func (t *Transport) afford(ctx context.Context, status int, wait time.Duration) (time.Duration, error) {
	if dl, ok := ctx.Deadline(); ok && t.FailLongWait {
		if left := time.Until(dl); left < wait {
			return 0, &WaitError{Status: status, Wait: wait, Left: left}
		}
	}
	if t.MaxWait > 0 && wait > t.MaxWait {
		switch {
		case t.CapWait:
			wait = t.MaxWait
		case t.Budget != nil && t.Budget(ctx, wait):
		default:
			return 0, &WaitError{Status: status, Wait: wait}
		}
	}
	return wait, nil
}

// drain reads a little of a discarded answer, so its connection can be reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// Reset reads the rate-limit reset headers providers send on a 429 without Retry-After: Vercel's
// X-RateLimit-Reset (epoch seconds), DigitalOcean's RateLimit-Reset (epoch seconds), Supabase's
// X-RateLimit-Reset (seconds to the reset; an epoch-looking value is taken as one). It is not
// consulted while a RateLimit-Remaining or X-RateLimit-Remaining header says requests remain.
// A reset already past waits nothing.
func Reset(h http.Header, now time.Time) (time.Duration, bool) {
	for _, name := range []string{"X-RateLimit-Remaining", "RateLimit-Remaining"} {
		if v := strings.TrimSpace(h.Get(name)); v != "" && v != "0" {
			return 0, false
		}
	}
	for _, name := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 {
			continue
		}
		if n > 1e9 { // a Unix time: an absolute reset moment
			return max(time.Unix(int64(n), 0).Sub(now), 0), true
		}
		return time.Duration(n * float64(time.Second)), true
	}
	return 0, false
}

// Through is a RoundTripper that sends each attempt with hc.Do: its redirect policy, its body
// caps (httpguard.Guard) and its Timeout apply to every attempt, not to all of them together.
// A client whose Timeout bounds one request puts its Transport's retries around it so.
func Through(hc *http.Client) http.RoundTripper { return through{hc} }

type through struct{ hc *http.Client }

func (t through) RoundTrip(r *http.Request) (*http.Response, error) { return t.hc.Do(r) }
