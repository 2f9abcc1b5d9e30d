// 03xx: routing and Envoy limits (regexes have their own file).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import { at, backend, endpoint, mesh, messageOf, port, route, service, table } from "./ir-fixtures.js";

const canary = (weights: [number, number], line = 10) =>
  mesh(
    service("catalog", {
      instances: { kind: "static", endpoints: [endpoint("10.1.0.1", 8080, { v: "1" }), endpoint("10.1.0.2", 8080, { v: "2" })] },
      subsets: [
        { name: "v1", labels: { v: "1" } },
        { name: "v2", labels: { v: "2" } },
      ],
      routes: [route("catalog-0", { to: [backend("catalog", weights[0], "v1"), backend("catalog", weights[1], "v2")], source: at(line, 5) })],
    }),
  );

const tcpSvc = (name: string, extra: Parameters<typeof service>[1] = {}) =>
  service(name, { ports: [port("db", "tcp", 5432, 15432)], ...extra });

table(test, "MESH0301", [
  { name: "90/10", ir: canary([90, 10]), expect: [] },
  { name: "100/0 (a staged backend)", ir: canary([100, 0]), expect: [] },
  { name: "all zero", ir: canary([0, 0], 14), expect: [{ severity: "error", path: ["services", "catalog", "routes", 0, "action", "backends"], line: 14, column: 5 }] },
  {
    name: "a forward with no backends",
    ir: mesh(service("catalog", { routes: [route("catalog-0", { to: [], source: at(3, 3) })] })),
    expect: [{ severity: "error", path: ["services", "catalog", "routes", 0, "action", "backends"], line: 3, column: 3 }],
  },
  {
    name: "TCP route with zero weights",
    ir: mesh(tcpSvc("ledger", { source: at(6), tcpRoute: { backends: [backend("ledger", 0)], source: at(8, 2) } })),
    expect: [{ severity: "error", path: ["services", "ledger", "tcpRoute", "backends"], line: 8, column: 2 }],
  },
]);

// MESH0302 (weights normalized, a warning) is retired: sums other than 100 are the error MESH0320 (envoy-rules.test.ts).
test("MESH0320: fractions summing to 100 are fine, 90 + 20 is an error", () => {
  const fractions = mesh(service("a", { routes: [route("a-0", { to: [backend("a", 33.3), backend("b", 33.3), backend("c", 33.4)] })] }), service("b"), service("c"));
  assert.equal(analyze(fractions).filter((d) => d.code === "MESH0320").length, 0);
  assert.equal(messageOf(canary([90, 20]), "MESH0320").message, 'The weights of route "catalog-0" sum to 110, not 100 ("catalog/v1" 90 + "catalog/v2" 20).');
});

const routes = (...rs: ReturnType<typeof route>[]) => mesh(service("api", { routes: rs }));

table(test, "MESH0303", [
  {
    name: "specific before general",
    ir: routes(
      route("api-0", { match: { path: { exact: "/api/users" } } }),
      route("api-1", { match: { path: { prefix: "/api/" } } }),
      route("api-2", { match: { path: { prefix: "/" } } }),
    ),
    expect: [],
  },
  {
    name: "header-constrained route before the same path without headers",
    ir: routes(
      route("api-0", { match: { path: { prefix: "/" }, headers: [{ name: "x-canary", match: { exact: "1" }, invert: false }] } }),
      route("api-1", { match: { path: { prefix: "/" } } }),
    ),
    expect: [],
  },
  {
    name: "method-restricted route before an unrestricted one",
    ir: routes(route("api-0", { match: { methods: ["GET"] } }), route("api-1", { match: { path: { prefix: "/x" } } })),
    expect: [],
  },
  {
    name: "different exact paths",
    ir: routes(route("api-0", { match: { path: { exact: "/a" } } }), route("api-1", { match: { path: { exact: "/b" } } })),
    expect: [],
  },
  {
    name: "a regex is not assumed to cover a prefix",
    ir: routes(route("api-0", { match: { path: { regex: "/api/.*" } } }), route("api-1", { match: { path: { prefix: "/api/v2" } } })),
    expect: [],
  },
  {
    name: "catch-all before anything",
    ir: routes(route("api-0", { source: at(3) }), route("api-1", { match: { path: { exact: "/health" } }, source: at(4, 7) })),
    expect: [{ severity: "warning", path: ["services", "api", "routes", 1, "match"], line: 4, column: 7 }],
  },
  {
    name: "prefix covering a later prefix and a later exact",
    ir: routes(
      route("api-0", { match: { path: { prefix: "/api" } } }),
      route("api-1", { match: { path: { prefix: "/api/v2" } }, source: at(5) }),
      route("api-2", { match: { path: { exact: "/api/users" } }, source: at(6) }),
    ),
    expect: [
      { severity: "warning", path: ["services", "api", "routes", 1, "match"], line: 5, column: 1 },
      { severity: "warning", path: ["services", "api", "routes", 2, "match"], line: 6, column: 1 },
    ],
  },
  {
    name: "earlier route has fewer header constraints",
    ir: routes(
      route("api-0", { match: { path: { prefix: "/" }, headers: [{ name: "x-tenant", match: { present: true }, invert: false }] } }),
      route("api-1", {
        match: {
          path: { prefix: "/orders" },
          headers: [
            { name: "X-Tenant", match: { exact: "acme" }, invert: false },
            { name: "x-canary", match: { exact: "1" }, invert: false },
          ],
          methods: ["POST"],
        },
        source: at(9),
      }),
    ),
    expect: [{ severity: "warning", path: ["services", "api", "routes", 1, "match"], line: 9, column: 1 }],
  },
  {
    name: "identical matches",
    ir: routes(route("api-0", { match: { path: { regex: "/v[0-9]+/.*" } } }), route("api-1", { match: { path: { regex: "/v[0-9]+/.*" } }, source: at(2) })),
    expect: [{ severity: "warning", path: ["services", "api", "routes", 1, "match"], line: 2, column: 1 }],
  },
  {
    name: "gRPC service match before one of its methods",
    ir: mesh(
      service("pay", {
        ports: [port("grpc", "grpc", 9090)],
        routes: [route("pay-0", { match: { grpc: { service: "pay.v1.Payments" } } }), route("pay-1", { match: { grpc: { service: "pay.v1.Payments", method: "Charge" } }, source: at(7) })],
      }),
    ),
    expect: [{ severity: "warning", path: ["services", "pay", "routes", 1, "match"], line: 7, column: 1 }],
  },
]);

test("MESH0303 names the earlier route", () => {
  const ir = routes(route("api-0"), route("api-1", { match: { path: { exact: "/health" } } }));
  assert.equal(messageOf(ir, "MESH0303").message, 'Route "api-1" can never match: earlier route "api-0" (index 0) matches every request it matches.');
});

table(test, "MESH0304", [
  { name: "HTTP routes on an HTTP service", ir: routes(route("api-0")), expect: [] },
  {
    name: "HTTP routes on a TCP-only service: reported once, at the first route",
    ir: mesh(tcpSvc("ledger", { routes: [route("ledger-0", { source: at(4, 3) }), route("ledger-1", { source: at(5, 3) })] })),
    expect: [{ severity: "error", path: ["services", "ledger", "routes", 0], line: 4, column: 3 }],
  },
  {
    name: "HTTP route backend is a TCP-only service",
    ir: mesh(service("api", { routes: [route("api-0", { to: [backend("api", 90), backend("ledger", 10)], source: at(6) })] }), tcpSvc("ledger")),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "action", "backends", 1, "service"], line: 6, column: 1 }],
  },
  {
    name: "mirror to a TCP-only service",
    ir: mesh(service("api", { routes: [route("api-0", { forward: { mirror: { service: "ledger", percent: 5 } }, source: at(6) })] }), tcpSvc("ledger")),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "action", "mirror", "service"], line: 6, column: 1 }],
  },
]);

table(test, "MESH0305", [
  { name: "TCP route on a TCP service", ir: mesh(tcpSvc("ledger", { tcpRoute: { backends: [backend("ledger")] } })), expect: [] },
  {
    name: "TCP route on an HTTP-only service",
    ir: mesh(service("api", { tcpRoute: { backends: [backend("api")], source: at(3, 3) } })),
    expect: [{ severity: "error", path: ["services", "api", "tcpRoute"], line: 3, column: 3 }],
  },
  {
    name: "TCP route backend without a tcp port",
    ir: mesh(tcpSvc("ledger", { tcpRoute: { backends: [backend("ledger", 50), backend("api", 50)], source: at(3, 3) } }), service("api")),
    expect: [{ severity: "error", path: ["services", "ledger", "tcpRoute", "backends", 1, "service"], line: 3, column: 3 }],
  },
]);

table(test, "MESH0306", [
  {
    name: "gRPC match on a grpc service",
    ir: mesh(service("pay", { ports: [port("api", "grpc", 9090)], routes: [route("pay-0", { match: { grpc: { service: "pay.Payments", method: "Charge" } } })] })),
    expect: [],
  },
  {
    name: "gRPC match on an HTTP/1 service",
    ir: mesh(service("pay", { routes: [route("pay-0", { match: { grpc: { service: "pay.Payments" } }, source: at(8, 5) })] })),
    expect: [{ severity: "error", path: ["services", "pay", "routes", 0, "match", "grpc"], line: 8, column: 5 }],
  },
]);

table(test, "MESH0307", [
  { name: "mirror to another subset", ir: mesh(service("catalog", { routes: [route("catalog-0", { forward: { mirror: { service: "catalog-next", percent: 10 } } })] }), service("catalog-next")), expect: [] },
  {
    name: "mirror to a zero-weight backend is a real mirror",
    ir: mesh(service("a", { routes: [route("a-0", { to: [backend("a", 100), backend("b", 0)], forward: { mirror: { service: "b", percent: 10 } } })] }), service("b")),
    expect: [],
  },
  {
    name: "mirror to the route's own backend",
    ir: mesh(service("catalog", { routes: [route("catalog-0", { forward: { mirror: { service: "catalog", percent: 10 } }, source: at(12, 5) })] })),
    expect: [{ severity: "error", path: ["services", "catalog", "routes", 0, "action", "mirror"], line: 12, column: 5 }],
  },
]);

table(test, "MESH0310", [
  { name: "plain values", ir: routes(route("api-0", { match: { path: { prefix: "/a" }, headers: [{ name: "x", match: { exact: "y" }, invert: false }] } })), expect: [] },
  {
    name: "NUL in a path",
    ir: routes(route("api-0", { match: { path: { exact: "/a\0b" } }, source: at(2, 9) })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "exact"], line: 2, column: 9 }],
  },
  {
    name: "LF in a header value to set",
    ir: mesh(service("api", { routes: [{ ...route("api-0", { source: at(3) }), requestHeaders: { add: [], set: [{ name: "x-a", value: "1\nx-b: 2" }], remove: [] } }] })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "requestHeaders", "set", 0, "value"], line: 3, column: 1 }],
  },
  {
    name: "CR in a query match",
    ir: routes(route("api-0", { match: { query: [{ name: "q", match: { prefix: "a\r" } }] }, source: at(4) })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "query", 0, "match", "prefix"], line: 4, column: 1 }],
  },
]);

table(test, "MESH0311", [
  { name: "leading slash, and the empty catch-all prefix", ir: routes(route("api-0", { match: { path: { exact: "/a" } } }), route("api-1", { match: { path: { prefix: "" } } })), expect: [] },
  {
    name: "prefix without slash",
    ir: routes(route("api-0", { match: { path: { prefix: "api" } }, source: at(5, 4) })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "prefix"], line: 5, column: 4 }],
  },
  {
    name: "empty exact path",
    ir: routes(route("api-0", { match: { path: { exact: "" } }, source: at(5, 4) })),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "exact"], line: 5, column: 4 }],
  },
]);

table(test, "MESH0313", [
  {
    name: "proxyless client calling a round-robin upstream without consecutive-error ejection",
    ir: mesh(service("client", { proxyless: true, ports: [port("grpc", "grpc", 9090)], calls: ["pay"] }), service("pay", { ports: [port("grpc", "grpc", 9091)] })),
    expect: [],
  },
  {
    name: "sidecar caller of an upstream with least-request: nothing to report",
    ir: mesh(
      service("web", { calls: ["pay"] }),
      service("pay", { ports: [port("grpc", "grpc", 9091)], policy: { connectTimeoutMs: 1000, loadBalancer: { kind: "least-request" } } }),
    ),
    expect: [],
  },
  {
    name: "proxyless client calling an upstream with maglev, consecutive-5xx ejection and a health check",
    ir: mesh(
      service("client", { proxyless: true, ports: [port("grpc", "grpc", 9090)], calls: ["pay"] }),
      service("pay", {
        ports: [port("grpc", "grpc", 9091)],
        policy: {
          source: at(20, 8),
          connectTimeoutMs: 1000,
          loadBalancer: { kind: "maglev", hashOn: [{ kind: "header", name: "x-user" }] },
          outlierDetection: { consecutive5xx: 3 },
          healthCheck: { kind: "grpc", intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 1, unhealthyThreshold: 2 },
        },
      }),
    ),
    expect: [
      { severity: "warning", path: ["services", "pay", "policy", "healthCheck"], line: 20, column: 8 },
      { severity: "warning", path: ["services", "pay", "policy", "loadBalancer"], line: 20, column: 8 },
      { severity: "warning", path: ["services", "pay", "policy", "outlierDetection"], line: 20, column: 8 },
    ],
  },
  {
    // Without consecutive5xx, sidecars eject after Envoy's default 5 consecutive 5xx; gRPC clients do not.
    name: "proxyless client calling an upstream with outlier detection at its defaults",
    ir: mesh(
      service("client", { proxyless: true, ports: [port("grpc", "grpc", 9090)], calls: ["pay"] }),
      service("pay", { ports: [port("grpc", "grpc", 9091)], policy: { source: at(21, 8), connectTimeoutMs: 1000, loadBalancer: { kind: "round-robin" }, outlierDetection: { intervalMs: 1000 } } }),
    ),
    expect: [{ severity: "warning", path: ["services", "pay", "policy", "outlierDetection"], line: 21, column: 8 }],
  },
  {
    name: "proxyless client calling an upstream whose consecutive-error ejection is off (consecutive5xx 0)",
    ir: mesh(
      service("client", { proxyless: true, ports: [port("grpc", "grpc", 9090)], calls: ["pay"] }),
      service("pay", { ports: [port("grpc", "grpc", 9091)], policy: { connectTimeoutMs: 1000, loadBalancer: { kind: "round-robin" }, outlierDetection: { consecutive5xx: 0 } } }),
    ),
    expect: [],
  },
]);

table(test, "MESH0312", [
  {
    name: "proxyless client calling a gRPC service",
    ir: mesh(service("client", { proxyless: true, ports: [port("grpc", "grpc", 9090)], calls: ["pay"] }), service("pay", { ports: [port("grpc", "grpc", 9091)] })),
    expect: [],
  },
  {
    name: "proxyless client calling an HTTP service",
    ir: mesh(
      service("client", { source: at(14, 3), proxyless: true, ports: [port("grpc", "grpc", 9090)], calls: ["pay", "web"] }),
      service("pay", { ports: [port("grpc", "grpc", 9091)] }),
      service("web"),
    ),
    expect: [{ severity: "warning", path: ["services", "client", "calls", 1], line: 14, column: 3 }],
  },
]);

// MESH0362: Envoy's weights are integers; a split with a fractional weight is written in basis points, so 0.004
// became 0 and the canary silently got nothing ([99.996, 0.004] compiled to 10000 and 0); Envoy's TCP proxy refuses
// a weighted cluster of weight 0 (it was MESH0901), a 0 written as such included.
const tcpCanary = (weights: [number, number]) =>
  mesh(
    tcpSvc("ledger", {
      source: at(6),
      instances: { kind: "static", endpoints: [endpoint("10.1.0.1", 5432, { v: "1" }), endpoint("10.1.0.2", 5432, { v: "2" })] },
      subsets: [
        { name: "v1", labels: { v: "1" } },
        { name: "v2", labels: { v: "2" } },
      ],
      tcpRoute: { backends: [backend("ledger", weights[0], "v1"), backend("ledger", weights[1], "v2")], source: at(8, 2) },
    }),
  );
const HTTP_BACKENDS = ["services", "catalog", "routes", 0, "action", "backends"];
const TCP_BACKENDS = ["services", "ledger", "tcpRoute", "backends"];
table(test, "MESH0362", [
  { name: "99.99 + 0.01 (one basis point)", ir: canary([99.99, 0.01]), expect: [] },
  { name: "99.995 + 0.005 (rounds up to one basis point)", ir: canary([99.995, 0.005]), expect: [] },
  { name: "100 + 0 (a staged backend, as written)", ir: canary([100, 0]), expect: [] },
  { name: "99.996 + 0.004", ir: canary([99.996, 0.004], 12), expect: [{ severity: "error", path: [...HTTP_BACKENDS, 1, "weight"], line: 12, column: 5 }] },
  { name: "TCP 60 + 40", ir: tcpCanary([60, 40]), expect: [] },
  { name: "TCP 99.99 + 0.01", ir: tcpCanary([99.99, 0.01]), expect: [] },
  { name: "TCP 99.996 + 0.004", ir: tcpCanary([99.996, 0.004]), expect: [{ severity: "error", path: [...TCP_BACKENDS, 1, "weight"], line: 8, column: 2 }] },
  { name: "TCP 100 + 0 (Envoy's TCP proxy refuses 0)", ir: tcpCanary([100, 0]), expect: [{ severity: "error", path: [...TCP_BACKENDS, 1, "weight"], line: 8, column: 2 }] },
]);

test("MESH0362 names the weight, the backend and what Envoy makes of it", () => {
  assert.equal(
    messageOf(canary([99.996, 0.004]), "MESH0362").message,
    'The weight 0.004 of "catalog/v2" in route "catalog-0" becomes 0 in Envoy, which takes a split with fractional percentages in hundredths of a percent: this backend would get no traffic.',
  );
  assert.match(messageOf(tcpCanary([100, 0]), "MESH0362").message, /^The weight 0 of "ledger\/v2" in the TCP route of service "ledger" is 0, and Envoy's TCP proxy refuses a weight of 0/);
});
