package toy_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/toy"
)

// Listed, the toy provider's vocabulary is the vocabulary's: the conformance suite finds its
// kinds and allows its edges.
func TestConformance(t *testing.T) {
	collectors.NewRegistry(toy.Provider)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[{"name":"shop","host":"status.shop.example.com"}]`))
	}))
	defer api.Close()
	c, err := toy.New(toy.Config{Name: "acme", URL: api.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "toy", c)
	if !out.HasEdge("toy:account:acme", "contains", "toy:site:shop") {
		t.Errorf("no account -contains-> site edge: %+v", out)
	}
	collectorstest.CheckCancelled(t, "toy", c)
}
