package vercel

import (
	"context"
	"fmt"
)

// Probe reads the token's user (GET /v2/user): one call any valid token may make.
func (c *Collector) Probe(ctx context.Context) error {
	if _, err := c.client.User(ctx); err != nil {
		return fmt.Errorf("vercel: %w", err)
	}
	return nil
}
