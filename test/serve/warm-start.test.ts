// Warm start and readiness (issue 7 section 4). `meshc serve mesh.ts` keeps its last good snapshot in a state
// directory (.meshc/ beside the mesh) and serves it at once on the next start while the compile runs, so proxies
// reconnecting after a restart are answered without waiting for the compile (R2: a restarted server answers with the
// same versions for the same content). /readyz is 200 only while a snapshot is served; its JSON and gauges say
// whether the newest source compiled and when. Also: an edit that loops forever does not stall ADS or /healthz, and
// SIGTERM still stops the server (R22: the evaluation step failing leaves the server serving the last good snapshot).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, test } from "node:test";
import { pino } from "pino";
import { renderBuild } from "../../src/build/render.js";
import { TYPE_URLS } from "../../src/snapshot/types.js";
import { startServe, type ServeHandle } from "../../src/serve/serve.js";
import { AdsTestClient, node, sreq } from "../xds/ads-client.js";

const ROOT = join(import.meta.dirname, "..", "..");
const MESH = join(import.meta.dirname, "..", "backend", "fixtures", "cli", "mesh.ts");
const dir = mkdtempSync(join(tmpdir(), "meshc-warm-"));
const handles: ServeHandle[] = [];
after(async () => {
  for (const h of handles) await h.close();
  rmSync(dir, { recursive: true, force: true });
});
const quiet = pino({ level: "silent" });

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}
const versions = (h: ServeHandle) => JSON.stringify([...h.xds.snapshot()!.proxies].map(([k, p]) => [k, p.versions]));

interface Ready {
  ready: boolean;
  serving: { origin: string; since: string; compiledAt: string } | null;
  newest: { compiled: boolean; at: string; errors: number } | null;
  compiling: boolean;
}

/** Makes evaluation take `ms` (a busy wait), so the compile is still running while the test looks. */
const slow = (text: string, ms: number) =>
  text.replace('import { defineMesh, http } from "meshc";', `import { defineMesh, http } from "meshc";\nconst until = Date.now() + ${ms};\nwhile (Date.now() < until) {}`);

describe("warm start and /readyz (R2, R22)", () => {
  test("the stored snapshot is served at once on restart, then replaced by the compile with the same versions", { timeout: 300_000 }, async (t) => {
    const work = join(dir, "warm");
    cpSync(join(MESH, ".."), work, { recursive: true });
    const entry = join(work, "mesh.ts");
    const good = readFileSync(entry, "utf8");

    const first = await startServe({ source: entry, xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, logger: quiet });
    const firstVersions = versions(first);
    const cold = JSON.parse((await get(first.adminPort, "/readyz")).text) as Ready;
    assert.equal(cold.serving?.origin, "compiled");
    assert.equal(cold.newest?.compiled, true);
    const snapshot = first.xds.snapshot()!;
    await first.close();

    // The state directory holds exactly what `meshc build` writes (no secrets can be in it), plus state.json.
    const state = join(work, ".meshc");
    assert.deepEqual(readdirSync(state).sort(), ["snapshot", "state.json"]);
    for (const [rel, text] of renderBuild("clitest", snapshot)) assert.equal(readFileSync(join(state, "snapshot", rel), "utf8"), text, rel);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(state, "state.json"), "utf8")) as object).sort(), ["compiledAt", "format", "manifest", "source"]);

    // Restart with a compile that takes a while: the stored snapshot answers first.
    writeFileSync(entry, slow(good, 4000));
    const t0 = Date.now();
    const h = await startServe({ source: entry, xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, logger: quiet });
    handles.push(h);
    assert.ok(h.xds.snapshot(), "a snapshot is served as soon as startServe returns");
    const ready = await get(h.adminPort, "/readyz");
    assert.equal(ready.status, 200);
    const warm = JSON.parse(ready.text) as Ready;
    assert.equal(warm.serving?.origin, "warm-start");
    assert.equal(warm.newest, null, "the newest source has not finished compiling yet");
    assert.equal(warm.compiling, true);
    assert.match((await get(h.adminPort, "/metrics")).text, /^meshc_serving_snapshot 1$/m);

    const c = AdsTestClient.sotw(h.xds.address);
    try {
      c.send(sreq(TYPE_URLS.cluster, { node: node("web") }));
      const res = await c.next(10_000);
      const answeredMs = Date.now() - t0;
      assert.ok(res.resources.length > 0);
      assert.equal((JSON.parse((await get(h.adminPort, "/readyz")).text) as Ready).compiling, true, "answered while the compile was still running");
      t.diagnostic(`a proxy connecting right after the restart was answered ${answeredMs} ms after start (compile still running)`);
    } finally {
      c.close();
    }
    assert.equal(await h.initialLoad, true);
    const compiled = JSON.parse((await get(h.adminPort, "/readyz")).text) as Ready;
    assert.equal(compiled.serving?.origin, "compiled");
    assert.equal(compiled.newest?.compiled, true);
    assert.equal(versions(h), firstVersions, "same content, same versions: nothing is pushed again");
    assert.match((await get(h.adminPort, "/metrics")).text, /^meshc_newest_source_compiled 1$/m);
  });

  test("a failed compile: /readyz stays 200 with newest.compiled false; with nothing to serve it is 503", { timeout: 300_000 }, async () => {
    const work = join(dir, "ready");
    cpSync(join(MESH, ".."), work, { recursive: true });
    const entry = join(work, "mesh.ts");
    const good = readFileSync(entry, "utf8");
    writeFileSync(entry, good.replace(".split([", '.split("nope", ['));
    const broken = await startServe({ source: entry, xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, stateDir: false, logger: quiet });
    handles.push(broken);
    const none = await get(broken.adminPort, "/readyz");
    assert.equal(none.status, 503);
    assert.deepEqual((JSON.parse(none.text) as Ready).newest?.compiled, false);
    assert.match((await get(broken.adminPort, "/metrics")).text, /^meshc_newest_source_compiled 0$/m);

    writeFileSync(entry, good);
    assert.equal(await broken.reload(), true);
    assert.equal((await get(broken.adminPort, "/readyz")).status, 200);
    writeFileSync(entry, good.replace(".split([", '.split("nope", ['));
    assert.equal(await broken.reload(), false);
    const r = await get(broken.adminPort, "/readyz");
    assert.equal(r.status, 200, "the last good snapshot is still served");
    const body = JSON.parse(r.text) as Ready;
    assert.equal(body.newest?.compiled, false);
    assert.ok(body.newest!.errors >= 1);
    assert.ok(Date.parse(body.newest!.at) >= Date.parse(body.serving!.since));
  });

  test("a stored snapshot of another mesh is not served (MESH0903)", { timeout: 300_000 }, async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    cpSync(join(MESH, ".."), a, { recursive: true });
    cpSync(join(MESH, ".."), b, { recursive: true });
    const state = join(dir, "shared-state");
    const h1 = await startServe({ source: join(a, "mesh.ts"), xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, stateDir: state, logger: quiet });
    await h1.close();
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (s: string) => void lines.push(s) });
    const h2 = await startServe({ source: join(b, "mesh.ts"), xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, stateDir: state, logger });
    handles.push(h2);
    assert.ok(lines.some((l) => l.includes("MESH0903") && l.includes("not ")), lines.join("\n"));
    assert.equal((JSON.parse((await get(h2.adminPort, "/readyz")).text) as Ready).serving?.origin, "compiled");
  });
});

describe("meshc serve with an edit that never finishes evaluating (R22)", () => {
  test("ADS and /healthz keep answering, the last good snapshot keeps serving, SIGTERM stops the server", { timeout: 300_000 }, async (t) => {
    const work = join(dir, "loop");
    cpSync(join(MESH, ".."), work, { recursive: true });
    // Another test's `meshc serve` on the example may have left its default state dir there: start without one.
    rmSync(join(work, ".meshc"), { recursive: true, force: true });
    const entry = join(work, "mesh.ts");
    const good = readFileSync(entry, "utf8");
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), "serve", entry, "--xds", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--debounce", "50", "--eval-timeout", "120", "--no-state"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    t.after(() => void child.kill("SIGKILL"));
    const log: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on("line", (l) => {
      try {
        log.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        /* not a log line */
      }
    });
    const waitLog = async (msg: string, ms = 120_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const hit = log.find((l) => l.msg === msg);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`no "${msg}" log line`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const ready = await waitLog("meshc serve ready");
    const admin = ready.admin as number;
    const xds = ready.xds as string;
    const before = JSON.parse((await get(admin, "/debug/snapshot/web")).text) as { versions: unknown };

    writeFileSync(entry, good.replace('import { defineMesh, http } from "meshc";', 'import { defineMesh, http } from "meshc";\nfor (;;) {}'));
    await waitLog("change detected");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await get(admin, "/healthz")).status, 200, "/healthz answers during the endless evaluation");
    const r = JSON.parse((await get(admin, "/readyz")).text) as Ready;
    assert.equal(r.ready, true);
    const c = AdsTestClient.sotw(xds);
    try {
      c.send(sreq(TYPE_URLS.cluster, { node: node("web") }));
      assert.ok((await c.next(10_000)).resources.length > 0, "ADS answers during the endless evaluation");
    } finally {
      c.close();
    }
    assert.deepEqual((JSON.parse((await get(admin, "/debug/snapshot/web")).text) as { versions: unknown }).versions, before.versions);

    const t0 = Date.now();
    child.kill("SIGTERM");
    const end = await exited;
    t.diagnostic(`SIGTERM during the endless evaluation: exited after ${Date.now() - t0} ms (${JSON.stringify(end)})`);
    assert.equal(end.signal, null, "exited by itself, not killed by the signal's default action");
    assert.equal(end.code, 0);
    assert.ok(Date.now() - t0 < 60_000, "well before the 120 s evaluation timeout");
    assert.ok(!existsSync(join(work, ".meshc")), "--no-state writes no state");
  });
});
