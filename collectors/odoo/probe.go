package odoo

import (
	"context"
	"fmt"
)

// Probe asks the server's version and logs in to the configured database (or the first one the
// server lists): no record is read.
func (c *Collector) Probe(ctx context.Context) error {
	if _, err := c.tr.version(ctx); err != nil {
		return fmt.Errorf("odoo: reach %s: %w", c.host, err)
	}
	db := c.cfg.Database
	if db == "" {
		dbs, err := c.tr.listDBs(ctx)
		if err != nil || len(dbs) == 0 {
			return fmt.Errorf("odoo: %s does not list its databases: set database in the configuration (ODOO_DB)", c.host)
		}
		db = dbs[0]
	}
	uid, err := c.tr.login(ctx, db)
	switch {
	case err == nil && uid == 0, isKind(err, errDenied):
		return fmt.Errorf("odoo: authentication failed for user %s on database %s", c.cfg.Username, db)
	case err != nil:
		return fmt.Errorf("odoo: authenticate on database %s: %w", db, err)
	}
	return nil
}
