package llm

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// gatewayOptions adds providerOptions.gateway to chat completion bodies: go-openai has no extra
// body field for chat requests (sashabaranov/go-openai#961), so the one place to add it is the
// transport. The model fallback chain and routing policy travel there.
type gatewayOptions struct {
	next http.RoundTripper
	opts func(model string) map[string]any
}

func (t gatewayOptions) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") || r.Body == nil {
		return t.next.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) == nil {
		model, _ := m["model"].(string)
		if o := t.opts(model); len(o) > 0 {
			m["providerOptions"] = map[string]any{"gateway": o}
			if nb, err := json.Marshal(m); err == nil {
				b = nb
			}
		}
	}
	r = r.Clone(r.Context())
	r.ContentLength = int64(len(b))
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return t.next.RoundTrip(r)
}

// retryable is what the LLM client retries: 408, 409, 429 and 5xx. It never retries 400, 401,
// 402, 403, 404: those will not get better.
func retryable(code int) bool {
	return code == 408 || code == 409 || code == 429 || code >= 500
}
