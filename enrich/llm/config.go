package llm

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/infragraph/infragraph/evidence"
)

// DefaultBaseURL is the Vercel AI Gateway's OpenAI-compatible endpoint.
const DefaultBaseURL = "https://ai-gateway.vercel.sh/v1"

// DefaultTimeout is the LLM stage's time budget, like a collector's default timeout.
const DefaultTimeout = 5 * time.Minute

// Defaults: the cheap tier first, escalation to a stronger model for undecided pairs, and an
// availability fallback for each call.
var (
	DefaultModels    = []string{"anthropic/claude-haiku-4.5", "anthropic/claude-sonnet-4.5"}
	DefaultFallbacks = []string{"openai/gpt-5-mini"}
)

// Config configures the LLM enricher. Only cmd/discover reads the environment (CredentialsFromEnv
// takes a getenv function).
type Config struct {
	Mode string `yaml:"mode"` // off, auto (default: on when credentials exist), on
	// BaseURL of an OpenAI-compatible API (default: the Vercel AI Gateway).
	BaseURL string          `yaml:"base_url"`
	APIKey  evidence.Secret `yaml:"-"`
	// KeySource names where the key came from, for messages ("AI_GATEWAY_API_KEY").
	KeySource string `yaml:"-"`
	// Models are the cascade tiers, cheapest first: pairs a tier leaves undecided go to the next.
	Models []string `yaml:"models"`
	// Fallbacks serve when a tier's model fails: the Vercel AI Gateway tries them itself (sent
	// as providerOptions.gateway.models); against other servers the client tries them (see
	// Enricher.complete: one mechanism, never both).
	Fallbacks []string `yaml:"fallbacks"`
	// ZeroDataRetention and DisallowPromptTraining ask the gateway to route only to providers
	// that promise so (may leave no provider for some models).
	ZeroDataRetention      bool `yaml:"zero_data_retention"`
	DisallowPromptTraining bool `yaml:"disallow_prompt_training"`
	// GatewayOptions sends providerOptions.gateway (model fallbacks, routing policy); default:
	// only when BaseURL is the Vercel AI Gateway.
	GatewayOptions *bool         `yaml:"gateway_options"`
	BatchSize      int           `yaml:"batch_size"` // candidate pairs per call (default 12)
	Workers        int           `yaml:"workers"`    // concurrent calls (default 4)
	MaxCalls       int           `yaml:"max_calls"`  // per scan (default 40)
	MaxTokens      int           `yaml:"max_tokens"` // per scan, prompt + completion (default 400000)
	MaxPairs       int           `yaml:"max_pairs"`  // candidate pairs considered (default 400)
	CallTimeout    time.Duration `yaml:"call_timeout"`
	// Narratives is how many systems get a model-written narrative in INFRA.md per scan, the
	// most connected first (default 20; -1: none). They share the scan's MaxCalls and MaxTokens
	// with edge proposals, which go first.
	Narratives int `yaml:"narratives"`
	// Timeout is the whole stage's time budget (default 5m, flag --llm-timeout): past it no call
	// starts, retries do not wait past it (a Retry-After beyond it fails the call at once), and
	// the stage ends with the proposals it has, its error saying the budget ran out.
	Timeout time.Duration `yaml:"timeout"`
	// Retention is how long the audit log keeps a scan's records and the response cache an
	// entry (default 90 days, DefaultRetention): older ones are deleted at the next scan.
	Retention time.Duration `yaml:"retention"`
	// CacheDir holds decisions per candidate pair, keyed by the pair's redacted cards: an
	// unchanged pair costs no call next scan.
	CacheDir string `yaml:"-"`
	// Key is the installation key for secret placeholders (HMAC); set by the caller.
	Key []byte `yaml:"-"`
}

func (c *Config) defaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if len(c.Models) == 0 {
		c.Models = DefaultModels
	}
	if c.Fallbacks == nil {
		c.Fallbacks = DefaultFallbacks
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 12
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 40
	}
	if c.MaxTokens <= 0 {
		c.MaxTokens = 400000
	}
	if c.MaxPairs <= 0 {
		c.MaxPairs = 400
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 90 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	c.Retention = c.RetentionOrDefault()
}

// RetentionOrDefault is Retention, or DefaultRetention when unset: the CLI prunes the audit log
// and the cache every scan, with the LLM on or off.
func (c *Config) RetentionOrDefault() time.Duration {
	if c.Retention <= 0 {
		return DefaultRetention
	}
	return c.Retention
}

func (c *Config) sendsGatewayOptions() bool {
	if c.GatewayOptions != nil {
		return *c.GatewayOptions
	}
	return strings.Contains(c.BaseURL, "ai-gateway.vercel.sh")
}

// Validate checks the configuration. Errors start with the field's yaml name.
func (c *Config) Validate() error {
	switch c.Mode {
	case "", "off", "auto", "on":
	default:
		return fmt.Errorf("mode: must be off, auto or on, not %q", c.Mode)
	}
	for _, m := range append(append([]string(nil), c.Models...), c.Fallbacks...) {
		if strings.TrimSpace(m) == "" {
			return errors.New("models: empty model id")
		}
	}
	if c.BatchSize < 0 || c.Workers < 0 || c.MaxCalls < 0 || c.MaxTokens < 0 {
		return errors.New("batch_size: limits must not be negative")
	}
	if c.Timeout < 0 {
		return errors.New("timeout: must not be negative")
	}
	if c.Retention < 0 {
		return errors.New("retention: must not be negative (e.g. 2160h for 90 days)")
	}
	if c.Narratives < -1 {
		return errors.New("narratives: must be -1 (none), 0 (the default) or more")
	}
	return nil
}

// Credentials are how to reach the model API.
type Credentials struct {
	Key     evidence.Secret
	Source  string // the variable it came from
	BaseURL string // from DISCOVER_LLM_BASE_URL, if set
}

// CredentialsFromEnv finds a key: DISCOVER_LLM_API_KEY (with DISCOVER_LLM_BASE_URL, for any
// OpenAI-compatible server), else AI_GATEWAY_API_KEY, else VERCEL_OIDC_TOKEN (a 12-hour JWT: an
// expired one is an error that says to run `vercel env pull`). now is the clock.
func CredentialsFromEnv(getenv func(string) string, now time.Time) (Credentials, error) {
	c := Credentials{BaseURL: getenv("DISCOVER_LLM_BASE_URL")}
	switch {
	case getenv("DISCOVER_LLM_API_KEY") != "":
		c.Key, c.Source = evidence.Secret(getenv("DISCOVER_LLM_API_KEY")), "DISCOVER_LLM_API_KEY"
	case getenv("AI_GATEWAY_API_KEY") != "":
		c.Key, c.Source = evidence.Secret(getenv("AI_GATEWAY_API_KEY")), "AI_GATEWAY_API_KEY"
	case getenv("VERCEL_OIDC_TOKEN") != "":
		tok := getenv("VERCEL_OIDC_TOKEN")
		exp, err := jwtExpiry(tok)
		if err != nil {
			return Credentials{}, fmt.Errorf("VERCEL_OIDC_TOKEN is not a valid JWT (%v): run `vercel env pull` to fetch a fresh one", err)
		}
		if !exp.IsZero() && !now.Before(exp) {
			return Credentials{}, fmt.Errorf("VERCEL_OIDC_TOKEN expired at %s (they last 12 hours): run `vercel env pull` to refresh it", exp.UTC().Format(time.RFC3339))
		}
		c.Key, c.Source = evidence.Secret(tok), "VERCEL_OIDC_TOKEN"
	case c.BaseURL != "" && isLocal(c.BaseURL):
		c.Source = "DISCOVER_LLM_BASE_URL (no key: a local server)"
	}
	return c, nil
}

// Found reports whether credentials (or a keyless local server) were found.
func (c Credentials) Found() bool { return c.Key.Set() || c.Source != "" }

func isLocal(u string) bool {
	return strings.Contains(u, "://localhost") || strings.Contains(u, "://127.0.0.1") || strings.Contains(u, "://[::1]")
}

// jwtExpiry reads a JWT's exp claim without verifying it (the gateway verifies it; we only want
// to fail early with a useful message).
func jwtExpiry(tok string) (time.Time, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, errors.New("not three dot-separated parts")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, errors.New("payload is not base64url")
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		return time.Time{}, errors.New("payload is not JSON")
	}
	if claims.Exp == 0 {
		return time.Time{}, nil
	}
	return time.Unix(int64(claims.Exp), 0), nil
}
