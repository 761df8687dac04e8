package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxDuplicates caps how many duplicate keys are listed one by one.
const maxDuplicates = 20

// DuplicateKeys lists the keys that occur twice in one object, at any depth, as
// `duplicate key "k" in /json/pointer`. encoding/json (and the schema validator) keep the last
// value silently, so a graph.json with two "nodes" arrays validated as whichever came last (issue
// #26 item 22). Invalid JSON yields nothing here: the parse reports it.
func DuplicateKeys(data []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		index  int    // next element of an array
		key    string // the member being read, in an object
		expect bool   // an object expects a key next
	}
	var stack []*frame
	var out []string
	more := 0
	// pointer is the JSON pointer of the innermost object, the one holding the current key.
	pointer := func() string {
		var b strings.Builder
		for _, f := range stack[:len(stack)-1] {
			b.WriteByte('/')
			if f.object {
				b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(f.key))
			} else {
				b.WriteString(strconv.Itoa(f.index - 1))
			}
		}
		if b.Len() == 0 {
			return "/"
		}
		return b.String()
	}
	// value notes that a value started in the enclosing container.
	value := func() {
		if n := len(stack); n > 0 {
			if f := stack[n-1]; f.object {
				f.expect = true
			} else {
				f.index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if k, isKey := tok.(string); isKey && top != nil && top.object && top.expect {
			top.key, top.expect = k, false
			if top.keys[k] {
				if len(out) < maxDuplicates {
					out = append(out, fmt.Sprintf("duplicate key %q in %s (JSON keeps only the last)", k, pointer()))
				} else {
					more++
				}
			}
			top.keys[k] = true
			continue
		}
		switch tok {
		case json.Delim('{'):
			value()
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, expect: true})
		case json.Delim('['):
			value()
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			value()
		}
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("and %d more duplicate keys", more))
	}
	return out
}
