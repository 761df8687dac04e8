package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/graph"
)

// rawControl matches what must never reach a terminal from a name: C0 but newline and tab, DEL,
// C1, line separators and bidi controls.
var rawControl = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

// TestHumanOutputEscapesControls is issue #26 item 21: names carrying ESC/OSC sequences, CR and
// bidi overrides were printed raw by query, diff and scan's stderr summary. Every human printer
// escapes them; --json stays JSON.
func TestHumanOutputEscapesControls(t *testing.T) {
	dir := t.TempDir()
	evil := "evil\x1b]0;pwned\x07\x1b[2J\rFAKE\u202egnp.exe\u2066\t\n\u009b"
	second := "erp-1"
	inst := collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: fakeCollector(func(ctx context.Context, emit graph.Emitter) error {
		emit.Node(graph.Node{ID: "digitalocean:droplet:1001", Kind: "droplet", Provider: "digitalocean", Name: second, Attrs: graph.Attrs{"region": evil}})
		emit.Node(graph.Node{ID: "digitalocean:droplet:" + evil, Kind: "droplet", Provider: "digitalocean", Name: evil})
		emit.Node(graph.Node{ID: "digitalocean:droplet:1003", Kind: "droplet", Provider: "digitalocean", Name: evil})
		emit.Edge(graph.Observe("digitalocean:droplet:1001", "digitalocean:droplet:"+evil, "depends_on"))
		emit.Warn(errors.New("list firewalls: " + evil))
		emit.Warn(errors.New("firewalls:\x1b]0;pwned\x07\u202e")) // no space: not quoted before
		if second != "erp-1" {
			emit.Node(graph.Node{ID: "digitalocean:droplet:new" + evil, Kind: "droplet", Provider: "digitalocean", Name: "n"})
		}
		return nil
	})}
	t1 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	for i, name := range []string{"erp-1", evil} {
		second = name
		e, _, errb := testEnv(nil)
		withInstances(e, inst)
		e.Now = clockAt(t1.Add(time.Duration(i) * time.Hour))
		if code := runEnv(context.Background(), []string{"scan", "--out", dir}, e); code != exitOK {
			t.Fatalf("scan %d: exit %d: %s", i, code, errb)
		}
		if rawControl.MatchString(errb.String()) {
			t.Errorf("scan %d's stderr holds raw control characters: %q", i, errb)
		}
		if !strings.Contains(errb.String(), `\x1b`) && i == 0 {
			t.Errorf("scan's stderr lost the warning: %q", errb)
		}
	}
	bad := filepath.Join(dir, "bad.json") // validate quotes the ids of the nodes it rejects
	os.WriteFile(bad, []byte(`{"schema_version":"1.0.0","scan":{},"collectors":[],"nodes":[{"id":"vercel:nope:\u001b]0;x\u0007","kind":"nope","provider":"vercel","name":"x"}],"edges":[]}`), 0o644)
	for _, args := range [][]string{
		{"query", "--graph", dir},
		{"query", "--graph", dir, "--name", "evil"},
		{"query", "--graph", dir, "show", "1001"},
		{"query", "--graph", dir, "show", "digitalocean:droplet:" + evil},
		{"query", "--graph", dir, "deps", "1001"},
		{"query", "--graph", dir, "impact", "digitalocean:droplet:" + evil},
		{"query", "--graph", dir, "path", "1001", "digitalocean:droplet:" + evil},
		{"query", "--graph", dir, "show", evil}, // ambiguous: an error listing the candidates
		{"diff", "--out", dir},
		{"validate", bad},
	} {
		e, out, errb := testEnv(nil)
		runEnv(context.Background(), args, e)
		if out.Len() == 0 && errb.Len() == 0 {
			t.Errorf("%q printed nothing", args)
		}
		if rawControl.MatchString(out.String()) || rawControl.MatchString(errb.String()) {
			t.Errorf("%q printed raw control characters:\n%q\n%q", args, out, errb)
		}
	}
	e, out, _ := testEnv(nil)
	if code := runEnv(context.Background(), []string{"query", "--graph", dir, "--name", "evil", "--json"}, e); code != exitOK || !strings.Contains(out.String(), `\u001b]0;pwned`) {
		t.Errorf("--json: exit %d, %s", code, out)
	}
}

// hostileProbe is a collector whose probe fails with a provider message full of controls.
type hostileProbe struct{ fakeCollector }

func (hostileProbe) Probe(context.Context) error {
	return errors.New("GET /v2/account: 401: \x1b]0;pwned\x07\x1b[2J\rall good\u202e\nfake line")
}

// TestDoctorEscapesControls: doctor prints a provider's error for each failed probe (issue #26
// item 21).
func TestDoctorEscapesControls(t *testing.T) {
	e, out, errb := testEnv(nil)
	withInstances(e, collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: hostileProbe{fakeCollector(func(context.Context, graph.Emitter) error { return nil })}})
	runEnv(context.Background(), []string{"doctor"}, e)
	if !strings.Contains(out.String(), `\x1b]0;pwned`) {
		t.Fatalf("doctor did not report the probe's error:\n%q", out)
	}
	if rawControl.MatchString(out.String()) || rawControl.MatchString(errb.String()) || strings.Contains(out.String(), "\nfake line") {
		t.Errorf("doctor printed raw control characters:\n%q\n%q", out, errb)
	}
}
