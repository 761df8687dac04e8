package evidence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadKeyCreatesOnceWith0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "output")
	k1, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || len(k1) != 32 {
		t.Errorf("key file mode %04o, key %d bytes", st.Mode().Perm(), len(k1))
	}
	k2, err := LoadKey(dir)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("second load gave another key (%v)", err)
	}
}

func TestLoadKeyRefusesOpenOrBadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, KeyFile)
	if err := os.WriteFile(p, []byte(strings.Repeat("ab", 32)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("readable key accepted: %v", err)
	}
	if err := os.WriteFile(p, []byte("not hex"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(dir); err == nil {
		t.Error("garbage key accepted")
	}
}

// TestLoadKeyRefusesLink is issue #26 item 16: a key file planted as a link is refused; a dangling
// one made LoadKey recurse forever (O_EXCL saw it exist, Stat did not).
func TestLoadKeyRefusesLink(t *testing.T) {
	for _, target := range []string{"dangling", "real"} {
		dir := t.TempDir()
		victim := filepath.Join(t.TempDir(), "victim")
		if target == "real" {
			os.WriteFile(victim, []byte(strings.Repeat("ab", 32)), 0o600)
		}
		if err := os.Symlink(victim, filepath.Join(dir, KeyFile)); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := LoadKey(dir); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
				t.Errorf("%s link: err %v", target, err)
			}
		case <-time.After(time.Minute): // a hang, not a speed measurement
			t.Fatalf("%s link: LoadKey does not return", target)
		}
	}
}
