package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxFrame caps one line of the MCP stdio protocol: a request of this read-only server is a few
// hundred bytes, so a megabyte is generous and bounds what one line can make us buffer.
const MaxFrame = 1 << 20

// maxDepth caps the nesting of a frame's JSON (our requests nest four or five levels).
const maxDepth = 64

// JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object).
const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
)

// NewStdioTransport is the MCP transport of `discover mcp`: newline-delimited JSON-RPC on in and
// out, like the SDK's StdioTransport, with a guard in front. The SDK's reader ends the session
// on the first frame it cannot decode (invalid JSON or UTF-8, deep nesting, a line over its cap,
// a batch), so one bad line from a client killed the server (issue #26 item 20). Here every line
// is checked first: a bad one is answered with a JSON-RPC error (-32700 parse error, -32600
// invalid request) and dropped, and the SDK sees only well-formed single messages.
func NewStdioTransport(in io.Reader, out io.Writer, log *slog.Logger) mcp.Transport {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &frameWriter{w: out}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(filterFrames(in, pw, w, log)) }()
	return &mcp.IOTransport{Reader: pr, Writer: w}
}

// frameWriter serializes whole frames from the SDK and from the guard onto one stream (the SDK
// writes each message, newline included, with one Write).
type frameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *frameWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.Write(p)
}

func (f *frameWriter) Close() error { return nil }

// filterFrames copies the well-formed lines of in to sdk and answers the others on out. It
// returns nil at the end of in.
func filterFrames(in io.Reader, sdk io.Writer, out io.Writer, log *slog.Logger) error {
	r := bufio.NewReaderSize(in, 64<<10)
	var line []byte
	overflow := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !overflow {
			if len(line)+len(chunk) > MaxFrame+2 { // + "\r\n"
				overflow, line = true, line[:0]
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		eof := err != nil
		if overflow {
			reject(out, log, nil, codeInvalidRequest, fmt.Sprintf("invalid request: a frame is at most %d bytes", MaxFrame))
		} else if frame := bytes.TrimSpace(line); len(frame) > 0 {
			if id, code, msg := checkFrame(frame); code != 0 {
				reject(out, log, id, code, msg)
			} else if _, err := sdk.Write(append(frame, '\n')); err != nil {
				return err // the server is gone
			}
		}
		line, overflow = line[:0], false
		if eof {
			return nil
		}
	}
}

// checkFrame returns code 0 for one JSON-RPC 2.0 message the SDK can decode, or the error code,
// message and (when one could be read) id to answer with.
func checkFrame(b []byte) (id json.RawMessage, code int, msg string) {
	if !utf8.Valid(b) {
		return nil, codeParseError, "parse error: the frame is not UTF-8"
	}
	if !json.Valid(b) {
		return nil, codeParseError, "parse error: the frame is not one JSON value"
	}
	if depth(b) > maxDepth {
		return nil, codeInvalidRequest, fmt.Sprintf("invalid request: JSON nested deeper than %d levels", maxDepth)
	}
	switch b[0] {
	case '[':
		return nil, codeInvalidRequest, "invalid request: batches are not supported"
	case '{':
	default:
		return nil, codeInvalidRequest, "invalid request: a message is a JSON object"
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, codeParseError, "parse error: " + err.Error()
	}
	if raw, ok := m["id"]; ok {
		switch kind(raw) {
		case '"':
			id = raw
		case '0':
			if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
				return nil, codeInvalidRequest, "invalid request: id is out of range"
			}
			id = raw
		case 'n':
		default:
			return nil, codeInvalidRequest, "invalid request: id must be a string or a number"
		}
	}
	var version string
	if json.Unmarshal(m["jsonrpc"], &version) != nil || version != "2.0" {
		return id, codeInvalidRequest, `invalid request: "jsonrpc" must be "2.0"`
	}
	if raw, ok := m["method"]; ok {
		if kind(raw) != '"' {
			return id, codeInvalidRequest, "invalid request: method must be a string"
		}
		if p, ok := m["params"]; ok && kind(p) != '{' && kind(p) != '[' && kind(p) != 'n' {
			return id, codeInvalidRequest, "invalid request: params must be an object or an array"
		}
		return nil, 0, ""
	}
	// no method: a response to one of our requests
	if id == nil {
		return nil, codeInvalidRequest, "invalid request: no method, and no id for a response"
	}
	if raw, ok := m["error"]; ok && kind(raw) != 'n' {
		var e struct {
			Code    *int64  `json:"code"`
			Message *string `json:"message"`
		}
		if kind(raw) != '{' || json.Unmarshal(raw, &e) != nil || e.Code == nil || e.Message == nil {
			return id, codeInvalidRequest, "invalid request: error must be an object with a code and a message"
		}
	}
	return nil, 0, ""
}

// kind is the type of a JSON value by its first byte: '{', '[', '"', 'n' (null), 't'/'f'
// (booleans) or '0' (numbers).
func kind(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	if c := raw[0]; c == '-' || (c >= '0' && c <= '9') {
		return '0'
	}
	return raw[0]
}

// depth is the deepest nesting of objects and arrays in valid JSON b.
func depth(b []byte) int {
	d, most, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{', c == '[':
			d++
			most = max(most, d)
		case c == '}', c == ']':
			d--
		}
	}
	return most
}

func reject(out io.Writer, log *slog.Logger, id json.RawMessage, code int, msg string) {
	if id == nil {
		id = json.RawMessage("null")
	}
	log.Warn("MCP frame rejected", "code", code, "reason", msg)
	b, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}{JSONRPC: "2.0", ID: id, Error: struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, msg}})
	out.Write(append(b, '\n'))
}
