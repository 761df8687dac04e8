// Package telemetry traces scans with OpenTelemetry: a span for the scan, each collector, every
// HTTP call (otelhttp), every LLM call (GenAI attributes) and validation. Spans are exported with
// the OTLP/HTTP exporter, configured by the standard OTEL_EXPORTER_OTLP_* variables or by a
// vendor preset. With nothing configured the global tracer stays the no-op one: no overhead.
package telemetry

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/infragraph/infragraph/httpguard"
)

// TracerName is the instrumentation scope of infragraph's own spans.
const TracerName = "github.com/infragraph/infragraph"

// Tracer returns infragraph's tracer from the global provider (no-op unless Setup enabled one).
func Tracer() trace.Tracer { return otel.Tracer(TracerName) }

// Presets lists the vendor presets for --telemetry.
var Presets = []string{"honeycomb", "grafana", "axiom", "datadog"}

// Options configure Setup.
type Options struct {
	// Preset is "", or one of Presets.
	Preset string
	// Getenv reads the environment (os.Getenv in the CLI).
	Getenv func(string) string
	// Version is infragraph's version, recorded as service.version.
	Version string
	// Exporter replaces the OTLP exporter (tests pass an in-memory one).
	Exporter sdktrace.SpanExporter
}

// Exporter says where spans go, for the user (no header values: they hold keys).
type Exporter struct {
	Endpoint string
	Headers  []string // header names only
}

// Setup installs a global tracer provider when telemetry is configured and returns a shutdown
// function that flushes it (call it before exit) and a description of the exporter. When nothing
// is configured it returns a no-op shutdown and enabled=false.
func Setup(ctx context.Context, o Options) (shutdown func(context.Context) error, enabled bool, exp Exporter, err error) {
	noop := func(context.Context) error { return nil }
	get := o.Getenv
	if get == nil {
		get = func(string) string { return "" }
	}
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") || get("OTEL_TRACES_EXPORTER") == "none" {
		return noop, false, exp, nil
	}
	var opts []otlptracehttp.Option
	switch {
	case o.Exporter != nil:
	case o.Preset != "":
		endpoint, headers, err := preset(o.Preset, get)
		if err != nil {
			return noop, false, exp, err
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
		if len(headers) > 0 {
			opts = append(opts, otlptracehttp.WithHeaders(headers))
		}
		exp.Endpoint = endpoint
		for k := range headers {
			exp.Headers = append(exp.Headers, k)
		}
		sort.Strings(exp.Headers)
	case get("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "":
		// otlptracehttp reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, compression) itself.
		exp.Endpoint = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
		if exp.Endpoint == "" {
			exp.Endpoint = strings.TrimRight(get("OTEL_EXPORTER_OTLP_ENDPOINT"), "/") + "/v1/traces"
		}
	default:
		return noop, false, exp, nil
	}
	exporter := o.Exporter
	if exporter == nil {
		if c := exporterClient(get); c != nil {
			opts = append(opts, otlptracehttp.WithHTTPClient(c))
		}
		exporter, err = otlptracehttp.New(ctx, opts...)
		if err != nil {
			return noop, false, exp, fmt.Errorf("telemetry: %w", err)
		}
	}
	res := serviceResource(ctx, o.Version)
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(scrubbing{exporter}), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return tp.Shutdown(ctx)
	}, true, exp, nil
}

// serviceResource describes infragraph the OpenTelemetry way: service.name "infragraph" and
// service.version are defaults that OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME override
// (resource.WithFromEnv runs last, and later detectors win; OTEL_SERVICE_NAME wins over a
// service.name in OTEL_RESOURCE_ATTRIBUTES, as the SDK environment variable spec says:
// https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
func serviceResource(ctx context.Context, version string) *resource.Resource {
	attrs := []attribute.KeyValue{attribute.String("service.name", "infragraph")}
	if version != "" {
		attrs = append(attrs, attribute.String("service.version", version))
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(),
	)
	if res == nil || (err != nil && len(res.Attributes()) == 0) {
		// A malformed OTEL_RESOURCE_ATTRIBUTES: keep what parsed, else the defaults.
		return resource.NewSchemaless(attrs...)
	}
	return res
}

// preset returns the OTLP traces endpoint and headers of a vendor, from the vendor's own key
// variables. OTEL_EXPORTER_OTLP_ENDPOINT still wins over the preset's default endpoint.
func preset(name string, get func(string) string) (string, map[string]string, error) {
	need := func(v string) (string, error) {
		if s := get(v); s != "" {
			return s, nil
		}
		return "", fmt.Errorf("telemetry preset %s: set %s", name, v)
	}
	endpoint := func(def string) string {
		if e := get("OTEL_EXPORTER_OTLP_ENDPOINT"); e != "" {
			def = e
		}
		return strings.TrimRight(def, "/") + "/v1/traces"
	}
	switch name {
	case "honeycomb":
		key, err := need("HONEYCOMB_API_KEY")
		if err != nil {
			return "", nil, err
		}
		h := map[string]string{"x-honeycomb-team": key}
		if d := get("HONEYCOMB_DATASET"); d != "" { // Honeycomb Classic only
			h["x-honeycomb-dataset"] = d
		}
		return endpoint("https://api.honeycomb.io"), h, nil
	case "grafana":
		ep, err := need("GRAFANA_OTLP_ENDPOINT") // https://otlp-gateway-prod-<zone>.grafana.net/otlp
		if err != nil {
			return "", nil, err
		}
		id, err := need("GRAFANA_INSTANCE_ID")
		if err != nil {
			return "", nil, err
		}
		tok, err := need("GRAFANA_API_TOKEN")
		if err != nil {
			return "", nil, err
		}
		return strings.TrimRight(ep, "/") + "/v1/traces", map[string]string{
			"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+tok)),
		}, nil
	case "axiom":
		tok, err := need("AXIOM_TOKEN")
		if err != nil {
			return "", nil, err
		}
		ds, err := need("AXIOM_DATASET")
		if err != nil {
			return "", nil, err
		}
		return endpoint("https://api.axiom.co"), map[string]string{"Authorization": "Bearer " + tok, "X-Axiom-Dataset": ds}, nil
	case "datadog":
		// With DD_API_KEY: the agentless OTLP traces intake (Preview); without: the local Agent's
		// OTLP receiver.
		if key := get("DD_API_KEY"); key != "" {
			return datadogIntake(key, get)
		}
		return endpoint("http://localhost:4318"), nil, nil
	}
	return "", nil, fmt.Errorf("unknown telemetry preset %q (known: %s)", name, strings.Join(Presets, ", "))
}

// datadogSites maps each Datadog site to its OTLP traces intake endpoint, as "Datadog OTLP
// Traces Intake Endpoint" documents them (https://docs.datadoghq.com/opentelemetry/setup/otlp_ingest/traces/,
// the region-param otlp_trace_endpoint of DataDog/documentation; read 2026-12). The page offers
// no endpoint for the other sites (ddog-gov.com): there DD_OTLP_TRACES_ENDPOINT must say where.
var datadogSites = map[string]string{
	"datadoghq.com":     "https://trace.agent.datadoghq.com/v1/traces",
	"us3.datadoghq.com": "https://trace.agent.us3.datadoghq.com/v1/traces",
	"us5.datadoghq.com": "https://trace.agent.us5.datadoghq.com/v1/traces",
	"datadoghq.eu":      "https://trace.agent.datadoghq.eu/v1/traces",
	"ap1.datadoghq.com": "https://trace.agent.ap1.datadoghq.com/v1/traces",
	"ap2.datadoghq.com": "https://trace.agent.ap2.datadoghq.com/v1/traces",
}

// datadogIntake is the agentless preset: the site's endpoint (DD_SITE, default datadoghq.com),
// or DD_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given (a proxy, a new
// site), and the headers the same page documents: dd-api-key, and compute_stats=true ("trace
// metrics are not computed by default for traces sent directly to the intake"); the optional
// dd-otel-span-mapping from DD_OTEL_SPAN_MAPPING. The dd-protocol and dd-otlp-source headers of
// an earlier version of the Preview page are no longer documented and are not sent.
func datadogIntake(key string, get func(string) string) (string, map[string]string, error) {
	h := map[string]string{"dd-api-key": key, "compute_stats": "true"}
	if m := get("DD_OTEL_SPAN_MAPPING"); m != "" {
		h["dd-otel-span-mapping"] = m
	}
	for _, v := range []string{"DD_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if ep := get(v); ep != "" {
			return ep, h, nil
		}
	}
	site := strings.ToLower(strings.TrimSpace(get("DD_SITE")))
	if site == "" {
		site = "datadoghq.com"
	}
	ep, ok := datadogSites[site]
	if !ok {
		known := make([]string, 0, len(datadogSites))
		for k := range datadogSites {
			known = append(known, k)
		}
		sort.Strings(known)
		return "", nil, fmt.Errorf("telemetry preset datadog: Datadog documents no OTLP traces intake for DD_SITE=%s (it does for %s); set DD_OTLP_TRACES_ENDPOINT, or unset DD_API_KEY to send to a local Agent", site, strings.Join(known, ", "))
	}
	return ep, h, nil
}

// exporterClient is the OTLP exporter's HTTP client with httpguard's redirect policy: its own
// follows any redirect, replaying the body (spans) and headers that are not Authorization (a
// DD-API-KEY) to another host. Its timeout is OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT (ms, default
// 10 s). With a certificate configured by OTEL_EXPORTER_OTLP_*CERTIFICATE the exporter keeps its
// own client (which reads those files), and with it its redirect rules: nil.
func exporterClient(get func(string) string) *http.Client {
	for _, k := range []string{"CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY"} {
		if get("OTEL_EXPORTER_OTLP_"+k) != "" || get("OTEL_EXPORTER_OTLP_TRACES_"+k) != "" {
			return nil
		}
	}
	timeout := 10 * time.Second
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"} {
		if ms, err := strconv.Atoi(get(k)); err == nil && ms > 0 {
			timeout = time.Duration(ms) * time.Millisecond
		}
	}
	return httpguard.Client(&http.Client{Timeout: timeout})
}

// Transport wraps an HTTP transport so every request gets a client span. With telemetry off the
// global provider is no-op and the wrapper costs next to nothing.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return otelhttp.NewTransport(base, otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
		return "HTTP " + r.Method + " " + r.URL.Host
	}))
}

// RecordError marks span as failed with err.
func RecordError(span trace.Span, err error) {
	if err == nil {
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}
