// Validates OpenAPI documents against the OpenAPI 3.x specification's JSON Schema
// (@seriousme/openapi-schema-validator, which checks 3.1 against its 2022-10-07 schema).
// Usage: node openapi.mjs FILE...   One JSON line per file; exit 1 if any failed.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";

let failed = 0;
for (const file of process.argv.slice(2)) {
  let result;
  try {
    const validator = new Validator();
    result = await validator.validate(JSON.parse(readFileSync(file, "utf8")));
    if (result.valid && validator.version !== "3.1") result = { valid: false, errors: `version ${validator.version}, want 3.1` };
  } catch (e) {
    result = { valid: false, errors: String(e.message || e) };
  }
  if (!result.valid) failed++;
  console.log(JSON.stringify({ file, ok: result.valid, errors: result.valid ? null : JSON.stringify(result.errors).slice(0, 2000) }));
}
process.exit(failed ? 1 : 0);
