// Checks Cypher scripts with Neo4j's own language support (@neo4j-cypher/language-support: the
// Cypher 5 ANTLR grammar and Neo4j's semantic analysis): every statement must parse and pass
// semantic checks. Usage: node cypher.mjs FILE...   One JSON line per file; exit 1 if any failed.
import { readFileSync } from "node:fs";
import { lintCypherQuery } from "@neo4j-cypher/language-support";

let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  let errors;
  try {
    const { diagnostics } = lintCypherQuery(text, {});
    // severity 1 is an error; warnings (2) name deprecations and are reported, not failed.
    errors = diagnostics.filter((d) => d.severity === 1).map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`);
  } catch (e) {
    errors = [String(e.message || e)];
  }
  if (errors.length) failed++;
  console.log(JSON.stringify({ file, ok: errors.length === 0, errors: errors.slice(0, 10) }));
}
process.exit(failed ? 1 : 0);
