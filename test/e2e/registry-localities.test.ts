// End-to-end: locality-aware routing for a service whose instances come from a registry (real etcd, real Envoy).
// web's instances are not in the mesh: `meshc run --register --locality r1/zone-b` registers the sidecar's
// instance in etcd and writes the same locality into its bootstrap (node.locality). api, web's upstream, has one
// instance per zone and `localityFailover: ["zone-a", "zone-b"]`. The compiler cannot know web's localities, so
// before `meshc serve` derived locality variants from the registry entries, this zone-b proxy got web's default
// snapshot and sent every request to zone-a; now it gets `locality:r1,zone-b` and prefers its own zone.
// Ports 20270-20289.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Etcd3 } from "etcd3";
import { requireEnvoy } from "../helpers/envoy.js";
import { requireEtcd, startEtcd } from "../helpers/etcd.js";
import { waitEnvoyReady } from "./lib/envoy-admin.js";
import { send } from "./lib/http.js";
import { proxies, startServe, startSidecar, waitServeReady } from "./lib/meshc.js";
import { eventually } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";
import { nameBackend } from "./lib/name-backend.js";

const P = { etcd: 20271, etcdPeer: 20272, xds: 20273, serveAdmin: 20274, apiA: 20281, apiB: 20282, web: { inbound: 20275, app: 20276, admin: 20277, outbound: 20278 } };
const PREFIX = "/meshc/e2e-loc";

const MESH = `import { defineMesh, etcd, http, registry } from "meshc";

export default defineMesh({ name: "regzones", trustDomain: "regzones.example", discovery: etcd({ endpoints: ["http://127.0.0.1:${P.etcd}"], prefix: "${PREFIX}" }) }, (mesh) => {
  const api = mesh.service("api", {
    ports: { web: http(20280) },
    instances: [
      { address: "127.0.0.1", ports: { web: ${P.apiA} }, locality: { region: "r1", zone: "zone-a" } },
      { address: "127.0.0.1", ports: { web: ${P.apiB} }, locality: { region: "r1", zone: "zone-b" } },
    ],
    nonMesh: true,
  });
  mesh.policy(api, { localityFailover: ["zone-a", "zone-b"] });
  mesh.service("web", {
    ports: { web: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: registry({ key: "web" }),
    calls: [api],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
});
`;

test("e2e: a registry-backed service's sidecar in zone-b prefers zone-b's endpoints (locality variant from its registry entry)", { timeout: 300_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const etcdBin = requireEtcd(t);
  if (!etcdBin) return;
  await inWorkspace(t, "meshc-e2e-registry-localities-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    for (const [name, port] of [["api-zone-a", P.apiA], ["api-zone-b", P.apiB]] as const) {
      closeLater(await nameBackend(name, port));
    }
    const etcdServer = await startEtcd(procs, etcdBin, { dir, clientPort: P.etcd, peerPort: P.etcdPeer });
    const client = new Etcd3({ hosts: etcdServer.url });
    closeLater({ close: async () => client.close() });

    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.serveAdmin, extraArgs: ["--state-dir", join(dir, "state")] });
    await waitServeReady(P.serveAdmin, serve, 90_000);
    const web = startSidecar(procs, {
      mesh: meshPath,
      service: "web",
      instance: "web-b",
      xdsPort: P.xds,
      envoy,
      runArgs: ["--register", "--address", "127.0.0.1", "--port", String(P.web.inbound), "--locality", "r1/zone-b", "--id", "web-b", "--ttl", "5s"],
    });
    await waitEnvoyReady(P.web.admin, "sidecar web (zone-b)", 90_000, web);
    await eventually(async () => (await client.getAll().prefix(`${PREFIX}/services/web/`).keys()).length === 1, "web-b registered", 60_000, 250);

    // The server derives web's zone-b variant from the entry; the proxy is bound to it.
    const bound = await eventually(async () => {
      const list = await proxies(P.serveAdmin);
      const p = list.find((x) => x.node.id === "web-b");
      return p?.variant === "locality:r1,zone-b" && p.acked.endpoint !== undefined && p.pending.length === 0 ? p : undefined;
    }, "web-b served and ACKed its locality variant", 60_000, 250);
    t.diagnostic(`web-b: variant ${bound.variant}, EDS ${bound.acked.endpoint}`);

    // Every request goes to the zone-b endpoint (priority 0 for a zone-b caller); zone-a only by failover.
    const counts: Record<string, number> = {};
    await eventually(async () => {
      for (const k of Object.keys(counts)) delete counts[k];
      for (let i = 0; i < 20; i++) {
        const r = await send({ port: P.web.outbound, host: "api", path: `/r${i}`, timeoutMs: 10_000 });
        const key = r.status === 200 ? r.body : String(r.status);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts["api-zone-b"] === 20 ? counts : undefined;
    }, "20 requests in a row from the zone-b caller to reach api-zone-b", 60_000, 500);
    assert.deepEqual(counts, { "api-zone-b": 20 });
  });
});
