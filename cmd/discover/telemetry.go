package main

import (
	"context"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel"

	"github.com/infragraph/infragraph/telemetry"
)

// startTelemetry enables tracing when OTEL_EXPORTER_OTLP_* or --telemetry ask for it and returns
// the flush to run before exit.
func startTelemetry(ctx context.Context, e *env, g *globalOpts, log *slog.Logger) (func(), error) {
	shutdown, enabled, exp, err := telemetry.Setup(ctx, telemetry.Options{Preset: g.telemetry, Getenv: e.Getenv, Version: versionString()})
	if err != nil {
		return func() {}, usageErr("%v", err)
	}
	if enabled {
		log.Debug("telemetry on", "endpoint", exp.Endpoint, "headers", strings.Join(exp.Headers, ","))
		// An export that fails (no Datadog Agent listening, a wrong endpoint) is our log line,
		// not the SDK's bare stdlib one. The message names the endpoint, never a header value.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			log.Warn("telemetry export failed; the scan is unaffected", "endpoint", exp.Endpoint, "error", err)
		}))
	}
	return func() {
		if err := shutdown(context.WithoutCancel(ctx)); err != nil {
			log.Warn("telemetry flush failed", "error", err)
		}
	}, nil
}
