// 0320-0331: what Envoy 1.40 enforces at run time beyond (validate.rules). Each table has valid cases (which the
// real Envoy accepts: see the last test) and invalid ones (which it refuses, each with the message quoted in the
// analyzer's opening comment). The last test runs the real `envoy --mode validate` on an edge value of every rule
// on both sides, so the analyzers and Envoy are checked against each other, not against a copy of the rules.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FORMATTER_COMMANDS, formatterProblem } from "../../src/analysis/envoy-formatter.js";
import { re2ProgramSize } from "../../src/analysis/re2-program-size.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { HttpRouteIR, MeshIR, RouteActionIR } from "../../src/ir/types.js";
import { validateProxies } from "../../src/runtime/validate-proxies.js";
import { mapLimit } from "../../src/runtime/validate-proxies.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { at, backend, endpoint, messageOf, mesh, port, route, service, table } from "./ir-fixtures.js";

/** One service "api" with one route, changed by `edit`; "web" calls it (so a sidecar carries the route). */
function withRoute(edit: (r: HttpRouteIR) => void, line = 7): MeshIR {
  const r = route("api-0", { source: at(line, 5) });
  edit(r);
  return mesh(service("api", { routes: [r] }), service("web", { calls: ["api"], ports: [port("http", "http", 8080, 3001)] }));
}
const forward = (r: HttpRouteIR) => r.action as Extract<RouteActionIR, { kind: "forward" }>;
const R = ["services", "api", "routes", 0];

table(test, "MESH0320", [
  { name: "70 + 30", ir: withRoute((r) => (forward(r).backends = [backend("api", 70), backend("web", 30)])), expect: [] },
  { name: "a single backend at 100", ir: withRoute(() => undefined), expect: [] },
  { name: "90 + 20", ir: withRoute((r) => (forward(r).backends = [backend("api", 90), backend("web", 20)])), expect: [{ severity: "error", path: [...R, "action", "backends"], line: 7, column: 5 }] },
  { name: "a single backend at 50", ir: withRoute((r) => (forward(r).backends = [backend("api", 50)])), expect: [{ severity: "error", path: [...R, "action", "backends"], line: 7, column: 5 }] },
]);

test("MESH0320 suggests whole percentages with the same proportions", () => {
  const ir = withRoute((r) => (forward(r).backends = [backend("api", 90), backend("web", 20)]));
  assert.equal(messageOf(ir, "MESH0320").message, 'The weights of route "api-0" sum to 110, not 100 ("api" 90 + "web" 20).');
  assert.equal(messageOf(ir, "MESH0320").hint, 'Make the weights sum to 100, e.g. "api" 82 + "web" 18.');
});

table(test, "MESH0321", [
  { name: "set x-a, remove x-b", ir: withRoute((r) => ((r.requestHeaders.set = [{ name: "x-a", value: "1" }]), (r.responseHeaders.remove = ["x-b"]))), expect: [] },
  { name: "remove host", ir: withRoute((r) => (r.requestHeaders.remove = ["host"])), expect: [{ severity: "error", path: [...R, "requestHeaders", "remove", 0], line: 7, column: 5 }] },
  { name: "set Host (any case)", ir: withRoute((r) => (r.requestHeaders.set = [{ name: "Host", value: "x" }])), expect: [{ severity: "error", path: [...R, "requestHeaders", "set", 0, "name"], line: 7, column: 5 }] },
  { name: "add :authority", ir: withRoute((r) => (r.requestHeaders.add = [{ name: ":authority", value: "x" }])), expect: [{ severity: "error", path: [...R, "requestHeaders", "add", 0, "name"], line: 7, column: 5 }] },
  { name: "remove :status from responses", ir: withRoute((r) => (r.responseHeaders.remove = [":status"])), expect: [{ severity: "error", path: [...R, "responseHeaders", "remove", 0], line: 7, column: 5 }] },
]);

table(test, "MESH0322", [
  { name: "%% and known commands", ir: withRoute((r) => (r.requestHeaders.set = [{ name: "x-a", value: "100%% %REQ(x-b)% %HOSTNAME% %START_TIME(%s)% %REQ(a?b):5%" }])), expect: [] },
  { name: "unknown command", ir: withRoute((r) => (r.requestHeaders.set = [{ name: "x-a", value: "%NOPE%" }])), expect: [{ severity: "error", path: [...R, "requestHeaders", "set", 0, "value"], line: 7, column: 5 }] },
  { name: "a lone %", ir: withRoute((r) => (r.responseHeaders.add = [{ name: "x-a", value: "100%" }])), expect: [{ severity: "error", path: [...R, "responseHeaders", "add", 0, "value"], line: 7, column: 5 }] },
  { name: "REQ without a parameter", ir: withRoute((r) => (r.requestHeaders.add = [{ name: "x-a", value: "%REQ()%" }])), expect: [{ severity: "error", path: [...R, "requestHeaders", "add", 0, "value"], line: 7, column: 5 }] },
]);

test("formatter: Envoy's tokenizer on edge cases", () => {
  assert.equal(formatterProblem(""), undefined);
  assert.equal(formatterProblem("%%%%"), undefined);
  assert.match(formatterProblem("%%%") ?? "", /lone/);
  assert.match(formatterProblem("%hostname%") ?? "", /lone/);
  assert.match(formatterProblem("%REQ(a?b?c)%") ?? "", /more than one/);
  assert.match(formatterProblem("%HOSTNAME(x)%") ?? "", /no parameter/);
});

table(test, "MESH0323", [
  { name: "4096 bytes", ir: withRoute((r) => (r.action = { kind: "direct", status: 200, body: "x".repeat(4096) })), expect: [] },
  { name: "4097 bytes", ir: withRoute((r) => (r.action = { kind: "direct", status: 200, body: "x".repeat(4097) })), expect: [{ severity: "error", path: [...R, "action", "body"], line: 7, column: 5 }] },
  { name: "2049 two-byte characters (4098 bytes)", ir: withRoute((r) => (r.action = { kind: "direct", status: 200, body: "é".repeat(2049) })), expect: [{ severity: "error", path: [...R, "action", "body"], line: 7, column: 5 }] },
]);

const redirect = (a: Partial<Extract<RouteActionIR, { kind: "redirect" }>>) => withRoute((r) => (r.action = { kind: "redirect", status: 301, ...a }));
table(test, "MESH0324", [
  { name: "host:port, [ipv6], path with a query, prefix", ir: redirect({ host: "example.com:8443", path: "/a?b=c" }), expect: [] },
  { name: "[ipv6] host and a prefix", ir: redirect({ host: "[fd00::1]", prefix: "/v2/" }), expect: [] },
  { name: "host with a space", ir: redirect({ host: "a b" }), expect: [{ severity: "error", path: [...R, "action", "host"], line: 7, column: 5 }] },
  { name: "empty host", ir: redirect({ host: "" }), expect: [{ severity: "error", path: [...R, "action", "host"], line: 7, column: 5 }] },
  { name: "relative path", ir: redirect({ path: "new" }), expect: [{ severity: "error", path: [...R, "action", "path"], line: 7, column: 5 }] },
  { name: "prefix with a query", ir: redirect({ prefix: "/v2?x" }), expect: [{ severity: "error", path: [...R, "action", "prefix"], line: 7, column: 5 }] },
]);

table(test, "MESH0325", [
  { name: "prefix and host", ir: withRoute((r) => (forward(r).rewrite = { prefix: "/v2/", host: "new.example" })), expect: [] },
  { name: "empty prefix", ir: withRoute((r) => (forward(r).rewrite = { prefix: "" })), expect: [{ severity: "error", path: [...R, "action", "rewrite", "prefix"], line: 7, column: 5 }] },
  { name: "full path with a backslash", ir: withRoute((r) => (forward(r).rewrite = { fullPath: "/a\\1" })), expect: [{ severity: "error", path: [...R, "action", "rewrite", "fullPath"], line: 7, column: 5 }] },
  { name: "host with a space", ir: withRoute((r) => (forward(r).rewrite = { host: "a b" })), expect: [{ severity: "error", path: [...R, "action", "rewrite", "host"], line: 7, column: 5 }] },
]);

table(test, "MESH0326", [
  { name: "route refilled every 50ms", ir: withRoute((r) => (r.rateLimit = { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 50 })), expect: [] },
  { name: "route refilled every 49ms", ir: withRoute((r) => (r.rateLimit = { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 49 })), expect: [{ severity: "error", path: [...R, "rateLimit", "fillIntervalMs"], line: 7, column: 5 }] },
  {
    name: "service refilled every 10ms",
    ir: mesh(service("api", { source: at(3, 3), rateLimit: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 10 } })),
    expect: [{ severity: "error", path: ["services", "api", "rateLimit", "fillIntervalMs"], line: 3, column: 3 }],
  },
]);

const pathRegex = (regex: string) => withRoute((r) => (r.match.path = { regex }));
table(test, "MESH0327", [
  { name: "a{95}", ir: pathRegex("a{95}"), expect: [] },
  { name: "[a-z]{90}", ir: pathRegex("/[a-z]{90}"), expect: [] },
  { name: "a{97} (101 instructions)", ir: pathRegex("a{97}"), expect: [{ severity: "error", path: [...R, "match", "path", "regex"], line: 7, column: 5 }] },
  { name: ".{90}", ir: pathRegex(".{90}"), expect: [{ severity: "error", path: [...R, "match", "path", "regex"], line: 7, column: 5 }] },
  { name: "(a|b){40} in a header", ir: withRoute((r) => (r.match.headers = [{ name: "x", match: { regex: "(a|b){40}" }, invert: false }])), expect: [{ severity: "error", path: [...R, "match", "headers", 0, "match", "regex"], line: 7, column: 5 }] },
]);

const grpcHc = (protocol: "grpc" | "http2" | "http" | "tcp") =>
  mesh(service("api", { ports: [port("p", protocol, 8080, 3000)], policy: { healthCheck: { kind: "grpc", intervalMs: 1000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1 }, source: at(9) } }), service("web", { calls: ["api"] }));
table(test, "MESH0328", [
  { name: "grpc port", ir: grpcHc("grpc"), expect: [] },
  { name: "http2 port", ir: grpcHc("http2"), expect: [] },
  { name: "http port", ir: grpcHc("http"), expect: [{ severity: "error", path: ["services", "api", "policy", "healthCheck"], line: 9, column: 1 }] },
  { name: "tcp port", ir: grpcHc("tcp"), expect: [{ severity: "error", path: ["services", "api", "policy", "healthCheck"], line: 9, column: 1 }] },
]);

table(test, "MESH0329", [
  { name: "header prefix \"a\"", ir: withRoute((r) => (r.match.headers = [{ name: "x", match: { prefix: "a" }, invert: false }])), expect: [] },
  { name: "path prefix \"\"", ir: withRoute((r) => (r.match.path = { prefix: "" })), expect: [] },
  { name: "header prefix \"\"", ir: withRoute((r) => (r.match.headers = [{ name: "x", match: { prefix: "" }, invert: false }])), expect: [{ severity: "error", path: [...R, "match", "headers", 0, "match", "prefix"], line: 7, column: 5 }] },
  { name: "query prefix \"\"", ir: withRoute((r) => (r.match.query = [{ name: "q", match: { prefix: "" } }])), expect: [{ severity: "error", path: [...R, "match", "query", 0, "match", "prefix"], line: 7, column: 5 }] },
]);

table(test, "MESH0330", [
  { name: "1ms delay", ir: withRoute((r) => (r.fault = { delay: { ms: 1, percent: 100 } })), expect: [] },
  { name: "0ms delay", ir: withRoute((r) => (r.fault = { delay: { ms: 0, percent: 100 } })), expect: [{ severity: "error", path: [...R, "fault", "delay", "ms"], line: 7, column: 5 }] },
]);

const ejection = (maxEjectionPercent: number) => mesh(service("api", { policy: { outlierDetection: { maxEjectionPercent }, source: at(4) } }), service("web", { calls: ["api"] }));
/** "api" with a subset "v2" whose mesh.policy(api.subset("v2"), …) call (line 9) sets outlier detection of its own, or inherits the service's. */
const subsetEjection = (ofService: number, ofSubset: number | undefined) => {
  const own = { outlierDetection: { maxEjectionPercent: ofService }, source: at(4) };
  return mesh(
    service("api", {
      policy: own,
      subsets: [{ name: "v2", labels: { v: "2" }, policy: { connectTimeoutMs: 1000, loadBalancer: { kind: "round-robin" }, ...own, ...(ofSubset !== undefined && { outlierDetection: { maxEjectionPercent: ofSubset } }), source: at(9, 8) } }],
    }),
    service("web", { calls: ["api"] }),
  );
};
const SUBSET_EJECTION = ["services", "api", "subsets", "v2", "policy", "outlierDetection", "maxEjectionPercent"];
table(test, "MESH0331", [
  { name: "50", ir: ejection(50), expect: [] },
  { name: "33.3", ir: ejection(33.3), expect: [{ severity: "error", path: ["services", "api", "policy", "outlierDetection", "maxEjectionPercent"], line: 4, column: 1 }] },
  { name: "a subset policy's 50", ir: subsetEjection(100, 50), expect: [] },
  // The backend refused the subset's cluster (MESH0901) before.
  { name: "a subset policy's 33.3", ir: subsetEjection(100, 33.3), expect: [{ severity: "error", path: SUBSET_EJECTION, line: 9, column: 8 }] },
  { name: "a subset inheriting the service's 33.3: reported once, at the service", ir: subsetEjection(33.3, undefined), expect: [{ severity: "error", path: ["services", "api", "policy", "outlierDetection", "maxEjectionPercent"], line: 4, column: 1 }] },
  {
    name: "the service's and the subset's own, each at its call",
    ir: subsetEjection(33.3, 12.5),
    expect: [
      { severity: "error", path: ["services", "api", "policy", "outlierDetection", "maxEjectionPercent"], line: 4, column: 1 },
      { severity: "error", path: SUBSET_EJECTION, line: 9, column: 8 },
    ],
  },
]);

test("MESH0331 of a subset names the subset", () => {
  assert.equal(messageOf(subsetEjection(100, 33.3), "MESH0331").message, 'Outlier detection of service "api" (subset "v2") has maxEjectionPercent 33.3; Envoy takes a whole percentage.');
});

// MESH0361: a locality's load_balancing_weight is the sum of its instances' weights, a uint32; two weights of
// 4294967295 in one locality were refused by the backend (MESH0901).
const MAX_U32 = 2 ** 32 - 1;
const weighted = (...instances: [number | undefined, string | undefined][]) =>
  mesh(
    service("api", {
      source: at(3, 20),
      instances: { kind: "static", endpoints: instances.map(([weight, zone], i) => endpoint(`10.0.0.${i + 1}`, 8080, {}, { ...(weight !== undefined && { weight }), ...(zone !== undefined && { locality: { zone } }) })) },
    }),
    service("web", { calls: ["api"] }),
  );
table(test, "MESH0361", [
  { name: "one instance at the maximum", ir: weighted([MAX_U32, undefined]), expect: [] },
  { name: "the maximum minus 1, and a default weight (1)", ir: weighted([MAX_U32 - 1, undefined], [undefined, undefined]), expect: [] },
  { name: "the maximum in each of two localities", ir: weighted([MAX_U32, "a"], [MAX_U32, "b"]), expect: [] },
  { name: "the maximum twice in one locality", ir: weighted([MAX_U32, undefined], [MAX_U32, undefined]), expect: [{ severity: "error", path: ["services", "api", "instances", "endpoints", 1, "weight"], line: 3, column: 20 }] },
  {
    name: "once per locality, at the instance that crosses the limit",
    ir: weighted([3e9, "a"], [1, "b"], [2e9, "a"], [3e9, "a"], [MAX_U32, "b"]),
    expect: [
      { severity: "error", path: ["services", "api", "instances", "endpoints", 2, "weight"], line: 3, column: 20 },
      { severity: "error", path: ["services", "api", "instances", "endpoints", 4, "weight"], line: 3, column: 20 },
    ],
  },
]);

test("MESH0361 names the locality and its sum", () => {
  const d = messageOf(weighted([MAX_U32, "a"], [MAX_U32, "a"]), "MESH0361");
  assert.equal(d.message, 'The weights of service "api"\'s instances in locality zone "a" sum to 8589934590; Envoy allows at most 4294967295 per locality.');
  assert.match(d.hint, /divide each by 2/);
});

test("every formatter command meshc accepts, and the program-size estimate at the limit, agree with the real Envoy", { timeout: 300_000 }, async (t) => {
  const envoyPath = requireEnvoy(t);
  if (!envoyPath) return;
  // Edge values of every rule, each in its own mesh: meshc's verdict must equal Envoy's.
  const values = [
    ...FORMATTER_COMMANDS.plain.map((c) => `%${c}%`),
    ...FORMATTER_COMMANDS.time.map((c) => `%${c}(%Y)%`),
    ...FORMATTER_COMMANDS.header.map((c) => `%${c}(x-a?x-b):8%`),
    ...FORMATTER_COMMANDS.param.map((c) => `%${c}(a:b)%`),
    "%FILTER_STATE(k:PLAIN)%", "%FILTER_STATE(k:TYPED)%", "%NOPE%", "100%", "%REQ()%", "%HOSTNAME(x)%",
  ];
  const cases: { what: string; ir: MeshIR }[] = [
    ...values.map((v) => ({ what: `header value ${v}`, ir: withRoute((r) => (r.requestHeaders.set = [{ name: "x-v", value: v }])) })),
    ...["host", ":authority", "x-a"].map((h) => ({ what: `remove ${h}`, ir: withRoute((r) => (r.requestHeaders.remove = [h])) })),
    ...[4096, 4097].map((n) => ({ what: `body of ${n}`, ir: withRoute((r) => (r.action = { kind: "direct", status: 200, body: "x".repeat(n) })) })),
    ...["a{96}", "a{97}", "(a|b){32}", "(a|b){33}", ".{48}", ".{49}", "\\pL{13}", "\\pL{14}"].map((x) => ({ what: `regex ${x}`, ir: pathRegex(x) })),
    ...[49, 50].map((ms) => ({ what: `rate limit every ${ms}ms`, ir: withRoute((r) => (r.rateLimit = { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: ms })) })),
    ...(["http", "http2"] as const).map((p) => ({ what: `gRPC health check on ${p}`, ir: grpcHc(p) })),
    ...[0, 1].map((ms) => ({ what: `fault delay ${ms}ms`, ir: withRoute((r) => (r.fault = { delay: { ms, percent: 100 } })) })),
  ];
  const { analyze } = await import("../../src/analysis/index.js");
  const results = await mapLimit(cases, 2, async (c) => {
    const meshcAccepts = !analyze(c.ir).some((d) => d.severity === "error");
    const tr = translateMesh(c.ir);
    // Envoy's schema ((validate.rules), applied by meshc's codec) refuses some values before Envoy itself could.
    if (tr.issues.length) return { what: c.what, meshcAccepts, envoyAccepts: false, message: tr.issues[0]!.message };
    const v = await validateProxies(c.ir, tr.snapshot, { envoyPath, concurrency: 1 });
    const envoyAccepts = v.every((x) => x.ok);
    assert.ok(v.every((x) => x.kind === "accepted" || x.kind === "rejected"), `${c.what}: ${v.map((x) => x.message).join("; ")}`);
    return { what: c.what, meshcAccepts, envoyAccepts, message: v.find((x) => !x.ok)?.message ?? "" };
  });
  const disagree = results.filter((r) => r.meshcAccepts !== r.envoyAccepts).map((r) => `${r.what}: meshc ${r.meshcAccepts ? "accepts" : "rejects"}, Envoy ${r.envoyAccepts ? "accepts" : `rejects (${r.message})`}`);
  assert.deepEqual(disagree, []);
  // Both verdicts occur, so the comparison can fail either way.
  assert.ok(results.some((r) => r.envoyAccepts) && results.some((r) => !r.envoyAccepts));
  assert.ok(re2ProgramSize("a{97}") > 100 && re2ProgramSize("a{96}") <= 100);
});
