package supabase

import (
	"context"
	"fmt"
	"sort"

	"github.com/infragraph/infragraph/evidence"
)

// Probe lists the token's organizations (GET /v1/organizations) and connects to each configured
// database (no query runs).
func (c *Collector) Probe(ctx context.Context) error {
	if c.api != nil {
		if _, err := c.api.organizations(ctx); err != nil {
			return fmt.Errorf("supabase: %w", err)
		}
	}
	dbs := map[string]evidence.Secret{}
	for ref, dsn := range c.cfg.Databases {
		dbs["databases."+ref] = dsn
	}
	if c.cfg.DBURL.Set() {
		dbs["db_url"] = c.cfg.DBURL
	}
	refs := make([]string, 0, len(dbs))
	for ref := range dbs {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		conn, _, err := connect(ctx, dbs[ref])
		if err != nil {
			return fmt.Errorf("supabase: database %s: %w", ref, err)
		}
		conn.Close(context.WithoutCancel(ctx))
	}
	return nil
}
