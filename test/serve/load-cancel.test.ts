// The cancellation points of a `meshc serve` load (SIGTERM during a reload, issue 12 item 2), stage by stage, in
// process: translation stops between services once its signal aborts and otherwise yields what translateMesh
// yields; the type-check thread gives up a check at once when cancelled (no fallback to a check on the main
// thread) and the next check still works; a compile cancelled while it runs rejects with the signal's reason.
// test/serve/shutdown-reload.test.ts covers the whole path through a real `meshc serve` process and SIGTERM.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { syntheticMeshFiles } from "../../bench/synthetic-mesh.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { translateMeshCancellable } from "../../src/backends/envoy/translate-async.js";
import { dslEntry } from "../../src/frontend/paths.js";
import { sharedTypecheckThread } from "../../src/frontend/typecheck-thread.js";
import { compileMesh } from "../../src/pipeline.js";

const dir = mkdtempSync(join(tmpdir(), "meshc-load-cancel-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("translation: the cancellable run gives translateMesh's snapshot, and stops between services once aborted", async () => {
  const ir = syntheticMesh({ services: 60 });
  const whole = translateMesh(ir);
  const sliced = await translateMeshCancellable(ir, new AbortController().signal, 0);
  assert.deepEqual([...sliced.snapshot.proxies].map(([k, p]) => [k, p.versions]), [...whole.snapshot.proxies].map(([k, p]) => [k, p.versions]));
  const cancel = new AbortController();
  const running = translateMeshCancellable(ir, cancel.signal, 0);
  cancel.abort(new Error("shutting down"));
  await assert.rejects(running, /shutting down/);
});

test("type-check thread: a cancelled check rejects at once, without checking on the main thread; the next check works", { timeout: 300_000 }, async () => {
  // The statement-style synthetic mesh: its check takes seconds, far longer than the cancel below.
  const big = join(dir, "big");
  mkdirSync(big);
  for (const [name, text] of Object.entries(syntheticMeshFiles({ services: 300, style: "statements" }))) writeFileSync(join(big, name), text);
  const thread = sharedTypecheckThread();
  const cancel = new AbortController();
  const checking = thread.check(join(big, "mesh.ts"), dslEntry(), true, cancel.signal);
  await new Promise((r) => setTimeout(r, 200));
  cancel.abort(new Error("shutting down"));
  // Rejected, not resolved: the main-thread fallback (which would check the whole mesh and resolve) was not taken.
  await assert.rejects(checking, /shutting down/);
  await assert.rejects(thread.check(join(big, "mesh.ts"), dslEntry(), true, cancel.signal), /shutting down/, "an already-aborted signal checks nothing");
  const small = join(dir, "small.ts");
  writeFileSync(small, `import { defineMesh, http } from "meshc";\nexport default defineMesh({ name: "s", trustDomain: "s.example" }, (mesh) => {\n  mesh.service("a", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });\n});\n`);
  const next = await thread.check(small, dslEntry(), true);
  assert.deepEqual(next.diagnostics, [], "a check after the cancelled one runs on a new thread");
});

test("compileMesh with an aborted signal rejects with its reason", async () => {
  const entry = join(dir, "mesh.ts");
  writeFileSync(entry, `import { defineMesh, http } from "meshc";\nexport default defineMesh({ name: "c", trustDomain: "c.example" }, (mesh) => {\n  mesh.service("a", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });\n});\n`);
  const cancel = new AbortController();
  const compiling = compileMesh(entry, { incrementalTypecheck: true, signal: cancel.signal });
  setImmediate(() => cancel.abort(new Error("shutting down")));
  await assert.rejects(compiling, /shutting down/);
  const ok = await compileMesh(entry, { incrementalTypecheck: true });
  assert.ok(ok.snapshot, JSON.stringify(ok.diagnostics));
});
