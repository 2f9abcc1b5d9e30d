// The grpc-js-xds "fails" rows of the proxyless capability table (src/proxyless/capabilities.ts, issue 17) against
// the real @grpc/grpc-js-xds (test/apps/xds-client.ts in a child process) and real gRPC backends: a route matching on
// query parameters, a redirect route and a direct-response route. meshc refuses meshes with them for a grpc-js caller
// (MESH0421, checked here at their lines), so the test serves what the backend emits for them from build directories
// (the same translation, analysis skipped) and watches what the client does:
// - query match (its own mesh): grpc-js-xds drops the query condition, so the route takes calls Envoy would not send
//   there (gRPC paths carry no query string, so a sidecar never matches it);
// - redirect / direct response (a mesh of their own, since grpc-js-xds refuses the whole RouteConfiguration that
//   holds one): the client NACKs the upstream's route configuration; a client that had a good one keeps routing
//   with it (stale routes, a later edit never arrives), a client that never had one leaves every call to that
//   upstream waiting for name resolution until its deadline (DEADLINE_EXCEEDED); other upstreams (their own route
//   configurations) are not affected.
// Needs only Node (the grpc-go rows are in proxyless-go.test.ts). Ports 22500-22509.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { loadMesh } from "../../src/frontend/index.js";
import { CAPABILITIES } from "../../src/proxyless/capabilities.js";
import { startGrpcApp } from "../apps/grpc-app.js";
import { JS_FAILS_ROWS } from "./lib/capability-rows.js";
import { grpcBootstrap, LineProc, type RunCommand, type RunResult } from "./lib/grpc-go.js";
import { proxies, startServe, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, meshcCommand, tsxCommand } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const P = { xds: 22500, admin: 22501, fails: 22502, other: 22503, failsV1: 22504, failsV2: 22505, otherV1: 22506, prober: 22507 };
const XDS_CLIENT = fileURLToPath(new URL("../apps/xds-client.ts", import.meta.url));

/** A mesh whose `fails` upstream has the given routes; `other` is a plain upstream the prober also calls. */
function meshSource(routes: string[]): string {
  return `import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "js-fails", trustDomain: "js.example" }, (mesh) => {
  const fails = mesh.service("fails", {
    ports: { grpc: grpc(${P.fails}) },
    nonMesh: true,
    instances: [{ address: "127.0.0.1", port: ${P.failsV1}, labels: { version: "v1" } }, { address: "127.0.0.1", port: ${P.failsV2}, labels: { version: "v2" } }],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  const other = mesh.service("other", { ports: { grpc: grpc(${P.other}) }, nonMesh: true, instances: ["127.0.0.1:${P.otherV1}"] });
  mesh.routes(fails, (r) => [
    ${routes.join("\n    ")}
  ]);
  mesh.service("prober", { ports: { grpc: grpc(${P.prober}) }, instances: ["127.0.0.1:${P.prober}"], proxyless: { grpc: "js" }, calls: [fails, other] });
});
`;
}

const CATCH_ALL = "r.match().to(fails.subset(\"v2\")),";
/** Accepted for grpc-js: the bootstrap comes from it (meshc bootstrap refuses the failing meshes). */
const PLAIN = meshSource([CATCH_ALL]);
/** The query row alone. */
const QUERY = meshSource([
  'r.match({ headers: { "x-row": "query" }, query: { u: "1" } }).to(fails.subset("v2")),',
  'r.match({ headers: { "x-row": "query" } }).to(fails.subset("v1")),',
  CATCH_ALL,
]);
/** The redirect and direct-response rows. */
const ACTIONS = meshSource([
  'r.match({ headers: { "x-row": "redirect" } }).redirect({ path: "/elsewhere" }),',
  'r.match({ headers: { "x-row": "direct" } }).respond(200, "hello"),',
  'r.match({ headers: { "x-row": "query" } }).to(fails.subset("v1")),',
  CATCH_ALL,
]);

const errorCount = (r: RunResult) => Object.values(r.errors).reduce((a, b) => a + b, 0);

/** `meshc check --format json` on a mesh it must refuse: the lines of its MESH0421 findings, and their messages. */
async function mesh0421(path: string): Promise<{ line: number; message: string; severity: string }[]> {
  const c = meshcCommand(["check", path, "--format", "json"]);
  const out = await promisify(execFile)(c.cmd, c.args, { timeout: 120_000 }).then(
    () => assert.fail(`meshc check accepts ${path}, whose routes grpc-js-xds fails on`),
    (e: { stdout: string }) => e.stdout,
  );
  return (JSON.parse(out) as { code: string; line: number; message: string; severity: string }[]).filter((d) => d.code === "MESH0421");
}

/** What the Envoy backend emits for `path` (analysis skipped), written as a build directory `dir`. */
async function buildDir(path: string, dir: string): Promise<void> {
  const loaded = await loadMesh(path);
  assert.ok(loaded.ir, JSON.stringify(loaded.diagnostics));
  const translated = translateMesh(loaded.ir);
  assert.deepEqual(translated.issues, []);
  await writeBuildDir(dir, renderBuild("js-fails", translated.snapshot));
}

test("grpc-js-xds against the capability table's fails rows: query match, redirect, direct response", { timeout: 300_000 }, async (t) => {
  await inWorkspace(t, "meshc-e2e-jsfails-", async ({ dir, procs, closeLater }) => {
    await Promise.all([
      startGrpcApp({ service: "fails", version: "v1", port: P.failsV1 }).then(closeLater),
      startGrpcApp({ service: "fails", version: "v2", port: P.failsV2 }).then(closeLater),
      startGrpcApp({ service: "other", version: "v1", port: P.otherV1 }).then(closeLater),
    ]);
    const write = (name: string, src: string) => {
      const p = join(dir, name);
      writeFileSync(p, src);
      return p;
    };
    const plainPath = write("plain.ts", PLAIN);
    const queryPath = write("query.ts", QUERY);
    const actionsPath = write("actions.ts", ACTIONS);

    // meshc reports each row at its line, as an error naming grpc-js-xds and the table's effect.
    const lineOf = (src: string, needle: string) => src.split("\n").findIndex((l) => l.includes(needle)) + 1;
    const q = await mesh0421(queryPath);
    assert.deepEqual(q.map((d) => d.line), [lineOf(QUERY, 'query: { u: "1" }')], JSON.stringify(q));
    assert.equal(q[0]!.severity, "error");
    assert.ok(q[0]!.message.includes(`(grpc-js-xds `) && q[0]!.message.includes(CAPABILITIES.queryMatch.js.effect), q[0]!.message);
    const a = await mesh0421(actionsPath);
    assert.deepEqual(a.map((d) => d.line).sort(), [lineOf(ACTIONS, ".redirect("), lineOf(ACTIONS, ".respond(")].sort(), JSON.stringify(a));
    for (const d of a) assert.ok(d.message.includes(CAPABILITIES.redirect.js.effect), d.message);

    // Serve the query mesh's translation from a build directory that the server watches.
    const build = join(dir, "build");
    await buildDir(queryPath, build);
    const serve = startServe(procs, { mesh: build, xdsPort: P.xds, adminPort: P.admin });
    await waitServeReady(P.admin, serve);

    const startClient = async (instance: string) => {
      const c = new LineProc();
      c.label = `xds-client ${instance}`;
      c.proc = procs.start({
        name: `xds-client-${instance}`,
        ...tsxCommand(XDS_CLIENT, ["fails"]),
        env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: await grpcBootstrap(plainPath, "prober", instance, P.xds), XDS_CLIENT_DEADLINE_MS: "3000" },
        stdin: true,
        onLine: (l) => c.push(l),
      });
      assert.deepEqual(await c.next(30_000), { ready: true });
      return { c, run: (cmd: RunCommand) => c.send(JSON.stringify({ op: "run", ...cmd }), cmd.n * 6000 + 20_000) as Promise<RunResult> };
    };
    const first = await startClient("prober-1");
    assert.deepEqual(await first.run({ n: 4 }), { counts: { v2: 4 }, errors: {} }, "the catch-all works");
    await waitConverged(P.admin, { "prober-1": "prober" });

    const covered = new Set<string>();
    const row = (name: (typeof JS_FAILS_ROWS)[number], fn: () => Promise<void>) => {
      covered.add(name);
      return t.test(`${name} (${CAPABILITIES[name].js.support} by grpc-js-xds)`, fn);
    };

    await row("queryMatch", async () => {
      assert.equal(CAPABILITIES.queryMatch.js.support, "fails");
      // A sidecar never matches `u=1` on a gRPC call (no query string) and sends these to the next route (v1).
      // grpc-js-xds drops the condition: the query route takes them (v2).
      const r = await first.run({ n: 10, metadata: { "x-row": "query" } });
      assert.deepEqual(r, { counts: { v2: 10 }, errors: {} }, "the query route takes the calls a sidecar sends to the next route");
    });

    // The redirect and direct-response mesh replaces the query mesh in the served build directory.
    const before = (await proxies(P.admin)).find((p) => p.node.id === "prober-1")!;
    await buildDir(actionsPath, build);
    const nacked = await eventually(
      async () => {
        const p = (await proxies(P.admin)).find((x) => x.node.id === "prober-1");
        return p && p.nacks > before.nacks && p.lastNack?.type === "route" ? p : undefined;
      },
      "grpc-js-xds to NACK the route configuration holding a redirect and a direct response",
      60_000,
      200,
    );
    t.diagnostic(`grpc-js-xds NACK: ${nacked.lastNack!.message}`);

    for (const [name, action] of [["redirect", "redirect"], ["directResponse", "direct_response"]] as const) {
      await row(name, async () => {
        assert.equal(CAPABILITIES[name].js.support, "fails");
        // The NACK names the unsupported action: the whole RouteConfiguration is refused, not the one route.
        assert.match(nacked.lastNack!.message, new RegExp(`unsupported action: ${action}`));
        assert.equal(nacked.acked.route, before.acked.route, "the refused route configuration is not ACKed");

        // A client that had a good route configuration keeps it: its calls follow the old routes, so the edit's
        // other routes never apply (x-row=query still goes to v2, not to the new v1 route) and the redirect or
        // direct-response header just reaches the old catch-all.
        const header = name === "redirect" ? "redirect" : "direct";
        const stale = await first.run({ n: 5, metadata: { "x-row": header } });
        assert.deepEqual(stale, { counts: { v2: 5 }, errors: {} }, "stale routes: the old catch-all");
        const q2 = await first.run({ n: 5, metadata: { "x-row": "query" } });
        assert.deepEqual(q2, { counts: { v2: 5 }, errors: {} }, "stale routes: the edit's new route never applies");

        // A client that never had one gets no route for the upstream at all: every call to it (not only the
        // matching ones) waits for name resolution until its deadline (DEADLINE_EXCEEDED); another upstream, with
        // its own route configuration, is unaffected.
        const fresh = await startClient(`prober-${name}`);
        for (const md of [{ "x-row": header }, {}] as Record<string, string>[]) {
          const r = await fresh.run({ n: 2, metadata: md });
          assert.deepEqual(r.counts, {}, `calls to the upstream fail: ${JSON.stringify(r)}`);
          assert.equal(errorCount(r), 2);
          for (const e of Object.keys(r.errors)) assert.match(e, /^4 .*waiting for name resolution/, `DEADLINE_EXCEEDED before resolution: ${e}`);
        }
        assert.deepEqual(await fresh.run({ target: "other", n: 3 }), { counts: { v1: 3 }, errors: {} }, "another upstream still works");
        fresh.c.proc.child.stdin!.write(`${JSON.stringify({ op: "exit" })}\n`);
      });
    }

    assert.deepEqual([...covered].sort(), [...JS_FAILS_ROWS].sort(), "a subtest for each grpc-js-xds fails row");
    first.c.proc.child.stdin!.write(`${JSON.stringify({ op: "exit" })}\n`);
  });
});
