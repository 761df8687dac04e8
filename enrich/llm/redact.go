package llm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/infragraph/infragraph/evidence"
)

// Redactor is the one choke point every string passes before it is put in a prompt. Secrets
// become stable placeholders ⟨secret:<rule>:<8 hex>⟩ (HMAC with the installation key), so two
// nodes sharing a credential still visibly share it; hosts, ports, database names, project refs
// and regions stay, because they are the evidence. It fails closed: anything that looks like a
// credential is replaced, even at the cost of some evidence.
type Redactor struct {
	key    []byte
	counts map[string]int
}

// NewRedactor returns a redactor keyed with the installation key.
func NewRedactor(key []byte) *Redactor { return &Redactor{key: key, counts: map[string]int{}} }

type rule struct {
	name string
	re   *regexp.Regexp
	// group is the submatch that holds the secret (0: all of it).
	group int
}

// Rules, most specific first. Patterns follow gitleaks' rules for the providers we touch, plus
// Supabase and Vercel tokens (which gitleaks lacks) and generic shapes.
var rules = []rule{
	{"private-key", regexp.MustCompile(`-----BEGIN[ A-Z]*PRIVATE KEY-----[\s\S]*?(-----END[ A-Z]*PRIVATE KEY-----|$)`), 0},
	{"jwt", regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`), 0},
	{"url-password", regexp.MustCompile(`://[^/\s:@]*:([^@\s/]+)@`), 1},
	{"query-secret", regexp.MustCompile(`(?i)[?&](?:token|access_token|api_key|apikey|key|sig|signature|password|secret|auth)=([^&\s#]+)`), 1},
	{"bearer", regexp.MustCompile(`(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})`), 1},
	{"keyword-assignment", regexp.MustCompile(`(?i)\b(?:pass(?:word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential)s?\s*[:=]\s*['"]?([^\s'",;]{4,})`), 1},
	{"github-token", regexp.MustCompile(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}`), 0},
	{"digitalocean-token", regexp.MustCompile(`\bdo[opr]_v1_[a-f0-9]{64}\b`), 0},
	{"supabase-token", regexp.MustCompile(`\bsbp_[a-z0-9]{40}\b|\bsb_secret_[A-Za-z0-9_-]{10,}`), 0},
	{"vercel-token", regexp.MustCompile(`\bvck_[A-Za-z0-9]{20,}`), 0},
	{"openai-key", regexp.MustCompile(`\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}`), 0},
	{"stripe-key", regexp.MustCompile(`\b(?:sk|rk|pk|whsec)_(?:live_|test_)?[A-Za-z0-9_-]{8,}`), 0},
	{"aws-key", regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`), 0},
	{"slack-token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`), 0},
	{"high-entropy", regexp.MustCompile(`[A-Za-z0-9+/_=]{24,}`), 0},
}

var placeholderRE = regexp.MustCompile(`⟨secret:[^⟩]*⟩`)

// String redacts one value. Each rule sees only the text outside the placeholders earlier rules
// wrote, so no rule re-matches (and mangles) another's placeholder.
func (r *Redactor) String(s string) string {
	for _, ru := range rules {
		s = outsidePlaceholders(s, func(seg string) string { return r.apply(ru, seg) })
	}
	return s
}

func outsidePlaceholders(s string, f func(string) string) string {
	locs := placeholderRE.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return f(s)
	}
	var b strings.Builder
	prev := 0
	for _, l := range locs {
		b.WriteString(f(s[prev:l[0]]))
		b.WriteString(s[l[0]:l[1]])
		prev = l[1]
	}
	b.WriteString(f(s[prev:]))
	return b.String()
}

func (r *Redactor) apply(ru rule, s string) string {
	return ru.re.ReplaceAllStringFunc(s, func(m string) string {
		secret := m
		if ru.group > 0 {
			sm := ru.re.FindStringSubmatch(m)
			if len(sm) <= ru.group || sm[ru.group] == "" {
				return m
			}
			secret = sm[ru.group]
		}
		if ru.name == "high-entropy" && !randomLooking(secret) {
			return m
		}
		r.counts[ru.name]++
		return strings.Replace(m, secret, r.placeholder(ru.name, secret), 1)
	})
}

// Attr redacts an attribute: the whole value when its name says it is a secret.
func (r *Redactor) Attr(name, value string) string {
	last := name
	if i := strings.LastIndex(name, "."); i >= 0 {
		last = name[i+1:]
	}
	if evidence.SecretKey(last) && value != "" {
		r.counts["secret-name"]++
		return r.placeholder("secret-name", value)
	}
	return r.String(value)
}

// Token redacts a single word (a candidate pair's shared token): the whole word when it looks
// like a secret, even one too short for the high-entropy rule.
func (r *Redactor) Token(s string) string {
	if evidence.LooksSecret(s) {
		r.counts["token"]++
		return r.placeholder("token", s)
	}
	return r.String(s)
}

func (r *Redactor) placeholder(kind, secret string) string {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(secret))
	return "⟨secret:" + kind + ":" + hex.EncodeToString(m.Sum(nil))[:8] + "⟩"
}

// Counts returns how many values each rule replaced (never the values).
func (r *Redactor) Counts() map[string]int {
	out := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

// randomLooking tells a token from a long word or an id made of words: it needs letters and
// digits and high character entropy.
func randomLooking(s string) bool {
	if !evidence.LooksSecret(s) {
		return false
	}
	var lower, upper, digit bool
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		}
	}
	return digit && (lower || upper)
}
