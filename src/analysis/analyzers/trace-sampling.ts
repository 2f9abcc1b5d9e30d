// MESH0606 TraceSamplingWithoutTracing: a route's sampling percent is applied by the caller's sidecar that routes
// the request; if no sidecar calling the route's service traces, the setting does nothing.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const traceSampling: Analyzer = {
  name: "trace-sampling",
  codes: ["TraceSamplingWithoutTracing"],
  run(ctx) {
    for (const up of ctx.ir.services) {
      const routes = up.routes.map((r, i) => ({ r, i })).filter(({ r }) => r.traceSamplePercent !== undefined);
      if (routes.length === 0) continue;
      const traced = ctx.ir.services.some((s) => !s.proxyless && s.telemetry?.tracing && s.calls.includes(up.name));
      if (traced) continue;
      for (const { r, i } of routes) {
        ctx.report("TraceSamplingWithoutTracing", r.source ?? up.source, ["services", up.name, "routes", i, "traceSampling"], { route: q(r.name), service: q(up.name) });
      }
    }
  },
};
