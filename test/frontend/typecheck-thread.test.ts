// The type check on its own thread (issue 12): it runs alongside evaluation and translation but still decides the
// result (type errors, and only they, are reported; nothing is compiled), and the incremental checker `meshc serve`
// uses reports exactly what a fresh check reports across edits that break and repair the mesh, including an edit in
// an imported module that breaks its importer.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, test } from "node:test";
import { dslEntry } from "../../src/frontend/paths.js";
import { typecheck } from "../../src/frontend/typecheck.js";
import { sharedTypecheckThread } from "../../src/frontend/typecheck-thread.js";
import { compileMesh } from "../../src/pipeline.js";
import { writeMesh, type TmpMesh } from "./tmp-mesh.js";

const made: TmpMesh[] = [];
after(() => made.forEach((m) => m.remove()));

const team = (port: string) => `import { http, type Mesh } from "meshc";
export const PORT: number = ${port};
export function team(mesh: Mesh) {
  return mesh.service("team", { ports: { web: http(PORT, { app: 3000 }) }, instances: [{ address: "10.0.0.1" }] });
}
`;
const entry = (timeout: string) => `import { defineMesh } from "meshc";
import { team } from "./team.js";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const t = mesh.include(team);
  mesh.routes(t, (r) => [r.match().to(t).timeout(${timeout})]);
});
`;

const summary = (ds: { code: string; line?: number; column?: number; message: string }[]) => ds.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`);

test("compileMesh: type errors gate the result even though evaluation and translation ran alongside", async () => {
  const m = writeMesh({ "mesh.ts": entry('"2 seconds"'), "team.ts": team("8080") });
  made.push(m);
  const bad = await compileMesh(m.entry);
  assert.equal(bad.snapshot, undefined);
  assert.equal(bad.ir, undefined);
  assert.deepEqual(bad.diagnostics.map((d) => d.code), ["MESH0001"]);
  assert.deepEqual(bad.inputs, [m.entry, m.path("team.ts")].sort());
  assert.deepEqual(Object.keys(bad.timings), ["typecheck"]);

  writeFileSync(m.entry, entry('"2s"'));
  const good = await compileMesh(m.entry);
  assert.ok(good.snapshot, JSON.stringify(good.diagnostics));
  assert.ok(good.timings.typecheck !== undefined && good.timings.translate !== undefined);
  assert.deepEqual(good.inputs, [m.entry, m.path("team.ts")].sort());
});

test("the incremental checker reports what a fresh check reports, edit after edit", async () => {
  const m = writeMesh({ "mesh.ts": entry('"2s"'), "team.ts": team("8080") });
  made.push(m);
  const thread = sharedTypecheckThread();
  const edits: [string, string][] = [
    ["mesh.ts", entry('"2s"')],
    ["mesh.ts", entry('"2 seconds"')], // error in the entry
    ["mesh.ts", entry('"3s"')], // repaired
    ["team.ts", team('"8080"')], // the imported module breaks (a string where a number goes) ...
    ["team.ts", team("8081")], // ... and is repaired
    ["team.ts", team("8081").replace("export function team", "export function teamRenamed")], // the importer breaks
    ["team.ts", team("8082")],
  ];
  for (const [file, text] of edits) {
    writeFileSync(m.path(file), text);
    const incremental = await thread.check(m.entry, dslEntry(), true);
    const fresh = typecheck(m.entry, dslEntry());
    assert.deepEqual(summary(incremental.diagnostics), summary(fresh.diagnostics), `after editing ${file}`);
    assert.deepEqual(incremental.files, fresh.files);
  }
  // The sequence above did produce errors, and ended clean.
  assert.deepEqual((await thread.check(m.entry, dslEntry(), true)).diagnostics, []);
});
