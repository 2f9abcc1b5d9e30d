// A tolerance for random splits (weighted clusters, fault percentages) that does not flake: the observed count of
// n independent draws with probability p is Binomial(n, p), so the bound is in standard deviations, not points.
// 4.5 sd fails a correct split once in ~150,000 runs, while an 80/20 split measured against 50/50 or 20/80 over 400
// draws is still 15 sd or more away. A fixed "within 5 points" over 400 draws was 2.5 sd: it failed about one run
// in 80 per assertion (CI saw 59/341 for a 20/80 split).
import assert from "node:assert/strict";

export const SPLIT_SD = 4.5;

/** The largest |observed - n·p| accepted for `n` draws with probability `p`. */
export function splitTolerance(n: number, p: number, sd = SPLIT_SD): number {
  return sd * Math.sqrt(n * p * (1 - p));
}

/** Asserts that `observed` of `n` draws is within `sd` standard deviations of `n·p`. */
export function assertProportion(observed: number, n: number, p: number, message: string, sd = SPLIT_SD): void {
  const tol = splitTolerance(n, p, sd);
  assert.ok(
    Math.abs(observed - n * p) <= tol,
    `${message}: ${observed} of ${n}, expected ${(n * p).toFixed(1)} ± ${tol.toFixed(1)} (${sd} sd of Binomial(${n}, ${p}))`,
  );
}
