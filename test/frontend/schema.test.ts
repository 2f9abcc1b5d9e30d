// Validation (zod) of the evaluated model: messages, paths, positions, and the duration parser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineMesh, http, type Duration, type Mesh } from "../../src/dsl/index.js";
import { durationMs } from "../../src/frontend/duration.js";
import { dotPath, validateModel } from "../../src/frontend/validate.js";

const check = (fn: (mesh: Mesh) => void) => validateModel(defineMesh({ name: "t", trustDomain: "t.example" }, fn));
const loose = (s: string) => s as Duration;

test("durationMs: units, fractions, whole milliseconds only", () => {
  assert.deepEqual(["250ms", "1.5s", "2m", "1h", "0s", "0.5s", "1.0005s", "2 seconds", "1e3ms", "-1s", "s", 5].map(durationMs), [
    250, 1500, 120_000, 3_600_000, 0, 500, undefined, undefined, undefined, undefined, undefined, undefined,
  ]);
});

test("a valid model passes, symbol-keyed call sites are not unknown keys", () => {
  assert.deepEqual(
    check((mesh) => {
      const a = mesh.service("a", { ports: { web: http(80) }, instances: ["10.0.0.1:80", "[::1]:80"] });
      mesh.routes(a, (r) => [r.match().to(a).timeout("1s")]);
    }),
    [],
  );
});

test("issues carry a path with service names, a message quoting the value, and a position", () => {
  const ds = check((mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
    mesh.routes(a, (r) => [
      r.match()
        .to(a)
        .timeout(loose("1 second"))
        .retries({ attempts: 2.5 }),
    ]);
  });
  assert.deepEqual(
    ds.map((d) => [d.code, d.path, d.message]),
    [
      ["MESH0003", ["services", "a", "routes", 0, "timeout"], 'services.a.routes[0].timeout: expected a duration like "250ms", "1.5s" or "2m" (a whole number of milliseconds), got "1 second"'],
      ["MESH0003", ["services", "a", "routes", 0, "retries", "attempts"], "services.a.routes[0].retries.attempts: attempts must be an integer from 1 to 4294967295, got 2.5"],
    ],
  );
  // Each at its own chained call (different lines), in this file.
  assert.ok(ds.every((d) => d.file?.includes("schema.test.ts") && (d.line ?? 0) > 0));
  assert.notEqual(ds[0]!.line, ds[1]!.line);
});

test("unknown options (typos past the types) and non-references are reported", () => {
  const ds = check((mesh) => {
    mesh.service("a", { ports: { web: http(80) }, instances: [], calls: ["b" as never], polcy: {} } as never);
  });
  assert.deepEqual(
    ds.map((d) => d.message),
    [
      'services.a.calls[0]: expected a service or subset reference (what mesh.service() returned), got "b"',
      'services.a: Unrecognized key: "polcy"',
    ],
  );
});

test("exactly-one-of rules, forward-only modifiers and route actions", () => {
  const ds = check((mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
    mesh.routes(a, (r) => [
      r.match({ headers: { x: { exact: "1", prefix: "1" } as never } }).to(a),
      (r.match().respond(200) as unknown as { timeout(d: Duration): never }).timeout("1s"),
      r.match() as never,
    ]);
    mesh.policy(a, { healthCheck: { interval: "1s" } as never, loadBalancer: "fastest" as never });
  });
  assert.deepEqual(
    ds.map((d) => dotPath(d.path!) + " | " + d.message.slice(dotPath(d.path!).length + 2)),
    [
      'services.a.routes[0].match.headers.x | a match needs exactly one of exact, prefix, regex, present, got ["exact","prefix"]',
      "services.a.routes[1].timeout | .timeout() applies to forwarding routes (.to() or .split()), not to a respond",
      "services.a.routes[2].actions | a route needs exactly one action (.to(), .split(), .redirect() or .respond()), got 0",
      "services.a.policies[0].healthCheck | a health check needs exactly one of http, grpc, tcp, got []",
      'services.a.policies[0].loadBalancer | expected "round-robin", "least-request", "random", { ringHash } or { maglev }, got "fastest"',
    ],
  );
});

test("names: services are DNS labels; ports and subsets are simple names", () => {
  const ds = check((mesh) => {
    mesh.service("Web", { ports: { "we b": http(80) }, instances: [], subsets: { "": { v: "1" } } });
  });
  assert.deepEqual(
    ds.map((d) => dotPath(d.path!)),
    ["services.Web.name", 'services.Web.ports["we b"]', 'services.Web.subsets[""]'],
  );
});
