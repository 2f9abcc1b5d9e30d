// Real Envoy 1.40 against the xDS server, over SotW ADS and then DELTA_GRPC: config arrives (stats, config
// served through the listener), changes apply without restart, a Cluster-only change finishes warming (P-29), a
// NACKed Listener is recorded and not resent while the old one keeps serving, and Envoy keeps serving while the
// server is down, then reconnects to identical versions without modifying its listener (ports 19250-19269).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { cla, cluster, httpListener, mesh, proxy, routeConfig } from "./fixtures.js";
import { eventually, sleep, startTestServer, type TestServer } from "./harness.js";

interface Ports {
  xds: number;
  backend: number;
  listener: number;
  admin: number;
}

function front(ports: Ports, o: { body?: string; connectTimeoutMs?: number; badListener?: boolean } = {}) {
  return proxy("front", [
    cluster("backend", { connectTimeoutMs: o.connectTimeoutMs ?? 1000 }),
    cla("backend", [{ port: ports.backend }]),
    httpListener("front-http", ports.listener, "front-routes", o.badListener ? ["router", "fault"] : ["router"]),
    routeConfig("front-routes", [
      { direct: { body: o.body ?? "hello v1" }, prefix: "/direct" },
      { split: [{ cluster: "backend", weight: 1 }], prefix: "/" },
    ]),
  ]);
}

function bootstrap(ports: Ports, apiType: "GRPC" | "DELTA_GRPC"): object {
  return {
    node: { id: "front-1", cluster: "front" },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: ports.admin } } },
    dynamic_resources: {
      ads_config: {
        api_type: apiType,
        transport_api_version: "V3",
        grpc_services: [{ envoy_grpc: { cluster_name: "xds" } }],
        set_node_on_first_message_only: true,
      },
      cds_config: { ads: {}, resource_api_version: "V3" },
      lds_config: { ads: {}, resource_api_version: "V3" },
    },
    static_resources: {
      clusters: [
        {
          name: "xds",
          type: "STATIC",
          connect_timeout: "1s",
          load_assignment: {
            cluster_name: "xds",
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: ports.xds } } } }] }],
          },
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        },
      ],
    },
  };
}

async function startBackend(t: TestContext, port: number): Promise<HttpServer> {
  const server = createServer((_req, res) => res.end("backend says hi"));
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return server;
}

function startEnvoy(t: TestContext, bin: string, ports: Ports, apiType: "GRPC" | "DELTA_GRPC"): { proc: ChildProcess; log: () => string } {
  const dir = mkdtempSync(join(tmpdir(), "meshc-xds-envoy-"));
  const cfg = join(dir, "bootstrap.json");
  writeFileSync(cfg, JSON.stringify(bootstrap(ports, apiType)));
  const logFile = join(dir, "envoy.log");
  const proc = spawn(bin, ["-c", cfg, "--concurrency", "1", "--disable-hot-restart", "--log-level", "info", "--log-path", logFile], { stdio: "ignore" });
  t.after(async () => {
    proc.kill("SIGTERM");
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once("exit", r)));
    rmSync(dir, { recursive: true, force: true });
  });
  return { proc, log: () => (() => { try { return readFileSync(logFile, "utf8"); } catch { return ""; } })() };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return { status: r.status, body: await r.text() };
}

async function stats(admin: number): Promise<Record<string, number>> {
  const text = (await get(`http://127.0.0.1:${admin}/stats?filter=${encodeURIComponent("^(cluster_manager|listener_manager|control_plane)\\.")}`)).body;
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([^:]+): (\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function scenario(t: TestContext, bin: string, ports: Ports, apiType: "GRPC" | "DELTA_GRPC"): Promise<void> {
  await startBackend(t, ports.backend);
  const v1 = front(ports);
  let s: TestServer = await startTestServer(t, ports.xds, mesh(v1));
  const envoy = startEnvoy(t, bin, ports, apiType);
  const listener = `http://127.0.0.1:${ports.listener}`;
  const why = () => `\n--- envoy log ---\n${envoy.log().split("\n").slice(-40).join("\n")}`;

  // Config arrives: the listener serves the direct response and proxies to the EDS backend.
  await eventually(async () => (await get(`${listener}/direct`)).body === "hello v1", `Envoy to serve hello v1${why()}`, 20_000, 100);
  assert.equal((await get(`${listener}/`)).body, "backend says hi");
  const st = await stats(ports.admin);
  assert.ok(st["cluster_manager.cds.update_success"]! >= 1, JSON.stringify(st));
  assert.ok(st["listener_manager.lds.update_success"]! >= 1);
  assert.equal(st["control_plane.connected_state"], 1);
  assert.equal(st["cluster_manager.warming_clusters"], 0);
  await eventually(() => s.server.proxies()[0]?.pending.length === 0, "all types ACKed");
  const p = s.server.proxies()[0]!;
  assert.equal(p.api, apiType === "GRPC" ? "sotw" : "delta");
  assert.equal(p.node.userAgentName, "envoy");
  assert.deepEqual(p.acked, { cluster: v1.versions.cluster, endpoint: v1.versions.endpoint, listener: v1.versions.listener, route: v1.versions.route });

  // A route change applies without restart.
  s.server.setSnapshot(mesh(front(ports, { body: "hello v2" })));
  await eventually(async () => (await get(`${listener}/direct`)).body === "hello v2", "hello v2");

  // P-29 R21: a Cluster-only change; warming ends because its (unchanged) CLA is sent again.
  const v3 = front(ports, { body: "hello v2", connectTimeoutMs: 2500 });
  assert.equal(v3.versions.endpoint, v1.versions.endpoint);
  const updatedBefore = (await stats(ports.admin))["cluster_manager.cluster_modified"] ?? 0;
  s.server.setSnapshot(mesh(v3));
  await eventually(async () => {
    const x = await stats(ports.admin);
    return x["cluster_manager.cluster_modified"]! > updatedBefore && x["cluster_manager.warming_clusters"] === 0 && s.server.proxies()[0]?.acked.cluster === v3.versions.cluster;
  }, "the updated cluster to finish warming", 10_000).catch(async (e) => {
    console.error(JSON.stringify({ stats: await stats(ports.admin), proxies: s.server.proxies(), v3: v3.versions }, null, 1), why());
    throw e;
  });
  assert.equal((await get(`${listener}/`)).body, "backend says hi");

  // NACK: the router is not the last HTTP filter. Envoy rejects the Listener; we record it and do not resend.
  const bad = front(ports, { body: "hello v2", connectTimeoutMs: 2500, badListener: true });
  const rejectedBefore = (await stats(ports.admin))["listener_manager.lds.update_rejected"] ?? 0;
  s.server.setSnapshot(mesh(bad));
  const nack = await eventually(() => s.server.proxies()[0]?.lastNack, "the NACK to be recorded");
  assert.equal(nack.type, "listener");
  assert.equal(nack.version, bad.versions.listener);
  assert.match(nack.message, /terminal filter|must be the last filter/);
  assert.equal(await s.metric("xds_nacks_total", { type: "listener" }), 1);
  await sleep(1000);
  assert.equal((await stats(ports.admin))["listener_manager.lds.update_rejected"], rejectedBefore + 1, "P-11: Envoy saw the bad Listener exactly once");
  assert.equal(s.server.proxies()[0]!.acked.listener, v1.versions.listener, "the last ACKed listener is still the old one");
  assert.equal((await get(`${listener}/direct`)).body, "hello v2", "the previous config keeps serving");

  // The fix is pushed and ACKed.
  s.server.setSnapshot(mesh(v3));
  await eventually(() => s.server.proxies()[0]?.acked.listener === v3.versions.listener, "the fixed listener to be ACKed");

  // P-36 R2: with the server gone Envoy keeps serving; after a restart it reconnects to identical versions
  // (P-34) and does not modify its listener (R13).
  const modifiedBefore = (await stats(ports.admin))["listener_manager.listener_modified"] ?? 0;
  await s.server.close(200);
  await eventually(async () => (await stats(ports.admin))["control_plane.connected_state"] === 0, "Envoy to notice the server is gone");
  assert.equal((await get(`${listener}/direct`)).body, "hello v2");
  s = await startTestServer(t, ports.xds, mesh(front(ports, { body: "hello v2", connectTimeoutMs: 2500 })));
  await eventually(async () => (await stats(ports.admin))["control_plane.connected_state"] === 1, "Envoy to reconnect", 20_000, 200);
  await eventually(() => s.server.proxies()[0]?.pending.length === 0 && s.server.proxies()[0]?.acked.listener !== undefined, "resync after restart");
  assert.deepEqual(s.server.proxies()[0]!.acked, { cluster: v3.versions.cluster, endpoint: v3.versions.endpoint, listener: v3.versions.listener, route: v3.versions.route });
  assert.equal((await stats(ports.admin))["listener_manager.listener_modified"] ?? 0, modifiedBefore);
  assert.equal((await get(`${listener}/direct`)).body, "hello v2");
}

test("P-01 P-04 P-09 P-10 P-11 P-28 P-29 P-34 P-36 R2 R3 R13 R21: real Envoy over SotW ADS", async (t) => {
  const bin = requireEnvoy(t);
  if (!bin) return;
  await scenario(t, bin, { xds: 19250, backend: 19251, listener: 19252, admin: 19253 }, "GRPC");
});

test("P-01 P-10 P-11 P-22 P-29 P-34 P-36 R2 R3 R13 R21: real Envoy over DELTA_GRPC", async (t) => {
  const bin = requireEnvoy(t);
  if (!bin) return;
  await scenario(t, bin, { xds: 19260, backend: 19261, listener: 19262, admin: 19263 }, "DELTA_GRPC");
});
