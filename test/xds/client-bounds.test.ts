// Bounds on what an xDS client controls, found by an adversarial review: anonymous TLS streams taking initial-sync
// slots, silent streams, unclipped statuses, subscription sizes, stored ACK versions, NACK log floods.
// Ports 29700-29799 on 127.0.0.1.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { test, type TestContext } from "node:test";
import { Registry } from "prom-client";
import { createRoot, issueLeaf, loadAuthority } from "../../src/pki/x509.js";
import { Status as GrpcStatus } from "../../src/xds/grpc-frame.js";
import { startXdsServer } from "../../src/xds/server.js";
import { registerProxySyncMetrics } from "../../src/xds/sync-metrics.js";
import { adsService, decodeSotwResponse, encodeSotwRequest } from "../../src/xds/wire.js";
import { dreq, node, sreq } from "./ads-client.js";
import { cla, cluster, httpListener, mesh, proxy, routeConfig, TYPE } from "./fixtures.js";
import { captureLogs, eventually, metricValue, startTestServer } from "./harness.js";

const T = { timeout: 30_000 };
const SOTW = adsService.StreamAggregatedResources.path;
const DELTA = adsService.DeltaAggregatedResources.path;

function smallMesh() {
  return mesh(proxy("web", [cluster("api"), cla("api", [{ port: 29790 }]), httpListener("web-http", 29791, "web-routes"), routeConfig("web-routes", [{ direct: { body: "ok" } }])]));
}

function framed(message: Buffer): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(message.length, 1);
  return Buffer.concat([b, message]);
}

/** A raw HTTP/2 gRPC stream on `session`: its messages and its status (trailers or trailers-only). */
function open(session: http2.ClientHttp2Session, path = SOTW) {
  const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  const messages: Buffer[] = [];
  let buf = Buffer.alloc(0);
  let headers: http2.IncomingHttpHeaders | undefined;
  const status = new Promise<{ code: number | undefined; message: string }>((resolve) => {
    const done = (h: http2.IncomingHttpHeaders) => resolve({ code: h["grpc-status"] === undefined ? undefined : Number(h["grpc-status"]), message: decodeURIComponent(String(h["grpc-message"] ?? "")) });
    stream.on("response", (h) => {
      headers = h;
      if (h["grpc-status"] !== undefined) done(h);
    });
    stream.on("trailers", done);
    stream.on("close", () => done(headers ?? {}));
  });
  stream.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
      messages.push(buf.subarray(5, 5 + buf.readUInt32BE(1)));
      buf = buf.subarray(5 + buf.readUInt32BE(1));
    }
  });
  return { stream, messages, status, send: (m: Buffer) => stream.write(framed(m)) };
}

/** The first of `p` and a `ms` timeout (which gives "timeout"). */
function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  return Promise.race([p, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms).unref())]);
}

const TD = "bounds.test";
const spiffe = (svc: string) => `spiffe://${TD}/service/${svc}`;

/** An authenticated (TLS, client certificates) server and what clients need. */
async function startTlsServer(t: TestContext, port: number, limits: Record<string, number> = {}) {
  const root = await createRoot({ commonName: "bounds-test", keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
  const ca = await loadAuthority(root.cert.pem, root.key);
  const server = await issueLeaf(ca, { spiffeId: `spiffe://${TD}/meshc`, keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
  const web = await issueLeaf(ca, { spiffeId: spiffe("web"), keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
  const context = { cert: server.cert.pem, key: server.key.reveal(), ca: root.cert.pem };
  const registry = new Registry();
  const logs = captureLogs();
  const xds = await startXdsServer({ address: `127.0.0.1:${port}`, logger: logs.logger, registry, snapshot: smallMesh(), limits, auth: { secureContext: () => context } });
  xds.setIdentities(new Map([["web", spiffe("web")]]));
  const sessions: http2.ClientHttp2Session[] = [];
  t.after(async () => {
    for (const s of sessions) s.destroy();
    await xds.close(200);
  });
  const connect = (withCert: boolean) => {
    const s = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, ...(withCert ? { cert: web.cert.pem, key: web.key.reveal() } : {}) });
    s.on("error", () => {});
    sessions.push(s);
    return s;
  };
  return { xds, registry, logs, connect, metric: (name: string, labels?: Record<string, string>) => metricValue(registry, name, labels) };
}

test("R1: with authenticated ADS, a connection without a client certificate has its streams refused at their HEADERS, holding no initial-sync slot", T, async (t) => {
  const s = await startTlsServer(t, 29700, { maxSyncingStreams: 1, maxSyncQueue: 1, syncSlotTimeoutMs: 60_000 });
  const anon = s.connect(false);
  // Streams that never send a request: before, each took (or queued for) an initial-sync slot on HEADERS alone.
  const silent = [open(anon), open(anon, DELTA), open(anon)];
  for (const c of silent) {
    const st = await within(c.status, 5000);
    assert.notEqual(st, "timeout", "refused at once, not left waiting for a first request");
    assert.equal((st as { code: number }).code, GrpcStatus.UNAUTHENTICATED);
  }
  assert.equal(await s.metric("xds_streams_admission", { state: "syncing" }), 0);
  assert.equal(await s.metric("xds_streams_admission", { state: "waiting" }), 0);
  assert.equal(await s.metric("meshc_xds_auth_denied_total", { reason: "no_client_certificate", api: "sotw" }), 2);
  assert.equal(await s.metric("meshc_xds_auth_denied_total", { reason: "no_client_certificate", api: "delta" }), 1);
  // A proxy with its certificate is served (the one slot is free).
  const proxy = open(s.connect(true));
  proxy.send(encodeSotwRequest(sreq(TYPE.cluster, { node: node("web") })));
  await eventually(() => proxy.messages.length > 0 || undefined, "the authenticated proxy's CDS");
  assert.equal(decodeSotwResponse(proxy.messages[0]!).typeUrl, TYPE.cluster);
});

test("R1: a stream takes its initial-sync slot only once its first request bound it; a silent one holds none and is ended after the handshake timeout", T, async (t) => {
  const s = await startTestServer(t, 29701, smallMesh(), { maxSyncingStreams: 1, maxSyncQueue: 1, syncSlotTimeoutMs: 60_000, handshakeTimeoutMs: 1500 });
  const session = http2.connect(`http://${s.server.address}`);
  session.on("error", () => {});
  t.after(() => session.destroy());
  const silent = open(session);
  const proxy = s.sotw();
  proxy.send(sreq(TYPE.cluster, { node: node("web") }));
  // Before: the silent stream held the only slot for syncSlotTimeoutMs (60 s here) and the proxy waited behind it.
  assert.equal((await proxy.next()).typeUrl, TYPE.cluster, "served while the silent stream is still open");
  const st = await silent.status;
  assert.equal(st.code, GrpcStatus.DEADLINE_EXCEEDED);
  assert.match(st.message, /no first request/);
  assert.equal(await s.metric("xds_requests_rejected_total", { reason: "first_request_timeout" }), 1);
});

test("R6: a PERMISSION_DENIED status quotes a clipped node.cluster (a 21k-character non-ASCII one used to leave the stream without any status)", T, async (t) => {
  const s = await startTlsServer(t, 29702);
  const session = s.connect(true);
  for (const cluster of ["c".repeat(20_000), "\u00e9".repeat(21_000)]) {
    const c = open(session);
    c.send(encodeSotwRequest(sreq(TYPE.cluster, { node: { ...node("web"), cluster } })));
    const st = await within(c.status, 5000);
    assert.notEqual(st, "timeout");
    assert.equal((st as { code: number }).code, GrpcStatus.PERMISSION_DENIED);
    assert.ok((st as { message: string }).message.length < 1000, `status of ${(st as { message: string }).message.length} chars`);
  }
});


const manyNames = (n: number, prefix = "n") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test("R6: Delta subscriptions are bounded in count (50,000 names per type and stream by default), whatever the names' length", T, async (t) => {
  const s = await startTestServer(t, 29703, smallMesh());
  const c = s.delta();
  c.send(dreq(TYPE.endpoint, { node: node("web"), subscribe: ["api"] }));
  await c.next();
  c.send(dreq(TYPE.endpoint, { subscribe: manyNames(30_000, "a") }));
  c.send(dreq(TYPE.endpoint, { subscribe: manyNames(30_000, "b") }));
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.match(st.details, /subscribed names: 50001 EDS names/);
  assert.equal(await s.metric("xds_requests_rejected_total", { reason: "too_many_names" }), 1);
});

test("R6: each subscribed name is charged a fixed overhead in the byte budget, not only its characters", T, async (t) => {
  const s = await startTestServer(t, 29704, smallMesh(), { maxSubscribedNameBytes: 64 * 1024 });
  const c = s.delta();
  // 1,000 names of ~4 characters: ~4 KB of characters, but far more than that held.
  c.send(dreq(TYPE.endpoint, { node: node("web"), subscribe: manyNames(1000) }));
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.match(st.details, /64 a name/);
});

test("R6: Delta initial_resource_versions are bounded as subscriptions are", T, async (t) => {
  const s = await startTestServer(t, 29705, smallMesh());
  const c = s.delta();
  c.send(dreq(TYPE.endpoint, { node: node("web"), subscribe: ["api"], initialResourceVersions: Object.fromEntries(manyNames(50_001).map((n) => [n, "v"])) }));
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.match(st.details, /initial_resource_versions/);
});

test("R6: SotW resource_names are bounded in count and bytes as Delta subscriptions are", T, async (t) => {
  const s = await startTestServer(t, 29706, smallMesh());
  const c = s.sotw();
  c.send(sreq(TYPE.endpoint, { node: node("web"), resourceNames: manyNames(50_001) }));
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.match(st.details, /resource_names: 50001 EDS names/);
  const small = await startTestServer(t, 29707, smallMesh(), { maxSubscribedNameBytes: 64 * 1024 });
  const d = small.sotw();
  d.send(sreq(TYPE.endpoint, { node: node("web"), resourceNames: manyNames(1000) }));
  assert.equal((await d.status()).code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.equal(await small.metric("xds_requests_rejected_total", { reason: "too_many_names" }), 1);
});

test("R6: a SotW ACK records the version the server sent with that nonce, not the client's version_info", T, async (t) => {
  const s = await startTestServer(t, 29708, smallMesh());
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: node("web") }));
  const cds = await c.next();
  c.send(sreq(TYPE.cluster, { versionInfo: "v".repeat(100_000), responseNonce: cds.nonce }));
  const acked = await eventually(() => s.server.proxies()[0]?.acked.cluster, "the ACK recorded");
  assert.equal(acked, cds.versionInfo);
});

test("/metrics: the proxies' sync states are computed once per scrape, not once per gauge", async () => {
  const registry = new Registry();
  let calls = 0;
  const sync = registerProxySyncMetrics(registry, {
    proxies: () => {
      calls++;
      return [];
    },
    snapshot: () => smallMesh(),
  });
  try {
    await registry.metrics();
    assert.equal(calls, 1);
  } finally {
    sync.stop();
  }
});

test("P-11: a Delta client re-listing a name after NACKing it is not answered again with the same content (no NACK loop)", T, async (t) => {
  const s = await startTestServer(t, 29709, smallMesh());
  const c = s.delta();
  const bad = { code: 3, message: "rejected" };
  // A name that does not exist: reported in removed_resources, NACKed, re-listed.
  c.send(dreq(TYPE.cluster, { node: node("web"), subscribe: ["missing"] }));
  let r = await c.next();
  assert.deepEqual(r.removed, ["missing"]);
  c.send(dreq(TYPE.cluster, { responseNonce: r.nonce, errorDetail: bad, subscribe: ["missing"] }));
  assert.deepEqual(await c.collect(300), [], "the rejected removal is not repeated");
  // A resource: sent, NACKed, re-listed: not resent; once it changes, the new content is sent.
  c.send(dreq(TYPE.endpoint, { subscribe: ["api"] }));
  r = await c.next();
  assert.deepEqual(r.resources.map((x) => x.name), ["api"]);
  c.send(dreq(TYPE.endpoint, { responseNonce: r.nonce, errorDetail: bad, subscribe: ["api"] }));
  assert.deepEqual(await c.collect(300), [], "the rejected version is not resent");
  s.server.setSnapshot(mesh(proxy("web", [cluster("api"), cla("api", [{ port: 29792 }]), httpListener("web-http", 29791, "web-routes"), routeConfig("web-routes", [{ direct: { body: "ok" } }])])));
  r = await c.next();
  assert.deepEqual(r.resources.map((x) => x.name), ["api"], "a changed resource is sent");
  assert.equal(await s.metric("xds_nacks_total", { type: "endpoint" }), 1);
});

test("NACK logging: one line per stream and type per interval with a short prefix of the message, then a count of the NACKs not logged", T, async (t) => {
  const s = await startTestServer(t, 29710, smallMesh());
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: node("web") }));
  let r = await c.next();
  const message = "E".repeat(10_000);
  for (let i = 0; i < 4; i++) {
    c.send(sreq(TYPE.cluster, { responseNonce: r.nonce, errorDetail: { code: 3, message } }));
    await eventually(async () => (await s.metric("xds_nacks_total", { type: "cluster" })) === i + 1 || undefined, `NACK ${i + 1} counted`);
    s.server.setSnapshot(mesh(proxy("web", [cluster("api"), cluster(`extra-${i}`), cla("api", [{ port: 29790 }]), httpListener("web-http", 29791, "web-routes"), routeConfig("web-routes", [{ direct: { body: "ok" } }])])));
    r = await c.next();
  }
  const nackLines = () => s.logs.lines.filter((l) => /rejected config/.test(String(l.msg)));
  assert.equal(nackLines().length, 1, "the first NACK is logged, the next three only counted");
  assert.ok(String(nackLines()[0]!.error).length < 400, `logged message of ${String(nackLines()[0]!.error).length} chars`);
  assert.equal(s.server.proxies()[0]!.lastNack!.message.length > 1000, true, "/debug/proxies keeps the longer record");
  c.close();
  const summary = await eventually(() => nackLines().find((l) => l.nacksNotLogged === 3), "a closing line with the count");
  assert.ok(String(summary.error).length < 400);
});

test("R6: the streams of one connection together hold at most maxNameBytesPerConnection of names; a stream that ends gives its share back", T, async (t) => {
  const s = await startTestServer(t, 29711, smallMesh(), { maxNameBytesPerConnection: 100 * 1024 });
  // grpc-js clients of one target share one connection.
  const a = s.delta();
  a.send(dreq(TYPE.endpoint, { node: node("web", "a"), subscribe: manyNames(1000, "a") })); // ~69 KB counted
  await a.next();
  const b = s.delta();
  b.send(dreq(TYPE.endpoint, { node: node("web", "b"), subscribe: manyNames(1000, "b") }));
  const st = await b.status();
  assert.equal(st.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.match(st.details, /per connection/);
  a.close();
  await eventually(() => s.server.proxies().length === 0 || undefined, "a ended");
  const c = s.sotw();
  c.send(sreq(TYPE.endpoint, { node: node("web", "c"), resourceNames: manyNames(1000, "c") }));
  assert.equal((await c.next()).typeUrl, TYPE.endpoint, "a's names were given back");
});
