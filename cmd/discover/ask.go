package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/config"
	"github.com/infragraph/infragraph/enrich/llm"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/serve"
	"github.com/infragraph/infragraph/termtext"
)

type askOpts struct {
	graph      string
	configPath string
	model      string
	rounds     int
	output     string
	llm        string
}

// askNoCredentials says how to configure a model for `discover ask`.
const askNoCredentials = `no LLM credentials: discover ask needs a model that supports tool calls. Set AI_GATEWAY_API_KEY
(the Vercel AI Gateway), or VERCEL_OIDC_TOKEN, or DISCOVER_LLM_BASE_URL and DISCOVER_LLM_API_KEY for
any OpenAI-compatible endpoint (README, "Asking questions")`

// newAskCmd builds `discover ask "QUESTION"`.
func newAskCmd(e *env) *cobra.Command {
	o := &askOpts{}
	cmd := &cobra.Command{
		Use:   `ask "QUESTION"`,
		Short: "Answer a plain-language question about the graph with a model that calls the MCP tools",
		Long: `ask puts a question in plain language ("what breaks if I rotate the acme-prod database
password?") to a model that answers by calling the read-only tools of discover mcp (search_nodes,
get_node, dependencies, impact, path, restore_order, changes_since, scan_status) over the latest
scan in --graph. It prints the tool calls the model made, its answer, and the node ids the answer
cites, checked against the graph: an id the graph does not have is flagged.

Every tool result is redacted before it is sent (secrets, emails, personal names), like the
scan's prompts. At most --rounds model calls are made; the last one offers no tools.

Credentials as for scan --llm: AI_GATEWAY_API_KEY, VERCEL_OIDC_TOKEN, or DISCOVER_LLM_BASE_URL
with DISCOVER_LLM_API_KEY for any OpenAI-compatible endpoint that supports tools; the config
file's llm: section (base_url, models) applies. Without credentials it exits 2. --llm demo asks
the scripted demo gateway instead (no credentials; a graph of discover scan --demo only).

Each round is appended to --graph's llm-audit.jsonl (model, tokens, the tools called, hashes of
the request and of the question, never its text), under the directory's lock.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAsk(cmd.Context(), e, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.graph, "graph", "g", defaultOut, "output directory of discover scan")
	f.StringVarP(&o.configPath, "config", "c", "", "configuration file (its llm: section; default as for scan)")
	f.StringVar(&o.model, "model", "", "model to ask (default: the last of llm.models, the strongest)")
	f.IntVar(&o.rounds, "rounds", llm.DefaultAskRounds, "most model calls for the question")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&o.llm, "llm", "", "demo: ask the scripted demo gateway on 127.0.0.1 (no credentials; only a graph of discover scan --demo)")
	return cmd
}

func runAsk(ctx context.Context, e *env, o *askOpts, question string) error {
	if strings.TrimSpace(question) == "" {
		return usageErr("ask: the question is empty")
	}
	if o.rounds < 1 {
		return usageErr("--rounds must be at least 1")
	}
	if o.output != "text" && o.output != "json" {
		return usageErr("-o must be text or json, not %q", o.output)
	}
	switch o.llm {
	case "":
	case llmDemo:
		de, stop, err := startDemoLLM(e)
		if err != nil {
			return err
		}
		defer stop()
		e = de
	default:
		return usageErr("ask: --llm is demo or not given (the credentials decide), not %q", o.llm)
	}
	path, _ := configFile(e, o.configPath)
	cfg, err := config.Load(path, e.providers(), e.Getenv, e.Exists)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	creds, err := llm.CredentialsFromEnv(e.Getenv, time.Now())
	switch {
	case err != nil:
		return usageErr("ask: %v", err)
	case !creds.Found():
		return usageErr("%s", askNoCredentials)
	}
	st, err := openStore(o.graph)
	if err != nil {
		return err
	}
	snap, err := st.Current()
	if snap == nil {
		return fmt.Errorf("no graph to ask about in %s (run discover scan first): %w", o.graph, err)
	}
	if o.llm == llmDemo && !snap.Graph.Scan.Demo {
		return usageErr("ask --llm demo answers only about a demo scan; %s holds a scan of real infrastructure", o.graph)
	}
	lc := cfg.LLM
	lc.APIKey, lc.KeySource = creds.Key, creds.Source
	if creds.BaseURL != "" {
		lc.BaseURL = creds.BaseURL
	}
	// Placeholders only need to agree within one question: a key of its own, nothing written.
	lc.Key = make([]byte, 32)
	rand.Read(lc.Key)
	en, err := llm.New(lc, nil)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	tools, closeTools, err := mcpTools(ctx, st)
	if err != nil {
		return err
	}
	defer closeTools()
	res, err := en.Ask(ctx, snap.Graph, question, o.model, tools, o.rounds)
	dir := o.graph // the output directory (--graph may name its graph.json)
	if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
		dir = filepath.Dir(dir)
	}
	if aerr := appendAskAudit(ctx, dir, cfg.LLM.Retention, askLockWait, en, snap.Graph.Scan.ID, time.Now()); aerr != nil {
		fmt.Fprintf(e.Stderr, "warning: the question's LLM audit records were not written to %s: %v\n", output.LLMAuditFile, aerr)
	}
	if o.output == "json" {
		if jerr := writeAskJSON(e.Stdout, res); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		printAsk(termtext.Writer(e.Stdout), res)
	}
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	return nil
}

// printAsk writes the tool calls, the answer and the check of its citations.
func printAsk(w io.Writer, r llm.AskResult) {
	fmt.Fprintf(w, "Tool calls (%d):\n", len(r.Calls))
	for i, c := range r.Calls {
		line := fmt.Sprintf("  %d. %s %s", i+1, c.Name, c.Arguments)
		if c.Error != "" {
			line += " -> error: " + c.Error
		}
		fmt.Fprintln(w, line)
	}
	if r.Answer == "" {
		return
	}
	fmt.Fprintf(w, "\nAnswer (model-written by %s, %d round(s), %d+%d tokens):\n\n%s\n\n", r.Model, r.Rounds, r.PromptTokens, r.CompletionTkns, r.Answer)
	switch {
	case len(r.Unknown) > 0:
		fmt.Fprintf(w, "Cited nodes: %d in the graph; NOT in the graph (do not trust what the answer says about them): %s\n", len(r.Cited), strings.Join(r.Unknown, ", "))
	case len(r.Cited) == 0:
		fmt.Fprintln(w, "Cited nodes: none (the answer names no node id; check it against discover query)")
	default:
		fmt.Fprintf(w, "Cited nodes: all %d in the graph: %s\n", len(r.Cited), strings.Join(r.Cited, ", "))
	}
}

// askJSON is `discover ask -o json`: the same facts as the text, for scripts.
type askJSON struct {
	Answer           string    `json:"answer"`
	Model            string    `json:"model"`
	Rounds           int       `json:"rounds"`
	ToolCalls        []askCall `json:"tool_calls"`
	Cited            []string  `json:"cited"`
	NotInGraph       []string  `json:"not_in_graph"`
	PromptTokens     int       `json:"prompt_tokens"`
	CompletionTokens int       `json:"completion_tokens"`
}

type askCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	Error     string `json:"error,omitempty"`
}

func writeAskJSON(w io.Writer, r llm.AskResult) error {
	out := askJSON{Answer: r.Answer, Model: r.Model, Rounds: r.Rounds, ToolCalls: []askCall{}, Cited: r.Cited, NotInGraph: r.Unknown,
		PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTkns}
	for _, c := range r.Calls {
		out.ToolCalls = append(out.ToolCalls, askCall{Name: c.Name, Arguments: c.Arguments, Error: c.Error})
	}
	if out.Cited == nil {
		out.Cited = []string{}
	}
	if out.NotInGraph == nil {
		out.NotInGraph = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// mcpTools serves the MCP server's read-only tools to a question over an in-memory session:
// the same tools, arguments and results an agent gets from discover mcp, not a second copy.
func mcpTools(ctx context.Context, st *serve.Store) (llm.Tools, func(), error) {
	srv := serve.NewMCPServer(&serve.Service{Store: st}, serve.MCPOptions{Version: versionString()})
	ct, srvT := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, srvT, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("tools: %w", err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "discover-ask", Version: versionString()}, nil).Connect(ctx, ct, nil)
	if err != nil {
		ss.Close()
		return nil, nil, fmt.Errorf("tools: %w", err)
	}
	return sessionTools{cs}, func() { cs.Close(); ss.Close() }, nil
}

type sessionTools struct{ cs *mcp.ClientSession }

func (t sessionTools) List(ctx context.Context) ([]llm.Tool, error) {
	r, err := t.cs.ListTools(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []llm.Tool
	for _, tl := range r.Tools {
		if tl.Annotations == nil || !tl.Annotations.ReadOnlyHint {
			continue // only what cannot change anything
		}
		schema, err := json.Marshal(tl.InputSchema)
		if err != nil {
			return nil, fmt.Errorf("tool %s: %w", tl.Name, err)
		}
		out = append(out, llm.Tool{Name: tl.Name, Description: tl.Description, Parameters: schema})
	}
	return out, nil
}

func (t sessionTools) Call(ctx context.Context, name string, args json.RawMessage) (string, error) {
	if len(args) == 0 || !json.Valid(args) {
		if len(args) > 0 {
			return "", errors.New("arguments are not JSON")
		}
		args = json.RawMessage(`{}`)
	}
	r, err := t.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return "", err
	}
	var text []string
	for _, c := range r.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	if r.IsError {
		return "", errors.New(strings.Join(text, " "))
	}
	if r.StructuredContent != nil {
		b, err := json.Marshal(r.StructuredContent)
		return string(b), err
	}
	return strings.Join(text, "\n"), nil
}
