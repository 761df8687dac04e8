package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/history"
)

// writeBomb writes a gzip file whose JSON inflates past history.MaxGraphBytes: a graph.json
// padded with whitespace (valid JSON, so only the cap stops it). The padding is one compressed
// MiB of spaces repeated as gzip members (a reader inflates them as one stream): 264 MiB in
// about 0.3 MB, written at once.
func writeBomb(t *testing.T, path string) {
	t.Helper()
	member := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	var out bytes.Buffer
	out.Write(member([]byte(`{"schema_version":"1","nodes":[`)))
	pad := member(bytes.Repeat([]byte(" "), 1<<20))
	for i := 0; i < history.MaxGraphBytes>>20+8; i++ {
		out.Write(pad)
	}
	out.Write(member([]byte(`],"edges":[]}`)))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Every reader of a graph file refuses a gzip bomb with an error naming the file and the cap,
// instead of inflating it into memory (issue #26, item 9): validate, diff, query --graph, and a
// scan whose previous snapshot is the bomb (skipped, named in the log).
func TestGzipBombIsRefused(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.json.gz")
	writeBomb(t, bomb)
	if st, _ := os.Stat(bomb); st.Size() > 4<<20 {
		t.Fatalf("the bomb is %d bytes: not a bomb", st.Size())
	}
	want := "bomb.json.gz: larger than 256 MiB of JSON"
	fixture := acmeGraphFile(t)
	for name, args := range map[string][]string{
		"validate": {"validate", bomb},
		"diff":     {"diff", bomb, fixture},
		"query":    {"query", "--graph", bomb, "--kind", "droplet"},
	} {
		e, _, errb := testEnv(nil)
		if code := runEnv(context.Background(), args, e); code == exitOK || !strings.Contains(errb.String(), want) {
			t.Errorf("%s: exit %d, stderr %q; want an error saying %q", name, code, errb, want)
		}
	}

	out := filepath.Join(dir, "out")
	writeBomb(t, filepath.Join(out, "scans", "20261101T000000Z", "graph.json.gz"))
	e, _, errb := testEnv(nil)
	// With no other earlier scan, the history is unreadable: the scan stops, naming the file.
	code := runEnv(context.Background(), []string{"scan", "--demo", "--out", out}, e)
	if code == exitOK || !strings.Contains(errb.String(), "20261101T000000Z/graph.json.gz: larger than 256 MiB of JSON") {
		t.Errorf("exit %d: the scan does not name the refused snapshot:\n%s", code, errb)
	}
}
