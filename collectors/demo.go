package collectors

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/infragraph/infragraph/evidence"
)

// Demo is what a provider's demo part (Provider.Demo) works with: it serves the provider's fake
// API on 127.0.0.1 and adds the instances that read it. Package demo makes one, calls every
// provider's part and runs the scan over what they added.
type Demo struct {
	// PostgresDSN is a superuser connection string of a real PostgreSQL, or unset: a provider
	// whose demo reads a database asks Database for one.
	PostgresDSN evidence.Secret
	// Database creates a fresh temporary database on PostgresDSN's server, loads sql into it
	// (without its pg_cron statements: pg_cron installs only in the database cron.database_name
	// names) and returns its connection string and name; it is dropped when the demo closes.
	Database func(ctx context.Context, sql string) (dsn evidence.Secret, name string, err error)
	// Drift asks for the estate "a week later" (`discover scan --demo --demo-drift`): a part
	// alters its loaded fake estate in memory with a few changes the alerts package flags (an
	// exposure opened, a new external host, a deployment from an unknown repository). Unset, the
	// estate is exactly the recorded one.
	Drift bool

	// Instances are the collectors the parts added, Notes say what each part is made of.
	Instances []Instance
	Notes     []string
	closers   []func() error
}

// Serve starts h on 127.0.0.1 (httptest binds the loopback interface) until the demo closes and
// returns its URL.
func (d *Demo) Serve(h http.Handler) string {
	srv := httptest.NewServer(h)
	d.OnClose(func() error { srv.Close(); return nil })
	return srv.URL
}

// OnClose runs f when the demo closes (in reverse order of registration).
func (d *Demo) OnClose(f func() error) { d.closers = append(d.closers, f) }

// Note adds a line saying what the demo is made of, for the log.
func (d *Demo) Note(s string) { d.Notes = append(d.Notes, s) }

// Add adds the instance provider/name reading c; err is New's error.
func (d *Demo) Add(provider, name string, c Collector, err error) error {
	if err != nil {
		return fmt.Errorf("demo %s collector: %w", provider, err)
	}
	d.Instances = append(d.Instances, Instance{Provider: provider, Name: name, Collector: c})
	return nil
}

// Closers returns the close functions registered so far, last first, and forgets them.
func (d *Demo) Closers() []func() error {
	out := make([]func() error, 0, len(d.closers))
	for i := len(d.closers) - 1; i >= 0; i-- {
		out = append(out, d.closers[i])
	}
	d.closers = nil
	return out
}
