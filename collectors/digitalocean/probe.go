package digitalocean

import (
	"context"
	"fmt"
	"net/http"
)

// Probe reads the account (GET /v2/account), as Collect does beside its listings. A token without
// account:read (403) still lists resources, so it passes.
func (c *Collector) Probe(ctx context.Context) error {
	api, err := c.newClient()
	if err != nil {
		return fmt.Errorf("digitalocean: %w", err)
	}
	_, _, err = api.Account.Get(ctx)
	switch {
	case statusOf(err) == http.StatusUnauthorized:
		return errTokenRejected
	case statusOf(err) == http.StatusForbidden:
		return nil
	case err != nil:
		return fmt.Errorf("digitalocean: get account: %w", err)
	}
	return nil
}
