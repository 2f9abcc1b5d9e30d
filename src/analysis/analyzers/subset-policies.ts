// MESH0110 UnknownPolicySubset: mesh.policy(svc.subset(name), …) must name a declared subset of the service, or
// its cluster settings land nowhere.
import type { Analyzer } from "../context.js";
import { didYouMean, listing, q } from "../format.js";

export const subsetPolicies: Analyzer = {
  name: "subset-policies",
  codes: ["UnknownPolicySubset"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const names = s.subsets.map((x) => x.name);
      (s.subsetPolicyCalls ?? []).forEach((c, i) => {
        if (names.includes(c.subset)) return;
        ctx.report("UnknownPolicySubset", c.source ?? s.source, ["services", s.name, "subsetPolicies", i, "subset"], {
          subset: q(c.subset),
          service: q(s.name),
          suggestion: didYouMean(c.subset, names),
          known: names.length ? listing(names.map(q)) : "none",
        });
      });
    }
  },
};
