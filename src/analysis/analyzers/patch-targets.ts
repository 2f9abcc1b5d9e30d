// MESH0243 PatchTargetWithoutProxy: a mesh.patch() lists a proxy meshc does not run (a service not in the mesh, an
// external or non-mesh service), so the patch could never apply there. Names that exist but match no resource
// are found later, against the generated resources (src/patch/apply.ts, MESH0244).
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const patchTargets: Analyzer = {
  name: "patch-targets",
  codes: ["PatchTargetWithoutProxy"],
  run(ctx) {
    for (const p of ctx.ir.patches ?? []) {
      p.proxies.forEach((name, k) => {
        const s = ctx.service(name);
        const why = !s ? "it is not part of this mesh" : s.external ? "it is an external service" : s.nonMesh ? "it is a non-mesh service" : undefined;
        if (why) ctx.report("PatchTargetWithoutProxy", p.source, ["patches", p.index, "proxies", k], { service: q(name), why });
      });
    }
  },
};
