package docker_test

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/collectors/fakescale"
	"github.com/infragraph/infragraph/graph"
)

// fakeEngine serves an estate and returns the fake and a collector pointed at it.
func fakeEngine(t testing.TB, name string, e *dockerfake.Estate) (*dockerfake.Server, *docker.Collector) {
	t.Helper()
	f := dockerfake.New(e)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := docker.New(docker.Config{Name: name, Host: "tcp://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

var canaries = []string{"CANARY"}

func TestDemoEstate(t *testing.T) {
	f, c := fakeEngine(t, "erp-1", dockerfake.MustLoad("demo"))
	f.SetAPIVersion("1.41")
	out := collectorstest.Collect(t, "docker", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	collectorstest.AssertAbsent(t, canaries, out.JSON())
	for _, r := range f.Requests() {
		if r != "GET /_ping" && r != "HEAD /_ping" && !strings.HasPrefix(r, "GET /v1.41/") {
			t.Errorf("request %q: the client did not negotiate down to 1.41", r)
		}
	}
	if n := f.Count("/networks/{id}"); n != 4 {
		t.Errorf("inspected %d networks, want every one of 4", n)
	}
	eng := out.Node(t, "docker:engine:erp-1")
	if eng.Str("hostname") != "erp-1" || eng.Str("api_version") != "1.41" || eng.Str("server_version") != "28.5.2" {
		t.Errorf("engine %v", eng.Attrs)
	}
	proxy := containerNamed(t, out, "erp-proxy-1")
	odoo := containerNamed(t, out, "erp-odoo-1")
	if got, _ := proxy.AttrValues("proxy_domains"); !slices.Equal(got, []string{"erp.acme-coffee.com"}) {
		t.Errorf("proxy_domains = %v", got)
	}
	if got, _ := proxy.AttrValues("published_ports"); !slices.Equal(got, []string{"0.0.0.0:443->443/tcp", "0.0.0.0:80->80/tcp"}) {
		t.Errorf("published_ports = %v", got)
	}
	if odoo.Str("env.DB_HOST.host") != "db" || odoo.Str("env.HOST.host") != "db" {
		t.Errorf("odoo env facts %v", odoo.Attrs)
	}
	if out.CountKind("compose_service") != 3 || out.CountKind("compose_project") != 1 || out.CountKind("container") != 3 {
		t.Errorf("kinds: %d services, %d projects, %d containers", out.CountKind("compose_service"), out.CountKind("compose_project"), out.CountKind("container"))
	}
	svc := func(s string) string { return "docker:compose_service:erp-1/erp/" + s }
	for _, e := range [][3]string{
		{"docker:compose_project:erp-1/erp", "contains", svc("odoo")},
		{svc("odoo"), "depends_on", svc("db")},
		{svc("proxy"), "depends_on", svc("odoo")},
		{svc("odoo"), "contains", odoo.ID},
		{odoo.ID, "mounts", "docker:volume:erp-1/erp_odoo-data"},
	} {
		if !out.HasEdge(e[0], e[1], e[2]) {
			t.Errorf("missing %s -%s-> %s", e[0], e[1], e[2])
		}
	}
}

func containerNamed(t *testing.T, out collectorstest.Output, name string) graph.Node {
	t.Helper()
	for _, n := range out.Nodes {
		if n.Kind == "container" && n.Name == name {
			return n
		}
	}
	t.Fatalf("no container %s", name)
	return graph.Node{}
}

func TestTestEstate(t *testing.T) {
	_, c := fakeEngine(t, "edge-1", dockerfake.MustLoad("test"))
	out := collectorstest.Collect(t, "docker", c)
	if out.Err != nil || len(out.Warnings) > 0 {
		t.Fatalf("err %v warnings %v", out.Err, out.Warnings)
	}
	collectorstest.AssertAbsent(t, canaries, out.JSON())
	for _, k := range []string{"engine", "container", "image", "network", "volume", "compose_project", "compose_service", "swarm_node", "swarm_service", "swarm_task"} {
		if out.CountKind(k) == 0 {
			t.Errorf("no %s node", k)
		}
	}
	if n := out.CountKind("swarm_task"); n != 2 {
		t.Errorf("%d swarm tasks, want the 2 not shut down", n)
	}
	api := containerNamed(t, out, "shop-api-1")
	web := containerNamed(t, out, "shop-web-1")
	side := containerNamed(t, out, "shop-api-metrics-1")
	gw := containerNamed(t, out, "edge_gateway.1.t4sk1d")
	want := map[string]any{
		"env.DATABASE_URL.host": "aws-0-eu-central-1.pooler.supabase.com",
		"env.DATABASE_URL.user": "postgres.qwertyuiopasdfghjklz",
		"env.REDIS_URL.host":    "cache",
		"env.LEGACY_DB.host":    "db.zzzzzzzzzzzzzzzzzzzz.supabase.co",
		"env.ODOO_URL.url":      "https://erp.acme-coffee.com",
		"env.SMTP_HOST.host":    "smtp.sendgrid.net",
		"health":                "starting",
		"compose.service":       "api",
	}
	for k, v := range want {
		if api.Attrs[k] != v {
			t.Errorf("api %s = %#v, want %#v", k, api.Attrs[k], v)
		}
	}
	for _, k := range []string{"env.HOST.host", "env.SECRET_HOST.host", "env.API_TOKEN.host", "env.VIRTUAL_HOST.host", "label.traefik.http.middlewares.auth.basicauth.users", "label.com.docker.compose.config-hash"} {
		if _, ok := api.Attrs[k]; ok {
			t.Errorf("api has %s", k)
		}
	}
	if got, _ := api.AttrValues("proxy_domains"); !slices.Equal(got, []string{"api.acme-coffee.com", "api2.acme-coffee.com", "shop-api.acme-coffee.com"}) {
		t.Errorf("proxy_domains = %v", got)
	}
	if got, _ := api.AttrValues("extra_hosts"); !slices.Contains(got, "legacy-db:10.110.0.9") {
		t.Errorf("extra_hosts = %v", got)
	}
	if got, _ := api.AttrValues("extra_host_ips"); !slices.Equal(got, []string{"10.110.0.9"}) {
		t.Errorf("extra_host_ips = %v, want the fixed IP only (not host-gateway)", got)
	}
	id := func(kind, native string) string { return "docker:" + kind + ":edge-1/" + native }
	for _, e := range [][3]string{
		{web.ID, "links_to", api.ID},
		{side.ID, "shares_netns", api.ID},
		{id("compose_service", "shop/api"), "depends_on", id("compose_service", "shop/cache")},
		{id("compose_service", "shop/api"), "depends_on", id("compose_service", "shop/worker")},
		{id("compose_service", "shop/web"), "depends_on", id("compose_service", "shop/api")},
		{id("compose_project", "shop"), "contains", id("compose_service", "shop/worker")},
		{id("swarm_task", "t4sk1gw1"), "runs_on", id("swarm_service", "s3rv1cegw")},
		{id("swarm_task", "t4sk1gw1"), "runs_on", id("swarm_node", "n0de1mgr")},
		{id("swarm_task", "t4sk1gw1"), "runs_on", gw.ID},
		{id("swarm_task", "t4sk2gw2"), "runs_on", id("swarm_node", "n0de2wrk")},
		{"docker:engine:edge-1", "contains", id("swarm_service", "s3rv1cegw")},
		{"docker:engine:edge-1", "contains", id("swarm_node", "n0de2wrk")},
	} {
		if !out.HasEdge(e[0], e[1], e[2]) {
			t.Errorf("missing %s -%s-> %s", e[0], e[1], e[2])
		}
	}
	// The one-off `compose run` container belongs to its service but says so.
	run := containerNamed(t, out, "shop-api-run-4b1c2d")
	if run.Attrs["compose.oneoff"] != true || !out.HasEdge(id("compose_service", "shop/api"), "contains", run.ID) {
		t.Errorf("one-off container: %v", run.Attrs)
	}
	svc := out.Node(t, id("swarm_service", "s3rv1cegw"))
	if got, _ := svc.AttrValues("secrets"); !slices.Equal(got, []string{"edge_tls_key"}) {
		t.Errorf("service secrets = %v", got)
	}
	if got, _ := svc.AttrValues("proxy_domains"); !slices.Equal(got, []string{"edge.acme-coffee.com"}) {
		t.Errorf("service proxy_domains = %v", got)
	}
	if got, _ := svc.AttrValues("networks"); !slices.Equal(got, []string{"edge_net"}) {
		t.Errorf("service networks = %v, want names", got)
	}
	if svc.Attrs["replicas"] != int64(2) || svc.Str("env.BACKEND_URL.host") != "api.acme-coffee.com" {
		t.Errorf("service attrs %v", svc.Attrs)
	}
	var attached, runs bool
	for _, e := range out.Edges {
		attached = attached || e.From == svc.ID && e.Type == "attached_to" && strings.Contains(e.To, "/"+hexPrefixOf(out, "edge_net"))
		runs = runs || e.From == svc.ID && e.Type == "runs"
	}
	if !attached || !runs {
		t.Errorf("swarm service edges: attached_to %v runs %v", attached, runs)
	}
	eng := out.Node(t, "docker:engine:edge-1")
	if eng.Attrs["swarm_manager"] != true || eng.Str("swarm_cluster_id") == "" {
		t.Errorf("engine swarm attrs %v", eng.Attrs)
	}
	if n := out.Node(t, id("swarm_node", "n0de1mgr")); n.Str("addr") != "203.0.113.20" || n.Attrs["leader"] != true {
		t.Errorf("swarm node %v", n.Attrs)
	}
}

func hexPrefixOf(out collectorstest.Output, network string) string {
	for _, n := range out.Nodes {
		if n.Kind == "network" && n.Name == network {
			return n.Str("network_id")
		}
	}
	return "missing"
}

func TestEngineErrors(t *testing.T) {
	cases := []struct {
		name      string
		route     string
		fault     fakeapi.Fault
		times     int    // how many requests fault (0: every one)
		fails     string // substring of the instance error; "" = must succeed
		warns     string // substring of a warning
		keepsKind string // a kind still emitted
	}{
		{"info 500", "/info", fakeapi.Fault{Status: 500}, 0, "docker engine e at tcp://", "", ""},
		{"info garbage", "/info", fakeapi.Fault{Garbage: true}, 0, "engine info", "", ""},
		{"info 500 once recovers", "/info", fakeapi.Fault{Status: 500}, 1, "", "", "container"},
		{"volumes 500", "/volumes", fakeapi.Fault{Status: 500}, 0, "", "list volumes", "container"},
		{"images garbage", "/images/json", fakeapi.Fault{Garbage: true}, 0, "", "list images", "network"},
		{"inspect 500", "/containers/{id}/json", fakeapi.Fault{Status: 500}, 0, "", "inspect 3 containers", "container"},
		{"network inspect 500", "/networks/{id}", fakeapi.Fault{Status: 500}, 0, "", "inspect 4 networks", "network"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := fakeEngine(t, "e", dockerfake.MustLoad("demo"))
			f.Fault(tc.route, cmp.Or(tc.times, fakeapi.Always), tc.fault)
			out := collectorstest.Collect(t, "docker", c)
			collectorstest.AssertAbsent(t, canaries, out.JSON())
			switch {
			case tc.fails != "":
				if out.Err == nil || !strings.Contains(out.Err.Error(), tc.fails) {
					t.Fatalf("err = %v, want %q", out.Err, tc.fails)
				}
			case out.Err != nil:
				t.Fatalf("err = %v", out.Err)
			}
			if tc.warns != "" && !slices.ContainsFunc(out.Warnings, func(w string) bool { return strings.Contains(w, tc.warns) }) {
				t.Errorf("warnings %v, want %q", out.Warnings, tc.warns)
			}
			if tc.warns == "" && len(out.Warnings) > 0 {
				t.Errorf("unexpected warnings %v", out.Warnings)
			}
			if tc.keepsKind != "" && out.CountKind(tc.keepsKind) == 0 {
				t.Errorf("no %s kept", tc.keepsKind)
			}
		})
	}
	t.Run("5xx retried with a bound", func(t *testing.T) {
		f, c := fakeEngine(t, "e", dockerfake.MustLoad("demo"))
		f.Fault("/info", fakeapi.Always, fakeapi.Fault{Status: 500})
		_ = collectorstest.Collect(t, "docker", c)
		if n := f.Count("/info"); n != 3 {
			t.Errorf("/info asked %d times, want 3 (bounded retries)", n)
		}
	})
	t.Run("inspect falls back to list data", func(t *testing.T) {
		f, c := fakeEngine(t, "e", dockerfake.MustLoad("demo"))
		f.Fault("/containers/{id}/json", fakeapi.Always, fakeapi.Fault{Status: 500})
		out := collectorstest.Collect(t, "docker", c)
		odoo := containerNamed(t, out, "erp-odoo-1")
		if odoo.Str("compose.service") != "odoo" || !out.HasEdge(odoo.ID, "attached_to", "docker:network:e/"+hexPrefixOf(out, "erp_default")) {
			t.Errorf("list data lost: %v", odoo.Attrs)
		}
	})
	t.Run("hanging engine honours the deadline", func(t *testing.T) {
		f, c := fakeEngine(t, "e", dockerfake.MustLoad("demo"))
		f.Fault("*", fakeapi.Always, fakeapi.Fault{Hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		out := collectorstest.CollectContext(t, ctx, "docker", c)
		if out.Err == nil || !strings.Contains(out.Err.Error(), "docker engine e unreachable at") {
			t.Fatalf("err = %v", out.Err)
		}
	})
	t.Run("deadline midway fails the read, not as unreachable", func(t *testing.T) {
		f, c := fakeEngine(t, "e", dockerfake.MustLoad("demo"))
		f.Fault("/containers/json", fakeapi.Always, fakeapi.Fault{Hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		out := collectorstest.CollectContext(t, ctx, "docker", c)
		if out.Err == nil || !strings.Contains(out.Err.Error(), "docker engine e at ") || !strings.Contains(out.Err.Error(), "read cut short") {
			t.Fatalf("err = %v", out.Err)
		}
		if len(out.Warnings) > 0 || len(out.Nodes) > 0 {
			t.Errorf("a cut-short read emitted %d nodes, warnings %v", len(out.Nodes), out.Warnings)
		}
	})
}

// TestOneEngineFailsAlone runs two engines through the runner: the unreachable one fails with a
// clear reason, the other is ok.
func TestOneEngineFailsAlone(t *testing.T) {
	_, good := fakeEngine(t, "erp-1", dockerfake.MustLoad("demo"))
	dead := httptest.NewServer(nil)
	addr := dead.Listener.Addr().String()
	dead.Close()
	bad, err := docker.New(docker.Config{Name: "gone", Host: "tcp://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	res := collectors.Run(context.Background(), []collectors.Instance{
		{Provider: "docker", Name: "erp-1", Collector: good},
		{Provider: "docker", Name: "gone", Collector: bad},
	}, collectors.Options{Timeout: 30 * time.Second})
	st := map[string]graph.CollectorStatus{}
	for _, r := range res {
		st[r.Status.Instance] = r.Status
	}
	if st["erp-1"].Status != graph.StatusOK || st["erp-1"].Nodes == 0 {
		t.Errorf("erp-1: %+v", st["erp-1"])
	}
	if st["gone"].Status != graph.StatusFailed || !strings.Contains(st["gone"].Reason, "docker engine gone unreachable at tcp://"+addr) {
		t.Errorf("gone: %+v", st["gone"])
	}
}

func TestCancelled(t *testing.T) {
	_, c := fakeEngine(t, "e", dockerfake.MustLoad("demo"))
	collectorstest.CheckCancelled(t, "docker", c)
}

// TestTLS reads an engine over tcp:// with TLS: certificates from CertPath, the server
// verified with TLSVerify, and refused when the CA does not match.
func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(dockerfake.New(dockerfake.MustLoad("demo")))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below is expected
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	cert := srv.Certificate()
	key, err := x509.MarshalPKCS8PrivateKey(srv.TLS.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	for name, b := range map[string][]byte{
		"ca.pem": certPEM, "cert.pem": certPEM,
		"key.pem": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	host := "tcp://" + srv.Listener.Addr().String()
	c, err := docker.New(docker.Config{Name: "tls", Host: host, CertPath: dir, TLSVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "docker", c)
	if out.Err != nil || out.CountKind("container") != 3 {
		t.Fatalf("over TLS: err %v, %d containers", out.Err, out.CountKind("container"))
	}
	// Verifying against the system roots must refuse the test server's certificate.
	c, _ = docker.New(docker.Config{Name: "tls", Host: host, TLSVerify: true})
	if out := collectorstest.Collect(t, "docker", c); out.Err == nil || !strings.Contains(out.Err.Error(), "certificate") {
		t.Errorf("unverified server accepted: %v", out.Err)
	}
}

func TestRemoteHostIdentity(t *testing.T) {
	// An engine addressed by IP carries host and host_ip, the identities that tie it to a droplet.
	e := dockerfake.MustLoad("demo")
	f := dockerfake.New(e)
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, _ := docker.New(docker.Config{Name: "erp-1", Host: "tcp://" + srv.Listener.Addr().String()})
	out := collectorstest.Collect(t, "docker", c)
	eng := out.Node(t, "docker:engine:erp-1")
	if _, ok := eng.Attrs["host"]; ok {
		t.Errorf("loopback address taken as a remote host: %v", eng.Attrs)
	}
	if eng.Str("endpoint") != "tcp://"+srv.Listener.Addr().String() {
		t.Errorf("endpoint %q", eng.Str("endpoint"))
	}
}

func TestWithDialer(t *testing.T) {
	// The dialer reaches the engine; the configured host stays its address in the graph.
	srv := httptest.NewServer(dockerfake.New(dockerfake.MustLoad("demo")))
	defer srv.Close()
	var d net.Dialer
	var dials atomic.Int32 // Info and the lists dial at once
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
	}
	c, err := docker.New(docker.Config{Name: "erp-1", Host: "unix:///var/run/docker.sock", HostAddress: "203.0.113.10"}, docker.WithDialer(dial))
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "docker", c)
	eng := out.Node(t, "docker:engine:erp-1")
	if eng.Str("endpoint") != "unix:///var/run/docker.sock" || eng.Str("host_ip") != "203.0.113.10" {
		t.Errorf("engine attrs %v", eng.Attrs)
	}
	if dials.Load() == 0 {
		t.Error("the dialer was never used")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  docker.Config
		want string
	}{
		{docker.Config{}, "host: required"},
		{docker.Config{Host: "/var/run/docker.sock"}, "host: must start with"},
		{docker.Config{Host: "ftp://x"}, "host: must start with"},
		{docker.Config{Host: "unix:///x", HostAddress: "tcp://203.0.113.10"}, "host_address: "},
		{docker.Config{Host: "unix:///x", HostAddress: "deploy@h"}, "host_address: "},
	} {
		if _, err := docker.New(tc.cfg); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := docker.New(docker.Config{Host: "ssh://deploy@edge-1.example.com"}); err != nil {
		t.Errorf("ssh host refused: %v", err)
	}
}

func BenchmarkCollectScaled(b *testing.B) {
	_, c := fakeEngine(b, "big-1", fakescale.Docker(200))
	b.ReportAllocs()
	for b.Loop() {
		rec := &collectors.Recorder{Provider: "docker"}
		if err := c.Collect(context.Background(), rec); err != nil {
			b.Fatal(err)
		}
	}
}
