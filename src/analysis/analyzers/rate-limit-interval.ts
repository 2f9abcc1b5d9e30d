// MESH0326 RateLimitIntervalTooShort: Envoy's local rate limit refuses a token bucket whose fill interval is under
// 50ms ("local rate limit token bucket fill timer must be >= 50ms"), for a service's inbound limit and a route's.
import type { RateLimitIR } from "../../ir/types.js";
import { routeSource, type Analyzer } from "../context.js";
import { ms, q } from "../format.js";

export const MIN_FILL_INTERVAL_MS = 50;

export const rateLimitInterval: Analyzer = {
  name: "rate-limit-interval",
  codes: ["RateLimitIntervalTooShort"],
  run(ctx) {
    const suggestion = (rl: RateLimitIR) => {
      const factor = Math.ceil(MIN_FILL_INTERVAL_MS / Math.max(1, rl.fillIntervalMs));
      return `tokens: ${rl.tokensPerFill * factor}, per: "${ms(rl.fillIntervalMs * factor)}"`;
    };
    for (const s of ctx.ir.services) {
      if (s.rateLimit && s.rateLimit.fillIntervalMs < MIN_FILL_INTERVAL_MS) {
        ctx.report("RateLimitIntervalTooShort", s.source, ["services", s.name, "rateLimit", "fillIntervalMs"], {
          where: `service ${q(s.name)}`,
          interval: ms(s.rateLimit.fillIntervalMs),
          suggestion: suggestion(s.rateLimit),
        });
      }
      s.routes.forEach((r, i) => {
        if (!r.rateLimit || r.rateLimit.fillIntervalMs >= MIN_FILL_INTERVAL_MS) return;
        ctx.report("RateLimitIntervalTooShort", routeSource(s, r), ["services", s.name, "routes", i, "rateLimit", "fillIntervalMs"], {
          where: `route ${q(r.name)}`,
          interval: ms(r.rateLimit.fillIntervalMs),
          suggestion: suggestion(r.rateLimit),
        });
      });
    }
  },
};
