package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/tlsconfig"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/httpguard"
	"github.com/infragraph/infragraph/retry"
)

// maxBody caps one answer of the engine (httpguard.LimitBody). The largest is the container
// list: a summary is 1–3 KiB (more with many Compose labels), so 128 MiB holds some 40,000
// containers; an inspect is tens of KiB.
const maxBody = 128 << 20

// newClient builds an Engine API client for one configured engine. The API version is negotiated
// with the daemon on the first request (client.WithAPIVersionNegotiation), so a Debian 20.10
// engine (API 1.41) and a current one (1.51) are both read with the same code. A non-nil dial
// replaces the dialer the host's scheme implies (WithDialer).
func newClient(cfg Config, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*client.Client, error) {
	// Keep as many idle connections as inspections run at once: the default (2) would reopen
	// connections all the time, and over ssh:// every connection is a new ssh process.
	tr := &http.Transport{MaxIdleConnsPerHost: inspectParallel, IdleConnTimeout: 30 * time.Second}
	hc := &http.Client{Transport: tr, CheckRedirect: httpguard.CheckRedirect}
	opts := []client.Opt{client.WithAPIVersionNegotiation(), client.WithHTTPClient(hc)}
	switch {
	case strings.HasPrefix(cfg.Host, "ssh://"):
		// The docker CLI's own helper: it runs `ssh ... docker system dial-stdio` on the remote
		// host, so ~/.ssh/config, agents and known_hosts work exactly as for `docker -H ssh://`.
		// BatchMode: a scan must fail, not wait at a password or host-key prompt.
		h, err := connhelper.GetConnectionHelperWithSSHOpts(cfg.Host, []string{"-o", "BatchMode=yes"})
		if err != nil {
			return nil, fmt.Errorf("ssh connection helper: %w", err)
		}
		opts = append(opts, client.WithHost(h.Host), client.WithDialContext(h.Dialer))
	default:
		if cfg.CertPath != "" || cfg.TLSVerify {
			// Docker's rules (client.FromEnv): client certificates from CertPath, and the server
			// certificate is verified only when TLSVerify is set.
			o := tlsconfig.Options{InsecureSkipVerify: !cfg.TLSVerify}
			if cfg.CertPath != "" {
				o.CAFile = filepath.Join(cfg.CertPath, "ca.pem")
				o.CertFile = filepath.Join(cfg.CertPath, "cert.pem")
				o.KeyFile = filepath.Join(cfg.CertPath, "key.pem")
			}
			tc, err := tlsconfig.Client(o)
			if err != nil {
				return nil, fmt.Errorf("tls config from %s: %w", cfg.CertPath, err)
			}
			tr.TLSClientConfig = tc
		}
		opts = append(opts, client.WithHost(cfg.Host))
	}
	if dial != nil {
		opts = append(opts, client.WithDialContext(dial))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, err
	}
	// The client's options need hc's *http.Transport as it is; the cap wraps it afterwards
	// (the client keeps hc, and reads every answer through hc.Transport).
	hc.Transport = &retry.Transport{Next: shapeCheck{next: httpguard.LimitBody(hc.Transport, maxBody)},
		Retries: 2, Backoff: 200 * time.Millisecond, IdempotentOnly: true,
		// Daemon-side failures (500, 503) are retried; client errors and connection failures
		// are not: retrying an unreachable engine only delays the clear error.
		Retryable: func(status int) bool {
			return status == http.StatusInternalServerError || status == http.StatusServiceUnavailable
		},
		RetryError: func(error) bool { return false },
	}
	return cli, nil
}

// endpoint is the configured host without userinfo, query or fragment (where a DOCKER_HOST
// carries credentials), safe for messages and attrs. An ssh:// address keeps its login name.
func endpoint(host string) string {
	u, err := url.Parse(host)
	if err != nil || u.Scheme == "" {
		if i := strings.IndexAny(host, "@?#"); i >= 0 {
			return "(unparsable engine address)"
		}
		return host
	}
	if u.User != nil && u.Scheme == "ssh" {
		u.User = url.User(u.User.Username())
	} else {
		u.User = nil
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u.String()
}

// hostSecrets are the parts of a configured engine address that may be credentials: the
// userinfo and every query value.
func hostSecrets(host string) []string {
	u, err := url.Parse(host)
	if err != nil {
		return []string{host}
	}
	var out []string
	if u.User != nil {
		if u.Scheme != "ssh" {
			out = append(out, u.User.Username())
		}
		if p, ok := u.User.Password(); ok {
			out = append(out, p, u.User.String())
		}
	}
	for _, vs := range u.Query() {
		out = append(out, vs...)
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
	}
	// Longest first: a secret that contains another is replaced whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// scrub makes an error of the Docker client fit for messages: the client quotes the configured
// address whole, credentials included. errors.Is and As still see err. An address without
// credentials leaves errors as they are: the engine is sent no other secret to echo, and
// evidence.Scrub would shorten long ids and paths.
func scrub(host string, err error) error {
	secrets := hostSecrets(host)
	if len(secrets) == 0 {
		return err
	}
	return evidence.ScrubError(err, secrets...)
}

// hostOf returns the remote hostname of a tcp:// or ssh:// engine address ("" for a local
// socket): the identity inference uses to tie the engine to the machine it runs on.
func hostOf(host string) string {
	u, err := url.Parse(host)
	if err != nil {
		return ""
	}
	switch u.Scheme {
	case "tcp", "ssh", "http", "https":
		h := u.Hostname()
		if h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return ""
		}
		return evidence.NormalizeHost(h)
	}
	return ""
}

// isDialErr reports a failure to connect (refused, no such socket, no route).
func isDialErr(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
