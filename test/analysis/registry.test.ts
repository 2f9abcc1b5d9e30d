// 08xx: service discovery (issue 16). registry({ key }) keys must be one etcd path segment (MESH0801) and the mesh
// must declare a registry (MESH0802). Statically: check/build never contact etcd.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MeshIR } from "../../src/ir/types.js";
import { at, mesh, messageOf, port, service, table, withoutInstances } from "./ir-fixtures.js";

const discovery = { kind: "etcd" as const, endpoints: ["http://127.0.0.1:2379"], prefix: "/meshc" };
const live = (key: string) => withoutInstances(service("catalog", { ports: [port("web", "http", 8080)], registry: { key, source: at(7, 9) } }));
const withDiscovery = (m: MeshIR): MeshIR => ({ ...m, discovery });
const at080x = { severity: "error" as const, path: ["services", "catalog", "instances"], line: 7, column: 9 };

table(test, "MESH0801", [
  { name: "a plain key", ir: withDiscovery(mesh(live("catalog"))), expect: [] },
  { name: "dots, dashes and underscores", ir: withDiscovery(mesh(live("shop.catalog-v2_x"))), expect: [] },
  { name: "a slash would nest under another key", ir: withDiscovery(mesh(live("shop/catalog"))), expect: [at080x] },
  { name: "empty", ir: withDiscovery(mesh(live(""))), expect: [at080x] },
  { name: "too long", ir: withDiscovery(mesh(live("a".repeat(254)))), expect: [at080x] },
]);

table(test, "MESH0802", [
  { name: "the mesh declares etcd", ir: withDiscovery(mesh(live("catalog"))), expect: [] },
  { name: "no discovery in defineMesh", ir: mesh(live("catalog")), expect: [at080x] },
  { name: "static services need none", ir: mesh(service("web", { ports: [port("web", "http", 8080)] })), expect: [] },
]);

test("MESH0801 names the service and the key", () => {
  const { message, hint } = messageOf(withDiscovery(mesh(live("a/b"))), "MESH0801");
  assert.equal(message, 'Service "catalog" takes instances from registry key "a/b", which is not a valid registry key.');
  assert.match(hint, /no "\/"/);
});

test("a registry service's subsets are not reported as matching no instance (its labels come at serve time)", () => {
  const s = withoutInstances({ ...live("catalog"), subsets: [{ name: "v2", labels: { version: "v2" } }] });
  const { findings } = { findings: messageOfOrNone(withDiscovery(mesh(s)), "MESH0104") };
  assert.equal(findings, undefined);
});

function messageOfOrNone(ir: MeshIR, code: string): string | undefined {
  try {
    return messageOf(ir, code).message;
  } catch {
    return undefined;
  }
}
