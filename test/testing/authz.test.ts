// meshc test's isAllowed/isDenied read the callee's compiled RBAC (src/authz/evaluate.ts) with the caller's
// identity (the caller's cluster speaks mTLS), and name the deciding rule; a wrong expectation says which rule decided.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runTestFile } from "../../src/testing/run.js";

test("isDenied/isAllowed with the deciding rule, from the compiled RBAC", { timeout: 120_000 }, async () => {
  const r = await runTestFile("test/testing/fixtures/authz.mesh.test.ts", { typecheck: false });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
  const cases = r.suites[0]!.cases;
  assert.deepEqual(cases.map((c) => c.passed), [true, true, false]);
  assert.match(cases[2]!.failures[0]!.message, /expected it to be allowed; api's sidecar \(inbound\|8080\) denies it by no-admin/);
});
