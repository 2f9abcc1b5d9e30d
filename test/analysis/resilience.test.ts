// 04xx: retries, timeouts, backoff, hashing, health checks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import { at, findings, mesh, messageOf, port, retry, route, service, table } from "./ir-fixtures.js";

table(test, "MESH0401", [
  {
    name: "1 try + 3 retries × 500ms = 2s, within 2s",
    ir: mesh(service("api", { routes: [route("api-0", { forward: { timeoutMs: 2000, retry: retry({ attempts: 3, perTryTimeoutMs: 500 }) } })] })),
    expect: [],
  },
  {
    name: "timeout 0 means none",
    ir: mesh(service("api", { routes: [route("api-0", { forward: { timeoutMs: 0, retry: retry({ attempts: 5, perTryTimeoutMs: 1000 }) } })] })),
    expect: [],
  },
  {
    name: "no per-try timeout",
    ir: mesh(service("api", { routes: [route("api-0", { forward: { timeoutMs: 100, retry: retry({ attempts: 5 }) } })] })),
    expect: [],
  },
  {
    name: "1 try + 2 retries × 1s against a 2s route timeout",
    ir: mesh(service("api", { routes: [route("api-0", { source: at(7, 5), forward: { timeoutMs: 2000, retry: retry({ attempts: 2, perTryTimeoutMs: 1000 }) } })] })),
    expect: [{ severity: "warning", path: ["services", "api", "routes", 0, "action", "retry"], line: 7, column: 5 }],
  },
  {
    name: "route timeout against the policy's retry",
    ir: mesh(
      service("api", {
        policy: { retry: retry({ attempts: 1, perTryTimeoutMs: 600 }) },
        routes: [route("api-0", { source: at(9, 5), forward: { timeoutMs: 1000 } })],
      }),
    ),
    expect: [{ severity: "warning", path: ["services", "api", "routes", 0, "action", "timeoutMs"], line: 9, column: 5 }],
  },
  {
    name: "policy retry and timeout, service without routes",
    ir: mesh(service("api", { source: at(2, 3), policy: { timeoutMs: 1000, retry: retry({ attempts: 4, perTryTimeoutMs: 500 }) } })),
    expect: [{ severity: "warning", path: ["services", "api", "policy", "retry"], line: 2, column: 3 }],
  },
  {
    name: "the policy's own source location when it has one",
    ir: mesh(service("api", { source: at(2, 3), policy: { source: at(30, 3), timeoutMs: 1000, retry: retry({ attempts: 1, perTryTimeoutMs: 600 }) } })),
    expect: [{ severity: "warning", path: ["services", "api", "policy", "retry"], line: 30, column: 3 }],
  },
  {
    name: "policy pair overridden by every route is not reported",
    ir: mesh(
      service("api", {
        policy: { timeoutMs: 1000, retry: retry({ attempts: 4, perTryTimeoutMs: 500 }) },
        routes: [route("api-0", { forward: { timeoutMs: 5000 } })],
      }),
    ),
    expect: [],
  },
]);

test("MESH0401 message shows the arithmetic (attempts are retries after the first try)", () => {
  const ir = mesh(service("api", { routes: [route("api-0", { forward: { timeoutMs: 2000, retry: retry({ attempts: 2, perTryTimeoutMs: 1000 }) } })] }));
  assert.equal(
    messageOf(ir, "MESH0401").message,
    'Route "api-0": 1 try + 2 retries × 1s per try = up to 3s, longer than the route timeout of 2s; later retries are cut off.',
  );
});

table(test, "MESH0402", [
  { name: "safe conditions on any method", ir: mesh(service("api", { routes: [route("api-0", { forward: { retry: retry({ on: ["connect-failure", "refused-stream", "reset-before-request"] }) } })] })), expect: [] },
  { name: "5xx on GET only", ir: mesh(service("api", { routes: [route("api-0", { match: { methods: ["GET", "HEAD"] }, forward: { retry: retry({ on: ["5xx"] }) } })] })), expect: [] },
  {
    name: "gRPC unavailable on a gRPC service",
    ir: mesh(service("pay", { ports: [port("grpc", "grpc", 9090)], routes: [route("pay-0", { forward: { retry: retry({ on: [], grpcCodes: ["unavailable"] }) } })] })),
    expect: [],
  },
  {
    name: "5xx on a POST route",
    ir: mesh(service("api", { routes: [route("api-0", { source: at(4, 5), match: { methods: ["POST"] }, forward: { retry: retry({ on: ["5xx", "connect-failure"] }) } })] })),
    expect: [{ severity: "warning", path: ["services", "api", "routes", 0, "action", "retry"], line: 4, column: 5 }],
  },
  {
    name: "reset on a route matching any method",
    ir: mesh(service("api", { routes: [route("api-0", { source: at(4, 5), forward: { retry: retry({ on: ["reset"] }) } })] })),
    expect: [{ severity: "warning", path: ["services", "api", "routes", 0, "action", "retry"], line: 4, column: 5 }],
  },
  {
    name: "policy retry on 5xx inherited by an unrestricted route: reported once at the policy",
    ir: mesh(
      service("api", {
        source: at(1, 1),
        policy: { retry: retry({ on: ["5xx"] }) },
        routes: [route("api-0", { match: { methods: ["GET"] } }), route("api-1", { match: { path: { prefix: "/orders" } } }), route("api-2", { match: { path: { prefix: "/carts" } } })],
      }),
    ),
    expect: [{ severity: "warning", path: ["services", "api", "policy", "retry"], line: 1, column: 1 }],
  },
  {
    name: "gRPC deadline-exceeded on a gRPC method match",
    ir: mesh(service("pay", { ports: [port("grpc", "grpc", 9090)], routes: [route("pay-0", { source: at(3), match: { grpc: { service: "pay.Payments", method: "Charge" } }, forward: { retry: retry({ on: [], grpcCodes: ["deadline-exceeded"] }) } })] })),
    expect: [{ severity: "warning", path: ["services", "pay", "routes", 0, "action", "retry"], line: 3, column: 1 }],
  },
]);

test("MESH0402 message lists the unsafe conditions and the methods", () => {
  const ir = mesh(service("api", { routes: [route("api-0", { match: { methods: ["POST", "PATCH", "GET"] }, forward: { retry: retry({ on: ["5xx", "connect-failure", "gateway-error"] }) } })] }));
  assert.equal(
    messageOf(ir, "MESH0402").message,
    'Route "api-0" retries on "5xx" and "gateway-error" but can match POST and PATCH requests: a retry may repeat a request the upstream already processed.',
  );
});

table(test, "MESH0403", [
  { name: "base below max", ir: mesh(service("api", { policy: { retry: retry({ backoff: { baseMs: 25, maxMs: 250 } }) } })), expect: [] },
  {
    name: "policy backoff base above max",
    ir: mesh(service("api", { source: at(5), policy: { retry: retry({ backoff: { baseMs: 500, maxMs: 100 } }) } })),
    expect: [{ severity: "error", path: ["services", "api", "policy", "retry", "backoff"], line: 5, column: 1 }],
  },
  {
    name: "route backoff base above max",
    ir: mesh(service("api", { routes: [route("api-0", { source: at(8, 2), forward: { retry: retry({ backoff: { baseMs: 2000, maxMs: 1000 } }) } })] })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "action", "retry", "backoff"], line: 8, column: 2 }],
  },
]);

table(test, "MESH0404", [
  { name: "ring hash with a header key", ir: mesh(service("api", { policy: { loadBalancer: { kind: "ring-hash", hashOn: [{ kind: "header", name: "x-user" }] } } })), expect: [] },
  { name: "least request needs no keys", ir: mesh(service("api", { policy: { loadBalancer: { kind: "least-request" } } })), expect: [] },
  {
    name: "maglev without keys",
    ir: mesh(service("api", { source: at(3, 3), policy: { loadBalancer: { kind: "maglev", hashOn: [] } } })),
    expect: [{ severity: "warning", path: ["services", "api", "policy", "loadBalancer", "hashOn"], line: 3, column: 3 }],
  },
  {
    name: "ring hash without keys, at the mesh.policy() call",
    ir: mesh(service("api", { source: at(3, 3), policy: { source: at(21, 5), loadBalancer: { kind: "ring-hash", hashOn: [] } } })),
    expect: [{ severity: "warning", path: ["services", "api", "policy", "loadBalancer", "hashOn"], line: 21, column: 5 }],
  },
]);

table(test, "MESH0405", [
  { name: "timeout below interval", ir: mesh(service("api", { policy: { healthCheck: { kind: "tcp", intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 1, unhealthyThreshold: 3 } } })), expect: [] },
  {
    name: "timeout above interval",
    ir: mesh(service("api", { source: at(3, 3), policy: { healthCheck: { kind: "http", path: "/healthz", intervalMs: 1000, timeoutMs: 5000, healthyThreshold: 1, unhealthyThreshold: 3 } } })),
    expect: [{ severity: "warning", path: ["services", "api", "policy", "healthCheck", "timeoutMs"], line: 3, column: 3 }],
  },
]);

test("MESH0401 from mesh defaults is reported once, at defineMesh(), not once per service", () => {
  const defaults = { timeoutMs: 1000, retry: retry({ attempts: 2, perTryTimeoutMs: 500 }) };
  const ir = { ...mesh(service("a", { source: at(5), policy: defaults }), service("b", { source: at(9), policy: defaults }), service("c", { source: at(12), policy: { ...defaults, source: at(20) } })), source: at(1, 16) };
  assert.deepEqual(findings(ir, "MESH0401"), [
    { code: "MESH0401", severity: "warning", path: ["services", "a", "policy", "retry"], line: 1, column: 16 },
    { code: "MESH0401", severity: "warning", path: ["services", "c", "policy", "retry"], line: 20, column: 1 },
  ]);
  assert.match(analyze(ir).find((d) => d.line === 1)!.message, /^The mesh defaults: 1 try \+ 2 retries/);
});

test("MESH0402 and MESH0403 from mesh defaults are reported once", () => {
  const defaults = { retry: retry({ on: ["5xx"], backoff: { baseMs: 300, maxMs: 100 } }) };
  const ir = { ...mesh(service("a", { policy: defaults }), service("b", { policy: defaults })), source: at(2, 16) };
  assert.deepEqual(
    analyze(ir).map((d) => [d.code, d.line, d.path?.[1]]),
    [
      ["MESH0402", 2, "a"],
      ["MESH0403", 2, "a"],
    ],
  );
});
