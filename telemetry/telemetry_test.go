package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/telemetry"
)

type httpCollector struct{ url string }

func (c httpCollector) Collect(ctx context.Context, emit graph.Emitter) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url+"/v2/teams", nil)
	resp, err := (&http.Client{Transport: telemetry.Transport(nil)}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	emit.Node(graph.Node{ID: "vercel:team:t", Provider: "vercel", Kind: "team", Name: "t"})
	return nil
}

type noEnricher struct{}

func (noEnricher) Name() string { return "rules" }
func (noEnricher) Propose(ctx context.Context, g *graph.Graph) ([]enrich.Proposal, error) {
	_, span := telemetry.StartChat(ctx, "anthropic/claude-haiku-4.5", "https://ai-gateway.vercel.sh/v1")
	telemetry.EndChat(span, "anthropic/claude-haiku-4.5", "gen_1", []string{"stop"}, 120, 30, nil)
	return nil, nil
}

func TestScanSpanTree(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) }))
	defer srv.Close()
	exp := tracetest.NewInMemoryExporter()
	shutdown, enabled, _, err := telemetry.Setup(context.Background(), telemetry.Options{Exporter: keep{exp}, Version: "test"})
	if err != nil || !enabled {
		t.Fatal(err, enabled)
	}
	_, err = scan.Run(context.Background(), scan.Options{
		Instances: []collectors.Instance{{Provider: "vercel", Name: "default", Collector: httpCollector{srv.URL}}, {Provider: "odoo", Name: "default", Skip: "not configured"}},
		Enrichers: []enrich.Enricher{noEnricher{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil { // flushes
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	parent := func(child, want string) {
		t.Helper()
		c, ok := byName[child]
		if !ok {
			t.Fatalf("no span %q in %v", child, names(spans))
		}
		if p := byName[want]; c.Parent.SpanID() != p.SpanContext.SpanID() {
			t.Errorf("%s's parent is not %s", child, want)
		}
	}
	parent("collect vercel", "scan")
	parent("HTTP GET "+strings.TrimPrefix(srv.URL, "http://"), "collect vercel")
	parent("enrich rules", "scan")
	parent("chat anthropic/claude-haiku-4.5", "enrich rules")
	parent("validate rules", "scan")
	chat := byName["chat anthropic/claude-haiku-4.5"]
	attrs := map[string]string{}
	for _, a := range chat.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["gen_ai.operation.name"] != "chat" || attrs["gen_ai.usage.input_tokens"] != "120" || attrs["server.address"] != "ai-gateway.vercel.sh" {
		t.Errorf("chat attrs %v", attrs)
	}
	if _, ok := byName["collect odoo"]; ok {
		t.Error("skipped collector got a span")
	}
}

// keep stops the in-memory exporter from discarding its spans on shutdown.
type keep struct{ *tracetest.InMemoryExporter }

func (keep) Shutdown(context.Context) error { return nil }

func names(ss tracetest.SpanStubs) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

func TestOffWithoutConfiguration(t *testing.T) {
	before := otel.GetTracerProvider()
	_, enabled, _, err := telemetry.Setup(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil || enabled {
		t.Fatal(err, enabled)
	}
	if otel.GetTracerProvider() != before {
		t.Error("a tracer provider was installed with nothing configured")
	}
	_, enabled, _, _ = telemetry.Setup(context.Background(), telemetry.Options{Getenv: func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}[k]
	}})
	if enabled {
		t.Error("OTEL_SDK_DISABLED ignored")
	}
}

func TestPresets(t *testing.T) {
	const key = "CANARY-telemetry-key"
	for name, c := range map[string]struct {
		env      map[string]string
		endpoint string
		headers  string
		err      string
	}{
		"honeycomb":                  {map[string]string{"HONEYCOMB_API_KEY": key}, "https://api.honeycomb.io/v1/traces", "x-honeycomb-team", ""},
		"honeycomb missing":          {nil, "", "", "HONEYCOMB_API_KEY"},
		"grafana":                    {map[string]string{"GRAFANA_OTLP_ENDPOINT": "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp", "GRAFANA_INSTANCE_ID": "1", "GRAFANA_API_TOKEN": key}, "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp/v1/traces", "Authorization", ""},
		"axiom":                      {map[string]string{"AXIOM_TOKEN": key, "AXIOM_DATASET": "traces"}, "https://api.axiom.co/v1/traces", "Authorization,X-Axiom-Dataset", ""},
		"datadog":                    {nil, "http://localhost:4318/v1/traces", "", ""},
		"datadog agentless":          {map[string]string{"DD_API_KEY": key, "DD_SITE": "datadoghq.eu"}, "https://trace.agent.datadoghq.eu/v1/traces", "compute_stats,dd-api-key", ""},
		"datadog agentless us5":      {map[string]string{"DD_API_KEY": key, "DD_SITE": "us5.datadoghq.com"}, "https://trace.agent.us5.datadoghq.com/v1/traces", "compute_stats,dd-api-key", ""},
		"datadog agentless default":  {map[string]string{"DD_API_KEY": key}, "https://trace.agent.datadoghq.com/v1/traces", "compute_stats,dd-api-key", ""},
		"datadog agentless override": {map[string]string{"DD_API_KEY": key, "DD_SITE": "ddog-gov.com", "DD_OTLP_TRACES_ENDPOINT": "https://otlp-proxy.internal/v1/traces"}, "https://otlp-proxy.internal/v1/traces", "compute_stats,dd-api-key", ""},
		"datadog agentless gov":      {map[string]string{"DD_API_KEY": key, "DD_SITE": "ddog-gov.com"}, "", "", "DD_OTLP_TRACES_ENDPOINT"},
		"nope":                       {nil, "", "", "unknown telemetry preset"},
	} {
		preset := strings.Fields(name)[0]
		shutdown, enabled, exp, err := telemetry.Setup(context.Background(), telemetry.Options{Preset: preset, Getenv: func(k string) string { return c.env[k] }})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || enabled {
				t.Errorf("%s: err %v", name, err)
			}
			continue
		}
		if err != nil || !enabled || exp.Endpoint != c.endpoint || strings.Join(exp.Headers, ",") != c.headers {
			t.Errorf("%s: %v %v %+v", name, err, enabled, exp)
		}
		if strings.Contains(exp.Endpoint+strings.Join(exp.Headers, ""), key) {
			t.Errorf("%s: key leaked into the description", name)
		}
		shutdown(context.Background())
	}
}
