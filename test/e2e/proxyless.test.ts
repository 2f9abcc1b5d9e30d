// End-to-end scenario 5: a proxyless gRPC client (the real @grpc/grpc-js-xds, in a child process, bootstrapped by
// `meshc bootstrap --grpc`) dials xds:///greeter against `meshc serve`. It follows the 80/20 split of mesh.ts,
// follows an edit of it to 20/80 without restarting, and applies the retry policy: calls whose first two attempts
// fail with UNAVAILABLE succeed on a route with retries and fail on the same calls without. Ports 19590-19597.
import assert from "node:assert/strict";
import { assertProportion } from "../helpers/proportion.js";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startGrpcApp } from "../apps/grpc-app.js";
import { startServe, snapshotVersions, waitConverged, waitServeReady, proxies } from "./lib/meshc.js";
import { eventually, meshcCommand, tsxCommand, type Proc } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const P = { xds: 19590, admin: 19591, greeter: 19592, v1: 19593, v2: 19594, shopper: 19595, app: 19596 };
const CLIENT = fileURLToPath(new URL("../apps/xds-client.ts", import.meta.url));

function meshSource(v1: number): string {
  return `import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "e2e", trustDomain: "e2e.example" }, (mesh) => {
  // No sidecar in front of greeter: the proxyless client connects to its instances directly.
  const greeter = mesh.service("greeter", {
    ports: { grpc: grpc(${P.greeter}, { app: ${P.app} }) },
    instances: [
      { address: "127.0.0.1", port: ${P.v1}, labels: { version: "v1" } },
      { address: "127.0.0.1", port: ${P.v2}, labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  mesh.service("shopper", {
    ports: { grpc: grpc(${P.shopper}) },
    instances: ["127.0.0.1:${P.shopper}"],
    proxyless: true,
    calls: [greeter],
  });
  mesh.routes(greeter, (r) => [
    r.match({ headers: { "x-retry": "on" } }).to(greeter.subset("v1")).retries({ attempts: 3, grpcCodes: ["unavailable"], backoff: { base: "10ms" } }),
    r.match().split([
      [greeter.subset("v1"), ${v1}],
      [greeter.subset("v2"), ${100 - v1}],
    ]),
  ]);
});
`;
}

interface RunResult {
  counts: Record<string, number>;
  errors: Record<string, number>;
}

/** The child client: one JSON command in, one JSON line out. */
class Client {
  private readonly lines: string[] = [];
  constructor(readonly proc: Proc) {}
  push(line: string) {
    this.lines.push(line);
  }
  async next(timeoutMs: number): Promise<any> {
    await eventually(() => this.lines.length > 0 || !this.proc.running, "the xDS client to answer", timeoutMs, 20);
    if (!this.lines.length) throw new Error(`the xDS client exited:\n${this.proc.tail(30)}`);
    return JSON.parse(this.lines.shift()!);
  }
  async run(cmd: { n: number; failFirst?: number; idPrefix?: string; metadata?: Record<string, string> }): Promise<RunResult> {
    this.proc.child.stdin!.write(`${JSON.stringify({ op: "run", ...cmd })}\n`);
    return (await this.next(cmd.n * 6000 + 10_000)) as RunResult;
  }
}

test("e2e scenario 5 (proxyless): @grpc/grpc-js-xds resolves xds:///greeter against meshc serve, follows the split and its edit, retries UNAVAILABLE", { timeout: 120_000 }, async (t) => {
  await inWorkspace(t, "meshc-e2e-grpc-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, meshSource(80));
    const [v1, v2] = await Promise.all([
      startGrpcApp({ service: "greeter", version: "v1", port: P.v1 }),
      startGrpcApp({ service: "greeter", version: "v2", port: P.v2 }),
    ]);
    closeLater(v1);
    closeLater(v2);
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin });
    await waitServeReady(P.admin, serve);

    // The client's bootstrap, exactly as `meshc bootstrap --grpc` prints it.
    const c = meshcCommand(["bootstrap", meshPath, "--service", "shopper", "--instance", "shopper-1", "--grpc", "--xds", `127.0.0.1:${P.xds}`]);
    const { stdout: bootstrap } = await promisify(execFile)(c.cmd, c.args, { timeout: 60_000 });
    assert.equal(JSON.parse(bootstrap).node.cluster, "shopper");

    let client: Client | undefined;
    const proc = procs.start({
      name: "xds-client",
      ...tsxCommand(CLIENT, ["greeter"]),
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap },
      stdin: true,
      onLine: (l) => client?.push(l),
    });
    client = new Client(proc);
    assert.deepEqual(await client.next(30_000), { ready: true });

    // 80/20 over 400 calls: binomial sd 8, accepted within 4.5 sd.
    const N = 400;
    const split = await client.run({ n: N });
    assert.deepEqual(split.errors, {}, JSON.stringify(split));
    assert.equal((split.counts.v1 ?? 0) + (split.counts.v2 ?? 0), N);
    assertProportion(split.counts.v1 ?? 0, N, 0.8, `80/20 split: ${JSON.stringify(split.counts)}`);
    const [st] = await proxies(P.admin);
    assert.equal(st?.node.userAgentName, "gRPC Node Pure JS");
    assert.equal(st?.service, "shopper");
    await waitConverged(P.admin, { "shopper-1": "shopper" });
    t.diagnostic(`proxyless split 80/20: ${JSON.stringify(split.counts)} of ${N}`);

    // Edit mesh.ts to 20/80: the running client follows.
    const oldRoute = (await snapshotVersions(P.admin, "shopper")).route;
    writeFileSync(meshPath, meshSource(20));
    await eventually(async () => (await snapshotVersions(P.admin, "shopper")).route !== oldRoute, "meshc serve to load the edit", 30_000);
    await waitConverged(P.admin, { "shopper-1": "shopper" });
    const moved = await client.run({ n: N });
    assert.deepEqual(moved.errors, {}, JSON.stringify(moved));
    assertProportion(moved.counts.v2 ?? 0, N, 0.8, `20/80 split after the edit: ${JSON.stringify(moved.counts)}`);
    t.diagnostic(`proxyless split after the edit to 20/80: ${JSON.stringify(moved.counts)} of ${N}`);

    // Retries: the first two attempts of each call fail with UNAVAILABLE.
    v1.reset();
    v2.reset();
    const R = 20;
    const retried = await client.run({ n: R, failFirst: 2, idPrefix: "r", metadata: { "x-retry": "on" } });
    assert.deepEqual(retried, { counts: { v1: R }, errors: {} }, "every call on the retrying route succeeds");
    for (let i = 0; i < R; i++) assert.equal(v1.stats().attempts[`r-${i}`], 3, `call r-${i}: two failures, then success`);
    const plain = await client.run({ n: R, failFirst: 2, idPrefix: "n" });
    assert.deepEqual(Object.values(plain.counts), [], JSON.stringify(plain));
    assert.equal(Object.values(plain.errors).reduce((a, b) => a + b, 0), R);
    for (const e of Object.keys(plain.errors)) assert.match(e, /^14 injected failure: attempt 1 /, "without retries the UNAVAILABLE reaches the caller");
    const attempts = { ...v1.stats().attempts, ...v2.stats().attempts };
    for (let i = 0; i < R; i++) assert.equal(attempts[`n-${i}`], 1, `call n-${i}: one attempt`);
    t.diagnostic(`proxyless retries: ${R}/${R} calls succeeded after 2 UNAVAILABLE attempts each; without retries ${R}/${R} failed`);
    proc.child.stdin!.write(`${JSON.stringify({ op: "exit" })}\n`);
  });
});
