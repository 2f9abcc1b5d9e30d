// mesh.authorize() / mesh.authorizeDefaults() through the real front end: the fixture lowers to exactly the IR of
// the backend golden case "authorization"; run-time-only mistakes (a regex path, ports in mesh-wide rules, a bad
// default) are MESH0003 with positions (MESH0711 for a second mesh.authorize() is table-tested in test/analysis).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { stableJson } from "../../src/build/render.js";
import { loadMesh } from "../../src/frontend/index.js";
import { compileMesh } from "../../src/pipeline.js";

const here = import.meta.dirname;

test("the fixture lowers to the golden IR (authorization section included)", { timeout: 120_000 }, async () => {
  const loaded = await loadMesh(join(here, "fixtures", "mesh.ts"));
  assert.deepEqual(loaded.diagnostics, []);
  const golden = readFileSync(join(here, "..", "golden", "backend", "authorization", "ir.json"), "utf8");
  assert.equal(stableJson(loaded.ir), golden);
});

test("schema refuses a regex path, ports in mesh-wide rules and an unknown default", { timeout: 120_000 }, async () => {
  const r = await compileMesh(join(here, "fixtures", "invalid.ts"));
  assert.equal(r.snapshot, undefined);
  const found = r.diagnostics.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`);
  assert.ok(found.some((m) => /^MESH0003 6:\d+ .*paths\[0\].*regex/.test(m)), found.join("\n"));
  assert.ok(found.some((m) => /^MESH0003 7:\d+ .*mesh-wide rules cannot name ports/.test(m)), found.join("\n"));
  assert.ok(found.some((m) => /^MESH0003 8:\d+ .*default is "allow" or "deny"/.test(m)), found.join("\n"));
});
