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

// demo serves the Acme estate's recorded REST API (with d.Drift: a new external host and a
// production deployment from an unknown repository).
func demo(_ context.Context, d *collectors.Demo) error {
	e := vercelfake.MustLoad("demo")
	if d.Drift {
		driftDemo(e)
	}
	fake := vercelfake.New(e)
	url := d.Serve(fake)
	c, err := New(Config{Name: "acme", Token: "demo-token", APIURL: url})
	d.Note("vercel: fake REST API on " + url)
	return d.Add("vercel", "acme", c, err)
}

// driftDemo is the week's drift of the demo's Vercel team: storefront gained a plain variable
// sending events to a host nobody used before, and marketing was deployed to production from a
// repository of an agency's account.
func driftDemo(e *vercelfake.Estate) {
	for _, sc := range e.Scopes {
		for _, p := range sc.Projects {
			switch p["id"] {
			case "prj_storefront":
				sc.Env["prj_storefront"] = append(sc.Env["prj_storefront"], vercelfake.Object{
					"id": "env_sf_analytics", "key": "ANALYTICS_INGEST_URL", "type": "plain",
					"target": []any{"production"}, "value": "https://ingest.tracklytics.io/v1/events", "createdAt": 1764580000000})
			case "prj_marketing":
				dpl := vercelfake.Object{
					"uid": "dpl_marketing_drift", "name": "marketing", "projectId": "prj_marketing",
					"url": "marketing-q7w8e9-acme.vercel.app", "target": "production", "state": "READY", "readyState": "READY",
					"source": "git", "createdAt": 1764590000000, "created": 1764590000000,
					"meta": map[string]any{"githubCommitSha": "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c", "githubCommitRef": "main",
						"githubOrg": "pixelforge-agency", "githubRepo": "acme-landing", "githubCommitMessage": "Launch new landing page"}}
				sc.Deployments = append(sc.Deployments, dpl)
				target := map[string]any{"id": "dpl_marketing_drift", "url": "marketing-q7w8e9-acme.vercel.app", "target": "production", "readyState": "READY", "createdAt": 1764590000000}
				p["targets"] = map[string]any{"production": target}
				p["latestDeployments"] = []any{target}
			}
		}
	}
}
