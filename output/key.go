package output

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFile is the per-installation key beside the outputs: it keys the HMAC fingerprints and
// placeholders that stand in for secrets. It is never written into an output document.
const KeyFile = ".infragraph.key"

// InstallKey returns the key in dir, creating it (32 random bytes, mode 0600) on first use.
func InstallKey(dir string) ([]byte, error) {
	p := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(p)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := WriteFile(p, 0o600, func(w io.Writer) error { _, err := w.Write(key); return err }); err != nil {
		return nil, err
	}
	return key, nil
}
