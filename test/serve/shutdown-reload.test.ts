// SIGTERM during a reload (issue 12 item 2): `meshc serve mesh.ts` on the 1,000-service synthetic mesh in its
// statement style (1.3 MiB of TypeScript: the type check of a reload takes seconds on a quiet machine, a minute
// under load), an edit, and SIGTERM while that reload runs. The defect: close() awaited the load without a bound and
// only evaluation observed the cancel, so the process lived until the type check and translation had finished (and
// the load was never stopped). Now every stage is cancelled (type-check thread terminated, bundling no longer
// awaited, evaluation worker terminated, translation stopped between services) and the wait is bounded by the
// shutdown grace: the process exits within the grace (plus generous slack for process start-up of the exit path
// on a loaded machine) and nothing is published after "shutting down" (no "snapshot published" or "snapshot loaded"
// line follows it in the log). Ports 19690-19691.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { syntheticMeshFiles } from "../../bench/synthetic-mesh.js";
import { spawnMeshc } from "../bootstrap/cli-helpers.js";
import { eventually } from "../xds/harness.js";

const dir = mkdtempSync(join(tmpdir(), "meshc-shutdown-reload-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const GRACE_MS = 1000;
/** Beyond the grace: the signal handler waits for at most one synchronous compiler step, then the exit path runs. */
const SLACK_MS = 5000;

test("SIGTERM during a reload of a 1,000-service mesh exits within the shutdown grace and publishes nothing", { timeout: 900_000 }, async (t) => {
  const files = syntheticMeshFiles({ services: 1000, style: "statements" });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const mesh = join(dir, "mesh.ts");
  const [xds, admin] = [19690, 19691];
  const child = spawnMeshc(["serve", mesh, "--xds", `127.0.0.1:${xds}`, "--admin", `127.0.0.1:${admin}`, "--no-state", "--poll", "0", "--shutdown-grace", `${GRACE_MS}ms`]);
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  t.after(() => child.kill("SIGKILL"));
  const readyz = async () => (await fetch(`http://127.0.0.1:${admin}/readyz`)).json() as Promise<{ ready: boolean; compiling: boolean }>;
  await eventually(async () => (await readyz().catch(() => undefined))?.ready === true && !(await readyz()).compiling, "the first compile to be served", 600_000, 500);
  const published = () => log.split("\n").filter((l) => /"msg":"snapshot (published|loaded)"/.test(l)).length;
  const before = published();
  assert.ok(before >= 1, `the first compile was published:\n${log.slice(-2000)}`);

  // One instance of one service moves: a reload of the whole mesh starts.
  const text = readFileSync(mesh, "utf8");
  const edited = text.replace(/address: "10\.0\.0\.1"/, 'address: "10.0.9.1"');
  assert.notEqual(edited, text, "the edit changes the mesh");
  writeFileSync(mesh, edited);
  await eventually(async () => (await readyz()).compiling, "the reload to start", 60_000, 20);

  const started = performance.now();
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<"hung">((r) => (timer = setTimeout(() => r("hung"), 300_000)))]);
  clearTimeout(timer);
  const ms = performance.now() - started;
  t.diagnostic(`SIGTERM during the reload -> exit: ${Math.round(ms)} ms (grace ${GRACE_MS} ms)`);
  assert.notEqual(code, "hung", `meshc serve did not exit within 300 s of SIGTERM:\n${log.slice(-3000)}`);
  assert.equal(code, 0, log.slice(-3000));
  assert.ok(ms < GRACE_MS + SLACK_MS, `SIGTERM during a reload: exit took ${Math.round(ms)} ms with a ${GRACE_MS} ms grace:\n${log.slice(-3000)}`);
  const afterShutdown = log.slice(log.indexOf('"msg":"shutting down"'));
  assert.ok(log.includes('"msg":"shutting down"'), log.slice(-3000));
  assert.doesNotMatch(afterShutdown, /"msg":"snapshot (published|loaded)"/, `nothing is published after shutdown starts:\n${afterShutdown.slice(0, 3000)}`);
  assert.equal(published(), before, "no snapshot was published by the cancelled reload");
});

test("SIGTERM during the cold start (the first compile of a 1,000-service mesh) takes the clean shutdown path: exit 0, nothing served", { timeout: 900_000 }, async (t) => {
  const cold = join(dir, "cold");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(cold, { recursive: true });
  for (const [name, text] of Object.entries(syntheticMeshFiles({ services: 1000, style: "data" }))) writeFileSync(join(cold, name), text);
  const child = spawnMeshc(["serve", join(cold, "mesh.ts"), "--xds", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--no-state", "--poll", "0", "--shutdown-grace", `${GRACE_MS}ms`]);
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  t.after(() => child.kill("SIGKILL"));
  // The xDS server listens before the first compile; the compile of this mesh takes seconds (minutes under load).
  await eventually(() => log.includes('"msg":"xDS server listening'), "the xDS server to listen (the first compile then runs)", 300_000, 20);
  assert.doesNotMatch(log, /"msg":"(meshc serve ready|snapshot loaded)"/, "the first compile is still running when the signal is sent");
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([exited, new Promise<"hung">((res) => (timer = setTimeout(() => res("hung"), 300_000)))]);
  clearTimeout(timer);
  assert.notEqual(r, "hung", `meshc serve did not exit within 300 s of SIGTERM:\n${log.slice(-3000)}`);
  assert.deepEqual(r, { code: 0, signal: null }, `the clean shutdown path (exit 0), not Node's default exit on SIGTERM:\n${log.slice(-3000)}`);
  assert.match(log, /"msg":"shutting down"/);
  assert.match(log, /"msg":"stopped before serving/);
  assert.doesNotMatch(log, /"msg":"(meshc serve ready|snapshot loaded|snapshot published)"/, "nothing is served after a signal during the start");
});
