// MESH0301 ZeroTotalWeight, MESH0320 WeightsNotHundred: the weights of a route's (or TCP route's) backends are
// percentages and must sum to 100, as in Istio. A sum of 0 (or no backends) sends traffic nowhere (MESH0301); any
// other sum is an error too (MESH0320): meshc used to normalize it with a warning (MESH0302, retired), which turned
// a typo such as 90 + 20 into a split nobody wrote.
// MESH0362 SplitWeightRoundsToZero: Envoy's weights are integers, so a split with a fractional weight is written in
// basis points (integerWeights): a positive weight below 0.005 becomes 0 and its backend silently gets nothing; and
// Envoy's TCP proxy refuses a weighted cluster of weight 0 (a 0 written as such included).
import { integerWeights } from "../../backends/envoy/routes.js";
import type { BackendRefIR, SourceLoc } from "../../ir/types.js";
import { routeSource, tcpRouteSource, type AnalysisContext, type Analyzer, type ModelPath } from "../context.js";
import { q } from "../format.js";

export const splitWeights: Analyzer = {
  name: "split-weights",
  codes: ["ZeroTotalWeight", "WeightsNotHundred", "SplitWeightRoundsToZero"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        if (r.action.kind !== "forward") return;
        const path = ["services", s.name, "routes", i, "action", "backends"];
        check(ctx, r.action.backends, `route ${q(r.name)}`, routeSource(s, r), path);
        // A route with several matches is one route written once: report it once.
        if (r.alternative === undefined || r.alternative === 1) zeroWeights(ctx, r.action.backends, `route ${q(r.name)}`, routeSource(s, r), path, false);
      });
      if (s.tcpRoute) {
        const path = ["services", s.name, "tcpRoute", "backends"];
        check(ctx, s.tcpRoute.backends, `the TCP route of service ${q(s.name)}`, tcpRouteSource(s), path);
        zeroWeights(ctx, s.tcpRoute.backends, `the TCP route of service ${q(s.name)}`, tcpRouteSource(s), path, true);
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

/** Each backend of a split (two or more: one backend is a plain cluster, no weight) that Envoy would weight 0. */
function zeroWeights(ctx: AnalysisContext, backends: BackendRefIR[], where: string, at: SourceLoc | undefined, path: ModelPath, tcp: boolean) {
  if (backends.length < 2) return;
  const weights = integerWeights(backends.map((b) => b.weight));
  backends.forEach((b, k) => {
    if (weights[k] !== 0 || (b.weight <= 0 && !tcp)) return; // an HTTP weight of 0 is Envoy's too: sends nothing, as written
    const rounded = b.weight > 0;
    ctx.report("SplitWeightRoundsToZero", at, [...path, k, "weight"], {
      weight: b.weight,
      backend: backendName(b),
      where,
      reason: rounded
        ? `becomes 0 in Envoy, which takes a split with fractional percentages in hundredths of a percent${tcp ? ", and Envoy's TCP proxy refuses a weight of 0" : ": this backend would get no traffic"}`
        : "is 0, and Envoy's TCP proxy refuses a weight of 0 in a split",
      advice: rounded
        ? "Give the backend at least 0.01 percent, or leave it out of the split."
        : "Leave the backend out of the split (a TCP route sends it nothing then).",
    });
  });
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
