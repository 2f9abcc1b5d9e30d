// End-to-end, issue 18 section 1: a two-port service behind a real Envoy sidecar, called on both ports through a
// caller's real Envoy sidecar (`meshc serve` + `meshc run`). Each port has its own app, which answers with the
// port it serves; the caller must get the "web" app on the web port and the "admin" app on the admin port. The
// ports are declared web-then-admin, so name order and declaration order differ (the case meshc once misrouted:
// web went to a port below both, admin to the web port). Ports 19600-19639.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { waitEnvoyReady } from "./lib/envoy-admin.js";
import { send } from "./lib/http.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { inWorkspace } from "./lib/workspace.js";

const P = {
  xds: 19600,
  serveAdmin: 19601,
  caller: { inbound: 19610, app: 19611, admin: 19612, outbound: 19613 },
  multi: { web: 19620, webApp: 19621, admin: 19630, adminApp: 19631, sidecarAdmin: 19622, outbound: 19623 },
};

const MESH = `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "mp", trustDomain: "mp.example" }, (mesh) => {
  const multi = mesh.service("multi", {
    // Declared web first; "admin" sorts first by name.
    ports: { web: http(${P.multi.web}, { app: ${P.multi.webApp} }), admin: http(${P.multi.admin}, { app: ${P.multi.adminApp} }) },
    instances: [{ address: "127.0.0.1" }],
    sidecar: { adminPort: ${P.multi.sidecarAdmin}, outboundPort: ${P.multi.outbound}, inboundAddress: "127.0.0.1" },
  });
  mesh.service("caller", {
    ports: { http: http(${P.caller.inbound}, { app: ${P.caller.app} }) },
    instances: [{ address: "127.0.0.1" }],
    calls: [multi],
    sidecar: { adminPort: ${P.caller.admin}, outboundPort: ${P.caller.outbound}, inboundAddress: "127.0.0.1" },
  });
});
`;

test("e2e: a two-port service answers on each port through a caller's sidecar", { timeout: 120_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-e2e-multiport-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    // Each app answers {service, version} with its port's name and number as the version.
    const apps = [
      closeLater(await startHttpApp({ service: "multi", version: `web:${P.multi.web}`, port: P.multi.webApp })),
      closeLater(await startHttpApp({ service: "multi", version: `admin:${P.multi.admin}`, port: P.multi.adminApp })),
    ];

    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.serveAdmin });
    await waitServeReady(P.serveAdmin, serve);
    const sidecars = {
      caller: startSidecar(procs, { mesh: meshPath, service: "caller", instance: "caller-1", xdsPort: P.xds, envoy }),
      multi: startSidecar(procs, { mesh: meshPath, service: "multi", instance: "multi-1", xdsPort: P.xds, envoy }),
    };
    await Promise.all([
      waitEnvoyReady(P.caller.admin, "sidecar caller", 60_000, sidecars.caller),
      waitEnvoyReady(P.multi.sidecarAdmin, "sidecar multi", 60_000, sidecars.multi),
    ]);
    await waitConverged(P.serveAdmin, { "caller-1": "caller", "multi-1": "multi" });

    const via = (host: string) => send({ port: P.caller.outbound, host, path: "/which", timeoutMs: 10_000 });
    for (const [host, want] of [
      [`multi:${P.multi.web}`, `web:${P.multi.web}`],
      [`multi:${P.multi.admin}`, `admin:${P.multi.admin}`],
      [`multi.mp:${P.multi.admin}`, `admin:${P.multi.admin}`],
    ] as const) {
      // Several calls: a cluster with a wrong endpoint would fail or answer from the other app every time.
      for (let i = 0; i < 5; i++) {
        const r = await via(host);
        assert.equal(r.status, 200, `${host}: ${r.status} ${r.body}`);
        assert.equal(r.json?.service, "multi");
        assert.equal(r.json?.version, want, `Host ${host} reaches the app of its own port`);
        assert.ok(r.json?.headers["x-request-id"], "the request passed through Envoy");
      }
    }
    assert.equal(apps[0]!.stats().requests, 5);
    assert.equal(apps[1]!.stats().requests, 10);
    t.diagnostic(`multi-port: web port ${P.multi.web} and admin port ${P.multi.admin} each answered by their own app through the caller's sidecar`);
  });
});
