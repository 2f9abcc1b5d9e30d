// Caller-based routing and CORS (issue 13): MESH0350 UnknownRouteCaller, MESH0351 RouteCallerNeverCalls, MESH0352
// CorsCredentialsAnyOrigin, and that a route for some callers shadows only routes for a subset of them (MESH0303).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import type { CorsIR, HttpRouteIR } from "../../src/ir/types.js";
import { at, mesh, route, service, table } from "./ir-fixtures.js";

const api = (...routes: HttpRouteIR[]) => service("api", { routes });
const caller = (name: string, calls = ["api"]) => service(name, { calls });
const fromRoute = (name: string, from: string[], line = 3) => route(name, { match: { from }, source: at(line, 5) });
const cors = (c: Partial<CorsIR>): CorsIR => ({ allowOrigins: [{ exact: "https://a.example" }], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false, source: at(7, 9), ...c });

table(test, "MESH0350", [
  { name: "a declared caller", ir: mesh(api(fromRoute("api-0", ["web"])), caller("web")), expect: [] },
  {
    name: "a caller that is not in the mesh",
    ir: mesh(api(fromRoute("api-0", ["web", "wbe"])), caller("web")),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "from", 1], line: 3, column: 5 }],
  },
]);

table(test, "MESH0351", [
  { name: "the caller calls the service", ir: mesh(api(fromRoute("api-0", ["web"])), caller("web")), expect: [] },
  {
    name: "the caller does not call the service",
    ir: mesh(api(fromRoute("api-0", ["batch"])), caller("web"), caller("batch", [])),
    expect: [{ severity: "warning", path: ["services", "api", "routes", 0, "match", "from", 0], line: 3, column: 5 }],
  },
]);

table(test, "MESH0352", [
  { name: "credentials for listed origins", ir: mesh(service("api", { cors: cors({ allowCredentials: true }) }), caller("web")), expect: [] },
  { name: "any origin without credentials", ir: mesh(service("api", { cors: cors({ allowOrigins: [{ any: true }] }) }), caller("web")), expect: [] },
  {
    name: "credentials for any origin, on the service",
    ir: mesh(service("api", { cors: cors({ allowOrigins: [{ any: true }], allowCredentials: true }) }), caller("web")),
    expect: [{ severity: "error", path: ["services", "api", "cors"], line: 7, column: 9 }],
  },
  {
    name: "credentials for any origin, on a route",
    ir: mesh(api({ ...route("api-0"), cors: cors({ allowOrigins: [{ any: true }], allowCredentials: true }) }), caller("web")),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "cors"], line: 7, column: 9 }],
  },
]);

test("MESH0303: a route for some callers shadows only routes for a subset of those callers", () => {
  const shadowed = (routes: HttpRouteIR[]) => analyze(mesh(api(...routes), caller("web"), caller("admin"))).filter((d) => d.code === "MESH0303").map((d) => d.path?.[3]);
  // For admin only, then for everyone: web still reaches the second route.
  assert.deepEqual(shadowed([fromRoute("api-0", ["admin"]), route("api-1")]), []);
  // For admin and web, then for admin only: never reached.
  assert.deepEqual(shadowed([fromRoute("api-0", ["admin", "web"]), fromRoute("api-1", ["admin"])]), [1]);
  // For everyone, then for admin: never reached.
  assert.deepEqual(shadowed([route("api-0"), fromRoute("api-1", ["admin"])]), [1]);
});
