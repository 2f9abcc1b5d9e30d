// MESH0301 ZeroTotalWeight, MESH0320 WeightsNotHundred: the weights of a route's (or TCP route's) backends are
// percentages and must sum to 100, as in Istio. A sum of 0 (or no backends) sends traffic nowhere (MESH0301); any
// other sum is an error too (MESH0320): meshc used to normalize it with a warning (MESH0302, retired), which turned
// a typo such as 90 + 20 into a split nobody wrote.
import type { BackendRefIR, SourceLoc } from "../../ir/types.js";
import { routeSource, tcpRouteSource, type AnalysisContext, type Analyzer, type ModelPath } from "../context.js";
import { q } from "../format.js";

export const splitWeights: Analyzer = {
  name: "split-weights",
  codes: ["ZeroTotalWeight", "WeightsNotHundred"],
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
  const weights = backends.length ? backends.map((b) => `${backendName(b)} ${b.weight}`).join(" + ") : "no backends";
  if (sum <= 0) {
    ctx.report("ZeroTotalWeight", at, path, { where, weights });
    return;
  }
  ctx.report("WeightsNotHundred", at, path, { where, sum: round(sum), weights, suggestion: suggestion(backends, sum) });
}

/** The same proportions rescaled to whole percentages that sum to exactly 100 (the last backend takes the rest). */
function suggestion(backends: BackendRefIR[], sum: number): string {
  const scaled = backends.map((b) => Math.round((b.weight / sum) * 100));
  scaled[scaled.length - 1] = 100 - scaled.slice(0, -1).reduce((n, w) => n + w, 0);
  return backends.map((b, i) => `${backendName(b)} ${scaled[i]}`).join(" + ");
}

function backendName(b: BackendRefIR): string {
  return q(b.subset === undefined ? b.service : `${b.service}/${b.subset}`);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
