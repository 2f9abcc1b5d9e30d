// End-to-end, with a real Envoy sidecar (`meshc serve` + `meshc run`): locality failover names zones within their
// region and sub-zones within their zone. api has instances in eu/eu-a/rack1, eu/eu-a/rack2, us/a and ap/a, and
// `localityFailover: ["rack2", "rack1", "ap"]`; the caller (web) runs in us/a. Expected priorities: us/a (its own
// zone: zone "a" of region us, not ap's zone "a"), then rack2, rack1, then region ap. Before the fix, ap/a shared
// priority 0 with us/a (about half the requests left the region) and both racks shared one priority.
// The test counts which api backend answers: all up; then us/a failing (503s, ejected by outlier detection) goes
// to rack2 only; rack2 failing too goes to rack1; rack1 failing too goes to ap/a. api is nonMesh (plain apps).
// Ports 25000-25099.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { waitEnvoyReady } from "./lib/envoy-admin.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { countBackends as countVia, nameBackend as backend, type Counts } from "./lib/name-backend.js";
import { eventually } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const P = {
  xds: 25000,
  serveAdmin: 25001,
  api: { rack1: 25011, rack2: 25012, us: 25013, ap: 25014 },
  web: { inbound: 25020, app: 25021, admin: 25022, outbound: 25023 },
};

const MESH = `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "regions", trustDomain: "regions.example" }, (mesh) => {
  const api = mesh.service("api", {
    ports: { web: http(25010) },
    instances: [
      { address: "127.0.0.1", ports: { web: ${P.api.rack1} }, locality: { region: "eu", zone: "eu-a", subZone: "rack1" } },
      { address: "127.0.0.1", ports: { web: ${P.api.rack2} }, locality: { region: "eu", zone: "eu-a", subZone: "rack2" } },
      { address: "127.0.0.1", ports: { web: ${P.api.us} }, locality: { region: "us", zone: "a" } },
      { address: "127.0.0.1", ports: { web: ${P.api.ap} }, locality: { region: "ap", zone: "a" } },
    ],
    nonMesh: true,
  });
  mesh.policy(api, {
    localityFailover: ["rack2", "rack1", "ap"],
    // 503s eject a host for 60 s: the test's steps only ever add failing hosts.
    outlierDetection: { consecutive5xx: 2, interval: "500ms", baseEjection: "60s", maxEjectionPercent: 100 },
  });
  mesh.service("web", {
    ports: { web: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: [{ address: "127.0.0.1", locality: { region: "us", zone: "a" } }],
    calls: [api],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
});
`;

/** n requests to api through web's outbound listener. */
const countBackends = (n: number): Promise<Counts> => countVia(P.web.outbound, n);

/** Polls until 12 requests in a row all reach `name` (ejections take a moment), then counts 30 more. */
async function settleOn(name: string, what: string): Promise<Counts> {
  await eventually(
    async () => {
      const c = await countBackends(12);
      return Object.keys(c).every((k) => k === name) ? c : undefined;
    },
    what,
    60_000,
    200,
  );
  return countBackends(30);
}

test("e2e: locality failover stays in the caller's region and follows the listed sub-zones, then regions", { timeout: 240_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-e2e-failover-regions-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    const api = {
      rack1: closeLater(await backend("eu/eu-a/rack1", P.api.rack1)),
      rack2: closeLater(await backend("eu/eu-a/rack2", P.api.rack2)),
      us: closeLater(await backend("us/a", P.api.us)),
      ap: closeLater(await backend("ap/a", P.api.ap)),
    };
    closeLater(await backend("web-app", P.web.app));

    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.serveAdmin });
    await waitServeReady(P.serveAdmin, serve);
    const id = `127.0.0.1:${P.web.inbound}`;
    const web = startSidecar(procs, { mesh: meshPath, service: "web", instance: id, xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.web.admin, "sidecar web us/a", 60_000, web);
    await waitConverged(P.serveAdmin, { [id]: "web" });

    // All up: every request stays in us/a (ap/a is another region's zone "a").
    const all = await countBackends(40);
    t.diagnostic(`all up: ${JSON.stringify(all)}`);
    assert.deepEqual(all, { "us/a": 40 }, "the us/a caller stays in its own zone");

    // us/a fails: the next priority is sub-zone rack2 alone (not rack1, not ap/a).
    api.us.failing = true;
    const c1 = await settleOn("eu/eu-a/rack2", "us/a ejected: traffic to rack2");
    t.diagnostic(`us/a ejected: ${JSON.stringify(c1)}`);
    assert.deepEqual(c1, { "eu/eu-a/rack2": 30 });

    // rack2 fails too: rack1.
    api.rack2.failing = true;
    const c2 = await settleOn("eu/eu-a/rack1", "rack2 ejected too: traffic to rack1");
    t.diagnostic(`rack2 ejected too: ${JSON.stringify(c2)}`);
    assert.deepEqual(c2, { "eu/eu-a/rack1": 30 });

    // rack1 fails too: region ap.
    api.rack1.failing = true;
    const c3 = await settleOn("ap/a", "rack1 ejected too: traffic to ap");
    t.diagnostic(`rack1 ejected too: ${JSON.stringify(c3)}`);
    assert.deepEqual(c3, { "ap/a": 30 });
  });
});
