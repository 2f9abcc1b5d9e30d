// The golden of mesh.patch() (issue 13): test/golden/patch/mesh.ts -> out/ exactly as `meshc build` writes it, plus
// report.txt (what `meshc build` prints about the patches), and every proxy of the patched mesh, inlined into a
// static bootstrap, passes the real `envoy --mode validate`. UPDATE_GOLDEN=1 rewrites the outputs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { staticBootstrap } from "../../src/backends/envoy/static-bootstrap.js";
import { renderBuild } from "../../src/build/render.js";
import { formatPatchReport } from "../../src/patch/report.js";
import { certificatePlan } from "../../src/pki/plan.js";
import { compileMesh, type CompileResult } from "../../src/pipeline.js";
import { runEnvoyValidate } from "../../src/runtime/envoy-validate.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { GoldenDir } from "../helpers/golden.js";

const DIR = join(import.meta.dirname, "..", "golden", "patch");

describe("mesh.patch() golden", () => {
  const golden = new GoldenDir(DIR, { isInput: (rel) => rel === "mesh.ts" });
  let compiled: CompileResult | undefined;
  const get = async () => (compiled ??= await compileMesh(join(DIR, "mesh.ts")));

  test("compiles cleanly, writes the golden build and report", { timeout: 120_000 }, async () => {
    const r = await get();
    assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.line}: ${d.message}`), []);
    assert.ok(r.snapshot && r.ir && r.patches);
    for (const [rel, text] of renderBuild(r.ir.name, r.snapshot, certificatePlan(r.ir))) golden.check(`out/${rel}`, text);
    golden.check("report.txt", `${formatPatchReport(r.patches).join("\n")}\n`);
    const rds = renderBuild(r.ir.name, r.snapshot, certificatePlan(r.ir)).get("web/rds.json")!;
    assert.match(rds, /x-mesh-patched/);
    assert.match(renderBuild(r.ir.name, r.snapshot, certificatePlan(r.ir)).get("web/lds.json")!, /shop-mesh/);
  });

  test("every proxy passes envoy --mode validate", { timeout: 120_000 }, async (t) => {
    const envoyPath = requireEnvoy(t);
    if (!envoyPath) return;
    const r = await get();
    assert.ok(r.snapshot && r.ir);
    for (const svc of [...r.snapshot.proxies.keys()].sort()) {
      const v = await runEnvoyValidate(staticBootstrap(r.ir, svc, r.snapshot), { envoyPath, name: `patch-${svc}.json` });
      assert.ok(v.ok, `${svc}: ${v.message}`);
    }
  });

  test("no orphaned golden files", () => golden.checkOrphans());
});
