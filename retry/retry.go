// Package retry is the waiting every API client here does between attempts: a sleep that
// honours the context, the Retry-After header, and exponential backoff with jitter.
//
// Only the parts that mean the same for every provider live here. When to retry, how many times,
// and provider rate-limit headers (Vercel's X-RateLimit-Reset is epoch seconds, Supabase's is
// seconds to the reset, DigitalOcean's ratelimit-reset is epoch seconds) stay with each client.
package retry

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sleep waits d, or until ctx is done, and then returns ctx.Err(). A d of zero or less does not
// wait: it only reports whether ctx is already done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// After reads a Retry-After header value (RFC 9110 §10.2.3): delay-seconds, or an HTTP date
// taken relative to now. ok is false when v is empty or neither form. Fractional seconds
// ("0.5") are accepted: some APIs and gateways send them.
//
// A date already past gives a negative duration, still ok: most callers retry at once
// (max(d, 0)), but one whose clock may be ahead of the server can prefer another hint.
func After(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if seconds(v) {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false
		}
		if n >= float64(math.MaxInt64)/float64(time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(n * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now), true
	}
	return 0, false
}

// seconds reports whether v is delay-seconds: digits with at most one decimal point (so not
// "-1", "+1", "1e3", "Inf" or "NaN", which strconv.ParseFloat would take).
func seconds(v string) bool {
	digits, dots := 0, 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// Backoff is the wait before retry number attempt (0 for the first retry): base doubled per
// attempt and capped at max, with "equal jitter", a random point in its upper half, so that
// clients failing together do not retry together
// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
func Backoff(attempt int, base, max time.Duration) time.Duration {
	if base <= 0 || max <= 0 {
		return 0
	}
	d := max
	if attempt < 0 {
		attempt = 0
	}
	if attempt < 63 && base <= max>>attempt {
		d = base << attempt
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
