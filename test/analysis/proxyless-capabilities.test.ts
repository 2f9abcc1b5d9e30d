// 0420/0421: settings a proxyless caller's gRPC implementation ignores or fails on (src/proxyless/capabilities.ts),
// and MESH0313's least-request row by implementation.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HttpRouteIR, ServiceIR } from "../../src/ir/types.js";
import { capability, CAPABILITIES } from "../../src/proxyless/capabilities.js";
import { at, backend, findings, mesh, messageOf, port, retry, route, service, table } from "./ir-fixtures.js";

const client = (grpc?: "go" | "js" | "any") => service("shopper", { proxyless: true, ...(grpc && { grpcImplementation: grpc }), ports: [port("grpc", "grpc", 9090)], calls: ["greeter"] });
const greeter = (routes: HttpRouteIR[], extra: Partial<ServiceIR> = {}) => ({ ...service("greeter", { ports: [port("grpc", "grpc", 9091)] }), routes, ...extra });

table(test, "MESH0420", [
  { name: "header match, grpc-code retries: nothing ignored", ir: mesh(client("go"), greeter([route("greeter-0", { match: { headers: [{ name: "x-v", match: { exact: "2" }, invert: false }] }, forward: { retry: retry({ on: [], grpcCodes: ["unavailable"] }) } })])), expect: [] },
  { name: "a sidecar caller is not a proxyless one", ir: mesh(service("web", { calls: ["greeter"] }), greeter([route("greeter-0", { forward: { mirror: { service: "greeter", percent: 10 } }, source: at(7, 5) })])), expect: [] },
  {
    name: "mirror and HTTP-only retry conditions",
    ir: mesh(client("go"), greeter([route("greeter-0", { forward: { mirror: { service: "greeter", percent: 10 }, retry: retry({ on: ["5xx", "reset"] }) }, source: at(7, 5) })])),
    expect: [
      { severity: "warning", path: ["services", "greeter", "routes", 0, "mirror"], line: 7, column: 5 },
      { severity: "warning", path: ["services", "greeter", "routes", 0, "retries"], line: 7, column: 5 },
    ],
  },
  {
    name: "ring hash on a cookie (any implementation)",
    ir: mesh(client(), greeter([], { policy: { ...service("x").policy, source: at(12, 3), loadBalancer: { kind: "ring-hash", hashOn: [{ kind: "cookie", name: "sid" }] } } })),
    expect: [{ severity: "warning", path: ["services", "greeter", "policy", "loadBalancer"], line: 12, column: 3 }],
  },
]);

table(test, "MESH0421", [
  { name: "forward routes only", ir: mesh(client("js"), greeter([route("greeter-0")])), expect: [] },
  {
    name: "query match, redirect and direct response",
    ir: mesh(
      client("go"),
      greeter([
        route("greeter-0", { match: { query: [{ name: "beta", match: { exact: "1" } }] }, to: [backend("greeter")], source: at(8, 5) }),
        route("greeter-1", { action: { kind: "redirect", path: "/x", status: 301 }, source: at(9, 5) }),
        route("greeter-2", { action: { kind: "direct", status: 200 }, source: at(10, 5) }),
      ]),
    ),
    expect: [
      { severity: "error", path: ["services", "greeter", "routes", 0, "match", "query"], line: 8, column: 5 },
      { severity: "error", path: ["services", "greeter", "routes", 1, "action"], line: 9, column: 5 },
      { severity: "error", path: ["services", "greeter", "routes", 2, "action"], line: 10, column: 5 },
    ],
  },
]);

test("MESH0421 names the implementation and its documented effect", () => {
  const ir = mesh(client("js"), greeter([route("greeter-0", { action: { kind: "direct", status: 200 }, source: at(9, 5) })]));
  const { message } = messageOf(ir, "MESH0421");
  assert.match(message, /"shopper" \(grpc-js-xds 1\.14\.1\) calls "greeter", whose direct-response route \(route respond\) in route "greeter-0" it cannot apply: the client NACKs the upstream's whole route configuration/);
});

test("MESH0313: least-request is reported for grpc-js-xds and any, not for grpc-go (which implements it)", () => {
  const lr = (grpc: "go" | "js" | "any") =>
    mesh(client(grpc), greeter([], { policy: { ...service("x").policy, source: at(12, 3), loadBalancer: { kind: "least-request" } } }));
  assert.deepEqual(findings(lr("go"), "MESH0313"), []);
  assert.equal(findings(lr("js"), "MESH0313").length, 1);
  assert.equal(findings(lr("any"), "MESH0313").length, 1);
});

test("capability(): 'any' is the worse of the two implementations, with that one's effect", () => {
  assert.equal(capability("leastRequest", "go").support, "supported");
  assert.equal(capability("leastRequest", "any").support, "ignored");
  assert.match(capability("leastRequest", "any").effect!, /^grpc-js-xds: /);
  assert.equal(capability("mirror", "any").effect, CAPABILITIES.mirror.go.effect);
  assert.match(capability("redirect", "any").effect!, /^grpc-go: .*; grpc-js-xds: /);
});
