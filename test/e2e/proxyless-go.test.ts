// grpc-go as a proxyless client of `meshc serve` (issue 17): test/grpc-go's client (grpc-go's real xDS resolver
// and balancers, google.golang.org/grpc as pinned in its go.mod) and backends, driven by the scenarios of the
// grpc-js test (test/e2e/proxyless.test.ts): an 80/20 split over 400 calls (within 4.5 sd), retries on UNAVAILABLE,
// a live edit to 20/80 followed without restart; then one subtest per row of the capability table
// (src/proxyless/capabilities.ts) asserting what the table documents for grpc-go, so the table cannot drift from
// the client. Rows that fail calls (query match, redirect, direct response) are errors (MESH0421) that `meshc serve`
// refuses to serve from mesh.ts, so the test checks the error and serves what the backend emits for them from a build
// directory (the same translation, analysis skipped). grpc-js-xds runs its supported and ignored rows too, against
// the same backends; its fails rows need meshes of their own (it NACKs a whole route configuration holding a redirect
// or a direct response) and run in proxyless-js-fails.test.ts (test/e2e/lib/capability-rows.ts says which).
// Ports 23000-23039.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { loadMesh } from "../../src/frontend/index.js";
import { CAPABILITIES, GRPC_IMPLEMENTATIONS } from "../../src/proxyless/capabilities.js";
import { pinnedGrpcGoVersion, requireGrpcGo } from "../helpers/grpc-go.js";
import { assertProportion } from "../helpers/proportion.js";
import { JS_FAILS_ROWS } from "./lib/capability-rows.js";
import { grpcBootstrap, LineProc, startGoBackends, startGoClient, type GoBackends, type GoClient, type RunCommand, type RunResult } from "./lib/grpc-go.js";
import { proxies, snapshotVersions, startServe, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, meshcCommand, tsxCommand } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const X = { xds: 23000, admin: 23001, xds2: 23002, admin2: 23003 };
/** Upstreams (nonMesh: no sidecar, so the client reaches the backends directly): service k has port 23010 + k and
 * instances v1 at 127.0.0.1:23020 + 2k, v2 at 23021 + 2k. */
const UPS = ["greeter", "sticky", "crumbs", "busy", "rand", "mag", "flaky", "hc", "fails"] as const;
type Up = (typeof UPS)[number];
const v1Port = (u: Up) => 23020 + 2 * UPS.indexOf(u);
const v2Port = (u: Up) => 23021 + 2 * UPS.indexOf(u);
const XDS_CLIENT = fileURLToPath(new URL("../apps/xds-client.ts", import.meta.url));

function upstream(name: Up, extra = ""): string {
  return `const ${name} = mesh.service("${name}", {
    ports: { grpc: grpc(${23010 + UPS.indexOf(name)}) },
    nonMesh: true,
    instances: [{ address: "127.0.0.1", port: ${v1Port(name)}, labels: { version: "v1" } }, { address: "127.0.0.1", port: ${v2Port(name)}, labels: { version: "v2" } }],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },${extra}
  });`;
}

/** The served mesh: settings grpc-go supports or ignores (warnings only). */
function meshSource(v1: number): string {
  return `import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "go", trustDomain: "go.example" }, (mesh) => {
  ${upstream("greeter")}
  ${upstream("sticky")}
  ${upstream("crumbs")}
  ${upstream("busy")}
  ${upstream("rand")}
  ${upstream("mag")}
  ${upstream("flaky")}
  ${upstream("hc")}
  mesh.policy(sticky, { loadBalancer: { ringHash: { hashOn: { header: "x-user" } } } });
  mesh.policy(crumbs, { loadBalancer: { ringHash: { hashOn: [{ cookie: "sid" }, { query: "u" }, { sourceIp: true }] } } });
  mesh.policy(busy, { loadBalancer: "least-request" });
  mesh.policy(rand, { loadBalancer: "random" });
  mesh.policy(mag, { loadBalancer: { maglev: { hashOn: { header: "x-user" } } } });
  mesh.policy(flaky, { outlierDetection: { consecutive5xx: 1, interval: "1s", baseEjection: "60s", maxEjectionPercent: 100 } });
  mesh.policy(hc, { healthCheck: { grpc: {}, interval: "1s", timeout: "500ms", healthy: 1, unhealthy: 1 } });
  mesh.routes(greeter, (r) => [
    r.match({ headers: { "x-row": "retry" } }).to(greeter.subset("v1")).retries({ attempts: 3, grpcCodes: ["unavailable"], backoff: { base: "10ms" } }),
    r.match({ headers: { "x-row": "retry-http" } }).to(greeter.subset("v1")).retries({ attempts: 3, on: ["5xx", "reset"], backoff: { base: "10ms" } }),
    r.match({ headers: { "x-row": "mirror" } }).to(greeter.subset("v1")).mirror(greeter.subset("v2"), 100),
    r.match({ headers: { "x-row": "rate-limit" } }).to(greeter.subset("v1")).rateLimit({ tokens: 1, per: "1m" }),
    r.match().split([
      [greeter.subset("v1"), ${v1}],
      [greeter.subset("v2"), ${100 - v1}],
    ]),
  ]);
  mesh.service("shopper", {
    ports: { grpc: grpc(23005) },
    instances: ["127.0.0.1:23005"],
    proxyless: { grpc: "go" },
    calls: [greeter, sticky, crumbs, busy, rand, mag, flaky, hc],
  });
  mesh.service("shopper-js", { ports: { grpc: grpc(23006) }, instances: ["127.0.0.1:23006"], proxyless: { grpc: "js" }, calls: [greeter, sticky, crumbs, busy, rand, mag, flaky, hc] });
});
`;
}

/** The rows grpc-go fails on: meshc refuses this mesh (MESH0421); its translation is served from a build dir. */
const FAILS_MESH = `import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "go-fails", trustDomain: "go.example" }, (mesh) => {
  ${upstream("fails")}
  mesh.routes(fails, (r) => [
    r.match({ headers: { "x-row": "query" }, query: { u: "1" } }).to(fails.subset("v2")),
    r.match({ headers: { "x-row": "query" } }).to(fails.subset("v1")),
    r.match({ headers: { "x-row": "redirect" } }).redirect({ path: "/elsewhere" }),
    r.match({ headers: { "x-row": "direct" } }).respond(200, "hello"),
    r.match().to(fails.subset("v2")),
  ]);
  mesh.service("prober", { ports: { grpc: grpc(23007) }, instances: ["127.0.0.1:23007"], proxyless: { grpc: "go" }, calls: [fails] });
});
`;

const total = (r: RunResult) => Object.values(r.counts).reduce((a, b) => a + b, 0);
const errorCount = (r: RunResult) => Object.values(r.errors).reduce((a, b) => a + b, 0);

/**
 * Round robin picks only connected endpoints, so on a loaded machine the first calls to a new target can all go to
 * the healthy one (two runs under load saw 0 and 12 errors of 40). The consecutiveErrors rows measure after the failing endpoint has
 * been picked once: from then on a client that ejected it would send it nothing, one that ignores ejection half.
 */
async function untilFailingHostPicked(run: (n: number) => Promise<RunResult>): Promise<void> {
  await eventually(async () => (errorCount(await run(4)) > 0 ? true : undefined), "the failing endpoint to be picked once", 60_000, 250);
}
const listens = (name: Up, v1 = "v1", v2 = "v2") => [`127.0.0.1:${v1Port(name)}=${v1}`, `127.0.0.1:${v2Port(name)}=${v2}`];

test("grpc-go proxyless against meshc serve: split, retries, live edit, and every capability-table row", { timeout: 420_000 }, async (t) => {
  const bin = requireGrpcGo(t);
  if (!bin) return;
  await inWorkspace(t, "meshc-e2e-grpcgo-", async ({ dir, procs }) => {
    assert.equal(GRPC_IMPLEMENTATIONS.go.version, pinnedGrpcGoVersion(), "the capability table describes the grpc-go the tests build");
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, meshSource(80));
    const backends: GoBackends = await startGoBackends(procs, bin, [
      ...listens("greeter"),
      ...listens("sticky"),
      ...listens("crumbs"),
      ...listens("busy", "v1/150"),
      ...listens("rand"),
      ...listens("mag"),
      ...listens("flaky", "v1/fail"),
      ...listens("hc"),
      ...listens("fails"),
    ]);
    const serve = startServe(procs, { mesh: meshPath, xdsPort: X.xds, adminPort: X.admin });
    await waitServeReady(X.admin, serve);
    const client: GoClient = await startGoClient(procs, bin, "greeter", await grpcBootstrap(meshPath, "shopper", "shopper-1", X.xds));

    // --- The grpc-js scenarios. 80/20 over 400 calls, within 4.5 sd (test/helpers/proportion.ts).
    const N = 400;
    const split = await client.run({ n: N });
    assert.deepEqual(split.errors, {}, JSON.stringify(split));
    assert.equal(total(split), N);
    assertProportion(split.counts.v1 ?? 0, N, 0.8, `80/20 split: ${JSON.stringify(split.counts)}`);
    await waitConverged(X.admin, { "shopper-1": "shopper" });
    const [st] = await proxies(X.admin);
    assert.match(String(st?.node.userAgentName), /gRPC Go/, "the client is grpc-go");
    t.diagnostic(`grpc-go split 80/20: ${JSON.stringify(split.counts)} of ${N}`);

    // Live edit to 20/80: the running client follows, no restart.
    const oldRoute = (await snapshotVersions(X.admin, "shopper")).route;
    writeFileSync(meshPath, meshSource(20));
    await eventually(async () => (await snapshotVersions(X.admin, "shopper")).route !== oldRoute, "meshc serve to load the edit", 30_000);
    await waitConverged(X.admin, { "shopper-1": "shopper" });
    const moved = await client.run({ n: N });
    assert.deepEqual(moved.errors, {}, JSON.stringify(moved));
    assertProportion(moved.counts.v2 ?? 0, N, 0.8, `20/80 split after the edit: ${JSON.stringify(moved.counts)}`);
    t.diagnostic(`grpc-go split after the edit to 20/80: ${JSON.stringify(moved.counts)} of ${N}`);

    // --- One subtest per capability-table row (grpc-go's column).
    const rows = new Set<string>();
    const row = (name: keyof typeof CAPABILITIES, fn: () => Promise<void>) => {
      rows.add(name);
      return t.test(`${name} (${CAPABILITIES[name].go.support} by grpc-go)`, fn);
    };

    await row("weightedSplit", async () => {
      assert.equal(CAPABILITIES.weightedSplit.go.support, "supported");
      assertProportion(moved.counts.v2 ?? 0, N, 0.8, "20/80 split");
    });

    await row("retryGrpcCodes", async () => {
      await backends.reset();
      const R = 20;
      const r = await client.run({ n: R, failFirst: 2, idPrefix: "r", metadata: { "x-row": "retry" } });
      assert.deepEqual(r, { counts: { v1: R }, errors: {} }, "every call on the retrying route succeeds");
      const { attempts } = await backends.stats();
      for (let i = 0; i < R; i++) assert.equal(attempts[`r-${i}`], 3, `call r-${i}: two UNAVAILABLE attempts, then success`);
      const plain = await client.run({ n: R, failFirst: 2, idPrefix: "n", metadata: { "x-row": "none" } });
      assert.equal(errorCount(plain), R, `without retries every call fails: ${JSON.stringify(plain)}`);
      for (const e of Object.keys(plain.errors)) assert.match(e, /^14 injected failure: attempt 1 /);
    });

    await row("retryHttpConditions", async () => {
      assert.equal(CAPABILITIES.retryHttpConditions.go.support, "ignored");
      await backends.reset();
      const r = await client.run({ n: 10, failFirst: 1, idPrefix: "h", metadata: { "x-row": "retry-http" } });
      assert.equal(errorCount(r), 10, `5xx/reset retry no gRPC call: ${JSON.stringify(r)}`);
      const { attempts } = await backends.stats();
      for (let i = 0; i < 10; i++) assert.equal(attempts[`h-${i}`], 1, `call h-${i}: one attempt`);
    });

    await row("ringHashHeader", async () => {
      assert.equal(CAPABILITIES.ringHashHeader.go.support, "supported");
      const seen = new Set<string>();
      for (let u = 0; u < 12; u++) {
        const r = await client.run({ target: "sticky", n: 8, metadata: { "x-user": `user-${u}` } });
        assert.deepEqual(r.errors, {});
        assert.equal(Object.keys(r.counts).length, 1, `user-${u}'s calls stick to one host: ${JSON.stringify(r.counts)}`);
        seen.add(Object.keys(r.counts)[0]!);
      }
      assert.equal(seen.size, 2, "different users land on different hosts");
    });

    await row("hashOtherKeys", async () => {
      assert.equal(CAPABILITIES.hashOtherKeys.go.support, "ignored");
      // Cookie, query and source-IP keys are skipped: with no key, each call hashes at random.
      const r = await client.run({ target: "crumbs", n: 60, metadata: { cookie: "sid=same" } });
      assert.deepEqual(r.errors, {});
      assert.ok((r.counts.v1 ?? 0) > 0 && (r.counts.v2 ?? 0) > 0, `identical calls spread over both hosts: ${JSON.stringify(r.counts)}`);
    });

    await row("leastRequest", async () => {
      assert.equal(CAPABILITIES.leastRequest.go.support, "supported");
      // v1 answers after 150 ms, v2 at once: least-request (two random choices, the one with fewer calls in flight) sends about three quarters of them to v2; round robin would send exactly half.
      const r = await client.run({ target: "busy", n: 200, concurrency: 8 });
      assert.deepEqual(r.errors, {});
      assert.ok(r.counts.v2! / 200 >= 0.6, `least-request favours the idle host: ${JSON.stringify(r.counts)}`);
      t.diagnostic(`least-request (v1 150 ms, v2 0 ms, 8 concurrent): ${JSON.stringify(r.counts)}`);
    });

    await row("random", async () => {
      assert.equal(CAPABILITIES.random.go.support, "ignored");
      // Round robin instead: once both hosts are connected (warm-up), sequential calls alternate, exactly half each.
      await client.run({ target: "rand", n: 10 });
      const r = await client.run({ target: "rand", n: 100 });
      assert.deepEqual(r, { counts: { v1: 50, v2: 50 }, errors: {} });
    });

    await row("maglev", async () => {
      assert.equal(CAPABILITIES.maglev.go.support, "ignored");
      // Ring hash instead, on the same header: calls of one user stick.
      for (let u = 0; u < 6; u++) {
        const r = await client.run({ target: "mag", n: 6, metadata: { "x-user": `user-${u}` } });
        assert.equal(Object.keys(r.counts).length, 1, `user-${u}: ${JSON.stringify(r.counts)}`);
      }
    });

    await row("mirror", async () => {
      assert.equal(CAPABILITIES.mirror.go.support, "ignored");
      await backends.reset();
      const r = await client.run({ n: 20, metadata: { "x-row": "mirror" } });
      assert.deepEqual(r, { counts: { v1: 20 }, errors: {} });
      const { calls } = await backends.stats();
      assert.equal(calls[`127.0.0.1:${v2Port("greeter")}`] ?? 0, 0, "the mirror target gets nothing");
    });

    await row("consecutiveErrors", async () => {
      assert.equal(CAPABILITIES.consecutiveErrors.go.support, "ignored");
      // v1 always fails: a sidecar would eject it after one error; grpc-go keeps sending it half the calls.
      await untilFailingHostPicked((n) => client.run({ target: "flaky", n }));
      const r = await client.run({ target: "flaky", n: 40 });
      assert.ok(errorCount(r) >= 15, `the failing host keeps getting calls: ${JSON.stringify(r)}`);
    });

    await row("healthCheck", async () => {
      assert.equal(CAPABILITIES.healthCheck.go.support, "ignored");
      // The backends implement no grpc.health.v1 (a sidecar would mark both unhealthy); grpc-go runs no checks.
      const r = await client.run({ target: "hc", n: 20 });
      assert.deepEqual(r.errors, {});
      assert.equal(total(r), 20);
    });

    await row("routeRateLimit", async () => {
      assert.equal(CAPABILITIES.routeRateLimit.go.support, "ignored");
      const r = await client.run({ n: 15, metadata: { "x-row": "rate-limit" } });
      assert.deepEqual(r, { counts: { v1: 15 }, errors: {} }, "1 call per minute is not enforced");
    });

    // The rows grpc-go fails on: meshc check reports them (MESH0421) at their lines; then the real client meets them.
    const failsPath = join(dir, "fails.ts");
    writeFileSync(failsPath, FAILS_MESH);
    const c = meshcCommand(["check", failsPath, "--format", "json"]);
    const checked = await promisify(execFile)(c.cmd, c.args, { timeout: 60_000 }).then(
      () => assert.fail("meshc check accepts a mesh whose routes grpc-go fails on"),
      (e: { stdout: string }) => e.stdout,
    );
    const lines = FAILS_MESH.split("\n");
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    const found = (JSON.parse(checked) as { code: string; line: number }[]).filter((d) => d.code === "MESH0421").map((d) => d.line).sort();
    assert.deepEqual(found, [lineOf('query: { u: "1" }'), lineOf(".redirect("), lineOf(".respond(")].sort(), checked);

    const loaded = await loadMesh(failsPath);
    assert.ok(loaded.ir, JSON.stringify(loaded.diagnostics));
    const translated = translateMesh(loaded.ir);
    assert.deepEqual(translated.issues, []);
    const buildDir = join(dir, "fails-build");
    await writeBuildDir(buildDir, renderBuild("go-fails", translated.snapshot));
    const serve2 = startServe(procs, { name: "meshc-serve-build", mesh: buildDir, xdsPort: X.xds2, adminPort: X.admin2 });
    await waitServeReady(X.admin2, serve2);
    // meshc bootstrap refuses the failing mesh too: the served mesh's bootstrap, with prober's node and the second server.
    const proberBootstrap = JSON.parse(await grpcBootstrap(meshPath, "shopper", "prober-1", X.xds2)) as { node: { id: string; cluster: string } };
    proberBootstrap.node.cluster = "prober";
    const prober = await startGoClient(procs, bin, "fails", JSON.stringify(proberBootstrap), "grpcgo-prober");
    const ok = await prober.run({ n: 5 });
    assert.deepEqual(ok, { counts: { v2: 5 }, errors: {} }, "the catch-all works");

    await row("queryMatch", async () => {
      assert.equal(CAPABILITIES.queryMatch.go.support, "fails");
      // The route with the query condition is dropped: its calls fall through to the next route (v1).
      const r = await prober.run({ n: 10, metadata: { "x-row": "query" } });
      assert.deepEqual(r, { counts: { v1: 10 }, errors: {} });
    });

    for (const [name, header] of [["redirect", "redirect"], ["directResponse", "direct"]] as const) {
      await row(name, async () => {
        assert.equal(CAPABILITIES[name].go.support, "fails");
        const r = await prober.run({ n: 5, metadata: { "x-row": header } });
        assert.deepEqual(r.counts, {});
        assert.equal(errorCount(r), 5);
        for (const e of Object.keys(r.errors)) assert.match(e, /^14 /, `UNAVAILABLE: ${e}`);
      });
    }

    assert.deepEqual([...rows].sort(), Object.keys(CAPABILITIES).sort(), "a subtest for every row of the capability table");

    // --- grpc-js-xds: ring hash on headers, and the rows it ignores (same scenarios, sequential calls).
    await t.test("grpc-js-xds rows", async (tj) => {
      const version = (JSON.parse(readFileSync(join(import.meta.dirname, "../../node_modules/@grpc/grpc-js-xds/package.json"), "utf8")) as { version: string }).version;
      assert.equal(GRPC_IMPLEMENTATIONS.js.version, version, "the capability table describes the installed grpc-js-xds");
      const bootstrap = await grpcBootstrap(meshPath, "shopper-js", "shopper-js-1", X.xds);
      const js = new LineProc();
      js.label = "xds-client-js";
      js.proc = procs.start({ name: "xds-client-js", ...tsxCommand(XDS_CLIENT, ["greeter"]), env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap }, stdin: true, onLine: (l) => js.push(l) });
      assert.deepEqual(await js.next(30_000), { ready: true });
      const run = (cmd: RunCommand) => js.send(JSON.stringify({ op: "run", ...cmd }), cmd.n * 6000 + 20_000) as Promise<RunResult>;
      const jsRows = new Set<string>();
      const jsRow = (name: keyof typeof CAPABILITIES, fn: () => Promise<void>) => {
        jsRows.add(name);
        return tj.test(`${name} (${CAPABILITIES[name].js.support} by grpc-js-xds)`, fn);
      };

      await jsRow("weightedSplit", async () => {
        assert.equal(CAPABILITIES.weightedSplit.js.support, "supported");
        // The mesh is at 20/80 since the edit (400 calls, within 4.5 sd).
        const r = await run({ n: N });
        assert.deepEqual(r.errors, {});
        assertProportion(r.counts.v2 ?? 0, N, 0.8, `20/80 split: ${JSON.stringify(r.counts)}`);
      });
      await jsRow("retryGrpcCodes", async () => {
        assert.equal(CAPABILITIES.retryGrpcCodes.js.support, "supported");
        await backends.reset();
        const r = await run({ n: 10, failFirst: 2, idPrefix: "jr", metadata: { "x-row": "retry" } });
        assert.deepEqual(r, { counts: { v1: 10 }, errors: {} }, "every call on the retrying route succeeds");
        const { attempts } = await backends.stats();
        for (let i = 0; i < 10; i++) assert.equal(attempts[`jr-${i}`], 3, `call jr-${i}: two UNAVAILABLE attempts, then success`);
      });

      await jsRow("ringHashHeader", async () => {
        assert.equal(CAPABILITIES.ringHashHeader.js.support, "supported");
        const seen = new Set<string>();
        for (let u = 0; u < 12; u++) {
          const r = await run({ target: "sticky", n: 6, metadata: { "x-user": `user-${u}` } });
          assert.deepEqual(r.errors, {});
          assert.equal(Object.keys(r.counts).length, 1, `user-${u}'s calls stick to one host: ${JSON.stringify(r.counts)}`);
          seen.add(Object.keys(r.counts)[0]!);
        }
        assert.equal(seen.size, 2, "different users land on different hosts");
      });
      await jsRow("retryHttpConditions", async () => {
        assert.equal(CAPABILITIES.retryHttpConditions.js.support, "ignored");
        await backends.reset();
        const r = await run({ n: 10, failFirst: 1, idPrefix: "jh", metadata: { "x-row": "retry-http" } });
        assert.equal(errorCount(r), 10, `5xx/reset retry no gRPC call: ${JSON.stringify(r)}`);
        const { attempts } = await backends.stats();
        for (let i = 0; i < 10; i++) assert.equal(attempts[`jh-${i}`], 1);
      });
      await jsRow("hashOtherKeys", async () => {
        assert.equal(CAPABILITIES.hashOtherKeys.js.support, "ignored");
        const r = await run({ target: "crumbs", n: 60, metadata: { cookie: "sid=same" } });
        assert.ok((r.counts.v1 ?? 0) > 0 && (r.counts.v2 ?? 0) > 0, `identical calls spread over both hosts: ${JSON.stringify(r)}`);
      });
      for (const [name, target] of [["leastRequest", "busy"], ["random", "rand"]] as const) {
        await jsRow(name, async () => {
          assert.equal(CAPABILITIES[name].js.support, "ignored");
          // Round robin: once both hosts are connected (warm-up), sequential calls alternate, exactly half each.
          await run({ target, n: 10 });
          const r = await run({ target, n: 40 });
          assert.deepEqual(r, { counts: { v1: 20, v2: 20 }, errors: {} });
        });
      }
      await jsRow("maglev", async () => {
        assert.equal(CAPABILITIES.maglev.js.support, "ignored");
        for (let u = 0; u < 6; u++) {
          const r = await run({ target: "mag", n: 6, metadata: { "x-user": `user-${u}` } });
          assert.equal(Object.keys(r.counts).length, 1, `user-${u}: ${JSON.stringify(r.counts)}`);
        }
      });
      await jsRow("mirror", async () => {
        assert.equal(CAPABILITIES.mirror.js.support, "ignored");
        await backends.reset();
        const r = await run({ n: 10, metadata: { "x-row": "mirror" } });
        assert.deepEqual(r, { counts: { v1: 10 }, errors: {} });
        assert.equal((await backends.stats()).calls[`127.0.0.1:${v2Port("greeter")}`] ?? 0, 0, "the mirror target gets nothing");
      });
      await jsRow("consecutiveErrors", async () => {
        assert.equal(CAPABILITIES.consecutiveErrors.js.support, "ignored");
        await untilFailingHostPicked((n) => run({ target: "flaky", n }));
        const r = await run({ target: "flaky", n: 40 });
        assert.ok(errorCount(r) >= 15, `the failing host keeps getting calls: ${JSON.stringify(r)}`);
      });
      await jsRow("healthCheck", async () => {
        assert.equal(CAPABILITIES.healthCheck.js.support, "ignored");
        const r = await run({ target: "hc", n: 20 });
        assert.deepEqual(r.errors, {});
      });
      await jsRow("routeRateLimit", async () => {
        assert.equal(CAPABILITIES.routeRateLimit.js.support, "ignored");
        const r = await run({ n: 15, metadata: { "x-row": "rate-limit" } });
        assert.deepEqual(r, { counts: { v1: 15 }, errors: {} });
      });
      assert.deepEqual([...jsRows, ...JS_FAILS_ROWS].sort(), Object.keys(CAPABILITIES).sort(), "every grpc-js-xds row here or in proxyless-js-fails.test.ts");
      js.proc.child.stdin!.write(`${JSON.stringify({ op: "exit" })}\n`);
    });
    for (const c of [client, prober]) c.proc.child.stdin!.write(`${JSON.stringify({ op: "exit" })}\n`);
  });
});
