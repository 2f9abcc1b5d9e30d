// `meshc serve --workers N` (src/serve/cluster/), in process with two worker processes and wire-level ADS clients,
// each on a connection of its own: streams land on both workers; /debug/proxies, /readyz, /metrics and the
// dashboard's status aggregate across them; a reload reaches the streams of both; a worker killed with SIGKILL is
// restarted, the streams it held end, their proxies reconnect and are served, the other worker's streams are
// untouched; close() drains every worker (streams end with UNAVAILABLE) and the worker processes exit. Also: how the
// global limits are split over workers.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { startServe } from "../../src/serve/serve.js";
import { workerLimits } from "../../src/serve/cluster/primary.js";
import { AdsTestClient, node, sreq, type SotwClient } from "../xds/ads-client.js";
import { TYPE } from "../xds/fixtures.js";
import { captureLogs, eventually } from "../xds/harness.js";
import { alive, waitWorkersReady, type WorkersReady } from "../helpers/workers.js";

const MESH_DIR = join(import.meta.dirname, "..", "backend", "fixtures", "cli");
const dir = mkdtempSync(join(tmpdir(), "meshc-workers-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  service: string;
  node: { id: string };
  worker: number;
  acked: Record<string, string>;
}

test("serve --workers 2: streams on both workers, aggregated admin views, reload, worker crash and restart, drain", { timeout: 300_000 }, async (t) => {
  const work = join(dir, "mesh");
  cpSync(MESH_DIR, work, { recursive: true });
  const meshPath = join(work, "mesh.ts");
  const logs = captureLogs("warn");
  const h = await startServe({ source: meshPath, xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, logger: logs.logger, stateDir: false, workers: 2, shutdownGraceMs: 1000 });
  let closed = false;
  t.after(() => (closed ? undefined : h.close()));
  const admin = `http://127.0.0.1:${h.adminPort}`;
  const getJson = async <T>(path: string) => (await (await fetch(`${admin}${path}`)).json()) as T;
  const ready = await waitWorkersReady(admin);
  assert.equal(ready.workers.length, 2);
  const pids = ready.workers.map((w) => w.pid);
  assert.ok(pids.every((p) => p !== process.pid && alive(p)), "workers are processes of their own");

  // Eight proxies, one connection each: each gets CDS and ACKs it.
  const addr = `127.0.0.1:${h.xds.port}`;
  const clients = new Map<string, SotwClient>();
  const connect = async (id: string) => {
    const c = AdsTestClient.sotw(addr, 240_000, undefined, { "grpc.use_local_subchannel_pool": 1 });
    clients.set(id, c);
    c.send(sreq(TYPE.cluster, { node: node(id.startsWith("api") ? "api" : "web", id) }));
    const r = await c.next(60_000);
    assert.ok(r.resources.length > 0, `${id} got clusters`);
    c.send(sreq(TYPE.cluster, { versionInfo: r.versionInfo, responseNonce: r.nonce }));
    return r.versionInfo;
  };
  const ids = ["web-1", "web-2", "web-3", "web-4", "api-1", "api-2", "api-3", "api-4"];
  const firstVersion = new Map<string, string>();
  for (const id of ids) firstVersion.set(id, await connect(id));
  t.after(() => {
    for (const c of clients.values()) c.close();
  });

  // /debug/proxies lists every stream once, with the worker holding it; both workers hold some.
  const rows = await eventually(async () => {
    const list = await getJson<Row[]>("/debug/proxies");
    return list.length === ids.length && list.every((r) => r.acked.cluster) ? list : undefined;
  }, "all eight streams ACKed on /debug/proxies", 60_000, 200);
  assert.deepEqual(rows.map((r) => r.node.id).sort(), [...ids].sort());
  const onWorker = (w: number) => rows.filter((r) => r.worker === w).map((r) => r.node.id);
  assert.ok(onWorker(1).length > 0 && onWorker(2).length > 0, `streams on both workers: ${JSON.stringify(rows.map((r) => [r.node.id, r.worker]))}`);

  // /metrics: the workers' xds_* metrics summed with the primary's own (compile histogram, sync gauges).
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  const sample = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
  assert.equal(sample(/^xds_connected_proxies\{api="sotw"\} (\d+)/m), ids.length, "connected proxies summed over workers");
  assert.ok(sample(/^xds_pushes_total\{type="cluster"\} (\d+)/m) >= ids.length, "pushes summed over workers");
  assert.equal(sample(/^meshc_compile_duration_seconds_count (\d+)/m), 1, "the primary's metrics are there too");
  assert.equal((metrics.match(/^meshc_proxy_acked\{[^}]*type="cluster"[^}]*\} 1$/gm) ?? []).length, ids.length, "per-proxy sync gauges cover both workers' streams");
  // The dashboard's status report (what `meshc status` reads).
  const status = await getJson<{ proxies: unknown[]; allSynced: boolean }>("/debug/status");
  assert.equal(status.proxies.length, ids.length);

  // A reload reaches the streams of both workers: a new CDS version to each.
  // (connectTimeout is a property of api's clusters, which web's CDS holds.)
  writeFileSync(meshPath, readFileSync(meshPath, "utf8").replace("  mesh.routes(api,", '  mesh.policy(api, { connectTimeout: "250ms" });\n  mesh.routes(api,'));
  assert.equal(await h.reload(), true);
  const web1 = clients.get("web-1")!;
  const pushed = await web1.next(60_000);
  assert.notEqual(pushed.versionInfo, firstVersion.get("web-1"));
  web1.send(sreq(TYPE.cluster, { versionInfo: pushed.versionInfo, responseNonce: pushed.nonce }));

  // A change that does not compile: the workers keep serving the last good snapshot, nothing is pushed.
  const good = readFileSync(meshPath, "utf8");
  writeFileSync(meshPath, good.replace("mesh.routes(api,", "mesh.routes(nosuchservice,"));
  assert.equal(await h.reload(), false);
  const afterBad = await getJson<WorkersReady & { newest: { compiled: boolean } }>("/readyz");
  assert.equal(afterBad.ready, true);
  assert.equal(afterBad.newest.compiled, false);
  assert.ok(afterBad.workers.every((w) => w.listening && w.current), "the workers still serve the last good snapshot");
  await assert.rejects(web1.next(1000), /no response/, "nothing pushed for a change that did not compile");
  writeFileSync(meshPath, good);

  // Kill the worker holding api-1's stream: it is restarted; its streams end, the other worker's do not.
  const victim = rows.find((r) => r.node.id === "api-1")!.worker;
  const victimPid = ready.workers.find((w) => w.slot === victim)!.pid;
  const lost = rows.filter((r) => r.worker === victim).map((r) => r.node.id);
  const kept = rows.filter((r) => r.worker !== victim).map((r) => r.node.id);
  process.kill(victimPid, "SIGKILL");
  for (const id of lost) {
    const st = await clients.get(id)!.status(30_000);
    assert.notEqual(st.code, GrpcStatus.OK, `${id}'s stream ended with an error status (${st.code})`);
  }
  const restarted = await eventually(async () => {
    const r = await getJson<WorkersReady>("/readyz");
    const w = r.workers.find((x) => x.slot === victim)!;
    return w.restarts === 1 && w.listening && w.current && w.pid !== victimPid ? r : undefined;
  }, "the killed worker restarted with the current snapshot", 120_000, 200);
  assert.ok(restarted.ready);
  const crashLine = logs.lines.find((l) => l.code === "MESH0910");
  assert.ok(crashLine, "the crash is logged with its code");
  assert.equal(crashLine.worker, victim);
  assert.equal(crashLine.signal, "SIGKILL");
  // Its proxies reconnect (as Envoy does) and are served; the survivors' streams were never interrupted.
  for (const id of lost) {
    clients.get(id)!.close();
    await connect(id);
  }
  await eventually(async () => {
    const list = await getJson<Row[]>("/debug/proxies");
    return list.length === ids.length && list.every((r) => r.acked.cluster) ? list : undefined;
  }, "every proxy served again after the crash", 60_000, 200);
  for (const id of kept) await assert.rejects(clients.get(id)!.status(200), /did not end/, `${id} on the surviving worker kept its stream`);

  // close(): every worker drains (the streams end with UNAVAILABLE) and exits.
  const finalPids = (await getJson<WorkersReady>("/readyz")).workers.map((w) => w.pid);
  const ends = kept.map((id) => clients.get(id)!.status(30_000));
  await h.close();
  closed = true;
  for (const st of await Promise.all(ends)) assert.equal(st.code, GrpcStatus.UNAVAILABLE, st.details);
  await eventually(() => finalPids.every((p) => !alive(p)), "worker processes exited", 20_000, 100);
});

test("global limits are split over the workers; per-stream limits are not", () => {
  const l = workerLimits({ maxConnections: 10_000, streamsPerSecond: 500, streamBurst: 500, maxMessageBytes: 1024 }, 3);
  assert.equal(l.maxConnections, 3334);
  assert.ok(Math.abs(l.streamsPerSecond! - 500 / 3) < 1e-9);
  assert.equal(l.streamBurst, 167);
  assert.equal(l.maxMessageBytes, 1024);
  assert.equal(workerLimits({ streamsPerSecond: 0 }, 2).streamsPerSecond, 0, "0 (no limit) stays 0");
});
