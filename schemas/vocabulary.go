// Package schemas declares infragraph's vocabulary once: node kinds per provider, edge types and,
// for each edge type, the (from kind, to kind) pairs it may join. It also embeds
// graph.schema.json, the JSON Schema of graph.json. Everything that needs the vocabulary (the
// validator, renderers, docs, `discover validate`) reads it from here.
//
// The vocabulary lives in vocabulary/*.yaml: edges.yaml names the edge types, one file per
// provider declares its kinds and the pairs its observed edges use, and inferred.yaml declares the
// pairs enrichers may propose.
package schemas

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed vocabulary/*.yaml graph.schema.json
var files embed.FS

// Edge type categories. Impact analysis follows dependency edges; containment edges point from
// parent to child; association edges relate things without either depending on the other.
const (
	Dependency  = "dependency"
	Containment = "containment"
	Association = "association"
)

// Identity and reference value types, used by rule-based inference to match references to the
// nodes they name.
const (
	TypeHost = "host" // a hostname, normalised (lower case, no trailing dot, no port)
	TypeIP   = "ip"   // an IPv4 or IPv6 address
	TypeCIDR = "cidr" // a network range
	TypeRepo = "repo" // a git repository "github.com/org/name"
	TypeURL  = "url"  // a URL reduced to scheme://host[:port]/path (no query, no userinfo)
)

// Vocabulary is the parsed vocabulary.
type Vocabulary struct {
	EdgeTypes map[string]EdgeType
	Kinds     map[string]Kind // by qualified kind "provider:kind"
	// Titles are the providers' names for people ("Vercel", "Git repositories"), by provider.
	Titles   map[string]string
	pairs    map[string][]Pair
	inferred map[string][]Pair // the pairs of inferred.yaml only
}

// EdgeType is one kind of relationship.
type EdgeType struct {
	Name        string `yaml:"-"`
	Category    string `yaml:"category"`
	Description string `yaml:"description"`
	// Build marks a build-time dependency (builds_from): losing its target stops a rebuild or a
	// redeploy, not what already runs, so impact lists it apart and does not walk through it.
	Build bool `yaml:"build"`
}

// Kind is one node kind of a provider.
type Kind struct {
	Provider    string `yaml:"-"`
	Name        string `yaml:"-"`
	Description string `yaml:"description"`
	// Category groups kinds for renderers: compute, database, network, dns, storage, app, code,
	// config, secret, org, messaging, external.
	Category string `yaml:"category"`
	// System kinds get their own section in INFRA.md (a Vercel project, a droplet, ...).
	System bool `yaml:"system"`
	// State marks kinds that hold data a deletion destroys (a volume, a database, a bucket), as
	// opposed to what can be rebuilt from its configuration (an image, a container).
	State bool `yaml:"state"`
	// FailsWithMembers marks a group that is down when a member is (a Compose service is its
	// container): impact steps from the member up to the group, as well as down.
	FailsWithMembers bool `yaml:"fails_with_members"`
	// OwnerFails marks a setting its owner reads at runtime (a project's env var): when what
	// it names breaks, so does the node that contains it.
	OwnerFails bool `yaml:"owner_fails"`
	// Identities lists the attributes that say what a node is reachable as, by value type
	// (host, ip, cidr, repo, url). Attribute names may contain * wildcards ("env.*.host").
	Identities map[string][]string `yaml:"identities"`
	// References lists the attributes that point at something elsewhere, by value type.
	References map[string][]string `yaml:"references"`
}

// Qualified returns "provider:kind".
func (k Kind) Qualified() string { return k.Provider + ":" + k.Name }

// Pair is an allowed (from, to) of an edge type; either side may use "*" wildcards
// ("digitalocean:*", "*").
type Pair struct{ From, To string }

type edgesFile struct {
	EdgeTypes map[string]EdgeType `yaml:"edge_types"`
}

type pairSpec struct {
	From []string `yaml:"from"`
	To   []string `yaml:"to"`
}

type providerFile struct {
	Provider string                `yaml:"provider"`
	Title    string                `yaml:"title"`
	Kinds    map[string]Kind       `yaml:"kinds"`
	Edges    map[string][]pairSpec `yaml:"edges"`
}

var (
	mu      sync.Mutex
	loaded  *Vocabulary
	loadErr error
	// registered are the vocabulary files provider packages bring (collectors.Provider's
	// Vocabulary), by their place among the embedded ones: "vocabulary/<provider>.yaml".
	registered = map[string][]byte{}
)

// Load returns the embedded vocabulary and the registered ones, parsed once.
func Load() (*Vocabulary, error) {
	mu.Lock()
	defer mu.Unlock()
	if loaded == nil && loadErr == nil {
		loaded, loadErr = Parse(layered{FS: files, extra: registered})
	}
	return loaded, loadErr
}

// Register adds the vocabulary file of a provider whose package brings its own (the built-in
// providers' files are embedded here) under vocabulary/<provider>.yaml; the next Load parses it
// with the rest. collectors.NewRegistry calls it for each provider it lists. A nil file withdraws
// the provider's (a test that listed a provider for a while).
func Register(provider string, file []byte) {
	mu.Lock()
	defer mu.Unlock()
	if file == nil {
		delete(registered, "vocabulary/"+provider+".yaml")
	} else {
		registered["vocabulary/"+provider+".yaml"] = file
	}
	loaded, loadErr = nil, nil
}

// layered is the embedded files with the registered ones beside them, as Parse reads them.
type layered struct {
	fs.FS
	extra map[string][]byte // by name: "vocabulary/<provider>.yaml"
}

func (l layered) ReadFile(name string) ([]byte, error) {
	if b, ok := l.extra[name]; ok {
		return b, nil
	}
	return fs.ReadFile(l.FS, name)
}

func (l layered) Glob(pattern string) ([]string, error) {
	names, err := fs.Glob(l.FS, pattern)
	if err != nil {
		return nil, err
	}
	for name := range l.extra {
		if slices.Contains(names, name) {
			return nil, fmt.Errorf("%s: registered, and embedded in schemas", name)
		}
		if ok, _ := path.Match(pattern, name); ok {
			names = append(names, name)
		}
	}
	return names, nil
}

// Parse reads vocabulary/*.yaml from fsys.
func Parse(fsys fs.FS) (*Vocabulary, error) {
	v := &Vocabulary{EdgeTypes: map[string]EdgeType{}, Kinds: map[string]Kind{}, Titles: map[string]string{},
		pairs: map[string][]Pair{}, inferred: map[string][]Pair{}}
	raw, err := fs.ReadFile(fsys, "vocabulary/edges.yaml")
	if err != nil {
		return nil, err
	}
	var ef edgesFile
	if err := strictUnmarshal(raw, &ef); err != nil {
		return nil, fmt.Errorf("vocabulary/edges.yaml: %w", err)
	}
	for name, et := range ef.EdgeTypes {
		switch et.Category {
		case Dependency, Containment, Association:
		default:
			return nil, fmt.Errorf("vocabulary/edges.yaml: edge type %s: category %q is not dependency, containment or association", name, et.Category)
		}
		et.Name = name
		v.EdgeTypes[name] = et
	}
	names, err := fs.Glob(fsys, "vocabulary/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		if path.Base(name) == "edges.yaml" {
			continue
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var pf providerFile
		if err := strictUnmarshal(raw, &pf); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if pf.Title != "" {
			if pf.Provider == "" {
				return nil, fmt.Errorf("%s: a title needs a provider", name)
			}
			v.Titles[pf.Provider] = pf.Title
		}
		for kname, k := range pf.Kinds {
			if pf.Provider == "" {
				return nil, fmt.Errorf("%s: kinds need a provider", name)
			}
			k.Provider, k.Name = pf.Provider, kname
			for typ := range k.Identities {
				if !knownValueType(typ) {
					return nil, fmt.Errorf("%s: kind %s: identity type %q unknown", name, kname, typ)
				}
			}
			for typ := range k.References {
				if !knownValueType(typ) {
					return nil, fmt.Errorf("%s: kind %s: reference type %q unknown", name, kname, typ)
				}
			}
			if _, dup := v.Kinds[k.Qualified()]; dup {
				return nil, fmt.Errorf("%s: kind %s declared twice", name, k.Qualified())
			}
			v.Kinds[k.Qualified()] = k
		}
		for et, specs := range pf.Edges {
			if _, ok := v.EdgeTypes[et]; !ok {
				return nil, fmt.Errorf("%s: edge type %q is not declared in edges.yaml", name, et)
			}
			for _, s := range specs {
				for _, f := range s.From {
					for _, t := range s.To {
						v.pairs[et] = append(v.pairs[et], Pair{From: f, To: t})
						if path.Base(name) == "inferred.yaml" {
							v.inferred[et] = append(v.inferred[et], Pair{From: f, To: t})
						}
					}
				}
			}
		}
	}
	// Every concrete kind named by a pair must exist, so a typo is caught by the tests.
	for et, ps := range v.pairs {
		for _, p := range ps {
			for _, k := range []string{p.From, p.To} {
				if !strings.Contains(k, "*") {
					if _, ok := v.Kinds[k]; !ok {
						return nil, fmt.Errorf("edge type %s: pair names unknown kind %q", et, k)
					}
				}
			}
		}
	}
	return v, nil
}

func knownValueType(t string) bool {
	switch t {
	case TypeHost, TypeIP, TypeCIDR, TypeRepo, TypeURL:
		return true
	}
	return false
}

func strictUnmarshal(raw []byte, out any) error {
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	return dec.Decode(out)
}

// Title is a provider's name for people ("Vercel"): its vocabulary's title, else its id.
func (v *Vocabulary) Title(provider string) string {
	if t, ok := v.Titles[provider]; ok {
		return t
	}
	return provider
}

// Providers names every provider the vocabulary declares kinds of, sorted (the built-in ones,
// git and external, and those provider packages registered).
func (v *Vocabulary) Providers() []string {
	seen := map[string]bool{}
	for _, k := range v.Kinds {
		seen[k.Provider] = true
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Kind returns the declared kind for provider and kind.
func (v *Vocabulary) Kind(provider, kind string) (Kind, bool) {
	k, ok := v.Kinds[provider+":"+kind]
	return k, ok
}

// EdgeAllowed reports whether an edge of type typ may join a node of qualified kind from
// ("provider:kind") to one of qualified kind to.
func (v *Vocabulary) EdgeAllowed(typ, from, to string) bool {
	for _, p := range v.pairs[typ] {
		if match(p.From, from) && match(p.To, to) {
			return true
		}
	}
	return false
}

// InferAllowed reports whether an enricher (rules or the LLM) may propose an edge of type typ
// from a node of qualified kind from to one of qualified kind to: only the pairs of inferred.yaml
// count, so no enricher can assert containment or a provider's own observed relationships.
func (v *Vocabulary) InferAllowed(typ, from, to string) bool {
	for _, p := range v.inferred[typ] {
		if match(p.From, from) && match(p.To, to) {
			return true
		}
	}
	return false
}

// InferredPairs returns the pairs of an edge type that enrichers may propose.
func (v *Vocabulary) InferredPairs(typ string) []Pair { return append([]Pair(nil), v.inferred[typ]...) }

// Pairs returns the allowed pairs of an edge type.
func (v *Vocabulary) Pairs(typ string) []Pair { return append([]Pair(nil), v.pairs[typ]...) }

// SortedKinds returns every kind sorted by qualified name.
func (v *Vocabulary) SortedKinds() []Kind {
	out := make([]Kind, 0, len(v.Kinds))
	for _, k := range v.Kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Qualified() < out[j].Qualified() })
	return out
}

// SortedEdgeTypes returns every edge type sorted by name.
func (v *Vocabulary) SortedEdgeTypes() []EdgeType {
	out := make([]EdgeType, 0, len(v.EdgeTypes))
	for _, e := range v.EdgeTypes {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// match matches a qualified kind against a pattern with "*" wildcards.
func match(pattern, s string) bool {
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

// MatchAttr reports whether attribute name matches a declared attribute pattern ("env.*.host").
// "*" matches any run of characters, dots included.
func MatchAttr(pattern, name string) bool {
	// strings.Cut, not strings.Split: the rules ask this for every attribute of every node
	// (a slice allocated per question was most of what a kind's attribute lookup cost at 100k)
	first, rest, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == name
	}
	if !strings.HasPrefix(name, first) {
		return false
	}
	s := name[len(first):]
	for {
		p, more, ok := strings.Cut(rest, "*")
		if !ok { // the last part: a suffix
			return strings.HasSuffix(s, p) && len(s) >= len(p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s, rest = s[j+len(p):], more
	}
}

func (k Kind) AttrsOfType(identity bool, typ string, attrs []string) []string {
	decl := k.References[typ]
	if identity {
		decl = k.Identities[typ]
	}
	var out []string
	for _, a := range attrs {
		for _, p := range decl {
			if MatchAttr(p, a) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// Schema returns graph.schema.json.
func Schema() []byte {
	b, err := files.ReadFile("graph.schema.json")
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}
