// End-to-end, issue 13 item 2: external services and egress through a real Envoy sidecar (`meshc serve` +
// `meshc run`). A local HTTPS "partner" with its own CA, made at test time, is declared with mesh.external(); the
// app speaks plain HTTP to its sidecar, which originates TLS and verifies the partner against the given CA (a second
// external pointing at the same server with another CA must fail). With egress "registry-only" a request for an
// undeclared Host gets 502 and is counted (cluster.egress-blocked); after a live edit to "allow-any" the same kind of
// request passes through to its Host. Ports 18900-18949.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startHttpApp, type HttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { createTestCa, issueServerCert, startHttpsPartner, type HttpsPartner } from "../helpers/tls-server.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { send } from "./lib/http.js";
import { snapshotVersions, startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const P = { xds: 18900, serveAdmin: 18901, partner: 18910, plain: 18911, web: { inbound: 18920, app: 18921, admin: 18922, outbound: 18923 } };
const HOST = "api.partner.example";

function meshSource(dir: string, egress: "registry-only" | "allow-any"): string {
  return `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "edge", trustDomain: "edge.example", egress: "${egress}" }, (mesh) => {
  // The partner: the sidecar resolves nothing (static), speaks TLS with SNI ${HOST} and trusts only partner-ca.pem.
  const partner = mesh.external("partner", {
    hosts: ["${HOST}"],
    ports: { https: http(${P.partner}) },
    resolution: "static",
    endpoints: ["127.0.0.1"],
    tls: { ca: ${JSON.stringify(join(dir, "partner-ca.pem"))} },
  });
  // The same server, but trusting another CA: verification must fail.
  const impostor = mesh.external("wrong-ca", {
    hosts: ["wrong-ca.partner.example"],
    ports: { https: http(${P.partner}) },
    resolution: "static",
    endpoints: ["127.0.0.1"],
    tls: { sni: "${HOST}", ca: ${JSON.stringify(join(dir, "other-ca.pem"))} },
  });
  const web = mesh.service("web", {
    ports: { web: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: [{ address: "127.0.0.1" }],
    calls: [partner, impostor],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
  mesh.routes(partner, (r) => [r.match({ path: { prefix: "/" } }).to(partner).timeout("5s")]);
});
`;
}

test("e2e: TLS origination to an external service with its own CA, and egress registry-only / allow-any", { timeout: 180_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const closers: (() => Promise<void>)[] = [];
  await inWorkspace(t, "meshc-e2e-external-", async ({ dir, procs, closeLater }) => {
    closeLater({
      async close() {
        await Promise.all(closers.map((c) => c()));
      },
    });
    const ca = await createTestCa("partner test CA");
    const other = await createTestCa("some other CA");
    const leaf = await issueServerCert(ca, [HOST]);
    writeFileSync(join(dir, "partner-ca.pem"), ca.certPem);
    writeFileSync(join(dir, "other-ca.pem"), other.certPem);
    const partner: HttpsPartner = await startHttpsPartner({ port: P.partner, name: "partner", ...leaf });
    closers.push(() => partner.close());
    const plain: HttpApp = await startHttpApp({ service: "outside", version: "v1", port: P.plain });
    closers.push(() => plain.close());
    const web: HttpApp = await startHttpApp({ service: "web", version: "v1", port: P.web.app });
    closers.push(() => web.close());

    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, meshSource(dir, "registry-only"));
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.serveAdmin });
    await waitServeReady(P.serveAdmin, serve);
    const sidecar = startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.web.admin, "sidecar web", 60_000, sidecar);
    await waitConverged(P.serveAdmin, { "web-1": "web" });
    const via = (host: string, path = "/orders") => send({ port: P.web.outbound, host, path, timeoutMs: 10_000 });

    // 1. Plain HTTP from the app, TLS from the sidecar, verified against the partner's CA.
    for (let i = 0; i < 3; i++) {
      const r = await via(HOST, `/orders/${i}`);
      assert.equal(r.status, 200, `${HOST}: ${r.status} ${r.body}`);
      assert.equal(r.json?.partner, "partner");
      assert.equal(r.json?.tls, true);
      assert.equal(r.json?.servername, HOST, "the sidecar sent the SNI");
      assert.equal(r.json?.path, `/orders/${i}`);
    }
    assert.equal(partner.requests.length, 3);

    // 2. The same server checked against another CA: the handshake fails, nothing reaches the partner's handler.
    const bad = await via("wrong-ca.partner.example");
    assert.equal(bad.status, 503, `wrong CA: ${bad.status} ${bad.body}`);
    assert.equal(partner.requests.length, 3, "no request got through with the wrong CA");
    const tlsStats = await envoyStats(P.web.admin, "ssl");
    const failures = Object.entries(tlsStats).filter(([k, v]) => /^cluster\.outbound\|18910\|\|wrong-ca\.ssl\.fail_verify_error$/.test(k) && v > 0);
    assert.equal(failures.length, 1, `the wrong-CA cluster counts a verification failure: ${JSON.stringify(tlsStats)}`);

    // 3. registry-only: an undeclared host gets a clear 502 and is counted.
    const blocked = [];
    for (let i = 0; i < 4; i++) blocked.push(await via(`127.0.0.1:${P.plain}`, "/anything"));
    for (const r of blocked) {
      assert.equal(r.status, 502, `undeclared host: ${r.status} ${r.body}`);
      assert.match(r.body, /egress to an undeclared destination is blocked \(egress: registry-only\)/);
      assert.equal(r.headers["x-meshc-egress"], "blocked");
    }
    assert.equal(plain.stats().requests, 0, "nothing reached the undeclared destination");
    const counted = await envoyStats(P.web.admin, "^cluster\\.egress-blocked\\.");
    assert.equal(counted["cluster.egress-blocked.upstream_rq_503"], 4, `blocked requests are counted: ${JSON.stringify(counted)}`);
    assert.equal(counted["cluster.egress-blocked.upstream_cx_none_healthy"], 4);

    // 4. Live edit to allow-any: the same request now passes through to its Host.
    const before = (await snapshotVersions(P.serveAdmin, "web")).route;
    writeFileSync(meshPath, meshSource(dir, "allow-any"));
    await eventually(async () => (await snapshotVersions(P.serveAdmin, "web")).route !== before, "serve to load the allow-any mesh", 60_000, 200);
    await waitConverged(P.serveAdmin, { "web-1": "web" }, 60_000);
    const through = await eventually(async () => {
      const r = await via(`127.0.0.1:${P.plain}`, "/anything");
      return r.status === 200 ? r : undefined;
    }, "an undeclared host to pass through under allow-any", 30_000, 250);
    assert.equal(through.json?.service, "outside");
    assert.ok(plain.stats().requests >= 1);
    const passed = await envoyStats(P.web.admin, "^cluster\\.egress-passthrough\\.upstream_rq_200$");
    assert.ok((passed["cluster.egress-passthrough.upstream_rq_200"] ?? 0) >= 1, `passthrough is counted: ${JSON.stringify(passed)}`);
    // The declared partner still goes through TLS origination.
    const again = await via(HOST);
    assert.equal(again.status, 200, `${again.status} ${again.body}`);
    assert.equal(again.json?.tls, true);
    t.diagnostic(`external: 3 verified TLS calls, wrong CA refused (503), ${blocked.length} undeclared requests blocked with 502 and counted, then passed through under allow-any`);
  });
});
