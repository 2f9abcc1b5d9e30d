// MESH0331 FractionalEjectionPercent: OutlierDetection.max_ejection_percent is a UInt32Value, so a percentage such
// as 33.3 cannot be expressed (the backend would refuse it as MESH0901). Reported once per policy location.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const ejectionPercent: Analyzer = {
  name: "ejection-percent",
  codes: ["FractionalEjectionPercent"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const v = s.policy.outlierDetection?.maxEjectionPercent;
      if (v === undefined || Number.isInteger(v)) continue;
      ctx.report("FractionalEjectionPercent", s.policy.source ?? ctx.ir.source ?? s.source, ["services", s.name, "policy", "outlierDetection", "maxEjectionPercent"], {
        service: q(s.name),
        value: v,
        suggestion: Math.round(v),
      });
    }
  },
};
