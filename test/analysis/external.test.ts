// External services (issue 13): MESH0230 ExternalHostClaimed, MESH0231 ExternalPlaintextToTlsPort, MESH0232
// ExternalTlsProxyless, and that an external service binds nothing (no MESH0207 for a DNS dependency whose app port
// defaults to its own port, the case docs/dsl.md always promised was fine).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import type { ServiceIR } from "../../src/ir/types.js";
import { at, mesh, port, service, table } from "./ir-fixtures.js";

const external = (name: string, hosts: string[], ports = [port("https", "http", 443, 443)], tls = true, line = 1): ServiceIR =>
  service(name, {
    source: at(line, 8),
    nonMesh: true,
    ports,
    instances: { kind: "dns", hostname: hosts[0]!, ports: {} },
    external: { hosts, resolution: "dns", ...(tls && { tls: { sni: hosts[0]! } }), source: at(line, 8) },
  } as never);

const web = (calls: string[], extra: Partial<ServiceIR> = {}) => service("web", { source: at(9, 3), calls, ...extra } as never);

table(test, "MESH0230", [
  { name: "distinct hosts", ir: mesh(external("a", ["a.example"]), external("b", ["b.example"]), web(["a", "b"])), expect: [] },
  {
    name: "one host in two external services",
    ir: mesh(external("a", ["api.example"], undefined, true, 2), external("b", ["x.example", "api.example"], undefined, true, 3)),
    expect: [{ severity: "error", path: ["services", "b", "external", "hosts", 1], line: 3, column: 8 }],
  },
  {
    name: "a host equal to a mesh service's name",
    ir: mesh(external("a", ["web"], undefined, true, 4), web([])),
    expect: [{ severity: "error", path: ["services", "a", "external", "hosts", 0], line: 4, column: 8 }],
  },
  // Envoy lowercases domains before checking that each has one owner, and every service is also <name>.<mesh>.
  {
    name: "a mesh service's name in capitals",
    ir: mesh(external("a", ["WEB"], undefined, true, 4), web([])),
    expect: [{ severity: "error", path: ["services", "a", "external", "hosts", 0], line: 4, column: 8 }],
  },
  {
    name: "a mesh service's <name>.<mesh>",
    ir: mesh(external("a", ["x.example", "web.test"], undefined, true, 4), web([])),
    expect: [{ severity: "error", path: ["services", "a", "external", "hosts", 1], line: 4, column: 8 }],
  },
  {
    name: "a mesh service's <name>.<mesh> in capitals",
    ir: mesh(external("a", ["WEB.test"], undefined, true, 4), web([])),
    expect: [{ severity: "error", path: ["services", "a", "external", "hosts", 0], line: 4, column: 8 }],
  },
  {
    name: "the external service's own name in capitals",
    ir: mesh(external("partner", ["Partner"], undefined, true, 5)),
    expect: [{ severity: "error", path: ["services", "partner", "external", "hosts", 0], line: 5, column: 8 }],
  },
  {
    name: "another external service's name",
    ir: mesh(external("a", ["a.example"], undefined, true, 2), external("b", ["A"], undefined, true, 3)),
    expect: [{ severity: "error", path: ["services", "b", "external", "hosts", 0], line: 3, column: 8 }],
  },
  {
    name: "one host of two external services in two letter cases",
    ir: mesh(external("a", ["API.example"], undefined, true, 2), external("b", ["api.example"], undefined, true, 3)),
    expect: [{ severity: "error", path: ["services", "b", "external", "hosts", 0], line: 3, column: 8 }],
  },
  { name: "a host in another mesh's namespace", ir: mesh(external("a", ["web.other"], undefined, true, 4), web([])), expect: [] },
]);

test("MESH0230 says whose domain a host is", () => {
  const message = (ir: ReturnType<typeof mesh>) => analyze(ir).find((d) => d.code === "MESH0230")?.message;
  assert.equal(message(mesh(external("a", ["WEB.test"]), web([]))), 'Host "WEB.test" of external service "a" is already claimed by service "web".');
  assert.equal(message(mesh(external("partner", ["Partner"]))), 'Host "Partner" of external service "partner" is already claimed by its own name.');
});

table(test, "MESH0231", [
  { name: "443 with tls", ir: mesh(external("a", ["a.example"])), expect: [] },
  { name: "plain port 8080 without tls", ir: mesh(external("a", ["a.example"], [port("web", "http", 8080, 8080)], false)), expect: [] },
  {
    name: "443 without tls",
    ir: mesh(external("a", ["a.example"], [{ ...port("web", "http", 443, 443), source: at(5, 20) }], false)),
    expect: [{ severity: "warning", path: ["services", "a", "ports", 0], line: 5, column: 20 }],
  },
  {
    name: "a port named https on another number, without tls",
    ir: mesh(external("a", ["a.example"], [port("https", "http", 8443, 8443)], false, 6)),
    expect: [{ severity: "warning", path: ["services", "a", "ports", 0], line: 6, column: 8 }],
  },
]);

table(test, "MESH0232", [
  { name: "a sidecar caller", ir: mesh(external("a", ["a.example"], [port("api", "grpc", 443, 443)]), web(["a"])), expect: [] },
  { name: "a proxyless caller of a plaintext external", ir: mesh(external("a", ["a.example"], [port("api", "grpc", 8080, 8080)], false), web(["a"], { proxyless: true, ports: [] })), expect: [] },
  {
    name: "a proxyless caller of a TLS external",
    ir: mesh(external("a", ["a.example"], [port("api", "grpc", 443, 443)]), web(["a"], { proxyless: true, ports: [] })),
    expect: [{ severity: "error", path: ["services", "web", "calls", 0], line: 9, column: 3 }],
  },
]);

test("an external service binds nothing: no MESH0207 or MESH0204 for its ports", () => {
  const db = external("ledger", ["ledger.internal"], [port("db", "tcp", 5432, 5432)], false);
  const twin = external("ledger-ro", ["ledger-ro.internal"], [port("db", "tcp", 5432, 5432)], false);
  const codes = analyze(mesh(db, twin, web(["ledger", "ledger-ro"]))).map((d) => d.code);
  assert.deepEqual(codes.filter((c) => c === "MESH0207" || c === "MESH0204"), []);
  // The same port declared on a service with a sidecar is refused: the check still runs for everything else.
  const sidecar = service("ledger", { ports: [port("db", "tcp", 5432, 5432)], instances: { kind: "dns", hostname: "ledger.internal", ports: {} } } as never);
  assert.ok(analyze(mesh(sidecar)).some((d) => d.code === "MESH0207"));
});

test("the backend's own one-owner check on domains ignores letter case, as Envoy's does", async () => {
  const { translateMesh } = await import("../../src/backends/envoy/translate.js");
  const issues = translateMesh(mesh(service("api", { source: at(2, 3) } as never), external("shout", ["API"], [port("web", "http", 80, 80)], false), web(["api", "shout"]))).issues;
  assert.ok(issues.some((i) => /domain "API" already belongs to virtual host/.test(i.message)), JSON.stringify(issues));
});
