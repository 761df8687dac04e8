// Package httpguard is what every HTTP client here does against a hostile or broken server: it
// follows a redirect only within one origin, and it bounds every response body. Each API client
// (Vercel, Supabase, Odoo, DigitalOcean's godo, the Docker engine client, the LLM's go-openai
// client, the telemetry exporter) is built with it, so the rules are written once.
package httpguard

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is net/http's own limit.
const maxRedirects = 10

// CheckRedirect is every client's http.Client.CheckRedirect. A redirect is followed only to the
// same origin (scheme, host and port): credentials ride on every hop (an oauth2.Transport adds
// Authorization to each request, a 307 or 308 replays a body holding a password, and net/http
// keeps Authorization for the same host on another port and on https→http), so a redirect
// elsewhere would hand them to whoever answers there. Anything else fails, naming both origins
// and nothing else of the URLs.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	from, to := Origin(via[0].URL), Origin(req.URL)
	if from != to {
		return &RedirectError{From: from, To: to}
	}
	return nil
}

// RedirectError is a redirect CheckRedirect refused.
type RedirectError struct{ From, To string }

func (e *RedirectError) Error() string {
	return fmt.Sprintf("refused redirect from %s to %s: only redirects within the same origin (scheme, host, port) are followed, so credentials never reach another server", e.From, e.To)
}

// Origin is scheme://host:port of u, lower case, with the scheme's default port made explicit
// and no userinfo, path or query.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https", "wss":
			port = "443"
		case "http", "ws":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// Client returns a copy of hc (a new client when nil) with CheckRedirect as its redirect policy.
func Client(hc *http.Client) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc //nolint:govet // copying a Client's fields is how one derives a client
	}
	c.CheckRedirect = CheckRedirect
	return c
}

// TooLargeError is a response body longer than its client's cap.
type TooLargeError struct {
	Host, Path string
	Max        int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("response from %s%s exceeded %s", e.Host, e.Path, Size(e.Max))
}

// Size prints a cap in MiB (KiB below one MiB).
func Size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// LimitBody returns a transport whose response bodies fail with a *TooLargeError once they go
// past max bytes (at once when Content-Length says so): a runaway answer becomes a clear error,
// not gigabytes in memory, whichever decoder (godo's, the Docker client's, ours) reads it.
func LimitBody(next http.RoundTripper, max int64) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return limitBody{next: next, max: max}
}

type limitBody struct {
	next http.RoundTripper
	max  int64
}

func (l limitBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	tooLarge := &TooLargeError{Host: req.URL.Host, Path: req.URL.Path, Max: l.max}
	if resp.ContentLength > l.max {
		resp.Body.Close()
		return nil, tooLarge
	}
	resp.Body = &limitedBody{rc: resp.Body, left: l.max, err: tooLarge}
	return resp, nil
}

// limitedBody reads up to left bytes and then fails with err if more remain.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more than allowed tells a body exactly max long from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, b.err
		}
		if err == nil {
			return 0, nil
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// IsTooLarge reports whether err is (or wraps) a *TooLargeError.
func IsTooLarge(err error) bool {
	var e *TooLargeError
	return errors.As(err, &e)
}

// Guard returns a copy of hc (a new client when nil) with CheckRedirect as its redirect policy
// and its bodies capped at maxBody bytes (LimitBody): the one way every API client is built.
func Guard(hc *http.Client, maxBody int64) *http.Client {
	c := Client(hc)
	c.Transport = LimitBody(c.Transport, maxBody)
	return c
}

// Fatal reports whether err is one of this package's refusals (a redirect to another origin, a
// body past its cap): retrying would only repeat it.
func Fatal(err error) bool {
	var r *RedirectError
	return IsTooLarge(err) || errors.As(err, &r)
}
