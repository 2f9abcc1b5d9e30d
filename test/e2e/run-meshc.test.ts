// The e2e tests host apps (test/apps/http-app.ts) and traffic loops in the test process, and run meshc commands
// (`meshc ca rotate`) while traffic flows. Issue 12 item 3: mtls-rotation and mtls-delta "lost" 2 requests with
// `meshc serve --workers 2` (and, it turned out, with --workers 0 too): a spawnSync of the command froze the test
// process for 11-15 s under load, the echo app in it could not answer, and the requests' 10 s timeouts fired when
// the loop resumed. This checks the property those tests rely on: while a meshc command runs through runMeshc, an
// app in this process keeps answering (with spawnSync no request could complete meanwhile, and this test fails).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startHttpApp } from "../apps/http-app.js";
import { tally, trafficLoop } from "./lib/http.js";
import { runMeshc } from "./lib/procs.js";

test("runMeshc: an app in the test process keeps answering while a meshc command runs", { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "meshc-run-meshc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startHttpApp({ service: "echo", version: "v1", port: 0 });
  t.after(() => app.close());
  const loop = trafficLoop(() => ({ port: app.port, path: "/", timeoutMs: 10_000 }), 2, 5);
  const before = loop.replies.length;
  const r = await runMeshc(["ca", "init", "--out", join(dir, "ca"), "--trust-domain", "run.example"]);
  const during = loop.replies.length - before;
  const all = tally(await loop.stop());
  assert.equal(r.status, 0, r.stderr);
  t.diagnostic(`${during} requests completed while \`meshc ca init\` ran; ${all.total} in all, ${all.failed} failed`);
  assert.ok(during > 0, "requests to the app in this process completed while the command ran (it must not block the test process)");
  assert.equal(all.failed, 0, JSON.stringify(all.byStatus));
});
