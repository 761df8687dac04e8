// Package history keeps infragraph's memory between scans: freshness (first_seen, last_seen,
// stale), the snapshots under the output directory, and the diff between two graphs.
//
// The one rule: a scan never deletes on incomplete data. Whatever a collector instance contributed
// to the previous scan and is missing now disappears only when that instance completed ok. When it
// is failed, partial, timed out or skipped (no credentials, an expired token, excluded by --only
// or --skip), the missing nodes and edges are carried forward marked stale, with stale_since kept
// from the first scan they went stale, and counted in the instance's CollectorStatus.Stale. The
// scope is the instance ("digitalocean/prod"), never a provider or a kind: Cartography's cleanup
// jobs deleted valid data after partial syncs (cartography#379, #587, #2658) and across scopes
// (#478).
//
// Nodes several collectors share (git repos, external hosts) have no owner; they live as long as
// an edge needs them. Inferred edges (origin rule or llm) are recomputed every scan; see
// CarryInferred for when an earlier one survives.
//
// An instance absent from the current configuration (removed from the config file or renamed) is
// not incomplete: it is gone, and so is what it contributed.
package history
