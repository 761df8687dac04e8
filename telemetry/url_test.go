package telemetry_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/infragraph/infragraph/telemetry"
)

// A configured base URL may carry credentials (userinfo, ?key=): the HTTP client span's
// url.full and every other attribute must not.
func TestHTTPSpanKeepsNoURLSecret(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) }))
	defer srv.Close()
	exp := tracetest.NewInMemoryExporter()
	shutdown, _, _, err := telemetry.Setup(context.Background(), telemetry.Options{Exporter: keep{exp}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer otel.SetTracerProvider(otel.GetTracerProvider())
	u := strings.Replace(srv.URL, "http://", "http://admin:CANARY-userinfo@", 1) + "/v1/x?key=CANARY-query-key&api_key=CANARY-q2&token=CANARY-q3&page=2"
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	resp, err := (&http.Client{Transport: telemetry.Transport(nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) == 0 {
		t.Fatal("no span")
	}
	var all strings.Builder
	for _, s := range spans {
		fmt.Fprintln(&all, s.Name)
		for _, a := range s.Attributes {
			fmt.Fprintln(&all, a.Key, a.Value.Emit())
		}
	}
	if strings.Contains(all.String(), "CANARY") {
		t.Errorf("a span keeps a URL secret:\n%s", all.String())
	}
	if !strings.Contains(all.String(), "/v1/x") {
		t.Errorf("url.full lost its path:\n%s", all.String())
	}
}
