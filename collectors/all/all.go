// Package all is the one explicit list of collectors: it turns configuration into collector
// instances. Adding a provider means adding it here, nowhere else.
package all

import (
	"fmt"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/digitalocean"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/odoo"
	"github.com/infragraph/infragraph/collectors/supabase"
	"github.com/infragraph/infragraph/collectors/vercel"
	"github.com/infragraph/infragraph/config"
)

// Providers lists every provider, in the order they are reported.
var Providers = []string{"digitalocean", "docker", "odoo", "supabase", "vercel"}

// Credentials tells, per provider, what configures it (for skipped reasons and hints).
var Credentials = map[string]string{
	"digitalocean": digitalocean.Credentials,
	"docker":       docker.Credentials,
	"odoo":         odoo.Credentials,
	"supabase":     supabase.Credentials,
	"vercel":       vercel.Credentials,
}

// originFields are the settings a failure of each provider most likely needs changed: its
// credential and its endpoint (collectors.Instance.Origin names where each came from).
var originFields = map[string][]string{
	"vercel":       {"token", "api_url"},
	"digitalocean": {"token", "api_url"},
	"supabase":     {"access_token", "db_url", "api_url"},
	"odoo":         {"url", "username", "password", "api_key"},
	"docker":       {"host"},
}

// Instances builds one instance per configured provider instance, and a skipped instance for each
// provider that has none (with the reason and how to configure it).
func Instances(f *config.File) []collectors.Instance {
	var out []collectors.Instance
	add := func(provider string, i int, name string, timeout time.Duration, build func() (collectors.Collector, error)) {
		inst := collectors.Instance{Provider: provider, Name: name, Timeout: timeout,
			Origin: f.Origins(provider, i, originFields[provider]...)}
		c, err := build()
		if err != nil {
			inst.Skip = "invalid configuration: " + err.Error()
		} else {
			inst.Collector = c
		}
		out = append(out, inst)
	}
	for i, c := range f.Vercel {
		add("vercel", i, c.Name, c.Timeout, func() (collectors.Collector, error) { return vercel.New(c) })
	}
	for i, c := range f.Supabase {
		add("supabase", i, c.Name, c.Timeout, func() (collectors.Collector, error) { return supabase.New(c) })
	}
	for i, c := range f.Odoo {
		add("odoo", i, c.Name, c.Timeout, func() (collectors.Collector, error) { return odoo.New(c) })
	}
	for i, c := range f.DigitalOcean {
		add("digitalocean", i, c.Name, c.Timeout, func() (collectors.Collector, error) { return digitalocean.New(c) })
	}
	for i, c := range f.Docker {
		add("docker", i, c.Name, c.Timeout, func() (collectors.Collector, error) { return docker.New(c) })
	}
	have := map[string]bool{}
	for _, i := range out {
		have[i.Provider] = true
	}
	for _, p := range Providers {
		if !have[p] {
			out = append(out, collectors.Instance{Provider: p, Name: "default",
				Skip: fmt.Sprintf("not configured: set %s, or add a %s section to the config file", Credentials[p], p)})
		}
	}
	return out
}

// Filter applies --only and --skip: instances of excluded providers are kept, as excluded, so the
// output still says why they did not run and history keeps what they found unchanged.
func Filter(insts []collectors.Instance, only, skip []string) ([]collectors.Instance, error) {
	known := map[string]bool{}
	for _, p := range Providers {
		known[p] = true
	}
	in := func(list []string, p string) bool {
		for _, x := range list {
			if x == p {
				return true
			}
		}
		return false
	}
	for _, p := range append(append([]string(nil), only...), skip...) {
		if !known[p] {
			return nil, fmt.Errorf("unknown provider %q (known: %v)", p, Providers)
		}
	}
	out := make([]collectors.Instance, 0, len(insts))
	for _, i := range insts {
		switch {
		case len(only) > 0 && !in(only, i.Provider):
			i.Collector, i.Skip, i.Excluded = nil, "excluded by --only", true
		case in(skip, i.Provider):
			i.Collector, i.Skip, i.Excluded = nil, "excluded by --skip", true
		}
		out = append(out, i)
	}
	return out, nil
}
