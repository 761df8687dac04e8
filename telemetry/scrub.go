package telemetry

import (
	"context"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/infragraph/infragraph/evidence"
)

// scrubbing is the exporter every span passes on its way out. otelhttp records url.full with
// the query string; our collectors put only ids and cursors there, but a configured base URL
// (api_url, DISCOVER_LLM_BASE_URL) may carry "?key=…". The values of secret-named query
// parameters become REDACTED (the OpenTelemetry semantic conventions' own placeholder) and
// userinfo is dropped.
type scrubbing struct{ sdktrace.SpanExporter }

func (s scrubbing) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, sp := range spans {
		out[i] = scrubSpan(sp)
	}
	return s.SpanExporter.ExportSpans(ctx, out)
}

type scrubbedSpan struct {
	sdktrace.ReadOnlySpan
	attrs []attribute.KeyValue
}

func (s scrubbedSpan) Attributes() []attribute.KeyValue { return s.attrs }

func scrubSpan(sp sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	attrs := sp.Attributes()
	var changed []attribute.KeyValue
	for i, a := range attrs {
		if a.Value.Type() != attribute.STRING || !strings.Contains(a.Value.AsString(), "://") {
			continue
		}
		if s := scrubURL(a.Value.AsString()); s != a.Value.AsString() {
			if changed == nil {
				changed = append([]attribute.KeyValue(nil), attrs...)
			}
			changed[i] = attribute.String(string(a.Key), s)
		}
	}
	if changed == nil {
		return sp
	}
	return scrubbedSpan{ReadOnlySpan: sp, attrs: changed}
}

// scrubURL redacts a URL's userinfo and the values of its secret-named query parameters.
func scrubURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "REDACTED" // not a URL we can take apart: keep nothing
	}
	u.User = nil
	if u.RawQuery != "" {
		q, found := u.Query(), false
		for k, vs := range q {
			if secretParam(k) {
				found = true
				for i := range vs {
					vs[i] = "REDACTED"
				}
			}
		}
		if found {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

func secretParam(k string) bool {
	switch strings.ToLower(k) {
	case "key", "sig", "code", "x-amz-signature", "x-amz-credential", "x-goog-signature", "awsaccesskeyid":
		return true
	}
	return evidence.SecretKey(k)
}
