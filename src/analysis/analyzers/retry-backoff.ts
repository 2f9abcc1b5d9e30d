// MESH0403 BackoffBaseExceedsMax: Envoy rejects a retry backoff whose max interval is below its base interval.
// Checked where a backoff is written: the service policy and each route's own retry.
import type { RetryIR, SourceLoc } from "../../ir/types.js";
import { routeSource, type AnalysisContext, type Analyzer, type ModelPath } from "../context.js";
import { ms, q } from "../format.js";

export const retryBackoff: Analyzer = {
  name: "retry-backoff",
  codes: ["BackoffBaseExceedsMax"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const fromDefaults = s.policy.source === undefined && ctx.ir.source !== undefined;
      check(
        ctx,
        s.policy.retry,
        fromDefaults ? "the mesh defaults" : `the default policy of service ${q(s.name)}`,
        fromDefaults ? ctx.ir.source : (s.policy.source ?? s.source),
        ["services", s.name, "policy", "retry"],
      );
      s.routes.forEach((r, i) => {
        if (r.action.kind !== "forward") return;
        check(ctx, r.action.retry, `route ${q(r.name)}`, routeSource(s, r), ["services", s.name, "routes", i, "action", "retry"]);
      });
    }
  },
};

function check(ctx: AnalysisContext, retry: RetryIR | undefined, where: string, at: SourceLoc | undefined, path: ModelPath) {
  const b = retry?.backoff;
  if (!b || b.baseMs <= b.maxMs) return;
  ctx.report("BackoffBaseExceedsMax", at, [...path, "backoff"], { where, base: ms(b.baseMs), max: ms(b.maxMs) });
}
