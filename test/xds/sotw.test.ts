// SotW ADS protocol rules against a raw protocol client (ports 19200-19219).
import assert from "node:assert/strict";
import { test } from "node:test";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { names, node, sreq, type SotwClient } from "./ads-client.js";
import { cla, cluster, httpListener, mesh, proxy, routeConfig, secret, TYPE, webProxy } from "./fixtures.js";
import { startTestServer } from "./harness.js";
import { adsService, decodeSotwResponse, encodeSotwRequest, type SotwResponseIn } from "../../src/xds/wire.js";
import { RawGrpcStream } from "./raw-h2.js";
import type { ProxySnapshot } from "../../src/snapshot/types.js";

const web = node("web");

function ack(c: SotwClient, r: SotwResponseIn, resourceNames: string[] = []): void {
  c.send(sreq(r.typeUrl, { versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames }));
}

function assertUnique(r: SotwResponseIn): void {
  assert.equal(new Set(names(r)).size, r.resources.length, `P-20: duplicate names in ${names(r).join(",")}`);
}

/** Full Envoy-like sync: CDS + LDS wildcard, EDS + RDS by name; every response ACKed. */
async function syncWeb(c: SotwClient, p: ProxySnapshot): Promise<Record<string, SotwResponseIn>> {
  c.send(sreq(TYPE.cluster, { node: web }));
  const cds = await c.next();
  ack(c, cds);
  const edsNames = p.resources.endpoint.map((r) => r.name);
  c.send(sreq(TYPE.endpoint, { resourceNames: edsNames }));
  const eds = await c.next();
  ack(c, eds, edsNames);
  c.send(sreq(TYPE.listener));
  const lds = await c.next();
  ack(c, lds);
  c.send(sreq(TYPE.route, { resourceNames: ["web-routes"] }));
  const rds = await c.next();
  ack(c, rds, ["web-routes"]);
  return { cds, eds, lds, rds };
}

test("P-01 P-05 P-06 P-07 P-08 P-09 P-33: first request per type gets current state with per-type versions and fresh nonces; ACKs recorded", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19200, mesh(p));
  const c = s.sotw();
  const { cds, eds, lds, rds } = await syncWeb(c, p);
  assert.deepEqual(names(cds), ["api", "db"]);
  assert.equal(cds.versionInfo, p.versions.cluster);
  assert.equal(cds.typeUrl, TYPE.cluster);
  assert.equal(cds.controlPlane, "meshc");
  assert.deepEqual(names(eds), ["api", "db"]);
  assert.equal(eds.versionInfo, p.versions.endpoint);
  assert.deepEqual(names(lds), ["web-http"]);
  assert.deepEqual(names(rds), ["web-routes"]);
  assert.equal(rds.versionInfo, p.versions.route);
  // The bytes on the wire are the backend's bytes, untouched.
  assert.deepEqual(Buffer.from(cds.resources[0]!.bytes), Buffer.from(p.resources.cluster[0]!.bytes));
  const nonces = [cds, eds, lds, rds].map((r) => r.nonce);
  assert.equal(new Set(nonces).size, 4, "P-07: a new nonce per response");
  // P-05: later requests without node are accepted (they were); the ACKs are recorded per type (P-04).
  await new Promise((r) => setTimeout(r, 100));
  const [st] = s.server.proxies();
  assert.ok(st);
  assert.equal(st.service, "web");
  assert.equal(st.node.id, "web-1");
  assert.equal(st.api, "sotw");
  assert.deepEqual(st.acked, { cluster: p.versions.cluster, endpoint: p.versions.endpoint, listener: p.versions.listener, route: p.versions.route });
  assert.deepEqual(st.pending, []);
  assert.equal(st.nacks, 0);
  assert.equal(await s.metric("xds_pushes_total", { type: "cluster" }), 1);
  assert.equal(await s.metric("xds_connected_proxies"), 1);
  assert.equal(await s.metric("xds_push_ack_seconds", { type: "route" }), 1);
});

test("P-05 P-03: missing node.id -> INVALID_ARGUMENT; empty type_url -> INVALID_ARGUMENT; unknown service -> NOT_FOUND with a log line; no snapshot -> UNAVAILABLE", async (t) => {
  const s = await startTestServer(t, 19201);
  const early = s.sotw();
  early.send(sreq(TYPE.cluster, { node: web }));
  assert.equal((await early.status()).code, GrpcStatus.UNAVAILABLE);

  s.server.setSnapshot(mesh(webProxy()));
  const noNode = s.sotw();
  noNode.send(sreq(TYPE.cluster));
  const st1 = await noNode.status();
  assert.equal(st1.code, GrpcStatus.INVALID_ARGUMENT);
  assert.match(st1.details, /node\.id/);

  const noId = s.sotw();
  noId.send(sreq(TYPE.cluster, { node: { ...web, id: "" } }));
  assert.equal((await noId.status()).code, GrpcStatus.INVALID_ARGUMENT);

  const noType = s.sotw();
  noType.send(sreq("", { node: web }));
  const st2 = await noType.status();
  assert.equal(st2.code, GrpcStatus.INVALID_ARGUMENT);
  assert.match(st2.details, /type_url/);

  const unknown = s.sotw();
  unknown.send(sreq(TYPE.cluster, { node: node("nosuch") }));
  const st3 = await unknown.status();
  assert.equal(st3.code, GrpcStatus.NOT_FOUND);
  assert.match(st3.details, /unknown service "nosuch"/);
  assert.ok(s.logs.lines.some((l) => l.msg === "xDS stream refused: unknown service" && l.service === "nosuch" && l.level === 40));
  assert.equal(s.server.proxies().length, 0);
});

test("P-10 P-11 P-12 R3: a NACK is recorded (proxies(), metric), never answered with the rejected version; the next snapshot change is pushed", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19202, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: web }));
  const cds = await c.next();
  // NACK: version_info is the previously accepted one (none), error_detail present.
  c.send(sreq(TYPE.cluster, { versionInfo: "", responseNonce: cds.nonce, errorDetail: { code: 3, message: "cluster api: bad thing" } }));
  assert.deepEqual(await c.collect(300), [], "P-11: no resend after a NACK");
  const [st] = s.server.proxies();
  assert.equal(st!.nacks, 1);
  assert.equal(st!.lastNack?.type, "cluster");
  assert.equal(st!.lastNack?.version, p.versions.cluster);
  assert.equal(st!.lastNack?.message, "cluster api: bad thing");
  assert.equal(st!.acked.cluster, undefined);
  assert.equal(await s.metric("xds_nacks_total", { type: "cluster" }), 1);
  assert.equal(await s.metric("xds_pushes_total", { type: "cluster" }), 1);

  // Same content republished: still silent. A re-request at the same version is not answered either (P-11).
  s.server.setSnapshot(mesh(webProxy()));
  c.send(sreq(TYPE.cluster, { responseNonce: cds.nonce }));
  assert.deepEqual(await c.collect(300), []);

  // A real change is pushed.
  const p2 = webProxy({ timeoutMs: 2500 });
  s.server.setSnapshot(mesh(p2));
  const cds2 = await c.next();
  assert.equal(cds2.versionInfo, p2.versions.cluster);
  ack(c, cds2);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.server.proxies()[0]!.acked.cluster, p2.versions.cluster);
  assert.equal(s.server.proxies()[0]!.lastNack?.version, p.versions.cluster, "the last NACK stays visible");
});

test("P-10 R4 P-16: a NACK after names were added at an unchanged version is a NACK (decided by error_detail alone)", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19203, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.endpoint, { node: web, resourceNames: ["api"] }));
  const r1 = await c.next();
  assert.deepEqual(names(r1), ["api"]);
  // ACK + add "db" at the same version: P-16 -> the added name is sent, at the same version.
  ack(c, r1, ["api", "db"]);
  const r2 = await c.next();
  assert.equal(r2.versionInfo, r1.versionInfo);
  assert.ok(names(r2).includes("db"));
  // The client rejects it; version_info equals the version it accepted (same string), nonce is r2's.
  c.send(sreq(TYPE.endpoint, { versionInfo: r1.versionInfo, responseNonce: r2.nonce, resourceNames: ["api", "db"], errorDetail: { code: 13, message: "db: bad endpoint" } }));
  await new Promise((r) => setTimeout(r, 150));
  const [st] = s.server.proxies();
  assert.equal(st!.nacks, 1, "classified as NACK although version and names match an ACK");
  assert.equal(st!.lastNack?.nonce, r2.nonce);
  assert.equal(await s.metric("xds_nacks_total", { type: "endpoint" }), 1);
  assert.deepEqual(await c.collect(200), []);
});

test("P-11 P-16: after a NACK, names added at the rejected version are answered (only those); a re-request is not", async (t) => {
  // What a gRPC client does: it NACKs one target's resource, then a channel to another target adds a name, repeating
  // the NACK's error_detail (grpc-js-xds keeps it until a response is accepted). Before, the new name hung forever.
  const p = webProxy();
  const s = await startTestServer(t, 19228, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.endpoint, { node: web, resourceNames: ["api"] }));
  const r1 = await c.next();
  const nack = { code: 3, message: "api: bad endpoint" };
  c.send(sreq(TYPE.endpoint, { versionInfo: "", responseNonce: r1.nonce, resourceNames: ["api"], errorDetail: nack }));
  assert.deepEqual(await c.collect(200), [], "P-11: the rejected version is not resent");
  c.send(sreq(TYPE.endpoint, { versionInfo: "", responseNonce: r1.nonce, resourceNames: ["api", "db"], errorDetail: nack }));
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["db"], "P-16: the added name, not the rejected one");
  c.send(sreq(TYPE.endpoint, { versionInfo: "", responseNonce: r2.nonce, resourceNames: ["api", "db"], errorDetail: nack }));
  assert.deepEqual(await c.collect(200), [], "the same names again: silent");
  assert.equal(s.server.proxies()[0]!.nacks, 2);
});

test("P-13 R5: stale and never-issued nonces get no response and leave the subscription as it is", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19204, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.endpoint, { node: web, resourceNames: ["api"] }));
  const r1 = await c.next();
  ack(c, r1, ["api"]);
  // A never-issued nonce, asking for more names: ignored, no crash.
  c.send(sreq(TYPE.endpoint, { versionInfo: r1.versionInfo, responseNonce: "9999", resourceNames: ["api", "db"] }));
  // Trigger a new response: change both CLAs; the push must still cover only "api".
  const p2 = proxy("web", [...p.resources.cluster, cla("api", [{ port: 19100 }]), cla("db", [{ port: 19101 }]), ...p.resources.listener, ...p.resources.route]);
  s.server.setSnapshot(mesh(p2));
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["api"], "subscription unchanged by the stale request");
  // Now a request carrying r1's (stale) nonce with db added: ignored too.
  c.send(sreq(TYPE.endpoint, { versionInfo: r1.versionInfo, responseNonce: r1.nonce, resourceNames: ["api", "db"] }));
  assert.deepEqual(await c.collect(300), []);
  // With the latest nonce, the added name is answered (P-16).
  ack(c, r2, ["api", "db"]);
  const r3 = await c.next();
  assert.ok(names(r3).includes("db"));
  assert.ok(s.server.proxies()[0]!.acked.endpoint === r2.versionInfo);
});

test("P-17: SotW legacy wildcard sequence: empty = wildcard; names -> only those; then empty = none; '*' = wildcard again", async (t) => {
  const p = webProxy({ extraClusters: ["cache"] });
  const s = await startTestServer(t, 19205, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: web }));
  const r1 = await c.next();
  assert.deepEqual(names(r1), ["api", "cache", "db"]);
  ack(c, r1, ["api"]);
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["api"], "named now: exactly the requested names (P-18)");
  ack(c, r2, []);
  assert.deepEqual(await c.collect(250), [], "empty after names = unsubscribe, nothing to send");
  // Snapshot changes to clusters do not reach a client subscribed to nothing.
  s.server.setSnapshot(mesh(webProxy({ extraClusters: ["cache", "queue"] })));
  assert.deepEqual(await c.collect(250), []);
  c.send(sreq(TYPE.cluster, { versionInfo: r2.versionInfo, responseNonce: r2.nonce, resourceNames: ["*"] }));
  const r3 = await c.next();
  assert.deepEqual(names(r3), ["api", "cache", "db", "queue"]);
});

test("P-18 P-19 P-24: named LDS returns exactly the requested names; an absent name is remembered and sent when it appears", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19206, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.listener, { node: web, resourceNames: ["web-http", "later"] }));
  const r1 = await c.next();
  assert.deepEqual(names(r1), ["web-http"]);
  ack(c, r1, ["web-http", "later"]);
  assert.deepEqual(await c.collect(200), []);
  const p2 = proxy("web", [...p.resources.cluster, ...p.resources.endpoint, ...p.resources.listener, httpListener("later", 19291, "web-routes"), httpListener("unasked", 19292, "web-routes"), ...p.resources.route]);
  s.server.setSnapshot(mesh(p2));
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["later", "web-http"], "full state of the requested names, never the unrequested one");
  assertUnique(r2);
});

test("P-15: of two requests for one type sent back to back, the latest decides what the stream ends up with", async (t) => {
  const p = webProxy();
  const other = routeConfig("other-routes", [{ direct: { body: "other" } }]);
  const s = await startTestServer(t, 19216, mesh(proxy("web", [...p.resources.cluster, ...p.resources.endpoint, ...p.resources.listener, ...p.resources.route, other])));
  const c = s.sotw();
  c.send(sreq(TYPE.route, { node: web, resourceNames: ["web-routes"] }));
  c.send(sreq(TYPE.route, { resourceNames: ["other-routes"] }));
  const responses = [await c.next(), ...(await c.collect(300))];
  assert.ok(responses.length <= 2, `at most one answer per request, got ${responses.length}`);
  assert.deepEqual(names(responses.at(-1)!), ["other-routes"], "the last answer serves the latest subscription");
  for (const r of responses) assert.ok(names(r).every((n) => n === "web-routes" || n === "other-routes"), names(r).join(","));
});

test("P-27 P-19: a first RDS/EDS request naming absent resources is answered at once (empty); they are sent when they appear", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19215, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.route, { node: web, resourceNames: ["not-yet"] }));
  const r1 = await c.next();
  assert.deepEqual(names(r1), []);
  assert.equal(r1.versionInfo, p.versions.route);
  ack(c, r1, ["not-yet"]);
  assert.deepEqual(await c.collect(200), []);
  s.server.setSnapshot(mesh(proxy("web", [...p.resources.cluster, ...p.resources.endpoint, ...p.resources.listener, ...p.resources.route, routeConfig("not-yet", [{ direct: { body: "now" } }])])));
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["not-yet"]);
});

test("P-16: re-subscribing a name at the same version and nonce gets it again", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19207, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.route, { node: web, resourceNames: ["web-routes"] }));
  const r1 = await c.next();
  ack(c, r1, ["web-routes"]);
  c.send(sreq(TYPE.route, { versionInfo: r1.versionInfo, responseNonce: r1.nonce, resourceNames: [] }));
  assert.deepEqual(await c.collect(200), []);
  c.send(sreq(TYPE.route, { versionInfo: r1.versionInfo, responseNonce: r1.nonce, resourceNames: ["web-routes"] }));
  const r2 = await c.next();
  assert.deepEqual(names(r2), ["web-routes"]);
  assert.equal(r2.versionInfo, r1.versionInfo);
});

test("P-25 P-26 P-37: SotW EDS/RDS carry only the requested resources that changed; an unchanged push is never sent", async (t) => {
  const p = webProxy();
  const s = await startTestServer(t, 19208, mesh(p));
  const c = s.sotw();
  await syncWeb(c, p);
  const before = await s.metric("xds_pushes_total");
  // Same content, new objects: nothing is pushed (P-37, R13).
  s.server.setSnapshot(mesh(webProxy()));
  assert.deepEqual(await c.collect(300), []);
  assert.equal(await s.metric("xds_pushes_total"), before);
  // Only CLA "db" changes: one EDS response with db alone.
  const p2 = proxy("web", [...p.resources.cluster, p.resources.endpoint[0]!, cla("db", [{ port: 19555 }]), ...p.resources.listener, ...p.resources.route]);
  s.server.setSnapshot(mesh(p2));
  const r = await c.next();
  assert.equal(r.typeUrl, TYPE.endpoint);
  assert.deepEqual(names(r), ["db"]);
  assert.equal(r.versionInfo, p2.versions.endpoint);
  ack(c, r, ["api", "db"]);
  assert.deepEqual(await c.collect(250), []);
});

test("P-29 R21: changing only a Cluster re-sends its ClusterLoadAssignment (by eds service_name), unchanged", async (t) => {
  const base = (timeoutMs: number) =>
    proxy("web", [
      cluster("api", { edsServiceName: "api-eds", connectTimeoutMs: timeoutMs }),
      cluster("db"),
      cla("api-eds", [{ port: 19001 }]),
      cla("db", [{ port: 19002 }]),
      httpListener("web-http", 19290, "web-routes"),
      routeConfig("web-routes", [{ direct: { body: "x" } }]),
    ]);
  const p = base(1000);
  const s = await startTestServer(t, 19209, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: web }));
  const cds = await c.next();
  ack(c, cds);
  c.send(sreq(TYPE.endpoint, { resourceNames: ["api-eds", "db"] }));
  const eds = await c.next();
  ack(c, eds, ["api-eds", "db"]);
  const p2 = base(3000);
  assert.equal(p2.versions.endpoint, p.versions.endpoint, "EDS content unchanged");
  s.server.setSnapshot(mesh(p2));
  const cds2 = await c.next();
  assert.equal(cds2.typeUrl, TYPE.cluster);
  const eds2 = await c.next();
  assert.equal(eds2.typeUrl, TYPE.endpoint, "an EDS response follows the CDS one");
  assert.deepEqual(names(eds2), ["api-eds"], "only the changed cluster's assignment");
  assert.equal(eds2.versionInfo, p.versions.endpoint);
});

test("P-28 P-30 P-24: a change touching all types is pushed CDS -> EDS -> LDS -> RDS; a removed cluster is kept until routes moved, then removed", async (t) => {
  const p = webProxy({ extraClusters: ["old"] });
  const s = await startTestServer(t, 19210, mesh(p));
  const c = s.sotw();
  await syncWeb(c, p);
  const p2 = proxy("web", [
    cluster("api", { connectTimeoutMs: 2000 }),
    cluster("db"),
    cluster("new"),
    cla("api", [{ port: 19010 }]),
    cla("db", [{ port: 19011 }]),
    cla("new", [{ port: 19012 }]),
    httpListener("web-http", 19290, "web-routes", ["router"]),
    httpListener("web-http2", 19293, "web-routes"),
    routeConfig("web-routes", [{ direct: { body: "v2" } }]),
  ]);
  s.server.setSnapshot(mesh(p2));
  const seq: SotwResponseIn[] = [];
  for (let i = 0; i < 5; i++) seq.push(await c.next());
  assert.deepEqual(
    seq.map((r) => r.typeUrl),
    [TYPE.cluster, TYPE.endpoint, TYPE.listener, TYPE.route, TYPE.cluster],
  );
  assert.deepEqual(names(seq[0]!), ["api", "db", "new", "old"], "P-28: 'old' kept while routes may still use it");
  assert.notEqual(seq[0]!.versionInfo, p2.versions.cluster);
  assert.deepEqual(names(seq[4]!), ["api", "db", "new"], "P-24: full state without 'old' = deletion");
  assert.equal(seq[4]!.versionInfo, p2.versions.cluster);
  for (const r of seq) assertUnique(r);
  assert.deepEqual(names(seq[1]!), ["api", "db"], "EDS: changed CLAs of subscribed names (new is not subscribed yet)");
  assert.deepEqual(await c.collect(200), []);
});

test("P-34 P-35 P-33 R2: after a restart, same content has the same versions; an old nonce on a new stream is a fresh start", async (t) => {
  const s1 = await startTestServer(t, 19211, mesh(webProxy()));
  const c1 = s1.sotw();
  c1.send(sreq(TYPE.cluster, { node: web }));
  const r1 = await c1.next();
  ack(c1, r1);
  await s1.server.close(100);
  const s2 = await startTestServer(t, 19212, mesh(webProxy()));
  const c2 = s2.sotw();
  // Reconnect: last accepted version and a nonce from the earlier stream (which happens to be "1" here too).
  c2.send(sreq(TYPE.cluster, { node: web, versionInfo: r1.versionInfo, responseNonce: r1.nonce }));
  const r2 = await c2.next();
  assert.equal(r2.versionInfo, r1.versionInfo, "content hash versions survive restarts");
  assert.deepEqual(names(r2), names(r1));
  c2.send(sreq(TYPE.endpoint, { responseNonce: "77", versionInfo: "whatever", resourceNames: ["api"] }));
  const r3 = await c2.next();
  assert.deepEqual(names(r3), ["api"], "P-35: an unknown nonce on a type not yet answered on this stream is a fresh request");
});

test("P-38 R8: a client that stops reading (HTTP/2 flow control) does not delay others, and gets the latest state, coalesced, once it reads again", async (t) => {
  const big = (i: number) =>
    proxy("web", [cluster("api"), cla("api", [{ port: 19001 }]), httpListener("web-http", 19290, "web-routes"), routeConfig("web-routes", [{ direct: { body: `v${i} ${"x".repeat(200_000)}` } }])]);
  const s = await startTestServer(t, 19213, mesh(big(0)));
  const slow = new RawGrpcStream(s.server.address, adsService.StreamAggregatedResources.path);
  t.after(() => slow.close());
  slow.send(encodeSotwRequest(sreq(TYPE.route, { node: node("web", "slow"), resourceNames: ["web-routes"] })));
  const first = decodeSotwResponse(await slow.next());
  slow.send(encodeSotwRequest(sreq(TYPE.route, { versionInfo: first.versionInfo, responseNonce: first.nonce, resourceNames: ["web-routes"] })));
  slow.pause();
  const fast = s.sotw();
  fast.send(sreq(TYPE.route, { node: node("web", "fast"), resourceNames: ["web-routes"] }));
  ack(fast, await fast.next(), ["web-routes"]);

  const rounds = 30;
  let last = big(0);
  for (let i = 1; i <= rounds; i++) {
    last = big(i);
    s.server.setSnapshot(mesh(last));
    const r = await fast.next();
    assert.equal(r.versionInfo, last.versions.route, `fast client got round ${i} without waiting for the slow one`);
    ack(fast, r, ["web-routes"]);
  }
  const slowStatus = s.server.proxies().find((x) => x.node.id === "slow");
  assert.deepEqual(slowStatus?.pending, ["route"], "the slow proxy shows a pending push");
  slow.resume();
  const got: SotwResponseIn[] = [];
  for (;;) {
    const r = decodeSotwResponse(await slow.next());
    got.push(r);
    if (r.versionInfo === last.versions.route) break;
  }
  assert.ok(got.length <= 6, `coalesced: ${got.length} responses for ${rounds} changes`);
});

test("SDS through the type registry: a Secret is served by name like any other type (P-25 semantics)", async (t) => {
  const p = proxy("web", [secret("tls-cert", "s3cret"), secret("other", "x")]);
  const s = await startTestServer(t, 19214, mesh(p));
  const c = s.sotw();
  c.send(sreq(TYPE.secret, { node: web, resourceNames: ["tls-cert"] }));
  const r = await c.next();
  assert.deepEqual(names(r), ["tls-cert"]);
  assert.equal(r.resources[0]!.typeUrl, TYPE.secret);
  assert.equal(r.versionInfo, p.versions.secret);
});
