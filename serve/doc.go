// Package serve answers questions about the latest scan in an output directory, for agents and
// scripts: an MCP server (tools, resources; see NewMCPServer) for `discover mcp` over stdio, and a
// read-only JSON HTTP API with the MCP streamable-HTTP transport beside it (see Handler) for
// `discover serve`.
//
// Everything is read-only and reads the directory the scan writes: graph.json (the latest scan),
// INFRA.md, and the history under scans/. The graph is reloaded when graph.json changes, checked
// on every request; scans replace it with an atomic rename, so a reader never sees half a file.
//
// The questions themselves (find, dependencies, impact, path, id resolution, the diff between two
// scans) are package query's and package history's; this package adds paging, size limits and
// the two transports, so an agent gets small structured answers instead of a flood.
package serve
