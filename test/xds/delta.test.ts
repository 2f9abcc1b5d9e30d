// Delta (incremental) ADS protocol rules against a raw protocol client (ports 19220-19234).
import assert from "node:assert/strict";
import { test } from "node:test";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { dreq, names, node, type DeltaClient } from "./ads-client.js";
import { cla, cluster, httpListener, mesh, proxy, routeConfig, TYPE, webProxy } from "./fixtures.js";
import { startTestServer, sleep } from "./harness.js";
import type { DeltaResponseIn } from "../../src/xds/wire.js";

const web = node("web");

function ack(c: DeltaClient, r: DeltaResponseIn): void {
  c.send(dreq(r.typeUrl, { responseNonce: r.nonce }));
}

const versions = (r: DeltaResponseIn) => Object.fromEntries(r.resources.map((x) => [x.name, x.version]));

test("P-01 P-17 P-23 P-30: Delta legacy wildcard CDS/LDS, named EDS/RDS with per-resource versions (hashes); absent names in removed_resources", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19220, mesh(p));
  const c = s.delta();
  c.send(dreq(TYPE.cluster, { node: web }));
  const cds = await c.next();
  assert.deepEqual(names(cds), ["api", "db"]);
  assert.deepEqual(versions(cds), Object.fromEntries(p.resources.cluster.map((r) => [r.name, r.hash])));
  assert.equal(cds.systemVersionInfo, p.versions.cluster);
  ack(c, cds);
  c.send(dreq(TYPE.endpoint, { subscribe: ["api", "ghost"] }));
  const eds = await c.next();
  assert.deepEqual(names(eds), ["api"]);
  assert.deepEqual(eds.removed, ["ghost"], "P-23: subscribed but absent");
  ack(c, eds);
  c.send(dreq(TYPE.listener));
  const lds = await c.next();
  assert.deepEqual(names(lds), ["web-http"]);
  ack(c, lds);
  c.send(dreq(TYPE.route, { subscribe: ["web-routes"] }));
  const rds = await c.next();
  assert.deepEqual(names(rds), ["web-routes"]);
  ack(c, rds);
  await sleep(100);
  const [st] = s.server.proxies();
  assert.equal(st!.api, "delta");
  assert.deepEqual(st!.acked, { cluster: p.versions.cluster, endpoint: p.versions.endpoint, listener: p.versions.listener, route: p.versions.route });
  assert.deepEqual(st!.pending, []);
  // "ghost" appears later: sent then (P-19).
  const p2 = proxy("web", [...p.resources.cluster, ...p.resources.endpoint, cla("ghost", [{ port: 19050 }]), ...p.resources.listener, ...p.resources.route]);
  s.server.setSnapshot(mesh(p2));
  const eds2 = await c.next();
  assert.deepEqual(names(eds2), ["ghost"]);
  assert.deepEqual(eds2.removed, []);
});

test("P-22 R2: Delta reconnect with initial_resource_versions: matching resources skipped, stale ones sent, vanished ones removed", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19221, mesh(p));
  const c = s.delta();
  const api = p.resources.cluster.find((r) => r.name === "api")!;
  c.send(dreq(TYPE.cluster, { node: web, initialResourceVersions: { api: api.hash, db: "0000stale", gone: "1234" } }));
  const r = await c.next();
  assert.deepEqual(names(r), ["db"]);
  assert.deepEqual(r.removed, ["gone"]);
  // Everything matching: an (empty) answer to the first request, nothing else.
  const c2 = s.delta();
  c2.send(dreq(TYPE.cluster, { node: web, initialResourceVersions: Object.fromEntries(p.resources.cluster.map((x) => [x.name, x.hash])) }));
  const r2 = await c2.next();
  assert.deepEqual(names(r2), []);
  assert.deepEqual(r2.removed, []);
  ack(c2, r2);
  assert.deepEqual(await c2.collect(200), []);
});

test("P-14 P-21 R5: Delta subscription changes apply even with a stale (never-issued) nonce, which is no ACK; re-listed names are resent; unsubscribe-only and phantom unsubscribes get no reply", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19222, mesh(p));
  const c = s.delta();
  c.send(dreq(TYPE.endpoint, { node: web, subscribe: ["api"] }));
  const r1 = await c.next();
  assert.deepEqual(names(r1), ["api"]);
  // Stale nonce ("999" never issued) carrying a new subscription: honoured (P-14), not an ACK.
  c.send(dreq(TYPE.endpoint, { responseNonce: "999", subscribe: ["db"] }));
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["db"]);
  ack(c, r1);
  ack(c, r2);
  // Re-listing "api" sends it again although unchanged.
  c.send(dreq(TYPE.endpoint, { subscribe: ["api"] }));
  const r3 = await c.next();
  assert.deepEqual(names(r3), ["api"]);
  ack(c, r3);
  // Unsubscribe-only, plus a phantom: no reply.
  c.send(dreq(TYPE.endpoint, { unsubscribe: ["db", "never-subscribed"] }));
  assert.deepEqual(await c.collect(250), []);
  // db changes: not sent (unsubscribed); api changes: sent.
  const p2 = proxy("web", [...p.resources.cluster, cla("api", [{ port: 19060 }]), cla("db", [{ port: 19061 }]), ...p.resources.listener, ...p.resources.route]);
  s.server.setSnapshot(mesh(p2));
  const r4 = await c.next();
  assert.deepEqual(names(r4), ["api"]);
  assert.deepEqual(r4.removed, []);
  await sleep(50);
  assert.equal(s.server.proxies()[0]!.nacks, 0);
});

test("P-21 P-17: Delta wildcard plus an explicit name: unsubscribing the name re-sends it (still under '*'); '*' can be subscribed explicitly", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19223, mesh(p));
  const c = s.delta();
  c.send(dreq(TYPE.cluster, { node: web, subscribe: ["*", "api"] }));
  const r1 = await c.next();
  assert.deepEqual(names(r1), ["api", "db"]);
  ack(c, r1);
  c.send(dreq(TYPE.cluster, { unsubscribe: ["api"] }));
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["api"]);
  ack(c, r2);
  // Removing a cluster while wildcard: removed_resources.
  const p2 = proxy("web", [cluster("api"), cla("api", [{ port: 19000 }]), ...p.resources.listener, ...p.resources.route]);
  s.server.setSnapshot(mesh(p2));
  const r3 = await c.next();
  assert.deepEqual(names(r3), []);
  assert.deepEqual(r3.removed, ["db"]);
  // RDS: a first request naming nothing is not a wildcard (only LDS/CDS are).
  c.send(dreq(TYPE.route));
  const r4 = await c.next();
  assert.deepEqual(names(r4), []);
});

test("P-10 P-11 R3: a Delta NACK is recorded; the rejected resource is not resent until it changes", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19224, mesh(p));
  const c = s.delta();
  c.send(dreq(TYPE.listener, { node: web }));
  const r1 = await c.next();
  c.send(dreq(TYPE.listener, { responseNonce: r1.nonce, errorDetail: { code: 3, message: "listener web-http: bad" } }));
  await sleep(100);
  const [st] = s.server.proxies();
  assert.equal(st!.nacks, 1);
  assert.equal(st!.lastNack?.type, "listener");
  assert.equal(st!.lastNack?.message, "listener web-http: bad");
  assert.equal(st!.lastNack?.version, p.versions.listener);
  assert.equal(await s.metric("xds_nacks_total", { type: "listener" }), 1);
  // Same content republished: silence.
  s.server.setSnapshot(mesh(webProxy()));
  assert.deepEqual(await c.collect(250), []);
  // Changed listener: pushed.
  const p2 = proxy("web", [...p.resources.cluster, ...p.resources.endpoint, httpListener("web-http", 19299, "web-routes"), ...p.resources.route]);
  s.server.setSnapshot(mesh(p2));
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["web-http"]);
  assert.equal(r2.resources[0]!.version, p2.resources.listener[0]!.hash);
});

test("P-29 P-37: Delta cluster change re-sends its ClusterLoadAssignment; an identical snapshot pushes nothing", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19225, mesh(p));
  const c = s.delta();
  c.send(dreq(TYPE.cluster, { node: web }));
  ack(c, await c.next());
  c.send(dreq(TYPE.endpoint, { subscribe: ["api", "db"] }));
  ack(c, await c.next());
  s.server.setSnapshot(mesh(webProxy()));
  assert.deepEqual(await c.collect(250), [], "P-37");
  s.server.setSnapshot(mesh(webProxy({ timeoutMs: 4000 })));
  const cds = await c.next();
  assert.equal(cds.typeUrl, TYPE.cluster);
  assert.deepEqual(names(cds), ["api"], "only the changed cluster");
  const eds = await c.next();
  assert.equal(eds.typeUrl, TYPE.endpoint);
  assert.deepEqual(names(eds), ["api"], "its unchanged CLA follows");
  ack(c, cds);
  ack(c, eds);
  assert.deepEqual(await c.collect(200), []);
});

test("P-28 P-30: Delta pushes CDS -> EDS -> LDS -> RDS for a change touching all four", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19226, mesh(p));
  const c = s.delta();
  // Subscribe in reverse order: the push order below comes from the server, not from the subscriptions.
  c.send(dreq(TYPE.route, { node: web, subscribe: ["web-routes"] }));
  c.send(dreq(TYPE.listener));
  c.send(dreq(TYPE.endpoint, { subscribe: ["api", "db"] }));
  c.send(dreq(TYPE.cluster));
  const first = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const r = await c.next();
    first.add(r.typeUrl);
    ack(c, r);
  }
  assert.equal(first.size, 4);
  // CDS arrived after EDS here, so the clusters' assignments follow once more (P-29): acknowledge and settle.
  for (const r of await c.collect(200)) ack(c, r);
  const p2 = proxy("web", [
    cluster("api", { connectTimeoutMs: 1500 }),
    cluster("db"),
    cla("api", [{ port: 19070 }]),
    cla("db", [{ port: 19071 }]),
    httpListener("web-http", 19294, "web-routes"),
    routeConfig("web-routes", [{ direct: { body: "v9" } }]),
  ]);
  s.server.setSnapshot(mesh(p2));
  const order: string[] = [];
  for (let i = 0; i < 4; i++) order.push((await c.next()).typeUrl);
  assert.deepEqual(order, [TYPE.cluster, TYPE.endpoint, TYPE.listener, TYPE.route]);
});

test("P-05 P-03: Delta refuses a first request without node.id (INVALID_ARGUMENT) and an unknown service (NOT_FOUND)", async (t) => {
  const s = await startTestServer(t, 19227, mesh(webProxy()));
  const a = s.delta();
  a.send(dreq(TYPE.cluster));
  assert.equal((await a.status()).code, GrpcStatus.INVALID_ARGUMENT);
  const b = s.delta();
  b.send(dreq(TYPE.cluster, { node: node("ghost-svc") }));
  const st = await b.status();
  assert.equal(st.code, GrpcStatus.NOT_FOUND);
  assert.match(st.details, /ghost-svc/);
  const c = s.delta();
  c.send(dreq("", { node: web }));
  assert.equal((await c.status()).code, GrpcStatus.INVALID_ARGUMENT);
});
