package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/infragraph/infragraph/retry"
)

// gatewayOptions adds providerOptions.gateway to chat completion bodies: go-openai has no extra
// body field for chat requests (sashabaranov/go-openai#961), so the one place to add it is the
// transport. The model fallback chain and routing policy travel there.
type gatewayOptions struct {
	next http.RoundTripper
	opts func(model string) map[string]any
}

func (t gatewayOptions) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") || r.Body == nil {
		return t.next.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) == nil {
		model, _ := m["model"].(string)
		if o := t.opts(model); len(o) > 0 {
			m["providerOptions"] = map[string]any{"gateway": o}
			if nb, err := json.Marshal(m); err == nil {
				b = nb
			}
		}
	}
	r = r.Clone(r.Context())
	r.ContentLength = int64(len(b))
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return t.next.RoundTrip(r)
}

// retrying retries 408, 409, 429, 5xx and network errors with exponential backoff and jitter,
// honouring retry-after (seconds or an HTTP date, capped). It never retries 400, 401, 402, 403,
// 404: those will not get better.
type retrying struct {
	next     http.RoundTripper
	attempts int
	maxWait  time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
}

func retryable(code int) bool {
	return code == 408 || code == 409 || code == 429 || code >= 500
}

func (t retrying) RoundTrip(r *http.Request) (*http.Response, error) {
	var resp *http.Response
	var err error
	for attempt := 0; ; attempt++ {
		req := r
		if attempt > 0 {
			if r.GetBody != nil {
				body, gerr := r.GetBody()
				if gerr != nil {
					return nil, gerr
				}
				req = r.Clone(r.Context())
				req.Body = body
			} else if r.Body != nil && r.Body != http.NoBody {
				return resp, err // cannot replay
			}
		}
		resp, err = t.next.RoundTrip(req)
		if attempt+1 >= t.attempts || r.Context().Err() != nil {
			return resp, err
		}
		wait := retry.Backoff(attempt, 500*time.Millisecond, 8*time.Second)
		if err == nil {
			if !retryable(resp.StatusCode) {
				return resp, nil
			}
			if ra, ok := retry.After(resp.Header.Get("Retry-After"), time.Now()); ok && ra > 0 {
				wait = ra
				if dl, ok := r.Context().Deadline(); ok && time.Until(dl) < ra {
					// The server asks for more time than the budget has left: fail at once.
					io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
					resp.Body.Close()
					return nil, &retryBeyondBudget{status: resp.StatusCode, wait: ra, left: time.Until(dl)}
				}
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		if wait > t.maxWait {
			wait = t.maxWait
		}
		// A wait the time budget cannot afford (the stage's Timeout, the call's CallTimeout)
		// fails the call now: sleeping into the deadline would only hold the scan and its lock.
		if dl, ok := r.Context().Deadline(); ok && time.Until(dl) < wait {
			if err != nil {
				return nil, err
			}
			return nil, &retryBeyondBudget{status: resp.StatusCode, wait: wait, left: time.Until(dl)}
		}
		if serr := t.sleep(r.Context(), wait); serr != nil {
			return nil, serr
		}
	}
}

// retryBeyondBudget is a retryable answer whose wait the remaining time budget cannot afford.
type retryBeyondBudget struct {
	status     int
	wait, left time.Duration
}

func (e *retryBeyondBudget) Error() string {
	return fmt.Sprintf("HTTP %d asks to retry after %s, beyond the %s left of the time budget", e.status, e.wait.Round(time.Second), e.left.Round(time.Second))
}
