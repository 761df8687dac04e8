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

var cronRead = regexp.MustCompile(`"ir\.cron",\s*"search_read"`)

// Issue #26 item 10: a JSON-RPC server answering search_read with `{}` or a null result is not
// an instance without crons: the model's read fails (a warning), the collector is not ok, and
// history carries the crons forward.
func TestHollowSearchReadFails(t *testing.T) {
	for _, body := range []string{`{}`, `{"jsonrpc":"2.0","id":1,"result":null}`, `null`} {
		t.Run(body, func(t *testing.T) {
			f := start(t, "test", odoofake.Options{Version: 17})
			hollow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if cronRead.Match(b) {
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, body)
					return
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				f.fake.ServeHTTP(w, r)
			}))
			t.Cleanup(hollow.Close)
			f.srv = hollow
			out := collectorstest.Collect(t, "odoo", f.collector(t, Config{Protocol: "jsonrpc", Database: "erp"}))
			if out.Err != nil || !slices.ContainsFunc(out.Warnings, func(w string) bool { return strings.Contains(w, "ir.cron search_read: the answer is") }) {
				t.Fatalf("hollow ir.cron answer taken for no crons: err %v, warnings %q", out.Err, out.Warnings)
			}
		})
	}
}
