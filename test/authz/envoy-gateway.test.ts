// Authorization on ingress gateways, through real Envoy (Istio semantics: a root-namespace policy covers gateways
// too). The mesh is compiled from DSL source; each gateway runs from a static bootstrap in front of a recording app
// (a nonMesh service the gateways route to). Checked on the wire: a gateway's own deny (any letter case, after path
// normalization, with the built-in path-safety policy), the mesh-wide deny on a gateway with and without a policy
// of its own, default deny with an allow path, and that a mesh-wide deny naming callers never matches an external
// caller (no client certificate: the principal is empty). Before the fix the gateway listener had no RBAC filter
// at all. Ports 28100-28139.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadMesh } from "../../src/frontend/index.js";
import type { MeshIR } from "../../src/ir/types.js";
import { writeMesh } from "../frontend/tmp-mesh.js";
import { envoyPath, envoySkipReason } from "../helpers/envoy.js";
import { rawRequest, recordingApp, startSidecar, type RecordingApp, type RunningEnvoy } from "./envoy-lib.js";

const P = { app: 28101, edge: 28110, edgeAdmin: 28111, open: 28120, openAdmin: 28121, locked: 28130, lockedAdmin: 28131 };

const source = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "gw", trustDomain: "gw.example", mtls: "strict" }, (mesh) => {
  const app = mesh.service("app", { ports: { web: http(${P.app}) }, instances: [{ address: "127.0.0.1" }], nonMesh: true });
  const gw = (name: string, port: number, adminPort: number) =>
    mesh.gateway(name, {
      listeners: [{ port, protocol: "http", hosts: ["shop.example"] }],
      instances: [{ address: "127.0.0.1" }],
      sidecar: { adminPort, inboundAddress: "127.0.0.1" },
    });
  const edge = gw("edge", ${P.edge}, ${P.edgeAdmin});
  const open = gw("open", ${P.open}, ${P.openAdmin});
  const locked = gw("locked", ${P.locked}, ${P.lockedAdmin});
  for (const g of [edge, open, locked]) mesh.routes(g, (r) => [r.match().to(app)]);
  mesh.authorize(edge, { rules: [{ action: "deny", name: "edge-no-admin", to: { paths: [{ prefix: "/admin" }] } }] });
  mesh.authorize(locked, { default: "deny", rules: [{ action: "allow", name: "public-only", to: { paths: [{ prefix: "/public/" }] } }] });
  mesh.authorizeDefaults({
    rules: [
      { action: "deny", name: "mesh-no-debug", to: { paths: [{ prefix: "/debug" }] } },
      { action: "deny", name: "mesh-no-foreign", from: [{ trustDomain: "other.example" }] },
    ],
  });
});
`;

describe("authorization on ingress gateways through real Envoy", { skip: envoySkipReason() }, () => {
  let ir: MeshIR;
  let app: RecordingApp;
  const envoys = new Map<string, RunningEnvoy>();
  const get = (port: number, target: string) => rawRequest(port, target, 5000, "GET", {}, "shop.example");

  before(async () => {
    const m = writeMesh({ "mesh.ts": source });
    try {
      const loaded = await loadMesh(m.entry);
      assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === "error"), []);
      ir = loaded.ir!;
    } finally {
      m.remove();
    }
    app = await recordingApp(P.app);
    for (const [name, port] of [["edge", P.edge], ["open", P.open], ["locked", P.locked]] as const) envoys.set(name, await startSidecar(envoyPath(), ir, name, port));
  });
  after(async () => {
    for (const e of envoys.values()) await e.stop();
    await app?.close();
  });

  test("a gateway's own deny refuses /admin in any letter case and after normalization; other paths pass", async () => {
    for (const target of ["/admin", "/ADMIN", "/Admin/x", "/x/../admin", "/./admin", "//admin", "/%61dmin"]) assert.equal((await get(P.edge, target)).status, 403, target);
    assert.equal((await get(P.edge, "/x/..;/admin")).status, 403, "built-in path-safety policy");
    assert.equal((await get(P.edge, "/admin%2Fx")).status, 400, "escaped slash rejected");
    const ok = await get(P.edge, "/x");
    assert.equal(ok.status, 200, ok.raw);
    assert.equal(app.seen.at(-1), "/x");
    assert.ok(!app.seen.some((p) => /admin/i.test(p)), app.seen.join(" "));
  });

  test("the mesh-wide deny applies at a gateway, with or without a policy of its own", async () => {
    for (const port of [P.edge, P.open, P.locked]) {
      assert.equal((await get(port, "/debug")).status, 403, `${port} /debug`);
      assert.equal((await get(port, "/DEBUG/x")).status, 403, `${port} /DEBUG/x`);
    }
    assert.equal((await get(P.open, "/x")).status, 200);
    assert.equal((await get(P.open, "/admin")).status, 200, "edge's own rule is not open's");
  });

  test("default deny with an allow path: only the allowed path passes", async () => {
    assert.equal((await get(P.locked, "/public/a")).status, 200);
    assert.equal(app.seen.at(-1), "/public/a");
    for (const target of ["/x", "/", "/public", "/public/../x"]) assert.equal((await get(P.locked, target)).status, 403, target);
  });

  test("a mesh-wide deny naming callers never matches an external caller (no mesh identity at a gateway)", async () => {
    // mesh-no-foreign denies callers from other.example: an external caller has no principal, so it is not matched.
    assert.equal((await get(P.open, "/y")).status, 200);
  });
});
