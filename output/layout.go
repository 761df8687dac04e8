package output

import "path/filepath"

// The names of what an output directory holds: the one place they are spelled. A scan writes
// them, and every other reader (query, export, validate, diff, serve, mcp, the history, the LLM's
// cache and audit) finds them through these and Layout; tests spell them out to pin the layout.
const (
	// GraphFile is the latest scan's graph; a snapshot in ScansDir/<id>/ has the same name, or
	// GraphGzFile once compressed.
	GraphFile   = "graph.json"
	GraphGzFile = GraphFile + ".gz"
	// InfraFile is the memory document for AI agents.
	InfraFile = "INFRA.md"
	// OverviewFile is the overview diagram; DiagramsDir holds one diagram per system and other
	// unit, named by its slug with DiagramExt.
	OverviewFile = "graph.mmd"
	DiagramsDir  = "diagrams"
	DiagramExt   = ".mmd"
	// ProposalsFile lists every inferred edge proposed, with its verdict.
	ProposalsFile = "proposals.json"
	// ChangesFile says what changed since the previous scan.
	ChangesFile = "CHANGES.md"
	// ScansDir keeps a snapshot of each scan, ScansDir/<scan id>/GraphFile.
	ScansDir = "scans"
	// LLMCacheDir is the LLM's response cache; LLMAuditFile its audit log.
	LLMCacheDir  = ".cache/llm"
	LLMAuditFile = "llm-audit.jsonl"
	// LockFile keeps two scans from writing one directory at once.
	LockFile = ".lock"
	// KeyFile is the installation's key (see evidence.LoadKey).
	KeyFile = ".infragraph.key"
)

// Layout is an output directory, by its path: the paths of what it holds.
type Layout struct{ Dir string }

// Path is name (one of the names above, or a document's name relative to the directory, such as
// "diagrams/x.mmd") inside the directory.
func (l Layout) Path(name string) string { return filepath.Join(l.Dir, filepath.FromSlash(name)) }

func (l Layout) Graph() string     { return l.Path(GraphFile) }
func (l Layout) Infra() string     { return l.Path(InfraFile) }
func (l Layout) Proposals() string { return l.Path(ProposalsFile) }
func (l Layout) Changes() string   { return l.Path(ChangesFile) }
func (l Layout) Scans() string     { return l.Path(ScansDir) }
func (l Layout) LLMCache() string  { return l.Path(LLMCacheDir) }
func (l Layout) LLMAudit() string  { return l.Path(LLMAuditFile) }
func (l Layout) Lock() string      { return l.Path(LockFile) }
func (l Layout) Key() string       { return l.Path(KeyFile) }

// Scan is the directory of the snapshot of scan id.
func (l Layout) Scan(id string) string { return filepath.Join(l.Scans(), id) }

// Diagram is the name of the diagram of the unit whose slug is slug, relative to the directory
// (a render.Document's name): "diagrams/<slug>.mmd".
func Diagram(slug string) string { return DiagramsDir + "/" + slug + DiagramExt }
