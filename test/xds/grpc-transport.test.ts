// The xDS server's own gRPC-over-HTTP/2 transport (src/xds/grpc-transport.ts, grpc-frame.ts) at its edges, against
// raw node:http2 clients and a real grpc-js client: messages split across DATA frames and several in one, a length
// prefix over the limit (refused before buffering), a compressed message, unknown methods (trailers-only
// UNIMPLEMENTED), wrong HTTP method and content type, a client RST mid-response, GOAWAY and UNAVAILABLE on close,
// keepalive on a silent peer, percent-encoded statuses; and initial-sync admission (src/xds/admission.ts) at the
// server (ports 19670-19679, 19681).
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { test } from "node:test";
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { adsService, decodeSotwResponse, encodeSotwRequest } from "../../src/xds/wire.js";
import { AdsTestClient, node, sreq } from "./ads-client.js";
import { cla, cluster, httpListener, mesh, proxy, routeConfig, TYPE } from "./fixtures.js";
import { eventually, sleep, startTestServer } from "./harness.js";

const T = { timeout: 30_000 };
const SOTW = adsService.StreamAggregatedResources.path;

function smallMesh(body = "ok") {
  return mesh(proxy("web", [cluster("api"), cla("api", [{ port: 19001 }]), httpListener("web-http", 19290, "web-routes"), routeConfig("web-routes", [{ direct: { body } }])]));
}

const prefix = (len: number, flags = 0) => {
  const b = Buffer.alloc(5);
  b[0] = flags;
  b.writeUInt32BE(len, 1);
  return b;
};

/** A raw HTTP/2 gRPC stream: what it received (messages, headers, trailers) and when it ended. */
function rawStream(address: string, path = SOTW, headers: http2.OutgoingHttpHeaders = {}) {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
  stream.on("error", () => {});
  const messages: Buffer[] = [];
  let buf = Buffer.alloc(0);
  let response: http2.IncomingHttpHeaders | undefined;
  let trailers: http2.IncomingHttpHeaders | undefined;
  let ended: () => void = () => {};
  const gotStatus = new Promise<void>((r) => (ended = r));
  stream.on("response", (h) => {
    response = h;
    if (h["grpc-status"] !== undefined || h[":status"] !== 200) ended();
  });
  stream.on("trailers", (h) => {
    trailers = h;
    ended();
  });
  stream.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
      messages.push(buf.subarray(5, 5 + buf.readUInt32BE(1)));
      buf = buf.subarray(5 + buf.readUInt32BE(1));
    }
  });
  const closed = new Promise<void>((r) => stream.once("close", () => r()));
  /** grpc-status and grpc-message, from the trailers or a trailers-only response. */
  const status = async () => {
    await Promise.race([gotStatus, closed]);
    const h = trailers ?? response ?? {};
    return { code: h["grpc-status"] === undefined ? undefined : Number(h["grpc-status"]), message: decodeURIComponent(String(h["grpc-message"] ?? "")), trailersOnly: trailers === undefined, response };
  };
  return { session, stream, messages, status, closed, gotStatus, get response() { return response; }, close: () => session.destroy() };
}

test("transport: a request split over many DATA frames, and two requests in one frame, are each reassembled and answered", T, async (t) => {
  const s = await startTestServer(t, 19670, smallMesh());
  const c = rawStream(s.server.address);
  t.after(() => c.close());
  const first = encodeSotwRequest(sreq(TYPE.cluster, { node: node("web") }));
  const framed = Buffer.concat([prefix(first.length), first]);
  for (let i = 0; i < framed.length; i += 3) {
    c.stream.write(framed.subarray(i, i + 3));
    await new Promise((r) => setImmediate(r)); // separate DATA frames
  }
  await eventually(() => c.messages.length === 1, "the CDS response");
  assert.equal(decodeSotwResponse(c.messages[0]!).typeUrl, TYPE.cluster);
  const ack = encodeSotwRequest(sreq(TYPE.cluster, { versionInfo: decodeSotwResponse(c.messages[0]!).versionInfo, responseNonce: decodeSotwResponse(c.messages[0]!).nonce }));
  const lds = encodeSotwRequest(sreq(TYPE.listener));
  c.stream.write(Buffer.concat([prefix(ack.length), ack, prefix(lds.length), lds]));
  await eventually(() => c.messages.length === 2, "the LDS response");
  assert.equal(decodeSotwResponse(c.messages[1]!).typeUrl, TYPE.listener);
  assert.equal(c.response?.["content-type"], "application/grpc");
  assert.equal(c.response?.["grpc-accept-encoding"], "identity");
  await eventually(() => s.server.proxies()[0]?.acked.cluster !== undefined, "the ACK recorded");
});

test("transport: a length prefix over the limit ends the stream with RESOURCE_EXHAUSTED before the body is sent; the connection keeps serving", T, async (t) => {
  const s = await startTestServer(t, 19671, smallMesh(), { maxMessageBytes: 64 * 1024 });
  const c = rawStream(s.server.address);
  t.after(() => c.close());
  c.stream.write(prefix(512 * 1024 * 1024)); // 512 MiB announced, nothing sent after it
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.match(st.message, /larger than max \(536870912 vs\. 65536\)/);
  assert.equal(st.trailersOnly, true);
  // Same connection, new stream: served.
  const again = c.session.request({ ":method": "POST", ":path": SOTW, "content-type": "application/grpc", te: "trailers" });
  const body = encodeSotwRequest(sreq(TYPE.cluster, { node: node("web") }));
  const got = new Promise<Buffer>((r) => again.once("data", r));
  again.write(Buffer.concat([prefix(body.length), body]));
  assert.equal(decodeSotwResponse((await got).subarray(5)).typeUrl, TYPE.cluster);
  again.close();
});

test("transport: a compressed message (flag 1) is refused with UNIMPLEMENTED; a grpc-encoding other than identity too", T, async (t) => {
  const s = await startTestServer(t, 19672, smallMesh());
  const c = rawStream(s.server.address);
  t.after(() => c.close());
  const body = encodeSotwRequest(sreq(TYPE.cluster, { node: node("web") }));
  c.stream.write(Buffer.concat([prefix(body.length, 1), body]));
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.UNIMPLEMENTED);
  assert.match(st.message, /compressed gRPC messages are not supported/);
  const gz = rawStream(s.server.address, SOTW, { "grpc-encoding": "gzip" });
  t.after(() => gz.close());
  const st2 = await gz.status();
  assert.equal(st2.code, GrpcStatus.UNIMPLEMENTED);
  assert.match(st2.message, /grpc-encoding gzip is not supported/);
  assert.equal(s.server.proxies().length, 0);
});

test("transport: unknown methods get a trailers-only UNIMPLEMENTED (raw and grpc-js); other HTTP methods 405, other content types 415", T, async (t) => {
  const s = await startTestServer(t, 19673, smallMesh());
  const raw = rawStream(s.server.address, "/envoy.service.discovery.v3.AggregatedDiscoveryService/FetchSomething");
  t.after(() => raw.close());
  raw.stream.end();
  const st = await raw.status();
  assert.equal(st.code, GrpcStatus.UNIMPLEMENTED);
  assert.equal(st.trailersOnly, true);
  assert.equal(st.response?.[":status"], 200);

  const client = new Client(s.server.address, credentials.createInsecure());
  t.after(() => client.close());
  const err = await new Promise<ServiceError>((resolve) => {
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), (e) => resolve(e!));
  });
  assert.equal(err.code, GrpcStatus.UNIMPLEMENTED);
  assert.match(err.details, /unknown method \/grpc\.health\.v1\.Health\/Check/);

  for (const [headers, want] of [
    [{ ":method": "GET" }, 405],
    [{ "content-type": "application/json" }, 415],
  ] as const) {
    const r = rawStream(s.server.address, SOTW, headers);
    t.after(() => r.close());
    r.stream.end();
    await r.gotStatus;
    assert.equal(r.response?.[":status"], want);
  }
});

test("transport: a client that resets its stream mid-response leaves no stream behind; others are served", T, async (t) => {
  const big = mesh(proxy("web", [cluster("api"), cla("api", [{ port: 19001 }]), httpListener("web-http", 19290, "web-routes"), routeConfig("web-routes", [{ direct: { body: "x".repeat(600_000) } }])]));
  const s = await startTestServer(t, 19674, big);
  const c = rawStream(s.server.address);
  t.after(() => c.close());
  c.stream.pause(); // the 600 KB response stays stuck behind flow control
  const body = encodeSotwRequest(sreq(TYPE.route, { node: node("web", "resetter"), resourceNames: ["web-routes"] }));
  c.stream.write(Buffer.concat([prefix(body.length), body]));
  await eventually(() => s.server.proxies().length === 1, "bound");
  await sleep(100);
  c.stream.close(http2.constants.NGHTTP2_CANCEL);
  await eventually(() => s.server.proxies().length === 0, "the reset stream to be gone");
  const other = rawStream(s.server.address);
  t.after(() => other.close());
  const req = encodeSotwRequest(sreq(TYPE.cluster, { node: node("web", "other") }));
  other.stream.write(Buffer.concat([prefix(req.length), req]));
  await eventually(() => other.messages.length === 1, "the other client served");
});

test("transport: close() sends GOAWAY on every connection and ends open streams with UNAVAILABLE in trailers", T, async (t) => {
  const s = await startTestServer(t, 19675, smallMesh());
  const c = rawStream(s.server.address);
  t.after(() => c.close());
  const goaway = new Promise<number>((r) => c.session.once("goaway", (code) => r(code)));
  const req = encodeSotwRequest(sreq(TYPE.cluster, { node: node("web") }));
  c.stream.write(Buffer.concat([prefix(req.length), req]));
  await eventually(() => c.messages.length === 1, "the CDS response");
  const t0 = performance.now();
  const closing = s.server.close(3000);
  assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.UNAVAILABLE);
  assert.equal(st.trailersOnly, false);
  assert.match(st.message, /shutting down/);
  await closing;
  assert.ok(performance.now() - t0 < 2500, "closed gracefully, before the grace ran out");
  await eventually(() => s.server.connections() === 0, "every connection closed");
});

test("transport: keepalive closes a connection whose peer never answers PINGs", T, async (t) => {
  const s = await startTestServer(t, 19676, smallMesh(), { keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 });
  // An HTTP/2 client that sends its preface and an empty SETTINGS frame, then nothing (no PING ACK, no SETTINGS ACK).
  const socket = net.connect(19676, "127.0.0.1");
  socket.on("error", () => {});
  socket.on("data", () => {});
  const started = performance.now();
  const closed = new Promise<number>((r) => socket.once("close", () => r(performance.now() - started)));
  socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
  t.after(() => socket.destroy());
  await eventually(() => s.server.connections() === 1, "connected");
  const ms = await closed;
  assert.ok(ms >= 300, `closed after ${ms} ms: not before keepalive time + timeout`);
  await eventually(() => s.server.connections() === 0, "the connection to be dropped");
  assert.ok(s.logs.lines.some((l) => /keepalive PING not answered/.test(String(l.msg))));
});

test("transport: status messages are percent-encoded (non-ASCII and '%' reach a grpc-js client intact)", T, async (t) => {
  const s = await startTestServer(t, 19677, smallMesh());
  const c = rawStream(s.server.address);
  t.after(() => c.close());
  const req = encodeSotwRequest(sreq(TYPE.cluster, { node: { ...node("web"), cluster: "wéb-100%" } }));
  c.stream.write(Buffer.concat([prefix(req.length), req]));
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.NOT_FOUND);
  assert.match(String(st.response?.["grpc-message"]), /w%C3%A9b-100%25/);
  assert.match(st.message, /unknown service "wéb-100%"/);
});

test("admission: with one initial-sync slot, a second stream waits until the first has ACKed clusters and listeners", T, async (t) => {
  const s = await startTestServer(t, 19678, smallMesh(), { maxSyncingStreams: 1, maxSyncQueue: 1 });
  const a = s.sotw();
  a.send(sreq(TYPE.cluster, { node: node("web", "a") }));
  const cds = await a.next();
  const b = s.sotw();
  b.send(sreq(TYPE.cluster, { node: node("web", "b") }));
  assert.deepEqual(await b.collect(400), [], "b waits for a's slot");
  const third = s.sotw();
  third.send(sreq(TYPE.cluster, { node: node("web", "c") }));
  const refused = await third.status();
  assert.equal(refused.code, GrpcStatus.UNAVAILABLE, "the queue (1) is full: refused");
  assert.equal(await s.metric("xds_streams_refused_total", { reason: "sync_limit" }), 1);
  assert.equal(await s.metric("xds_streams_admission", { state: "syncing" }), 1);
  assert.equal(await s.metric("xds_streams_admission", { state: "waiting" }), 1);
  a.send(sreq(TYPE.cluster, { versionInfo: cds.versionInfo, responseNonce: cds.nonce }));
  a.send(sreq(TYPE.listener));
  const lds = await a.next();
  assert.deepEqual(await b.collect(300), [], "clusters ACKed but listeners not yet: still waiting");
  a.send(sreq(TYPE.listener, { versionInfo: lds.versionInfo, responseNonce: lds.nonce }));
  const first = await b.next();
  assert.equal(first.typeUrl, TYPE.cluster, "a's first full config is ACKed: b is served");
  assert.equal(await s.metric("xds_streams_admission", { state: "waiting" }), 0);
});

test("admission: streams that never ACK on one connection hold at most its share of the initial-sync slots; other connections sync meanwhile", T, async (t) => {
  const s = await startTestServer(t, 19681, smallMesh(), { maxSyncingStreams: 2, maxSyncingPerConnection: 1, maxSyncQueue: 10, syncSlotTimeoutMs: 60_000 });
  // Three streams on one connection (grpc-js shares a connection between clients of one target) that never ACK.
  const silent = [s.sotw(), s.sotw(), s.sotw()];
  silent.forEach((c, i) => c.send(sreq(TYPE.cluster, { node: node("web", `silent-${i}`) })));
  await eventually(async () => (await s.metric("xds_streams_admission", { state: "waiting" })) === 2 || undefined, "two silent streams waiting");
  assert.equal(await s.metric("xds_streams_admission", { state: "syncing" }), 1, "the silent connection holds one slot, not both");
  // A proxy on a connection of its own gets the other slot at once and syncs.
  const own = () => {
    const c = AdsTestClient.sotw(s.server.address, 60_000, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
    t.after(() => c.close());
    return c;
  };
  const honest = own();
  honest.send(sreq(TYPE.cluster, { node: node("web", "honest") }));
  const cds = await honest.next();
  assert.equal(cds.typeUrl, TYPE.cluster);
  honest.send(sreq(TYPE.cluster, { versionInfo: cds.versionInfo, responseNonce: cds.nonce }));
  honest.send(sreq(TYPE.listener));
  const lds = await honest.next();
  honest.send(sreq(TYPE.listener, { versionInfo: lds.versionInfo, responseNonce: lds.nonce }));
  await eventually(async () => (await s.metric("xds_streams_admission", { state: "syncing" })) === 1 || undefined, "the honest stream's slot given back");
  // Its slot is free again, but the silent connection still holds its share: its streams keep waiting, and the next
  // proxy on another connection is served at once.
  const gotResponses = await Promise.all(silent.map((c) => c.collect(300)));
  assert.equal(gotResponses.filter((r) => r.length > 0).length, 1, "only the silent connection's first stream was served");
  assert.equal(await s.metric("xds_streams_admission", { state: "waiting" }), 2);
  const next = own();
  next.send(sreq(TYPE.cluster, { node: node("web", "next") }));
  assert.equal((await next.next()).typeUrl, TYPE.cluster);
});
