// MESH0330 ZeroFaultDelay: Envoy's fault filter requires fixed_delay > 0 (PGV gt 0s); "0ms" is refused.
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";

export const faultDelay: Analyzer = {
  name: "fault-delay",
  codes: ["ZeroFaultDelay"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        if (r.fault?.delay && r.fault.delay.ms <= 0) {
          ctx.report("ZeroFaultDelay", routeSource(s, r), ["services", s.name, "routes", i, "fault", "delay", "ms"], { route: q(r.name) });
        }
      });
    }
  },
};
