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
import { writeMesh } from "../frontend/tmp-mesh.js";

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

test("not-forms default to their safe case rule: an allow rule's notPaths ignore case, a deny rule's do not", { timeout: 120_000 }, async () => {
  // Before, notPaths took the rule's default (allow: case-sensitive), so allow notPaths ["/secret"] let /SECRET/x in
  // and deny notPaths ["/public/"] ("deny all but /public/") let /PUBLIC/private through.
  const m = writeMesh({
    "mesh.ts": `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  const ops = mesh.service("ops", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.0.2:8081"] });
  mesh.authorize(api, { default: "deny", rules: [{ action: "allow", to: { notPaths: [{ prefix: "/secret" }] } }] });
  mesh.authorize(ops, { rules: [{ action: "deny", to: { notPaths: [{ prefix: "/public/" }], paths: [{ prefix: "/x" }] } }] });
});
`,
  });
  try {
    const loaded = await loadMesh(m.entry);
    assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === "error"), []);
    const rules = Object.fromEntries(loaded.ir!.authorization!.services.map((p) => [p.service, p.rules[0]!]));
    assert.equal(rules.api!.notPaths![0]!.ignoreCase, true);
    assert.equal(rules.ops!.notPaths![0]!.ignoreCase, false);
    assert.equal(rules.ops!.paths![0]!.ignoreCase, true, "a deny rule's paths still ignore case");
  } finally {
    m.remove();
  }
});

test("a header condition on host is refused: Envoy would match :authority byte for byte, so case, a port or a trailing dot walk past it", { timeout: 120_000 }, async () => {
  const m = writeMesh({
    "mesh.ts": `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  mesh.authorize(api, { rules: [{ action: "deny", to: { headers: { Host: { suffix: "internal.example" } } } }] });
});
`,
  });
  try {
    const r = await compileMesh(m.entry);
    assert.equal(r.snapshot, undefined);
    assert.ok(r.diagnostics.some((d) => d.code === "MESH0003" && /cannot name "host"/.test(d.message) && d.line === 4), r.diagnostics.map((d) => `${d.code} ${d.line} ${d.message}`).join("\n"));
  } finally {
    m.remove();
  }
});
