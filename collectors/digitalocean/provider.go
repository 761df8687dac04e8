package digitalocean

import (
	"context"

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

// demo serves the Acme estate's recorded API v2.
func demo(_ context.Context, d *collectors.Demo) error {
	fake := digitaloceanfake.New(digitaloceanfake.MustLoad("demo"))
	url := d.Serve(fake)
	c, err := New(Config{Name: "acme", Token: digitaloceanfake.Token, APIURL: url})
	d.Note("digitalocean: fake API v2 on " + url)
	return d.Add("digitalocean", "acme", c, err)
}
