// Package llm is the enricher that asks a language model, through any OpenAI-compatible API (the
// Vercel AI Gateway by default), for the edges the rules could not decide. It never sends the
// graph: it builds candidate pairs deterministically, sends them in batches of compact, redacted
// node cards, and turns the answers into proposals that the validator checks like any other (an
// evidence quote that does not occur in the named field is rejected). Decisions are cached per
// candidate pair by the content of its two cards, calls run in a bounded pool under a per-scan
// budget, cheaper models go first and undecided pairs escalate.
package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/sync/errgroup"

	"github.com/infragraph/infragraph/enrich"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/httpguard"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/retry"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/telemetry"
)

// Enricher proposes edges with a language model.
type Enricher struct {
	cfg    Config
	client *openai.Client
	vocab  *schemas.Vocabulary

	mu     sync.Mutex
	calls  int
	tokens int
	// reserved is the maximum token cost of the calls in flight (see reserve).
	reserved int
	usage    map[string]*Usage
	audit    []AuditRecord
	notes    []string
	aborted  error // a failure no other model can fix (401, 402, 403)
	// answered and failed count the batches that got an answer and those that did not (every
	// model and retry failed); firstFail is the first failure's cause. A stage where every batch
	// failed (a gateway answering 500 to everything) is a failed stage, not an empty answer.
	answered, failed int
	firstFail        error
	dropped          int // proposals dropped from answers (see sanitize)
	// people are the graph's personal names (Personal), redacted from every prompt like secrets.
	people People
	// narrNotes are what Narrate could not do.
	narrNotes []string
}

// Bounds on what one answer may bring (issue #26 items 5 and 7). An answer is small JSON: at most
// MaxCompletionTokens (4096) tokens, some 16 KB, in an envelope.
const (
	// MaxResponseBytes caps a gateway response body; a longer one fails the call ("response
	// from <host>/v1/chat/completions exceeded 1 MiB") and nothing of it is cached.
	MaxResponseBytes = 1 << 20
	// MaxEdgesPerPair caps the proposals an answer may give per candidate pair it was asked
	// about; proposals past it are dropped and counted.
	MaxEdgesPerPair = 2
	// MaxEvidence caps the evidence items of one proposal, MaxField the characters of an
	// evidence node id, field or quote (clipped with "…": a clipped quote no longer grounds).
	MaxEvidence = 8
	MaxField    = 512
)

// Usage is what one model consumed in a scan.
type Usage struct {
	Calls            int `json:"calls"`
	CacheHits        int `json:"cache_hits"`
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	Failures         int `json:"failures"`
	// Dropped counts proposals of this model's answers that never reached the validator: off
	// the candidate pairs asked, duplicates, the reverse of a pair already answered, past
	// MaxEdgesPerPair, or a confidence outside [0,1].
	Dropped int `json:"dropped"`
}

// AuditRecord is one line of the audit log: hashes and counts, never a secret or a prompt.
type AuditRecord struct {
	// Scan is the id of the scan that made the record and At its start (RFC 3339, UTC): the log
	// keeps every scan's records for Config.Retention (see KeepAudit).
	Scan string `json:"scan,omitempty"`
	At   string `json:"at,omitempty"`
	// Task is what was asked: edges (empty, the default), "narrative" or "ask"; Subject what
	// about (a narrative's system id).
	Task            string          `json:"task,omitempty"`
	Subject         string          `json:"subject,omitempty"`
	Model           string          `json:"model"`
	TemplateVersion string          `json:"template_version"`
	RequestSHA256   string          `json:"request_sha256"`
	ResponseSHA256  string          `json:"response_sha256,omitempty"`
	CacheHit        bool            `json:"cache_hit"`
	Pairs           int             `json:"pairs"`
	Cards           int             `json:"cards"`
	Redactions      map[string]int  `json:"redactions"`
	Proposals       []AuditProposal `json:"proposals"`
	Undecided       int             `json:"undecided"`
	Dropped         int             `json:"dropped,omitempty"`
	PromptTokens    int             `json:"prompt_tokens"`
	CompletionTkns  int             `json:"completion_tokens"`
	FallbackFrom    string          `json:"fallback_from,omitempty"`
	Error           string          `json:"error,omitempty"`
	Verdicts        []AuditVerdict  `json:"verdicts,omitempty"`
	// Sentences counts a narrative's sentences kept (Dropped those the check dropped).
	Sentences int `json:"sentences,omitempty"`
	// ToolCalls counts the tool calls an ask answer requested, Tools names them (in order), and
	// QuestionSHA256 is the hash of the question as sent (redacted): never its text, which may
	// name what it asks about.
	ToolCalls      int      `json:"tool_calls,omitempty"`
	Tools          []string `json:"tools,omitempty"`
	QuestionSHA256 string   `json:"question_sha256,omitempty"`
}

// AuditProposal is a proposal as the audit log keeps it.
type AuditProposal struct {
	From       string  `json:"from"`
	To         string  `json:"to"`
	Type       string  `json:"type"`
	Confidence float64 `json:"confidence"`
}

// AuditVerdict is the validator's verdict on an audited proposal.
type AuditVerdict struct {
	AuditProposal
	Accepted bool            `json:"accepted"`
	Reasons  []enrich.Reason `json:"reasons,omitempty"`
}

// New returns an enricher; base is the HTTP transport to build on (nil: the default).
func New(cfg Config, base http.RoundTripper) (*Enricher, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	vocab, err := schemas.Load()
	if err != nil {
		return nil, err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	var rt http.RoundTripper = httpguard.LimitBody(base, MaxResponseBytes)
	if cfg.sendsGatewayOptions() {
		rt = gatewayOptions{next: rt, opts: cfg.gatewayOptions}
	}
	rt = telemetry.Transport(rt)
	// 408, 409, 429 and 5xx are retried, four attempts in all, with jittered backoff or the
	// answer's Retry-After (capped at 30 s); a wait the time budget (the stage's Timeout, the
	// call's CallTimeout) cannot afford fails the call now: sleeping into the deadline would
	// only hold the scan and its lock.
	rt = &retry.Transport{Next: rt, Retries: 3, RateRetries: 3, MaxAttempts: 4,
		Backoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second, Jitter: true, HonourRetryAfter5xx: true,
		Retryable: retryable, MaxWait: 30 * time.Second, CapWait: true, FailLongWait: true}
	oc := openai.DefaultConfig(cfg.APIKey.Reveal())
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	oc.HTTPClient = httpguard.Client(&http.Client{Transport: rt}) // same-origin redirects only
	return &Enricher{cfg: cfg, client: openai.NewClientWithConfig(oc), vocab: vocab, usage: map[string]*Usage{}}, nil
}

func (c *Config) gatewayOptions(model string) map[string]any {
	o := map[string]any{}
	var fb []string
	for _, m := range c.Fallbacks {
		if m != model {
			fb = append(fb, m)
		}
	}
	if len(fb) > 0 {
		o["models"] = fb
	}
	if c.ZeroDataRetention {
		o["zeroDataRetention"] = true
	}
	if c.DisallowPromptTraining {
		o["disallowPromptTraining"] = true
	}
	o["tags"] = []string{"infragraph", TemplateVersion}
	return o
}

// Name implements enrich.Enricher.
func (e *Enricher) Name() string { return "llm" }

type batch struct {
	pairs []Pair
	ids   []string
}

// Propose implements enrich.Enricher.
func (e *Enricher) Propose(ctx context.Context, g *graph.Graph) ([]enrich.Proposal, error) {
	e.people = Personal(g)
	pending := Candidates(g, e.vocab, e.cfg.MaxPairs)
	if len(pending) == 0 {
		e.note("no candidate pairs: the rules settled everything")
		return nil, nil
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	var out []enrich.Proposal
	var mu sync.Mutex
	for tier, model := range e.cfg.Models {
		if len(pending) == 0 {
			break
		}
		ask, replayed, undecided := e.replay(g, model, pending)
		out = append(out, replayed...)
		batches := makeBatches(ask, e.cfg.BatchSize)
		var eg errgroup.Group
		eg.SetLimit(e.cfg.Workers)
		for _, b := range batches {
			eg.Go(func() error {
				ps, und := e.runBatch(ctx, g, model, b)
				mu.Lock()
				out = append(out, ps...)
				undecided = append(undecided, und...)
				mu.Unlock()
				return nil
			})
		}
		_ = eg.Wait()
		if ctx.Err() != nil && parent.Err() == nil {
			e.abort(fmt.Errorf("%w of %s: the stage ended with the proposals it had", errTimeBudget, e.cfg.Timeout))
		}
		if e.abortErr() != nil {
			break
		}
		sort.Slice(undecided, func(i, j int) bool { return pairLess(undecided[i], undecided[j]) })
		pending = undecided
		if tier+1 < len(e.cfg.Models) && len(pending) > 0 {
			e.note(fmt.Sprintf("%d pairs escalated from %s to %s", len(pending), model, e.cfg.Models[tier+1]))
		}
	}
	if len(pending) > 0 && e.abortErr() == nil {
		e.note(fmt.Sprintf("%d pairs left undecided", len(pending)))
	}
	if errors.Is(e.abortErr(), errTimeBudget) {
		e.note(fmt.Sprintf("time budget of %s ran out: %d pairs not decided", e.cfg.Timeout, len(pending)))
	}
	if d := e.droppedCount(); d > 0 {
		e.note(fmt.Sprintf("%d proposals dropped from the answers (off the pairs asked, duplicate, reversed, over %d per pair, or confidence outside [0,1])", d, MaxEdgesPerPair))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Edge.Key(), out[j].Edge.Key()
		if a != b {
			return a.String() < b.String()
		}
		return out[i].Enricher < out[j].Enricher
	})
	if err := e.abortErr(); err != nil {
		return out, err
	}
	e.mu.Lock()
	answered, failed, first := e.answered, e.failed, e.firstFail
	e.mu.Unlock()
	if answered == 0 && failed > 0 {
		return out, fmt.Errorf("all %d requests failed; the first: %w", failed, first)
	}
	return out, nil
}

// outcome counts a batch as answered (err nil) or failed, keeping the first failure's cause.
func (e *Enricher) outcome(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		e.answered++
		return
	}
	e.failed++
	if e.firstFail == nil {
		e.firstFail = err
	}
}

// errTimeBudget is the stage running out of its time budget (Config.Timeout).
var errTimeBudget = errors.New("llm time budget exhausted")

func (e *Enricher) droppedCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

func (e *Enricher) abort(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.aborted == nil {
		e.aborted = err
	}
}

func (e *Enricher) abortErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.aborted
}

func pairLess(a, b Pair) bool {
	if a.A != b.A {
		return a.A < b.A
	}
	return a.B < b.B
}

func makeBatches(pairs []Pair, size int) []batch {
	var out []batch
	for i := 0; i < len(pairs); i += size {
		j := min(i+size, len(pairs))
		b := batch{pairs: append([]Pair(nil), pairs[i:j]...)}
		seen := map[string]bool{}
		for k := range b.pairs {
			b.pairs[k].ID = fmt.Sprintf("p%d", k+1) // ids local to the batch keep prompts stable
			for _, id := range []string{b.pairs[k].A, b.pairs[k].B} {
				if !seen[id] {
					seen[id] = true
					b.ids = append(b.ids, id)
				}
			}
		}
		sort.Strings(b.ids)
		out = append(out, b)
	}
	return out
}

func (e *Enricher) note(s string) {
	e.mu.Lock()
	e.notes = append(e.notes, s)
	e.mu.Unlock()
}

// runBatch asks model (then its fallbacks) about one batch and returns proposals and the pairs
// left undecided.
func (e *Enricher) runBatch(ctx context.Context, g *graph.Graph, model string, b batch) ([]enrich.Proposal, []Pair) {
	if ctx.Err() != nil || e.abortErr() != nil {
		return nil, b.pairs // the time budget ran out (or a fatal error): no call starts
	}
	red := e.redactor()
	cards := make([]Card, 0, len(b.ids))
	for _, id := range b.ids {
		n, _ := g.Node(id)
		cards = append(cards, card(n, red))
	}
	// The shared tokens come from names and values like the cards do: they pass the redactor too.
	sent := make([]Pair, len(b.pairs))
	for i, p := range b.pairs {
		p.Shared = make([]string, len(b.pairs[i].Shared))
		for j, t := range b.pairs[i].Shared {
			p.Shared[j] = red.Token(t)
		}
		sent[i] = p
	}
	prompt, err := userPrompt(cards, sent)
	if err != nil {
		return nil, b.pairs
	}
	schema := responseSchema(InferableTypes)
	rec := AuditRecord{Model: model, TemplateVersion: TemplateVersion, Pairs: len(b.pairs), Cards: len(cards), Redactions: red.Counts()}
	content, used, err := e.complete(ctx, model, request{version: TemplateVersion, system: systemPrompt, prompt: prompt, name: "edges", schema: schema}, &rec)
	if err != nil {
		rec.Error = err.Error()
		e.record(rec)
		e.outcome(err)
		return nil, b.pairs
	}
	rec.ResponseSHA256 = sha(content)
	ans, err := parseAnswer(content)
	if err != nil {
		rec.Error = err.Error()
		e.record(rec)
		e.outcome(fmt.Errorf("%s: %w", used, err))
		return nil, b.pairs
	}
	e.outcome(nil) // only an answer that parsed is cached (issue #26 item 12), below
	byID := map[string]Pair{}
	for _, p := range b.pairs {
		byID[p.ID] = p
	}
	var undecided []Pair
	seenUnd := map[string]bool{}
	for _, id := range ans.Undecided {
		if p, ok := byID[id]; ok && !seenUnd[id] {
			seenUnd[id] = true
			undecided = append(undecided, p)
		}
	}
	edges, dropped := sanitize(ans, b.pairs)
	var ps []enrich.Proposal
	perPair := map[[2]string][]answerEdge{}
	for _, ae := range edges {
		p := proposal(used, ae)
		ps = append(ps, p)
		rec.Proposals = append(rec.Proposals, AuditProposal{From: ae.FromID, To: ae.ToID, Type: ae.Type, Confidence: p.Edge.Confidence})
		u := unordered(ae.FromID, ae.ToID)
		perPair[u] = append(perPair[u], ae)
	}
	// Every pair asked gets its own decision in the cache (edges, none, or undecided), keyed by
	// its own cards: a rescan asks again only about pairs whose cards changed.
	for _, p := range b.pairs {
		e.decisionPut(e.pairKey(g, model, p), decision{Model: used, Edges: perPair[unordered(p.A, p.B)], Undecided: seenUnd[p.ID]})
	}
	rec.Undecided = len(undecided)
	rec.Dropped = dropped
	if dropped > 0 {
		e.use(used, func(u *Usage) { u.Dropped += dropped })
		e.mu.Lock()
		e.dropped += dropped
		e.mu.Unlock()
	}
	e.record(rec)
	return ps, undecided
}

// sanitize bounds an answer before anything of it is kept (issue #26 items 7, 13, 14): an edge
// must join the two ids of a candidate pair of this batch with a type that pair allows, one
// direction per pair, no duplicates, at most MaxEdgesPerPair per pair, with a confidence in
// [0,1] (NaN, infinities and 1e9 are not probabilities); evidence is cut to MaxEvidence items of
// at most MaxField characters each. It returns the edges kept and how many were dropped.
func sanitize(ans Answer, pairs []Pair) (kept []answerEdge, dropped int) {
	type pk struct{ a, b string }
	offered := map[pk]Pair{}
	for _, p := range pairs {
		offered[pk{p.A, p.B}] = p
		offered[pk{p.B, p.A}] = p
	}
	dir := map[pk]pk{}      // unordered pair -> the direction answered first
	perPair := map[pk]int{} // unordered pair -> edges kept
	seen := map[[3]string]bool{}
	for _, ae := range ans.Edges {
		p, ok := offered[pk{ae.FromID, ae.ToID}]
		if !ok || !slices.Contains(p.Types, ae.Type) || !(ae.Confidence >= 0 && ae.Confidence <= 1) {
			dropped++
			continue
		}
		u := pk{p.A, p.B}
		if d, ok := dir[u]; ok && d != (pk{ae.FromID, ae.ToID}) {
			dropped++ // A->B and B->A for one pair: the first direction stands
			continue
		}
		k := [3]string{ae.FromID, ae.ToID, ae.Type}
		if seen[k] || perPair[u] >= MaxEdgesPerPair {
			dropped++
			continue
		}
		seen[k] = true
		dir[u] = pk{ae.FromID, ae.ToID}
		perPair[u]++
		if len(ae.Evidence) > MaxEvidence {
			ae.Evidence = ae.Evidence[:MaxEvidence]
		}
		evs := make([]answerEvidence, len(ae.Evidence))
		for i, x := range ae.Evidence {
			evs[i] = answerEvidence{NodeID: clipField(x.NodeID), Field: clipField(x.Field), Quote: clipField(x.Quote)}
		}
		ae.Evidence = evs
		kept = append(kept, ae)
	}
	return kept, dropped
}

// clipField cuts a string the model wrote to MaxField bytes (on a rune boundary), marking the cut.
func clipField(s string) string {
	if len(s) <= MaxField {
		return s
	}
	i := MaxField
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// proposal turns a sanitized answer edge into a proposal of model. The scope is the edge's own
// pair: sanitize already dropped every edge off the pairs asked.
func proposal(model string, ae answerEdge) enrich.Proposal {
	conf := ae.Confidence * 0.85 // verbalised confidence runs high: discount it
	ev := make([]graph.Evidence, 0, len(ae.Evidence))
	for _, x := range ae.Evidence {
		ev = append(ev, graph.Evidence{Node: x.NodeID, Field: x.Field, Value: x.Quote})
	}
	scope := []string{ae.FromID, ae.ToID}
	sort.Strings(scope)
	return enrich.Proposal{
		Edge:      graph.Edge{From: ae.FromID, To: ae.ToID, Type: ae.Type, Origin: graph.LLM, Confidence: round2(conf), Evidence: ev},
		Enricher:  "llm/" + model,
		Rationale: "proposed by " + model + " from shared evidence",
		Scope:     scope,
	}
}

func unordered(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// redactor returns the redactor of one prompt: secrets and the graph's personal names.
func (e *Enricher) redactor() *Redactor { return NewRedactor(e.cfg.Key).WithPeople(e.people) }

func (e *Enricher) record(r AuditRecord) {
	e.mu.Lock()
	e.audit = append(e.audit, r)
	e.mu.Unlock()
}

// complete asks model for the answer to prompt and returns its content, the model that served
// it (the response's own "model": a gateway falling back names the fallback there) and the
// error. Fallbacks run in one place only (issue #20): when providerOptions.gateway is sent, the
// Vercel AI Gateway tries Fallbacks itself ("models": "if the primary model fails, the gateway
// tries the next", https://vercel.com/docs/ai-gateway/models-and-providers/model-fallbacks), so
// trying them again here would pay for every failure twice, in cost and in latency; against any
// other OpenAI-compatible server, which ignores providerOptions, this loop tries them.
func (e *Enricher) complete(ctx context.Context, model string, q request, rec *AuditRecord) (content, used string, err error) {
	models := []string{model}
	if !e.cfg.sendsGatewayOptions() {
		models = append(models, e.cfg.Fallbacks...)
	}
	rec.RequestSHA256 = sha(strings.Join([]string{q.version, model, q.system, string(q.schema), q.prompt}, "\x00"))
	var lastErr error
	for i, m := range models {
		if i > 0 && m == model {
			continue
		}
		need := estimateTokens(q.system, q.prompt, string(q.schema)) + maxCompletionTokens
		if err := e.reserve(need); err != nil {
			e.abort(err)
			return "", "", err
		}
		resp, err := e.call(ctx, m, q)
		if err != nil {
			e.release(need, 0)
			e.use(m, func(u *Usage) { u.Failures++ })
			lastErr = err
			if fatal(err) {
				e.abort(err)
				return "", "", err
			}
			continue
		}
		served := m
		if resp.Model != "" {
			served = resp.Model
		}
		if served != model {
			rec.FallbackFrom = model
		}
		rec.Model = served
		pt, ct := resp.Usage.PromptTokens, resp.Usage.CompletionTokens
		e.release(need, pt+ct)
		e.use(served, func(u *Usage) { u.Calls++; u.PromptTokens += pt; u.CompletionTokens += ct })
		rec.PromptTokens, rec.CompletionTkns = pt, ct
		if len(resp.Choices) == 0 {
			lastErr = errors.New(served + ": no choices in the answer")
			continue
		}
		return resp.Choices[0].Message.Content, served, nil
	}
	if lastErr == nil {
		lastErr = errors.New("no model available")
	}
	return "", "", lastErr
}

var errBudget = errors.New("llm budget for this scan exhausted")

// maxCompletionTokens bounds every answer (max_completion_tokens).
const maxCompletionTokens = 4096

// estimateTokens over-estimates the prompt tokens of a request: three bytes a token (English
// and JSON run nearer four), so a reservation is rarely short.
func estimateTokens(parts ...string) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n/3 + 1
}

// reserve takes a call and its maximum token cost (prompt estimate + max_completion_tokens) from
// the scan's budget before the call is sent, so concurrent calls cannot overshoot MaxTokens
// together (issue #20); release returns the reserved part and books what the call used.
func (e *Enricher) reserve(need int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.calls >= e.cfg.MaxCalls || e.tokens+e.reserved+need > e.cfg.MaxTokens {
		return fmt.Errorf("%w (%d calls, %d tokens used, %d reserved by calls in flight, %d for the next call, of %d)", errBudget, e.calls, e.tokens, e.reserved, need, e.cfg.MaxTokens)
	}
	e.calls++
	e.reserved += need
	return nil
}

func (e *Enricher) release(reserved, used int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reserved -= reserved
	e.tokens += used
}

func (e *Enricher) use(model string, f func(*Usage)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u := e.usage[model]
	if u == nil {
		u = &Usage{}
		e.usage[model] = u
	}
	f(u)
}

// request is one question with a structured answer: the prompt's version (part of the audit
// hash), the system and user prompts, and the answer's JSON schema and its name.
type request struct {
	version, system, prompt, name string
	schema                        json.RawMessage
}

func (e *Enricher) call(ctx context.Context, model string, q request) (openai.ChatCompletionResponse, error) {
	req := openai.ChatCompletionRequest{
		Model: model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: q.system},
			{Role: openai.ChatMessageRoleUser, Content: q.prompt},
		},
		MaxCompletionTokens: maxCompletionTokens,
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type:       openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: q.name, Schema: q.schema, Strict: true},
		},
	}
	return e.send(ctx, req)
}

// send sends one chat completion request (a seed where the model takes one) under the call's
// timeout and a telemetry span; a failure is described without the key.
func (e *Enricher) send(ctx context.Context, req openai.ChatCompletionRequest) (resp openai.ChatCompletionResponse, err error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.CallTimeout)
	defer cancel()
	ctx, span := telemetry.StartChat(ctx, req.Model, e.cfg.BaseURL)
	defer func() {
		var reasons []string
		for _, c := range resp.Choices {
			reasons = append(reasons, string(c.FinishReason))
		}
		telemetry.EndChat(span, resp.Model, resp.ID, reasons, resp.Usage.PromptTokens, resp.Usage.CompletionTokens, err)
	}()
	if sendsSeed(req.Model) {
		seed := 7
		req.Seed = &seed
	}
	resp, err = e.client.CreateChatCompletion(ctx, req)
	if err != nil {
		return resp, describe(req.Model, err, e.cfg.APIKey.Reveal())
	}
	return resp, nil
}

// sendsSeed reports whether seed means anything to model. Anthropic's models have none: the
// Messages API takes no seed, and Anthropic's own OpenAI-compatible layer lists "seed: Ignored"
// (https://platform.claude.com/docs/en/api/openai-sdk, "Request fields"), so it is not sent to
// anthropic/* ids. max_completion_tokens stays for every model: the same table lists it "Fully
// supported", and it is the bound the token budget reserves (see reserve).
func sendsSeed(model string) bool {
	m := strings.ToLower(model)
	return !strings.HasPrefix(m, "anthropic/") && !strings.HasPrefix(m, "claude")
}

// describe turns a client error into a short message with the status and the API's error type.
// The API's message and transport errors go through evidence.Scrub with the key: a gateway may
// echo the request (its key, a quoted prompt), a transport error prints the whole URL.
func describe(model string, err error, key string) error {
	var ae *openai.APIError
	var re *openai.RequestError
	switch {
	case errors.As(err, &ae):
		return &callError{model: model, status: ae.HTTPStatusCode, msg: evidence.Scrub(strings.TrimSpace(ae.Type+" "+ae.Message), key)}
	case errors.As(err, &re):
		return &callError{model: model, status: re.HTTPStatusCode, msg: http.StatusText(re.HTTPStatusCode)}
	}
	return &callError{model: model, msg: evidence.Scrub(err.Error(), key)}
}

type callError struct {
	model  string
	status int
	msg    string
}

func (c *callError) Error() string {
	if c.status > 0 {
		return fmt.Sprintf("model %s: HTTP %d: %s", c.model, c.status, c.msg)
	}
	return fmt.Sprintf("model %s: %s", c.model, c.msg)
}

// fatal errors stop every further call: bad credentials, no budget, forbidden.
func fatal(err error) bool {
	var ce *callError
	if errors.As(err, &ce) {
		return ce.status == 401 || ce.status == 402 || ce.status == 403
	}
	return errors.Is(err, errBudget)
}

// decision is what the cache keeps for one candidate pair: the edges an answer gave for it
// (already sanitized), or that it left the pair undecided, and the model that answered.
type decision struct {
	Model     string       `json:"model"`
	Edges     []answerEdge `json:"edges"`
	Undecided bool         `json:"undecided,omitempty"`
}

// maxDecisionBytes caps a cache entry read back: a decision is at most MaxEdgesPerPair edges of
// MaxEvidence clipped items, far below it; anything larger was not written by us.
const maxDecisionBytes = 256 << 10

// pairKey is the cache key of a pair's decision by model: the prompt version, the model asked,
// the system prompt and schema, and the content of the pair as sent (both redacted cards, the
// redacted shared tokens, the allowed types). The other pairs of a batch are not in it, so one
// new pair no longer shifts every later batch's key (issue #20).
func (e *Enricher) pairKey(g *graph.Graph, model string, p Pair) string {
	red := e.redactor()
	na, _ := g.Node(p.A)
	nb, _ := g.Node(p.B)
	shared := make([]string, len(p.Shared))
	for i, t := range p.Shared {
		shared[i] = red.Token(t)
	}
	b, _ := json.Marshal(struct {
		A, B   Card
		Shared []string
		Types  []string
	}{card(na, red), card(nb, red), shared, p.Types})
	return sha(strings.Join([]string{TemplateVersion, model, systemPrompt, string(responseSchema(InferableTypes)), string(b)}, "\x00"))
}

// replay splits pending into the pairs to ask model about and those it already decided in an
// earlier scan: their proposals come back from the cache (under the model that answered then),
// their undecided ones go on to the next tier.
func (e *Enricher) replay(g *graph.Graph, model string, pending []Pair) (ask []Pair, ps []enrich.Proposal, undecided []Pair) {
	if e.cfg.CacheDir == "" {
		return pending, nil, nil
	}
	for _, p := range pending {
		key := e.pairKey(g, model, p)
		d, ok := e.decisionGet(key, p)
		if !ok {
			ask = append(ask, p)
			continue
		}
		rec := AuditRecord{Model: d.Model, TemplateVersion: TemplateVersion, RequestSHA256: key, CacheHit: true, Pairs: 1, Cards: 2, Redactions: map[string]int{}}
		if d.Model != model {
			rec.FallbackFrom = model
		}
		for _, ae := range d.Edges {
			pr := proposal(d.Model, ae)
			ps = append(ps, pr)
			rec.Proposals = append(rec.Proposals, AuditProposal{From: ae.FromID, To: ae.ToID, Type: ae.Type, Confidence: pr.Edge.Confidence})
		}
		if d.Undecided {
			undecided = append(undecided, p)
			rec.Undecided = 1
		}
		e.use(d.Model, func(u *Usage) { u.CacheHits++ })
		e.record(rec)
	}
	return ask, ps, undecided
}

func (e *Enricher) cachePath(key string) string {
	return filepath.Join(e.cfg.CacheDir, key[:2], key+".json")
}

// decisionGet reads a pair's decision; an entry that is too big, does not parse, names no
// model, or whose edges sanitize would cut (off the pair, out of bounds) is ignored: ask again.
func (e *Enricher) decisionGet(key string, p Pair) (decision, bool) {
	var d decision
	if !e.cacheGet(key, &d) || d.Model == "" {
		return decision{}, false
	}
	if kept, dropped := sanitize(Answer{Edges: d.Edges}, []Pair{p}); dropped > 0 || len(kept) != len(d.Edges) {
		return decision{}, false
	}
	return d, true
}

// decisionPut caches a pair's decision (only ever from an answer that parsed).
func (e *Enricher) decisionPut(key string, d decision) { e.cachePut(key, d) }

// cacheGet reads the cache entry of key into v; an entry that is missing, behind a symlink, over
// maxDecisionBytes or not JSON is a miss.
func (e *Enricher) cacheGet(key string, v any) bool {
	if e.cfg.CacheDir == "" {
		return false
	}
	path := e.cachePath(key)
	if output.CheckIn(e.cfg.CacheDir, path) != nil {
		return false // a symlink in the way: never read through it
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDecisionBytes+1))
	if err != nil || len(b) > maxDecisionBytes {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// cachePut writes v as key's entry through output's safe writer: inside CacheDir, never through
// a symlink, 0600.
func (e *Enricher) cachePut(key string, v any) {
	if e.cfg.CacheDir == "" {
		return
	}
	b, _ := json.Marshal(v)
	_ = output.WriteFileIn(e.cfg.CacheDir, e.cachePath(key), 0o600, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// Summary reports usage per model, calls, budget and notes for graph.json's scan.enrichment.
func (e *Enricher) Summary() map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := map[string]any{"calls": e.calls, "tokens": e.tokens, "template_version": TemplateVersion}
	if e.dropped > 0 {
		s["dropped"] = e.dropped
	}
	models := make([]string, 0, len(e.usage))
	for m := range e.usage {
		models = append(models, m)
	}
	sort.Strings(models)
	for _, m := range models {
		u := e.usage[m]
		s["usage."+m+".calls"] = u.Calls
		s["usage."+m+".cache_hits"] = u.CacheHits
		s["usage."+m+".prompt_tokens"] = u.PromptTokens
		s["usage."+m+".completion_tokens"] = u.CompletionTokens
		if u.Failures > 0 {
			s["usage."+m+".failures"] = u.Failures
		}
		if u.Dropped > 0 {
			s["usage."+m+".dropped"] = u.Dropped
		}
	}
	if len(e.notes) > 0 {
		notes := append([]string(nil), e.notes...)
		sort.Strings(notes)
		s["notes"] = strings.Join(notes, "; ")
	}
	if e.aborted != nil {
		s["error"] = e.aborted.Error()
	}
	return s
}

// WriteAudit writes the audit log as JSON lines, joining each record's proposals with the
// validator's verdicts. Records are sorted by request hash, so the file is deterministic.
func (e *Enricher) WriteAudit(w io.Writer, verdicts []enrich.Verdict) error {
	return e.WriteScanAudit(w, verdicts, "", time.Time{})
}

// WriteScanAudit is WriteAudit with each record stamped with the scan's id and start (at), as
// the audit log that keeps every scan's records needs them.
func (e *Enricher) WriteScanAudit(w io.Writer, verdicts []enrich.Verdict, scan string, at time.Time) error {
	e.mu.Lock()
	recs := append([]AuditRecord(nil), e.audit...)
	e.mu.Unlock()
	type vk struct{ from, to, typ, enricher string }
	byKey := map[vk]enrich.Verdict{}
	for _, v := range verdicts {
		k := v.Proposal.Edge.Key()
		byKey[vk{k.From, k.To, k.Type, v.Proposal.Enricher}] = v
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].RequestSHA256 != recs[j].RequestSHA256 {
			return recs[i].RequestSHA256 < recs[j].RequestSHA256
		}
		return recs[i].Model < recs[j].Model
	})
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range recs {
		r.Scan = scan
		if !at.IsZero() {
			r.At = at.UTC().Format(time.RFC3339)
		}
		for _, p := range r.Proposals {
			if v, ok := byKey[vk{p.From, p.To, p.Type, "llm/" + r.Model}]; ok {
				r.Verdicts = append(r.Verdicts, AuditVerdict{AuditProposal: p, Accepted: v.Accepted, Reasons: v.Reasons})
			}
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
