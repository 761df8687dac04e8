// Package odoo collects an Odoo instance (15 to 19) into the graph: the instance, its databases,
// installed modules and their dependencies, scheduled actions, allow-listed system parameters,
// mail servers, automation rules, server actions, companies, websites and payment providers.
//
// It speaks XML-RPC (/xmlrpc/2, the default), JSON-RPC (/jsonrpc) or, on Odoo 19+, the JSON-2 API
// (/json/2/<model>/<method>, bearer API key). It always names the fields it reads, after probing
// them with fields_get, so one collector serves every version, and it never asks for a secret
// field (passwords, keys, tokens, webhook uuids) or a secret system parameter.
package odoo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/httpguard"
	"github.com/infragraph/infragraph/telemetry"
)

// Collector collects one configured instance.
type Collector struct {
	cfg  Config
	host string
	tr   transport
	cl   *client
}

// Option adjusts a collector.
type Option func(*Collector)

// WithHTTPClient sends every request through h (the demo and tests route a public URL to a fake).
func WithHTTPClient(h *http.Client) Option {
	return func(c *Collector) { c.cl.http = httpguard.Guard(h, maxBody) }
}

// New returns a collector for cfg.
func New(cfg Config, opts ...Option) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	rps := cfg.RequestsPerSecond
	if rps == 0 {
		rps = 5
	}
	secret := cfg.Password
	if cfg.Protocol == "json2" || !secret.Set() {
		secret = cfg.APIKey
	}
	base := u.Scheme + "://" + u.Host + trimSlash(u.Path)
	cl := &client{
		http:     httpguard.Guard(&http.Client{Timeout: 2 * time.Minute, Transport: telemetry.Transport(nil)}, maxBody),
		base:     base,
		user:     cfg.Username,
		secret:   secret,
		throttle: &throttle{interval: time.Duration(float64(time.Second) / rps)},
		retries:  3,
		backoff:  500 * time.Millisecond,
	}
	c := &Collector{cfg: cfg, host: evidence.NormalizeHost(u.Host), cl: cl}
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		c.host += ":" + p // two instances on one host differ by port
	}
	switch cfg.Protocol {
	case "jsonrpc":
		c.tr = &jsonrpcTransport{c: cl}
	case "json2":
		c.tr = &json2Transport{c: cl, rpc: &jsonrpcTransport{c: cl}}
	default:
		c.tr = &xmlrpcTransport{c: cl}
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

func trimSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// Collect reads the instance. A wrong password, an unreachable server or an unreadable database
// list fails it; one model the user may not read is a warning.
func (c *Collector) Collect(ctx context.Context, emit graph.Emitter) error {
	info, err := c.tr.version(ctx)
	if err != nil && c.cfg.Protocol == "" && errors.Is(err, errNoEndpoint) {
		// A server without XML-RPC (Odoo 22, Online 21.1: external_rpc_api.rst) still answers
		// GET /web/version.
		if v, verr := (&json2Transport{c: c.cl}).version(ctx); verr == nil {
			info, err = v, nil
		}
	}
	if err != nil {
		return fmt.Errorf("odoo: detect version of %s: %w", c.host, err)
	}
	ver := parseVersion(info)
	if c.cfg.Protocol == "json2" && ver.major < 19 {
		return fmt.Errorf("odoo: protocol json2 needs Odoo 19 or later; %s runs %s (use xmlrpc or jsonrpc)", c.host, ver.str)
	}
	json2 := c.cfg.Protocol == "json2"
	if c.cfg.Protocol == "" {
		// Automatic: XML-RPC and JSON-RPC are deprecated from Odoo 19 and JSON-2 replaces them
		// (odoo/documentation external_rpc_api.rst, "deprecated:: 19.0"; external_api.rst): on
		// 19+ with an API key the scan speaks JSON-2, below it XML-RPC.
		switch {
		case ver.major >= 19 && c.cfg.APIKey.Set():
			cl := *c.cl
			cl.secret = c.cfg.APIKey
			c.tr, json2 = &json2Transport{c: &cl, rpc: &jsonrpcTransport{c: &cl}}, true
		case c.cfg.Username == "":
			return fmt.Errorf("odoo: %s runs %s, below 19 there is no JSON-2 API: set username and password (ODOO_USERNAME, ODOO_PASSWORD)", c.host, ver.str)
		}
	}
	inst := c.instanceNode(ver)

	dbs := []string{c.cfg.Database}
	if c.cfg.Database == "" && ver.dbServiceGone() {
		// "The db service was removed in Odoo 20 (fall 2026) and Online 19.1" (odoo/documentation
		// external_rpc_api.rst): there is nothing to list databases with; never call it.
		return fmt.Errorf("odoo: %s runs %s, which has no database listing service (removed in Odoo 20 and Online 19.1): set database in the configuration (ODOO_DB)", c.host, ver.str)
	}
	if c.cfg.Database == "" {
		dbs, err = c.tr.listDBs(ctx)
		if err != nil {
			if isKind(err, errDenied) {
				return fmt.Errorf("odoo: %s does not list its databases (list_db = False): set database in the configuration (ODOO_DB)", c.host)
			}
			return fmt.Errorf("odoo: list databases of %s: %w", c.host, err)
		}
		if len(dbs) == 0 {
			return fmt.Errorf("odoo: %s has no database", c.host)
		}
		sort.Strings(dbs)
	}

	who := "user " + c.cfg.Username
	if json2 {
		who = "the API key"
	}
	var scans []*dbScan
	var authErrs []error
	for _, db := range dbs {
		uid, err := c.tr.login(ctx, db)
		if err == nil && uid == 0 {
			err = fmt.Errorf("odoo: authentication failed for %s on database %s", who, db)
		} else if isKind(err, errDenied) {
			err = fmt.Errorf("odoo: authentication failed for %s on database %s: %w", who, db, err)
		} else if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			err = fmt.Errorf("odoo: authenticate on database %s: %w", db, err)
		}
		if err != nil {
			authErrs = append(authErrs, err)
			continue
		}
		scans = append(scans, &dbScan{c: c, db: db, uid: uid, ver: ver, emit: emit})
	}
	if len(scans) == 0 {
		return errors.Join(authErrs...)
	}

	// The instance node carries the base URL host, known only once a database was read. When
	// several databases are scanned, one that cannot be read at all is a warning.
	var done []*dbScan
	for _, s := range scans {
		if err := s.run(ctx); err != nil {
			if ctx.Err() != nil || len(scans) == 1 {
				return err
			}
			emit.Warn(err)
			continue
		}
		done = append(done, s)
		if s.baseURLHost != "" && inst.Attrs["base_url_host"] == nil {
			inst.Attrs["base_url_host"] = s.baseURLHost
		}
	}
	if len(done) == 0 {
		return fmt.Errorf("odoo: no database of %s could be read", c.host)
	}
	b := collectors.NewBuilder(emit)
	b.Node(inst)
	for _, s := range done {
		s.flush(b)
	}
	b.Flush()
	for _, err := range authErrs {
		emit.Warn(err)
	}
	return nil
}

type version struct {
	major   int64
	minor   int64
	str     string // "17.0", "saas~17.2"
	edition string // community or enterprise
}

// parseVersion reads version_info [17, 0, 0, "final", 0, "e"]; the last element is "e" on
// Enterprise ("+e" in server_version).
// dbServiceGone reports a server without the db service: Odoo 20+, Online 19.1+.
func (v version) dbServiceGone() bool { return v.major >= 20 || v.major == 19 && v.minor >= 1 }

func parseVersion(info []any) version {
	v := version{edition: "community"}
	if len(info) > 0 {
		v.major = asInt(info[0])
		// SaaS releases name their series in the first element: ["saas~17", 2, 0, "final", 0, ""]
		// (odoo/release.py); a few report "saas~17.2".
		if s := asString(info[0]); strings.HasPrefix(s, "saas~") {
			var maj, min int64
			n, _ := fmt.Sscanf(s, "saas~%d.%d", &maj, &min)
			if n == 1 && len(info) > 1 {
				min = asInt(info[1])
			}
			if n >= 1 {
				v.major, v.minor, v.str = maj, min, fmt.Sprintf("saas~%d.%d", maj, min)
			}
		}
	}
	if len(info) > 1 && v.str == "" {
		v.minor = asInt(info[1])
		v.str = fmt.Sprintf("%d.%d", v.major, v.minor)
	}
	if len(info) > 5 && asString(info[5]) == "e" {
		v.edition = "enterprise"
	}
	return v
}

func (c *Collector) instanceNode(v version) graph.Node {
	u, _ := url.Parse(c.cfg.URL)
	f, _ := evidence.Parse(u.Scheme + "://" + u.Host + u.Path)
	attrs := graph.Attrs{
		"url":           f.URL(),
		"host":          evidence.NormalizeHost(u.Host),
		"version":       v.str,
		"version_major": v.major,
		"edition":       v.edition,
		"protocol":      protocolName(c.cfg.Protocol),
	}
	return graph.Node{ID: graph.ID("odoo", "instance", c.host), Kind: "instance", Provider: "odoo", Name: c.host, Attrs: attrs}
}

func protocolName(p string) string {
	if p == "" {
		return "xmlrpc"
	}
	return p
}
