// Package llmfake is an OpenAI-compatible chat completions endpoint for tests, in OpenAI's wire
// format (https://platform.openai.com/docs/api-reference/chat): a request body of model,
// messages (with tool_calls and tool results), tools and response_format; an answer with
// choices[].message (content, or tool_calls with finish_reason "tool_calls") and usage; errors
// as {"error":{"message","type"}}. It drives the real go-openai client; what it answers is up to
// the test (Reply). It records every request body, so a test can prove what never left.
package llmfake

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// Gateway serves POST /v1/chat/completions to callers bearing Key.
type Gateway struct {
	Key string
	// Reply answers one request: the status and the body (see Completion, ToolCalls, Error).
	Reply func(r Request) (status int, body string)

	mu     sync.Mutex
	bodies []string
}

// Request is a chat completion request as the fake reads it.
type Request struct {
	Model          string    `json:"model"`
	Messages       []Message `json:"messages"`
	Tools          []Tool    `json:"tools"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name string `json:"name"`
		} `json:"json_schema"`
	} `json:"response_format"`
	// N is the number of this request (1 for the first the gateway got).
	N int `json:"-"`
}

// Schema names the JSON schema asked for ("" when none).
func (r Request) Schema() string {
	if r.ResponseFormat == nil || r.ResponseFormat.JSONSchema == nil {
		return ""
	}
	return r.ResponseFormat.JSONSchema.Name
}

// Message is one chat message.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// Tool is a function the caller offers.
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// ToolCall is a call the model asks for.
type ToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// Call builds a ToolCall.
func Call(id, name, arguments string) ToolCall {
	c := ToolCall{ID: id, Type: "function"}
	c.Function.Name, c.Function.Arguments = name, arguments
	return c
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+g.Key {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, Error("Invalid API key", "authentication_error"))
		return
	}
	b, _ := io.ReadAll(r.Body)
	var req Request
	if err := json.Unmarshal(b, &req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, Error("request body is not JSON", "invalid_request_error"))
		return
	}
	g.mu.Lock()
	g.bodies = append(g.bodies, string(b))
	req.N = len(g.bodies)
	g.mu.Unlock()
	status, body := g.Reply(req)
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// Bodies returns every request body received, in order.
func (g *Gateway) Bodies() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.bodies...)
}

var usage = map[string]any{"prompt_tokens": 900, "completion_tokens": 120, "total_tokens": 1020}

// Completion is an answer with content (finish_reason "stop").
func Completion(model, content string) string {
	b, _ := json.Marshal(map[string]any{
		"id": "gen_01TEST", "object": "chat.completion", "created": 1763700000, "model": model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": content}}},
		"usage":   usage,
	})
	return string(b)
}

// ToolCalls is an answer asking for tool calls (finish_reason "tool_calls", content null).
func ToolCalls(model string, calls ...ToolCall) string {
	b, _ := json.Marshal(map[string]any{
		"id": "gen_01TOOLS", "object": "chat.completion", "created": 1763700000, "model": model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "tool_calls", "message": map[string]any{"role": "assistant", "content": nil, "tool_calls": calls}}},
		"usage":   usage,
	})
	return string(b)
}

// Error is an error body.
func Error(message, typ string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": message, "type": typ}})
	return string(b)
}
