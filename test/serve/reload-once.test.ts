// One reload per change (issue 12 item 2). The defect: a load takes the inputs' fingerprint when it starts; a save
// during that load queues the next load, and when the first one ends the watcher rewound its baseline to the stale
// fingerprint, saw the save again and queued a third load of the same content. Here every evaluation of the mesh
// takes at least 2 s (a busy loop in mesh.ts), a second save lands while the first save's load runs, and the loads
// are counted from /metrics (meshc_compile_duration_seconds_count): start + one per save, never one more.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pino } from "pino";
import { startServe, type ServeHandle } from "../../src/serve/serve.js";
import { counterMesh, servedAddress } from "../helpers/served-address.js";

const root = mkdtempSync(join(tmpdir(), "meshc-reload-once-"));
const handles: ServeHandle[] = [];
after(async () => {
  for (const h of handles) await h.close();
  rmSync(root, { recursive: true, force: true });
});

/** A mesh whose evaluation takes at least `busyMs`; the api address carries `n` (what is served shows which save). */
const meshText = (n: number, busyMs: number) =>
  counterMesh(n, "once", `const until = Date.now() + ${busyMs};\nwhile (Date.now() < until) {} // a slow evaluation: the load is still running when the next save lands\n`);

async function admin(h: ServeHandle, path: string): Promise<string> {
  return (await fetch(`http://127.0.0.1:${h.adminPort}${path}`)).text();
}

async function loads(h: ServeHandle): Promise<number> {
  const text = await admin(h, "/metrics");
  const n = Number(/^meshc_compile_duration_seconds_count (\d+)$/m.exec(text)?.[1] ?? NaN);
  assert.ok(Number.isFinite(n), `the compile count is in /metrics:\n${text.slice(0, 2000)}`);
  return n;
}

const compiling = async (h: ServeHandle) => (JSON.parse(await admin(h, "/readyz")) as { compiling: boolean }).compiling;

async function until(f: () => Promise<boolean> | boolean, what: string, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The load count once nothing is compiling and it has held still for longer than one load takes. */
async function settledLoads(h: ServeHandle, quietMs: number): Promise<number> {
  let last = await loads(h);
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await loads(h);
    if (now !== last || (await compiling(h))) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > quietMs) return now;
  }
}

test("a save during a load is followed by exactly one more load, not two (counted on /metrics)", { timeout: 600_000 }, async () => {
  const busyMs = 2000;
  const dir = join(root, "mesh");
  const entry = join(dir, "mesh.ts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(entry, meshText(1, busyMs));
  const h = await startServe({ source: entry, xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", debounceMs: 50, pollMs: 0, stateDir: false, logger: pino({ level: "silent" }) });
  handles.push(h);
  assert.equal(servedAddress(h), "10.1.0.1");
  const start = await settledLoads(h, busyMs + 2000);
  assert.equal(start, 1, "one load at start");

  // Save 2, wait until its load has begun (and taken its fingerprint), then save 3 while it runs.
  writeFileSync(entry, meshText(2, busyMs));
  await until(() => compiling(h), "the load of save 2 to start");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await compiling(h), true, "save 2's load is still running when save 3 lands");
  writeFileSync(entry, meshText(3, busyMs));

  await until(() => servedAddress(h) === "10.1.0.3", `save 3 to be served (serving ${servedAddress(h)})`);
  const total = await settledLoads(h, busyMs + 2000);
  assert.equal(total - start, 2, `two saves, two loads (got ${total - start}: a redundant reload of the same content)`);

  // A save while nothing is loading: exactly one more.
  writeFileSync(entry, meshText(4, busyMs));
  await until(() => servedAddress(h) === "10.1.0.4", "save 4 to be served");
  assert.equal((await settledLoads(h, busyMs + 2000)) - total, 1, "one save, one load");
});
