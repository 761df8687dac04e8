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
	"github.com/infragraph/infragraph/collectors/fakeapi"
)

// Issue #26 item 10: an engine answering `200 null` (or `{}`) is not an engine without
// containers. /info without an ID fails the collector; a list that is not an array fails its
// family (a warning), so the scan is never ok with the containers gone.
func TestHollowEngineAnswersFail(t *testing.T) {
	for _, body := range []string{`null`, `{}`} {
		t.Run(body, func(t *testing.T) {
			for _, tc := range []struct {
				hollow  func(path string) bool
				wantErr bool
				warn    string
			}{
				{hollow: func(p string) bool { return strings.HasSuffix(p, "/info") }, wantErr: true},
				{hollow: func(p string) bool { return strings.HasSuffix(p, "/containers/json") }, warn: "list containers: "},
				{hollow: func(p string) bool { return strings.HasSuffix(p, "/networks") }, warn: "list networks: "},
				{hollow: func(p string) bool { return strings.HasSuffix(p, "/volumes") }, warn: "list volumes: "},
			} {
				fake := dockerfake.New(dockerfake.MustLoad("demo"))
				hollow := fakeapi.Hollow(fake, body)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tc.hollow(r.URL.Path) {
						hollow.ServeHTTP(w, r)
						return
					}
					fake.ServeHTTP(w, r)
				}))
				c, err := docker.New(docker.Config{Name: "e", Host: "tcp://" + srv.Listener.Addr().String()})
				if err != nil {
					t.Fatal(err)
				}
				out := collectorstest.Collect(t, "docker", c)
				srv.Close()
				if tc.wantErr {
					if out.Err == nil || !strings.Contains(out.Err.Error(), "not the shape the Engine API documents") {
						t.Errorf("hollow /info: err %v", out.Err)
					}
					continue
				}
				if out.Err != nil || !slices.ContainsFunc(out.Warnings, func(w string) bool {
					return strings.HasPrefix(w, tc.warn) && strings.Contains(w, "not the shape the Engine API documents")
				}) {
					t.Errorf("err %v, warnings %q: want one starting %q", out.Err, out.Warnings, tc.warn)
				}
			}
		})
	}
}
