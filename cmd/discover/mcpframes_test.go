package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startMCP starts the real binary's `discover mcp` with args, speaking MCP on its stdin and
// stdout; it is killed when the test ends (and after two minutes: a hang, not a speed measurement).
func startMCP(t *testing.T, args ...string) (*exec.Cmd, io.WriteCloser, *bufio.Reader, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"mcp"}, args...)...)
	cmd.Env = append(os.Environ(), "DISCOVER_TEST_AS_MAIN=1")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hang := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	t.Cleanup(func() { hang.Stop(); cmd.Process.Kill() })
	return cmd, stdin, bufio.NewReaderSize(stdout, 1<<20), stderr
}

// TestMCPStdioSurvivesMalformedFrames is issue #26 item 20: `discover mcp` exited on the first
// frame the SDK could not decode. Each malformed frame is sent to the real binary over stdin;
// it must answer with the JSON-RPC error for it and then still answer a valid request.
func TestMCPStdioSurvivesMalformedFrames(t *testing.T) {
	dir := scannedDir(t)
	cmd, stdin, out, stderr := startMCP(t, "--graph", dir)

	type answer struct {
		ID     json.RawMessage `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	send := func(frame string) {
		t.Helper()
		if _, err := io.WriteString(stdin, frame+"\n"); err != nil {
			t.Fatalf("write: %v (stderr: %s)", err, stderr.String())
		}
	}
	read := func(what string) answer {
		t.Helper()
		line, err := out.ReadBytes('\n')
		if err != nil {
			t.Fatalf("%s: no answer, the server is gone: %v (stderr: %s)", what, err, stderr.String())
		}
		var a answer
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatalf("%s: answer is not JSON: %q", what, line)
		}
		return a
	}
	send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"frames-test","version":"1"}}}`)
	if a := read("initialize"); a.Error != nil || string(a.ID) != "0" {
		t.Fatalf("initialize: %+v", a)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)

	deep := `{"jsonrpc":"2.0","id":5,"method":"ping","params":{"a":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}`
	huge := `{"jsonrpc":"2.0","id":6,"method":"ping","params":{"x":"` + strings.Repeat("a", 17<<20) + `"}}`
	for i, c := range []struct {
		name, frame string
		code        int
		id          string
	}{
		{"invalid JSON", `{"jsonrpc":"2.0","id":1,"method":`, -32700, "null"},
		{"invalid UTF-8", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"x\":\"\xff\xfe\"}}", -32700, "null"},
		{"two values on a line", `{"jsonrpc":"2.0","id":3,"method":"ping"} {"x":1}`, -32700, "null"},
		{"deep nesting", deep, -32600, "null"},
		{"overlong line", huge, -32600, "null"},
		{"batch", `[{"jsonrpc":"2.0","id":7,"method":"ping"}]`, -32600, "null"},
		{"empty batch", `[]`, -32600, "null"},
		{"not an object", `42`, -32600, "null"},
		{"wrong version", `{"jsonrpc":"1.0","id":9,"method":"ping"}`, -32600, "9"},
		{"object id", `{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}`, -32600, "null"},
		{"number method", `{"jsonrpc":"2.0","id":"m","method":7}`, -32600, `"m"`},
		{"response without id", `{"jsonrpc":"2.0","result":{}}`, -32600, "null"},
		{"bad error object", `{"jsonrpc":"2.0","id":12,"error":"boom"}`, -32600, "12"},
	} {
		send(c.frame)
		a := read(c.name)
		if a.Error == nil || a.Error.Code != c.code || string(a.ID) != c.id {
			t.Errorf("%s: answer %+v (id %s), want error %d with id %s", c.name, a.Error, a.ID, c.code, c.id)
		}
		ping := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ping"}`, 100+i)
		send(ping)
		if a := read(c.name + ", then ping"); a.Error != nil || string(a.ID) != fmt.Sprint(100+i) || string(a.Result) != "{}" {
			t.Fatalf("after %s: ping answered %+v %s", c.name, a.Error, a.Result)
		}
	}
	send(`{"jsonrpc":"2.0","id":200,"method":"tools/call","params":{"name":"get_node","arguments":{"id":"1001"}}}`)
	if a := read("get_node"); a.Error != nil || !strings.Contains(string(a.Result), "erp-1 (digitalocean droplet)") {
		t.Errorf("get_node after the malformed frames: %+v %s", a.Error, a.Result)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("mcp exit at end of stdin: %v (stderr: %s)", err, stderr.String())
	}
}
