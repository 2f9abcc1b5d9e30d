// Server-level behaviour: encode-once, waking only changed services, metrics, service removal, graceful close
// (ports 19235-19239).
import assert from "node:assert/strict";
import { test } from "node:test";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { dreq, names, node, sreq } from "./ads-client.js";
import { cla, cluster, httpListener, mesh, proxy, routeConfig, TYPE } from "./fixtures.js";
import { startTestServer, sleep } from "./harness.js";
import { adsService, wireStats } from "../../src/xds/wire.js";
import { RawGrpcStream } from "./raw-h2.js";
import type { EncodedResource } from "../../src/snapshot/types.js";

/** Three services sharing most resources (the same EncodedResource objects, as a backend produces them). */
function sharedMesh(body: string) {
  const shared: EncodedResource[] = [cluster("api"), cluster("db"), cla("api", [{ port: 19001 }]), cla("db", [{ port: 19002 }])];
  const route = routeConfig("routes", [{ direct: { body } }]);
  return mesh(
    ...["a", "b", "c"].map((svc, i) => proxy(svc, [...shared, httpListener(`${svc}-http`, 19280 + i, "routes"), route])),
  );
}

test("encode once: each distinct resource gets one Any/Resource wrapper however many proxies (SotW and Delta) receive it", async (t) => {
  const m = sharedMesh("v1");
  // Counted from before the server starts: it prepares the snapshot's Any wrappers in idle time (src/xds/prewarm.ts).
  const anyBefore = wireStats.anyEncodes;
  const s = await startTestServer(t, 19235, m);
  const distinct = new Set([...m.proxies.values()].flatMap((p) => Object.values(p.resources).flat()));
  const deltaBefore = wireStats.deltaResourceEncodes;
  const clients = [];
  for (let i = 0; i < 30; i++) {
    const svc = ["a", "b", "c"][i % 3]!;
    if (i % 2 === 0) {
      const c = s.sotw();
      c.send(sreq(TYPE.cluster, { node: node(svc, `${svc}-${i}`) }));
      c.send(sreq(TYPE.endpoint, { resourceNames: ["api", "db"] }));
      c.send(sreq(TYPE.listener));
      c.send(sreq(TYPE.route, { resourceNames: ["routes"] }));
      clients.push(async () => {
        for (let k = 0; k < 4; k++) await c.next();
      });
    } else {
      const c = s.delta();
      c.send(dreq(TYPE.cluster, { node: node(svc, `${svc}-${i}`) }));
      c.send(dreq(TYPE.endpoint, { subscribe: ["api", "db"] }));
      c.send(dreq(TYPE.listener));
      c.send(dreq(TYPE.route, { subscribe: ["routes"] }));
      clients.push(async () => {
        for (let k = 0; k < 4; k++) await c.next();
      });
    }
  }
  await Promise.all(clients.map((f) => f()));
  assert.equal(s.server.proxies().length, 30);
  // 30 proxies x 6 resources each were sent, but only the distinct resource objects were wrapped.
  assert.equal(wireStats.anyEncodes - anyBefore, distinct.size);
  assert.equal(wireStats.deltaResourceEncodes - deltaBefore, distinct.size);
  assert.equal(distinct.size, 8); // 2 clusters, 2 CLAs, 1 route shared; 3 listeners
});

test("P-37: setSnapshot wakes only the services whose resources changed, and only their changed types", async (t) => {
  const s = await startTestServer(t, 19236, sharedMesh("v1"));
  const a = s.sotw();
  const other = s.sotw();
  for (const [c, svc] of [
    [a, "a"],
    [other, "b"],
  ] as const) {
    c.send(sreq(TYPE.cluster, { node: node(svc) }));
    const r1 = await c.next();
    c.send(sreq(TYPE.cluster, { versionInfo: r1.versionInfo, responseNonce: r1.nonce }));
    c.send(sreq(TYPE.listener));
    const r2 = await c.next();
    c.send(sreq(TYPE.listener, { versionInfo: r2.versionInfo, responseNonce: r2.nonce }));
  }
  const next = sharedMesh("v1");
  // Only service a's listener changes.
  next.proxies.set("a", proxy("a", [...next.proxies.get("a")!.resources.cluster, ...next.proxies.get("a")!.resources.endpoint, httpListener("a-http", 19288, "routes"), ...next.proxies.get("a")!.resources.route]));
  const change = s.server.setSnapshot(next);
  assert.deepEqual(change.changed, [{ service: "a", kinds: ["listener"] }]);
  const r = await a.next();
  assert.equal(r.typeUrl, TYPE.listener);
  assert.deepEqual(names(r), ["a-http"]);
  assert.deepEqual(await other.collect(250), []);
  assert.deepEqual(await a.collect(100), []);
});

test("metrics on the injected registry; a service leaving the mesh ends its streams with NOT_FOUND", async (t) => {
  const s = await startTestServer(t, 19237, sharedMesh("v1"));
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: node("c") }));
  const r = await c.next();
  c.send(sreq(TYPE.cluster, { versionInfo: r.versionInfo, responseNonce: r.nonce }));
  await sleep(100);
  const text = await s.registry.metrics();
  assert.match(text, /xds_connected_proxies\{api="sotw"\} 1/);
  assert.match(text, /xds_pushes_total\{type="cluster"\} 1/);
  assert.match(text, /xds_push_ack_seconds_count\{type="cluster"\} 1/);
  const m = sharedMesh("v1");
  m.proxies.delete("c");
  const change = s.server.setSnapshot(m);
  assert.deepEqual(change.removed, ["c"]);
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.NOT_FOUND);
  assert.match(st.details, /no longer in the mesh/);
  assert.equal(await s.metric("xds_connected_proxies"), 0);
});

test("graceful close ends every stream with UNAVAILABLE and refuses nothing half-way", async (t) => {
  const s = await startTestServer(t, 19238, sharedMesh("v1"));
  const c1 = s.sotw();
  const c2 = s.delta();
  c1.send(sreq(TYPE.cluster, { node: node("a") }));
  c2.send(dreq(TYPE.cluster, { node: node("b") }));
  await c1.next();
  await c2.next();
  assert.equal(s.server.proxies().length, 2);
  await s.server.close(500);
  assert.equal((await c1.status()).code, GrpcStatus.UNAVAILABLE);
  assert.equal((await c2.status()).code, GrpcStatus.UNAVAILABLE);
  assert.equal(s.server.proxies().length, 0);
  assert.equal(await s.metric("xds_connected_proxies"), 0);
});

test("R6: undecodable request bytes end only that stream (INVALID_ARGUMENT); the server keeps serving", async (t) => {
  const s = await startTestServer(t, 19239, sharedMesh("v1"));
  const raw = new RawGrpcStream(s.server.address, adsService.StreamAggregatedResources.path);
  t.after(() => raw.close());
  raw.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x99]));
  assert.equal(await raw.ended, "3");
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: node("a") }));
  assert.deepEqual(names(await c.next()), ["api", "db"]);
});
