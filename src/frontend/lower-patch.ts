// mesh.patch() calls (validated by schema-patch.ts) as IR: the target by name, in call order; the function stays
// in the evaluation worker and is known to the compiler only by its index.
import type { PatchModel } from "../dsl/model.js";
import type { SourceSite } from "../dsl/site.js";
import type { PatchIR, SourceLoc } from "../ir/types.js";
import { siteOf } from "./sites.js";

export function lowerPatches(patches: readonly PatchModel[], loc: (site: SourceSite | undefined) => SourceLoc | undefined): PatchIR[] {
  return patches.map((p, index) => {
    const out: PatchIR = { index, kind: p.kind, proxies: [...new Set(p.proxies.map((r) => r.service))] };
    if (p.name !== undefined) out.names = [...new Set(typeof p.name === "string" ? [p.name] : p.name)];
    const source = loc(siteOf(p));
    if (source) out.source = source;
    return out;
  });
}
