package history

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

func scanGraph(t *testing.T, id string) *graph.Graph {
	return mustGraph(t, id, []graph.Node{n("digitalocean:droplet:"+id, id, nil)}, nil)
}

func TestStoreSaveCompressPrune(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	ids := []string{"20261120T060000Z", "20261120T120000Z", "20261121T060000Z", "20261121T120000Z"}
	for _, id := range ids {
		if _, err := s.Save(scanGraph(t, id), 3); err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 3 || snaps[0].ID != ids[1] || snaps[2].ID != ids[3] {
		t.Fatalf("retention kept %+v", snaps)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "scans", ids[0])); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("oldest snapshot not pruned: %v", err)
	}
	for i, sn := range snaps {
		gz := strings.HasSuffix(sn.Path, ".gz")
		if gz != (i < 2) {
			t.Errorf("%s: compressed=%v", sn.Path, gz)
		}
		g, err := LoadFile(sn.Path)
		if err != nil || !g.HasNode("digitalocean:droplet:"+sn.ID) {
			t.Errorf("%s: %v", sn.Path, err)
		}
	}
	// a directory that is not a scan is never touched
	other := filepath.Join(s.Dir, "scans", "notes")
	os.MkdirAll(other, 0o755)
	if _, err := s.Save(scanGraph(t, "20261122T060000Z"), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("pruning removed a foreign directory: %v", err)
	}
	if snaps, _ := s.List(); len(snaps) != 1 {
		t.Errorf("keep 1: %+v", snaps)
	}
	if _, err := s.Save(scanGraph(t, "../../etc"), 0); err == nil {
		t.Error("a scan id that is not a timestamp was accepted")
	}
}

func TestStoreResolve(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if _, err := s.Resolve("latest"); err == nil || !strings.Contains(err.Error(), "no scans") {
		t.Errorf("empty: %v", err)
	}
	for _, id := range []string{"20261120T060000Z", "20261120T120000Z", "20261121T060000Z"} {
		s.Save(scanGraph(t, id), 0)
	}
	for ref, want := range map[string]string{
		"latest": "20261121T060000Z", "previous": "20261120T120000Z", "20261120T060000Z": "20261120T060000Z",
		"20261121": "20261121T060000Z", "20261120T12": "20261120T120000Z",
	} {
		sn, err := s.Resolve(ref)
		if err != nil || sn.ID != want {
			t.Errorf("Resolve(%q) = %+v, %v; want %s", ref, sn, err, want)
		}
	}
	if _, err := s.Resolve("20261120"); err == nil || !strings.Contains(err.Error(), "ambiguous: 20261120T060000Z, 20261120T120000Z") {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := s.Resolve("2025"); err == nil || !strings.Contains(err.Error(), "from 20261120T060000Z to 20261121T060000Z") {
		t.Errorf("missing: %v", err)
	}
}

func TestStorePrevious(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if g, skipped, err := s.Previous(); g != nil || skipped != nil || err != nil {
		t.Fatalf("empty directory: %v %v %v", g, skipped, err)
	}
	// an output directory written before history existed: the top-level graph.json
	top := scanGraph(t, "20261119T060000Z")
	f, _ := os.Create(filepath.Join(s.Dir, "graph.json"))
	graph.Encode(f, top)
	f.Close()
	if g, _, err := s.Previous(); err != nil || g.Scan.ID != "20261119T060000Z" {
		t.Fatalf("top-level: %v %v", g, err)
	}
	s.Save(scanGraph(t, "20261120T060000Z"), 0)
	s.Save(scanGraph(t, "20261121T060000Z"), 0)
	// the newest snapshot is damaged: the one before it is used, and the damage reported
	os.WriteFile(filepath.Join(s.Dir, "scans", "20261121T060000Z", "graph.json"), []byte(`{"nodes": [`), 0o644)
	g, skipped, err := s.Previous()
	if err != nil || g.Scan.ID != "20261120T060000Z" || len(skipped) != 1 || !strings.Contains(skipped[0].Error(), "20261121T060000Z") {
		t.Fatalf("damaged newest: %v %v %v", g, skipped, err)
	}
	// nothing decodes: an error, never an empty history that would forget every stale node
	os.WriteFile(filepath.Join(s.Dir, "scans", "20261120T060000Z", "graph.json.gz"), []byte("not gzip"), 0o644)
	os.WriteFile(filepath.Join(s.Dir, "graph.json"), []byte("{"), 0o644)
	if _, _, err := s.Previous(); err == nil || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("all damaged: %v", err)
	}
}
