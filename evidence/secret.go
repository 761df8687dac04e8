package evidence

import "log/slog"

// Secret holds a credential in memory. Every way of printing it (fmt, %#v, JSON, slog) prints
// "[redacted]"; only Reveal returns the value, for the one call that sends it to its provider.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON never writes the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText never writes the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue never logs the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the secret for use in a request to its provider.
func (s Secret) Reveal() string { return string(s) }

// Set reports whether a value is present.
func (s Secret) Set() bool { return s != "" }
