// Package docker collects one Docker engine into the graph: the engine, its containers, images,
// networks and volumes, the Compose projects and services its container labels describe, and in
// swarm mode (on a manager) the swarm's nodes, services and tasks.
//
// It reads the Engine API through github.com/docker/docker/client with API version negotiation,
// over a unix socket, tcp:// (with TLS) or ssh:// (the docker CLI's connection helper). Container
// environment values are secrets: only variable names and the non-secret facts evidence derives
// from URL, DSN and host values are kept.
package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"golang.org/x/sync/errgroup"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
)

// Collector collects one configured engine.
type Collector struct {
	cfg  Config
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Option adjusts a Collector.
type Option func(*Collector)

// WithDialer opens the collector's connections with dial instead of dialling cfg.Host, which
// stays the engine's address in the graph. The demo uses it to read a recorded engine served on
// a loopback port as the socket it was recorded from, so two demo scans give the same graph.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *Collector) { c.dial = dial }
}

// New returns a collector for cfg.
func New(cfg Config, opts ...Option) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "local"
	}
	c := &Collector{cfg: cfg}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// inspectParallel bounds concurrent inspect calls over unix://, tcp:// and npipe://. The Engine
// API documents no rate or concurrency limit, and an inspect is a read of the daemon's in-memory
// state under the object's lock: the engine serves each connection on its own, so the pool only
// bounds the connections a scan holds (one per inspect in flight; 256 stays far under the
// descriptor limits of both ends: Go raises a process's soft limit to its hard limit, and so
// does dockerd). A remote engine 50 ms away reads 300 containers in two rounds, not ten.
//
// Over ssh:// each connection is an ssh session, and sshd throttles concurrent unauthenticated
// connections (MaxStartups, 10 by default, sshd_config(5)): stay well below.
const (
	inspectParallel    = 256
	inspectParallelSSH = 3
)

func parallelism(host string) int {
	if strings.HasPrefix(host, "ssh://") {
		return inspectParallelSSH
	}
	return inspectParallel
}

// snapshot is everything read from one engine, before it is mapped to the graph.
type snapshot struct {
	Info       system.Info
	APIVersion string
	Containers []container.InspectResponse
	Images     []image.Summary
	Networks   []network.Inspect
	Volumes    []*volume.Volume
	Services   []swarm.Service
	Tasks      []swarm.Task
	Nodes      []swarm.Node
}

// Collect reads the engine and emits its graph. An engine that cannot be reached (or whose Info
// fails) fails the instance; a resource family that fails is a warning and the rest is kept.
func (c *Collector) Collect(ctx context.Context, emit graph.Emitter) error {
	cli, err := newClient(c.cfg, c.dial)
	if err != nil {
		return fmt.Errorf("docker engine %s at %s: %w", c.cfg.Name, endpoint(c.cfg.Host), scrub(c.cfg.Host, err))
	}
	defer cli.Close()
	s, err := read(ctx, cli, parallelism(c.cfg.Host), scrubWarnings{emit, c.cfg.Host})
	if err != nil {
		err = sshCause(scrub(c.cfg.Host, err))
		if errors.Is(err, errInfo) && (client.IsErrConnectionFailed(err) || errors.Is(err, context.DeadlineExceeded) || isDialErr(err)) {
			return fmt.Errorf("docker engine %s unreachable at %s: %w", c.cfg.Name, endpoint(c.cfg.Host), err)
		}
		return fmt.Errorf("docker engine %s at %s: %w", c.cfg.Name, endpoint(c.cfg.Host), err)
	}
	mapSnapshot(c.cfg, s, emit)
	return nil
}

// scrubWarnings passes the collector's warnings through scrub.
type scrubWarnings struct {
	graph.Emitter
	host string
}

func (s scrubWarnings) Warn(err error) { s.Emitter.Warn(scrub(s.host, err)) }

// errInfo marks a failure of the first call, Info: the engine did not answer at all.
var errInfo = errors.New("engine info")

// read fetches the snapshot. Only Info is required; every other family warns on failure. A
// context that ends midway fails the read: a half-read engine is not reported as complete.
func read(ctx context.Context, cli *client.Client, parallel int, emit graph.Emitter) (snapshot, error) {
	var s snapshot
	// Info is the one call that must answer, and the families need nothing from it but whether
	// swarm objects are readable: the others are asked beside it (after the one version
	// negotiation every call waits for). An Info that fails stops them, and what they would
	// have warned is dropped: the read fails with Info's error, as when they waited for it.
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	held := &collectors.HeldWarnings{Emitter: emit}
	var info system.Info
	var infoErr error
	var infoDone sync.WaitGroup
	infoDone.Go(func() {
		if info, infoErr = cli.Info(lctx); infoErr != nil {
			stop()
		}
	})
	// Every family but Info is a warning when it fails ("list images: ..."); a cancelled read
	// fails as a whole, below.
	warn := func(what string, err error) { _ = collectors.Families{Emit: held}.Check(lctx, what, err) }

	// The families are read at once, each into its own field; the inspects of containers and
	// networks share one pool of slots, so no more than parallel of them are in flight.
	slots := make(chan struct{}, parallel)
	families := []func(){
		func() {
			if list, err := cli.ContainerList(lctx, container.ListOptions{All: true}); err != nil {
				warn("list containers", err)
			} else {
				s.Containers = inspectContainers(lctx, cli, list, slots, held)
			}
		},
		func() {
			if list, err := cli.ImageList(lctx, image.ListOptions{All: false}); err != nil {
				warn("list images", err)
			} else {
				s.Images = list
			}
		},
		func() {
			if list, err := cli.NetworkList(lctx, network.ListOptions{}); err != nil {
				warn("list networks", err)
			} else {
				s.Networks = inspectNetworks(lctx, cli, list, slots, held)
			}
		},
		func() {
			if list, err := cli.VolumeList(lctx, volume.ListOptions{}); err != nil {
				warn("list volumes", err)
			} else {
				s.Volumes = list.Volumes
			}
		},
	}
	var wg sync.WaitGroup
	for _, f := range families {
		wg.Go(f)
	}
	infoDone.Wait()
	if infoErr != nil {
		wg.Wait()
		return s, fmt.Errorf("%w: %w", errInfo, infoErr)
	}
	s.Info = info
	s.APIVersion = cli.ClientVersion()
	// Swarm objects are only readable on a manager; a worker answers 503.
	if info.Swarm.ControlAvailable {
		for _, f := range []func(){
			func() {
				if list, err := cli.NodeList(lctx, swarm.NodeListOptions{}); err != nil {
					warn("list swarm nodes", err)
				} else {
					s.Nodes = list
				}
			},
			func() {
				if list, err := cli.ServiceList(lctx, swarm.ServiceListOptions{}); err != nil {
					warn("list swarm services", err)
				} else {
					s.Services = list
				}
			},
			func() {
				if list, err := cli.TaskList(lctx, swarm.TaskListOptions{}); err != nil {
					warn("list swarm tasks", err)
				} else {
					s.Tasks = list
				}
			},
		} {
			wg.Go(f)
		}
	}
	wg.Wait()
	held.Pass()
	if ctx.Err() != nil {
		return s, fmt.Errorf("read cut short: %w", ctx.Err())
	}
	return s, nil
}

// inspectContainers inspects every listed container (the list omits env, aliases, restart policy
// and links). A container removed meanwhile is skipped; any other failure keeps what the list
// said and warns once.
func inspectContainers(ctx context.Context, cli *client.Client, list []container.Summary, slots chan struct{}, emit graph.Emitter) []container.InspectResponse {
	return inspectAll(ctx, emit, slots, "containers", list,
		func(s container.Summary) string { return shortID(s.ID) },
		func(ctx context.Context, s container.Summary) (container.InspectResponse, error) {
			return cli.ContainerInspect(ctx, s.ID)
		}, fromSummary)
}

// inspectNetworks inspects every network: only inspect fills Containers.
func inspectNetworks(ctx context.Context, cli *client.Client, list []network.Summary, slots chan struct{}, emit graph.Emitter) []network.Inspect {
	return inspectAll(ctx, emit, slots, "networks", list,
		func(n network.Summary) string { return n.Name },
		func(ctx context.Context, n network.Summary) (network.Inspect, error) {
			return cli.NetworkInspect(ctx, n.ID, network.InspectOptions{})
		}, func(n network.Summary) network.Inspect { return n })
}

// inspectAll inspects each listed object, as many at a time as slots has room for (a pool shared
// with the other family being inspected), keeping the list order. Objects removed since the list
// (404) are dropped; other failures keep the list entry (fallback) and are reported in one
// warning.
func inspectAll[S, R any](ctx context.Context, emit graph.Emitter, slots chan struct{}, what string, list []S, name func(S) string,
	inspect func(context.Context, S) (R, error), fallback func(S) R) []R {
	out := make([]R, len(list))
	keep := make([]bool, len(list))
	var mu sync.Mutex
	var failed []string
	var firstErr error
	var g errgroup.Group
	g.SetLimit(cap(slots)) // no more goroutines than can hold a slot
	for i, item := range list {
		g.Go(func() error {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			defer func() { <-slots }()
			if ctx.Err() != nil {
				return nil
			}
			r, err := inspect(ctx, item)
			switch {
			case err == nil:
				out[i], keep[i] = r, true
			case cerrdefs.IsNotFound(err):
			default:
				out[i], keep[i] = fallback(item), true
				mu.Lock()
				failed = append(failed, name(item))
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	if len(failed) > 0 && ctx.Err() == nil {
		sort.Strings(failed)
		emit.Warn(fmt.Errorf("inspect %d %s (%v), kept their list data: %w", len(failed), what, failed, firstErr))
	}
	res := make([]R, 0, len(list))
	for i := range out {
		if keep[i] {
			res = append(res, out[i])
		}
	}
	return res
}

// fromSummary keeps what the container list says when inspect failed.
func fromSummary(s container.Summary) container.InspectResponse {
	name := ""
	if len(s.Names) > 0 {
		name = s.Names[0]
	}
	r := container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID:         s.ID,
			Name:       name,
			Image:      s.ImageID,
			State:      &container.State{Status: s.State},
			HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(s.HostConfig.NetworkMode)},
		},
		Config: &container.Config{Image: s.Image, Labels: s.Labels},
		Mounts: s.Mounts,
	}
	if s.NetworkSettings != nil {
		r.NetworkSettings = &container.NetworkSettings{Networks: s.NetworkSettings.Networks}
	}
	return r
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// sshError leads with what ssh itself said when the docker CLI's ssh connection helper failed
// ("ssh: connect to host edge-1 port 22: Connection refused", "Permission denied (publickey)"):
// the client's own message puts it last, after the helper's command line and a hint about Docker
// versions that is rarely the cause.
type sshError struct {
	said string
	err  error
}

func (e *sshError) Error() string {
	return e.said + " (ssh, run by the docker connection helper: check the host, the port, and your keys or ~/.ssh/config)"
}

func (e *sshError) Unwrap() error { return e.err }

// sshCause wraps err in an sshError when it carries the ssh helper's stderr; else returns it.
func sshCause(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	i := strings.LastIndex(msg, "stderr=")
	if i < 0 || !strings.Contains(msg, "dial-stdio") {
		return err
	}
	var lines []string
	for _, l := range strings.Split(msg[i+len("stderr="):], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	said := strings.Join(lines, "; ")
	if said == "" {
		return err
	}
	return &sshError{said: said, err: err}
}
