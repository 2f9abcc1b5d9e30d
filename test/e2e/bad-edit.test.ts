// End-to-end scenario 3 (R11 through the server): mesh.ts is edited with a type error while real Envoy sidecars
// are connected. Nothing is pushed (the server's ACKed versions, its push counter and Envoy's running config are
// unchanged); the serve log, /debug/diagnostics and meshc_compile_failures_total show the MESH0001 diagnostic with
// its file:line:col. Fixing the file pushes the new config, which Envoy ACKs and runs. Ports 19545-19588.
import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { test } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { envoyConfigVersions } from "./lib/envoy-admin.js";
import { getJson, send } from "./lib/http.js";
import { metric, proxies, snapshotVersions, waitConverged } from "./lib/meshc.js";
import { withMesh } from "./lib/harness.js";
import { eventually } from "./lib/procs.js";
import { meshSource, topology, TYPE_ERROR_TEXT } from "./lib/topology.js";

interface LastLoad {
  ok: boolean;
  at: string;
  source: string;
  diagnostics: { code: string; severity: string; message: string; file?: string; line?: number; column?: number }[];
}

test("e2e scenario 3: a type error in mesh.ts pushes nothing and is shown in logs, /debug/diagnostics and metrics; the fix is pushed", { timeout: 120_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const topo = topology(19545);
  await withMesh(t, { topo, knobs: { v1: 80 }, sidecars: ["web", "echo"], envoy }, async (m) => {
    const admin = topo.serveAdmin;
    const good = await getJson<LastLoad>(admin, "/debug/diagnostics");
    assert.equal(good.ok, true);
    const ackedBefore = await waitConverged(admin, m.nodes);
    const envoyBefore = await envoyConfigVersions(topo.web.admin);
    const pushesBefore = await metric(admin, "xds_pushes_total");
    assert.equal(await metric(admin, "meshc_compile_failures_total"), 0);

    // The broken edit also changes the split, so a push (if one happened) would show.
    m.writeMesh({ v1: 20, typeError: true });
    const failed = await eventually(async () => {
      const d = await getJson<LastLoad>(admin, "/debug/diagnostics");
      return d.at !== good.at && !d.ok ? d : undefined;
    }, "the broken edit to be loaded and refused", 30_000);
    const line = meshSource(topo, { v1: 20, typeError: true }).split("\n").findIndex((l) => l.includes(TYPE_ERROR_TEXT)) + 1;
    const column = meshSource(topo, { v1: 20, typeError: true }).split("\n")[line - 1]!.indexOf(TYPE_ERROR_TEXT) + 1;
    const d = failed.diagnostics.find((x) => x.code === "MESH0001");
    assert.ok(d, `a MESH0001 diagnostic: ${JSON.stringify(failed.diagnostics)}`);
    assert.equal(d.severity, "error");
    assert.equal(realpathSync(d.file!), realpathSync(m.meshPath));
    assert.equal(d.line, line);
    assert.equal(d.column, column, `the diagnostic points at ${TYPE_ERROR_TEXT}`);
    assert.match(d.message, /half a second/);
    assert.equal(await metric(admin, "meshc_compile_failures_total"), 1);
    await eventually(() => m.serve.tail(200).includes(`MESH0001`) && m.serve.tail(200).includes(`mesh.ts:${line}:${column}`), "the serve log to show MESH0001 at its location", 10_000);
    t.diagnostic(`refused: ${d.code} ${d.file}:${d.line}:${d.column} ${d.message.split("\n")[0]}`);

    // Nothing was pushed: the load is complete (it is recorded), and a push would have followed it at once.
    assert.equal(await metric(admin, "xds_pushes_total"), pushesBefore, "no xDS response sent");
    const streams = await proxies(admin);
    for (const [node, acked] of Object.entries(ackedBefore)) {
      const p = streams.find((x) => x.node.id === node)!;
      assert.deepEqual(p.acked, acked, `${node}: ACKed versions unchanged`);
      assert.deepEqual(p.pending, []);
    }
    assert.deepEqual(await envoyConfigVersions(topo.web.admin), envoyBefore, "web's Envoy runs the same config versions");
    const r = await send({ port: topo.web.outbound, host: "echo", path: "/" });
    assert.equal(r.status, 200, "the previous config keeps serving");

    // The fix: pushed, ACKed, running.
    m.writeMesh({ v1: 20 });
    const fixedRoute = await eventually(async () => {
      const v = (await snapshotVersions(admin, "web")).route;
      return v !== ackedBefore["web-1"]!.route ? v : undefined;
    }, "the fixed mesh.ts to be loaded", 30_000);
    const ackedAfter = await waitConverged(admin, m.nodes);
    assert.equal(ackedAfter["web-1"]!.route, fixedRoute, "the new route version is ACKed");
    const envoyAfter = await envoyConfigVersions(topo.web.admin);
    assert.equal(envoyAfter.routes[`outbound|${topo.web.outbound}|http`], fixedRoute, "web's Envoy runs the new route configuration");
    assert.equal((await getJson<LastLoad>(admin, "/debug/diagnostics")).ok, true);
    assert.equal(await metric(admin, "meshc_compile_failures_total"), 1, "the good load counts no failure");
  });
});
