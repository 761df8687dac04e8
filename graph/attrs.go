package graph

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
)

// NormalizeAttrs converts attribute values to the types graph.json carries (string, bool, int64,
// float64, []string) and drops nil values and empty strings and slices. Unknown types are
// formatted with %v so nothing panics at encode time. It returns a new map (nil when nothing is
// left); a []string already sorted and free of duplicates and empty strings is kept as it is.
func NormalizeAttrs(a Attrs) Attrs { return normalizeAttrs(a, nil) }

// normalizeAttrs is NormalizeAttrs, calling ref (when not nil) with each Ref value it drops: a
// copy of the map, then only the values that are not normal replaced or dropped, in one pass
// (most values are normal, and copying the map is cheaper than inserting every key anew).
func normalizeAttrs(a Attrs, ref func(k string, r Ref)) Attrs {
	if len(a) == 0 {
		return nil
	}
	out := maps.Clone(a)
	for k, v := range a {
		switch x := v.(type) {
		case string:
			if x == "" {
				delete(out, k)
			}
		case bool, int64:
		case nil:
			delete(out, k)
		case Ref: // its facts are written by Node.Normalize
			delete(out, k)
			if ref != nil {
				ref(k, x)
			}
		case int:
			out[k] = int64(x)
		case int32:
			out[k] = int64(x)
		case uint16:
			out[k] = int64(x)
		case uint32:
			out[k] = int64(x)
		case uint64:
			out[k] = int64(x)
		case float32:
			out[k] = float64(x)
		case float64:
			if x == float64(int64(x)) {
				out[k] = int64(x) // JSON round trips decode numbers as float64
			}
		case []string:
			if isClean(x) {
				if len(x) == 0 {
					delete(out, k)
				}
			} else if s := cleanStrings(x); len(s) > 0 {
				out[k] = s
			} else {
				delete(out, k)
			}
		case []any:
			ss := make([]string, 0, len(x))
			for _, e := range x {
				if s, ok := e.(string); ok { // what fmt.Sprint gives, without formatting
					ss = append(ss, s)
				} else {
					ss = append(ss, fmt.Sprint(e))
				}
			}
			if s := cleanStrings(ss); len(s) > 0 {
				out[k] = s
			} else {
				delete(out, k)
			}
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cleanStrings returns in sorted, without duplicates and empty strings: in itself when it is so
// already, else a new slice.
func cleanStrings(in []string) []string {
	if isClean(in) {
		return in
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isClean reports whether ss is sorted, without duplicates and empty strings.
func isClean(ss []string) bool {
	if len(ss) == 0 || ss[0] == "" {
		return len(ss) == 0
	}
	for i := 1; i < len(ss); i++ {
		if ss[i] <= ss[i-1] {
			return false
		}
	}
	return true
}

// AttrValues returns an attribute's value(s) as strings: one for a scalar, each element for a
// list. It is what evidence grounding compares against.
func (n Node) AttrValues(field string) ([]string, bool) {
	v, ok := n.Attrs[field]
	if !ok {
		return nil, false
	}
	switch x := v.(type) {
	case []string:
		return x, true
	case string:
		return []string{x}, true
	case bool:
		return []string{strconv.FormatBool(x)}, true
	case int64:
		return []string{strconv.FormatInt(x, 10)}, true
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}, true
	default:
		return []string{fmt.Sprint(x)}, true
	}
}

// Str returns a string attribute ("" when absent or not a string).
func (n Node) Str(field string) string {
	s, _ := n.Attrs[field].(string)
	return s
}

// Keys returns the attribute keys sorted.
func (a Attrs) Keys() []string {
	ks := make([]string, 0, len(a))
	for k := range a {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
