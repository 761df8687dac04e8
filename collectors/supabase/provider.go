package supabase

import (
	"context"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/evidence"
)

// Provider is Supabase, as collectors/all lists it.
var Provider = collectors.Provider{
	Name:         "supabase",
	Title:        "Supabase",
	Credentials:  Credentials,
	Env:          map[string][]string{"access_token": {"SUPABASE_ACCESS_TOKEN"}, "db_url": {"SUPABASE_DB_URL"}, "api_url": {"SUPABASE_API_URL"}},
	OriginFields: []string{"access_token", "db_url", "api_url"},
	Config: collectors.Section[Config]{
		FromEnv:  func(getenv func(string) string, _ func(string) bool) (Config, bool) { return ConfigFromEnv(getenv) },
		Validate: (*Config).Validate,
		New:      func(c Config) (collectors.Collector, error) { return New(c) },
	},
	Demo: demo,
}

// demo serves the Acme estate's Management API. With a PostgreSQL the catalog is read the way a
// token alone reads it: the fake's read-only query endpoint runs the collector's SQL in a
// temporary database holding the estate's schema. Without one the fake has nothing to run it on,
// and the catalog half is reported skipped.
func demo(ctx context.Context, d *collectors.Demo) error {
	est := supabasefake.Demo()
	opts := supabasefake.Options{}
	apiCatalog := d.PostgresDSN.Set()
	if apiCatalog {
		dsn, name, err := d.Database(ctx, supabasefake.DemoSQL())
		if err != nil {
			return err
		}
		d.Note("supabase: catalog loaded into the temporary database " + name + " (dropped afterwards); the pg_cron job notify-orders is left out, since pg_cron installs only in cron.database_name")
		opts.Databases = map[string]string{est.Refs()[0]: dsn.Reveal()}
	}
	url := d.Serve(supabasefake.New(est, opts))
	cfg := Config{Name: "acme", AccessToken: evidence.Secret(est.Token), APIURL: url, APICatalog: &apiCatalog}
	d.Note("supabase: fake Management API on " + url)
	c, err := New(cfg)
	if err := d.Add("supabase", "acme", c, err); err != nil {
		return err
	}
	if !apiCatalog {
		d.Instances = append(d.Instances, collectors.Instance{Provider: "supabase", Name: "acme-catalog",
			Skip: "demo: the database catalog half needs a real PostgreSQL (pass --demo-db DSN or set INFRAGRAPH_DEMO_PG_DSN)"})
	}
	return nil
}
