// Package toy is the smallest complete provider: the one README.md's "Adding a provider" walks
// through, and the test that proves that walkthrough registers it with one line. It reads a
// made-up status-page service's API (GET /v1/sites with a bearer token); no provider by that name
// exists, and collectors/all does not list it.
package toy

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

// vocabulary declares the kinds the collector emits and the title renderers group them under.
//
//go:embed toy.yaml
var vocabulary []byte

// Provider is everything infragraph needs to know about the toy provider.
var Provider = collectors.Provider{
	Name:         "toy",
	Title:        "Toy status pages",
	Credentials:  "TOY_URL and TOY_TOKEN",
	Env:          map[string][]string{"url": {"TOY_URL"}, "token": {"TOY_TOKEN"}},
	OriginFields: []string{"token", "url"},
	Config: collectors.Section[Config]{
		FromEnv:  func(getenv func(string) string, _ func(string) bool) (Config, bool) { return ConfigFromEnv(getenv) },
		Validate: (*Config).Validate,
		New:      func(c Config) (collectors.Collector, error) { return New(c) },
	},
	Vocabulary: vocabulary,
}

// Config is one account: the `toy:` section of the config file is a list of them.
type Config struct {
	Name    string          `yaml:"name"`
	URL     string          `yaml:"url"`
	Token   evidence.Secret `yaml:"token"`
	Timeout time.Duration   `yaml:"timeout"`
}

// ConfigFromEnv builds the default instance from TOY_URL and TOY_TOKEN.
func ConfigFromEnv(getenv func(string) string) (Config, bool) {
	c := Config{Name: "default", URL: getenv("TOY_URL"), Token: evidence.Secret(getenv("TOY_TOKEN"))}
	return c, c.URL != ""
}

// Validate checks the config. Errors start with the offending field's yaml name: config turns
// that into the field's file and line.
func (c *Config) Validate() error {
	if u, err := url.Parse(c.URL); err != nil || u.Scheme == "" || u.Host == "" {
		return errors.New("url: not an absolute URL")
	}
	if !c.Token.Set() {
		return errors.New("token: required (set TOY_TOKEN or token: ${TOY_TOKEN})")
	}
	return nil
}

// Collector reads one account.
type Collector struct {
	cfg Config
	hc  *http.Client
}

// New returns a collector for cfg.
func New(cfg Config) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Collector{cfg: cfg, hc: &http.Client{}}, nil
}

// Collect emits the account and a node per site, the account containing each.
func (c *Collector) Collect(ctx context.Context, emit graph.Emitter) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.URL+"/v1/sites", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token.Reveal())
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("list sites: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("list sites: %s", resp.Status)
	}
	var sites []struct {
		Name string `json:"name"`
		Host string `json:"host"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sites); err != nil {
		return fmt.Errorf("list sites: %w", err)
	}
	account := graph.ID("toy", "account", c.cfg.Name)
	emit.Node(graph.Node{ID: account, Provider: "toy", Kind: "account", Name: c.cfg.Name})
	for _, s := range sites {
		id := graph.ID("toy", "site", s.Name)
		emit.Node(graph.Node{ID: id, Provider: "toy", Kind: "site", Name: s.Name, Attrs: graph.Attrs{"host": s.Host}})
		emit.Edge(graph.Edge{From: account, To: id, Type: "contains"})
	}
	return nil
}
