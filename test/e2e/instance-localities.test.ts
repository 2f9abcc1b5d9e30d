// End-to-end, issue 13 items 1 and 7, with real Envoy sidecars (`meshc serve` + `meshc run`):
//  - two instances of one service (web) on 127.0.0.1, each with its own sidecar ports (instances[].sidecar), both
//    serving traffic: inbound to their own app, outbound to their upstream;
//  - per-locality EDS: web's instance in zone-a prefers api's zone-a endpoints, the one in zone-b api's zone-b
//    endpoints (api's localityFailover lists zone-a first, so a per-service snapshot would send both to zone-a);
//    each fails over to the other zone when its own zone's endpoints are ejected (503s, outlier detection) or down
//    (closed: connect failures). Requests are counted per api backend;
//  - a sidecar of another caller (batch, instances in both zones, no ports of their own) gets the shared
//    locality:<region>,<zone> snapshot of its node.locality, and one whose locality batch does not declare gets the
//    default snapshot, counted in meshc_xds_locality_fallback_total;
//  - `meshc proxy-config <service> --envoy <admin> --compare` compares each of these Envoys with the variant the
//    server picked for its node (comparing with the service's default snapshot reported false differences).
// api is nonMesh (plain apps, no sidecar). Ports 17050-17399.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { waitEnvoyReady } from "./lib/envoy-admin.js";
import { getText, send } from "./lib/http.js";
import { proxies, startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { spawnSync } from "node:child_process";
import { eventually, meshcCommand } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";
import { countBackends, nameBackend as backend, type Counts } from "./lib/name-backend.js";

const P = {
  xds: 17050,
  serveAdmin: 17051,
  api: { a1: 17201, a2: 17202, b1: 17203, b2: 17204 },
  webA: { inbound: 17101, app: 17111, admin: 17121, outbound: 17131 },
  webB: { inbound: 17102, app: 17112, admin: 17122, outbound: 17132 },
  batch: { inbound: 17300, app: 17310, admin: 17320, outbound: 17330 },
};

const MESH = `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "zones", trustDomain: "zones.example" }, (mesh) => {
  const api = mesh.service("api", {
    ports: { web: http(17200) },
    instances: [
      { address: "127.0.0.1", ports: { web: ${P.api.a1} }, locality: { region: "r1", zone: "zone-a" } },
      { address: "127.0.0.1", ports: { web: ${P.api.a2} }, locality: { region: "r1", zone: "zone-a" } },
      { address: "127.0.0.1", ports: { web: ${P.api.b1} }, locality: { region: "r1", zone: "zone-b" } },
      { address: "127.0.0.1", ports: { web: ${P.api.b2} }, locality: { region: "r1", zone: "zone-b" } },
    ],
    nonMesh: true,
  });
  mesh.policy(api, {
    localityFailover: ["zone-a", "zone-b"],
    // 503s eject a host for 10 s (long enough to measure); a host that is down fails its health check.
    outlierDetection: { consecutive5xx: 2, interval: "500ms", baseEjection: "10s", maxEjectionPercent: 100 },
    // Two failed checks in a row before a host is out: a loaded CI machine times out a single 400 ms check now and
    // then, and since checks run at this interval with no traffic too, one miss would take a host out of its zone.
    healthCheck: { http: "/healthz", interval: "500ms", timeout: "400ms", healthy: 1, unhealthy: 2 },
  });
  mesh.service("web", {
    ports: { web: http(17100, { app: 17110 }) },
    instances: [
      { address: "127.0.0.1", ports: { web: ${P.webA.inbound} }, locality: { region: "r1", zone: "zone-a" },
        sidecar: { adminPort: ${P.webA.admin}, outboundPort: ${P.webA.outbound}, app: { web: ${P.webA.app} } } },
      { address: "127.0.0.1", ports: { web: ${P.webB.inbound} }, locality: { region: "r1", zone: "zone-b" },
        sidecar: { adminPort: ${P.webB.admin}, outboundPort: ${P.webB.outbound}, app: { web: ${P.webB.app} } } },
    ],
    calls: [api],
    sidecar: { adminPort: 17120, outboundPort: 17130, inboundAddress: "127.0.0.1" },
  });
  mesh.service("batch", {
    ports: { web: http(${P.batch.inbound}, { app: ${P.batch.app} }) },
    instances: [
      { address: "10.0.0.1", locality: { region: "r1", zone: "zone-a" } },
      { address: "10.0.0.2", locality: { region: "r1", zone: "zone-b" } },
    ],
    calls: [api],
    sidecar: { adminPort: ${P.batch.admin}, outboundPort: ${P.batch.outbound}, inboundAddress: "127.0.0.1" },
  });
});
`;

/** `meshc proxy-config <service> --envoy <its admin> --compare`: exit status and output. */
function compareWithServer(service: string, envoyAdmin: number): { status: number | null; out: string } {
  const c = meshcCommand(["proxy-config", service, "--envoy", `http://127.0.0.1:${envoyAdmin}`, "--compare", "--admin", `http://127.0.0.1:${P.serveAdmin}`]);
  const r = spawnSync(c.cmd, c.args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const only = (c: Counts, names: string[]) => Object.keys(c).every((k) => names.includes(k));
const sum = (c: Counts) => Object.values(c).reduce((a, b) => a + b, 0);

/** Polls until n requests in a row all reach one of `names` (outlier ejections and recoveries take a moment). */
async function settle(outbound: number, names: string[], what: string): Promise<Counts> {
  return eventually(
    async () => {
      const c = await countBackends(outbound, 12);
      return only(c, names) ? c : undefined;
    },
    what,
    60_000,
    200,
  );
}

test("e2e: instances with their own sidecar ports; per-locality EDS priorities and failover", { timeout: 300_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-e2e-localities-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    const api = {
      a1: closeLater(await backend("a1", P.api.a1)),
      a2: closeLater(await backend("a2", P.api.a2)),
      b1: closeLater(await backend("b1", P.api.b1)),
      b2: closeLater(await backend("b2", P.api.b2)),
    };
    closeLater(await backend("web-app-a", P.webA.app));
    closeLater(await backend("web-app-b", P.webB.app));

    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.serveAdmin });
    await waitServeReady(P.serveAdmin, serve);
    const idA = `127.0.0.1:${P.webA.inbound}`;
    const idB = `127.0.0.1:${P.webB.inbound}`;
    // `meshc run --instance <id>` writes the instance's own admin port and its locality into the bootstrap.
    const webA = startSidecar(procs, { mesh: meshPath, service: "web", instance: idA, xdsPort: P.xds, envoy });
    const webB = startSidecar(procs, { mesh: meshPath, service: "web", instance: idB, xdsPort: P.xds, envoy });
    await Promise.all([waitEnvoyReady(P.webA.admin, "sidecar web zone-a", 60_000, webA), waitEnvoyReady(P.webB.admin, "sidecar web zone-b", 60_000, webB)]);
    await waitConverged(P.serveAdmin, { [idA]: "web", [idB]: "web" });
    const bound = await proxies(P.serveAdmin);
    assert.deepEqual(
      bound.map((p) => [p.node.id, p.variant]).sort(),
      [
        [idA, `instance:${encodeURIComponent(idA)}`],
        [idB, `instance:${encodeURIComponent(idB)}`],
      ],
      "each web instance is served its own instance variant",
    );
    for (const [admin, id] of [
      [P.webA.admin, idA],
      [P.webB.admin, idB],
    ] as const) {
      const cmp = compareWithServer("web", admin);
      assert.equal(cmp.status, 0, `proxy-config --compare of ${id}'s Envoy finds no difference:\n${cmp.out}`);
      assert.ok(cmp.out.includes(`variant instance:${encodeURIComponent(id)}`), cmp.out);
    }

    // Item 7: both instances serve inbound traffic, each to its own app, on one host.
    for (const [port, app] of [
      [P.webA.inbound, "web-app-a"],
      [P.webB.inbound, "web-app-b"],
    ] as const) {
      const r = await send({ port, host: "web", path: "/", timeoutMs: 10_000 });
      assert.equal(r.status, 200, `inbound :${port}: ${r.status} ${r.body}`);
      assert.equal(r.body, app, `inbound :${port} reaches its own app`);
    }

    // Item 1: each caller instance prefers its own zone's endpoints (priority 0), using both of them. Hosts start
    // unhealthy until their first health check passes, so wait for both zones' checks first.
    await settle(P.webA.outbound, ["a1", "a2"], "the zone-a caller's first health checks to pass");
    await settle(P.webB.outbound, ["b1", "b2"], "the zone-b caller's first health checks to pass");
    const a0 = await countBackends(P.webA.outbound, 40);
    const b0 = await countBackends(P.webB.outbound, 40);
    t.diagnostic(`all up: zone-a caller ${JSON.stringify(a0)}, zone-b caller ${JSON.stringify(b0)}`);
    assert.ok(only(a0, ["a1", "a2"]) && a0.a1! > 0 && a0.a2! > 0, `zone-a caller stays in zone-a: ${JSON.stringify(a0)}`);
    assert.ok(only(b0, ["b1", "b2"]) && b0.b1! > 0 && b0.b2! > 0, `zone-b caller stays in zone-b: ${JSON.stringify(b0)}`);

    // Locality variants shared per locality: batch's instances span zones and have no ports of their own. Its
    // zone-b proxy (node id of the zone-b instance) gets locality:r1,zone-b, whose priority 0 is zone-b (a
    // per-service snapshot would spread over both zones).
    const batchB = startSidecar(procs, { mesh: meshPath, service: "batch", instance: `10.0.0.2:${P.batch.inbound}`, xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.batch.admin, "sidecar batch zone-b", 60_000, batchB);
    await waitConverged(P.serveAdmin, { [`10.0.0.2:${P.batch.inbound}`]: "batch" });
    const batchStatus = (await proxies(P.serveAdmin)).find((p) => p.service === "batch");
    assert.equal(batchStatus?.variant, "locality:r1,zone-b");
    const batchCmp = compareWithServer("batch", P.batch.admin);
    assert.equal(batchCmp.status, 0, `proxy-config --compare of batch's zone-b Envoy finds no difference:\n${batchCmp.out}`);
    assert.ok(batchCmp.out.includes("variant locality:r1,zone-b"), batchCmp.out);
    await settle(P.batch.outbound, ["b1", "b2"], "the zone-b batch proxy to prefer zone-b");
    const bb0 = await countBackends(P.batch.outbound, 30);
    t.diagnostic(`batch zone-b proxy, all up: ${JSON.stringify(bb0)}`);
    assert.ok(only(bb0, ["b1", "b2"]) && sum(bb0) === 30, `batch zone-b proxy prefers zone-b: ${JSON.stringify(bb0)}`);

    // Zone-a's endpoints answer 503: outlier detection ejects them and the zone-a caller fails over to zone-b.
    api.a1.failing = true;
    api.a2.failing = true;
    await settle(P.webA.outbound, ["b1", "b2"], "the zone-a caller to fail over to zone-b after zone-a's endpoints are ejected");
    const a1 = await countBackends(P.webA.outbound, 30);
    const b1 = await countBackends(P.webB.outbound, 30);
    t.diagnostic(`zone-a ejected: zone-a caller ${JSON.stringify(a1)}, zone-b caller ${JSON.stringify(b1)}`);
    assert.ok(only(a1, ["b1", "b2"]) && sum(a1) === 30, `zone-a caller now goes to zone-b: ${JSON.stringify(a1)}`);
    assert.ok(only(b1, ["b1", "b2"]), `zone-b caller is unaffected: ${JSON.stringify(b1)}`);

    // Zone-a recovers: once its endpoints' ejection ends, the zone-a caller returns home.
    api.a1.failing = false;
    api.a2.failing = false;
    await settle(P.webA.outbound, ["a1", "a2"], "the zone-a caller to return to zone-a");
    // Zone-b goes down (connections refused, health checks fail): the zone-b caller fails over to zone-a.
    await Promise.all([api.b1.close(), api.b2.close()]);
    await settle(P.webB.outbound, ["a1", "a2"], "the zone-b caller to fail over to zone-a after zone-b's endpoints went down");
    const a2 = await countBackends(P.webA.outbound, 30);
    const b2 = await countBackends(P.webB.outbound, 30);
    t.diagnostic(`zone-b down: zone-a caller ${JSON.stringify(a2)}, zone-b caller ${JSON.stringify(b2)}`);
    assert.ok(only(a2, ["a1", "a2"]) && sum(a2) === 30, `zone-a caller back in zone-a: ${JSON.stringify(a2)}`);
    assert.ok(only(b2, ["a1", "a2"]) && sum(b2) === 30, `zone-b caller now goes to zone-a: ${JSON.stringify(b2)}`);
    // The batch zone-b proxy too: zone-a (its priority 1) takes the traffic.
    await settle(P.batch.outbound, ["a1", "a2"], "the zone-b batch proxy to fail over to zone-a");
    const bb = await countBackends(P.batch.outbound, 20);
    assert.ok(only(bb, ["a1", "a2"]), `batch zone-b proxy fails over to zone-a: ${JSON.stringify(bb)}`);

    // Zone-b back up (the default snapshot below spreads over both zones).
    api.b1 = closeLater(await backend("b1", P.api.b1));
    api.b2 = closeLater(await backend("b2", P.api.b2));
    await batchB.stop();

    // A proxy whose locality batch does not declare (an instance id meshc does not know: the locality all batch
    // instances share, region r1 alone) gets batch's default snapshot, logged and counted.
    const other = startSidecar(procs, { mesh: meshPath, service: "batch", instance: "batch-elsewhere", xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.batch.admin, "sidecar batch elsewhere", 60_000, other);
    await waitConverged(P.serveAdmin, { "batch-elsewhere": "batch" });
    const otherStatus = (await proxies(P.serveAdmin)).find((p) => p.node.id === "batch-elsewhere");
    assert.equal(otherStatus?.variant, undefined, "an undeclared locality gets the default snapshot");
    const metrics = await getText(P.serveAdmin, "/metrics");
    assert.match(metrics, /meshc_xds_locality_fallback_total\{service="batch"\} 1/);
    // The default spreads over the region (both zones share r1): traffic reaches both zones.
    const spread = await eventually(
      async () => {
        const c = await countBackends(P.batch.outbound, 40);
        return c.a1 || c.a2 ? (c.b1 || c.b2 ? c : undefined) : undefined;
      },
      "the default snapshot to reach both zones",
      60_000,
      200,
    );
    t.diagnostic(`batch proxy of an undeclared locality (default snapshot): ${JSON.stringify(spread)}`);
  });
});
