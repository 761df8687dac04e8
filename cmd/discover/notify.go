package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/infragraph/infragraph/evidence"
	"github.com/infragraph/infragraph/graph"
	"github.com/infragraph/infragraph/httpguard"
	"github.com/infragraph/infragraph/render"
	"github.com/infragraph/infragraph/scan"
	"github.com/infragraph/infragraph/termtext"
)

// notifier posts a scan's summary to an incoming webhook (Slack's format, which Mattermost,
// Rocket.Chat, Discord's /slack endpoint and most chat tools accept): {"text": ..., "blocks":
// [...]}. The URL is a secret (a Slack webhook URL is its own credential): it is never logged, and
// errors name only its origin.
type notifier struct {
	url    evidence.Secret
	client *http.Client
	log    *slog.Logger
}

// newNotifier checks the URL (--notify, else $DISCOVER_NOTIFY_URL; nil when neither is set)
// without ever quoting it.
func newNotifier(e *env, log *slog.Logger, flag string) (*notifier, error) {
	raw := flag
	if raw == "" {
		raw = e.Getenv("DISCOVER_NOTIFY_URL")
	}
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, usageErr("--notify: want an http:// or https:// webhook URL (the value is not shown: it is a secret)")
	}
	return &notifier{url: evidence.Secret(raw), log: log,
		client: httpguard.Client(&http.Client{Timeout: 15 * time.Second})}, nil
}

// origin is the webhook's scheme, host and port: all of it that may be printed.
func (n *notifier) origin() string {
	u, _ := url.Parse(n.url.Reveal())
	return httpguard.Origin(u)
}

// after posts the summary of a written scan when the graph changed or something failed; exit is
// the scan's outcome (scanExit). A failed post is a warning: the scan's own result stands.
func (n *notifier) after(ctx context.Context, res *scan.Result, exit error) {
	body, ok := notifyPayload(res, exit)
	if !ok {
		n.log.Debug("nothing changed and nothing failed: no notification")
		return
	}
	if err := n.post(ctx, body); err != nil {
		n.log.Warn("notification not delivered", "webhook", n.origin(), "error", err)
		return
	}
	n.log.Info("notification sent", "webhook", n.origin())
}

func (n *notifier) post(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url.Reveal(), bytes.NewReader(body))
	if err != nil {
		return errors.New("bad webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		var ue *url.Error // its text quotes the whole URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return errors.New(evidence.Scrub(err.Error(), n.url.Reveal()))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, evidence.Scrub(strings.TrimSpace(string(msg)), n.url.Reveal()))
	}
	return nil
}

// notifyPayload is the webhook body for a scan, and whether there is anything to say: the graph
// changed since the previous scan (or there was none), or a collector or the LLM stage failed.
func notifyPayload(res *scan.Result, exit error) ([]byte, bool) {
	g := res.Graph
	changed := res.Changes == nil || !res.Changes.Empty()
	var failed []graph.CollectorStatus
	for _, c := range g.Collectors {
		if c.Status == graph.StatusFailed {
			failed = append(failed, c)
		}
	}
	llm := llmFailed(g)
	if !changed && len(failed) == 0 && llm == "" && exit == nil && len(g.Scan.Alerts) == 0 {
		return nil, false
	}
	verdict := "ok"
	var ce *codeError
	if errors.As(exit, &ce) {
		switch ce.code {
		case exitNothing:
			verdict = "DOWN: nothing collected, every configured collector failed (exit 4)"
		case exitPartial:
			verdict = "partial: something failed (exit 3)"
		default:
			verdict = fmt.Sprintf("exit %d", ce.code)
		}
	}
	nodes, edges := g.Len()
	head := fmt.Sprintf("infragraph scan %s: %s. %d nodes, %d edges.", g.Scan.ID, verdict, nodes, edges)
	var lines []string
	for _, c := range failed {
		// Our own sentence first; the reason is provider text, so it follows quoted and attributed
		// as data (issue #26 item 19), like INFRA.md's warnings.
		lines = append(lines, fmt.Sprintf("collector %s failed: %s. It reported: %s", c.Key(), render.Problem(c), render.Quote(c.Reason)))
	}
	if llm != "" {
		lines = append(lines, "LLM enrichment failed. It reported: "+render.Quote(llm))
	}
	for _, a := range g.Scan.Alerts { // alerts first among the news: they are why an operator looks
		lines = append(lines, "ALERT "+render.AlertWords(a.Kind)+": "+a.Message)
		if t := a.Triage; t != nil {
			lines = append(lines, "triage, model-written by "+t.Model+" (citations checked): "+t.Text)
		}
	}
	switch s := g.Scan.Changes; {
	case s != nil:
		lines = append(lines, fmt.Sprintf("since %s: %d nodes added, %d removed, %d changed, %d gone stale; %d edges added, %d removed",
			s.Since, s.NodesAdded, s.NodesRemoved, s.NodesChanged, s.NodesStale, s.EdgesAdded, s.EdgesRemoved))
		lines = append(lines, s.Highlights...)
	case res.Changes == nil:
		lines = append(lines, "first scan in this directory")
	}
	// A name or a provider's message holding a line break, CR or other control would forge a line
	// of its own in the plain-text fallback (what Mattermost and mail bridges show): one line each.
	for i, l := range lines {
		lines[i] = termtext.Escape(l)
	}
	text := slackEscape(head)
	if len(lines) > 0 {
		text += "\n" + slackEscape(strings.Join(lines, "\n"))
	}
	bullets := make([]string, len(lines))
	for i, l := range lines {
		bullets[i] = "• " + slackEscape(l)
	}
	blocks := []any{section("*" + slackEscape(head) + "*")}
	if len(bullets) > 0 {
		blocks = append(blocks, section(strings.Join(bullets, "\n")))
	}
	b, _ := json.Marshal(map[string]any{"text": text, "blocks": blocks})
	return b, true
}

// section is a Slack mrkdwn section block, cut to the 3000 characters Slack accepts.
func section(s string) map[string]any {
	if r := []rune(s); len(r) > 2990 {
		s = string(r[:2990]) + " …"
	}
	return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": s}}
}

// slackEscape escapes the three characters Slack's mrkdwn reserves
// (https://api.slack.com/reference/surfaces/formatting#escaping), so a name cannot become a link
// or a mention.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
