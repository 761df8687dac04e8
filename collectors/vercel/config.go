package vercel

import (
	"errors"
	"net/url"
	"time"

	"github.com/infragraph/infragraph/evidence"
)

// DefaultAPIURL is Vercel's REST API.
const DefaultAPIURL = "https://api.vercel.com"

// Config is one Vercel scope set: a token and the teams it scans (none: the token's personal
// scope and every team it can see).
type Config struct {
	Name    string          `yaml:"name"`
	Token   evidence.Secret `yaml:"token"`
	TeamIDs []string        `yaml:"teams"` // team ids (team_…) or slugs
	APIURL  string          `yaml:"api_url"`
	// ReadEncrypted reads `encrypted` env-var values one by one (in memory only) to extract hosts.
	// Default true; `sensitive` values are never readable.
	ReadEncrypted *bool         `yaml:"read_encrypted"`
	Timeout       time.Duration `yaml:"timeout"`
}

// ConfigFromEnv builds the default instance from VERCEL_TOKEN, VERCEL_TEAM_ID and VERCEL_API_URL.
func ConfigFromEnv(getenv func(string) string) (Config, bool) {
	c := Config{Name: "default", Token: evidence.Secret(getenv("VERCEL_TOKEN")), APIURL: getenv("VERCEL_API_URL")}
	if t := getenv("VERCEL_TEAM_ID"); t != "" {
		c.TeamIDs = []string{t}
	}
	return c, c.Token.Set()
}

// Validate checks the config. Errors start with the offending field's yaml name.
func (c *Config) Validate() error {
	if !c.Token.Set() {
		return errors.New("token: required (set VERCEL_TOKEN or token: ${VERCEL_TOKEN})")
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || u.Scheme == "" || u.Host == "" {
			return errors.New("api_url: not an absolute URL")
		}
	}
	return nil
}

// Credentials names what configures this provider, for "skipped" hints.
const Credentials = "VERCEL_TOKEN (and optionally VERCEL_TEAM_ID)"
