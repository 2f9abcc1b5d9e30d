// MESH0205 DuplicateSubset: subset names are unique within a service (they name clusters).
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const duplicateSubsets: Analyzer = {
  name: "duplicate-subsets",
  codes: ["DuplicateSubset"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const seen = new Set<string>();
      s.subsets.forEach((sub, i) => {
        if (seen.has(sub.name)) {
          ctx.report("DuplicateSubset", s.source, ["services", s.name, "subsets", i], {
            service: q(s.name),
            subset: q(sub.name),
          });
        }
        seen.add(sub.name);
      });
    }
  },
};
