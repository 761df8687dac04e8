package evidence

import (
	"strings"
	"unicode/utf8"
)

// scrubMax bounds the scrubbed text: an error message, not a body.
const scrubMax = 200

// Scrub makes text from outside (a provider's error message, a response body) fit for an error,
// a warning or a log line. Providers echo what they were sent: a token in a header, a URL with
// its query, a connection string. So the secrets the caller knows are replaced, URLs keep only
// their facts (no userinfo, no query), the value of a key=value or key: value whose key names a
// secret is dropped, the word after "Bearer" is dropped, and words that look like tokens become
// "…". Whitespace is collapsed and the result is cut to 200 characters.
func Scrub(text string, secrets ...string) string {
	for _, s := range secrets {
		// Shorter "secrets" (an empty password, a one-letter test value) would eat words.
		if len(s) >= 4 {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	text = urlLiteral.ReplaceAllStringFunc(text, func(m string) string {
		if f, ok := Parse(strings.TrimRight(m, ".:")); ok {
			return f.URL()
		}
		return "…"
	})
	words := strings.Fields(text)
	for i, w := range words {
		if i > 0 && strings.EqualFold(strings.Trim(words[i-1], `"'(),;:`), "bearer") {
			words[i] = "…"
			continue
		}
		core := strings.Trim(w, `"'().,;[]{}<>`)
		if strings.Contains(core, "://") {
			continue // rendered from facts above
		}
		if k, v, ok := cutAssignment(core); ok && v != "" && SecretKey(k) {
			words[i] = k + "=…"
			continue
		}
		if looksSecret(core) {
			words[i] = "…"
		}
	}
	// "password: s3cret" spreads over two words.
	for i := 1; i < len(words); i++ {
		prev := strings.Trim(words[i-1], `"'(),;[]{}<>`)
		if strings.HasSuffix(prev, ":") || strings.HasSuffix(prev, "=") {
			if SecretKey(strings.TrimRight(prev, ":=")) && words[i] != "…" {
				words[i] = "…"
			}
		}
	}
	out := strings.Join(words, " ")
	if utf8.RuneCountInString(out) > scrubMax {
		r := []rune(out)
		out = string(r[:scrubMax]) + "…"
	}
	return out
}

// cutAssignment splits "key=value" or "key:value" at the first separator.
func cutAssignment(s string) (key, value string, ok bool) {
	i := strings.IndexAny(s, "=:")
	if i <= 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// ScrubError returns err with its message passed through Scrub (with secrets); errors.Is and
// errors.As still see err. For errors of a library that quotes what it was configured with (the
// Docker client prints DOCKER_HOST whole, userinfo and query included).
func ScrubError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: Scrub(err.Error(), secrets...), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
