// /metrics of `meshc serve --workers 2` never goes backwards: the xds_* counters are summed over the workers, and a
// worker that stops answering (SIGSTOP: its answer times out) or dies (SIGKILL: restarted with fresh counters) used
// to drop its share from the sum, which Prometheus reads as a counter reset. Real worker processes, wire-level ADS
// clients on connections of their own.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startServe } from "../../src/serve/serve.js";
import { AdsTestClient, node, sreq, type SotwClient } from "../xds/ads-client.js";
import { TYPE } from "../xds/fixtures.js";
import { captureLogs, eventually } from "../xds/harness.js";
import { waitWorkersReady, type WorkersReady } from "../helpers/workers.js";

const MESH_DIR = join(import.meta.dirname, "..", "backend", "fixtures", "cli");
const dir = mkdtempSync(join(tmpdir(), "meshc-workers-metrics-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("serve --workers 2: summed counters hold through a worker that does not answer and one that is restarted", { timeout: 300_000 }, async (t) => {
  const work = join(dir, "mesh");
  cpSync(MESH_DIR, work, { recursive: true });
  const logs = captureLogs("error");
  const h = await startServe({ source: join(work, "mesh.ts"), xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, logger: logs.logger, stateDir: false, workers: 2, shutdownGraceMs: 1000 });
  const stopped: number[] = [];
  t.after(async () => {
    for (const pid of stopped) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // already gone
      }
    }
    await h.close();
  });
  const admin = `http://127.0.0.1:${h.adminPort}`;
  const getJson = async <T>(path: string) => (await (await fetch(`${admin}${path}`)).json()) as T;
  const ready = await waitWorkersReady(admin);

  const clients: SotwClient[] = [];
  t.after(() => clients.forEach((c) => c.close()));
  const ids = ["web-1", "web-2", "web-3", "web-4", "api-1", "api-2", "api-3", "api-4"];
  for (const id of ids) {
    const c = AdsTestClient.sotw(`127.0.0.1:${h.xds.port}`, 240_000, undefined, { "grpc.use_local_subchannel_pool": 1 });
    clients.push(c);
    c.send(sreq(TYPE.cluster, { node: node(id.startsWith("api") ? "api" : "web", id) }));
    const r = await c.next(60_000);
    c.send(sreq(TYPE.cluster, { versionInfo: r.versionInfo, responseNonce: r.nonce }));
  }
  const rows = await eventually(async () => {
    const list = await getJson<{ node: { id: string }; worker: number }[]>("/debug/proxies");
    return list.length === ids.length ? list : undefined;
  }, "all eight streams on /debug/proxies", 60_000, 200);
  const victim = rows.find((r) => r.node.id === "api-1")!.worker;
  assert.ok(rows.some((r) => r.worker !== victim), `streams on both workers: ${JSON.stringify(rows)}`);
  const victimPid = ready.workers.find((w) => w.slot === victim)!.pid;

  const pushes = async () => {
    const text = await (await fetch(`${admin}/metrics`)).text();
    const v = Number(/^xds_pushes_total\{type="cluster"\} (\d+)/m.exec(text)?.[1] ?? NaN);
    assert.ok(Number.isFinite(v), "xds_pushes_total is on /metrics");
    return v;
  };
  const before = await pushes();
  assert.ok(before >= ids.length, `one CDS push per proxy at least (${before})`);

  // A worker that does not answer within the 2 s wait: counted with its last answer.
  process.kill(victimPid, "SIGSTOP");
  stopped.push(victimPid);
  assert.equal(await pushes(), before, "a worker that did not answer still counts");
  process.kill(victimPid, "SIGCONT");

  // A worker that dies is restarted with counters at zero: what it had counted stays in the sum.
  process.kill(victimPid, "SIGKILL");
  await eventually(async () => {
    const r = await getJson<WorkersReady>("/readyz");
    const w = r.workers.find((x) => x.slot === victim)!;
    return w.restarts === 1 && w.listening && w.current && w.pid !== victimPid ? r : undefined;
  }, "the killed worker restarted", 120_000, 200);
  assert.ok((await pushes()) >= before, "the restarted worker's predecessor still counts");
});
