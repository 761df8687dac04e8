package graph

// Alert is something an operator must see about a scan, found by comparing it with the previous
// one (package alerts): an exposure opened, a new external dependency, a database setting that
// moved, a collector stale too long, a production deployment from an unknown repository.
type Alert struct {
	// Kind is one of the Alert* constants.
	Kind string `json:"kind"`
	// Subject is what the alert is about: a node id, or a collector "provider/instance".
	Subject string `json:"subject"`
	// Message is our own sentence; the provider values it names are in Was and Now.
	Message string `json:"message"`
	// Nodes are the ids of the nodes the alert rests on, sorted (those of this scan's graph).
	Nodes []string `json:"nodes,omitempty"`
	// Was and Now are the value before and after, when one value changed.
	Was string `json:"was,omitempty"`
	Now string `json:"now,omitempty"`
	// Triage is the model's one-paragraph reading of the alert (LLM on, grounded: every node id
	// it cites exists in the graph), absent otherwise.
	Triage *Triage `json:"triage,omitempty"`
}

// Alert kinds.
const (
	AlertExposureOpened    = "exposure_opened"     // a firewall, trusted source, network restriction or bucket now open to everyone
	AlertNewExternalHost   = "new_external_host"   // something depends on an external host no earlier scan had
	AlertDatabaseMoved     = "database_moved"      // a setting that named one database now names another
	AlertProviderStale     = "provider_stale"      // a collector instance has not completed for more than N scans
	AlertUnknownRepoDeploy = "unknown_repo_deploy" // a production deployment from a repository not known before
)

// Triage is a model-written paragraph about one alert.
type Triage struct {
	Text  string   `json:"text"`
	Model string   `json:"model"`
	Cites []string `json:"cites"` // the node ids the paragraph rests on (each exists in the graph)
}

// EdgeCounts counts a scan's implicit (inferred) edges by origin, so a trend is visible across
// scans (`discover diff`).
type EdgeCounts struct {
	Rule int `json:"rule"`
	LLM  int `json:"llm"`
}

// Implicit counts g's inferred edges by origin (carried stale ones included, as INFRA.md counts).
func Implicit(g *Graph) EdgeCounts {
	var c EdgeCounts
	for _, e := range g.edges {
		if e == nil {
			continue
		}
		switch e.Origin {
		case Rule:
			c.Rule++
		case LLM:
			c.LLM++
		}
	}
	return c
}
