package all

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/schemas/schemastest"
)

// Every listed provider is complete and agrees with what other packages read: its title is its
// vocabulary's (renderers group nodes under that), the settings its Env and OriginFields name
// are fields of its config section, it has a demo part.
func TestProvidersAreComplete(t *testing.T) {
	v := schemastest.Vocabulary()
	if want := []string{"digitalocean", "docker", "odoo", "supabase", "vercel"}; !slices.Equal(Providers, want) {
		t.Errorf("Providers = %v, want %v", Providers, want)
	}
	for _, p := range Registry {
		if got := v.Title(p.Name); got != p.Title {
			t.Errorf("%s: title %q, vocabulary's %q", p.Name, p.Title, got)
		}
		fields := yamlFields(p.Config.ListType().Elem())
		for field := range p.Env {
			if !slices.Contains(fields, field) {
				t.Errorf("%s: Env names %q, not a setting (%v)", p.Name, field, fields)
			}
		}
		for _, field := range p.OriginFields {
			if !slices.Contains(fields, field) {
				t.Errorf("%s: OriginFields names %q, not a setting (%v)", p.Name, field, fields)
			}
		}
		if p.Credentials == "" {
			t.Errorf("%s: no credentials hint", p.Name)
		}
		if p.Demo == nil {
			t.Errorf("%s: no demo part", p.Name)
		}
	}
}

func yamlFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
