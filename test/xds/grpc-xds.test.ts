// A real proxyless gRPC client (@grpc/grpc-js-xds, in a child process) against the xDS server: resolution through
// LDS -> RDS -> CDS -> EDS, a weighted split moved by setSnapshot, and a NACK that leaves the old config serving
// (ports 19240-19249).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { apiListener, cla, cluster, mesh, proxy, routeConfig } from "./fixtures.js";
import { eventually, sleep, startTestServer } from "./harness.js";

const CLIENT = fileURLToPath(new URL("./fixtures/grpc-xds-client.mjs", import.meta.url));
const XDS_PORT = 19240;
const BACKENDS = { "echo-a": 19241, "echo-b": 19242 } as const;

async function startBackend(name: string, port: number): Promise<Server> {
  const server = new Server();
  server.addService(
    {
      Who: {
        path: "/meshc.test.Echo/Who",
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (s: string) => Buffer.from(s),
        responseDeserialize: (b: Buffer) => b.toString(),
      },
    },
    { Who: (_call: unknown, cb: (e: null, r: string) => void) => cb(null, name) },
  );
  await new Promise<void>((res, rej) => server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())));
  return server;
}

/** The snapshot of service "shop" (a proxyless client): API listener "echo" with a weighted split a/b. */
function shop(weights: { a: number; b: number }, filters: ("router" | "fault")[] = ["router"]) {
  const split = [
    { cluster: "echo-a", weight: weights.a },
    { cluster: "echo-b", weight: weights.b },
  ].filter((s) => s.weight > 0);
  return proxy("shop", [
    apiListener("echo", "echo-routes", filters),
    routeConfig("echo-routes", [{ split }]),
    cluster("echo-a"),
    cluster("echo-b"),
    cla("echo-a", [{ port: BACKENDS["echo-a"] }]),
    cla("echo-b", [{ port: BACKENDS["echo-b"] }]),
  ]);
}

interface RunResult {
  counts: Record<string, number>;
  errors: Record<string, number>;
}

class XdsClientProcess {
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  readonly stderr: string[] = [];

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (l) => {
      this.lines.push(l);
      this.wake?.();
    });
    child.stderr!.on("data", (d: Buffer) => this.stderr.push(d.toString()));
  }

  async line(timeoutMs: number): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (Date.now() > end) throw new Error(`child gave no output within ${timeoutMs} ms; stderr: ${this.stderr.join("")}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
    return JSON.parse(this.lines.shift()!) as Record<string, unknown>;
  }

  async run(n: number): Promise<RunResult> {
    this.child.stdin!.write(`run ${n}\n`);
    return (await this.line(n * 5000 + 10_000)) as unknown as RunResult;
  }
}

function startClient(t: { after(fn: () => void): void }, xdsPort: number, target: string): XdsClientProcess {
  const bootstrap = {
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
    node: { id: "shop-1", cluster: "shop", locality: {} },
  };
  const child = spawn(process.execPath, [CLIENT, target], {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  t.after(() => {
    child.kill("SIGKILL");
  });
  return new XdsClientProcess(child);
}

test("P-02 P-18 P-39 P-10 P-11 P-12: @grpc/grpc-js-xds resolves xds:///echo through the server, follows a weighted split changed by setSnapshot, and keeps serving after a NACK", async (t) => {
  const backends = await Promise.all(Object.entries(BACKENDS).map(([n, p]) => startBackend(n, p)));
  t.after(() => backends.forEach((b) => b.forceShutdown()));
  const s = await startTestServer(t, XDS_PORT, mesh(shop({ a: 100, b: 0 })));
  const client = startClient(t, XDS_PORT, "echo");
  assert.deepEqual(await client.line(20_000), { ready: true });

  // 100% a.
  const r1 = await client.run(20);
  assert.deepEqual(r1, { counts: { "echo-a": 20 }, errors: {} });
  const [st] = s.server.proxies();
  assert.equal(st?.node.userAgentName, "gRPC Node Pure JS");
  assert.equal(st?.service, "shop");
  const good = s.server.snapshot()!.proxies.get("shop")!;
  assert.deepEqual(st?.acked, { cluster: good.versions.cluster, endpoint: good.versions.endpoint, listener: good.versions.listener, route: good.versions.route });

  // Move everything to b, without restarting anything.
  s.server.setSnapshot(mesh(shop({ a: 0, b: 100 })));
  await eventually(async () => {
    const r = await client.run(5);
    return r.counts["echo-b"] === 5;
  }, "traffic to move to echo-b", 20_000, 0);
  assert.deepEqual(await client.run(20), { counts: { "echo-b": 20 }, errors: {} });

  // 50/50: both backends get a share (binomial sd ~7 over 200).
  const half = shop({ a: 50, b: 50 });
  s.server.setSnapshot(mesh(half));
  await eventually(async () => (await client.run(10)).counts["echo-a"] !== undefined, "echo-a to reappear", 20_000, 0);
  const r3 = await client.run(200);
  assert.deepEqual(r3.errors, {});
  assert.ok(r3.counts["echo-a"]! > 60 && r3.counts["echo-b"]! > 60, JSON.stringify(r3));
  await eventually(() => s.server.proxies()[0]?.acked.route === half.versions.route, "the 50/50 route to be ACKed");

  // NACK: the router is not the last HTTP filter; gRPC rejects the Listener (our schema layer accepts it).
  const pushesBefore = await s.metric("xds_pushes_total", { type: "listener" });
  const bad = shop({ a: 100, b: 0 }, ["router", "fault"]);
  s.server.setSnapshot(mesh(bad));
  const nacked = await eventually(() => s.server.proxies()[0]?.lastNack, "the NACK to be recorded", 20_000);
  assert.equal(nacked.type, "listener");
  assert.equal(nacked.version, bad.versions.listener);
  assert.match(nacked.message, /filter/i);
  assert.equal(await s.metric("xds_nacks_total", { type: "listener" }), 1);
  await sleep(500);
  assert.equal(await s.metric("xds_pushes_total", { type: "listener" }), pushesBefore + 1, "P-11: the rejected Listener is not resent");
  assert.equal(s.server.proxies()[0]!.acked.listener, half.versions.listener, "the ACKed listener is still the previous one");
  // The RouteConfiguration in that snapshot (100% a) was valid and applied on its own (P-12); calls still succeed.
  const r4 = await client.run(20);
  assert.deepEqual(r4.errors, {});

  // Fixed: pushed and ACKed; traffic back to 50/50 once more.
  s.server.setSnapshot(mesh(half));
  await eventually(() => s.server.proxies()[0]?.acked.listener === half.versions.listener && (s.server.proxies()[0]?.pending.length ?? 1) === 0, "recovery");
  const r5 = await client.run(40);
  assert.deepEqual(r5.errors, {});
  assert.ok(r5.counts["echo-b"]! > 0, JSON.stringify(r5));
  client.child.stdin!.write("exit\n");
});
