// Backend goldens: test/golden/backend/<case>/ir.json -> <case>/out/<service>/{cds,eds,lds,rds}.json and
// out/manifest.json, exactly as `meshc build` writes them. UPDATE_GOLDEN=1 rewrites them and deletes stale files;
// any other file under test/golden/backend fails as an orphan.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatIssue } from "../../src/backends/envoy/api/issues.js";
import { renderBuild } from "../../src/build/render.js";
import { certificatePlan } from "../../src/pki/plan.js";
import { GoldenDir } from "../helpers/golden.js";
import { caseNames, GOLDEN_DIR, translateCase } from "./cases.js";

describe("backend goldens", () => {
  const cases = caseNames();
  const golden = new GoldenDir(GOLDEN_DIR, { isInput: (rel) => /^[^/]+\/ir\.json$/.test(rel) });

  test("the cases cover the backend's features", () => {
    assert.deepEqual(cases, ["authorization", "callers-cors", "egress-allow-any", "external-egress", "gateway", "hashing", "http-routing", "istio-parity", "mtls", "proxyless", "resilience", "subsets-canary", "tcp-failover", "telemetry", "zones"]);
  });

  for (const c of cases) {
    test(c, () => {
      const { ir, result } = translateCase(c);
      assert.deepEqual(result.issues.map(formatIssue), []);
      for (const [rel, text] of renderBuild(ir.name, result.snapshot, certificatePlan(ir))) golden.check(`${c}/out/${rel}`, text);
    });
  }

  // Runs after the cases (node:test runs a suite's tests in order).
  test("no orphaned golden files", () => golden.checkOrphans());
});
