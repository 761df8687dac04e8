package vercel

import (
	"context"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

// Provider is Vercel, as collectors/all lists it.
var Provider = collectors.Provider{
	Name:         "vercel",
	Title:        "Vercel",
	Credentials:  Credentials,
	Env:          map[string][]string{"token": {"VERCEL_TOKEN"}, "api_url": {"VERCEL_API_URL"}},
	OriginFields: []string{"token", "api_url"},
	Config: collectors.Section[Config]{
		FromEnv:  func(getenv func(string) string, _ func(string) bool) (Config, bool) { return ConfigFromEnv(getenv) },
		Validate: (*Config).Validate,
		New:      func(c Config) (collectors.Collector, error) { return New(c) },
	},
	Demo: demo,
}

// demo serves the Acme estate's recorded REST API.
func demo(_ context.Context, d *collectors.Demo) error {
	fake := vercelfake.New(vercelfake.MustLoad("demo"))
	url := d.Serve(fake)
	c, err := New(Config{Name: "acme", Token: "demo-token", APIURL: url})
	d.Note("vercel: fake REST API on " + url)
	return d.Add("vercel", "acme", c, err)
}
