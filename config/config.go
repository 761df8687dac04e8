// Package config reads infragraph's optional YAML configuration file and the environment
// variables each provider's ecosystem already uses. Only cmd/discover calls it; collectors get
// their Config values passed down. Secrets are referenced as ${ENV_NAME} and never need to be in
// the file. Errors name the file, the line and the field.
//
// Provider sections are decoded through the registry (collectors.Registry): each provider
// declares its section's type, environment defaults and validation, and this package knows none
// of them by name (it imports no provider package; TestNoProviderImports checks it).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/infragraph/infragraph/alerts"
	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich/llm"
	"github.com/infragraph/infragraph/evidence"
)

// File is the configuration: the file's content with environment defaults applied.
type File struct {
	Path string `yaml:"-"`
	// Timeout bounds each collector (default 5m).
	Timeout time.Duration `yaml:"timeout"`

	Enrich Enrich     `yaml:"enrich"`
	LLM    llm.Config `yaml:"llm"`
	// Alerts configures the drift alerts each scan raises against the previous one.
	Alerts alerts.Options `yaml:"alerts"`

	// Store is the PostgreSQL store a scan publishes to (`discover scan --store`): a secret,
	// best given as ${DISCOVER_STORE_URL}.
	Store evidence.Secret `yaml:"store"`

	// FromEnv lists the providers whose default instance came from environment variables.
	FromEnv []string `yaml:"-"`

	providers collectors.Registry
	sections  map[string]any // provider -> its decoded section (a value of its ListType)
	lines     map[string]int
	values    map[string]yaml.Node // each field path's value node (line and tag), for type errors
	refs      map[string]string    // field path -> the ${ENV} variable its value came from
	getenv    func(string) string  // for Origin of instances built from the environment
}

// Enrich configures inference.
type Enrich struct {
	// Threshold is the lowest confidence an inferred edge needs to enter the graph (default 0.5).
	Threshold float64 `yaml:"threshold"`
}

// Error is a configuration error at a place in a file.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads path (empty: no file), with a section for each provider of providers, and applies
// environment defaults from getenv. exists reports whether a filesystem path exists (for
// Docker's default socket).
func Load(path string, providers collectors.Registry, getenv func(string) string, exists func(string) bool) (*File, error) {
	f := &File{Path: path, providers: providers, sections: map[string]any{},
		lines: map[string]int{}, values: map[string]yaml.Node{}, refs: map[string]string{}, getenv: getenv}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		if err := f.parse(raw, getenv); err != nil {
			return nil, err
		}
	}
	f.applyEnv(getenv, exists)
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func (f *File) parse(raw []byte, getenv func(string) string) error {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return f.yamlError(err)
	}
	if len(root.Content) == 0 {
		return nil // empty file
	}
	// Pass 1 on the raw text: unknown fields, reported with their lines. Type errors wait for
	// pass 2, since a ${ENV} reference is a string until it is expanded.
	doc := f.document()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(reflect.New(doc).Interface()); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return f.yamlError(err)
		}
		var unknown []string
		for _, m := range te.Errors {
			if strings.Contains(m, "not found in type") {
				unknown = append(unknown, m)
			}
		}
		if len(unknown) > 0 {
			// walk first so field paths are known for the message
			_ = f.walk(root.Content[0], "", func(string) string { return "x" })
			return f.yamlError(&yaml.TypeError{Errors: unknown})
		}
	}
	if err := f.walk(root.Content[0], "", getenv); err != nil {
		return err
	}
	// Pass 2 decodes the expanded node tree, whose nodes keep the file's lines.
	v := reflect.New(doc)
	if err := root.Content[0].Decode(v.Interface()); err != nil {
		return f.yamlError(err)
	}
	d := v.Elem()
	for i, fl := range fileFields() { // File's own settings: copied over by name
		reflect.ValueOf(f).Elem().FieldByIndex(fl.Index).Set(d.Field(i))
	}
	for i, p := range f.providers {
		if l := d.Field(len(fileFields()) + i); !l.IsNil() { // "vercel: []" is a section with no instance: no defaults either
			f.sections[p.Name] = l.Interface()
		}
	}
	return nil
}

// document is the Go type the file decodes into: File's own settings, then a field per
// provider, its section's ListType, built from the registry so that yaml.v3 reports unknown
// fields and values of the wrong type inside a provider's section with their lines, as it does
// for the rest.
func (f *File) document() reflect.Type {
	fields := fileFields()
	for i, p := range f.providers {
		fields = append(fields, reflect.StructField{Name: "P" + strconv.Itoa(i), Type: p.Config.ListType(), Tag: reflect.StructTag(`yaml:"` + p.Name + `"`)})
	}
	return reflect.StructOf(fields)
}

// fileFields are File's fields the file sets: exported, with a yaml name.
func fileFields() []reflect.StructField {
	var out []reflect.StructField
	for fl := range reflect.TypeFor[File]().Fields() {
		if name, _, _ := strings.Cut(fl.Tag.Get("yaml"), ","); fl.IsExported() && name != "-" && name != "" {
			out = append(out, fl)
		}
	}
	return out
}

// walk records the line of every field path ("vercel[0].token") and expands ${ENV} references in
// place.
func (f *File) walk(n *yaml.Node, path string, getenv func(string) string) error {
	if _, ok := f.lines[path]; !ok { // a key's line beats its value's
		f.lines[path] = n.Line
	}
	f.values[path] = yaml.Node{Line: n.Line, Tag: n.ShortTag()}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			f.lines[p] = k.Line
			if err := f.walk(v, p, getenv); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := f.walk(c, fmt.Sprintf("%s[%d]", path, i), getenv); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		var missing string
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := envRef.FindStringSubmatch(m)[1]
			if _, ok := f.refs[path]; !ok {
				f.refs[path] = name
			}
			v := getenv(name)
			if v == "" && missing == "" {
				missing = name
			}
			return v
		})
		if missing != "" {
			return &Error{File: f.Path, Line: n.Line, Field: path, Msg: fmt.Sprintf("environment variable %s is not set", missing)}
		}
		if strings.Contains(n.Value, "${") {
			return &Error{File: f.Path, Line: n.Line, Field: path, Msg: "malformed ${ENV_NAME} reference"}
		}
	}
	return nil
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

// yamlError turns yaml.v3's errors into file:line: messages, one per problem.
func (f *File) yamlError(err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var out []string
	doc := f.document().String()
	for _, m := range msgs {
		m = strings.ReplaceAll(m, doc, "config.File") // the document's type, as yaml.v3 names it
		if sm := lineRE.FindStringSubmatch(m); sm != nil {
			line, _ := strconv.Atoi(sm[1])
			msg := sm[2]
			field := ""
			if fm := regexp.MustCompile(`field (\S+) not found in type (\S+)`).FindStringSubmatch(msg); fm != nil {
				field = f.keyAtLine(line, fm[1])
				msg = fmt.Sprintf("unknown field %q (check the spelling against the README's configuration reference)", fm[1])
			} else if tm := typeRE.FindStringSubmatch(msg); tm != nil {
				field = f.valueAtLine(line, tm[1])
				msg = fmt.Sprintf("expected %s, got %s", want(tm[2]), got(tm[1]))
			} else if strings.Contains(msg, "cannot unmarshal") {
				// A type error we could not read: it may quote the value, so say no more.
				field = f.pathAtLine(line)
				msg = "value of the wrong type"
			} else {
				field = f.pathAtLine(line)
			}
			out = append(out, (&Error{File: f.Path, Line: line, Field: field, Msg: msg}).Error())
			continue
		}
		if strings.Contains(m, "cannot unmarshal") {
			m = "a value of the wrong type"
		}
		out = append(out, (&Error{File: f.Path, Msg: m}).Error())
	}
	return errors.New(strings.Join(out, "\n"))
}

// typeRE matches yaml.v3's type errors: "cannot unmarshal !!str `soo...` into time.Duration". The
// quoted value is dropped from our message: it may be an expanded ${ENV} secret. The value may
// itself hold backticks and " into ", so it is whatever lies between the tag and the last " into ".
var typeRE = regexp.MustCompile("cannot unmarshal (!!\\w+)(?: .*)? into (\\S+)$")

// want says in words what a Go type expects in YAML.
func want(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list (one `- ` item per line, or [a, b])"
	case strings.HasPrefix(goType, "map["):
		return "a mapping (key: value lines)"
	case goType == "time.Duration":
		return "a duration such as 90s, 5m or 1h"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint") || strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string" || strings.HasSuffix(goType, ".Secret"):
		return "a string"
	}
	return "a mapping (key: value lines)" // a struct: a section or a list entry
}

// got says in words what a YAML tag holds.
func got(tag string) string {
	switch tag {
	case "!!map":
		return "a mapping"
	case "!!seq":
		return "a list"
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "nothing"
	}
	return "a value of type " + tag
}

// keyAtLine returns the field path of the key named key declared on line.
func (f *File) keyAtLine(line int, key string) string {
	best := ""
	for p, l := range f.lines {
		if l == line && (p == key || strings.HasSuffix(p, "."+key)) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return f.pathAtLine(line)
	}
	return best
}

// valueAtLine returns the deepest field path whose value starts on line with the given tag: the
// value a type error is about.
func (f *File) valueAtLine(line int, tag string) string {
	best := ""
	for p, v := range f.values {
		if v.Line == line && v.Tag == tag && p != "" && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return f.pathAtLine(line)
	}
	return best
}

// pathAtLine returns the deepest field path declared on line.
func (f *File) pathAtLine(line int) string {
	best := ""
	for p, l := range f.lines {
		if l == line && len(p) > len(best) {
			best = p
		}
	}
	return best
}

func (f *File) applyEnv(getenv func(string) string, exists func(string) bool) {
	for _, p := range f.providers {
		if _, ok := f.sections[p.Name]; ok {
			continue // the file configures the provider
		}
		// The provider's one instance its environment variables describe, if any.
		if l, ok := p.Config.EnvList(getenv, exists); ok {
			f.sections[p.Name], f.FromEnv = l, append(f.FromEnv, p.Name)
		}
	}
}

// instances returns the configured instances of p.
func (f *File) instances(p collectors.Provider) []collectors.Settings {
	l, ok := f.sections[p.Name]
	if !ok {
		return nil
	}
	return p.Config.Instances(l)
}

// Validate checks every instance; errors name file, line and field.
func (f *File) Validate() error {
	var errs []error
	seen := map[string]bool{}
	// check validates instance i of provider, naming it when unnamed, and reports a name used twice.
	check := func(provider string, i int, c collectors.Settings) {
		if c.Name() == "" {
			name := "default"
			if i > 0 {
				name = strconv.Itoa(i)
			}
			c.SetName(name)
		}
		if err := c.Validate(); err != nil {
			field, msg, ok := strings.Cut(err.Error(), ": ")
			if !ok {
				field, msg = "", err.Error()
			}
			p := fmt.Sprintf("%s[%d]", provider, i)
			full := p
			if field != "" {
				full = p + "." + field
			}
			line, found := f.lines[full]
			if !found {
				line = f.lines[p]
			}
			file := f.Path
			if f.lines[p] == 0 {
				file, line = "environment", 0 // the instance came from env vars
			}
			errs = append(errs, &Error{File: file, Line: line, Field: full, Msg: msg})
		}
		if k := provider + "/" + c.Name(); seen[k] {
			errs = append(errs, &Error{File: f.Path, Line: f.lines[provider], Field: provider, Msg: fmt.Sprintf("two instances are named %q: give each a distinct name", c.Name())})
		} else {
			seen[k] = true
		}
	}
	for _, p := range f.providers {
		for i, c := range f.instances(p) {
			check(p.Name, i, c)
		}
	}
	if f.Timeout < 0 {
		errs = append(errs, &Error{File: f.Path, Line: f.lines["timeout"], Field: "timeout", Msg: "must not be negative"})
	}
	if err := f.LLM.Validate(); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		errs = append(errs, &Error{File: f.Path, Line: f.lines["llm."+field], Field: "llm." + field, Msg: msg})
	}
	if err := f.Alerts.Validate(); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		errs = append(errs, &Error{File: f.Path, Line: f.lines["alerts."+field], Field: "alerts." + field, Msg: msg})
	}
	if t := f.Enrich.Threshold; !(t >= 0 && t <= 1) { // NaN and ±Inf too: YAML reads .nan and .inf
		errs = append(errs, &Error{File: f.Path, Line: f.lines["enrich.threshold"], Field: "enrich.threshold", Msg: fmt.Sprintf("must be a number within [0,1], not %v", t)})
	}
	return errors.Join(errs...)
}

// Origin says where field (its yaml name: "token", "api_url") of instance i of provider came
// from, without its value: "token from $DO_STAGING_TOKEN, infragraph.yaml:14", "api_url at
// infragraph.yaml:15", "token from $DIGITALOCEAN_TOKEN". It is "" when the field is not set
// anywhere we know of. Errors use it to point at the thing to change.
func (f *File) Origin(provider string, i int, field string) string {
	if f == nil {
		return ""
	}
	if f.lines[fmt.Sprintf("%s[%d]", provider, i)] == 0 { // the instance came from the environment
		if f.getenv == nil {
			return ""
		}
		p, _ := f.providers.Lookup(provider)
		for _, v := range p.Env[field] {
			if f.getenv(v) != "" {
				return field + " from $" + v
			}
		}
		return ""
	}
	p := fmt.Sprintf("%s[%d].%s", provider, i, field)
	line, ok := f.lines[p]
	if !ok {
		return ""
	}
	at := fmt.Sprintf("%s:%d", f.Path, line)
	if v := f.refs[p]; v != "" {
		return field + " from $" + v + ", " + at
	}
	return field + " at " + at
}

// Origins joins the Origin of each field that is set, for an instance's error messages:
// "token from $DO_STAGING_TOKEN, infragraph.yaml:14; api_url at infragraph.yaml:15". An
// instance from the environment with none of them set is "from the environment".
func (f *File) Origins(provider string, i int, fields ...string) string {
	var out []string
	for _, fl := range fields {
		if o := f.Origin(provider, i, fl); o != "" {
			out = append(out, o)
		}
	}
	if len(out) == 0 && f.lines[fmt.Sprintf("%s[%d]", provider, i)] > 0 {
		return fmt.Sprintf("%s[%d] at %s:%d", provider, i, f.Path, f.lines[fmt.Sprintf("%s[%d]", provider, i)])
	}
	return strings.Join(out, "; ")
}

// Instances builds one instance per configured provider instance, and a skipped instance for each
// provider that has none (with the reason and how to configure it).
func (f *File) Instances() []collectors.Instance {
	var out []collectors.Instance
	have := map[string]bool{}
	for _, p := range f.providers {
		for i, c := range f.instances(p) {
			inst := collectors.Instance{Provider: p.Name, Name: c.Name(), Timeout: c.Timeout(),
				Origin: f.Origins(p.Name, i, p.OriginFields...)}
			if col, err := c.New(); err != nil {
				inst.Skip = "invalid configuration: " + err.Error()
			} else {
				inst.Collector = col
			}
			out, have[p.Name] = append(out, inst), true
		}
	}
	for _, name := range f.providers.Names() {
		if !have[name] {
			p, _ := f.providers.Lookup(name)
			out = append(out, collectors.Instance{Provider: name, Name: "default",
				Skip: fmt.Sprintf("not configured: set %s, or add a %s section to the config file", p.Credentials, name)})
		}
	}
	return out
}

// Providers is the registry the file was read with.
func (f *File) Providers() collectors.Registry { return f.providers }
