package telemetry_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/infragraph/infragraph/telemetry"
)

// intake stands in for Datadog's OTLP traces intake: it records what reaches it and answers
// 202 Accepted, as the intake does.
type intake struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (in *intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	in.mu.Lock()
	in.reqs = append(in.reqs, r)
	in.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// Issue #20: the Datadog agentless preset sends what "Datadog OTLP Traces Intake Endpoint"
// documents: OTLP/HTTP protobuf to .../v1/traces with dd-api-key and compute_stats=true, to
// an endpoint DD_OTLP_TRACES_ENDPOINT may override; the key reaches no log line.
func TestDatadogAgentlessSendsTheDocumentedRequest(t *testing.T) {
	const key = "CANARY-dd-api-key-0123456789abcdef"
	in := &intake{}
	srv := httptest.NewServer(in)
	defer srv.Close()
	var logs bytes.Buffer
	log.SetOutput(&logs)
	defer log.SetOutput(io.Discard)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { logs.WriteString(err.Error() + "\n") }))
	env := map[string]string{"DD_API_KEY": key, "DD_SITE": "datadoghq.eu", "DD_OTLP_TRACES_ENDPOINT": srv.URL + "/v1/traces"}
	shutdown, enabled, exp, err := telemetry.Setup(context.Background(), telemetry.Options{Preset: "datadog", Getenv: func(k string) string { return env[k] }, Version: "test"})
	if err != nil || !enabled {
		t.Fatal(err, enabled)
	}
	_, span := telemetry.Tracer().Start(context.Background(), "scan")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("export to a 202 intake failed: %v", err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.reqs) != 1 {
		t.Fatalf("%d requests reached the intake", len(in.reqs))
	}
	r := in.reqs[0]
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Errorf("%s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	if r.Header.Get("dd-api-key") != key || r.Header.Get("compute_stats") != "true" {
		t.Errorf("headers %v", r.Header)
	}
	if r.Header.Get("dd-protocol") != "" || r.Header.Get("dd-otlp-source") != "" {
		t.Errorf("headers the current page no longer documents were sent: %v", r.Header)
	}
	if strings.Contains(logs.String(), "CANARY") || strings.Contains(exp.Endpoint+strings.Join(exp.Headers, ","), "CANARY") {
		t.Errorf("the key reached a log line or the description: %q %+v", logs.String(), exp)
	}
}

// Issue #20: the service name follows the OpenTelemetry environment: OTEL_SERVICE_NAME, else a
// service.name in OTEL_RESOURCE_ATTRIBUTES, else "infragraph"; other attributes pass through.
func TestServiceNameFollowsTheEnvironment(t *testing.T) {
	for _, c := range []struct {
		name, attrs, want string
	}{
		{"", "", "infragraph"},
		{"billing-scan", "", "billing-scan"},
		{"", "service.name=from-attrs,deployment.environment=prod", "from-attrs"},
		{"wins", "service.name=from-attrs", "wins"},
	} {
		t.Setenv("OTEL_SERVICE_NAME", c.name)
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", c.attrs)
		exp := tracetest.NewInMemoryExporter()
		shutdown, _, _, err := telemetry.Setup(context.Background(), telemetry.Options{Exporter: keep{exp}, Version: "1.2.3"})
		if err != nil {
			t.Fatal(err)
		}
		_, span := telemetry.Tracer().Start(context.Background(), "scan")
		span.End()
		shutdown(context.Background())
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%d spans", len(spans))
		}
		got := map[string]string{}
		for _, a := range spans[0].Resource.Attributes() {
			got[string(a.Key)] = a.Value.Emit()
		}
		if got["service.name"] != c.want || got["service.version"] != "1.2.3" || got["telemetry.sdk.language"] != "go" {
			t.Errorf("OTEL_SERVICE_NAME=%q OTEL_RESOURCE_ATTRIBUTES=%q: resource %v", c.name, c.attrs, got)
		}
		if c.attrs != "" && strings.Contains(c.attrs, "deployment") && got["deployment.environment"] != "prod" {
			t.Errorf("OTEL_RESOURCE_ATTRIBUTES not applied: %v", got)
		}
	}
}
