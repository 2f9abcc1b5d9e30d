// The xDS server under hostile and unlucky clients: every bound on what a client controls (message and node size,
// client strings in logs and statuses, subscriptions, connections, streams per connection, new streams per second,
// the HTTP/2 handshake, queued bytes of a stuck reader), oversized responses, keepalive and connection age, and a
// bounded close (ports 22800-22819).
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { test } from "node:test";
import { Client, credentials, Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import { messageType } from "../../src/backends/envoy/api/registry.js";
import { adsService, decodeSotwResponse, encodeSotwRequest, type SotwRequest, type SotwResponseIn } from "../../src/xds/wire.js";
import { AdsTestClient, dreq, names, node, sreq } from "./ads-client.js";
import { cla, cluster, httpListener, mesh, proxy, routeConfig, TYPE } from "./fixtures.js";
import { eventually, sleep, startTestServer } from "./harness.js";
import { RawGrpcStream } from "./raw-h2.js";

/** Each test fails on its own when something hangs, instead of the whole file timing out. */
const T = { timeout: 30_000 };
const SOTW = adsService.StreamAggregatedResources.path;

function smallMesh(body = "ok") {
  return mesh(proxy("web", [cluster("api"), cla("api", [{ port: 19001 }]), httpListener("web-http", 19290, "web-routes"), routeConfig("web-routes", [{ direct: { body } }])]));
}

const logBytes = (lines: Record<string, unknown>[]) => lines.reduce((n, l) => n + JSON.stringify(l).length, 0);

/** A TCP connection that stays open until the server closes it; resolves `closed` with the time it took. */
function rawTcp(port: number, send?: string) {
  const started = performance.now();
  const socket = net.connect(port, "127.0.0.1", () => send && socket.write(send));
  socket.on("error", () => {});
  const closed = new Promise<number>((r) => socket.once("close", () => r(performance.now() - started)));
  return { socket, closed };
}

test("R6 R7: a request over the 4 MiB inbound limit ends with RESOURCE_EXHAUSTED; the server keeps serving", T, async (t) => {
  const s = await startTestServer(t, 22800, smallMesh());
  const c = s.sotw();
  // 5 MiB of resource names: under the old 16 MiB limit this was decoded and kept.
  c.send(sreq(TYPE.endpoint, { node: node("web"), resourceNames: Array.from({ length: 5 * 1024 }, (_, i) => `${i}`.padEnd(1024, "x")) }));
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.RESOURCE_EXHAUSTED, st.details);
  const ok = s.sotw();
  ok.send(sreq(TYPE.cluster, { node: node("web") }));
  assert.deepEqual(names(await ok.next()), ["api"]);
});

test("R6: node metadata over the node size limit ends the stream with RESOURCE_EXHAUSTED before it is decoded", T, async (t) => {
  const s = await startTestServer(t, 22801, smallMesh());
  const T = messageType("envoy.service.discovery.v3.DiscoveryRequest");
  const bytes = T.encode(
    T.fromObject({
      type_url: TYPE.cluster,
      node: { id: "web-1", cluster: "web", metadata: { fields: { blob: { stringValue: "m".repeat(200_000) } } } },
    }),
  ).finish();
  assert.ok(bytes.length > 200_000);
  const raw = new RawGrpcStream(s.server.address, SOTW);
  t.after(() => raw.close());
  raw.send(Buffer.from(bytes));
  assert.equal(await raw.ended, String(GrpcStatus.RESOURCE_EXHAUSTED));
  assert.equal(await s.metric("xds_requests_rejected_total", { reason: "node_too_large" }), 1);
  assert.equal(s.server.proxies().length, 0);
});

test("R6: 10 streams with a 3 MB node.id write a few KB of log, get clipped statuses, and /debug/proxies shows clipped ids", T, async (t) => {
  // The node limit is raised so the id reaches the stream: what is bounded here is what the server repeats of it.
  const s = await startTestServer(t, 22802, smallMesh(), { maxNodeBytes: 4 * 1024 * 1024 });
  const id = "i".repeat(3_000_000);
  const clients = Array.from({ length: 10 }, () => s.sotw());
  // Half have no service (the status names the node id), half an unknown 1 MB service name (the status names it).
  clients.forEach((c, i) => c.send(sreq(TYPE.cluster, { node: { ...node(i % 2 ? "" : "n".repeat(1_000_000)), id } })));
  for (const c of clients) {
    const st = await c.status(20_000);
    assert.ok(st.code === GrpcStatus.NOT_FOUND || st.code === GrpcStatus.INVALID_ARGUMENT, st.details.slice(0, 200));
    assert.ok(st.details.length < 1024, `status details are clipped (${st.details.length} chars)`);
    assert.match(st.details, /more chars/);
  }
  assert.ok(logBytes(s.logs.lines) < 64 * 1024, `log volume ${logBytes(s.logs.lines)} bytes for 30 MB of node ids`);

  const good = s.sotw();
  good.send(sreq(TYPE.cluster, { node: { ...node("web"), id: "w".repeat(100_000), clientFeatures: Array.from({ length: 1000 }, (_, i) => `f${i}`) } }));
  await good.next();
  const [st] = s.server.proxies();
  assert.ok(st && st.node.id.length < 300 && /more chars/.test(st.node.id), "the node id in /debug/proxies is clipped");
  assert.ok(st.node.clientFeatures.length <= 32);
});

test("R6: garbage type URLs: each is ignored, and only a few, clipped, are logged", T, async (t) => {
  const s = await startTestServer(t, 22803, smallMesh());
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: node("web") }));
  await c.next();
  for (let i = 0; i < 200; i++) c.send(sreq(`type.googleapis.com/${"g".repeat(10_000)}${i}`));
  c.send(sreq(TYPE.listener));
  assert.deepEqual(names(await c.next()), ["web-http"], "the stream still works");
  const unserved = s.logs.lines.filter((l) => /unserved type/.test(String(l.msg)));
  assert.ok(unserved.length <= 8, `${unserved.length} log lines`);
  for (const l of unserved) assert.ok(String(l.typeUrl).length < 400);
});

test("R6: Delta subscriptions accumulate only up to the name limit, then RESOURCE_EXHAUSTED", T, async (t) => {
  const s = await startTestServer(t, 22804, smallMesh(), { maxSubscribedNameBytes: 64 * 1024 });
  const c = s.delta();
  c.send(dreq(TYPE.endpoint, { node: node("web"), subscribe: ["api"] }));
  await c.next();
  for (let i = 0; i < 20; i++) c.send(dreq(TYPE.endpoint, { subscribe: Array.from({ length: 100 }, (_, k) => `n-${i}-${k}`.padEnd(100, "x")) }));
  const st = await c.status();
  assert.equal(st.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.match(st.details, /EDS names/);
  assert.equal(await s.metric("xds_requests_rejected_total", { reason: "too_many_names" }), 1);
});

test("handshake timeout: a connection that never sends the HTTP/2 preface is closed; one that speaks something else at once", T, async (t) => {
  const s = await startTestServer(t, 22805, smallMesh(), { handshakeTimeoutMs: 300 });
  const idle = rawTcp(22805);
  const http1 = rawTcp(22805, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const ms = await Promise.race([idle.closed, sleep(3000).then(() => Infinity)]);
  assert.ok(ms < 2000, `idle connection closed after ${ms} ms`);
  assert.ok((await http1.closed) < 1000);
  assert.equal(await s.metric("xds_connections_refused_total", { reason: "handshake_timeout" }), 1);
  assert.equal(await s.metric("xds_connections_refused_total", { reason: "not_http2" }), 1);
  // A real client is unaffected.
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: node("web") }));
  assert.deepEqual(names(await c.next()), ["api"]);
});

test("connection limit: over it, a connection is closed at once (the client sees UNAVAILABLE) and succeeds on retry once a slot frees", T, async (t) => {
  const s = await startTestServer(t, 22806, smallMesh(), { maxConnections: 2 });
  const a = rawTcp(22806);
  const b = rawTcp(22806);
  await eventually(() => s.server.connections() === 2, "two connections");
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: node("web") }));
  assert.equal((await c.status()).code, GrpcStatus.UNAVAILABLE);
  assert.ok((await s.metric("xds_connections_refused_total", { reason: "limit" })) >= 1);
  a.socket.destroy();
  b.socket.destroy();
  await eventually(() => s.server.connections() === 0, "slots free");
  // The client retries (as Envoy does, with backoff) until a connection is accepted.
  const r = await eventually(async () => {
    const retry = s.sotw();
    retry.send(sreq(TYPE.cluster, { node: node("web") }));
    return await retry.next(1000);
  }, "a retry to be served", 10_000, 200);
  assert.deepEqual(names(r), ["api"]);
});

test("streams per connection: HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS caps what one connection may open", T, async (t) => {
  const s = await startTestServer(t, 22807, smallMesh(), { maxStreamsPerConnection: 2 });
  const session = http2.connect(`http://${s.server.address}`);
  session.on("error", () => {});
  t.after(() => session.destroy());
  const settings = await new Promise<http2.Settings>((r) => session.once("remoteSettings", r));
  assert.equal(settings.maxConcurrentStreams, 2);
  // A client that ignores the setting: its third stream is refused by the server's HTTP/2 stack.
  const open = () => {
    const st = session.request({ ":method": "POST", ":path": SOTW, "content-type": "application/grpc", te: "trailers" });
    st.on("error", () => {});
    const head = Buffer.alloc(5);
    const msg = encodeSotwRequest(sreq(TYPE.cluster, { node: node("web") }));
    head.writeUInt32BE(msg.length, 1);
    st.write(Buffer.concat([head, msg]));
    return st;
  };
  open();
  open();
  await eventually(() => s.server.proxies().length === 2, "two streams bound");
  const third = open();
  await sleep(300);
  assert.equal(s.server.proxies().length, 2, "no third stream on the connection");
  third.close();
});

test("R1: the new-stream limiter refuses a burst over its rate with UNAVAILABLE, counts refusals, and clients that retry are all answered", T, async (t) => {
  const s = await startTestServer(t, 22808, smallMesh(), { streamsPerSecond: 20, streamBurst: 5 });
  const clients: { close(): void }[] = [];
  t.after(() => clients.forEach((c) => c.close()));
  const client = new Client(s.server.address, credentials.createInsecure());
  clients.push(client);
  let refusals = 0;
  const attempt = (i: number) =>
    new Promise<SotwResponseIn | undefined>((resolve) => {
      const m = adsService.StreamAggregatedResources;
      const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata());
      call.on("data", (r: SotwResponseIn) => {
        resolve(r);
        call.cancel();
      });
      call.on("error", (e: { code: number; details: string }) => {
        if (e.code === GrpcStatus.UNAVAILABLE && /retry/.test(e.details)) refusals++;
        resolve(undefined);
      });
      call.write({ ...sreq(TYPE.cluster), node: node("web", `web-${i}`) } satisfies SotwRequest);
    });
  const answered = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      for (let backoff = 50; ; backoff = Math.min(backoff * 2, 1000)) {
        const r = await attempt(i);
        if (r) return r;
        await sleep(backoff * (0.5 + Math.random()));
      }
    }),
  );
  assert.equal(answered.length, 30);
  assert.ok(refusals > 0, "some streams were refused");
  assert.equal(await s.metric("xds_streams_refused_total", { reason: "rate_limit" }), refusals);
});

test("R8: a stuck reader's stream is closed after the stall timeout with a status and a log line; other streams are unaffected", T, async (t) => {
  const big = (i: number) =>
    mesh(proxy("web", [cluster("api"), cla("api", [{ port: 19001 }]), httpListener("web-http", 19290, "web-routes"), routeConfig("web-routes", [{ direct: { body: `v${i} ${"x".repeat(200_000)}` } }])]));
  const s = await startTestServer(t, 22809, big(0), { stallTimeoutMs: 400 });
  const slow = new RawGrpcStream(s.server.address, SOTW);
  t.after(() => slow.close());
  slow.send(encodeSotwRequest(sreq(TYPE.route, { node: node("web", "slow"), resourceNames: ["web-routes"] })));
  const first = decodeSotwResponse(await slow.next());
  slow.send(encodeSotwRequest(sreq(TYPE.route, { versionInfo: first.versionInfo, responseNonce: first.nonce, resourceNames: ["web-routes"] })));
  slow.pause();
  const fast = s.sotw();
  fast.send(sreq(TYPE.route, { node: node("web", "fast"), resourceNames: ["web-routes"] }));
  let r = await fast.next();
  for (let i = 1; i <= 5; i++) {
    fast.send(sreq(TYPE.route, { versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: ["web-routes"] }));
    s.server.setSnapshot(big(i));
    r = await fast.next();
  }
  await eventually(() => s.server.proxies().every((p) => p.node.id !== "slow"), "the stuck stream to be closed", 5000);
  assert.equal(await s.metric("xds_stalled_streams_closed_total"), 1);
  assert.ok(s.logs.lines.some((l) => /stopped reading/.test(String(l.msg)) && l.node === "slow"));
  assert.equal(await slow.ended, "closed", "the HTTP/2 stream was reset, not left waiting behind the window");
  s.server.setSnapshot(big(99));
  fast.send(sreq(TYPE.route, { versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: ["web-routes"] }));
  assert.match(JSON.stringify((await fast.next()).versionInfo), /.+/);
  assert.deepEqual(s.server.proxies().map((p) => p.node.id), ["fast"]);
});

test("R7: a response over the clients' receive limit is reported with node, type and size (log + metric), and still sent", T, async (t) => {
  const s = await startTestServer(t, 22810, smallMesh("x".repeat(300_000)), { clientMaxMessageBytes: 100_000 });
  const c = s.sotw();
  c.send(sreq(TYPE.route, { node: node("web", "web-7"), resourceNames: ["web-routes"] }));
  const r = await c.next();
  assert.deepEqual(names(r), ["web-routes"]);
  assert.equal(await s.metric("xds_oversized_responses_total", { type: "route" }), 1);
  const line = s.logs.lines.find((l) => /exceeds the clients' receive limit/.test(String(l.msg)));
  assert.ok(line, "a log line");
  assert.equal(line.node, "web-7");
  assert.equal(line.type, "route");
  assert.ok(Number(line.bytes) > 300_000);
});

/** A TCP proxy that can turn into a black hole (both directions dropped, sockets left open): a half-open path. */
async function blackholeProxy(t: { after(fn: () => void): void }, target: number) {
  let dropping = false;
  const sockets: net.Socket[] = [];
  const server = net.createServer((down) => {
    const up = net.connect(target, "127.0.0.1");
    sockets.push(down, up);
    for (const s of [down, up]) s.on("error", () => {});
    down.on("data", (d) => dropping || up.write(d));
    up.on("data", (d) => dropping || down.write(d));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, drop: () => (dropping = true) };
}

test("R20: keepalive closes a stream whose connection went half-open", T, async (t) => {
  const s = await startTestServer(t, 22811, smallMesh(), { keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 });
  const hole = await blackholeProxy(t, 22811);
  const c = AdsTestClient.sotw(`127.0.0.1:${hole.port}`);
  t.after(() => c.close());
  c.send(sreq(TYPE.cluster, { node: node("web") }));
  await c.next();
  assert.equal(s.server.proxies().length, 1);
  hole.drop();
  await eventually(() => s.server.proxies().length === 0, "the half-open stream to be dropped", 5000);
  await eventually(() => s.server.connections() === 0, "the connection to be closed", 5000);
});

test("R20: connections get GOAWAY at their max age (jittered), so clients move to a new connection", T, async (t) => {
  const s = await startTestServer(t, 22812, smallMesh(), { maxConnectionAgeMs: 400, maxConnectionAgeGraceMs: 200 });
  const ages = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const started = performance.now();
      const session = http2.connect(`http://${s.server.address}`);
      session.on("error", () => {});
      await new Promise((r) => session.once("goaway", r));
      session.destroy();
      return performance.now() - started;
    }),
  );
  for (const ms of ages) assert.ok(ms >= 300 && ms < 1500, `GOAWAY after ${ms} ms`);
  // A client keeps working: its next stream goes over a new connection.
  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: node("web") }));
  await c.next();
});

test("bounded close: with a stuck reader, an idle HTTP/2 client and a connection in its handshake, close(grace) ends within the grace", T, async (t) => {
  const big = mesh(proxy("web", [routeConfig("web-routes", [{ direct: { body: "x".repeat(400_000) } }])]));
  const s = await startTestServer(t, 22813, big);
  const stuck = new RawGrpcStream(s.server.address, SOTW);
  t.after(() => stuck.close());
  stuck.pause();
  stuck.send(encodeSotwRequest(sreq(TYPE.route, { node: node("web", "stuck"), resourceNames: ["web-routes"] })));
  const idle = http2.connect(`http://${s.server.address}`);
  idle.on("error", () => {});
  t.after(() => idle.destroy());
  const silent = rawTcp(22813);
  await eventually(() => s.server.proxies().length === 1 && s.server.connections() === 3, "clients connected");
  const started = performance.now();
  await s.server.close(700);
  const ms = performance.now() - started;
  assert.ok(ms < 1500, `close took ${ms} ms`);
  await eventually(() => s.server.connections() === 0, "every connection closed", 2000);
  assert.ok((await silent.closed) < 5000);
});
