package docker

import (
	"errors"
	"strings"
	"time"
)

// Config is one Docker engine.
type Config struct {
	Name string `yaml:"name"`
	// Host is a DOCKER_HOST-style address: unix:///var/run/docker.sock, tcp://h:2376, ssh://u@h.
	Host string `yaml:"host"`
	// CertPath is a directory with ca.pem, cert.pem and key.pem for tcp:// with TLS.
	CertPath  string        `yaml:"cert_path"`
	TLSVerify bool          `yaml:"tls_verify"`
	Timeout   time.Duration `yaml:"timeout"`
	// HostAddress is the engine machine's hostname or IP when Host does not name it (a local
	// socket on the machine itself, an ssh tunnel): it becomes the engine's host/host_ip
	// identity, which ties the engine to the machine (a droplet) it runs on.
	HostAddress string `yaml:"host_address"`
}

// ConfigFromEnv builds the default instance from Docker's own variables (DOCKER_HOST,
// DOCKER_CERT_PATH, DOCKER_TLS_VERIFY). Without DOCKER_HOST the default socket is used when it
// exists: exists reports whether a path exists.
func ConfigFromEnv(getenv func(string) string, exists func(string) bool) (Config, bool) {
	c := Config{Name: "local", Host: getenv("DOCKER_HOST"), CertPath: getenv("DOCKER_CERT_PATH"), TLSVerify: getenv("DOCKER_TLS_VERIFY") != ""}
	if c.Host != "" {
		return c, true
	}
	if exists != nil && exists("/var/run/docker.sock") {
		c.Host = "unix:///var/run/docker.sock"
		return c, true
	}
	return c, false
}

// Validate checks the config. Errors start with the offending field's yaml name.
func (c *Config) Validate() error {
	if c.Host == "" {
		return errors.New("host: required (unix://, tcp:// or ssh:// address)")
	}
	ok := false
	for _, p := range []string{"unix://", "tcp://", "ssh://", "npipe://", "http://", "https://"} {
		if strings.HasPrefix(c.Host, p) {
			ok = true
		}
	}
	if !ok {
		return errors.New("host: must start with unix://, tcp:// or ssh://")
	}
	if c.HostAddress != "" && (strings.ContainsAny(c.HostAddress, "/@ ") || strings.Contains(c.HostAddress, "://")) {
		return errors.New("host_address: a hostname or IP address, without scheme, user or path")
	}
	return nil
}

// Credentials names what configures this provider, for "skipped" hints.
const Credentials = "DOCKER_HOST (or a Docker socket at /var/run/docker.sock)"
