// 05xx: identities.
import assert from "node:assert/strict";
import { test } from "node:test";
import { identityProblem } from "../../src/analysis/analyzers/identity.js";
import { at, mesh, messageOf, service, table } from "./ir-fixtures.js";

const withIdentity = (identity: string) => mesh(service("web", { source: at(2, 3), identity }));
const bad = { severity: "error" as const, path: ["services", "web", "identity"], line: 2, column: 3 };

table(test, "MESH0501", [
  { name: "default identity", ir: withIdentity("spiffe://test.example/service/web"), expect: [] },
  { name: "custom path", ir: withIdentity("spiffe://test.example/ns/shop/sa/web-frontend_v1.2"), expect: [] },
  { name: "not a SPIFFE URI", ir: withIdentity("web.shop.svc"), expect: [bad] },
  { name: "other trust domain", ir: withIdentity("spiffe://other.example/service/web"), expect: [bad] },
  { name: "regex metacharacters", ir: withIdentity("spiffe://test.example/service/web.*"), expect: [bad] },
  { name: "no path", ir: withIdentity("spiffe://test.example"), expect: [bad] },
  { name: "trailing slash", ir: withIdentity("spiffe://test.example/service/"), expect: [bad] },
  { name: "dot-dot segment", ir: withIdentity("spiffe://test.example/service/../admin"), expect: [bad] },
]);

test("MESH0501 explains why", () => {
  assert.equal(identityProblem("spiffe://test.example/a/b+c", "test.example"), 'path segment "b+c" contains "+"; only letters, digits, ".", "-" and "_" are allowed');
  assert.equal(identityProblem("spiffe://x.example/a", "test.example"), 'its trust domain is "x.example", not "test.example"');
  assert.equal(identityProblem("http://test.example/a", "test.example"), 'it does not start with "spiffe://"');
  const { message, hint } = messageOf(withIdentity("spiffe://test.example//web"), "MESH0501");
  assert.equal(message, 'Identity "spiffe://test.example//web" of service "web" is not a valid SPIFFE ID in trust domain "test.example": it has an empty path segment ("//" or a trailing "/").');
  assert.match(hint, /the default is "spiffe:\/\/test\.example\/service\/web"/);
});

// MESH0715: the xDS server's own SPIFFE ID is reserved (issue 9, authenticated ADS).
table(test, "MESH0715", [
  { name: "default identity", ir: withIdentity("spiffe://test.example/service/web"), expect: [] },
  { name: "a neighbour of the reserved path", ir: withIdentity("spiffe://test.example/meshc/xds-server2"), expect: [] },
  { name: "the xDS server's identity", ir: withIdentity("spiffe://test.example/meshc/xds-server"), expect: [bad] },
]);
