// `meshc serve <build dir> --workers 2` serves snapshot variants (issue 13) as one process does: a proxy whose node
// names an instance with its own sidecar ports gets that instance's listeners, and one in a locality of a service
// spanning several gets that locality's ClusterLoadAssignments, whichever worker holds its stream. (The worker
// messages used to carry only each service's default snapshot, so every worker served the default to all.)
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import { startServe } from "../../src/serve/serve.js";
import { loadCase } from "../backend/cases.js";
import { AdsTestClient, node, sreq } from "../xds/ads-client.js";
import { TYPE } from "../xds/fixtures.js";
import { captureLogs, eventually } from "../xds/harness.js";

const root = mkdtempSync(join(tmpdir(), "meshc-worker-variants-"));
after(() => rmSync(root, { recursive: true, force: true }));

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("serve --workers 2: instance and locality variants reach their proxies on every worker", { timeout: 240_000 }, async (t) => {
  const ir = loadCase("zones");
  const snapshot = translateMesh(ir).snapshot;
  const dir = join(root, "build");
  await writeBuildDir(dir, renderBuild(ir.name, snapshot));
  const logs = captureLogs("warn");
  const h = await startServe({ source: dir, xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, logger: logs.logger, stateDir: false, workers: 2, shutdownGraceMs: 1000 });
  t.after(() => h.close());
  const admin = `http://127.0.0.1:${h.adminPort}`;
  await eventually(async () => {
    const r = await fetch(`${admin}/readyz`);
    const body = (await r.json()) as { workers: { listening: boolean; current: boolean }[] };
    return r.status === 200 && body.workers.every((w) => w.listening && w.current) ? true : undefined;
  }, "both workers listening with the snapshot", 120_000, 200);
  const addr = `127.0.0.1:${h.xds.port}`;

  const batch = snapshot.proxies.get("batch")!;
  const zoneB = batch.variants!.get("locality:eu,eu-b")!;
  const web = snapshot.proxies.get("web")!;
  const own = web.variants!.get("instance:10.0.1.5%3A8082")!;
  const edsNames = zoneB.resources.endpoint.map((r) => r.name).sort();
  assert.notDeepEqual(zoneB.resources.endpoint.map((r) => hex(r.bytes)), batch.resources.endpoint.map((r) => hex(r.bytes)), "the zone's assignments differ from the default's");

  // Four of each, one connection each, in alternating order: the primary deals connections to the workers in turn,
  // so streams of both kinds land on both workers.
  const clients: { close(): void }[] = [];
  t.after(() => clients.forEach((c) => c.close()));
  const zoneProxy = async (i: number) => {
    const c = AdsTestClient.sotw(addr, 120_000, undefined, { "grpc.use_local_subchannel_pool": 1 });
    clients.push(c);
    c.send(sreq(TYPE.endpoint, { node: { ...node("batch", `batch-${i}`), locality: { region: "eu", zone: "eu-b", sub_zone: "" } }, resourceNames: edsNames }));
    const r = await c.next(60_000);
    assert.deepEqual(
      r.resources.map((x) => [x.name, hex(x.bytes)]).sort(),
      zoneB.resources.endpoint.map((x) => [x.name, hex(x.bytes)]).sort(),
      `batch-${i} in eu-b gets eu-b's assignments`,
    );
    assert.equal(r.versionInfo, zoneB.versions.endpoint);
  };
  const instanceProxy = async () => {
    const w = AdsTestClient.sotw(addr, 120_000, undefined, { "grpc.use_local_subchannel_pool": 1 });
    clients.push(w);
    w.send(sreq(TYPE.listener, { node: node("web", "10.0.1.5:8082") }));
    const l = await w.next(60_000);
    assert.deepEqual(l.resources.map((x) => x.name).sort(), own.resources.listener.map((x) => x.name).sort(), "the instance gets its own listeners");
    assert.equal(l.versionInfo, own.versions.listener);
  };
  for (let i = 0; i < 4; i++) {
    if (i % 2 === 0) {
      await zoneProxy(i);
      await instanceProxy();
    } else {
      await instanceProxy();
      await zoneProxy(i);
    }
  }
  // The workers report their streams at most a second late.
  const rows = await eventually(async () => {
    const list = (await (await fetch(`${admin}/debug/proxies`)).json()) as { service: string; worker: number; variant?: string }[];
    return list.length === 8 ? list : undefined;
  }, "all eight streams in /debug/proxies", 30_000, 200);
  const workersOf = (service: string) => new Set(rows.filter((r) => r.service === service).map((r) => r.worker));
  assert.equal(workersOf("batch").size + workersOf("web").size >= 3, true, `streams spread over both workers: ${JSON.stringify(rows.map((r) => [r.service, r.worker]))}`);
  assert.ok(rows.filter((r) => r.service === "batch").every((r) => r.variant === "locality:eu,eu-b"), "each batch row names its variant");
});
