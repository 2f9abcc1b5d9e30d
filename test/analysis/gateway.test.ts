// Ingress gateway routes (issue 13): MESH0233 HostMatchOutsideGateway, MESH0234 UnknownGatewayHost, and that a
// gateway binds its listeners and admin port only (no app port, so no MESH0207).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { HttpRouteIR, ServiceIR } from "../../src/ir/types.js";
import { at, backend, mesh, messageOf, port, route, service, table } from "./ir-fixtures.js";

const hostRoute = (host: string): HttpRouteIR => ({ ...route("api-0"), match: { headers: [], query: [], methods: [], host }, source: at(4, 7) });
const gateway = (routes: HttpRouteIR[]): ServiceIR =>
  service("edge", {
    ports: [port("https-8443", "http", 8443, 8443)],
    routes,
    gateway: { listeners: [{ port: "https-8443", protocol: "https", hosts: ["shop.example", "api.shop.example"], tls: { certFile: "/c.pem", keyFile: "/k.pem" } }] },
  } as never);

table(test, "MESH0233", [
  { name: "host on a gateway route", ir: mesh(gateway([hostRoute("shop.example")]), service("api")), expect: [] },
  {
    name: "host on a service route",
    ir: mesh(service("api", { routes: [hostRoute("shop.example")] })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "host"], line: 4, column: 7 }],
  },
]);

table(test, "MESH0234", [
  { name: "a host a listener serves", ir: mesh(gateway([hostRoute("api.shop.example")]), service("api")), expect: [] },
  // Host names are case-insensitive (Envoy lowercases domains); this was MESH0234.
  { name: "a host a listener serves, in other case", ir: mesh(gateway([hostRoute("SHOP.example")]), service("api")), expect: [] },
  {
    name: "a host no listener serves",
    ir: mesh(gateway([hostRoute("admin.shop.example")]), service("api")),
    expect: [{ severity: "error", path: ["services", "edge", "routes", 0, "match", "host"], line: 4, column: 7 }],
  },
]);

test("a gateway binds no app port: a listener on its own number is no MESH0207", () => {
  const codes = analyze(mesh(gateway([route("api-0")]), service("api"))).map((d) => d.code);
  assert.deepEqual(codes.filter((c) => c === "MESH0207" || c === "MESH0204"), []);
});

// Envoy lowercases virtual-host domains before its one-owner check ("Duplicate entry of domain shop.example in
// route gateway|8000"): test/analysis/envoy-accept.test.ts shows it with the real Envoy.
const listeners = (...ls: { port: number; hosts: string[] }[]): ServiceIR =>
  service("edge", {
    source: at(3, 8),
    ports: [...new Set(ls.map((l) => l.port))].map((n) => port(`http-${n}`, "http", n, n)),
    routes: [],
    gateway: { listeners: ls.map((l) => ({ port: `http-${l.port}`, protocol: "http", hosts: l.hosts })) },
  } as never);
table(test, "MESH0239", [
  { name: "distinct hosts", ir: mesh(listeners({ port: 8000, hosts: ["shop.example", "api.shop.example"] })), expect: [] },
  { name: "one host on two ports", ir: mesh(listeners({ port: 8000, hosts: ["shop.example"] }, { port: 8001, hosts: ["Shop.example"] })), expect: [] },
  {
    name: "one host in two letter cases on a listener",
    ir: mesh(listeners({ port: 8000, hosts: ["Shop.example", "shop.example"] })),
    expect: [{ severity: "error", path: ["services", "edge", "gateway", "listeners", 0, "hosts", 1], line: 3, column: 8 }],
  },
  {
    name: "the same host twice",
    ir: mesh(listeners({ port: 8000, hosts: ["a.example", "b.example", "a.example"] })),
    expect: [{ severity: "error", path: ["services", "edge", "gateway", "listeners", 0, "hosts", 2], line: 3, column: 8 }],
  },
]);

test("MESH0239 names both spellings and the port", () => {
  const d = analyze(mesh(listeners({ port: 8000, hosts: ["Shop.example", "shop.example"] }))).find((x) => x.code === "MESH0239");
  assert.equal(d?.message, 'Host "shop.example" of gateway "edge" is listed again on port 8000: it is the same domain as "Shop.example" (Envoy ignores letter case in domains).');
});

test("a route's match.host in other case than the listener's host serves that host", () => {
  const { snapshot } = translateMesh(mesh(gateway([hostRoute("SHOP.example")]), service("api")));
  const table = snapshot.proxies.get("edge")!.resources.route.find((r) => r.name === "gateway|8443")!;
  const vhosts = (canonicalOf("route", table) as { virtual_hosts: { domains: string[]; routes: Record<string, unknown>[] }[] }).virtual_hosts;
  const forwards = (domain: string) => vhosts.find((v) => v.domains.includes(domain))!.routes.some((r) => "route" in r);
  // The route used to serve no host: each host answered 404 only.
  assert.equal(forwards("shop.example"), true);
  assert.equal(forwards("api.shop.example"), false);
});

// MESH0241: a gateway takes traffic from outside the mesh; a route to it or a calls entry naming it would have a
// caller's sidecar send plaintext (or mTLS) to a listener that expects outside clients (p_gwt: its https listener).
const edgeToApi = () => gateway([{ ...route("edge-0"), action: { kind: "forward", backends: [backend("api")] } } as HttpRouteIR]);
const toEdge = (extra: Partial<HttpRouteIR> = {}): HttpRouteIR => ({ ...route("api-0"), action: { kind: "forward", backends: [backend("edge")] }, source: at(7, 30), ...extra }) as HttpRouteIR;
table(test, "MESH0241", [
  { name: "a service calling the service behind the gateway", ir: mesh(edgeToApi(), service("api"), service("web", { calls: ["api"] })), expect: [] },
  {
    name: "a route to the gateway: at the route",
    ir: mesh(edgeToApi(), service("api", { routes: [toEdge()] })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "action", "backends", 0, "service"], line: 7, column: 30 }],
  },
  {
    name: "the gateway as a mirror",
    ir: mesh(edgeToApi(), service("api", { routes: [{ ...route("api-0"), action: { kind: "forward", backends: [backend("api")], mirror: { service: "edge", percent: 5 } }, source: at(8, 5) } as HttpRouteIR] })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "action", "mirror", "service"], line: 8, column: 5 }],
  },
  {
    name: "the gateway in calls: at the service",
    ir: mesh(edgeToApi(), service("api"), service("web", { calls: ["api", "edge"], source: at(5, 15) })),
    expect: [{ severity: "error", path: ["services", "web", "calls", 1], line: 5, column: 15 }],
  },
  {
    name: "a calls entry that only echoes a route to the gateway is reported once, at the route",
    ir: mesh(edgeToApi(), service("api", { routes: [toEdge()] }), service("web", { calls: ["api", "edge"], source: at(5, 15) })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "action", "backends", 0, "service"], line: 7, column: 30 }],
  },
]);

test("MESH0241 names the gateway and the services behind it", () => {
  const d = messageOf(mesh(edgeToApi(), service("api"), service("web", { calls: ["api", "edge"], source: at(5, 15) })), "MESH0241");
  assert.equal(d.message, 'Gateway "edge" is a target of the calls of service "web", but a gateway takes traffic from outside the mesh, not from mesh callers.');
  assert.equal(d.hint, 'Call, or route to, the service behind "edge" (its routes send to "api") instead.');
});
