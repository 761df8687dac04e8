package evidence

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/infragraph/infragraph/output"
)

// KeyFile is the per-installation key, kept in the output directory beside graph.json (never
// inside it) with mode 0600. It keys the LLM redactor's placeholders (an HMAC of each secret), so
// one secret reads the same in every prompt and across scans, and nobody without the file can
// test a guessed secret against them.
const KeyFile = output.KeyFile

// LoadKey returns the installation key in dir, creating dir and the key (32 random bytes,
// hex-encoded, mode 0600) the first time. A key file that others may read is refused, as ssh
// refuses a readable private key: fix it with chmod 600.
func LoadKey(dir string) ([]byte, error) {
	p := output.Layout{Dir: dir}.Key()
	// Lstat: a link planted as the key file is refused (output.CheckIn), not read; a dangling one
	// made the O_EXCL create below fail and LoadKey call itself forever.
	if err := output.CheckIn(dir, p); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	if st, err := os.Stat(p); err == nil {
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("%s: permissions %04o are too open, want 0600 (chmod 600 %s)", p, st.Mode().Perm(), p)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read key: %w", err)
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(key) < 16 {
			return nil, fmt.Errorf("%s: not a hex key of at least 16 bytes", p)
		}
		return key, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("stat key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	// O_EXCL: two scans starting at once must not write two different keys.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKey(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write key: %w", err)
	}
	return key, nil
}
