package odoo

import (
	"context"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/evidence"
)

// Provider is Odoo, as collectors/all lists it.
var Provider = collectors.Provider{
	Name:        "odoo",
	Title:       "Odoo",
	Credentials: Credentials,
	Env: map[string][]string{"url": {"ODOO_URL"}, "password": {"ODOO_PASSWORD"}, "api_key": {"ODOO_API_KEY"},
		"database": {"ODOO_DB"}, "username": {"ODOO_USERNAME"}},
	OriginFields: []string{"url", "username", "password", "api_key"},
	Config: collectors.Section[Config]{
		FromEnv:  func(getenv func(string) string, _ func(string) bool) (Config, bool) { return ConfigFromEnv(getenv) },
		Validate: (*Config).Validate,
		New:      func(c Config) (collectors.Collector, error) { return New(c) },
	},
	Demo: demo,
}

// DemoURL is the demo instance's public address; the collector keeps it (it is the instance's
// identity) while its requests go to the fake.
const DemoURL = "https://erp.acme-coffee.com"

// demo serves the Acme estate's recorded XML-RPC API (Odoo 17).
func demo(_ context.Context, d *collectors.Demo) error {
	est := odoofake.MustLoad("demo")
	fake := odoofake.New(est, odoofake.Options{Version: 17})
	url := d.Serve(fake)
	c, err := New(Config{Name: "erp", URL: DemoURL, Database: "acme", Username: "admin",
		Password: evidence.Secret(demoPassword(est)),
		// The fake is in-process: the default 5 requests/second politeness toward a real server
		// would only slow the demo down.
		RequestsPerSecond: 200,
	}, WithHTTPClient(odoofake.Redirect(url)))
	d.Note("odoo: fake XML-RPC server (Odoo 17) on " + url + " answering for " + DemoURL)
	return d.Add("odoo", "erp", c, err)
}

// demoPassword is the demo admin's password, read from the estate rather than repeated here.
func demoPassword(est *odoofake.Estate) string {
	for _, u := range est.Databases["acme"].Users {
		if u.Login == "admin" {
			return u.Password
		}
	}
	return ""
}
