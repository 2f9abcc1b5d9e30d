// Authorization on an ingress gateway, without Envoy (the wire is test/authz/envoy-gateway.test.ts): the compiled
// gateway listener carries the RBAC filters and path normalization, per listener port; the lowered IR calls a
// gateway's ports "off" (its callers have no client certificate), so the gateway's own rules naming callers are
// MESH0701 while mesh-wide ones are not; `meshc explain authz --to <gateway>` evaluates the gateway's listener with
// an empty principal.
import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateHcm } from "../../src/authz/evaluate.js";
import type { Canonical } from "../../src/backends/envoy/api/canonical.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { gatewayResourceName } from "../../src/backends/envoy/gateway.js";
import { PATH_SAFETY_POLICY } from "../../src/backends/envoy/rbac.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { loadMesh } from "../../src/frontend/index.js";
import type { AuthzRuleIR, MeshIR, ServiceIR } from "../../src/ir/types.js";
import { compileMesh } from "../../src/pipeline.js";
import { mesh, port, service } from "../analysis/ir-fixtures.js";
import { meshc } from "../bootstrap/cli-helpers.js";
import { writeMesh } from "../frontend/tmp-mesh.js";

const HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

function gatewayHcm(ir: MeshIR, gw: string, portNumber: number): Canonical {
  const { snapshot, issues } = translateMesh(ir);
  assert.deepEqual(issues, []);
  const l = snapshot.proxies.get(gw)!.resources.listener.find((x) => x.name === gatewayResourceName(portNumber));
  assert.ok(l, `listener ${gatewayResourceName(portNumber)}`);
  const chains = canonicalOf("listener", l).filter_chains as Canonical[];
  return chains.flatMap((c) => c.filters as Canonical[]).map((f) => f.typed_config as Canonical).find((c) => c["@type"] === HCM)!;
}

const rule = (name: string, r: Partial<AuthzRuleIR>): AuthzRuleIR => ({ name, action: "deny", dryRun: false, headers: [], notHeaders: [], ...r });

function twoListenerGateway(): MeshIR {
  const app = service("app", { nonMesh: true, ports: [port("web", "http", 28201, 28201)] });
  const edge: ServiceIR = service("edge", {
    ports: [port("http-28210", "http", 28210, 28210), port("https-28211", "http", 28211, 28211)],
    gateway: {
      listeners: [
        { port: "http-28210", protocol: "http", hosts: ["shop.example"] },
        { port: "https-28211", protocol: "https", hosts: ["shop.example"], tls: { certFile: "/c.pem", keyFile: "/k.pem" } },
      ],
    },
    routes: [],
  } as never);
  const ir = mesh(app, edge);
  ir.authorization = {
    mesh: { dryRun: false, default: "deny", rules: [rule("mesh-no-debug", { paths: [{ kind: "prefix", value: "/debug", ignoreCase: true }] })] },
    services: [
      {
        service: "edge",
        dryRun: false,
        rules: [
          rule("public", { action: "allow", paths: [{ kind: "prefix", value: "/public/", ignoreCase: false }] }),
          rule("plain-no-admin", { ports: ["http-28210"], paths: [{ kind: "prefix", value: "/admin", ignoreCase: true }] }),
          rule("login-dry", { action: "allow", dryRun: true, ports: ["https-28211"], paths: [{ kind: "exact", value: "/login", ignoreCase: false }] }),
        ],
      },
    ],
  };
  return ir;
}

test("a gateway's listeners get the RBAC filters first, the rules of their own port and path normalization", () => {
  const ir = twoListenerGateway();
  const plain = gatewayHcm(ir, "edge", 28210);
  const tls = gatewayHcm(ir, "edge", 28211);
  for (const hcm of [plain, tls]) {
    const names = (hcm.http_filters as Canonical[]).map((f) => String(f.name));
    assert.deepEqual(names.slice(0, 2), ["envoy.filters.http.rbac.deny", "envoy.filters.http.rbac.allow"]);
    assert.equal(names.at(-1), "envoy.filters.http.router");
    assert.equal(hcm.merge_slashes, true);
    assert.equal(hcm.path_with_escaped_slashes_action, "REJECT_REQUEST");
    assert.deepEqual(hcm.normalize_path, { value: true });
  }
  const policies = (hcm: Canonical, i: number, key = "rules") => Object.keys(((((hcm.http_filters as Canonical[])[i]!.typed_config as Canonical)[key] as Canonical)?.policies as Canonical) ?? {}).sort();
  assert.deepEqual(policies(plain, 0), [PATH_SAFETY_POLICY, "mesh-no-debug", "plain-no-admin"].sort());
  assert.deepEqual(policies(tls, 0), [PATH_SAFETY_POLICY, "mesh-no-debug"].sort());
  assert.deepEqual(policies(plain, 1), ["public"]);
  assert.deepEqual(policies(tls, 1), ["public"]);
  assert.deepEqual(policies(tls, 1, "shadow_rules"), ["login-dry", "public"]);
  const verdict = (hcm: Canonical, path: string) => evaluateHcm(hcm, { method: "GET", path, headers: {} }).decision;
  assert.equal(verdict(plain, "/public/../admin"), "denied");
  assert.equal(verdict(plain, "/public/x"), "allowed");
  assert.equal(verdict(tls, "/public/x"), "allowed");
  assert.equal(verdict(plain, "/DEBUG"), "denied");
  assert.equal(verdict(plain, "/public%2Fx"), "rejected");
});

test("a gateway under no policy and no mesh-wide one gets no RBAC filter", () => {
  const ir = twoListenerGateway();
  delete ir.authorization;
  const names = (gatewayHcm(ir, "edge", 28210).http_filters as Canonical[]).map((f) => String(f.name));
  assert.ok(!names.some((n) => n.includes("rbac")), names.join(" "));
});

const SOURCE = (edgePolicy: string) => `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "gw", trustDomain: "gw.example", mtls: "strict" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(28220, { app: 28221 }) }, instances: [{ address: "10.0.0.1" }] });
  const web = mesh.service("web", { ports: { web: http(28222, { app: 28223 }) }, instances: [{ address: "10.0.0.2" }], calls: [api] });
  const edge = mesh.gateway("edge", { listeners: [{ port: 28224, protocol: "http", hosts: ["shop.example"] }], instances: [{ address: "10.0.0.3" }] });
  mesh.routes(edge, (r) => [r.match().to(api)]);
  ${edgePolicy}
  mesh.authorize(api, { default: "deny", rules: [{ action: "allow", name: "from-web", from: [web, edge] }] });
  mesh.authorizeDefaults({ rules: [{ action: "deny", name: "mesh-no-foreign", from: [{ trustDomain: "other.example" }] }] });
});
`;

test("the lowered IR calls a gateway's ports \"off\": its own caller rules are MESH0701, mesh-wide ones are not", { timeout: 120_000 }, async () => {
  const m = writeMesh({ "mesh.ts": SOURCE(`mesh.authorize(edge, { default: "deny", rules: [{ action: "allow", name: "edge-only-web", from: [web] }] });`) });
  try {
    const loaded = await loadMesh(m.entry);
    const edge = loaded.ir!.services.find((s) => s.name === "edge")!;
    assert.deepEqual(edge.ports.map((p) => p.mtls), ["off"]);
    assert.equal(edge.mtls, "strict", "the gateway still calls mesh services with mTLS");
    const r = await compileMesh(m.entry);
    const e701 = r.diagnostics.filter((d) => d.code === "MESH0701");
    assert.equal(e701.length, 1, r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
    assert.match(e701[0]!.message, /"edge-only-web" of the policy of "edge".*gateway "edge" takes callers from outside the mesh/);
    assert.equal(r.snapshot, undefined);
  } finally {
    m.remove();
  }
});

test("meshc explain authz --to <gateway>: the gateway's listener decides, callers have no mesh identity", { timeout: 120_000 }, async () => {
  const m = writeMesh({ "mesh.ts": SOURCE(`mesh.authorize(edge, { rules: [{ action: "deny", name: "edge-no-admin", to: { paths: [{ prefix: "/admin" }] } }] });`) });
  try {
    const admin = await meshc(["explain", "authz", m.entry, "--to", "edge", "--path", "/ADMIN/x"]);
    assert.equal(admin.code, 0, admin.stdout + admin.stderr);
    assert.match(admin.stdout, /listener gateway\|28224/);
    assert.match(admin.stdout, /DENIED \(403\) by deny rule "edge-no-admin"/);
    const ok = await meshc(["explain", "authz", m.entry, "--to", "edge", "--path", "/x", "--from", "web"]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /GET \/x from a caller without a mesh identity to edge:http-28224/);
    assert.match(ok.stdout, /ALLOWED \(200 from the gateway's point of view\)/);
    assert.match(ok.stderr, /edge is a gateway: its callers have no mesh identity/);
    const list = await meshc(["explain", "authz", m.entry]);
    assert.match(list.stdout, /^edge: default allow \(gateway: its callers have no mesh identity\)\n {2}deny mesh-no-foreign: from trust domain other\.example\n {2}deny edge-no-admin: paths prefix "\/admin" \(any case\)$/m);
  } finally {
    m.remove();
  }
});
