package docker

import (
	"context"
	"fmt"
)

// Probe pings the engine (GET /_ping), over the same connection a scan uses (the socket, TLS
// with its certificates, or ssh with its keys).
func (c *Collector) Probe(ctx context.Context) error {
	cli, err := newClient(c.cfg, c.dial)
	if err != nil {
		return fmt.Errorf("docker engine %s at %s: %w", c.cfg.Name, endpoint(c.cfg.Host), scrub(c.cfg.Host, err))
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx); err != nil {
		return fmt.Errorf("docker engine %s unreachable at %s: %w", c.cfg.Name, endpoint(c.cfg.Host), sshCause(scrub(c.cfg.Host, err)))
	}
	return nil
}
