// `meshc serve` evaluates each reload in a worker started ahead of time (src/frontend/spare-worker.ts, issue 12 item
// 5). The spare must change nothing but when the worker starts: each evaluation still gets a fresh worker (nothing
// the previous mesh left in its globals is visible), the same limits (an endless loop ends at --eval-timeout,
// process.exit ends only the worker) and the same model.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadMesh } from "../../src/frontend/index.js";
import { discardSpare, hasSpare } from "../../src/frontend/spare-worker.js";
import { writeMesh, type TmpMesh } from "./tmp-mesh.js";

const made: TmpMesh[] = [];
const mesh = (text: string) => {
  const m = writeMesh({ "mesh.ts": text });
  made.push(m);
  return m;
};
after(async () => {
  made.forEach((m) => m.remove());
  await discardSpare();
});

const G = `const g = globalThis as unknown as { seen?: number; process: { exit(code: number): never } };\n`;
const svc = (name: string) => `export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  mesh.service("${name}", { ports: { web: http(8080) }, instances: ["10.0.0.1:8080"] });
});
`;
const waitForSpare = async () => {
  for (let i = 0; i < 600 && !hasSpare(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(hasSpare(), "a spare worker was started after the evaluation");
};

test("evaluations in spare workers: fresh globals each time, same limits, same model", { timeout: 300_000 }, async () => {
  // Each evaluation counts itself in a global: a reused worker would see the previous count.
  const counting = mesh(`import { defineMesh, http } from "meshc";\n${G}g.seen = (g.seen ?? 0) + 1;\nif (g.seen !== 1) throw new Error("worker reused: " + g.seen);\n${svc("a")}`);
  const first = await loadMesh(counting.entry, { typecheck: false, spareWorker: true });
  assert.deepEqual(first.diagnostics, []);
  await waitForSpare();
  const second = await loadMesh(counting.entry, { typecheck: false, spareWorker: true });
  assert.deepEqual(second.diagnostics, [], "the spare started with fresh globals");
  assert.deepEqual(second.ir, first.ir);

  await waitForSpare();
  const loop = mesh(`import { defineMesh, http } from "meshc";\nexport default defineMesh({ name: "t", trustDomain: "t.example" }, () => {\n  for (;;) {}\n});\n`);
  const looped = await loadMesh(loop.entry, { typecheck: false, spareWorker: true, timeoutMs: 1500 });
  assert.deepEqual(looped.diagnostics.map((d) => d.code), ["MESH0006"]);
  assert.match(looped.diagnostics[0]!.message, /did not finish within 1500 ms/);

  await waitForSpare();
  const exits = mesh(`import { defineMesh, http } from "meshc";\n${G}g.process.exit(0);\n${svc("b")}`);
  const exited = await loadMesh(exits.entry, { typecheck: false, spareWorker: true });
  assert.deepEqual(exited.diagnostics.map((d) => d.code), ["MESH0006"]);
  assert.match(exited.diagnostics[0]!.message, /exit code 0/);

  // A spare started with another heap limit is not used (and the evaluation still works).
  await waitForSpare();
  const other = await loadMesh(counting.entry, { typecheck: false, spareWorker: true, maxHeapMb: 512 });
  assert.deepEqual(other.diagnostics, []);
});

test("a waiting spare does not keep the process alive", { timeout: 180_000 }, () => {
  const m = mesh(`import { defineMesh, http } from "meshc";\n${svc("a")}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures", "spare-exit.ts"), m.entry], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.signal, null, `the process did not exit by itself: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /spare waiting/);
});
