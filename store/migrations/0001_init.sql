-- infragraph store, schema version 1: one organisation's graph, published by many shards.
--
-- The observed layer is owned by source (a collector instance, "digitalocean/prod"): a shard's
-- publish replaces exactly the rows of the sources it ran. A node nobody owns (a git repository,
-- an external host) is stored once per source that emitted it; readers merge the rows in source
-- order, as a single scan merges its collectors' results. The inferred layer (rules, LLM) is
-- replaced whole by each store-wide inference.

CREATE TABLE infragraph.sources (
	source       text PRIMARY KEY,       -- provider/instance
	status       json NOT NULL,         -- graph.CollectorStatus, as graph.json writes it
	scan_id      text NOT NULL,          -- the publish that last wrote this source
	published_at timestamptz NOT NULL
);

-- No primary key on nodes and edges: a publish writes each (source, id) once (the graph is a
-- set), and a unique index over long text keys would double the cost of its COPY. The indexes
-- serve a publish's DELETE (source), the readers' lookups (id) and the impact walk (to_id,
-- from_id).
CREATE TABLE infragraph.nodes (
	source text NOT NULL,                -- the owner; for a shared node, the source that emitted it
	id     text NOT NULL,
	doc    json NOT NULL                 -- graph.Node
);
CREATE INDEX nodes_source ON infragraph.nodes (source);
CREATE INDEX nodes_id ON infragraph.nodes (id);

CREATE TABLE infragraph.edges (
	source  text NOT NULL,
	from_id text NOT NULL,
	to_id   text NOT NULL,
	type    text NOT NULL,
	doc     json NOT NULL                -- graph.Edge, origin observed
);
CREATE INDEX edges_source ON infragraph.edges (source);
CREATE INDEX edges_from ON infragraph.edges (from_id);
CREATE INDEX edges_to ON infragraph.edges (to_id);

-- What the last inference added over the observed layer: nodes the enrichers created, and every
-- edge they proposed or merged into an observed one (the whole merged edge).
CREATE TABLE infragraph.inferred_nodes (
	id  text PRIMARY KEY,
	doc json NOT NULL
);
CREATE TABLE infragraph.inferred_edges (
	from_id text NOT NULL,
	to_id   text NOT NULL,
	type    text NOT NULL,
	doc     json NOT NULL,
	PRIMARY KEY (from_id, to_id, type)
);
CREATE INDEX inferred_edges_to ON infragraph.inferred_edges (to_id);

-- One row per publish and per inference: the scan record.
CREATE TABLE infragraph.scans (
	seq          bigserial PRIMARY KEY,
	id           text NOT NULL,          -- the scan's id, its UTC start (20261121T060000Z)
	kind         text NOT NULL CHECK (kind IN ('publish', 'infer')),
	sources      text[] NOT NULL,        -- the sources a publish replaced
	info         json NOT NULL,         -- graph.ScanInfo
	published_at timestamptz NOT NULL DEFAULT now()
);

-- The organisation's graph.json (gzip) after each inference, for `discover diff --store`.
CREATE TABLE infragraph.snapshots (
	seq   bigint PRIMARY KEY REFERENCES infragraph.scans (seq) ON DELETE CASCADE,
	graph bytea NOT NULL
);
