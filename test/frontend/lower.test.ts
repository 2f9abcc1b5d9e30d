// Lowering (model -> IR): defaults, resolution, ordering, and the two things only the front end can report.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineMesh, defineService, dns, grpc, http, tcp, type Mesh } from "../../src/dsl/index.js";
import { lower } from "../../src/frontend/lower.js";
import { validateModel } from "../../src/frontend/validate.js";

function build(fn: (mesh: Mesh) => void, defaults?: Parameters<typeof defineMesh>[0]["defaults"]) {
  const model = defineMesh({ name: "t", trustDomain: "t.example", ...(defaults ? { defaults } : {}) }, fn);
  assert.deepEqual(validateModel(model), [], "the model is valid");
  return lower(model, process.cwd());
}
const svc = (r: ReturnType<typeof build>, name: string, nth = 0) => r.ir.services.filter((s) => s.name === name)[nth]!;

test("defaults: identity, sidecar ports, app port, connect timeout, load balancer, endpoint port", () => {
  const r = build((mesh) => {
    mesh.service("a", { ports: { web: http(8080), admin: http(9000) }, instances: [{ address: "10.0.0.1" }, { address: "10.0.0.2", ports: { web: 7000 } }] });
  });
  const a = svc(r, "a");
  assert.equal(a.identity, "spiffe://t.example/service/a");
  assert.equal(a.proxyless, false);
  assert.deepEqual(a.sidecar, { inboundAddress: "0.0.0.0", outboundPort: 15001, adminPort: 15000, tcpOutbound: {} });
  assert.deepEqual(a.ports.map((p) => [p.name, p.port, p.appPort]), [["admin", 9000, 9000], ["web", 8080, 8080]]);
  assert.deepEqual(a.instances, {
    kind: "static",
    endpoints: [
      { address: "10.0.0.1", ports: { admin: 9000, web: 8080 }, labels: {} }, // every port on its own number
      { address: "10.0.0.2", ports: { admin: 9000, web: 7000 }, labels: {} },
    ],
  });
  assert.deepEqual(a.policy, { connectTimeoutMs: 1000, loadBalancer: { kind: "round-robin" } });
  assert.deepEqual([a.calls, a.routes, a.subsets, a.tcpRoute, a.rateLimit], [[], [], [], undefined, undefined]);
  assert.deepEqual(r.diagnostics, []);
});

test("identities: full SPIFFE IDs kept, paths joined to the trust domain", () => {
  const r = build((mesh) => {
    mesh.service("a", { ports: {}, instances: [], identity: "spiffe://other.example/x" });
    mesh.service("b", { ports: {}, instances: [], identity: "/ns/prod/sa/b" });
  });
  assert.equal(svc(r, "a").identity, "spiffe://other.example/x");
  assert.equal(svc(r, "b").identity, "spiffe://t.example/ns/prod/sa/b");
});

test("mesh defaults merge option by option; a service's option replaces the default's whole value", () => {
  const r = build(
    (mesh) => {
      const a = mesh.service("a", { ports: {}, instances: [] });
      mesh.service("b", { ports: {}, instances: [] });
      mesh.policy(a, { circuitBreaker: { maxRetries: 3 }, loadBalancer: "random" });
    },
    { connectTimeout: "250ms", timeout: "2s", circuitBreaker: { maxRequests: 10 }, retries: { attempts: 2 } },
  );
  const a = svc(r, "a").policy;
  const b = svc(r, "b").policy;
  assert.deepEqual(a.circuitBreaker, { maxRetries: 3 });
  assert.deepEqual(b.circuitBreaker, { maxRequests: 10 });
  assert.deepEqual([a.connectTimeoutMs, a.timeoutMs, a.loadBalancer], [250, 2000, { kind: "random" }]);
  assert.deepEqual(b.retry, { attempts: 2, on: ["5xx", "reset", "connect-failure"], statusCodes: [], grpcCodes: [] });
  assert.ok(a.source && !b.source, "policy source: the first mesh.policy() call");
});

test("durations become whole milliseconds; retries, backoff, rate limits, faults get their defaults", () => {
  const r = build((mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [], rateLimit: { tokens: 5, per: "1.5s" } });
    mesh.routes(a, (rt) => [
      rt.match().to(a).timeout("2m").idleTimeout("1h").retries({ attempts: 1, backoff: { base: "20ms" } }).fault({ delay: { fixed: "250ms" } }),
      rt.match().to(a).retries({ attempts: 1, grpcCodes: ["unavailable"] }).fault({ abort: { grpcStatus: 14, percent: 5 } }),
      rt.match().to(a).retries({ attempts: 1, on: ["gateway-error"], statusCodes: [409], backoff: { base: "1s", max: "3s" } }),
    ]);
  });
  const [r0, r1, r2] = svc(r, "a").routes;
  assert.equal(r0!.action.kind, "forward");
  const f0 = r0!.action as Extract<typeof r0.action, { kind: "forward" }>;
  assert.deepEqual([f0.timeoutMs, f0.idleTimeoutMs], [120_000, 3_600_000]);
  assert.deepEqual(f0.retry, { attempts: 1, on: ["5xx", "reset", "connect-failure"], statusCodes: [], grpcCodes: [], backoff: { baseMs: 20, maxMs: 200 } });
  assert.deepEqual(r0!.fault, { delay: { ms: 250, percent: 100 } });
  assert.deepEqual((r1!.action as typeof f0).retry?.on, [], "naming codes replaces the default conditions");
  assert.deepEqual(r1!.fault, { abort: { grpcStatus: 14, percent: 5 } });
  assert.deepEqual((r2!.action as typeof f0).retry, { attempts: 1, on: ["gateway-error"], statusCodes: [409], grpcCodes: [], backoff: { baseMs: 1000, maxMs: 3000 } });
  assert.deepEqual(svc(r, "a").rateLimit, { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 1500 });
});

test("calls: declared plus the targets of the called services' routes, mirrors and TCP splits; sorted set", () => {
  const r = build((mesh) => {
    const shadow = mesh.service("shadow", { ports: { web: http(80) }, instances: [] });
    const v2 = mesh.service("api-v2", { ports: { web: http(80) }, instances: [] });
    const api = mesh.service("api", { ports: { web: http(80) }, instances: [] });
    const next = mesh.service("db-next", { ports: { sql: tcp(5432) }, instances: [] });
    const db = mesh.service("db", { ports: { sql: tcp(5432) }, instances: [] });
    const ghost = defineService("ghost", { ports: {}, instances: [] });
    mesh.service("web", { ports: {}, instances: [], calls: [db, api, api, ghost] });
    mesh.routes(api, (rt) => [rt.match().split([[api, 90], [v2, 10]]).mirror(shadow, 1)]);
    mesh.tcpRoute(db, { split: [[db, 50], [next, 50]] });
  });
  assert.deepEqual(svc(r, "web").calls, ["api", "api-v2", "db", "db-next", "ghost", "shadow"]);
  assert.deepEqual(svc(r, "api").calls, [], "routes of a service do not make it a caller");
});

test("TCP outbound ports: listed ones kept, declared TCP upstreams get the next free port after outbound", () => {
  const r = build((mesh) => {
    const pg = mesh.service("pg", { ports: { sql: tcp(5432), metrics: http(9187) }, instances: [] });
    const redis = mesh.service("redis", { ports: { resp: tcp(6379), sentinel: tcp(26379) }, instances: [] });
    const next = mesh.service("redis-next", { ports: { resp: tcp(6379) }, instances: [] });
    mesh.tcpRoute(redis, { split: [[next, 100]] });
    mesh.service("app", {
      ports: { web: http(15003, { app: 15004 }) },
      instances: [],
      calls: [pg, redis],
      sidecar: { outboundPort: 15001, adminPort: 15002, tcpOutbound: [{ upstream: redis.port("sentinel"), port: 15005 }] },
    });
  });
  // 15002 admin, 15003/15004 own ports, 15005 listed: skipped. redis-next is only a split target: no port.
  assert.deepEqual(svc(r, "app").sidecar.tcpOutbound, { "pg:sql": 15006, "redis:resp": 15007, "redis:sentinel": 15005 });
});

test("order: services by name (duplicates in declaration order), ports/subsets/labels/headers/query by name; routes as given", () => {
  const r = build((mesh) => {
    const z = mesh.service("zeta", {
      ports: { b: http(2), a: http(1) },
      instances: [{ address: "10.0.0.1", labels: { z: "1", a: "2" } }],
      subsets: { s2: { z: "1" }, s1: { b: "1", a: "1" } },
    });
    mesh.service("alpha", { ports: { web: http(10) }, instances: [] });
    mesh.service("alpha", { ports: { web: http(20) }, instances: [] });
    mesh.routes(z, (rt) => [
      rt.match({ headers: { "x-z": "1", "x-a": { present: true } }, query: { z: "1", a: "2" }, method: ["POST", "GET"] }).to(z),
      rt.match().to(z).named("last"),
    ]);
  });
  assert.deepEqual(r.ir.services.map((s) => `${s.name}:${s.ports[0]!.port}`), ["alpha:10", "alpha:20", "zeta:1"]);
  const z = svc(r, "zeta");
  assert.deepEqual(z.ports.map((p) => p.name), ["a", "b"]);
  assert.deepEqual(z.subsets, [
    { name: "s1", labels: { a: "1", b: "1" } },
    { name: "s2", labels: { z: "1" } },
  ]);
  assert.deepEqual(Object.keys(z.subsets[0]!.labels), ["a", "b"]);
  assert.deepEqual(Object.keys((z.instances as { endpoints: { labels: object }[] }).endpoints[0]!.labels), ["a", "z"]);
  const m = z.routes[0]!.match;
  assert.deepEqual(m.headers.map((h) => h.name), ["x-a", "x-z"]);
  assert.deepEqual(m.query.map((q) => q.name), ["a", "z"]);
  assert.deepEqual(m.methods, ["POST", "GET"]);
  assert.deepEqual(z.routes.map((x) => x.name), ["zeta-0", "last"]);
});

test("nothing is dropped: a dangling target keeps its name, weights stay as given, a self-mirror stays", () => {
  const ghost = defineService("ghost", { ports: { web: http(80) }, instances: [] });
  const r = build((mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [], subsets: { v1: { v: "1" } } });
    mesh.routes(a, (rt) => [rt.match().split([[a.subset("v1"), 30], [ghost, 30]]).mirror(a, 100)]);
  });
  const action = svc(r, "a").routes[0]!.action;
  assert.deepEqual(action, {
    kind: "forward",
    backends: [
      { service: "a", subset: "v1", weight: 30 },
      { service: "ghost", weight: 30 },
    ],
    mirror: { service: "a", percent: 100 },
  });
});

test("MESH0005: a policy option or TCP route given twice; MESH0004: settings for a service outside the mesh", () => {
  const outside = defineService("outside", { ports: {}, instances: [] });
  const model = defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
    const db = mesh.service("db", { ports: { sql: tcp(5432) }, instances: [] });
    mesh.policy(db, { connectTimeout: "1s", timeout: "1s" });
    mesh.policy(db, { connectTimeout: "2s", idleTimeout: "1m" });
    mesh.tcpRoute(db, {});
    mesh.tcpRoute(db, { idleTimeout: "1m" });
    mesh.calls(outside, [db]);
  });
  const r = lower(model, process.cwd());
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.path]),
    [
      ["MESH0004", ["services", "outside"]],
      ["MESH0005", ["services", "db", "policies", "connectTimeout"]],
      ["MESH0005", ["services", "db", "tcpRoutes", 1]],
    ],
  );
  const db = svc(r, "db");
  assert.equal(db.policy.connectTimeoutMs, 1000, "the first value stays");
  assert.equal(db.policy.idleTimeoutMs, 60_000);
  assert.deepEqual(db.tcpRoute, { backends: [{ service: "db", weight: 100 }], source: db.tcpRoute!.source });
  assert.ok(r.diagnostics.every((d) => d.file && d.line && d.line > 0), "positioned at the calls");
});

test("DNS instances, gRPC health checks and hash policies lower as given", () => {
  const r = build((mesh) => {
    const a = mesh.service("a", { ports: { rpc: grpc(9090) }, instances: dns("a.internal", 9090) });
    mesh.policy(a, { healthCheck: { grpc: {} }, loadBalancer: { ringHash: { hashOn: { cookie: "sid" } } }, localityFailover: ["z1", "z2"] });
  });
  const a = svc(r, "a");
  assert.deepEqual(a.instances, { kind: "dns", hostname: "a.internal", ports: { rpc: 9090 }, port: 9090 });
  assert.deepEqual(a.policy.healthCheck, { intervalMs: 10_000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 3, kind: "grpc" });
  assert.deepEqual(a.policy.loadBalancer, { kind: "ring-hash", hashOn: [{ kind: "cookie", name: "sid" }] });
  assert.deepEqual(a.policy.localityFailover, ["z1", "z2"]);
});

test("an OR of matches lowers to one route per match with the route's name; subset policies merge over the service's", () => {
  const r = build((mesh) => {
    const a = mesh.service("a", { ports: { web: http(8080) }, instances: [{ address: "10.0.0.1", labels: { v: "2" } }], subsets: { v2: { v: "2" } } });
    mesh.routes(a, (x) => [x.match([{ path: { exact: "/p" } }, { path: { prefix: "/s" }, port: "web" }]).to(a.port("web")).named("pages")]);
    mesh.policy(a, { connectTimeout: "2s", loadBalancer: "random" });
    mesh.policy(a.subset("v2"), { connectTimeout: "250ms" });
    mesh.policy(a.subset("v2"), { connectTimeout: "300ms" });
  });
  const a = svc(r, "a");
  assert.deepEqual(a.routes.map((x) => [x.name, x.alternative, x.match.path, x.match.port]), [
    ["pages", 1, { exact: "/p" }, undefined],
    ["pages", 2, { prefix: "/s" }, "web"],
  ]);
  assert.deepEqual(a.routes[0]!.action.kind === "forward" && a.routes[0]!.action.backends, [{ service: "a", port: "web", weight: 100 }]);
  const v2 = a.subsets[0]!.policy!;
  assert.equal(v2.connectTimeoutMs, 250, "the first subset setting wins");
  assert.deepEqual(v2.loadBalancer, { kind: "random" }, "unset subset options come from the service");
  assert.equal(a.policy.connectTimeoutMs, 2000);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.path?.join(".")]), [["MESH0005", "services.a.subsetPolicies.v2.connectTimeout"]]);
});
