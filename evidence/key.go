package evidence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/infragraph/infragraph/output"
)

// KeyFile is the per-installation key of Fingerprint, kept in the output directory beside
// graph.json (never inside it) with mode 0600. Fingerprints from one installation compare with
// each other across scans; without the file nobody can test a guessed secret against them.
const KeyFile = ".infragraph.key"

// LoadKey returns the installation key in dir, creating dir and the key (32 random bytes,
// hex-encoded, mode 0600) the first time. A key file that others may read is refused, as ssh
// refuses a readable private key: fix it with chmod 600.
func LoadKey(dir string) ([]byte, error) {
	p := filepath.Join(dir, KeyFile)
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

type keyCtx struct{}

// WithKey returns a context that carries the installation key to the collectors of one scan.
func WithKey(ctx context.Context, key []byte) context.Context {
	return context.WithValue(ctx, keyCtx{}, key)
}

// FingerprintIn is Fingerprint with the key the scan's context carries: "" when there is no key
// (fingerprints are optional) or no secret. Collectors store it as an attribute whose name ends
// in "fingerprint" ("env.PGPASSWORD.fingerprint", "password_fingerprint"); the rules enricher
// links a service to the database whose password it holds.
func FingerprintIn(ctx context.Context, secret string) string {
	key, _ := ctx.Value(keyCtx{}).([]byte)
	if len(key) == 0 || secret == "" {
		return ""
	}
	return Fingerprint(key, secret)
}
