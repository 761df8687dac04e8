package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/collectors"
)

// TestScanRefusesSymlinksInOut is issue #26 item 16: links planted inside --out were followed.
// ".lock" to a file truncated it; "diagrams" to a directory wrote there and deleted the user's own
// .mmd files in it; "scans" to a directory put snapshots there (and pruned in it). Each is refused
// with an error naming the link, and what it points to is left as it was.
func TestScanRefusesSymlinksInOut(t *testing.T) {
	for _, link := range []string{".lock", "diagrams", "scans"} {
		t.Run(link, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			victim := filepath.Join(dir, "victim")
			var want map[string]string
			if link == ".lock" {
				os.WriteFile(victim, []byte("precious\n"), 0o644)
			} else {
				os.Mkdir(victim, 0o755)
				os.WriteFile(filepath.Join(victim, "mine.mmd"), []byte("flowchart LR\n  a --> b\n"), 0o644)
				want = map[string]string{"mine.mmd": "flowchart LR\n  a --> b\n"}
			}
			os.Mkdir(out, 0o755)
			if err := os.Symlink(victim, filepath.Join(out, link)); err != nil {
				t.Fatal(err)
			}
			fail := false
			e, _, errb := testEnv(nil)
			withInstances(e, collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)})
			e.Now = clockAt(time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
			if code := runEnv(context.Background(), []string{"scan", "--out", out}, e); code == exitOK {
				t.Errorf("scan wrote through %s: exit 0", link)
			}
			if !strings.Contains(errb.String(), filepath.Join(out, link)+" is a symbolic link") {
				t.Errorf("the error does not name the link: %s", errb)
			}
			if link == ".lock" {
				if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
					t.Errorf("the lock's target was changed: %q", b)
				}
				return
			}
			got := map[string]string{}
			ents, _ := os.ReadDir(victim)
			for _, en := range ents {
				b, _ := os.ReadFile(filepath.Join(victim, en.Name()))
				got[en.Name()] = string(b)
			}
			if len(got) != len(want) || got["mine.mmd"] != want["mine.mmd"] {
				t.Errorf("the linked directory changed: %v", got)
			}
		})
	}
}

// TestScanRemovesEmptySnapshotDirs is issue #26 item 22: empty scans/<id>/ directories left by
// killed or out-of-space scans piled up. The next scan removes them (and one holding only an
// interrupted write's temp file), and nothing else: not a directory holding anything else, not
// one whose name is not a scan id.
func TestScanRemovesEmptySnapshotDirs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	scans := filepath.Join(out, "scans")
	for _, d := range []string{"20261101T000000Z", "20261102T000000Z", "20261103T000000Z", "mine"} {
		os.MkdirAll(filepath.Join(scans, d), 0o755)
	}
	os.WriteFile(filepath.Join(scans, "20261102T000000Z", ".graph.json.tmp-123"), []byte("{"), 0o644)
	os.WriteFile(filepath.Join(scans, "20261103T000000Z", "notes.txt"), []byte("mine"), 0o644)
	fail := false
	e, _, errb := testEnv(nil)
	withInstances(e, collectors.Instance{Provider: "digitalocean", Name: "prod", Collector: droplets(&fail)})
	e.Now = clockAt(time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	if code := runEnv(context.Background(), []string{"scan", "--out", out}, e); code != exitOK {
		t.Fatalf("scan: exit %d: %s", code, errb)
	}
	var left []string
	ents, _ := os.ReadDir(scans)
	for _, en := range ents {
		left = append(left, en.Name())
	}
	if strings.Join(left, " ") != "20261103T000000Z 20261120T060000Z mine" {
		t.Errorf("scans/ holds %v", left)
	}
	if !strings.Contains(errb.String(), "removed empty snapshot directories") {
		t.Errorf("the scan does not say what it removed: %s", errb)
	}
}
