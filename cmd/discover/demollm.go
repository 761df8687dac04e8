package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/infragraph/infragraph/enrich/llm/llmfake"
)

// llmDemo is the --llm value that starts the scripted demo gateway (llmfake.Demo) in-process on
// 127.0.0.1: the AI features tried on the demo estate without credentials or tokens.
const llmDemo = "demo"

// demoGateway builds the gateway --llm demo serves (a test wraps it to read the request bodies).
var demoGateway = llmfake.Demo

// startDemoLLM serves the demo gateway on 127.0.0.1 for this command and returns e with the LLM
// variables pointing at it and at nothing else: a real gateway's credentials in the environment
// are hidden, so they are never sent to the demo gateway, and demo answers never come from a
// real model. stop shuts the gateway down.
func startDemoLLM(e *env) (_ *env, stop func(), _ error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("demo LLM gateway: %w", err)
	}
	srv := &http.Server{Handler: demoGateway()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(e.Stderr, "demo LLM gateway:", err)
		}
	}()
	url := "http://" + ln.Addr().String() + "/v1"
	de := *e
	de.Getenv = func(k string) string {
		switch k {
		case "DISCOVER_LLM_BASE_URL":
			return url
		case "DISCOVER_LLM_API_KEY":
			return llmfake.DemoKey
		case "AI_GATEWAY_API_KEY", "VERCEL_OIDC_TOKEN":
			return ""
		}
		return e.Getenv(k)
	}
	return &de, func() { srv.Close(); <-done }, nil
}
