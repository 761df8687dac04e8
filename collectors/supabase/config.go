package supabase

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/infragraph/infragraph/evidence"
)

// DefaultAPIURL is the Supabase Management API.
const DefaultAPIURL = "https://api.supabase.com"

// Config is one Supabase account (a personal access token) and the databases whose catalogs are
// read.
type Config struct {
	Name        string          `yaml:"name"`
	AccessToken evidence.Secret `yaml:"access_token"`
	APIURL      string          `yaml:"api_url"`
	// Databases maps a project ref to a connection string for the catalog reader.
	Databases map[string]evidence.Secret `yaml:"databases"`
	// DBURL is a connection string for a single project (SUPABASE_DB_URL); its ref is taken from
	// the host or pooler user.
	DBURL   evidence.Secret `yaml:"db_url"`
	Timeout time.Duration   `yaml:"timeout"`
	// RequestsPerMinute caps Management API calls across all endpoints (default: no cap beyond
	// the API's own, 120 a minute per scope and endpoint; see DefaultRequestsPerMinute).
	RequestsPerMinute int `yaml:"requests_per_minute"`
	// APICatalog reads the catalog of every active project without a connection string through
	// the Management API's read-only query endpoint (default true; api_catalog: false turns it
	// off, and only configured connection strings are read).
	APICatalog *bool `yaml:"api_catalog"`
}

// apiCatalog reports whether catalogs are read through the Management API.
func (c *Config) apiCatalog() bool { return c.APICatalog == nil || *c.APICatalog }

var refRE = regexp.MustCompile(`^[a-z]{20}$`)

// ConfigFromEnv builds the default instance from SUPABASE_ACCESS_TOKEN, SUPABASE_DB_URL and
// SUPABASE_API_URL.
func ConfigFromEnv(getenv func(string) string) (Config, bool) {
	c := Config{Name: "default", AccessToken: evidence.Secret(getenv("SUPABASE_ACCESS_TOKEN")),
		DBURL: evidence.Secret(getenv("SUPABASE_DB_URL")), APIURL: getenv("SUPABASE_API_URL")}
	return c, c.AccessToken.Set() || c.DBURL.Set()
}

// Validate checks the config. Errors start with the offending field's yaml name.
func (c *Config) Validate() error {
	if !c.AccessToken.Set() && !c.DBURL.Set() && len(c.Databases) == 0 {
		return errors.New("access_token: required unless db_url or databases is set (SUPABASE_ACCESS_TOKEN)")
	}
	for ref := range c.Databases {
		if !refRE.MatchString(ref) {
			return fmt.Errorf("databases: %q is not a project ref (20 lower-case letters)", ref)
		}
	}
	if c.RequestsPerMinute < 0 {
		return errors.New("requests_per_minute: must not be negative")
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || u.Scheme == "" || u.Host == "" {
			return errors.New("api_url: not an absolute URL")
		}
	}
	return nil
}

// Credentials names what configures this provider, for "skipped" hints.
const Credentials = "SUPABASE_ACCESS_TOKEN and/or SUPABASE_DB_URL"
