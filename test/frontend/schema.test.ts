// Validation (zod) of the evaluated model: messages, paths, positions, and the duration parser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineMesh, dns, http, type Duration, type Mesh, type RetryOptions } from "../../src/dsl/index.js";
import { durationMs } from "../../src/frontend/duration.js";
import { dotPath, validateModel } from "../../src/frontend/validate.js";
import { readFileSync } from "node:fs";
import { positionOf } from "./tmp-mesh.js";

/** 1-based line of the only line of this file that ends with the comment `// <marker>` (where a diagnostic must point). */
const SELF = readFileSync(new URL(import.meta.url), "utf8");
const lineOf = (marker: string) => {
  const needle = `// ${marker}\n`;
  assert.equal(SELF.indexOf(needle), SELF.lastIndexOf(needle), `${marker} marks one line`);
  return positionOf(SELF, needle).line;
};
/** 1-based column of `text` in the line that lineOf(marker) finds. */
const columnOf = (marker: string, text: string) => SELF.split("\n")[lineOf(marker) - 1]!.indexOf(text) + 1;

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

// Envoy 1.40 refuses 9223372036 s and more in every duration field meshc writes ("Invalid duration: Duration
// out-of-range"), and an access log's slowerThan is a uint32 of milliseconds: test/analysis/envoy-accept.test.ts
// checks both edges with the real Envoy.
test("durations are capped at what Envoy accepts, at the call site with the maximum in the hint", () => {
  const every = (d: string) =>
    check((mesh) => {
      const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
      mesh.policy(a, {
        connectTimeout: loose(d),
        idleTimeout: loose(d),
        timeout: loose(d),
        healthCheck: { http: "/h", interval: loose(d), timeout: loose(d) },
        outlierDetection: { interval: loose(d), baseEjection: loose(d) },
        loadBalancer: { ringHash: { hashOn: { cookie: "c", ttl: loose(d) } } },
      });
      mesh.cors(a, { allowOrigins: ["https://a.example"], maxAge: loose(d) });
      mesh.routes(a, (r) => [
        r.match().fault({ delay: { fixed: loose(d) } }).rateLimit({ tokens: 1, per: loose(d) }).to(a).timeout(loose(d)).idleTimeout(loose(d)).retries({ attempts: 1, perTry: loose(d), backoff: { base: loose(d), max: loose(d) } }),
      ]);
    });
  assert.deepEqual(every("9223372035999ms"), []);
  assert.deepEqual(every("2562047h"), []);
  assert.deepEqual(every("153722867m"), []);
  const ds = every("9223372036s");
  assert.equal(ds.length, 16);
  assert.ok(ds.every((d) => d.code === "MESH0003" && (d.line ?? 0) > 0));
  // A hash cookie's ttl sits in a union of hash keys, whose refusal is the union's own message (as for any bad ttl).
  const union = ds.filter((d) => d.path?.at(-1) === "loadBalancer");
  const capped = ds.filter((d) => d.path?.at(-1) !== "loadBalancer");
  assert.equal(union.length, 1);
  for (const d of capped) {
    assert.match(d.message, /at most "9223372035999ms" \(about 292 years, the longest Envoy accepts\), got "9223372036s"$/);
    assert.match(d.hint ?? "", /at most "9223372035999ms"/);
  }
  assert.deepEqual(ds.find((d) => d.path?.at(-1) === "timeout" && d.path[2] === "routes")?.path, ["services", "a", "routes", 0, "timeout"]);
  // Minutes and hours too.
  assert.equal(every("153722868m").length, 16);
  assert.equal(every("2562048h").length, 16);
});

test("an access log's slowerThan is at most 4294967295ms, a uint32 in Envoy", () => {
  const slower = (d: string) =>
    check((mesh) => {
      const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
      mesh.telemetry(a, { accessLog: { filter: { slowerThan: loose(d) } } });
    });
  assert.deepEqual(slower("4294967295ms"), []);
  const [d, ...rest] = slower("4294967296ms");
  assert.deepEqual(rest, []);
  assert.deepEqual(d?.path, ["services", "a", "telemetry", 0, "accessLog", "filter", "slowerThan"]);
  assert.match(d?.message ?? "", /at most "4294967295ms"/);
  assert.match(d?.hint ?? "", /at most "4294967295ms"/);
});

test("an instance address that looks numeric must be an address Envoy parses (it NACKed 999.1.1.1 and 01.2.3.4)", () => {
  const errors = (address: string) => check((mesh) => void mesh.service("a", { ports: { web: http(80) }, instances: [{ address }] })).map((d) => d.code);
  for (const bad of ["999.1.1.1", "01.2.3.4", "1::2::3", ":::", "1:2"]) assert.deepEqual(errors(bad), ["MESH0003"], bad);
  for (const good of ["10.0.0.1", "::ffff:10.0.0.1", "fd00::1"]) assert.deepEqual(errors(good), [], good);
  assert.deepEqual(check((mesh) => void mesh.service("a", { ports: { web: http(80) }, instances: ["999.1.1.1:80"] })).map((d) => d.code), ["MESH0003"]);
});

// A static instance is an EDS endpoint: Envoy resolves no name there (the backend refused "localhost" as MESH0901).
test("a static instance's address is an IP address: a hostname is refused at the service, dns() and external dns still take one", () => {
  const ds = check((mesh) => {
    mesh.service("a", { ports: { web: http(80) }, instances: ["db.internal:80", { address: "localhost" }, { address: "a1", port: 80 }, "10.0.0.1:80", "[fd00::1]:80"] }); // named instances
    mesh.external("x", { hosts: ["api.partner.example"], ports: { https: http(443) }, resolution: "static", endpoints: ["partner.example", "203.0.113.7"], tls: {} }); // named endpoint
  });
  assert.deepEqual(
    ds.map((d) => [d.code, dotPath(d.path!), d.line]),
    [
      ["MESH0003", "services.a.instances[0]", lineOf("named instances")],
      ["MESH0003", "services.a.instances[1].address", lineOf("named instances")],
      ["MESH0003", "services.a.instances[2].address", lineOf("named instances")],
      ["MESH0003", "services.x.instances[0].address", lineOf("named endpoint")],
    ],
  );
  assert.match(ds[0]!.message, /got "db\.internal:80": Envoy does not resolve a static instance's name \(declare a hostname with dns\(/);
  assert.match(ds[1]!.message, /got "localhost": Envoy does not resolve/);
  // At the mesh.service() / mesh.external() call.
  assert.deepEqual(ds.map((d) => d.column), [0, 1, 2, 3].map((i) => (i < 3 ? columnOf("named instances", 'service("a"') : columnOf("named endpoint", 'external("x"'))));
  assert.ok(ds.every((d) => d.file?.endsWith("schema.test.ts")));
  assert.deepEqual(
    check((mesh) => {
      mesh.service("d", { ports: { web: http(80) }, instances: dns("db.internal", 80) });
      mesh.external("y", { hosts: ["api.partner.example"], ports: { https: http(443) }, endpoints: ["partner.example"], tls: {} });
    }),
    [],
  );
});

// Envoy binds a listener to an IP address: "localhost" was NACKed ("malformed IP address: localhost").
test("sidecar.inboundAddress is an IP address, for services and gateways", () => {
  const inbound = (inboundAddress: string) =>
    check((mesh) => {
      mesh.service("a", { ports: { web: http(80) }, instances: [], sidecar: { inboundAddress } }); // service inbound
      mesh.gateway("g", { listeners: [{ port: 8000, protocol: "http", hosts: ["a.example"] }], instances: [{ address: "10.0.0.9" }], sidecar: { inboundAddress } }); // gateway inbound
    });
  for (const good of ["0.0.0.0", "127.0.0.1", "::", "::1", "fd00::1", "10.0.0.1"]) assert.deepEqual(inbound(good), [], good);
  for (const bad of ["localhost", "my-host.local", "a1", "999.1.1.1", "fe80::1%eth0", ""]) {
    const ds = inbound(bad);
    assert.deepEqual(ds.map((d) => [d.code, dotPath(d.path!)]), [["MESH0003", "services.a.sidecar.inboundAddress"], ["MESH0003", "services.g.sidecar.inboundAddress"]], bad);
    assert.match(ds[0]!.message, /expected an IP address to bind .*: Envoy binds a listener to an address, not a hostname$/);
    assert.deepEqual(ds.map((d) => d.line), [lineOf("service inbound"), lineOf("gateway inbound")], "each at its own declaration");
  }
});

test("a CORS origin prefix, suffix or regex is not empty (Envoy requires 1 character); an empty exact is fine", () => {
  const ds = check((mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
    mesh.cors(a, { allowOrigins: [{ prefix: "" }, { exact: "" }, { suffix: "" }, { regex: "" }, { prefix: "https://" }] }); // empty origins
  });
  assert.deepEqual(
    ds.map((d) => [d.code, dotPath(d.path!)]),
    [
      ["MESH0003", "services.a.cors[0].allowOrigins[0].prefix"],
      ["MESH0003", "services.a.cors[0].allowOrigins[2].suffix"],
      ["MESH0003", "services.a.cors[0].allowOrigins[3].regex"],
    ],
  );
  assert.ok(ds.every((d) => d.line === lineOf("empty origins")), "at the mesh.cors() call");
});

test("a redirect takes path or prefix, not both (prefix was dropped); the error is at .redirect()", () => {
  const ds = check((mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
    mesh.routes(a, (r) => [
      r.match({ path: { prefix: "/old/" } }).redirect({ prefix: "/new/" }),
      r.match({ path: { prefix: "/x/" } })
        .redirect({ path: "/a", prefix: "/b" } as never), // both
    ]);
  });
  assert.deepEqual(ds.map((d) => [d.code, dotPath(d.path!), d.message]), [["MESH0003", "services.a.routes[1].actions[0].prefix", "services.a.routes[1].actions[0].prefix: a redirect takes path or prefix, not both"]]);
  assert.deepEqual([ds[0]!.line, ds[0]!.column], [lineOf("both"), columnOf("both", "redirect(")], "at .redirect()");
});

test("retries need a condition: on: [] alone retries nothing (retry_on \"\"); with statusCodes or grpcCodes it is fine", () => {
  const retries = (r: RetryOptions) =>
    check((mesh) => {
      const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
      mesh.routes(a, (rb) => [rb.match().to(a).retries(r)]); // route retries
      mesh.policy(a, { retries: r }); // policy retries
    });
  for (const good of [{ attempts: 3 }, { attempts: 3, on: ["5xx"] }, { attempts: 3, on: [], statusCodes: [409] }, { attempts: 3, on: [], grpcCodes: ["unavailable"] }, { attempts: 3, statusCodes: [] }] as RetryOptions[])
    assert.deepEqual(retries(good), [], JSON.stringify(good));
  const ds = retries({ attempts: 3, on: [] });
  assert.deepEqual(ds.map((d) => [d.code, dotPath(d.path!)]), [["MESH0003", "services.a.routes[0].retries.on"], ["MESH0003", "services.a.policies[0].retries.on"]]);
  assert.match(ds[0]!.message, /a retry policy needs something to retry on/);
  assert.equal(retries({ attempts: 3, on: [], statusCodes: [], grpcCodes: [] }).length, 2);
  // At the .retries() call and at the mesh.policy() call.
  assert.deepEqual(ds.map((d) => d.line), [lineOf("route retries"), lineOf("policy retries")]);
});

test("a gRPC match's service and method have no \"/\" or space (the route could never match); a redirect host's port is 1-65535", () => {
  const ds = check((mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
    mesh.routes(a, (r) => [
      r.match({ grpc: { service: "shop.Cart", method: "Add" } }).to(a),
      r.match({ grpc: { service: "shop/Cart" } }).to(a),
      r.match({ grpc: { service: "shop.Cart", method: "Add Item" } }).to(a),
      r.match({ path: { prefix: "/a" } }).redirect({ host: "shop.example:8443" }),
      r.match({ path: { prefix: "/b" } }).redirect({ host: "shop.example:0" }),
      r.match({ path: { prefix: "/c" } }).redirect({ host: "shop.example:70000" }),
    ]);
  });
  assert.deepEqual(
    ds.map((d) => [d.code, dotPath(d.path!)]),
    [
      ["MESH0003", "services.a.routes[1].match.grpc.service"],
      ["MESH0003", "services.a.routes[2].match.grpc.method"],
      ["MESH0003", "services.a.routes[4].actions[0].host"],
      ["MESH0003", "services.a.routes[5].actions[0].host"],
    ],
  );
  assert.match(ds[0]!.message, /a gRPC service name \(package.Service\) has no "\/" or space, got "shop\/Cart"/);
  assert.match(ds[2]!.message, /a redirect host's port is 1 to 65535, got "shop.example:0"/);
});
