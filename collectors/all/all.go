// Package all is the one explicit list of providers. Adding a provider means adding its package's
// Provider here, nowhere else: configuration, the demo, renderers and the CLI read it from this
// list (see README.md, "Adding a provider").
package all

import (
	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/digitalocean"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/odoo"
	"github.com/infragraph/infragraph/collectors/supabase"
	"github.com/infragraph/infragraph/collectors/vercel"
)

// Registry lists every provider, in the order their config sections are read.
var Registry = collectors.NewRegistry(
	vercel.Provider,
	supabase.Provider,
	odoo.Provider,
	digitalocean.Provider,
	docker.Provider,
)

// Providers names every provider, sorted: the order they are reported in.
var Providers = Registry.Names()
