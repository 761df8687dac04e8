package telemetry

import (
	"context"
	"net/url"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// GenAI attribute keys (OpenTelemetry GenAI semantic conventions). They are plain strings: the Go
// semconv packages from v1.42.0 on no longer carry gen_ai.* constants.
const (
	GenAIOperation     = "gen_ai.operation.name"
	GenAIProvider      = "gen_ai.provider.name"
	GenAIRequestModel  = "gen_ai.request.model"
	GenAIResponseModel = "gen_ai.response.model"
	GenAIResponseID    = "gen_ai.response.id"
	GenAIFinishReasons = "gen_ai.response.finish_reasons"
	GenAIInputTokens   = "gen_ai.usage.input_tokens"
	GenAIOutputTokens  = "gen_ai.usage.output_tokens"
	GenAIOutputType    = "gen_ai.output.type"
)

// StartChat starts a client span for one chat completion, named "chat <model>" as the
// conventions ask. Message contents are never recorded.
func StartChat(ctx context.Context, model, baseURL string) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{
		attribute.String(GenAIOperation, "chat"),
		attribute.String(GenAIProvider, "openai"), // an OpenAI-compatible API; server.address tells which
		attribute.String(GenAIRequestModel, model),
		attribute.String(GenAIOutputType, "json"),
	}
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		attrs = append(attrs, attribute.String("server.address", u.Hostname()))
		port := u.Port()
		if port == "" && u.Scheme == "https" {
			port = "443"
		}
		if p, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, attribute.Int("server.port", p))
		}
	}
	return Tracer().Start(ctx, "chat "+model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// EndChat records a chat completion's outcome on its span and ends it.
func EndChat(span trace.Span, responseModel, responseID string, finishReasons []string, inputTokens, outputTokens int, err error) {
	span.SetAttributes(
		attribute.String(GenAIResponseModel, responseModel),
		attribute.String(GenAIResponseID, responseID),
		attribute.StringSlice(GenAIFinishReasons, finishReasons),
		attribute.Int(GenAIInputTokens, inputTokens),
		attribute.Int(GenAIOutputTokens, outputTokens),
	)
	if err != nil {
		span.SetAttributes(attribute.String("error.type", "error"))
		RecordError(span, err)
	}
	span.End()
}
