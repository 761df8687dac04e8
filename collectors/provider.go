package collectors

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/infragraph/infragraph/schemas"
)

// Provider is everything infragraph knows about one provider, declared by the provider's own
// package (its provider.go) and listed once in collectors/all. Configuration, the demo, renderers
// and the CLI read it from there: adding a provider is its package plus one line in that list.
type Provider struct {
	// Name is the provider's id: its config section, the provider of the nodes it emits, the
	// value of --only and --skip ("vercel").
	Name string
	// Title is the provider's name for people ("Vercel"): diagrams and INFRA.md group its nodes
	// under it. It is the title of the provider's vocabulary file, which renderers read.
	Title string
	// Credentials says what configures the provider, for skipped reasons and hints
	// ("VERCEL_TOKEN (and optionally VERCEL_TEAM_ID)").
	Credentials string
	// Env names, per setting (its yaml name), the environment variables an instance configured
	// from the environment reads it from, in the order they are tried. Errors quote the variable,
	// never its value.
	Env map[string][]string
	// OriginFields are the settings a failure of the provider most likely needs changed (its
	// credential and its endpoint): an instance's Origin names where each came from.
	OriginFields []string
	// Config decodes, validates and builds the provider's config section (see Section).
	Config ConfigSection
	// Vocabulary is the provider's vocabulary file (the format of schemas/vocabulary/*.yaml: its
	// title, node kinds and the pairs its edges join) when its package brings one; nil when it
	// is embedded in schemas (the five built-in providers). NewRegistry registers it.
	Vocabulary []byte
	// Demo, if set, adds the provider's part of the demo estate (`discover scan --demo`): it
	// starts the provider's fake API through d and adds the instances that read it.
	Demo func(ctx context.Context, d *Demo) error
}

// ConfigSection is a provider's config section: a list of instances of its Config type. Section
// implements it; package config drives it without knowing any provider's type.
type ConfigSection interface {
	// ListType is the section's Go type, a slice of the provider's Config: the YAML decoder
	// decodes the section into it, which is how unknown fields and type errors are reported
	// with their file, line and field.
	ListType() reflect.Type
	// EnvList is the section the provider's environment variables describe, if any (a list of
	// one instance). exists reports whether a filesystem path exists.
	EnvList(getenv func(string) string, exists func(string) bool) (list any, ok bool)
	// Instances returns the instances of a decoded list (a value of ListType).
	Instances(list any) []Settings
	// Check reports what the section lacks to work (nil: nothing).
	Check() error
}

// Settings is one configured instance of a provider.
type Settings interface {
	// Name is the instance's name; SetName names an unnamed one.
	Name() string
	SetName(string)
	// Timeout bounds the instance's collector (0: the scan's timeout).
	Timeout() time.Duration
	// Validate checks the settings. An error starts with the offending field's yaml name
	// ("token: required"), so that config can point at its line.
	Validate() error
	// New builds the instance's collector.
	New() (Collector, error)
}

// Section is a provider's ConfigSection over its Config type C.
type Section[C any] struct {
	// FromEnv builds the instance the environment describes; ok is false when it describes none.
	FromEnv func(getenv func(string) string, exists func(string) bool) (c C, ok bool)
	// Name points at the instance's name, Timeout reads its timeout. When nil they are C's
	// fields tagged yaml:"name" (a string) and yaml:"timeout" (a time.Duration), which every
	// provider's Config has (NewRegistry checks the name).
	Name    func(*C) *string
	Timeout func(*C) time.Duration
	// Validate checks an instance (errors start with the field's yaml name).
	Validate func(*C) error
	// New builds an instance's collector.
	New func(C) (Collector, error)
}

// ListType implements ConfigSection.
func (s Section[C]) ListType() reflect.Type { return reflect.TypeFor[[]C]() }

// EnvList implements ConfigSection.
func (s Section[C]) EnvList(getenv func(string) string, exists func(string) bool) (any, bool) {
	if s.FromEnv == nil {
		return nil, false
	}
	c, ok := s.FromEnv(getenv, exists)
	if !ok {
		return nil, false
	}
	return []C{c}, true
}

// Instances implements ConfigSection: each instance points into list, so SetName names it there.
func (s Section[C]) Instances(list any) []Settings {
	l, _ := list.([]C)
	out := make([]Settings, len(l))
	for i := range l {
		out[i] = setting[C]{s: s, c: &l[i]}
	}
	return out
}

// Check implements ConfigSection: New is set, and Name is, or C has a name field.
func (s Section[C]) Check() error {
	var c C
	switch {
	case s.New == nil:
		return fmt.Errorf("Section[%T]: no New", c)
	case s.Name == nil && !tagged(reflect.ValueOf(&c).Elem(), "name").IsValid():
		return fmt.Errorf("Section[%T]: no Name, and no string field tagged yaml:\"name\"", c)
	}
	return nil
}

type setting[C any] struct {
	s Section[C]
	c *C
}

func (x setting[C]) Name() string        { return *x.name() }
func (x setting[C]) SetName(name string) { *x.name() = name }

func (x setting[C]) name() *string {
	if x.s.Name != nil {
		return x.s.Name(x.c)
	}
	return tagged(reflect.ValueOf(x.c).Elem(), "name").Addr().Interface().(*string)
}

func (x setting[C]) Timeout() time.Duration {
	if x.s.Timeout != nil {
		return x.s.Timeout(x.c)
	}
	if f := tagged(reflect.ValueOf(x.c).Elem(), "timeout"); f.IsValid() {
		return f.Interface().(time.Duration)
	}
	return 0
}

// tagged is the field of struct v whose yaml name is name, if it has one of name's type (a
// string for "name", a time.Duration for "timeout").
func tagged(v reflect.Value, name string) reflect.Value {
	want := map[string]reflect.Type{"name": reflect.TypeFor[string](), "timeout": reflect.TypeFor[time.Duration]()}[name]
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag == name && f.Type == want {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

func (x setting[C]) Validate() error {
	if x.s.Validate == nil {
		return nil
	}
	return x.s.Validate(x.c)
}

func (x setting[C]) New() (Collector, error) { return x.s.New(*x.c) }

// Registry is the list of providers, in the order their config sections are read (and
// environment defaults applied). Build it with NewRegistry.
type Registry []Provider

// NewRegistry checks the list (every provider named, once, with a config section) and registers
// the vocabularies that provider packages bring with the vocabulary (schemas.Register). It panics
// on a malformed list: the list is code, fixed by its author, and the tests build it.
func NewRegistry(ps ...Provider) Registry {
	seen := map[string]bool{}
	for _, p := range ps {
		switch {
		case p.Name == "" || p.Title == "":
			panic(fmt.Sprintf("collectors: provider %q needs a name and a title", p.Name))
		case seen[p.Name]:
			panic(fmt.Sprintf("collectors: provider %q listed twice", p.Name))
		case p.Config == nil:
			panic(fmt.Sprintf("collectors: provider %q has no config section", p.Name))
		}
		if err := p.Config.Check(); err != nil {
			panic(fmt.Sprintf("collectors: provider %q: %v", p.Name, err))
		}
		seen[p.Name] = true
		if p.Vocabulary != nil {
			registerVocabulary(p.Name, p.Vocabulary)
		}
	}
	return Registry(slices.Clone(ps))
}

// Names returns the providers' names, sorted: the order they are reported in.
func (r Registry) Names() []string {
	out := make([]string, len(r))
	for i, p := range r {
		out[i] = p.Name
	}
	slices.Sort(out)
	return out
}

// Lookup returns the provider named name.
func (r Registry) Lookup(name string) (Provider, bool) {
	for _, p := range r {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// Sorted returns the providers sorted by name.
func (r Registry) Sorted() []Provider {
	out := slices.Clone(r)
	slices.SortFunc(out, func(a, b Provider) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Filter applies --only and --skip: instances of excluded providers are kept, as excluded, so the
// output still says why they did not run and history keeps what they found unchanged.
func (r Registry) Filter(insts []Instance, only, skip []string) ([]Instance, error) {
	names := r.Names()
	for _, p := range append(slices.Clone(only), skip...) {
		if !slices.Contains(names, p) {
			return nil, &UnknownProviderError{Name: p, Known: names}
		}
	}
	out := make([]Instance, 0, len(insts))
	for _, i := range insts {
		switch {
		case len(only) > 0 && !slices.Contains(only, i.Provider):
			i.Collector, i.Skip, i.Excluded = nil, "excluded by --only", true
		case slices.Contains(skip, i.Provider):
			i.Collector, i.Skip, i.Excluded = nil, "excluded by --skip", true
		}
		out = append(out, i)
	}
	return out, nil
}

// UnknownProviderError is an --only or --skip naming no provider.
type UnknownProviderError struct {
	Name  string
	Known []string
}

func (e *UnknownProviderError) Error() string {
	return fmt.Sprintf("unknown provider %q (known: %v)", e.Name, e.Known)
}

// registerVocabulary is schemas.Register (a variable so that the registry's own tests can see it
// called).
var registerVocabulary = schemas.Register
