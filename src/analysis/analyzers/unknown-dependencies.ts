// MESH0103 UnknownDependency: every name in a service's calls must be a declared service. The IR's calls also
// include route targets of the services called; a dangling one of those is reported once, at the route
// (MESH0101), not again at every caller.
import type { ServiceIR } from "../../ir/types.js";
import type { AnalysisContext, Analyzer } from "../context.js";
import { didYouMean, q } from "../format.js";

export const unknownDependencies: Analyzer = {
  name: "unknown-dependencies",
  codes: ["UnknownDependency"],
  run(ctx) {
    const names = ctx.serviceNames();
    for (const s of ctx.ir.services) {
      let implied: Set<string> | undefined; // only needed once a call dangles
      s.calls.forEach((target, k) => {
        if (ctx.service(target)) return;
        implied ??= impliedTargets(ctx, s);
        if (implied.has(target)) return;
        ctx.report("UnknownDependency", s.source, ["services", s.name, "calls", k], {
          service: q(s.name),
          target: q(target),
          suggestion: didYouMean(target, names),
        });
      });
    }
  },
};

/** Names that route backends, mirrors and TCP backends of the services `s` calls point at. */
export function impliedTargets(ctx: AnalysisContext, s: ServiceIR): Set<string> {
  const out = new Set<string>();
  for (const c of s.calls) {
    const svc = ctx.service(c);
    if (svc) for (const r of ctx.refsOf(svc)) out.add(r.service);
  }
  return out;
}
