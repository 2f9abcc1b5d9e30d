// 07xx: authorization analysis (issue 9). Each code has a valid/invalid table over hand-built IR.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AuthzPolicyIR, AuthzRuleIR, MeshIR, ServiceIR } from "../../src/ir/types.js";
import { at, mesh, messageOf, port, service, table } from "./ir-fixtures.js";

const strict = (s: ServiceIR): ServiceIR => ({ ...s, mtls: "strict", ports: s.ports.map((p) => ({ ...p, mtls: "strict" })) });
const rule = (name: string, r: Partial<AuthzRuleIR> = {}): AuthzRuleIR => ({ name, action: "allow", dryRun: false, headers: [], notHeaders: [], source: at(9, 3), ...r });
const policy = (service: string | undefined, rules: AuthzRuleIR[], extra: Partial<AuthzPolicyIR> = {}): AuthzPolicyIR => ({
  ...(service !== undefined ? { service } : {}),
  default: "deny",
  dryRun: false,
  rules,
  source: at(9, 3),
  ...extra,
});
const withAuthz = (ir: MeshIR, ...policies: AuthzPolicyIR[]): MeshIR => ({
  ...ir,
  authorization: { ...(policies.find((p) => p.service === undefined) ? { mesh: policies.find((p) => p.service === undefined) } : {}), services: policies.filter((p) => p.service !== undefined) },
});

const web = (extra: Parameters<typeof service>[1] = {}) => strict(service("web", { calls: ["api"], source: at(3, 3), ...extra }));
const api = (extra: Parameters<typeof service>[1] = {}) => strict(service("api", { source: at(4, 3), ...extra }));
const fromWeb = rule("web-in", { from: [{ kind: "service", service: "web" }] });
const e = (code: string, path: (string | number)[], severity: "error" | "warning", line = 9, column = 3) => ({ severity, path, line, column });
const rulePath = (svc: string, i = 0) => ["authorization", svc, "rules", i];

table(test, "MESH0701", [
  { name: "caller rule on a strict port", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb])), expect: [] },
  {
    name: "caller rule on a permissive port",
    ir: withAuthz(mesh(web(), { ...api(), ports: [{ ...port("http", "http", 8080, 3000), mtls: "permissive" }] }), policy("api", [fromWeb])),
    expect: [e("MESH0701", rulePath("api"), "error")],
  },
  {
    name: "deny with notFrom on a port without mTLS",
    ir: withAuthz(mesh(web(), service("api")), policy("api", [rule("x", { action: "deny", notFrom: [{ kind: "trust-domain", trustDomain: "test.example" }] })], { default: "allow" })),
    expect: [e("MESH0701", rulePath("api"), "error")],
  },
  {
    name: "caller rule limited to the strict port",
    ir: withAuthz(
      mesh(web(), { ...api(), ports: [{ ...port("http", "http", 8080, 3000), mtls: "strict" }, { ...port("health", "http", 8081, 3001), mtls: "off" }] }),
      policy("api", [rule("x", { from: [{ kind: "service", service: "web" }], ports: ["http"] })]),
    ),
    expect: [],
  },
  { name: "path-only rule on a plaintext port", ir: withAuthz(mesh(service("api")), policy("api", [rule("p", { paths: [{ kind: "prefix", value: "/p/", ignoreCase: false }] })])), expect: [] },
]);

table(test, "MESH0702", [
  { name: "empty from", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb, rule("none", { from: [] })])), expect: [e("MESH0702", rulePath("api", 1), "warning")] },
  { name: "ports exclude every port", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb, rule("p", { notPorts: ["http"] })])), expect: [e("MESH0702", rulePath("api", 1), "warning")] },
  { name: "methods all negated", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb, rule("m", { methods: ["GET"], notMethods: ["GET"] })])), expect: [e("MESH0702", rulePath("api", 1), "warning")] },
  { name: "ordinary rules", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb, rule("m", { methods: ["GET"] })])), expect: [] },
]);

const denyAll = (name: string, r: Partial<AuthzRuleIR> = {}) => rule(name, { action: "deny", ...r });
table(test, "MESH0703", [
  {
    name: "dry-run deny of web under an enforced allow of web",
    ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb, denyAll("d", { dryRun: true, from: [{ kind: "service", service: "web" }] })])),
    expect: [e("MESH0703", rulePath("api", 1), "warning")],
  },
  { name: "enforced deny (deny wins)", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb, denyAll("d", { from: [{ kind: "service", service: "web" }] })])), expect: [] },
  {
    name: "the allow only covers some paths",
    ir: withAuthz(mesh(web(), api()), policy("api", [rule("a", { from: [{ kind: "service", service: "web" }], paths: [{ kind: "prefix", value: "/x/", ignoreCase: false }] }), denyAll("d", { dryRun: true })])),
    expect: [],
  },
]);

table(test, "MESH0704", [
  { name: "allowed caller declares the call", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb])), expect: [] },
  { name: "allowed caller never calls", ir: withAuthz(mesh(web({ calls: [] }), api()), policy("api", [fromWeb])), expect: [e("MESH0704", rulePath("api"), "warning")] },
]);

table(test, "MESH0705", [
  { name: "default deny, caller allowed", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb])), expect: [] },
  { name: "default deny, nothing allows the caller", ir: withAuthz(mesh(web(), api()), policy("api", [])), expect: [e("MESH0705", ["services", "web", "calls"], "warning", 3, 3)] },
  {
    name: "caller denied outright",
    ir: withAuthz(mesh(web(), api()), policy("api", [denyAll("d", { from: [{ kind: "service", service: "web" }] })], { default: "allow" })),
    expect: [e("MESH0705", ["services", "web", "calls"], "warning", 3, 3)],
  },
  { name: "dry-run policy", ir: withAuthz(mesh(web(), api()), policy("api", [], { dryRun: true })), expect: [] },
  { name: "mesh-wide default deny in dry run (not enforced)", ir: withAuthz(mesh(web(), api()), policy(undefined, [], { dryRun: true })), expect: [] },
  {
    name: "own policy in dry run under an enforced mesh-wide default deny",
    ir: withAuthz(mesh(web(), api()), policy(undefined, []), policy("api", [{ ...fromWeb, dryRun: true }], { dryRun: true })),
    expect: [e("MESH0705", ["services", "web", "calls"], "warning", 3, 3)],
  },
]);

const withDb = () => strict(service("db", { ports: [port("pg", "tcp", 5432, 6432)] }));
table(test, "MESH0706", [
  { name: "deny with paths on a TCP service", ir: withAuthz(mesh(withDb()), policy("db", [denyAll("d", { paths: [{ kind: "prefix", value: "/x", ignoreCase: true }] })])), expect: [e("MESH0706", rulePath("db"), "error")] },
  { name: "allow with methods naming the TCP port", ir: withAuthz(mesh(withDb()), policy("db", [rule("a", { ports: ["pg"], methods: ["GET"] })])), expect: [e("MESH0706", rulePath("db"), "error")] },
  { name: "allow with methods, no ports (skips TCP ports)", ir: withAuthz(mesh(withDb()), policy("db", [rule("a", { methods: ["GET"] })])), expect: [] },
  { name: "caller-only rule on a TCP port", ir: withAuthz(mesh(web({ calls: ["db"] }), withDb()), policy("db", [rule("a", { from: [{ kind: "service", service: "web" }] })])), expect: [] },
]);

const pathRule = (value: string, kind: "exact" | "prefix" | "suffix" = "prefix") => policy("api", [denyAll("d", { paths: [{ kind, value, ignoreCase: true }] })], { default: "allow" });
table(test, "MESH0707", [
  { name: "plain prefix", ir: withAuthz(mesh(service("api")), pathRule("/admin")), expect: [] },
  { name: "suffix", ir: withAuthz(mesh(service("api")), pathRule(".json", "suffix")), expect: [] },
  { name: "reserved characters Envoy leaves raw or encoded, at most 5 in a deny", ir: withAuthz(mesh(service("api")), pathRule("/v1/users:export@me!,+")), expect: [] },
  {
    name: "more than 5 in an allow's paths (matched as written only)",
    ir: withAuthz(mesh(service("api")), policy("api", [rule("ok", { paths: [{ kind: "prefix", value: "/a:b:c:d:e:f:g", ignoreCase: false }] })], { default: "deny" })),
    expect: [],
  },
  { name: "refused: more than 5 in a deny's paths (every spelling)", ir: withAuthz(mesh(service("api")), pathRule("/a:b:c:d:e:f:g")), expect: [e("MESH0707", rulePath("api"), "error")] },
  ...["/a%2Fb", "/a//b", "/a/../b", "/a/./b", "admin", "/a\\b", "/a?x=1", "/a#f", "/a;x", "/a\u0000", '/a"b', "/a b", "/a{b}", "/a|b", "/a^b", "/a`b", "/a<b>", "/caf\u00e9"].map((v) => ({
    name: `refused: ${JSON.stringify(v)}`,
    ir: withAuthz(mesh(service("api")), pathRule(v)),
    expect: [e("MESH0707", rulePath("api"), "error")],
  })),
]);

table(test, "MESH0708", [
  { name: "caller exists", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb])), expect: [] },
  { name: "caller missing", ir: withAuthz(mesh(api()), policy("api", [fromWeb])), expect: [e("MESH0708", rulePath("api"), "error")] },
]);

const idRule = (identity: string) => withAuthz(mesh(api()), policy("api", [rule("x", { from: [{ kind: "identity", identity } as never] })]));
table(test, "MESH0709", [
  { name: "exact SPIFFE ID with dots", ir: idRule("spiffe://partner.example/ns/a.b/sa/c-d_e"), expect: [] },
  ...["spiffe://p.example/sa/a*", "spiffe://p.example/sa/a+b", "spiffe://p.example/sa/(a|b)", "spiffe://P.example/x", "spiffe://p.example", "spiffe://p.example/a//b", "spiffe://p.example/a/../b"].map((id) => ({
    name: `refused: ${id}`,
    ir: idRule(id),
    expect: [e("MESH0709", rulePath("api"), "error")],
  })),
]);

table(test, "MESH0710", [
  { name: "sidecar service", ir: withAuthz(mesh(api()), policy("api", [], { default: "allow" })), expect: [] },
  { name: "proxyless client", ir: withAuthz(mesh(service("cli", { proxyless: true, ports: [] })), policy("cli", [], { default: "allow" })), expect: [e("MESH0710", ["authorization", "cli"], "error")] },
]);

table(test, "MESH0711", [
  { name: "once", ir: withAuthz(mesh(api()), policy("api", [], { default: "allow" })), expect: [] },
  {
    name: "twice",
    ir: withAuthz(mesh(api()), policy("api", [], { default: "allow" }), policy("api", [], { default: "allow", source: at(12, 3) })),
    expect: [e("MESH0711", ["authorization", "api"], "error", 12, 3)],
  },
]);

table(test, "MESH0712", [
  { name: "known port", ir: withAuthz(mesh(service("api")), policy("api", [denyAll("d", { ports: ["http"] })], { default: "allow" })), expect: [] },
  { name: "unknown port", ir: withAuthz(mesh(service("api")), policy("api", [denyAll("d", { ports: ["nope"] })], { default: "allow" })), expect: [e("MESH0712", rulePath("api"), "error")] },
]);

table(test, "MESH0713", [
  { name: "allow under default deny", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb])), expect: [] },
  { name: "allow under default allow", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb], { default: "allow" })), expect: [e("MESH0713", rulePath("api"), "warning")] },
  {
    name: "inherits the mesh default deny",
    ir: withAuthz(mesh(web(), api()), policy(undefined, [], { default: "deny" }), policy("api", [fromWeb], { default: undefined })),
    expect: [],
  },
  {
    // MESH0710 is the error there; "the default is allow" beside it was wrong: a service without a proxy has none.
    name: "a policy on a proxyless client (no default at all)",
    ir: withAuthz(mesh(web(), service("cli", { proxyless: true, ports: [] })), policy("cli", [fromWeb])),
    expect: [],
  },
]);

table(test, "MESH0714", [
  { name: "distinct names", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb, rule("other", { from: [{ kind: "service", service: "web" }] })])), expect: [] },
  { name: "same name twice", ir: withAuthz(mesh(web(), api()), policy("api", [fromWeb, rule("web-in", { from: [{ kind: "service", service: "web" }] })])), expect: [e("MESH0714", ["authorization", "api"], "error")] },
  {
    name: "a service rule reuses a mesh-wide rule's name",
    ir: withAuthz(mesh(web(), api()), policy(undefined, [rule("web-in", { action: "deny", headers: [{ name: "x-block", match: { kind: "present" } }] })]), policy("api", [fromWeb])),
    expect: [e("MESH0714", ["authorization", "api"], "error")],
  },
]);

test("MESH0701 names the rule, the port and its mode", () => {
  const ir = withAuthz(mesh(web(), { ...api(), ports: [{ ...port("http", "http", 8080, 3000), mtls: "permissive" }] }), policy("api", [fromWeb]));
  const { message, hint } = messageOf(ir, "MESH0701");
  assert.equal(message, 'Rule "web-in" of the policy of "api" names callers, but port "http" of "api" is in "permissive" mTLS mode: plaintext callers have no verified identity there.');
  assert.match(hint, /mtls: "strict"/);
});

// Ingress gateways: callers from outside the mesh carry no mesh identity (their listeners are "off" in the IR).
const gw = (extra: Parameters<typeof service>[1] = {}) =>
  service("edge", {
    source: at(5, 3),
    mtls: "strict",
    ports: [port("http-8000", "http", 8000, 8000)],
    gateway: { listeners: [{ port: "http-8000", protocol: "http", hosts: ["shop.example"] }] },
    ...extra,
  } as never);
const anyPath = (name: string, action: "allow" | "deny" = "allow") => rule(name, { action, paths: [{ kind: "prefix", value: "/", ignoreCase: false }] });
const fromTd = (name: string, r: Partial<AuthzRuleIR> = {}) => rule(name, { from: [{ kind: "trust-domain", trustDomain: "test.example" }], ...r });

table(test, "MESH0701", [
  { name: "a gateway's own path rule", ir: withAuthz(mesh(web(), api(), gw()), policy("edge", [anyPath("public")])), expect: [] },
  { name: "a gateway's own rule naming callers", ir: withAuthz(mesh(web(), api(), gw()), policy("edge", [anyPath("public"), fromWeb])), expect: [e("MESH0701", rulePath("edge", 1), "error")] },
  {
    name: "a gateway's own deny with notFrom",
    ir: withAuthz(mesh(web(), api(), gw()), policy("edge", [rule("x", { action: "deny", notFrom: [{ kind: "service", service: "web" }] })], { default: "allow" })),
    expect: [e("MESH0701", rulePath("edge"), "error")],
  },
  {
    name: "a gateway whose IR calls its port strict (older IR) is still refused",
    ir: withAuthz(mesh(web(), api(), gw({ ports: [{ ...port("http-8000", "http", 8000, 8000), mtls: "strict" }] })), policy("edge", [fromWeb])),
    expect: [e("MESH0701", rulePath("edge"), "error")],
  },
  { name: "a mesh-wide rule naming callers is not refused for a gateway", ir: withAuthz(mesh(web(), api(), gw()), policy(undefined, [fromTd("mesh-td", { action: "deny" })], { default: "allow" })), expect: [] },
]);

test("MESH0701 on a gateway says its callers carry no mesh identity", () => {
  const { message, hint } = messageOf(withAuthz(mesh(web(), api(), gw()), policy("edge", [anyPath("public"), fromWeb])), "MESH0701");
  assert.equal(message, 'Rule "web-in" of the policy of "edge" names callers, but port "http-8000" of gateway "edge" takes callers from outside the mesh: they carry no mesh identity (a gateway asks for no client certificate).');
  assert.match(hint, /match the request instead/);
  assert.doesNotMatch(hint, /mtls: "strict"/);
});

table(test, "MESH0240", [
  { name: "gateway without authorization", ir: mesh(web(), api(), gw()), expect: [] },
  { name: "mesh-wide default deny, the gateway allows paths", ir: withAuthz(mesh(web(), api(), gw()), policy(undefined, [fromTd("mesh-td")]), policy("edge", [anyPath("public")], { default: undefined })), expect: [] },
  { name: "mesh-wide default deny, the gateway defaults to allow", ir: withAuthz(mesh(web(), api(), gw()), policy(undefined, [fromTd("mesh-td")]), policy("edge", [], { default: "allow" })), expect: [] },
  { name: "a mesh-wide allow with notFrom matches external callers", ir: withAuthz(mesh(web(), api(), gw()), policy(undefined, [rule("not-foreign", { notFrom: [{ kind: "trust-domain", trustDomain: "other.example" }] })])), expect: [] },
  { name: "a mesh-wide deny from callers never matches at a gateway", ir: withAuthz(mesh(web(), api(), gw()), policy(undefined, [fromTd("mesh-td", { action: "deny" })], { default: "allow" })), expect: [] },
  { name: "a mesh-wide deny with notFrom and a path leaves other paths", ir: withAuthz(mesh(web(), api(), gw()), policy(undefined, [rule("x", { action: "deny", notFrom: [{ kind: "trust-domain", trustDomain: "test.example" }], paths: [{ kind: "prefix", value: "/internal/", ignoreCase: true }] })], { default: "allow" })), expect: [] },
  {
    name: "mesh-wide default deny whose only allow names callers, no policy of the gateway's own",
    ir: withAuthz(mesh(web(), api(), gw()), policy(undefined, [fromTd("mesh-td")])),
    expect: [e("MESH0240", ["authorization", "mesh"], "warning")],
  },
  {
    name: "the gateway's own policy: default deny and no allow rule",
    ir: withAuthz(mesh(web(), api(), gw()), policy("edge", [anyPath("no-debug", "deny")])),
    expect: [e("MESH0240", ["authorization", "edge"], "warning")],
  },
  {
    name: "only a dry-run allow lets callers in",
    ir: withAuthz(mesh(web(), api(), gw()), policy("edge", [rule("public", { dryRun: true, paths: [{ kind: "prefix", value: "/", ignoreCase: false }] })])),
    expect: [e("MESH0240", ["authorization", "edge"], "warning")],
  },
  {
    name: "a mesh-wide deny with notFrom and no other condition",
    ir: withAuthz(mesh(web(), api(), gw()), policy(undefined, [rule("foreign", { action: "deny", notFrom: [{ kind: "trust-domain", trustDomain: "test.example" }] })], { default: "allow" })),
    expect: [e("MESH0240", ["authorization", "mesh", "rules", 0], "warning")],
  },
]);

test("MESH0240 names the gateway, the port and why", () => {
  const { message, hint } = messageOf(withAuthz(mesh(web(), api(), gw()), policy(undefined, [fromTd("mesh-td")])), "MESH0240");
  assert.equal(message, 'Gateway "edge" refuses every request on port "http-8000": the default is "deny" and every allow rule that applies names callers (from), which a caller without a mesh identity never is.');
  assert.match(hint, /allow rules match requests rather than callers/);
});
