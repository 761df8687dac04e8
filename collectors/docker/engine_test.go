package docker_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/docker"
)

// testEngine returns the private engine scripts/test.sh starts. Without it the test fails in CI
// and is skipped elsewhere.
func testEngine(t *testing.T) (host, image string) {
	t.Helper()
	host, image = os.Getenv("INFRAGRAPH_TEST_DOCKER_HOST"), os.Getenv("INFRAGRAPH_TEST_DOCKER_IMAGE")
	if host == "" || image == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INFRAGRAPH_TEST_DOCKER_HOST/INFRAGRAPH_TEST_DOCKER_IMAGE not set: run the tests through scripts/test.sh")
		}
		t.Skip("no test Docker engine (run scripts/test.sh)")
	}
	return host, image
}

const (
	canaryDSN  = "CANARY-docker-dsn-password"
	canaryPG   = "CANARY-docker-pgpassword"
	canaryAuth = "CANARY-docker-basicauth"
	testLabel  = "infragraph.test"
)

// estate is the Compose-labelled "erp" project built on the real engine.
type estate struct {
	odoo, db, proxy, sidecar string // container ids
	backend, frontend        string // network ids
}

// buildEstate creates what `docker compose up` would for the Acme erp project, through the Go
// client: the test engine runs with --bridge=none and --iptables=false, and plain user-defined
// bridge networks (internal or not) work there, as do published ports via the userland proxy.
func buildEstate(t *testing.T, cli *client.Client, image string) estate {
	t.Helper()
	ctx := context.Background()
	cleanup(t, cli)
	t.Cleanup(func() { cleanup(t, cli) })
	var e estate
	compose := func(svc string, extra map[string]string) map[string]string {
		l := map[string]string{
			testLabel:                                 "1",
			"com.docker.compose.project":              "erp",
			"com.docker.compose.service":              svc,
			"com.docker.compose.oneoff":               "False",
			"com.docker.compose.container-number":     "1",
			"com.docker.compose.project.working_dir":  "/srv/erp",
			"com.docker.compose.project.config_files": "/srv/erp/compose.yaml",
			"com.docker.compose.version":              "2.29.1",
		}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	mkNet := func(name string, internal bool) string {
		r, err := cli.NetworkCreate(ctx, name, network.CreateOptions{Driver: "bridge", Internal: internal,
			Labels: map[string]string{testLabel: "1", "com.docker.compose.project": "erp", "com.docker.compose.network": strings.TrimPrefix(name, "erp_")}})
		if err != nil {
			t.Fatalf("create network %s: %v", name, err)
		}
		return r.ID
	}
	e.backend = mkNet("erp_backend", true)
	e.frontend = mkNet("erp_default", false)
	if _, err := cli.VolumeCreate(ctx, volume.CreateOptions{Name: "erp_db-data",
		Labels: map[string]string{testLabel: "1", "com.docker.compose.project": "erp", "com.docker.compose.volume": "db-data"}}); err != nil {
		t.Fatalf("create volume: %v", err)
	}
	run := func(name string, cfg *container.Config, hc *container.HostConfig, netName string, aliases []string, more ...string) string {
		t.Helper()
		var nc *network.NetworkingConfig
		if netName != "" {
			nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{netName: {Aliases: aliases}}}
		}
		cfg.Image = image
		r, err := cli.ContainerCreate(ctx, cfg, hc, nc, nil, name)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		for _, n := range more {
			if err := cli.NetworkConnect(ctx, n, r.ID, &network.EndpointSettings{Aliases: aliases}); err != nil {
				t.Fatalf("connect %s to %s: %v", name, n, err)
			}
		}
		if err := cli.ContainerStart(ctx, r.ID, container.StartOptions{}); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		return r.ID
	}
	e.db = run("erp-db-1", &container.Config{
		Env:    []string{"POSTGRES_USER=odoo", "POSTGRES_PASSWORD=" + canaryPG, "POSTGRES_DB=acme"},
		Labels: compose("db", nil),
		Healthcheck: &container.HealthConfig{Test: []string{"CMD", "/bin/busybox", "true"},
			Interval: 200 * time.Millisecond, Timeout: time.Second, Retries: 3},
	}, &container.HostConfig{
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
		Mounts:        []mount.Mount{{Type: mount.TypeVolume, Source: "erp_db-data", Target: "/var/lib/postgresql/data"}},
	}, "erp_backend", []string{"db"})
	e.odoo = run("erp-odoo-1", &container.Config{
		Env: []string{"HOST=db", "DB_HOST=db", "PGPASSWORD=" + canaryPG, "USER=odoo",
			"DATABASE_URL=postgres://odoo:" + canaryDSN + "@db:5432/acme?sslmode=disable",
			"SMTP_SERVER=smtp.sendgrid.net:587", "LISTEN_ADDR=0.0.0.0:8069"},
		Labels:       compose("odoo", map[string]string{"com.docker.compose.depends_on": "db:service_healthy:false"}),
		ExposedPorts: nat.PortSet{"8069/tcp": {}},
	}, &container.HostConfig{
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways},
		PortBindings:  nat.PortMap{"8069/tcp": {{HostIP: "127.0.0.1", HostPort: ""}}},
		Links:         []string{"erp-db-1:database"},
	}, "erp_backend", []string{"odoo"}, "erp_default")
	e.proxy = run("erp-proxy-1", &container.Config{
		Env: []string{"VIRTUAL_HOST=erp.acme-coffee.com,www.erp.acme-coffee.com"},
		Labels: compose("proxy", map[string]string{
			"com.docker.compose.depends_on":                 "odoo:service_started:false",
			"traefik.enable":                                "true",
			"traefik.http.routers.erp.rule":                 "Host(`erp.acme-coffee.com`) || Host(`shop-erp.acme-coffee.com`)",
			"traefik.http.middlewares.auth.basicauth.users": "admin:" + canaryAuth,
		}),
	}, &container.HostConfig{}, "erp_default", []string{"proxy"})
	// A sidecar in odoo's network namespace (compose `network_mode: service:odoo`).
	e.sidecar = run("erp-exporter-1", &container.Config{Labels: compose("exporter", nil)},
		&container.HostConfig{NetworkMode: container.NetworkMode("container:" + e.odoo)}, "", nil)

	// Wait for db's health check so the health attr is a settled value.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := cli.ContainerInspect(ctx, e.db)
		if err != nil {
			t.Fatal(err)
		}
		if r.State.Health != nil && r.State.Health.Status == "healthy" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("db never became healthy: %+v", r.State.Health)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return e
}

// cleanup removes everything the test created (containers, networks, volumes carry testLabel).
func cleanup(t *testing.T, cli *client.Client) {
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", testLabel))
	cs, _ := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	for _, c := range cs {
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Logf("remove container %s: %v", c.ID, err)
		}
	}
	ns, _ := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	for _, n := range ns {
		if err := cli.NetworkRemove(ctx, n.ID); err != nil {
			t.Logf("remove network %s: %v", n.Name, err)
		}
	}
	vs, _ := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	for _, v := range vs.Volumes {
		if err := cli.VolumeRemove(ctx, v.Name, true); err != nil {
			t.Logf("remove volume %s: %v", v.Name, err)
		}
	}
}

func TestRealEngine(t *testing.T) {
	host, image := testEngine(t)
	cli, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	e := buildEstate(t, cli, image)

	c, err := docker.New(docker.Config{Name: "erp-1", Host: host})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "docker", c)
	if out.Err != nil {
		t.Fatalf("collect: %v", out.Err)
	}
	if len(out.Warnings) > 0 {
		t.Errorf("warnings: %v", out.Warnings)
	}
	collectorstest.AssertAbsent(t, []string{canaryDSN, canaryPG, canaryAuth}, out.JSON())

	id := func(kind, native string) string { return "docker:" + kind + ":erp-1/" + native }
	eng := out.Node(t, "docker:engine:erp-1")
	if eng.Str("server_version") == "" || eng.Str("engine_id") == "" || eng.Str("swarm_state") != "inactive" {
		t.Errorf("engine attrs: %v", eng.Attrs)
	}
	if _, ok := eng.Attrs["host"]; ok {
		t.Errorf("a unix-socket engine has no remote host attr: %v", eng.Attrs["host"])
	}
	if v := eng.Str("api_version"); v != "1.41" {
		t.Errorf("negotiated api_version = %q, want the Debian 20.10 engine's 1.41", v)
	}

	odooID, dbID, proxyID, sideID := id("container", e.odoo), id("container", e.db), id("container", e.proxy), id("container", e.sidecar)
	odoo, db, proxy := out.Node(t, odooID), out.Node(t, dbID), out.Node(t, proxyID)
	if odoo.Name != "erp-odoo-1" || odoo.Str("state") != "running" || odoo.Str("restart_policy") != "always" {
		t.Errorf("odoo: name %q attrs %v", odoo.Name, odoo.Attrs)
	}
	if db.Str("health") != "healthy" || db.Str("restart_policy") != "unless-stopped" {
		t.Errorf("db health/restart: %v", db.Attrs)
	}
	wantAttrs := map[string]any{
		"env.DATABASE_URL.host":     "db",
		"env.DATABASE_URL.port":     int64(5432),
		"env.DATABASE_URL.database": "acme",
		"env.DATABASE_URL.user":     "odoo",
		"env.DATABASE_URL.scheme":   "postgres",
		"env.DB_HOST.host":          "db",
		"env.HOST.host":             "db",
		"env.SMTP_SERVER.host":      "smtp.sendgrid.net",
		"env.SMTP_SERVER.port":      int64(587),
		"compose.project":           "erp",
		"compose.service":           "odoo",
		"compose.oneoff":            false,
	}
	for k, want := range wantAttrs {
		if got := odoo.Attrs[k]; got != want {
			t.Errorf("odoo %s = %#v, want %#v", k, got, want)
		}
	}
	for _, absent := range []string{"env.PGPASSWORD.host", "env.USER.host", "env.LISTEN_ADDR.host"} {
		if v, ok := odoo.Attrs[absent]; ok {
			t.Errorf("odoo has %s = %v", absent, v)
		}
	}
	hasAll := func(n string, attr string, want ...string) {
		t.Helper()
		node := out.Node(t, n)
		got, _ := node.AttrValues(attr)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s %s = %v, missing %q", n, attr, got, w)
			}
		}
	}
	hasAll(odooID, "env_keys", "DATABASE_URL", "DB_HOST", "PGPASSWORD", "HOST")
	hasAll(odooID, "network_aliases", "odoo", "erp-odoo-1")
	hasAll(odooID, "networks", "erp_backend", "erp_default")
	hasAll(odooID, "exposed_ports", "8069/tcp")
	hasAll(dbID, "network_aliases", "db")
	hasAll(dbID, "volumes", "erp_db-data")
	hasAll(proxyID, "proxy_domains", "erp.acme-coffee.com", "shop-erp.acme-coffee.com", "www.erp.acme-coffee.com")
	if ips, _ := odoo.AttrValues("ips"); len(ips) != 2 {
		t.Errorf("odoo ips = %v, want one per network", ips)
	}
	if pp, _ := odoo.AttrValues("published_ports"); len(pp) != 1 || !strings.HasPrefix(pp[0], "127.0.0.1:") || !strings.HasSuffix(pp[0], "->8069/tcp") {
		t.Errorf("odoo published_ports = %v", pp)
	}
	for k := range proxy.Attrs {
		if strings.Contains(k, "basicauth") {
			t.Errorf("secret-named label kept: %s", k)
		}
	}
	if proxy.Str("label.traefik.enable") != "true" {
		t.Errorf("plain label dropped: %v", proxy.Attrs)
	}

	img := odoo.Str("image_id")
	proj, svcOdoo, svcDB, svcProxy := id("compose_project", "erp"), id("compose_service", "erp/odoo"), id("compose_service", "erp/db"), id("compose_service", "erp/proxy")
	edges := []struct{ from, typ, to string }{
		{"docker:engine:erp-1", "contains", proj},
		{"docker:engine:erp-1", "contains", id("network", e.backend)},
		{"docker:engine:erp-1", "contains", id("volume", "erp_db-data")},
		{odooID, "runs", id("image", img)},
		{odooID, "attached_to", id("network", e.backend)},
		{odooID, "attached_to", id("network", e.frontend)},
		{proxyID, "attached_to", id("network", e.frontend)},
		{dbID, "attached_to", id("network", e.backend)},
		{dbID, "mounts", id("volume", "erp_db-data")},
		{odooID, "links_to", dbID},
		{sideID, "shares_netns", odooID},
		{proj, "contains", svcOdoo},
		{proj, "contains", svcDB},
		{svcOdoo, "contains", odooID},
		{svcDB, "contains", dbID},
		{svcOdoo, "depends_on", svcDB},
		{svcProxy, "depends_on", svcOdoo},
	}
	for _, x := range edges {
		if !out.HasEdge(x.from, x.typ, x.to) {
			t.Errorf("missing edge %s -%s-> %s", x.from, x.typ, x.to)
		}
	}
	if t.Failed() {
		t.Logf("odoo: %v", odoo.Attrs)
		t.Logf("sidecar: %v", out.Node(t, sideID).Attrs)
	}
	if out.HasEdge("docker:engine:erp-1", "contains", odooID) {
		t.Error("a Compose container has one containment parent, its service")
	}
	if out.HasEdge(proxyID, "attached_to", id("network", e.backend)) {
		t.Error("proxy is not on the backend network")
	}
	if out.HasEdge(svcDB, "depends_on", svcOdoo) {
		t.Error("depends_on points from the dependent to its dependency")
	}
	if n := out.Node(t, id("image", img)); !slices.Contains(n.Attrs["repo_tags"].([]string), image) || n.Name != image {
		t.Errorf("image node %v", n)
	}
	backend := out.Node(t, id("network", e.backend))
	if backend.Attrs["internal"] != true || backend.Str("driver") != "bridge" || backend.Attrs["containers"] != int64(2) {
		t.Errorf("backend network attrs %v", backend.Attrs)
	}
	if p := out.Node(t, proj); p.Str("working_dir") != "/srv/erp" {
		t.Errorf("project attrs %v", p.Attrs)
	}
	if s := out.Node(t, svcOdoo); !slices.Equal(s.Attrs["depends_on"].([]string), []string{"db:service_healthy"}) {
		t.Errorf("odoo service depends_on = %v", s.Attrs["depends_on"])
	}
}

// TestUnreachableEngine: a socket nobody listens on fails the instance with a clear message.
func TestUnreachableEngine(t *testing.T) {
	sock := "unix://" + t.TempDir() + "/nothing.sock"
	c, err := docker.New(docker.Config{Name: "gone", Host: sock})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "docker", c)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "docker engine gone unreachable at "+sock) {
		t.Fatalf("err = %v", out.Err)
	}
	if len(out.Nodes) != 0 {
		t.Errorf("emitted %d nodes for an unreachable engine", len(out.Nodes))
	}
}

// TestSSHUnreachable goes through the docker CLI's ssh connection helper (the ssh binary) to a
// port nobody listens on: the instance fails with the engine's name and address.
func TestSSHUnreachable(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh client")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	host := "ssh://nobody@127.0.0.1:" + port
	c, err := docker.New(docker.Config{Name: "edge", Host: host})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := collectorstest.CollectContext(t, ctx, "docker", c)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "docker engine edge") || !strings.Contains(out.Err.Error(), host) {
		t.Fatalf("err = %v", out.Err)
	}
	// ssh's own words come first, not after the helper's command line
	if want := host + ": ssh: connect to host 127.0.0.1 port " + port + ": Connection refused (ssh,"; !strings.Contains(out.Err.Error(), want) {
		t.Errorf("err = %v\nwant it to contain %q", out.Err, want)
	}
	t.Log(out.Err)
}
