// Writes dist/envoy-schema.json (the precompiled Envoy schema, see schema-artefact.ts); run by scripts/build.mjs.
import { writeFileSync } from "node:fs";
import { buildSchemaArtefact, schemaArtefactPath } from "./registry.js";

writeFileSync(schemaArtefactPath(), JSON.stringify(buildSchemaArtefact()));
