// MESH0101 UnknownService, MESH0102 UnknownSubset: route backends, mirrors and TCP route backends must name a
// declared service, and a declared subset of it.
import type { Analyzer } from "../context.js";
import { didYouMean, listing, q } from "../format.js";
import { refPath, refSource, refWhere } from "../refs.js";

export const unknownReferences: Analyzer = {
  name: "unknown-references",
  codes: ["UnknownService", "UnknownSubset"],
  run(ctx) {
    for (const ref of ctx.refs()) {
      const target = ctx.service(ref.service);
      if (!target) {
        ctx.report("UnknownService", refSource(ref), [...refPath(ref), "service"], {
          service: q(ref.service),
          where: refWhere(ref),
          suggestion: didYouMean(ref.service, ctx.serviceNames()),
        });
        continue;
      }
      if (ref.subset === undefined || target.subsets.some((x) => x.name === ref.subset)) continue;
      const subsets = target.subsets.map((x) => x.name);
      ctx.report("UnknownSubset", refSource(ref), [...refPath(ref), "subset"], {
        subset: q(ref.subset),
        service: q(target.name),
        where: refWhere(ref),
        suggestion: didYouMean(ref.subset, subsets),
        known: subsets.length ? listing(subsets.map(q)) : "none",
      });
    }
  },
};
