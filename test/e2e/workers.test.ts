// `meshc serve --workers 2 --ca` with real Envoy sidecars (ports 18700-18729 on 127.0.0.1): ADS over TLS with
// client certificates is served by worker processes sharing the xDS port; both sidecars (web on SotW, echo on
// Delta) get their configuration and route web -> echo through mTLS; /debug/proxies says which worker holds each
// stream; an edit of mesh.ts (hot reload, compiled in the primary) reaches both Envoys; no private key reaches the
// log; SIGTERM drains every worker (Envoy sees its control-plane connection end), the process exits 0, the worker
// processes are gone, and the Envoys keep serving traffic on their last configuration.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { initCa } from "../../src/pki/ca-dir.js";
import { startHttpApp, type HttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { getJson, send } from "./lib/http.js";
import { proxies, snapshotVersions, startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, Procs } from "./lib/procs.js";
import { webEchoMesh } from "./lib/web-echo-mesh.js";
import { alive } from "../helpers/workers.js";

const B = 18700;
const P = {
  xds: B, admin: B + 1,
  web: { inbound: B + 10, app: B + 11, admin: B + 12, outbound: B + 13 },
  echo: { inbound: B + 20, app: B + 21, admin: B + 22, outbound: B + 23 },
};

function meshSource(echoTimeout: string): string {
  return webEchoMesh(P, `{ name: "workers", trustDomain: "workers.example", mtls: "strict" }`, `mesh.policy(echo, { connectTimeout: "${echoTimeout}" });`);
}

test("e2e meshc serve --workers 2 --ca: Envoy served over TLS by workers, hot reload, SIGTERM drains", { timeout: 300_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const dir = mkdtempSync(join(tmpdir(), "meshc-workers-e2e-"));
  const procs = new Procs(dir);
  const apps: HttpApp[] = [];
  let failed = true;
  t.after(async () => {
    await procs.stopAll();
    await Promise.all(apps.map((a) => a.close()));
    if (!failed) rmSync(dir, { recursive: true, force: true });
  });
  try {
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: "workers.example" });
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, meshSource("1s"));
    apps.push(await startHttpApp({ service: "echo", version: "v1", port: P.echo.app }));

    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin, extraArgs: ["--ca", caDir, "--workers", "2", "--shutdown-grace", "2s", "--no-state"] });
    await waitServeReady(P.admin, serve, 120_000);
    const ready = await eventually(async () => {
      const r = await getJson<{ workers?: { pid: number; listening: boolean; current: boolean }[] }>(P.admin, "/readyz");
      return r.workers?.length === 2 && r.workers.every((w) => w.listening && w.current) ? r.workers : undefined;
    }, "two workers listening with the snapshot", 120_000, 200);
    const workerPids = ready.map((w) => w.pid);

    const sidecars = {
      web: startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy, runArgs: ["--ca", caDir] }),
      echo: startSidecar(procs, { mesh: meshPath, service: "echo", instance: "echo-1", xdsPort: P.xds, envoy, delta: true, runArgs: ["--ca", caDir] }),
    };
    await waitEnvoyReady(P.web.admin, "sidecar web", 90_000, sidecars.web);
    await waitEnvoyReady(P.echo.admin, "sidecar echo", 90_000, sidecars.echo);
    const before = await waitConverged(P.admin, { "web-1": "web", "echo-1": "echo" }, 60_000);
    const call = () => eventually(async () => {
      const r = await send({ port: P.web.outbound, path: "/hello", host: "echo", timeoutMs: 10_000 });
      return r.status === 200 ? r : undefined;
    }, "web -> echo through the sidecars", 30_000, 300);
    assert.equal((await call()).status, 200);
    const rows = (await proxies(P.admin)) as unknown as { node: { id: string }; worker?: number }[];
    for (const r of rows) assert.ok(r.worker === 1 || r.worker === 2, `${r.node.id} is held by a worker: ${JSON.stringify(r)}`);

    // Hot reload: echo's connect timeout changes its cluster, which web's CDS holds.
    const webBefore = await snapshotVersions(P.admin, "web");
    writeFileSync(meshPath, meshSource("2s"));
    await eventually(async () => (await snapshotVersions(P.admin, "web")).cluster !== webBefore.cluster, "the edit compiled and published", 120_000, 200);
    const after = await waitConverged(P.admin, { "web-1": "web", "echo-1": "echo" }, 60_000);
    assert.notEqual(after["web-1"]!.cluster, before["web-1"]!.cluster, "web's Envoy ACKed the new clusters");
    assert.equal((await call()).status, 200);
    assert.doesNotMatch(serve.tail(5000), /PRIVATE KEY/, "no key in the log");

    // SIGTERM (to the process group, as a terminal or the test's process manager sends it): drain, exit 0.
    const started = performance.now();
    serve.signal("SIGTERM");
    const exit = await Promise.race([serve.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 30_000))]);
    assert.notEqual(exit, "hung", `meshc serve --workers 2 did not exit within 30 s of SIGTERM:\n${serve.tail(40)}`);
    assert.deepEqual(exit, { code: 0, signal: null }, serve.tail(40));
    assert.ok(performance.now() - started < 15_000, "exit within the grace and some");
    assert.match(serve.tail(40), /xDS workers stopped/);
    assert.ok(workerPids.every((p) => !alive(p)), "no worker process is left");
    await eventually(async () => (await envoyStats(P.web.admin, "control_plane.connected_state"))["control_plane.connected_state"] === 0, "web's Envoy saw the control plane go", 30_000, 200);
    assert.equal((await call()).status, 200, "Envoy keeps serving on its last configuration");
    failed = false;
  } catch (e) {
    (e as Error).message += `\n\nprocess logs (kept in ${dir}):\n${procs.tails()}`;
    throw e;
  }
});
