// The synthetic-mesh generator (fixtures/big-mesh.ts) produces valid meshes of the intended shape, in one module
// or spread over team modules, with the same IR either way.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { loadMesh } from "../../src/frontend/index.js";
import type { MeshIR } from "../../src/ir/types.js";
import { generateBigMesh } from "./fixtures/big-mesh.js";
import { writeMesh, type TmpMesh } from "./tmp-mesh.js";

const made: TmpMesh[] = [];
after(() => made.forEach((m) => m.remove()));

const withoutSources = (ir: MeshIR) => JSON.stringify(ir, (k, v) => (k === "source" ? undefined : v));

test("12 services, 3 instances, 2 subsets, 5 calls and 4 routes each; every layout gives the same IR", async () => {
  const irs: MeshIR[] = [];
  for (const [modules, style] of [[0, "statements"], [3, "statements"], [0, "data"]] as const) {
    const m = writeMesh(generateBigMesh({ services: 12, modules, style }));
    made.push(m);
    const r = await loadMesh(m.entry);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.inputs.length, style === "data" ? 2 : modules + 1);
    const ir = r.ir!;
    assert.equal(ir.services.length, 12);
    for (const s of ir.services) {
      assert.equal(s.routes.length, 4);
      assert.equal(s.calls.length, 5);
      assert.equal(s.subsets.length, 2);
      assert.equal((s.instances as { endpoints: unknown[] }).endpoints.length, 3);
    }
    irs.push(ir);
  }
  assert.equal(withoutSources(irs[0]!), withoutSources(irs[1]!));
  assert.equal(withoutSources(irs[0]!), withoutSources(irs[2]!));
});
