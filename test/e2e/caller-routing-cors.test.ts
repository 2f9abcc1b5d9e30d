// End-to-end, issue 13 items 4 and 5: caller-based routing and CORS through real Envoy sidecars (`meshc serve` +
// `meshc run`). Two callers (web, admin) call api, whose two versions run as plain apps (api is nonMesh, so it needs
// no sidecar). `r.match({ from: [admin] })` sends admin's calls to v2 and nothing of web's; CORS (mesh.cors on api,
// and a route's own .cors() replacing it) is answered by the caller's sidecar: allowed origins get the
// Access-Control-* headers on preflights and responses, others do not. Ports 18960-18989.
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
  xds: 18960,
  serveAdmin: 18961,
  api: { port: 18970, v1: 18971, v2: 18972 },
  web: { inbound: 18980, app: 18981, admin: 18982, outbound: 18983 },
  admin: { inbound: 18985, app: 18986, admin: 18987, outbound: 18988 },
};

const MESH = `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "front", trustDomain: "front.example" }, (mesh) => {
  const api = mesh.service("api", {
    ports: { web: http(${P.api.port}) },
    instances: [
      { address: "127.0.0.1", ports: { web: ${P.api.v1} }, labels: { version: "v1" } },
      { address: "127.0.0.1", ports: { web: ${P.api.v2} }, labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
    nonMesh: true,
  });
  const web = mesh.service("web", {
    ports: { web: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: [{ address: "127.0.0.1" }],
    calls: [api],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
  const admin = mesh.service("admin", {
    ports: { web: http(${P.admin.inbound}, { app: ${P.admin.app} }) },
    instances: [{ address: "127.0.0.1" }],
    calls: [api],
    sidecar: { adminPort: ${P.admin.admin}, outboundPort: ${P.admin.outbound}, inboundAddress: "127.0.0.1" },
  });
  mesh.cors(api, { allowOrigins: ["https://shop.example", { suffix: ".shop.example" }], allowMethods: ["GET", "POST"], allowHeaders: ["content-type"], maxAge: "10m" });
  mesh.routes(api, (r) => [
    r.match({ from: [admin] }).to(api.subset("v2")).named("admin-to-v2"),
    r.match({ path: { prefix: "/public/" } }).to(api.subset("v1")).cors({ allowOrigins: ["*"], exposeHeaders: ["x-version"] }).named("public"),
    r.match().to(api.subset("v1")).named("default"),
  ]);
});
`;

test("e2e: a route with from reaches only the callers it names; CORS per service and per route", { timeout: 180_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-e2e-callers-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    closeLater(await startHttpApp({ service: "api", version: "v1", port: P.api.v1 }));
    closeLater(await startHttpApp({ service: "api", version: "v2", port: P.api.v2 }));
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.serveAdmin });
    await waitServeReady(P.serveAdmin, serve);
    const sidecars = {
      web: startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy }),
      admin: startSidecar(procs, { mesh: meshPath, service: "admin", instance: "admin-1", xdsPort: P.xds, envoy }),
    };
    await Promise.all([
      waitEnvoyReady(P.web.admin, "sidecar web", 60_000, sidecars.web),
      waitEnvoyReady(P.admin.admin, "sidecar admin", 60_000, sidecars.admin),
    ]);
    await waitConverged(P.serveAdmin, { "web-1": "web", "admin-1": "admin" });

    const from = (caller: "web" | "admin", path: string, headers: Record<string, string> = {}, method = "GET") =>
      send({ port: P[caller].outbound, host: "api", path, headers, method, timeoutMs: 10_000 });

    // Caller-based routing: the same requests, different callers.
    for (let i = 0; i < 4; i++) {
      for (const [caller, path, want] of [
        ["web", "/orders", "v1"],
        ["admin", "/orders", "v2"],
        ["web", "/public/x", "v1"],
        ["admin", "/public/x", "v2"],
      ] as const) {
        const r = await from(caller, path);
        assert.equal(r.status, 200, `${caller} ${path}: ${r.status} ${r.body}`);
        assert.equal(r.json?.version, want, `${caller} ${path} goes to ${want}`);
      }
    }

    // CORS from the service's policy (route "default"): an allowed origin, a suffix-matched one, a foreign one.
    const preflight = (origin: string, path = "/orders") =>
      from("web", path, { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" }, "OPTIONS");
    const ok = await preflight("https://shop.example");
    assert.equal(ok.status, 200, `preflight: ${ok.status} ${ok.body}`);
    assert.equal(ok.headers["access-control-allow-origin"], "https://shop.example");
    assert.equal(ok.headers["access-control-allow-methods"], "GET,POST");
    assert.equal(ok.headers["access-control-allow-headers"], "content-type");
    assert.equal(ok.headers["access-control-max-age"], "600");
    const sub = await preflight("https://app.shop.example");
    assert.equal(sub.headers["access-control-allow-origin"], "https://app.shop.example");
    const foreign = await preflight("https://evil.example");
    assert.equal(foreign.headers["access-control-allow-origin"], undefined, "a foreign origin gets no CORS grant");
    const simple = await from("web", "/orders", { origin: "https://shop.example" });
    assert.equal(simple.status, 200);
    assert.equal(simple.headers["access-control-allow-origin"], "https://shop.example");
    const simpleForeign = await from("web", "/orders", { origin: "https://evil.example" });
    assert.equal(simpleForeign.headers["access-control-allow-origin"], undefined);

    // The route's own policy replaces the service's: any origin on /public/, with exposed headers.
    const pub = await from("web", "/public/x", { origin: "https://evil.example" });
    assert.equal(pub.status, 200);
    assert.equal(pub.headers["access-control-allow-origin"], "https://evil.example");
    assert.equal(pub.headers["access-control-expose-headers"], "x-version");
    t.diagnostic("from: admin's calls went to v2, web's to v1; CORS granted to listed origins only, and to any origin on the route with its own policy");
  });
});
