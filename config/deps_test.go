package config

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/all"
)

// config decodes provider sections through the registry: it imports no provider package, so the
// import graph runs one way (collectors/all -> providers; config -> collectors), and adding a
// provider touches no file here (issue #22).
func TestNoProviderImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !strings.Contains(string(out), "github.com/infragraph/infragraph/collectors\n") {
		t.Fatalf("go list -deps printed no plausible list:\n%s", out)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/infragraph/infragraph/collectors/") {
			t.Errorf("config depends on %s", d)
		}
	}
	// The check would see a provider package by its path: each one listed is under collectors/.
	for _, name := range all.Providers {
		if !strings.Contains(strings.Join(providerPaths(t), " "), "/collectors/"+name) {
			t.Errorf("provider %s is not a package under collectors/", name)
		}
	}
}

// providerPaths lists the packages collectors/all imports.
func providerPaths(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, "../collectors/all").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}
