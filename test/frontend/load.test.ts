// The loader end to end: stage order, positions, inputs, module isolation, package imports.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { compareDiagnostics, loadMesh } from "../../src/frontend/index.js";
import { dslDir, dslEntry, packageRoot } from "../../src/frontend/paths.js";
import { stableJson } from "../helpers/golden.js";
import { positionOf, writeMesh, type TmpMesh } from "./tmp-mesh.js";

const made: TmpMesh[] = [];
const mesh = (files: Record<string, string>) => {
  const m = writeMesh(files);
  made.push(m);
  return m;
};
after(() => made.forEach((m) => m.remove()));
const g = globalThis as Record<string, unknown>;

const helper = `import { http, type Mesh } from "meshc";
export function team(mesh: Mesh) {
  return mesh.service("team", { ports: { web: http(8080) }, instances: [] });
}
`;

test("a type error stops the load before evaluation, at the user's line and column", async () => {
  const text = `import { defineMesh, http } from "meshc";
import { team } from "./team.js";
(globalThis as Record<string, unknown>).evaluatedTypeError = true;
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const t = mesh.include(team);
  mesh.routes(t, (r) => [r.match().to(t).timeout("2 seconds")]);
});
`;
  const m = mesh({ "mesh.ts": text, "team.ts": helper });
  const r = await loadMesh(m.entry);
  assert.equal(r.ir, undefined);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.file, d.line, d.column]),
    [["MESH0001", m.entry, positionOf(text, '"2 seconds"').line, positionOf(text, '"2 seconds"').column]],
  );
  assert.match(r.diagnostics[0]!.message, /"2 seconds".*Duration.*\(TS2345\)/);
  assert.equal(r.diagnostics[0]!.endColumn, positionOf(text, '"2 seconds"').column + '"2 seconds"'.length);
  assert.equal(g.evaluatedTypeError, undefined, "nothing was evaluated");
  assert.deepEqual(r.inputs, [m.entry, m.path("team.ts")].sort(), "inputs are known even when checking fails");
  assert.deepEqual(Object.keys(r.timings), ["typecheck"]);
});

test("an exception while evaluating is reported at the user's frame, in the module that threw", async () => {
  const lib = `export function limit(tier: string): number {
  if (tier !== "gold") throw new RangeError("unknown tier " + tier);
  return 1;
}
`;
  const text = `import { defineMesh } from "meshc";
import { limit } from "./lib/limit.js";
export default defineMesh({ name: "t", trustDomain: "t.example" }, () => {
  limit("bronze");
});
`;
  const m = mesh({ "mesh.ts": text, "lib/limit.ts": lib });
  const r = await loadMesh(m.entry);
  const at = positionOf(lib, "throw new RangeError");
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.file, d.line]), [["MESH0002", m.path("lib/limit.ts"), at.line]]);
  assert.equal(r.diagnostics[0]!.message, "evaluating the mesh failed: RangeError: unknown tier bronze");
  assert.ok(r.diagnostics[0]!.column! >= at.column);
});

test("a DSL misuse at run time is reported at the user's call, not inside the DSL", async () => {
  const text = `import { defineMesh } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const notARef = JSON.parse("{}");
  mesh.policy(notARef, {});
});
`;
  const m = mesh({ "mesh.ts": text });
  const r = await loadMesh(m.entry);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.file, d.line]), [["MESH0002", m.entry, 4]]);
  assert.match(r.diagnostics[0]!.message, /TypeError: mesh.policy\(\) expects a service reference/);
});

test("each load evaluates a fresh module instance, in a worker, from a temp bundle that is removed afterwards", async () => {
  const text = `import { defineMesh } from "meshc";
const g = globalThis as Record<string, unknown>;
g.loads = ((g.loads as number) ?? 0) + 1;
const url = (import.meta as unknown as { url: string }).url; // (import.meta.url needs Node's types, which mesh modules are checked without)
let local = 0;
local++;
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  mesh.service("local-" + local, { ports: {}, instances: [{ address: "10.0.0.1", port: 80, labels: { loads: String(g.loads), bundle: url } }] });
});
`;
  const m = mesh({ "mesh.ts": text });
  const first = await loadMesh(m.entry);
  const second = await loadMesh(m.entry);
  assert.deepEqual(first.diagnostics, []);
  assert.equal(g.loads, undefined, "nothing ran in the compiler's own thread");
  const labels = (r: typeof first) => { const i = r.ir!.services[0]!.instances; return i.kind === "static" ? i.endpoints[0]!.labels : {}; };
  assert.deepEqual([labels(first).loads, labels(second).loads], ["1", "1"], "each load starts from fresh globals and modules");
  assert.deepEqual([first.ir?.services[0]?.name, second.ir?.services[0]?.name], ["local-1", "local-1"]);
  const bundle = fileURLToPath(labels(first).bundle!.replace(/\?.*$/, ""));
  assert.ok(!bundle.startsWith(m.dir), "evaluated from a temp file, not beside the mesh");
  assert.ok(!existsSync(bundle) && !existsSync(join(bundle, "..")), "temp bundle and its directory are removed");
  const noBundle = (r: typeof first) => stableJson(r.ir).replace(/"bundle": "[^"]*"/, "");
  assert.equal(noBundle(first), noBundle(second), "deterministic");
});

test("async mesh definitions are awaited", async () => {
  const text = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, async (mesh) => {
  const port = await Promise.resolve(8080);
  mesh.service("a", { ports: { web: http(port) }, instances: [] });
});
`;
  const r = await loadMesh(mesh({ "mesh.ts": text }).entry);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.ir?.services[0]?.ports[0]?.port, 8080);
});

test("npm packages the mesh imports resolve from the mesh's directory", async () => {
  const r = await loadMesh(join("test", "frontend", "fixtures", "package-import", "mesh.ts"));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.ir?.services.map((s) => [s.name, s.ports[0]!.port]), [["from-yaml", 8080]]);
  assert.ok(!r.inputs.some((f) => f.includes("node_modules")), "packages are not inputs");
});

test("inputs: the user's modules only, sorted, absolute; timings per stage", async () => {
  const text = `import { defineMesh } from "meshc";
import { team } from "./team.js";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => void mesh.include(team));
`;
  const m = mesh({ "mesh.ts": text, "team.ts": helper });
  const r = await loadMesh(m.entry);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.inputs, [m.entry, m.path("team.ts")].sort());
  assert.ok(!r.inputs.some((f) => f.startsWith(dslDir())));
  assert.equal(r.baseDir, m.dir);
  assert.deepEqual(Object.keys(r.timings).sort(), ["bundle", "evaluate", "lower", "typecheck", "validate"]);
  const unchecked = await loadMesh(m.entry, { typecheck: false });
  assert.equal(unchecked.timings.typecheck, undefined);
  assert.equal(stableJson(unchecked.ir), stableJson(r.ir));
});

test("a missing file and a file without a mesh default export", async () => {
  const missing = await loadMesh("/nonexistent/mesh.ts");
  assert.deepEqual(missing.diagnostics.map((d) => d.code), ["MESH0002"]);
  const m = mesh({ "mesh.ts": `export default { name: "not a mesh" };\n` });
  const r = await loadMesh(m.entry);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.column]), [["MESH0002", 1, 1]]);
});

test("errors are reported for the user's files only, sorted by position", async () => {
  const text = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  mesh.service("b", { ports: { web: http("80") }, instances: [] });
  mesh.service("a", { ports: { web: http(80) }, instances: 5 });
});
`;
  const other = `export const x: number = "no";\n`;
  const m = mesh({ "mesh.ts": `import "./other.js";\n${text}`, "other.ts": other });
  const r = await loadMesh(m.entry);
  assert.deepEqual(r.diagnostics.map((d) => [d.file, d.line]), [
    [m.entry, 4],
    [m.entry, 5],
    [m.path("other.ts"), 1],
  ]);
  assert.deepEqual([...r.diagnostics].sort(compareDiagnostics), r.diagnostics);
});

test("the package root and DSL entry are found from this module (works from dist/ as well)", () => {
  assert.ok(existsSync(join(packageRoot(), "package.json")));
  assert.equal(dslEntry(), join(packageRoot(), "src", "dsl", "index.ts"));
  assert.ok(existsSync(dslEntry()));
});
