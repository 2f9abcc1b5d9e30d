// MESH0301 ZeroTotalWeight, MESH0302 WeightsNormalized: the weights of a route's (or TCP route's) backends are
// percentages. A sum of 0 (or no backends) sends traffic nowhere: error. Any other sum is used as relative
// proportions (weight / sum), which is what Envoy does with weighted clusters; say so plainly, as a warning.
import type { BackendRefIR, SourceLoc } from "../../ir/types.js";
import { routeSource, tcpRouteSource, type AnalysisContext, type Analyzer, type ModelPath } from "../context.js";
import { q } from "../format.js";

export const splitWeights: Analyzer = {
  name: "split-weights",
  codes: ["ZeroTotalWeight", "WeightsNormalized"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        if (r.action.kind !== "forward") return;
        check(ctx, r.action.backends, `route ${q(r.name)}`, routeSource(s, r), [
          "services", s.name, "routes", i, "action", "backends",
        ]);
      });
      if (s.tcpRoute) {
        check(ctx, s.tcpRoute.backends, `the TCP route of service ${q(s.name)}`, tcpRouteSource(s), [
          "services", s.name, "tcpRoute", "backends",
        ]);
      }
    }
  },
};

function check(ctx: AnalysisContext, backends: BackendRefIR[], where: string, at: SourceLoc | undefined, path: ModelPath) {
  const sum = backends.reduce((n, b) => n + b.weight, 0);
  if (Math.abs(sum - 100) < 1e-9) return;
  if (sum <= 0) {
    const weights = backends.length ? backends.map((b) => `${backendName(b)} ${b.weight}`).join(" + ") : "no backends";
    ctx.report("ZeroTotalWeight", at, path, { where, weights });
    return;
  }
  const normalized = backends.map((b) => `${backendName(b)} ${percent((b.weight / sum) * 100)}%`).join(", ");
  ctx.report("WeightsNormalized", at, path, { where, sum: round(sum), normalized });
}

function backendName(b: BackendRefIR): string {
  return q(b.subset === undefined ? b.service : `${b.service}/${b.subset}`);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function percent(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
