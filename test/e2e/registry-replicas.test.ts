// End-to-end, issue 16 (replicas): three `meshc serve` processes on different addresses, given the same mesh and
// the same etcd, serve identical versions (content hashes) with no coordination. Two real Envoys are bootstrapped
// with all three (`meshc run --xds a,b,c`); the callee's sidecar also registers its instance (`meshc run
// --register`). While traffic runs, the replica each Envoy is connected to is SIGKILLed: no request fails, each
// Envoy reconnects to a surviving replica, which reports the same ACKed versions, and Envoy's own config versions
// do not change (moving between replicas in the same state is no config change). Ports 20200-20249.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { requireEtcd, startEtcd } from "../helpers/etcd.js";
import { envoyConfigVersions, waitEnvoyReady } from "./lib/envoy-admin.js";
import { send, tally, trafficLoop } from "./lib/http.js";
import { proxies, snapshotVersions, startServe, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, meshcCommand, sleep, type Proc } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const P = {
  etcd: 20201,
  etcdPeer: 20202,
  replicas: [
    { xds: 20203, admin: 20204 },
    { xds: 20213, admin: 20214 },
    { xds: 20223, admin: 20224 },
  ],
  web: { inbound: 20230, app: 20231, admin: 20232, outbound: 20233 },
  catalog: { inbound: 20240, app: 20241, admin: 20242, outbound: 20243 },
};

const MESH = `import { defineMesh, etcd, http, registry } from "meshc";

export default defineMesh({ name: "rep", trustDomain: "rep.example", discovery: etcd({ endpoints: ["http://127.0.0.1:${P.etcd}"], prefix: "/meshc/rep" }) }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(${P.catalog.inbound}, { app: ${P.catalog.app} }) },
    instances: registry({ key: "catalog" }),
    sidecar: { adminPort: ${P.catalog.admin}, outboundPort: ${P.catalog.outbound}, inboundAddress: "127.0.0.1" },
  });
  mesh.service("web", {
    ports: { http: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: [{ address: "127.0.0.1" }],
    calls: [catalog],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
});
`;

test("e2e: three meshc serve replicas serve the same versions; Envoys fail over between them without a failed request", { timeout: 420_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const etcdBin = requireEtcd(t);
  if (!etcdBin) return;
  await inWorkspace(t, "meshc-e2e-replicas-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    await startEtcd(procs, etcdBin, { dir, clientPort: P.etcd, peerPort: P.etcdPeer });
    closeLater(await startHttpApp({ service: "catalog", version: "v1", port: P.catalog.app }));

    const replicas = P.replicas.map((r, i) =>
      startServe(procs, { mesh: meshPath, xdsPort: r.xds, adminPort: r.admin, name: `serve-${i}`, extraArgs: ["--state-dir", join(dir, `state-${i}`)] }),
    );
    for (const [i, r] of P.replicas.entries()) await waitServeReady(r.admin, replicas[i], 120_000);
    const xdsList = P.replicas.map((r) => `127.0.0.1:${r.xds}`).join(",");
    const sidecar = (service: string, instance: string, extra: string[] = []): Proc =>
      procs.start({
        name: `envoy-${instance}`,
        ...meshcCommand(["run", meshPath, "--service", service, "--instance", instance, "--xds", xdsList, ...extra, "--", "--concurrency", "1", "--log-level", "info"]),
      });
    const envoys = {
      web: sidecar("web", "web-1"),
      catalog: sidecar("catalog", "catalog-1", ["--register", "--address", "127.0.0.1", "--ttl", "5s"]),
    };
    await Promise.all([
      waitEnvoyReady(P.web.admin, "sidecar web", 90_000, envoys.web),
      waitEnvoyReady(P.catalog.admin, "sidecar catalog", 90_000, envoys.catalog),
    ]);

    const call = (i: number) => send({ port: P.web.outbound, host: "catalog", path: `/x${i}`, timeoutMs: 10_000 });
    await eventually(async () => (await call(0)).status === 200, "web -> catalog through both sidecars (catalog registered by meshc run --register)", 90_000, 500);

    // Same sources, no coordination: the same versions on every replica.
    const versionsOn = async (admin: number) => ({ web: await snapshotVersions(admin, "web"), catalog: await snapshotVersions(admin, "catalog") });
    const same = await eventually(async () => {
      const all = await Promise.all(P.replicas.map((r) => versionsOn(r.admin)));
      return all.every((v) => JSON.stringify(v) === JSON.stringify(all[0])) && all[0]!.web.endpoint !== "" ? all[0] : undefined;
    }, "all replicas to serve the same versions", 60_000, 250);
    t.diagnostic(`versions on all 3 replicas: ${JSON.stringify(same)}`);

    const where = async (): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const [i, r] of P.replicas.entries()) {
        if (!replicas[i]!.running) continue;
        for (const p of await proxies(r.admin).catch(() => [])) out[p.node.id] = i;
      }
      return out;
    };
    const before = await eventually(async () => {
      const w = await where();
      return w["web-1"] !== undefined && w["catalog-1"] !== undefined ? w : undefined;
    }, "both Envoys connected", 60_000, 250);
    await waitConverged(P.replicas[before["web-1"]!]!.admin, { "web-1": "web" }, 60_000);
    await waitConverged(P.replicas[before["catalog-1"]!]!.admin, { "catalog-1": "catalog" }, 60_000);
    const envoyBefore = { web: await envoyConfigVersions(P.web.admin), catalog: await envoyConfigVersions(P.catalog.admin) };

    const loop = trafficLoop((i) => ({ port: P.web.outbound, host: "catalog", path: `/f${i}`, timeoutMs: 10_000 }), 2, 20);
    await sleep(1000);
    const killed = [...new Set([before["web-1"]!, before["catalog-1"]!])];
    for (const i of killed) replicas[i]!.signal("SIGKILL");
    t.diagnostic(`web-1 was on replica ${before["web-1"]}, catalog-1 on replica ${before["catalog-1"]}; killed ${killed.join(", ")}`);

    const after = await eventually(async () => {
      const w = await where();
      return w["web-1"] !== undefined && w["catalog-1"] !== undefined && !killed.includes(w["web-1"]!) && !killed.includes(w["catalog-1"]!) ? w : undefined;
    }, "both Envoys to reconnect to a surviving replica", 90_000, 250);
    const acked = {
      ...(await waitConverged(P.replicas[after["web-1"]!]!.admin, { "web-1": "web" }, 60_000)),
      ...(await waitConverged(P.replicas[after["catalog-1"]!]!.admin, { "catalog-1": "catalog" }, 60_000)),
    };
    await sleep(2000);
    const replies = tally(await loop.stop());
    t.diagnostic(`failover: ${replies.total} requests, ${replies.failed} failed; now web-1 on replica ${after["web-1"]}, catalog-1 on replica ${after["catalog-1"]}`);
    assert.equal(replies.failed, 0, `no request fails while the replicas go away: ${JSON.stringify(replies.byStatus)}`);
    assert.ok(replies.total > 20);
    const nonEmpty = (v: Record<string, string>) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== ""));
    assert.deepEqual(acked["web-1"], nonEmpty(same.web), "web-1 ACKed the same versions on the new replica");
    assert.deepEqual(acked["catalog-1"], nonEmpty(same.catalog), "catalog-1 ACKed the same versions on the new replica");
    assert.deepEqual(await envoyConfigVersions(P.web.admin), envoyBefore.web, "web's Envoy config versions did not change");
    assert.deepEqual(await envoyConfigVersions(P.catalog.admin), envoyBefore.catalog, "catalog's Envoy config versions did not change");
  });
});
