package docker

import (
	"context"
	"net"
	"strings"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
)

// Provider is Docker, as collectors/all lists it.
var Provider = collectors.Provider{
	Name:         "docker",
	Title:        "Docker",
	Credentials:  Credentials,
	Env:          map[string][]string{"host": {"DOCKER_HOST"}},
	OriginFields: []string{"host"},
	Config: collectors.Section[Config]{
		FromEnv:  ConfigFromEnv,
		Validate: (*Config).Validate,
		New:      func(c Config) (collectors.Collector, error) { return New(c) },
	},
	Demo: demo,
}

// DemoDropletIP is the public address of the droplet erp-1 the demo's engine runs on.
const DemoDropletIP = "203.0.113.10"

// DemoHost is the demo engine's address: the socket on the droplet it was recorded from.
const DemoHost = "unix:///var/run/docker.sock"

// demo serves the recorded Engine API of Acme's engine erp-1 (Debian's docker.io speaks API
// 1.41). It is not a live engine: the demo shows what the collector reads, without needing one.
func demo(_ context.Context, d *collectors.Demo) error {
	fake := dockerfake.New(dockerfake.MustLoad("demo"))
	fake.SetAPIVersion("1.41")
	url := d.Serve(fake)
	// Read as the socket on the droplet it was recorded from (the engine's endpoint attribute),
	// dialled at the fake's loopback port, which changes every run and so stays out of the graph.
	addr := strings.TrimPrefix(url, "http://")
	var dl net.Dialer
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) { return dl.DialContext(ctx, "tcp", addr) }
	c, err := New(Config{Name: "erp-1", Host: DemoHost, HostAddress: DemoDropletIP}, WithDialer(dial))
	d.Note("docker: the recorded Engine API of engine erp-1 (API 1.41, not a live engine) on " + url + ", read as " + DemoHost + " on host address " + DemoDropletIP)
	return d.Add("docker", "erp-1", c, err)
}
