// End-to-end, issue 13 item 3: an ingress gateway (mesh.gateway) run by `meshc run --service edge` like a sidecar,
// fed by `meshc serve`. A client speaks HTTPS to the gateway (certificate from a CA made at test time, checked by the
// client); the gateway routes by host and by path to "api", a service behind its own real Envoy sidecar, and to
// "shop" (a plain app); the gateway's own retries and timeouts apply. Ports 18930-18959.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { test } from "node:test";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { createTestCa, issueServerCert } from "../helpers/tls-server.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { inWorkspace } from "./lib/workspace.js";

const P = {
  xds: 18930,
  serveAdmin: 18931,
  gw: { https: 18932, admin: 18933 },
  api: { inbound: 18940, app: 18941, admin: 18942, outbound: 18943 },
  shop: 18950,
};

function meshSource(dir: string): string {
  return `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", {
    ports: { web: http(${P.api.inbound}, { app: ${P.api.app} }) },
    instances: [{ address: "127.0.0.1" }],
    sidecar: { adminPort: ${P.api.admin}, outboundPort: ${P.api.outbound}, inboundAddress: "127.0.0.1" },
  });
  const shop = mesh.service("shop", { ports: { web: http(${P.shop}) }, instances: [{ address: "127.0.0.1" }], nonMesh: true });
  const edge = mesh.gateway("edge", {
    listeners: [{
      port: ${P.gw.https}, protocol: "https", hosts: ["shop.example", "api.shop.example"],
      tls: { cert: ${JSON.stringify(join(dir, "edge-cert.pem"))}, key: ${JSON.stringify(join(dir, "edge-key.pem"))} },
    }],
    instances: [{ address: "127.0.0.1" }],
    sidecar: { adminPort: ${P.gw.admin}, inboundAddress: "127.0.0.1" },
  });
  mesh.policy(edge, { timeout: "5s" });
  mesh.routes(edge, (r) => [
    r.match({ host: "api.shop.example" }).to(api).named("api-host"),
    r.match({ path: { prefix: "/api/" } }).to(api).rewrite({ prefix: "/" }).named("api-path"),
    r.match({ path: { prefix: "/flaky" }, method: "GET" }).to(api).retries({ attempts: 3, on: ["5xx"] }).named("flaky"),
    r.match({ path: { prefix: "/slow" } }).to(api).timeout("500ms").named("slow"),
    r.match().to(shop).named("shop"),
  ]);
});
`;
}

interface Reply { status: number; body: string; json?: any; error?: string }

/** HTTPS to the gateway with SNI and Host `host`, trusting only `ca`. Never throws. */
function https(host: string, path: string, ca: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port: P.gw.https, path, servername: host, ca, headers: { host, ...headers }, timeout: 15_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try { json = JSON.parse(body); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body, json });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, body: "", error: e.message }));
    req.end();
  });
}

test("e2e: HTTPS through an ingress gateway to a service behind its sidecar (host and path routing, retries, timeouts)", { timeout: 180_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-e2e-gateway-", async ({ dir, procs, closeLater }) => {
    const ca = await createTestCa("edge test CA");
    const leaf = await issueServerCert(ca, ["shop.example", "api.shop.example"]);
    writeFileSync(join(dir, "edge-cert.pem"), leaf.certPem);
    writeFileSync(join(dir, "edge-key.pem"), leaf.keyPem, { mode: 0o600 });
    const api = await startHttpApp({ service: "api", version: "v1", port: P.api.app });
    const shop = await startHttpApp({ service: "shop", version: "v1", port: P.shop });
    closeLater(api);
    closeLater(shop);

    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, meshSource(dir));
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.serveAdmin });
    await waitServeReady(P.serveAdmin, serve);
    const sidecars = {
      edge: startSidecar(procs, { mesh: meshPath, service: "edge", instance: "edge-1", xdsPort: P.xds, envoy }),
      api: startSidecar(procs, { mesh: meshPath, service: "api", instance: "api-1", xdsPort: P.xds, envoy }),
    };
    await Promise.all([
      waitEnvoyReady(P.gw.admin, "gateway edge", 60_000, sidecars.edge),
      waitEnvoyReady(P.api.admin, "sidecar api", 60_000, sidecars.api),
    ]);
    await waitConverged(P.serveAdmin, { "edge-1": "edge", "api-1": "api" });

    // Path routing on shop.example: /api/ goes to api with the prefix rewritten, the rest to shop.
    const home = await https("shop.example", "/", ca.certPem);
    assert.equal(home.status, 200, `shop.example /: ${home.status} ${home.body} ${home.error ?? ""}`);
    assert.equal(home.json?.service, "shop");
    const orders = await https("shop.example", "/api/orders?x=1", ca.certPem);
    assert.equal(orders.status, 200, `shop.example /api/orders: ${orders.status} ${orders.body}`);
    assert.equal(orders.json?.service, "api");
    assert.equal(orders.json?.path, "/orders?x=1", "the gateway rewrote the prefix");
    assert.equal(orders.json?.headers["x-forwarded-proto"], "https");
    // Host routing: everything on api.shop.example goes to api, path unchanged.
    const byHost = await https("api.shop.example", "/api/orders", ca.certPem);
    assert.equal(byHost.json?.service, "api");
    assert.equal(byHost.json?.path, "/api/orders");
    // A host the gateway does not serve (TLS to a served name, then another Host).
    const unknown = await https("shop.example", "/", ca.certPem, { host: "other.example" });
    assert.equal(unknown.status, 404, `unknown host: ${unknown.status} ${unknown.error ?? ""}`);
    // api's requests came through api's own sidecar.
    const inbound = await envoyStats(P.api.admin, `^cluster\\.inbound\\|${P.api.inbound}\\.upstream_rq_200$`);
    assert.ok((inbound[`cluster.inbound|${P.api.inbound}.upstream_rq_200`] ?? 0) >= 2, `api's sidecar forwarded the gateway's requests: ${JSON.stringify(inbound)}`);

    // The gateway's own retries: every 2nd request fails at the app, the client sees only 200s.
    for (let i = 0; i < 4; i++) {
      const r = await https("shop.example", "/flaky", ca.certPem, { "x-fail-every": "2" });
      assert.equal(r.status, 200, `flaky ${i}: ${r.status} ${r.body}`);
    }
    assert.ok(api.stats().failures >= 2, "the app did fail");
    const retries = await envoyStats(P.gw.admin, `^cluster\\.outbound\\|${P.api.inbound}\\|\\|api\\.upstream_rq_retry$`);
    assert.ok((retries[`cluster.outbound|${P.api.inbound}||api.upstream_rq_retry`] ?? 0) >= 2, `the gateway retried: ${JSON.stringify(retries)}`);
    // The gateway's own timeout: 500 ms on /slow.
    const slow = await https("shop.example", "/slow", ca.certPem, { "x-delay-ms": "3000" });
    assert.equal(slow.status, 504, `slow: ${slow.status} ${slow.body}`);
    // The client checks the gateway's certificate: a client trusting another CA refuses it.
    const other = await createTestCa("another CA");
    const refused = await https("shop.example", "/", other.certPem);
    assert.equal(refused.status, 0);
    assert.match(refused.error ?? "", /certificate|self.signed|verify/i);
    t.diagnostic("gateway: HTTPS host and path routing to api (through its sidecar) and shop, retries turned 503s into 200s, a 500ms route timeout gave 504");
  });
});
