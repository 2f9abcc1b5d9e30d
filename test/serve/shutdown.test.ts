// `meshc serve` as a real process under unlucky and hostile clients: a malformed admin request is a 400, and
// SIGTERM ends the process within the shutdown grace even with an idle HTTP/2 client, a half-sent admin request and
// a stream whose reader is stuck (ports 22900-22903).
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { spawnMeshc } from "../bootstrap/cli-helpers.js";
import { ownTmpdir } from "../helpers/own-tmpdir.js";
import { adsService, encodeSotwRequest } from "../../src/xds/wire.js";
import { node, sreq } from "../xds/ads-client.js";
import { TYPE } from "../xds/fixtures.js";
import { eventually } from "../xds/harness.js";
import { RawGrpcStream } from "../xds/raw-h2.js";

const MESH_DIR = join(import.meta.dirname, "..", "backend", "fixtures", "cli");
const dir = mkdtempSync(join(tmpdir(), "meshc-shutdown-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(text));
    let out = "";
    s.on("data", (d) => (out += d));
    s.on("error", () => {});
    s.on("close", () => resolve(out));
    setTimeout(() => s.destroy(), 15_000);
  });
}

test("admin: a malformed percent-escape or request target is a 400, never a 500; SIGTERM with an idle HTTP/2 client, a half-sent admin request and a stuck reader exits within the grace, leaving nothing in the temp folder", { timeout: 240_000 }, async (t) => {
  const work = join(dir, "mesh");
  cpSync(MESH_DIR, work, { recursive: true });
  const [xds, admin] = [22900, 22901];
  const temp = ownTmpdir(join(dir, "tmp"));
  const child = spawnMeshc(["serve", join(work, "mesh.ts"), "--xds", `127.0.0.1:${xds}`, "--admin", `127.0.0.1:${admin}`, "--no-watch", "--shutdown-grace", "1s"], temp.env);
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  t.after(() => child.kill("SIGKILL"));
  await eventually(async () => (await fetch(`http://127.0.0.1:${admin}/readyz`)).status === 200, "meshc serve ready", 180_000, 200);

  for (const path of ["/debug/snapshot/%E0%A4%A", "/debug/snapshot/%", "/%zz"]) {
    const res = await fetch(`http://127.0.0.1:${admin}${path}`);
    assert.equal(res.status, 400, `${path}: ${await res.text()}`);
  }
  assert.match(await rawHttp(admin, "GET /debug/%ff%fe%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), /^HTTP\/1.1 400/);
  assert.equal((await fetch(`http://127.0.0.1:${admin}/debug/snapshot/web`)).status, 200, "a well-formed request still works");

  // The clients that used to hold shutdown: an idle HTTP/2 connection, an admin request whose headers never end,
  // an ADS stream that does not read.
  const idle = http2.connect(`http://127.0.0.1:${xds}`);
  idle.on("error", () => {});
  t.after(() => idle.destroy());
  const half = net.connect(admin, "127.0.0.1", () => half.write("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
  half.on("error", () => {});
  t.after(() => half.destroy());
  const stuck = new RawGrpcStream(`127.0.0.1:${xds}`, adsService.StreamAggregatedResources.path);
  t.after(() => stuck.close());
  stuck.send(encodeSotwRequest(sreq(TYPE.cluster, { node: node("web") })));
  await stuck.next();
  stuck.pause();
  await new Promise((r) => setTimeout(r, 300));
  // The evaluation worker for the next reload, started a second after the first evaluation, waits on its script.
  await eventually(() => temp.leftovers().length > 0, "the spare evaluation worker's script", 10_000, 100);

  const started = performance.now();
  child.kill("SIGTERM");
  const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 15_000))]);
  const ms = performance.now() - started;
  assert.notEqual(code, "hung", `meshc serve did not exit within 15 s of SIGTERM:\n${log.slice(-2000)}`);
  assert.equal(code, 0, log.slice(-2000));
  assert.ok(ms < 4000, `exit took ${Math.round(ms)} ms with a 1 s grace`);
  assert.deepEqual(temp.leftovers(), [], "meshc serve removed its temp folders");
});

test("admin: a request whose headers never end is dropped after the header timeout; oversized headers are refused", { timeout: 60_000 }, async () => {
  const { startServe } = await import("../../src/serve/serve.js");
  const { pino } = await import("pino");
  const { ADMIN_LIMITS } = await import("../../src/serve/admin.js");
  const h = await startServe({ source: join(MESH_DIR, "mesh.ts"), xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, logger: pino({ level: "silent" }), shutdownGraceMs: 500, stateDir: false });
  try {
    const started = performance.now();
    const half = await rawHttp(h.adminPort, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
    const ms = performance.now() - started;
    assert.ok(ms < ADMIN_LIMITS.headersTimeoutMs + 2500, `half-sent request held for ${Math.round(ms)} ms`);
    assert.match(half, /^HTTP\/1.1 408|^$/);
    const big = await rawHttp(h.adminPort, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(64 * 1024)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1.1 431/);
  } finally {
    await h.close();
  }
});
