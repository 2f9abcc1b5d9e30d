// MESH0606 TraceSamplingWithoutTracing: no sidecar calling the route's service traces, so the setting does nothing.
// MESH0426 TraceSamplingIgnored: some caller traces, but its tracer's parent-based sampler (tracing.ts) decides per
// sidecar: Envoy 1.40 reads no route-level percentage when a tracer sampler is set.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const traceSampling: Analyzer = {
  name: "trace-sampling",
  codes: ["TraceSamplingWithoutTracing", "TraceSamplingIgnored"],
  run(ctx) {
    for (const up of ctx.ir.services) {
      const routes = up.routes.map((r, i) => ({ r, i })).filter(({ r }) => r.traceSamplePercent !== undefined);
      if (routes.length === 0) continue;
      const traced = ctx.ir.services.some((s) => !s.proxyless && s.telemetry?.tracing && s.calls.includes(up.name));
      for (const { r, i } of routes) {
        if (traced) {
          ctx.report("TraceSamplingIgnored", r.source ?? up.source, ["services", up.name, "routes", i, "traceSampling"], { route: q(r.name), service: q(up.name), percent: String(r.traceSamplePercent) });
          continue;
        }
        ctx.report("TraceSamplingWithoutTracing", r.source ?? up.source, ["services", up.name, "routes", i, "traceSampling"], { route: q(r.name), service: q(up.name) });
      }
    }
  },
};
