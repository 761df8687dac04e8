// Package demo serves the Acme Coffee estate (docs/demo-estate.md) for `discover scan --demo`:
// each provider's fake API (its collectors/<provider>/<provider>fake package, the estate recorded
// in that provider's own wire format) listens on 127.0.0.1, and the real collectors are
// configured against it through their ordinary Config structs. Everything after collection
// (merge, inference, validation, rendering, output) is the normal scan.
//
// The Docker engine is the dockerfake's recorded Engine API for Acme's droplet erp-1, not a live
// engine. The Supabase catalog half needs a real PostgreSQL: given a superuser DSN, the demo
// loads the estate's schema into a fresh temporary database, scans it and drops it afterwards;
// without one the catalog is reported as skipped.
package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/digitalocean"
	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/odoo"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/collectors/supabase"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/collectors/vercel"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
	"github.com/infragraph/infragraph/evidence"
)

// Options shape a demo.
type Options struct {
	// PostgresDSN is a superuser connection string of a real PostgreSQL. When set, the Supabase
	// catalog is loaded into a fresh temporary database and scanned; otherwise it is skipped.
	PostgresDSN evidence.Secret
}

// Estate is a running demo: collector instances wired to fake APIs on 127.0.0.1. Close it when
// the scan is done.
type Estate struct {
	// Instances are the collectors to run, one per provider (plus skipped parts with reasons).
	Instances []collectors.Instance
	// Notes say what the demo is made of, one line each, for the log.
	Notes []string

	closers []func() error
}

// Start starts the fake APIs and configures a collector for each.
func Start(ctx context.Context, o Options) (*Estate, error) {
	e := &Estate{}
	for _, start := range []func(context.Context, Options) error{e.digitalocean, e.docker, e.odoo, e.supabase, e.vercel} {
		if err := start(ctx, o); err != nil {
			_ = e.Close()
			return nil, err
		}
	}
	sort.SliceStable(e.Instances, func(i, j int) bool { return e.Instances[i].Key() < e.Instances[j].Key() })
	return e, nil
}

// Close stops the fake APIs and removes any temporary database.
func (e *Estate) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	e.closers = nil
	return errors.Join(errs...)
}

// serve starts h on 127.0.0.1 (httptest binds the loopback interface) and returns its URL.
func (e *Estate) serve(h http.Handler) string {
	srv := httptest.NewServer(h)
	e.closers = append(e.closers, func() error { srv.Close(); return nil })
	return srv.URL
}

func (e *Estate) add(provider, name string, c collectors.Collector, err error) error {
	if err != nil {
		return fmt.Errorf("demo %s collector: %w", provider, err)
	}
	e.Instances = append(e.Instances, collectors.Instance{Provider: provider, Name: name, Collector: c})
	return nil
}

func (e *Estate) digitalocean(context.Context, Options) error {
	fake := digitaloceanfake.New(digitaloceanfake.MustLoad("demo"))
	url := e.serve(fake)
	c, err := digitalocean.New(digitalocean.Config{Name: "acme", Token: digitaloceanfake.Token, APIURL: url})
	e.Notes = append(e.Notes, "digitalocean: fake API v2 on "+url)
	return e.add("digitalocean", "acme", c, err)
}

// OdooURL is the demo instance's public address; the collector keeps it (it is the instance's
// identity) while its requests go to the fake.
const OdooURL = "https://erp.acme-coffee.com"

func (e *Estate) odoo(context.Context, Options) error {
	est := odoofake.MustLoad("demo")
	fake := odoofake.New(est, odoofake.Options{Version: 17})
	url := e.serve(fake)
	c, err := odoo.New(odoo.Config{Name: "erp", URL: OdooURL, Database: "acme", Username: "admin",
		Password: evidence.Secret(odooPassword(est)),
		// The fake is in-process: the default 5 requests/second politeness toward a real server
		// would only slow the demo down.
		RequestsPerSecond: 200,
	}, odoo.WithHTTPClient(odoofake.Redirect(url)))
	e.Notes = append(e.Notes, "odoo: fake XML-RPC server (Odoo 17) on "+url+" answering for "+OdooURL)
	return e.add("odoo", "erp", c, err)
}

// odooPassword is the demo admin's password, read from the estate rather than repeated here.
func odooPassword(est *odoofake.Estate) string {
	for _, u := range est.Databases["acme"].Users {
		if u.Login == "admin" {
			return u.Password
		}
	}
	return ""
}

func (e *Estate) vercel(context.Context, Options) error {
	fake := vercelfake.New(vercelfake.MustLoad("demo"))
	url := e.serve(fake)
	c, err := vercel.New(vercel.Config{Name: "acme", Token: "demo-token", APIURL: url})
	e.Notes = append(e.Notes, "vercel: fake REST API on "+url)
	return e.add("vercel", "acme", c, err)
}

func (e *Estate) supabase(ctx context.Context, o Options) error {
	est := supabasefake.Demo()
	// With a PostgreSQL the catalog is read the way a token alone reads it: the fake's
	// read-only query endpoint runs the collector's SQL in the demo database. Without one the
	// fake has nothing to run it on, and the catalog half is reported skipped.
	opts := supabasefake.Options{}
	apiCatalog := o.PostgresDSN.Set()
	if apiCatalog {
		dsn, err := e.catalogDatabase(ctx, o.PostgresDSN)
		if err != nil {
			return err
		}
		opts.Databases = map[string]string{est.Refs()[0]: dsn.Reveal()}
	}
	url := e.serve(supabasefake.New(est, opts))
	cfg := supabase.Config{Name: "acme", AccessToken: evidence.Secret(est.Token), APIURL: url, APICatalog: &apiCatalog}
	e.Notes = append(e.Notes, "supabase: fake Management API on "+url)
	c, err := supabase.New(cfg)
	if err := e.add("supabase", "acme", c, err); err != nil {
		return err
	}
	if !o.PostgresDSN.Set() {
		e.Instances = append(e.Instances, collectors.Instance{Provider: "supabase", Name: "acme-catalog",
			Skip: "demo: the database catalog half needs a real PostgreSQL (pass --demo-db DSN or set INFRAGRAPH_DEMO_PG_DSN)"})
	}
	return nil
}

// DropletIP is erp-1's public address: the demo's Docker engine runs on that droplet.
const DropletIP = "203.0.113.10"

// DockerHost is the demo engine's address: the socket on the droplet it was recorded from.
const DockerHost = "unix:///var/run/docker.sock"

// docker serves the recorded Engine API of Acme's engine erp-1 (Debian's docker.io speaks API
// 1.41). It is not a live engine: the demo shows what the collector reads, without needing one.
func (e *Estate) docker(context.Context, Options) error {
	fake := dockerfake.New(dockerfake.MustLoad("demo"))
	fake.SetAPIVersion("1.41")
	url := e.serve(fake)
	// Read as the socket on the droplet it was recorded from (the engine's endpoint attribute),
	// dialled at the fake's loopback port, which changes every run and so stays out of the graph.
	addr := strings.TrimPrefix(url, "http://")
	var d net.Dialer
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	c, err := docker.New(docker.Config{Name: "erp-1", Host: DockerHost, HostAddress: DropletIP}, docker.WithDialer(dial))
	e.Notes = append(e.Notes, "docker: the recorded Engine API of engine erp-1 (API 1.41, not a live engine) on "+url+", read as "+DockerHost+" on host address "+DropletIP)
	return e.add("docker", "erp-1", c, err)
}
