package export

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/schemas"
)

// Backstage annotation keys: every entity links back to the node it came from.
const (
	AnnotationNodeID   = "infragraph.dev/node-id"
	AnnotationProvider = "infragraph.dev/provider"
	AnnotationKind     = "infragraph.dev/kind"
	AnnotationSource   = "infragraph.dev/source"
	AnnotationStale    = "infragraph.dev/stale"
)

// BackstageOptions are the choices the graph cannot make for a catalog.
type BackstageOptions struct {
	// Owner is every entity's spec.owner, an entity reference ("group:default/platform"): the
	// graph knows no teams of the organisation's identity provider, and Backstage requires one.
	// Empty means "unknown".
	Owner string
}

// ownerRef is Backstage's entity reference syntax, [kind:][namespace/]name, with its name rules.
var ownerRef = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*:)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/)?[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*$`)

// CheckOwner reports whether owner is an entity reference Backstage accepts.
func CheckOwner(owner string) error {
	_, name, found := strings.Cut(owner, "/")
	if !found {
		name = owner
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if !ownerRef.MatchString(owner) || len(name) > 63 {
		return fmt.Errorf("owner %q is not a Backstage entity reference ([kind:][namespace/]name, e.g. group:default/platform)", owner)
	}
	return nil
}

// BackstageWith returns the Backstage writer with o.
func BackstageWith(o BackstageOptions) func(io.Writer, *graph.Graph) error {
	if o.Owner == "" {
		o.Owner = "unknown"
	}
	return func(w io.Writer, g *graph.Graph) error { return backstage(w, g, o) }
}

type entity struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   entityMetadata `yaml:"metadata"`
	Spec       entitySpec     `yaml:"spec"`
}

type entityMetadata struct {
	Name        string            `yaml:"name"`
	Title       string            `yaml:"title,omitempty"`
	Description string            `yaml:"description,omitempty"`
	Annotations map[string]string `yaml:"annotations"`
	Tags        []string          `yaml:"tags,omitempty"`
}

type entitySpec struct {
	Type           string   `yaml:"type,omitempty"`
	Lifecycle      string   `yaml:"lifecycle,omitempty"`
	Owner          string   `yaml:"owner"`
	System         string   `yaml:"system,omitempty"`
	SubcomponentOf string   `yaml:"subcomponentOf,omitempty"`
	DependsOn      []string `yaml:"dependsOn,omitempty"`
}

// Backstage writes the graph as Backstage catalog entities
// (https://backstage.io/docs/features/software-catalog/descriptor-format), one YAML document
// each, for a catalog location or `catalog-info.yaml`:
//
//   - a node of an org kind (Vercel team, DigitalOcean account or project, Supabase
//     organization) is a System;
//   - a node of an app kind (Vercel project, DigitalOcean app, compose service, edge function)
//     is a Component, type service (website for a Vercel project), its containing Component as
//     subcomponentOf;
//   - config and secret nodes (env var and secret names, tags, policies) are left out;
//   - every other node is a Resource whose type is its kind;
//   - spec.system is the nearest System containing the node, spec.dependsOn its dependency
//     edges to exported entities, spec.owner BackstageOptions.Owner ("unknown"), lifecycle
//     from an environment/target attribute when there is one, else "unknown".
//
// Entity names follow Backstage's rules (at most 63 characters of [a-z0-9-_.], alphanumeric at
// both ends): the kind and name slugged, cut, and a hash of the node id appended, so every node
// gets the same unique name on every export whatever else is in the graph.
func Backstage(w io.Writer, g *graph.Graph) error { return BackstageWith(BackstageOptions{})(w, g) }

func backstage(w io.Writer, g *graph.Graph, o BackstageOptions) error {
	vocab, err := schemas.Load()
	if err != nil {
		return err
	}
	nodes := g.Nodes()
	role := map[string]string{} // node id -> System, Component, Resource ("" left out)
	names := map[string]string{}
	seen := map[string]string{}
	for _, n := range nodes {
		k, _ := vocab.Kind(n.Provider, n.Kind)
		switch k.Category {
		case "org":
			role[n.ID] = "System"
		case "app":
			role[n.ID] = "Component"
		case "config", "secret":
			continue
		default:
			role[n.ID] = "Resource"
		}
		name := EntityName(n.Kind+"-"+n.Name, n.ID)
		if other, dup := seen[name]; dup {
			return fmt.Errorf("backstage: nodes %s and %s map to the same entity name %s", other, n.ID, name)
		}
		seen[name] = n.ID
		names[n.ID] = name
	}
	ref := func(id string) string { return strings.ToLower(role[id]) + ":" + names[id] }

	parents := map[string][]string{}
	for _, e := range g.Edges() {
		if vocab.EdgeTypes[e.Type].Category == schemas.Containment {
			parents[e.To] = append(parents[e.To], e.From)
		}
	}
	// nearest walks containment up, breadth first in sorted order, to the first node with role r.
	nearest := func(id, r string) string {
		seen := map[string]bool{id: true}
		frontier := []string{id}
		for len(frontier) > 0 {
			var next []string
			for _, c := range frontier {
				for _, p := range parents[c] {
					if seen[p] {
						continue
					}
					if role[p] == r {
						return p
					}
					seen[p] = true
					next = append(next, p)
				}
			}
			sort.Strings(next)
			frontier = next
		}
		return ""
	}

	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# infragraph export: Backstage catalog entities, one per document.\n")
	first := true
	for _, n := range nodes {
		r := role[n.ID]
		if r == "" {
			continue
		}
		k, _ := vocab.Kind(n.Provider, n.Kind)
		ent := entity{APIVersion: "backstage.io/v1alpha1", Kind: r,
			Metadata: entityMetadata{Name: names[n.ID], Title: n.Name, Description: k.Description,
				Annotations: map[string]string{AnnotationNodeID: n.ID, AnnotationProvider: n.Provider, AnnotationKind: n.Kind},
				Tags:        []string{tag(n.Provider), tag(n.Kind)}},
			Spec: entitySpec{Owner: o.Owner}}
		if n.Source != "" {
			ent.Metadata.Annotations[AnnotationSource] = n.Source
		}
		if n.Stale {
			ent.Metadata.Annotations[AnnotationStale] = "true"
		}
		if r != "System" {
			if s := nearest(n.ID, "System"); s != "" {
				ent.Spec.System = names[s]
			}
			ent.Spec.Type = tag(n.Kind)
			var deps []string
			for _, e := range g.Out(n.ID) {
				if vocab.EdgeTypes[e.Type].Category == schemas.Dependency && role[e.To] != "" && role[e.To] != "System" {
					deps = append(deps, ref(e.To))
				}
			}
			sort.Strings(deps)
			ent.Spec.DependsOn = uniqStrings(deps)
		}
		if r == "Component" {
			ent.Spec.Type = "service"
			if n.Provider == "vercel" && n.Kind == "project" {
				ent.Spec.Type = "website"
			}
			ent.Spec.Lifecycle = lifecycle(n)
			for _, p := range parents[n.ID] {
				if role[p] == "Component" {
					ent.Spec.SubcomponentOf = names[p]
					break
				}
			}
		}
		// One encoder per document: a single yaml.v3 Encoder over thousands of documents spends
		// its time shifting its event queue (2.6 s and 1 GB for 18,800 nodes; see BENCHMARKS.md).
		if !first {
			bw.WriteString("---\n")
		}
		first = false
		enc := yaml.NewEncoder(bw)
		enc.SetIndent(2)
		if err := enc.Encode(ent); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// EntityName maps a node to a Backstage entity name: text slugged to [a-z0-9-], cut to leave
// room, then "-" and the first 8 hex digits of the SHA-256 of key (the node id), at most 63
// characters in all.
func EntityName(text, key string) string {
	sum := sha256.Sum256([]byte(key))
	suffix := hex.EncodeToString(sum[:4])
	slug := slug(text)
	if len(slug) > 63-len(suffix)-1 {
		slug = slug[:63-len(suffix)-1]
	}
	slug = strings.Trim(slug, "-")
	if slug == "" {
		return suffix
	}
	return slug + "-" + suffix
}

// slug lowercases s and turns every run of characters outside [a-z0-9] into one "-", trimmed.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// tag makes a Backstage tag (or type) of a provider or kind name: "app_component" ->
// "app-component"; "unknown" when nothing is left.
func tag(s string) string {
	if t := slug(s); t != "" {
		return t
	}
	return "unknown"
}

// lifecycle reads a Component's lifecycle from its environment or target attribute: production
// is "production", preview, staging or development "experimental"; anything else "unknown".
func lifecycle(n graph.Node) string {
	for _, k := range []string{"environment", "target", "stage"} {
		switch strings.ToLower(n.Str(k)) {
		case "production", "prod":
			return "production"
		case "preview", "staging", "development", "dev":
			return "experimental"
		}
	}
	return "unknown"
}

func uniqStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
