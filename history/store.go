package history

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/output"
)

// Store is the history kept in an output directory: one snapshot per scan under
// scans/<scan id>/graph.json, the scan id being its UTC start ("20261121T060000Z"). The newest
// snapshot stays plain JSON; older ones are gzip-compressed (graph.json.gz). The top-level files
// of the directory are always the latest scan's.
type Store struct {
	Dir string
	// Now is the clock that tells a snapshot from the future (nil: time.Now).
	Now func() time.Time
}

// idLayout is a scan id's time layout.
const idLayout = "20060102T150405Z"

// skew is how far ahead of the clock a scan may be dated and still count: clocks of two machines
// writing one directory disagree by seconds, not hours.
const skew = 5 * time.Minute

// future reports whether a scan id (or a recorded RFC 3339 start) lies ahead of the clock: a
// snapshot dated 2099 would otherwise stay "latest" forever and every scan would build on it.
func (s Store) future(id, startedAt string) bool {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	limit := now().UTC().Add(skew)
	if t, err := time.Parse(idLayout, id); err == nil && t.After(limit) {
		return true
	}
	if t, err := time.Parse(time.RFC3339, startedAt); err == nil && t.After(limit) {
		return true
	}
	return false
}

// FutureError is a snapshot dated after the clock: it is ignored, never "latest" or "previous".
type FutureError struct{ Path, ID string }

func (e *FutureError) Error() string {
	return fmt.Sprintf("%s: scan %s is dated in the future; ignored (move it aside)", e.Path, e.ID)
}

// Future returns the snapshots List leaves out because their id is dated in the future.
func (s Store) Future() []Snapshot {
	var out []Snapshot
	for _, sn := range s.all() {
		if s.future(sn.ID, "") {
			out = append(out, sn)
		}
	}
	return out
}

// DefaultKeep is how many snapshots a store keeps by default.
const DefaultKeep = 30

const (
	scansDir  = output.ScansDir
	graphFile = output.GraphFile
	gzFile    = output.GraphGzFile
)

// scanIDShape is the shape of the ids scan.Run gives (UTC start, second precision).
var scanIDShape = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)

// isScanID reports whether s is a scan id: the shape, and a date that exists. Only directories
// named so are ever read, compressed or pruned; "99991399T000000Z" has the shape, sorts after
// every real id and cannot be dated, so it would stay latest forever (issue #26 item 11).
func isScanID(s string) bool {
	if !scanIDShape.MatchString(s) {
		return false
	}
	_, err := time.Parse(idLayout, s)
	return err == nil
}

// Snapshot is one stored scan.
type Snapshot struct {
	ID   string `json:"id"`
	Path string `json:"path"` // graph.json or graph.json.gz
}

// List returns the snapshots, oldest first, leaving out those dated in the future (see Future).
// A missing scans directory is an empty history.
func (s Store) List() ([]Snapshot, error) {
	all, err := s.list()
	out := all[:0]
	for _, sn := range all {
		if !s.future(sn.ID, "") {
			out = append(out, sn)
		}
	}
	return out, err
}

func (s Store) all() []Snapshot {
	all, _ := s.list()
	return all
}

func (s Store) list() ([]Snapshot, error) {
	ents, err := os.ReadDir(output.Layout{Dir: s.Dir}.Scans())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	var out []Snapshot
	for _, e := range ents {
		if !e.IsDir() || !isScanID(e.Name()) {
			continue
		}
		dir := output.Layout{Dir: s.Dir}.Scan(e.Name())
		for _, f := range []string{graphFile, gzFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				out = append(out, Snapshot{ID: e.Name(), Path: filepath.Join(dir, f)})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Save stores g as the newest snapshot (a scan with the same id, started within the same second,
// is replaced), compresses the older plain ones and removes all but the keep newest (keep <= 0
// keeps every snapshot). Every file is written atomically. It returns the snapshot's path.
func (s Store) Save(g *graph.Graph, keep int) (string, error) {
	id := g.Scan.ID
	if !isScanID(id) {
		return "", fmt.Errorf("save snapshot: scan id %q is not a UTC timestamp like 20261121T060000Z", id)
	}
	dir := output.Layout{Dir: s.Dir}.Scan(id)
	path := filepath.Join(dir, graphFile)
	if err := output.WriteFileIn(s.Dir, path, 0o644, func(w io.Writer) error { return graph.Encode(w, g) }); err != nil {
		return "", fmt.Errorf("save snapshot: %w", err)
	}
	if err := os.Remove(filepath.Join(dir, gzFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return path, fmt.Errorf("save snapshot: %w", err)
	}
	snaps, err := s.List()
	if err != nil {
		return path, err
	}
	for _, sn := range snaps {
		if sn.ID != id && filepath.Base(sn.Path) == graphFile {
			if err := compress(s.Dir, sn.Path); err != nil {
				return path, err
			}
		}
	}
	if keep > 0 && len(snaps) > keep {
		for _, sn := range snaps[:len(snaps)-keep] {
			if err := output.CheckIn(s.Dir, filepath.Dir(sn.Path)); err != nil {
				return path, fmt.Errorf("prune history: %w", err)
			}
			if err := os.RemoveAll(filepath.Dir(sn.Path)); err != nil {
				return path, fmt.Errorf("prune history: %w", err)
			}
		}
	}
	return path, nil
}

// compress replaces a plain snapshot by its gzip: the .gz is complete before the plain file goes.
// root is the store's directory (no symbolic link between it and path).
func compress(root, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("compress %s: %w", path, err)
	}
	gz := filepath.Join(filepath.Dir(path), gzFile)
	err = output.WriteFileIn(root, gz, 0o644, func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		if _, err := zw.Write(raw); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("compress %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("compress %s: %w", path, err)
	}
	return nil
}

// Resolve finds a snapshot by reference: "latest", "previous", a full scan id or an unambiguous
// prefix of one ("20261121" when that day has one scan).
func (s Store) Resolve(ref string) (Snapshot, error) {
	snaps, err := s.List()
	if err != nil {
		return Snapshot{}, err
	}
	if len(snaps) == 0 {
		return Snapshot{}, fmt.Errorf("no scans in the history of %s (scans/ is empty or missing)", s.Dir)
	}
	switch ref {
	case "latest":
		return snaps[len(snaps)-1], nil
	case "previous":
		if len(snaps) < 2 {
			return Snapshot{}, fmt.Errorf("the history of %s holds one scan; there is no previous one", s.Dir)
		}
		return snaps[len(snaps)-2], nil
	}
	var match []Snapshot
	for _, sn := range snaps {
		if sn.ID == ref {
			return sn, nil
		}
		if strings.HasPrefix(sn.ID, ref) {
			match = append(match, sn)
		}
	}
	switch len(match) {
	case 0:
		for _, sn := range s.Future() {
			if strings.HasPrefix(sn.ID, ref) {
				return Snapshot{}, &FutureError{Path: filepath.Dir(sn.Path), ID: sn.ID}
			}
		}
		return Snapshot{}, fmt.Errorf("no scan %q in the history of %s (from %s to %s)", ref, s.Dir, snaps[0].ID, snaps[len(snaps)-1].ID)
	case 1:
		return match[0], nil
	}
	ids := make([]string, len(match))
	for i, m := range match {
		ids[i] = m.ID
	}
	return Snapshot{}, fmt.Errorf("scan %q is ambiguous: %s", ref, strings.Join(ids, ", "))
}

// Previous returns the graph the next scan builds on: the newest snapshot that decodes, else the
// top-level graph.json (an output directory written before history existed), else nil. Snapshots
// that do not decode are reported in skipped and passed over, so one damaged file cannot make the
// next scan forget everything. It fails only when graphs exist and none decodes.
func (s Store) Previous() (g *graph.Graph, skipped []error, err error) {
	snaps, err := s.List()
	if err != nil {
		return nil, nil, err
	}
	for _, sn := range s.Future() {
		skipped = append(skipped, &FutureError{Path: filepath.Dir(sn.Path), ID: sn.ID})
	}
	broken := 0 // snapshots that do not decode (a future one decodes, and is passed over)
	for i := len(snaps) - 1; i >= 0; i-- {
		g, err := LoadFile(snaps[i].Path)
		if err == nil && s.future(g.Scan.ID, g.Scan.StartedAt) {
			// a directory named in the past holding a scan recorded in the future
			skipped = append(skipped, &FutureError{Path: snaps[i].Path, ID: g.Scan.ID})
			continue
		}
		if err == nil {
			return g, skipped, nil
		}
		broken++
		skipped = append(skipped, err)
	}
	top := filepath.Join(s.Dir, graphFile)
	g, err = LoadFile(top)
	switch {
	case err == nil && s.future(g.Scan.ID, g.Scan.StartedAt):
		return nil, append(skipped, &FutureError{Path: top, ID: g.Scan.ID}), nil
	case err == nil:
		return g, skipped, nil
	case errors.Is(err, fs.ErrNotExist) && broken == 0:
		return nil, skipped, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, skipped, fmt.Errorf("no earlier scan in %s decodes (%w); move the directory aside to start a new history", s.Dir, errors.Join(skipped...))
	}
	return nil, skipped, fmt.Errorf("previous scan %s: %w; move it aside to start a new history", top, err)
}

// LoadFile reads a graph.json, gzip-compressed when the name ends in .gz. A snapshot's plain
// graph.json that a later scan compressed is read from its graph.json.gz.
// It streams (Open): at most MaxGraphBytes of JSON are read.
func LoadFile(path string) (*graph.Graph, error) {
	path = Locate(path)
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	g, err := graph.Decode(r)
	if tl := (*TooLargeError)(nil); errors.As(err, &tl) {
		return nil, tl
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// Locate returns path, or path.gz when path does not exist and that does: the name a snapshot's
// graph.json has once the next scan compressed it.
func Locate(path string) string {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && strings.HasSuffix(path, ".json") {
		if _, err := os.Stat(path + ".gz"); err == nil {
			return path + ".gz"
		}
	}
	return path
}

// Dirs returns the directories the store writes into: each scan's (complete or not).
func (s Store) Dirs() []string {
	ents, err := os.ReadDir(output.Layout{Dir: s.Dir}.Scans())
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && isScanID(e.Name()) {
			out = append(out, output.Layout{Dir: s.Dir}.Scan(e.Name()))
		}
	}
	return out
}

// RemoveEmpty removes the snapshot directories that hold nothing: a scan killed (or out of disk
// space) between creating scans/<id>/ and renaming its graph.json into it leaves one behind, and
// they piled up (issue #26 item 22). Only scans/<id> directories are looked at, never through a
// symbolic link, and only empty ones go (os.Remove refuses the others), so run output.RemoveTemps
// over Dirs first to take what an interrupted write left in them. Call it under the output
// directory's lock. It returns how many it removed.
func (s Store) RemoveEmpty() (int, error) {
	if err := output.CheckIn(s.Dir, output.Layout{Dir: s.Dir}.Scans()); err != nil {
		return 0, fmt.Errorf("remove empty snapshot directories: %w", err)
	}
	n := 0
	for _, dir := range s.Dirs() {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return n, fmt.Errorf("remove empty snapshot directories: %w", err)
		}
		if len(ents) > 0 {
			continue
		}
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("remove empty snapshot directories: %w", err)
		}
		n++
	}
	return n, nil
}
