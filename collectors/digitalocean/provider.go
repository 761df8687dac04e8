package digitalocean

import (
	"context"
	"encoding/json"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
)

// Provider is DigitalOcean, as collectors/all lists it.
var Provider = collectors.Provider{
	Name:         "digitalocean",
	Title:        "DigitalOcean",
	Credentials:  Credentials,
	Env:          map[string][]string{"token": {"DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"}, "api_url": {"DIGITALOCEAN_API_URL"}},
	OriginFields: []string{"token", "api_url"},
	Config: collectors.Section[Config]{
		FromEnv:  func(getenv func(string) string, _ func(string) bool) (Config, bool) { return ConfigFromEnv(getenv) },
		Validate: (*Config).Validate,
		New:      func(c Config) (collectors.Collector, error) { return New(c) },
	},
	Demo: demo,
}

// demo serves the Acme estate's recorded API v2 (with d.Drift: acme-pg opened to 0.0.0.0/0).
func demo(_ context.Context, d *collectors.Demo) error {
	e := digitaloceanfake.MustLoad("demo")
	if d.Drift {
		driftDemo(e)
	}
	fake := digitaloceanfake.New(e)
	url := d.Serve(fake)
	c, err := New(Config{Name: "acme", Token: digitaloceanfake.Token, APIURL: url})
	d.Note("digitalocean: fake API v2 on " + url)
	return d.Add("digitalocean", "acme", c, err)
}

// driftDemo is the week's drift of the demo's DigitalOcean account: someone debugging a
// connection added a trusted source 0.0.0.0/0 to every database cluster (Acme has one, acme-pg).
func driftDemo(e *digitaloceanfake.Estate) {
	for id, rules := range e.DatabaseFirewall {
		e.DatabaseFirewall[id] = append(rules, json.RawMessage(`{"uuid":"d7e1f0a2-5b3c-4e8d-9f60-1a2b3c4d5e6f","cluster_uuid":"`+id+`","type":"ip_addr","value":"0.0.0.0/0","created_at":"2026-11-27T09:12:00Z"}`))
	}
}
