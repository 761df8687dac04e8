package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

func resolveGraph(t *testing.T) *graph.Graph {
	t.Helper()
	g := graph.New()
	for _, n := range []graph.Node{
		{ID: "supabase:project:qwerty", Kind: "project", Provider: "supabase", Name: "acme-prod"},
		{ID: "digitalocean:project:4e1b", Kind: "project", Provider: "digitalocean", Name: "acme-prod"},
		{ID: "vercel:project:prj_storefront", Kind: "project", Provider: "vercel", Name: "storefront"},
	} {
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func TestResolveIn(t *testing.T) {
	g := resolveGraph(t)
	var amb *AmbiguousError
	if _, err := Resolve(g, "acme-prod"); !errors.As(err, &amb) || len(amb.Candidates) != 2 {
		t.Errorf("acme-prod: %v", err)
	}
	for _, c := range []struct{ ref, provider, want string }{
		{"supabase:acme-prod", "", "supabase:project:qwerty"},
		{"DigitalOcean:acme-prod", "", "digitalocean:project:4e1b"},
		{"acme-prod", "supabase", "supabase:project:qwerty"},
		{"vercel:project:prj_storefront", "", "vercel:project:prj_storefront"},
		{"project:prj_storefront", "", "vercel:project:prj_storefront"},
	} {
		if got, err := ResolveIn(g, c.ref, c.provider); err != nil || got != c.want {
			t.Errorf("%s (provider %q): %q %v, want %q", c.ref, c.provider, got, err, c.want)
		}
	}
	if _, err := ResolveIn(g, "storefront", "supabase"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a name of another provider: %v", err)
	}
	if _, err := Resolve(g, "storefrnt"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "did you mean storefront?") {
		t.Errorf("typo: %v", err)
	}
	if _, err := ResolveIn(g, "acme-prod", "supabse"); err == nil || !strings.Contains(err.Error(), "did you mean supabase?") {
		t.Errorf("provider typo: %v", err)
	}
}

func TestFindRejectsUnknownKindAndProvider(t *testing.T) {
	g := resolveGraph(t)
	for _, c := range []struct {
		f    Filter
		want string
	}{
		{Filter{Kind: "projetc"}, `unknown kind "projetc" (did you mean project`},
		{Filter{Provider: "vercle"}, `unknown provider "vercle" (did you mean vercel?)`},
		{Filter{Kind: "vercel:projekt"}, `did you mean vercel:project`},
	} {
		if _, err := Find(g, c.f); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.f, err, c.want)
		}
	}
	// a kind the vocabulary knows but this graph lacks is an empty answer, not an error
	if ns, err := Find(g, Filter{Kind: "droplet"}); err != nil || len(ns) != 0 {
		t.Errorf("droplet: %v %v", ns, err)
	}
}
