package digitalocean

import (
	"errors"
	"net/url"
	"time"

	"github.com/infragraph/infragraph/evidence"
)

// Config is one DigitalOcean account.
type Config struct {
	Name    string          `yaml:"name"`
	Token   evidence.Secret `yaml:"token"`
	APIURL  string          `yaml:"api_url"`
	Timeout time.Duration   `yaml:"timeout"`
}

// ConfigFromEnv builds the default instance from DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN,
// as doctl reads it) and DIGITALOCEAN_API_URL.
func ConfigFromEnv(getenv func(string) string) (Config, bool) {
	tok := getenv("DIGITALOCEAN_TOKEN")
	if tok == "" {
		tok = getenv("DIGITALOCEAN_ACCESS_TOKEN")
	}
	c := Config{Name: "default", Token: evidence.Secret(tok), APIURL: getenv("DIGITALOCEAN_API_URL")}
	return c, c.Token.Set()
}

// Validate checks the config. Errors start with the offending field's yaml name.
func (c *Config) Validate() error {
	if !c.Token.Set() {
		return errors.New("token: required (set DIGITALOCEAN_TOKEN or token: ${DIGITALOCEAN_TOKEN})")
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || u.Scheme == "" || u.Host == "" {
			return errors.New("api_url: not an absolute URL")
		}
	}
	return nil
}

// Credentials names what configures this provider, for "skipped" hints.
const Credentials = "DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN)"
