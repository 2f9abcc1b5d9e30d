// MESH0405 HealthCheckTimeoutExceedsInterval: a health check that may run longer than its interval overlaps the
// next one, and a slow host looks healthy until the timeout, long after the interval suggests.
import type { Analyzer } from "../context.js";
import { ms, q } from "../format.js";

export const healthCheckTiming: Analyzer = {
  name: "health-check-timing",
  codes: ["HealthCheckTimeoutExceedsInterval"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const hc = s.policy.healthCheck;
      if (!hc || hc.timeoutMs <= hc.intervalMs) continue;
      ctx.report("HealthCheckTimeoutExceedsInterval", s.policy.source ?? s.source, ["services", s.name, "policy", "healthCheck", "timeoutMs"], {
        service: q(s.name),
        timeout: ms(hc.timeoutMs),
        interval: ms(hc.intervalMs),
      });
    }
  },
};
