// End-to-end, issue 13 item 6: mesh.patch() through a real Envoy sidecar (`meshc serve` + `meshc run`). A route
// patch adds a response header to web's outbound route table and a cluster patch sets a knob the DSL lacks; the
// header is observed on requests through web's sidecar and the cluster knob in Envoy's /config_dump. Then the
// serve's hot reloads: an edit of the patch is applied on the next compile (the header changes), and an edit that
// makes the patch throw is refused (MESH0245 at the mesh.patch() line in /debug/diagnostics) while the sidecar keeps
// the last good configuration. Ports 18990-18999.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startHttpApp, type HttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { waitEnvoyReady } from "./lib/envoy-admin.js";
import { getJson, getText, send } from "./lib/http.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, Procs } from "./lib/procs.js";

const P = {
  xds: 18990,
  serveAdmin: 18991,
  api: { port: 18992, app: 18993 },
  web: { inbound: 18995, app: 18996, admin: 18997, outbound: 18998 },
};

const meshSource = (headerValue: string, throwing = false) => `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "front", trustDomain: "front.example" }, (mesh) => {
  const api = mesh.service("api", {
    ports: { web: http(${P.api.port}) },
    instances: [{ address: "127.0.0.1", ports: { web: ${P.api.app} } }],
    nonMesh: true,
  });
  const web = mesh.service("web", {
    ports: { web: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: [{ address: "127.0.0.1" }],
    calls: [api],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|${P.api.port}||api" }, (c) => {
    c.per_connection_buffer_limit_bytes = { value: 65536 };
  });
  mesh.patch({ proxies: [web], kind: "route" }, (rc) => {
    ${throwing ? 'throw new Error("patch broken on purpose");' : ""}
    for (const vh of rc.virtual_hosts ?? []) {
      vh.response_headers_to_add = [{ header: { key: "x-mesh-patched", value: "${headerValue}" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }];
    }
  });
});
`;

interface LastLoad {
  ok: boolean;
  at: string;
  diagnostics: { code: string; file?: string; line?: number; column?: number; message: string }[];
}

test("e2e: mesh.patch() takes effect in a real Envoy sidecar, on every reload, and a broken patch keeps the last good config", { timeout: 240_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const dir = mkdtempSync(join(tmpdir(), "meshc-e2e-patch-"));
  const procs = new Procs(dir);
  const apps: HttpApp[] = [];
  let failed = false;
  t.after(async () => {
    await procs.stopAll();
    await Promise.all(apps.map((a) => a.close()));
    if (!failed) rmSync(dir, { recursive: true, force: true });
  });
  try {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, meshSource("1"));
    apps.push(await startHttpApp({ service: "api", version: "v1", port: P.api.app }));
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.serveAdmin });
    await waitServeReady(P.serveAdmin, serve, 60_000);
    const sidecar = startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.web.admin, "sidecar web", 60_000, sidecar);
    await waitConverged(P.serveAdmin, { "web-1": "web" });

    const call = () => send({ port: P.web.outbound, host: "api", path: "/orders", timeoutMs: 10_000 });
    const first = await call();
    assert.equal(first.status, 200, `${first.status} ${first.body}`);
    assert.equal(first.headers["x-mesh-patched"], "1", "the route patch's header is on the response");

    // The cluster patch, as the running Envoy holds it.
    const dump = JSON.parse(await getText(P.web.admin, "/config_dump?resource=dynamic_active_clusters", 5000)) as {
      configs: { cluster: { name: string; per_connection_buffer_limit_bytes?: number } }[];
    };
    const cluster = dump.configs.find((c) => c.cluster.name === `outbound|${P.api.port}||api`)?.cluster;
    assert.ok(cluster, `web's Envoy has the api cluster: ${dump.configs.map((c) => c.cluster.name).join(", ")}`);
    assert.equal(cluster.per_connection_buffer_limit_bytes, 65536, "the cluster patch is in Envoy's config");
    const inbound = dump.configs.find((c) => c.cluster.name === `inbound|${P.web.inbound}`)?.cluster;
    assert.equal(inbound?.per_connection_buffer_limit_bytes, undefined, "a named target leaves other clusters alone");

    // Hot reload: the edited patch applies on the next compile.
    const good = await getJson<LastLoad>(P.serveAdmin, "/debug/diagnostics");
    writeFileSync(meshPath, meshSource("2"));
    await eventually(async () => ((await call()).headers["x-mesh-patched"] === "2" ? true : undefined), "the edited patch to reach the sidecar", 60_000, 250);

    // A patch that throws: refused at its line, nothing pushed, the sidecar keeps serving header "2".
    const before = await getJson<LastLoad>(P.serveAdmin, "/debug/diagnostics");
    assert.notEqual(before.at, good.at);
    const broken = meshSource("3", true);
    writeFileSync(meshPath, broken);
    const refused = await eventually(async () => {
      const d = await getJson<LastLoad>(P.serveAdmin, "/debug/diagnostics");
      return d.at !== before.at && !d.ok ? d : undefined;
    }, "the broken patch to be loaded and refused", 60_000, 250);
    const d = refused.diagnostics.find((x) => x.code === "MESH0245");
    assert.ok(d, `MESH0245: ${JSON.stringify(refused.diagnostics)}`);
    const lines = broken.split("\n");
    const line = lines.findIndex((l) => l.includes('kind: "route"')) + 1;
    assert.equal(d.line, line);
    assert.equal(d.column, lines[line - 1]!.indexOf("patch(") + 1);
    assert.match(d.message, /patch broken on purpose/);
    const still = await call();
    assert.equal(still.status, 200);
    assert.equal(still.headers["x-mesh-patched"], "2", "the last good configuration keeps serving");
    t.diagnostic(`header 1 -> 2 on reload; broken patch refused: ${d.code} mesh.ts:${d.line}:${d.column}`);
  } catch (e) {
    failed = true;
    const err = e as Error;
    err.message = `${err.message}\n\nprocess logs (kept in ${dir}):\n${procs.tails()}`;
    throw err;
  }
});
