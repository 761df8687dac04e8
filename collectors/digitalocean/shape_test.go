package digitalocean

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/fakeapi"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
)

// Issue #26 item 10: the account answers, every listing answers `200 {}` or `200 null`: godo
// would decode empty lists, an account without anything. Each family fails instead, naming the
// documented key it lacks, and the collector is never ok.
func TestHollowListingsFailTheirFamilies(t *testing.T) {
	for _, body := range []string{`{}`, `null`, `{"links":{},"meta":{"total":0}}`} {
		t.Run(body, func(t *testing.T) {
			fake := digitaloceanfake.New(testEstate(t))
			hollow := fakeapi.Hollow(fake, body)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/account" {
					fake.ServeHTTP(w, r)
					return
				}
				hollow.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			c, err := New(Config{Name: "test", Token: evidence.Secret(digitaloceanfake.Token), APIURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			c.backoff = 0
			res := collectors.Run(context.Background(), []collectors.Instance{{Provider: "digitalocean", Name: "test", Collector: c}}, collectors.Options{})
			st := res[0].Status
			warn := strings.Join(st.Warnings, "\n")
			if st.Status == graph.StatusOK || !strings.Contains(warn, `answer to /v2/droplets has no "droplets" key`) {
				t.Fatalf("status %s (%s), warnings:\n%s", st.Status, st.Reason, warn)
			}
		})
	}
}

func TestDocumentedKey(t *testing.T) {
	for path, want := range map[string]string{
		"/v2/droplets":                           "droplets",
		"/v2/account":                            "account",
		"/v2/kubernetes/clusters":                "kubernetes_clusters",
		"/v2/kubernetes/clusters/k1/node_pools":  "node_pools",
		"/v2/domains/acme.com/records":           "domain_records",
		"/v2/databases/d1/firewall":              "rules",
		"/v2/databases/d1/pools":                 "pools",
		"/v2/projects/p1/resources":              "resources",
		"/v2/registry/acme/repositoriesV2":       "repositories",
		"/v2/cdn/endpoints":                      "endpoints",
		"/prefix/v2/load_balancers":              "load_balancers",
		"/v2/something/new/we/do/not/know/about": "",
	} {
		if got := documentedKey(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}
