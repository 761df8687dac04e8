package odoo

import (
	"errors"
	"net/url"
	"time"

	"github.com/infragraph/infragraph/evidence"
)

// Config is one Odoo instance.
type Config struct {
	Name     string          `yaml:"name"`
	URL      string          `yaml:"url"`
	Database string          `yaml:"database"`
	Username string          `yaml:"username"`
	Password evidence.Secret `yaml:"password"` // a password or an API key
	APIKey   evidence.Secret `yaml:"api_key"`  // JSON-2 API (Odoo 19+) bearer key
	// Protocol is xmlrpc, jsonrpc or json2; empty picks by version: JSON-2 on Odoo 19+ when an
	// API key is set, XML-RPC otherwise.
	Protocol string `yaml:"protocol"`
	// RequestsPerSecond throttles calls (Odoo has no server-side limit); default 5.
	RequestsPerSecond float64       `yaml:"requests_per_second"`
	Timeout           time.Duration `yaml:"timeout"`
}

// ConfigFromEnv builds the default instance from ODOO_URL, ODOO_DB, ODOO_USERNAME, ODOO_PASSWORD
// and ODOO_API_KEY.
func ConfigFromEnv(getenv func(string) string) (Config, bool) {
	c := Config{Name: "default", URL: getenv("ODOO_URL"), Database: getenv("ODOO_DB"), Username: getenv("ODOO_USERNAME"),
		Password: evidence.Secret(getenv("ODOO_PASSWORD")), APIKey: evidence.Secret(getenv("ODOO_API_KEY"))}
	return c, c.URL != ""
}

// Validate checks the config. Errors start with the offending field's yaml name.
func (c *Config) Validate() error {
	if c.URL == "" {
		return errors.New("url: required (ODOO_URL)")
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("url: not an http(s) URL")
	}
	switch c.Protocol {
	case "", "xmlrpc", "jsonrpc", "json2":
	default:
		return errors.New("protocol: must be xmlrpc, jsonrpc or json2")
	}
	switch {
	case c.Protocol == "json2":
		if !c.APIKey.Set() {
			return errors.New("api_key: required for protocol json2 (ODOO_API_KEY)")
		}
	case c.Protocol == "" && c.APIKey.Set() && c.Username == "":
		// Automatic protocol with only an API key: JSON-2, which Odoo 19+ serves; an older
		// server is refused once its version is known.
	case c.Username == "" || !c.Password.Set() && !c.APIKey.Set():
		return errors.New("username: username and password (or api_key) are required (ODOO_USERNAME, ODOO_PASSWORD)")
	}
	if c.RequestsPerSecond < 0 {
		return errors.New("requests_per_second: must not be negative")
	}
	return nil
}

// Credentials names what configures this provider, for "skipped" hints.
const Credentials = "ODOO_URL, ODOO_DB, ODOO_USERNAME and ODOO_PASSWORD"
