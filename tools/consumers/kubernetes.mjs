// Validates Kubernetes manifests (multi-document YAML) against the Kubernetes API's JSON schemas
// (kubernetes-models, generated from the Kubernetes OpenAPI spec): each document's apiVersion and
// kind select the model, whose validate() rejects missing, mistyped and unknown fields.
// Kustomization files (kustomize.config.k8s.io) are skipped. Usage: node kubernetes.mjs FILE...
// One JSON line per file; exit 1 if any failed.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let failed = 0;
for (const file of process.argv.slice(2)) {
  const errors = [];
  const kinds = [];
  try {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length) throw new Error(`YAML: ${doc.errors[0].message}`);
      const obj = doc.toJS();
      if (obj == null) continue;
      if (String(obj.apiVersion).startsWith("kustomize.config.k8s.io/")) { kinds.push(obj.kind); continue; }
      const mod = await import(`kubernetes-models/${obj.apiVersion}`).catch(() => null);
      const Model = mod && mod[obj.kind];
      if (!Model) { errors.push(`no model for ${obj.apiVersion} ${obj.kind}`); continue; }
      try {
        new Model(obj).validate();
        kinds.push(obj.kind);
      } catch (e) {
        errors.push(`${obj.kind} ${obj?.metadata?.name}: ${String(e.message || e).slice(0, 500)}`);
      }
    }
  } catch (e) {
    errors.push(String(e.message || e));
  }
  if (errors.length) failed++;
  console.log(JSON.stringify({ file, ok: errors.length === 0, kinds, errors }));
}
process.exit(failed ? 1 : 0);
