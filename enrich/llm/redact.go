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
	// people are the personal names known for this graph (see Personal): redacted wherever they
	// occur; words are their words, redacted when one stands alone as a shared token.
	people *regexp.Regexp
	words  map[string]bool
}

// NewRedactor returns a redactor keyed with the installation key.
func NewRedactor(key []byte) *Redactor { return &Redactor{key: key, counts: map[string]int{}} }

type rule struct {
	name string
	re   *regexp.Regexp
	// group is the submatch that holds the secret (0: all of it).
	group int
	// pii marks personal data (an email's mailbox) rather than a credential: its placeholder
	// reads ⟨pii:…⟩.
	pii bool
}

// Rules, most specific first. Patterns follow gitleaks' rules for the providers we touch, plus
// Supabase and Vercel tokens (which gitleaks lacks) and generic shapes.
var rules = []rule{
	{"private-key", regexp.MustCompile(`-----BEGIN[ A-Z]*PRIVATE KEY-----[\s\S]*?(-----END[ A-Z]*PRIVATE KEY-----|$)`), 0, false},
	{"jwt", regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`), 0, false},
	{"url-password", regexp.MustCompile(`://[^/\s:@]*:([^@\s/]+)@`), 1, false},
	{"query-secret", regexp.MustCompile(`(?i)[?&](?:token|access_token|api_key|apikey|key|sig|signature|password|secret|auth)=([^&\s#]+)`), 1, false},
	{"bearer", regexp.MustCompile(`(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})`), 1, false},
	{"keyword-assignment", regexp.MustCompile(`(?i)\b(?:pass(?:word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential)s?\s*[:=]\s*['"]?([^\s'",;]{4,})`), 1, false},
	// An email's mailbox is personal data (issue #23); its domain stays, it is evidence (an Odoo
	// mail server's from_filter, a fetchmail login name the mail host). A userinfo after "://"
	// is a connection's user (a Supabase pooler's "postgres.<ref>"), not an email: the character
	// before the mailbox must not be "/".
	{"email", regexp.MustCompile(`(?:^|[^/A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}`), 1, true},
	{"github-token", regexp.MustCompile(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}`), 0, false},
	{"digitalocean-token", regexp.MustCompile(`\bdo[opr]_v1_[a-f0-9]{64}\b`), 0, false},
	{"supabase-token", regexp.MustCompile(`\bsbp_[a-z0-9]{40}\b|\bsb_secret_[A-Za-z0-9_-]{10,}`), 0, false},
	{"vercel-token", regexp.MustCompile(`\bvck_[A-Za-z0-9]{20,}`), 0, false},
	{"openai-key", regexp.MustCompile(`\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}`), 0, false},
	{"stripe-key", regexp.MustCompile(`\b(?:sk|rk|pk|whsec)_(?:live_|test_)?[A-Za-z0-9_-]{8,}`), 0, false},
	{"aws-key", regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`), 0, false},
	{"slack-token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`), 0, false},
	{"high-entropy", regexp.MustCompile(`[A-Za-z0-9+/_=]{24,}`), 0, false},
}

var placeholderRE = regexp.MustCompile(`⟨(?:secret|pii):[^⟩]*⟩`)

// String redacts one value. Each rule sees only the text outside the placeholders earlier rules
// wrote, so no rule re-matches (and mangles) another's placeholder.
func (r *Redactor) String(s string) string {
	if r.people != nil {
		s = r.people.ReplaceAllStringFunc(s, func(m string) string {
			r.counts["name"]++
			return r.pii("name", strings.ToLower(m))
		})
	}
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
		ph := r.placeholder(ru.name, secret)
		if ru.pii {
			ph = r.pii(ru.name, secret)
		}
		return strings.Replace(m, secret, ph, 1)
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
	if PersonalKey(last) && value != "" {
		r.counts["name"]++
		return r.pii("name", strings.ToLower(value))
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
	if r.words[strings.ToLower(s)] {
		r.counts["name"]++
		return r.pii("name", strings.ToLower(s))
	}
	return r.String(s)
}

// pii is the placeholder of personal data: like a secret's, stable per value, so the model still
// sees that two attributes name the same person, never who.
func (r *Redactor) pii(kind, value string) string {
	return "⟨pii:" + strings.TrimPrefix(r.placeholder(kind, value), "⟨secret:")
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
