// MESH0109 UnknownRoutePort, MESH0314 RoutePortProtocolMismatch (ports named by routes) and MESH0110
// UnknownPolicySubset (mesh.policy(svc.subset(…)) on an undeclared subset).
import { test } from "node:test";
import { at, backend, mesh, port, route, service, table } from "./ir-fixtures.js";

const api = (routes: ReturnType<typeof route>[]) =>
  service("api", {
    source: at(3),
    ports: [port("db", "tcp", 5432, 15432), port("http", "http", 8080, 3000), port("https", "http", 8443, 3443)],
    routes,
  });

table(test, "MESH0109", [
  { name: "match.port and a target port that exist", ir: mesh(api([route("api-0", { match: { port: "https" }, to: [{ ...backend("api"), port: "http" }] })])), expect: [] },
  {
    name: "match.port names no port",
    ir: mesh(api([{ ...route("api-0", { match: { port: "htps" } }), source: at(9, 5) }])),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "port"], line: 9, column: 5 }],
  },
  {
    name: "a target port names no port",
    ir: mesh(api([{ ...route("api-0", { to: [{ ...backend("api"), port: "grpc" }] }), source: at(10, 5) }])),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "action", "backends", 0, "port"], line: 10, column: 5 }],
  },
]);

table(test, "MESH0314", [
  { name: "HTTP route on an HTTP port", ir: mesh(api([route("api-0", { match: { port: "http" } })])), expect: [] },
  {
    name: "HTTP route matching a TCP port",
    ir: mesh(api([{ ...route("api-0", { match: { port: "db" } }), source: at(11, 5) }])),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "port"], line: 11, column: 5 }],
  },
  {
    name: "HTTP route sending to a TCP port",
    ir: mesh(api([{ ...route("api-0", { to: [{ ...backend("api"), port: "db" }] }), source: at(12, 5) }])),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "action", "backends", 0, "port"], line: 12, column: 5 }],
  },
]);

table(test, "MESH0110", [
  {
    name: "a policy for a declared subset",
    ir: mesh(service("reviews", { subsets: [{ name: "v1", labels: {} }], subsetPolicyCalls: [{ subset: "v1", source: at(5) }] })),
    expect: [],
  },
  {
    name: "a policy for an undeclared subset",
    ir: mesh(service("reviews", { subsets: [{ name: "v1", labels: {} }], subsetPolicyCalls: [{ subset: "v3", source: at(6, 3) }] })),
    expect: [{ severity: "error", path: ["services", "reviews", "subsetPolicies", 0, "subset"], line: 6, column: 3 }],
  },
]);
