package serve

import (
	"strings"
	"testing"
)

// TestCheckFrameAcceptsWhatTheSDKReads: brackets and escaped quotes inside strings do not count as
// nesting, and ordinary requests, notifications and responses pass.
func TestCheckFrameAcceptsWhatTheSDKReads(t *testing.T) {
	for _, f := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_nodes","arguments":{"query":"` + strings.Repeat(`[{\"`, 200) + `"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":"a","result":{}}`,
		`{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}`,
		`{"jsonrpc":"2.0","id":4,"method":"ping","params":null}`,
	} {
		if _, code, msg := checkFrame([]byte(f)); code != 0 {
			t.Errorf("%.80s: refused %d %s", f, code, msg)
		}
	}
	if _, code, _ := checkFrame([]byte(`{"jsonrpc":"2.0","id":1e999,"method":"ping"}`)); code != codeInvalidRequest {
		t.Errorf("an id out of float64 range passed: %d", code)
	}
}
