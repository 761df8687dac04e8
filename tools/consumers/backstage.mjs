// Validates Backstage catalog files (multi-document YAML) with Backstage's own validators, as the
// catalog does when it ingests a location: the entity policies (schema, field formats, no foreign
// root fields, default namespace) and the kind validators of the well-known kinds. It also
// checks what the catalog would flag later: duplicate entity refs, and relations (system,
// dependsOn, subcomponentOf) pointing at no entity in the files.
// Usage: node backstage.mjs FILE...   Prints one JSON line per file; exit 1 if any failed.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import {
  EntityPolicies, DefaultNamespaceEntityPolicy, FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy, SchemaValidEntityPolicy,
  componentEntityV1alpha1Validator, resourceEntityV1alpha1Validator, systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator, apiEntityV1alpha1Validator, groupEntityV1alpha1Validator,
  userEntityV1alpha1Validator, locationEntityV1alpha1Validator,
  parseEntityRef, stringifyEntityRef,
} from "@backstage/catalog-model";

const policy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);
const kindValidators = [
  componentEntityV1alpha1Validator, resourceEntityV1alpha1Validator, systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator, apiEntityV1alpha1Validator, groupEntityV1alpha1Validator,
  userEntityV1alpha1Validator, locationEntityV1alpha1Validator,
];

let failed = 0;
for (const file of process.argv.slice(2)) {
  const errors = [];
  const entities = [];
  try {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length) throw new Error(`YAML: ${doc.errors[0].message}`);
      entities.push(doc.toJS());
    }
  } catch (e) {
    errors.push(String(e.message || e));
  }
  const refs = new Set();
  for (const raw of entities) {
    const where = raw?.metadata?.name ?? "(no name)";
    try {
      const entity = await policy.enforce(structuredClone(raw));
      let known = false;
      for (const v of kindValidators) if (await v.check(entity)) known = true;
      if (!known) throw new Error(`no validator accepts kind ${entity.kind}`);
      const ref = stringifyEntityRef(entity);
      if (refs.has(ref)) throw new Error(`duplicate entity ${ref}`);
      refs.add(ref);
    } catch (e) {
      errors.push(`${where}: ${String(e.message || e)}`);
    }
  }
  const resolve = (ref, kind) => stringifyEntityRef(parseEntityRef(ref, { defaultKind: kind, defaultNamespace: "default" }));
  for (const e of entities) {
    const s = e?.spec ?? {};
    const rel = [];
    if (s.system) rel.push(resolve(s.system, "system"));
    if (s.subcomponentOf) rel.push(resolve(s.subcomponentOf, "component"));
    for (const d of s.dependsOn ?? []) rel.push(resolve(d, "component"));
    for (const r of rel) if (!refs.has(r)) errors.push(`${e?.metadata?.name}: relation to ${r}, which is not in the files`);
  }
  if (errors.length) failed++;
  console.log(JSON.stringify({ file, ok: errors.length === 0, entities: entities.length, errors: errors.slice(0, 10) }));
}
process.exit(failed ? 1 : 0);
