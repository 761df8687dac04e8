package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestRestoreOnTheDemo: `discover query restore` on the demo names the Odoo instance and the
// storefront as a dependency cycle (the storefront reads ODOO_URL, an Odoo server action calls the
// storefront's domain), puts the droplet before the engine before the Compose project, and prints
// what the README shows.
func TestRestoreOnTheDemo(t *testing.T) {
	dir, _, _ := runDemo(t, nil)
	e, out, errb := testEnv(nil)
	if code := runEnv(context.Background(), []string{"query", "--graph", dir, "restore", "erp-odoo-1"}, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	got := out.String()
	if !strings.Contains(got, "odoo:instance:erp.acme-coffee.com <-> vercel:project:prj_storefront") {
		t.Errorf("the demo's cycle is not named:\n%s", got)
	}
	d, g, c := strings.Index(got, "digitalocean:droplet:1001"), strings.Index(got, "docker:engine:erp-1\n"), strings.Index(got, "docker:compose_project:erp-1/erp\n")
	if d < 0 || g < d || c < g {
		t.Errorf("not dependencies first:\n%s", got)
	}
	readme, _ := os.ReadFile("../../README.md")
	if !strings.Contains(string(readme), "$ discover query restore erp-odoo-1\n"+got+"```") {
		t.Errorf("the README's example should read:\n%s", got)
	}
}
