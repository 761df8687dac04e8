package render

import (
	"fmt"
	"strings"

	"github.com/infragraph/infragraph/graph"
)

// maxAlerts bounds the alerts INFRA.md lists; `discover alerts` has them all.
const maxAlerts = 20

// AlertWords names an alert kind for people.
func AlertWords(kind string) string {
	switch kind {
	case graph.AlertExposureOpened:
		return "exposure opened"
	case graph.AlertNewExternalHost:
		return "new external host"
	case graph.AlertDatabaseMoved:
		return "database moved"
	case graph.AlertProviderStale:
		return "collector stale"
	case graph.AlertUnknownRepoDeploy:
		return "deploy from unknown repository"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// alerts is INFRA.md's ALERTS section, first after the data note: what changed since the previous
// scan that an operator must see. Absent when there is none, so an unchanged estate's document
// does not move.
func (m *model) alerts() string {
	as := m.g.Scan.Alerts
	if len(as) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<a id=\"alerts\"></a>\n## ALERTS\n\n")
	since := ""
	if c := m.g.Scan.Changes; c != nil && c.Since != "" {
		since = " since scan `" + code(c.Since) + "`"
	}
	fmt.Fprintf(&b, "%s%s (`discover alerts` lists them; graph.json has them under scan.alerts):\n\n", plural(len(as), "alert"), since)
	for i, a := range as {
		if i == maxAlerts {
			fmt.Fprintf(&b, "- and %d more: run `discover alerts`.\n", len(as)-maxAlerts)
			break
		}
		fmt.Fprintf(&b, "- **%s**: %s (`%s`)\n", AlertWords(a.Kind), md(a.Message), code(a.Subject))
		if t := a.Triage; t != nil {
			cites := make([]string, len(t.Cites))
			for j, c := range t.Cites {
				cites[j] = "`" + code(c) + "`"
			}
			fmt.Fprintf(&b, "  - _Triage, model-written by %s (its citations were checked: %s)_: %s\n", md(t.Model), strings.Join(cites, ", "), md(strings.Join(strings.Fields(t.Text), " ")))
		}
	}
	b.WriteString("\n")
	return b.String()
}
