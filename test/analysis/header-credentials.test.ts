// MESH0332: a route header carrying a literal credential is refused, without echoing the value; a value that only
// copies the request's own header through a formatter command is not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import type { HttpRouteIR } from "../../src/ir/types.js";
import { at, mesh, port, route, service, table } from "./ir-fixtures.js";

function withHeaders(edit: (r: HttpRouteIR) => void) {
  const r = route("api-0", { source: at(7, 5) });
  edit(r);
  return mesh(service("api", { routes: [r] }), service("web", { calls: ["api"], ports: [port("http", "http", 8080, 3001)] }));
}
const R = ["services", "api", "routes", 0];

table(test, "MESH0332", [
  { name: "authorization copied from another header", ir: withHeaders((r) => (r.requestHeaders.set = [{ name: "authorization", value: "%REQ(x-upstream-auth)%" }])), expect: [] },
  { name: "a literal in another header", ir: withHeaders((r) => (r.requestHeaders.set = [{ name: "x-tenant", value: "blue" }])), expect: [] },
  { name: "a bearer token set", ir: withHeaders((r) => (r.requestHeaders.set = [{ name: "Authorization", value: "Bearer abc" }])), expect: [{ severity: "error", path: [...R, "requestHeaders", "set", 0, "value"], line: 7, column: 5 }] },
  { name: "a literal around a command", ir: withHeaders((r) => (r.requestHeaders.add = [{ name: "authorization", value: "Bearer %REQ(x-t)%" }])), expect: [{ severity: "error", path: [...R, "requestHeaders", "add", 0, "value"], line: 7, column: 5 }] },
  { name: "proxy-authorization on responses", ir: withHeaders((r) => (r.responseHeaders.set = [{ name: "proxy-authorization", value: "Basic eA==" }])), expect: [{ severity: "error", path: [...R, "responseHeaders", "set", 0, "value"], line: 7, column: 5 }] },
]);

test("MESH0332 names the header, never the value", () => {
  const d = analyze(withHeaders((r) => (r.requestHeaders.set = [{ name: "authorization", value: "Bearer SECRET-TOKEN" }]))).find((x) => x.code === "MESH0332");
  assert.ok(d);
  assert.match(d.message, /sets the request header "authorization" to a literal credential/);
  assert.doesNotMatch(JSON.stringify(d), /SECRET-TOKEN/);
});
