// MESH0401 RetriesExceedTimeout: `attempts` counts retries after the first try (Envoy's num_retries), so with a
// per-try timeout a request can take (1 + attempts) × per-try; when that is longer than the route's overall
// timeout (0 means none) the last retries are cut off. Checked where
// the retry or timeout is set: on each route that sets its own, and once on the service policy when routes
// inherit both.
import type { Analyzer } from "../context.js";
import { ms } from "../format.js";
import { retrySites } from "../retry-policy.js";

export const retryTimeout: Analyzer = {
  name: "retry-timeout",
  codes: ["RetriesExceedTimeout"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      for (const site of retrySites(s, ctx.ir.source)) {
        const r = site.retry;
        if (!site.governsTimeout || !r || r.perTryTimeoutMs === undefined || !site.timeoutMs) continue;
        const total = (1 + r.attempts) * r.perTryTimeoutMs;
        if (total <= site.timeoutMs) continue;
        ctx.report("RetriesExceedTimeout", site.at, site.ownRetry ? site.retryPath : site.timeoutPath, {
          where: site.where,
          attempts: r.attempts,
          retries: r.attempts === 1 ? "retry" : "retries",
          perTry: ms(r.perTryTimeoutMs),
          total: ms(total),
          timeout: ms(site.timeoutMs),
        });
      }
    }
  },
};
