// `meshc test` and `meshc explain route` end to end through the real CLI: every example's test file passes; a
// failing fixture reports each failure at its line with the route that matched instead and the first condition
// that differed, in every output format; broken test files get MESH1001/1002, bad requests MESH1003, bad
// expectations MESH1004; usage errors exit 2.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { meshc } from "../bootstrap/cli-helpers.js";

const BAD = "test/testing/fixtures/bad.mesh.test.ts";

test("meshc test: every example's test file passes (exit 0)", { timeout: 300_000 }, async () => {
  const r = await meshc(["test", "examples"], 280_000);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const summary = /(\d+) passed, (\d+) failed in (\d+) file\(s\)/.exec(r.stdout);
  assert.ok(summary, r.stdout);
  assert.equal(summary[2], "0");
  assert.ok(Number(summary[1]) >= 30, `${summary[1]} expectations passed`);
  assert.equal(summary[3], "7", "one test file per example");
});

test("meshc test: failures say where, what matched instead and the first differing condition (exit 1)", { timeout: 120_000 }, async () => {
  const r = await meshc(["test", BAD], 110_000);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL web -> catalog POST \/items \[x-canary: 2\]/);
  assert.match(r.stdout, /bad\.mesh\.test\.ts:4:\d+: expected it to go to catalog subset v2; route "catalog-2" \(#2 of virtual host catalog:8080\) forwards to outbound\|8080\|v1\|catalog/);
  assert.match(r.stdout, /route "catalog-canary-optin" \(#0\) sends to catalog subset v2 but does not match: header x-canary must satisfy: equals "1"; it is "2"/);
  assert.match(r.stdout, /expected a split v1 80%, v2 20%; route "catalog-1" sends outbound\|8080\|v1\|catalog 90%, outbound\|8080\|v2\|catalog 10%/);
  assert.match(r.stdout, /expected timeout 1s; route "catalog-1" has 2000 ms/);
  assert.match(r.stderr, /error\[MESH1004\] test\/testing\/fixtures\/bad\.mesh\.test\.ts:6:\d+: routesTo: service "catalog" has no subset "v3"/);
  assert.match(r.stderr, /error\[MESH1003\] test\/testing\/fixtures\/bad\.mesh\.test\.ts:7:5: no service "catalgo" in mesh "shop"/);
  assert.match(r.stdout, /0 passed, 4 failed, 2 error\(s\) in 1 file\(s\)/);
});

test("meshc test: json, github and junit formats", { timeout: 180_000 }, async () => {
  const json = await meshc(["test", BAD, "--format", "json", "--no-typecheck"], 110_000);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout) as { passed: number; failed: number; errors: number; files: { file: string; suites: { cases: { line: number; passed: boolean; failures: { message: string; explanation: string[] }[] }[] }[] }[] };
  assert.deepEqual([doc.passed, doc.failed, doc.errors], [0, 4, 2]);
  assert.equal(doc.files[0]!.file, BAD);
  const first = doc.files[0]!.suites[0]!.cases[0]!;
  assert.equal(first.line, 4);
  assert.ok(first.failures[0]!.explanation.some((e) => e.includes('it is "2"')), JSON.stringify(first));

  const gh = await meshc(["test", BAD, "--format", "github", "--no-typecheck"], 110_000);
  assert.equal(gh.code, 1);
  assert.match(gh.stdout, /^::error file=test\/testing\/fixtures\/bad\.mesh\.test\.ts,line=4,col=\d+,title=meshc test%3A web -> catalog POST \/items/m);
  assert.match(gh.stdout, /^::error file=test\/testing\/fixtures\/bad\.mesh\.test\.ts,line=6,col=\d+,title=MESH1004::/m);

  const junit = await meshc(["test", BAD, "--format", "junit", "--no-typecheck"], 110_000);
  assert.equal(junit.code, 1);
  assert.match(junit.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="meshc test" tests="4" failures="4" errors="2">/);
  assert.match(junit.stdout, /<testcase classname="[^"]*" name="web -&gt; catalog POST \/items \[x-canary: 2\]" file="test\/testing\/fixtures\/bad\.mesh\.test\.ts" line="4">\n {6}<failure message="expected it to go to catalog subset v2/);
});

test("meshc test: broken test files and usage errors", { timeout: 180_000 }, async () => {
  const empty = await meshc(["test", "test/testing/fixtures/empty.mesh.test.ts", "--no-typecheck"], 110_000);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /error\[MESH1002\] .*empty\.mesh\.test\.ts:1:1: the test file declares no tests/);

  const throws = await meshc(["test", "test/testing/fixtures/throws.mesh.test.ts", "--no-typecheck"], 110_000);
  assert.equal(throws.code, 1);
  assert.match(throws.stderr, /error\[MESH1001\] .*throws\.mesh\.test\.ts:6:9: evaluating the test file failed: boom in the test body/);

  const missing = await meshc(["test", "no/such/dir"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file or folder: no\/such\/dir/);

  const none = await meshc(["test", "src/re2"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no \*\.mesh\.test\.ts files/);
});

test("meshc explain route: the route trace, the action and the callee's authorization", { timeout: 120_000 }, async () => {
  const r = await meshc(["explain", "route", "examples/shop/mesh.ts", "--from", "web", "--to", "catalog", "--path", "/items", "--method", "POST", "-H", "x-canary: 2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /#0 catalog-canary-optin: no: header x-canary must satisfy: equals "1"; it is "2"/);
  assert.match(r.stdout, /#1 catalog-1: no: method must satisfy: matches the regex "\^\(\?:GET\|HEAD\)\$"; it is "POST"/);
  assert.match(r.stdout, /#2 catalog-2: MATCHES/);
  assert.match(r.stdout, /forwards to outbound\|8080\|v1\|catalog\n {2}timeout: 3000 ms/);
  assert.match(r.stdout, /authorization at catalog's sidecar \(inbound\|8080\):\n.*\n {2}ALLOWED/);

  const tcp = await meshc(["explain", "route", "examples/tcp-failover/mesh.ts", "--from", "api", "--to", "redis", "--tcp", "--json"]);
  assert.equal(tcp.code, 0, tcp.stderr);
  const v = JSON.parse(tcp.stdout) as { destinations: { service: string; percent: number }[] };
  assert.deepEqual(v.destinations.map((d) => [d.service, d.percent]), [["redis", 75], ["redis-next", 25]]);

  const bad = await meshc(["explain", "route", "examples/shop/mesh.ts", "--from", "web", "--to", "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no service "nope" in mesh "shop"/);
});

test("meshc explain route and meshc test from an ingress gateway: its own authorization first, then its routes by Host", { timeout: 180_000 }, async () => {
  // Before, a request from a gateway was refused ("has no outbound HTTP listener"), and any route that answered
  // itself (a direct response, a 404) crashed explain route with a TypeError.
  const direct = await meshc(["explain", "route", "examples/shop/mesh.ts", "--from", "web", "--to", "cart", "--path", "/healthz"]);
  assert.equal(direct.code, 0, direct.stderr);
  assert.match(direct.stdout, /responds 200/);
  const r = await meshc(["explain", "route", "examples/shop/mesh.ts", "--from", "edge", "--authority", "shop.example", "--path", "/api/cart/7"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /at gateway edge, listener gateway\|8000/);
  assert.match(r.stdout, /forwards to outbound\|8080\|\|cart/);
  const nohost = await meshc(["explain", "route", "examples/shop/mesh.ts", "--from", "edge", "--authority", "evil.example", "--path", "/"]);
  assert.equal(nohost.code, 0, nohost.stderr);
  assert.match(nohost.stdout, /no virtual host .* serves Host "evil\.example" \(404\)/);

  const dir = mkdtempSync(join(tmpdir(), "meshc-gw-test-"));
  try {
    writeFileSync(join(dir, "mesh.ts"), `import { defineMesh, http } from "${join(process.cwd(), "src", "dsl", "index.ts")}";
export default defineMesh({ name: "g", trustDomain: "g.example" }, (mesh) => {
  const web = mesh.service("web", { ports: { http: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  const edge = mesh.gateway("edge", { listeners: [{ port: 8000, protocol: "http", hosts: ["g.example"] }], instances: [{ address: "10.0.9.1" }] });
  mesh.routes(edge, (r) => [r.match().to(web)]);
  mesh.authorize(edge, { rules: [{ action: "deny", name: "no-admin", to: { paths: [{ prefix: "/admin" }] } }] });
});
`);
    writeFileSync(join(dir, "g.mesh.test.ts"), `import { meshTest, request } from "meshc/test";
import mesh from "./mesh.ts";
meshTest(mesh, (t) => {
  t.expect(request({ from: "edge", to: "edge", authority: "g.example", path: "/ADMIN/x" })).isDenied("no-admin");
  t.expect(request({ from: "edge", to: "edge", authority: "g.example", path: "/x" })).routesTo("web").isAllowed();
});
`);
    const ex = await meshc(["explain", "route", join(dir, "mesh.ts"), "--from", "edge", "--authority", "g.example", "--path", "/admin"]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stdout, /authorization at gateway edge \(gateway\|8000\)/);
    assert.match(ex.stdout, /DENIED/);
    assert.match(ex.stdout, /the route below is not taken/);
    const t = await meshc(["test", join(dir, "g.mesh.test.ts")], 110_000);
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /2 passed, 0 failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
