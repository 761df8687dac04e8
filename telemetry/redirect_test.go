package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/infragraph/infragraph/telemetry"
)

// An OTLP endpoint answering 307 to another port: the exporter does not replay the spans and
// the API key header there (issue #26, item 4).
func TestExporterRefusesRedirectToAnotherOrigin(t *testing.T) {
	var trapped, fronted atomic.Int32
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { trapped.Add(1) }))
	t.Cleanup(trap.Close)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fronted.Add(1)
		http.Redirect(w, r, trap.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(front.Close)
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": front.URL,
		"OTEL_EXPORTER_OTLP_HEADERS":  "dd-api-key=CANARY-otlp-key",
	}
	for k, v := range env {
		t.Setenv(k, v) // the exporter reads them from the process environment itself
	}
	shutdown, enabled, _, err := telemetry.Setup(context.Background(), telemetry.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil || !enabled {
		t.Fatalf("enabled=%v err=%v", enabled, err)
	}
	_, span := otel.Tracer("test").Start(context.Background(), "scan")
	span.End()
	serr := shutdown(context.Background()) // flushes: the export fails
	t.Log(serr)
	if fronted.Load() == 0 {
		t.Fatal("the exporter sent nothing: the test proves nothing")
	}
	if n := trapped.Load(); n != 0 {
		t.Errorf("the other origin received %d exports (spans and the API key header)", n)
	}
}
