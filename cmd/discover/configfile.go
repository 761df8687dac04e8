package main

import "path/filepath"

// configFile finds the configuration file when --config is not given: $DISCOVER_CONFIG, then
// ./infragraph.yaml, then $XDG_CONFIG_HOME/infragraph/config.yaml ($HOME/.config when
// XDG_CONFIG_HOME is unset, per the XDG base directory spec). from says which rule found it;
// path is "" when there is none (providers are then configured by their environment variables).
func configFile(e *env, flag string) (path, from string) {
	if flag != "" {
		return flag, "--config"
	}
	if p := e.Getenv("DISCOVER_CONFIG"); p != "" {
		return p, "$DISCOVER_CONFIG"
	}
	if e.Exists("infragraph.yaml") {
		return "infragraph.yaml", "the working directory"
	}
	dir := e.Getenv("XDG_CONFIG_HOME")
	if dir == "" && e.Getenv("HOME") != "" {
		dir = filepath.Join(e.Getenv("HOME"), ".config")
	}
	if dir != "" {
		if p := filepath.Join(dir, "infragraph", "config.yaml"); e.Exists(p) {
			return p, "$XDG_CONFIG_HOME"
		}
	}
	return "", ""
}
