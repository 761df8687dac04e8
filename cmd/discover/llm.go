package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/infragraph/infragraph/config"
	"github.com/infragraph/infragraph/enrich/llm"
	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/scan"
)

// llmEnricher decides whether LLM enrichment runs (--llm off|auto|on; auto: when credentials
// exist) and builds it. status is what graph.json records when it does not run.
func llmEnricher(e *env, log *slog.Logger, cfg *config.File, mode, out string) (en *llm.Enricher, status string, err error) {
	if mode, err = llmMode(cfg, mode); err != nil || mode == "off" {
		return nil, "off", err
	}
	creds, cerr := llm.CredentialsFromEnv(e.Getenv, time.Now())
	switch {
	case cerr != nil:
		log.Warn("LLM enrichment skipped; the scan goes on without AI", "reason", cerr)
		return nil, "skipped: " + cerr.Error(), nil
	case !creds.Found(): // under --llm on, llmPreflight refused this before the scan
		return nil, "skipped: no credentials", nil
	}
	lc := cfg.LLM
	lc.APIKey, lc.KeySource = creds.Key, creds.Source
	if creds.BaseURL != "" {
		lc.BaseURL = creds.BaseURL
	}
	if lc.Key, err = evidence.LoadKey(out); err != nil {
		return nil, "", err
	}
	lc.CacheDir = llmCacheDir(out)
	if err := output.MkdirIn(out, lc.CacheDir); err != nil {
		// a link planted as .cache or .cache/llm: no cache rather than writing through it
		log.Warn("LLM cache off", "error", err)
		lc.CacheDir = ""
	}
	en, err = llm.New(lc, nil)
	if err != nil {
		return nil, "", &codeError{code: exitUsage, err: err}
	}
	log.Info("LLM enrichment on", "credentials", creds.Source, "models", lc.Models)
	return en, "on", nil
}

// llmAuditFile is the LLM's audit log, written beside graph.json with the scan's other files:
// hashes, counts and verdicts, never a prompt or a secret.
const llmAuditFile = output.LLMAuditFile

// llmOutcome records in the graph whether AI enrichment ran, and warns when it failed: the
// status is then "failed: <cause>" (scrubbed), which INFRA.md shows as a banner and which makes
// a scan under --llm on exit 3.
func llmOutcome(log *slog.Logger, res *scan.Result, status string) {
	if res.Graph.Scan.Enrichment == nil {
		res.Graph.Scan.Enrichment = map[string]any{}
	}
	res.Graph.Scan.Enrichment["llm.status"] = status
	if msg, ok := res.Graph.Scan.Enrichment["llm.error"].(string); ok {
		msg = evidence.Scrub(msg)
		res.Graph.Scan.Enrichment["llm.error"] = msg
		log.Warn("LLM enrichment failed; the graph has only observed and rule-based edges", "error", msg)
		res.Graph.Scan.Enrichment["llm.status"] = "failed: " + msg
	}
}

// llmFailed returns the LLM stage's failure recorded by llmOutcome ("" when it did not fail).
func llmFailed(g *graph.Graph) string {
	s, _ := g.Scan.Enrichment["llm.status"].(string)
	if cause, ok := strings.CutPrefix(s, "failed"); ok {
		return strings.TrimPrefix(cause, ": ")
	}
	return ""
}

// llmPreflight resolves the LLM mode before any scan runs: --llm on without usable credentials
// is a configuration error (exit 2), not a scan that quietly goes on without the AI it was told
// to use.
func llmPreflight(e *env, cfg *config.File, mode string) (string, error) {
	mode, err := llmMode(cfg, mode)
	if err != nil || mode != "on" {
		return mode, err
	}
	creds, cerr := llm.CredentialsFromEnv(e.Getenv, time.Now())
	switch {
	case cerr != nil:
		return "", usageErr("--llm on: %v", cerr)
	case !creds.Found():
		return "", usageErr("--llm on, but no LLM credentials: set AI_GATEWAY_API_KEY (or VERCEL_OIDC_TOKEN, or DISCOVER_LLM_BASE_URL and DISCOVER_LLM_API_KEY), or use --llm auto")
	}
	return mode, nil
}

// llmMode resolves --llm (or the config file's llm.mode; default auto) and rejects anything but
// off, auto and on.
func llmMode(cfg *config.File, mode string) (string, error) {
	if mode == "" {
		mode = cfg.LLM.Mode
	}
	switch mode {
	case "":
		return "auto", nil
	case "off", "auto", "on":
		return mode, nil
	}
	return "", usageErr("--llm must be off, auto or on, not %q", mode)
}

// narratives asks the model for the systems' narratives once the graph is final (the accepted
// LLM edges in it), records what it did in graph.json's scan.enrichment (narrative.*), and
// returns them for INFRA.md. Without the LLM, or when its stage failed, there are none and
// nothing is recorded: the deterministic documents are unchanged.
func narratives(ctx context.Context, log *slog.Logger, ai *llm.Enricher, g *graph.Graph) map[string]render.Narrative {
	if ai == nil || llmFailed(g) != "" {
		return nil
	}
	ns := ai.Narrate(ctx, g)
	notes := ai.NarrativeNotes()
	if len(ns) == 0 && len(notes) == 0 {
		return nil
	}
	for k, v := range ai.NarrativeSummary(ns) {
		g.Scan.Enrichment[k] = v
	}
	for _, n := range notes {
		log.Warn("LLM narrative", "note", evidence.Scrub(n))
	}
	out := make(map[string]render.Narrative, len(ns))
	for _, n := range ns {
		r := render.Narrative{Model: n.Model, Dropped: n.DroppedTotal()}
		for _, s := range n.Sentences {
			r.Sentences = append(r.Sentences, render.NarrativeSentence{Text: s.Text, Cites: s.Cites})
		}
		out[n.System] = r
	}
	return out
}
