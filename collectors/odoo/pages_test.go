package odoo

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
)

// A server that ignores search_read's offset answers the first page again and again: the walk
// stops at the second page with a warning naming the model, instead of reading until the
// timeout (issue #26, item 6).
func TestServerIgnoringOffsetStops(t *testing.T) {
	offsetRE := regexp.MustCompile(`("offset":\s*)\d+|(<name>offset</name><value><int>)\d+`)
	for _, protocol := range []string{"xmlrpc", "jsonrpc"} {
		t.Run(protocol, func(t *testing.T) {
			f := start(t, "scaled", odoofake.Options{Version: 17})
			calls := 0
			ignoring := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if bytes.Contains(b, []byte("search_read")) {
					calls++
				}
				b = offsetRE.ReplaceAll(b, []byte("${1}${2}0"))
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				f.fake.ServeHTTP(w, r)
			}))
			t.Cleanup(ignoring.Close)
			f.srv = ignoring // the collector's client sends every request here
			out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Protocol: protocol, Password: "CANARY-odoo-scaled-admin"}))
			if out.Err != nil {
				t.Fatalf("err = %v", out.Err)
			}
			if !slices.ContainsFunc(out.Warnings, func(w string) bool {
				return strings.Contains(w, "ir.cron search_read: page 2 (offset 500) repeats records") && strings.Contains(w, "ignores offset")
			}) {
				t.Errorf("warnings %q: none says ir.cron's pages repeat", out.Warnings)
			}
			if calls > 100 {
				t.Errorf("%d search_read calls: the walk did not stop", calls)
			}
		})
	}
}
