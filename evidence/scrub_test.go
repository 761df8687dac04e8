package evidence

import (
	"strings"
	"testing"
)

func TestScrub(t *testing.T) {
	const tok = "CANARY-tok-7c1d"
	cases := []struct {
		in      string
		secrets []string
		want    string // must contain
		gone    []string
	}{
		{"invalid token " + tok + " for team", []string{tok}, "invalid token [redacted] for team", []string{tok}},
		{"GET https://api.example.com/v1/x?key=" + "hunter22&teamId=t: 500", nil, "GET https://api.example.com/v1/x 500", []string{"hunter22"}},
		{"failed: postgres://app:pw-hunter22@db.example.com:5432/orders", nil, "postgres://db.example.com:5432", []string{"pw-hunter22"}},
		{"Authorization: Bearer abc123xyz rejected", nil, "rejected", []string{"abc123xyz"}},
		{"bad request password=hunter22 host=h", nil, "password=…", []string{"hunter22"}},
		{"bad request password: hunter22 host=h", nil, "password: …", []string{"hunter22"}},
		{"leaked ghp_0123456789abcdefghijABCDEFGHIJ0123 here", nil, "leaked … here", []string{"ghp_"}},
		{"  plain\nmessage  ", nil, "plain message", nil},
	}
	for _, c := range cases {
		got := Scrub(c.in, c.secrets...)
		if !strings.Contains(got, c.want) {
			t.Errorf("Scrub(%q) = %q, want it to contain %q", c.in, got, c.want)
		}
		for _, g := range c.gone {
			if strings.Contains(got, g) {
				t.Errorf("Scrub(%q) = %q keeps %q", c.in, got, g)
			}
		}
	}
	if got := Scrub(strings.Repeat("word ", 100)); len([]rune(got)) > scrubMax+1 {
		t.Errorf("not cut: %d runes", len([]rune(got)))
	}
}
