// 05xx: mutual TLS (issue 8): proxyless clients without xDS security and non-mesh callers against strict ports,
// mTLS settings on non-mesh services. Identities outside the trust domain stay MESH0501 (identity.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MtlsMode, ServiceIR } from "../../src/ir/types.js";
import { at, mesh, messageOf, port, service, table } from "./ir-fixtures.js";

const withMode = (s: ServiceIR, mode: MtlsMode): ServiceIR => ({ ...s, mtls: mode, ports: s.ports.map((p) => ({ ...p, mtls: mode })) });
const payments = (mode: MtlsMode) =>
  withMode(service("payments", { ports: [port("rpc", "grpc", 9090, 3000)] }), mode);
const client = (mode: MtlsMode) =>
  service("checkout", { source: at(4, 3), proxyless: true, mtls: mode, ports: [], calls: ["payments"] });
const at0502 = { severity: "error" as const, path: ["services", "checkout", "mtls"], line: 4, column: 3 };

table(test, "MESH0502", [
  { name: "proxyless client without mTLS calls a strict port", ir: mesh(payments("strict"), client("off")), expect: [at0502] },
  { name: "proxyless client with mTLS calls a strict port", ir: mesh(payments("strict"), client("strict")), expect: [] },
  { name: "proxyless client without mTLS calls a permissive port", ir: mesh(payments("permissive"), client("off")), expect: [] },
  {
    name: "a strict HTTP/1 port is not reachable by gRPC anyway",
    ir: mesh(withMode(service("payments", { ports: [port("web", "http", 8080, 3000)] }), "strict"), client("off")),
    expect: [],
  },
]);

test("MESH0502 names the client, the service and the port", () => {
  const { message, hint } = messageOf(mesh(payments("strict"), client("off")), "MESH0502");
  assert.equal(message, 'Proxyless client "checkout" has mtls "off" but calls "payments" on port "rpc", which is in strict mTLS mode: every call would be refused.');
  assert.match(hint, /meshc certs --service "checkout"/);
});

const catalog = (web: MtlsMode, admin: MtlsMode = web) =>
  service("catalog", { mtls: web, ports: [{ ...port("admin", "http", 9000, 3001), mtls: admin }, { ...port("web", "http", 8080, 3000), mtls: web }] });
const batch = (extra: Partial<ServiceIR> = {}) =>
  service("batch", { source: at(5, 3), nonMesh: true, mtls: "off", ports: [], calls: ["catalog"], ...extra });
const at0503 = { severity: "error" as const, path: ["services", "batch", "calls"], line: 5, column: 3 };

table(test, "MESH0503", [
  { name: "non-mesh caller, strict port", ir: mesh(catalog("strict", "permissive"), batch()), expect: [at0503] },
  { name: "non-mesh caller, two strict ports", ir: mesh(catalog("strict"), batch()), expect: [at0503, at0503] },
  { name: "non-mesh caller, permissive ports", ir: mesh(catalog("permissive"), batch()), expect: [] },
  { name: "mesh caller, strict port", ir: mesh(catalog("strict"), batch({ nonMesh: undefined })), expect: [] },
]);

test("MESH0503 names the caller, the service and the port", () => {
  const { message } = messageOf(mesh(catalog("strict", "off"), batch()), "MESH0503");
  assert.equal(message, 'Non-mesh service "batch" calls "catalog", whose port "web" is in strict mTLS mode: its plaintext calls would be refused.');
});

table(test, "MESH0504", [
  { name: "non-mesh service set strict", ir: mesh(batch({ mtls: "strict", calls: [] })), expect: [{ severity: "error", path: ["services", "batch", "mtls"], line: 5, column: 3 }] },
  {
    name: "non-mesh service port set permissive",
    ir: mesh(batch({ calls: [], ports: [{ ...port("web", "http", 8080, 3000), mtls: "permissive", source: at(6, 20) }] })),
    expect: [{ severity: "error", path: ["services", "batch", "ports", "web", "mtls"], line: 6, column: 20 }],
  },
  { name: "non-mesh service, plaintext", ir: mesh(batch({ calls: [] })), expect: [] },
]);

test("a nonMesh service binds no sidecar ports, so its app may use the service port (no MESH0207)", async () => {
  const { analyze } = await import("../../src/analysis/index.js");
  const legacy = service("legacy", { nonMesh: true, mtls: "off", ports: [port("web", "http", 8081, 8081)] });
  assert.deepEqual(analyze(mesh(legacy)).map((d) => d.code), []);
  assert.deepEqual(analyze(mesh({ ...legacy, nonMesh: undefined })).map((d) => d.code), ["MESH0207"]);
});
