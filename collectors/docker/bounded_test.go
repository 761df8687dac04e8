package docker_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakeapi/fakeapitest"
)

// A container list padded past the 128 MiB cap fails that family with the cap named; the other
// families are kept (issue #26, item 5).
func TestHugeContainerListWarns(t *testing.T) {
	fake := dockerfake.New(dockerfake.MustLoad("demo"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/containers/json") {
			fakeapitest.WriteHuge(w, `[{"Id":"0123456789ab","Names":["/padded"],"Labels":{"padding":"`, `"}}]`, 129<<20)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := docker.New(docker.Config{Name: "e", Host: "tcp://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	out := collectorstest.Collect(t, "docker", c)
	want := "list containers: "
	if out.Err != nil || !slices.ContainsFunc(out.Warnings, func(w string) bool {
		return strings.HasPrefix(w, want) && strings.Contains(w, "/containers/json exceeded 128 MiB")
	}) {
		t.Fatalf("err %v, warnings %q: want a warning that the container list exceeded 128 MiB", out.Err, out.Warnings)
	}
	if out.CountKind("network") == 0 {
		t.Error("the other families were lost")
	}
}
