package llm

import (
	"slices"
	"testing"

	"github.com/infragraph/infragraph/schemas"
)

// The node ids a narrative or an answer names are found for every provider of the vocabulary,
// one a provider package registered included, not only the built-in ones (issue #22: adding a
// provider needs no edit here).
func TestNodeIDsOfEveryProvider(t *testing.T) {
	text := "The shop [vercel:project:prj_1] and its status page toyid:site:shop, not toyidx."
	if got := nodeIDRE().FindAllString(text, -1); !slices.Equal(got, []string{"vercel:project:prj_1"}) {
		t.Errorf("before registration: %v", got)
	}
	schemas.Register("toyid", []byte("provider: toyid\ntitle: Toy\nkinds:\n  site: {category: app}\n"))
	defer schemas.Register("toyid", nil)
	if got := nodeIDRE().FindAllString(text, -1); !slices.Equal(got, []string{"vercel:project:prj_1", "toyid:site:shop"}) {
		t.Errorf("a registered provider's ids: %v", got)
	}
}
