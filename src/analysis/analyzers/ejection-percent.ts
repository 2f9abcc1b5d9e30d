// MESH0331 FractionalEjectionPercent: OutlierDetection.max_ejection_percent is a UInt32Value, so a percentage such
// as 33.3 cannot be expressed (the backend would refuse it as MESH0901). Reported once per policy location: the
// service's policy (or the mesh defaults it inherits), and each subset policy that sets outlier detection of its own
// (mesh.policy(svc.subset(…), …); a subset that inherits the service's setting is reported with the service).
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const ejectionPercent: Analyzer = {
  name: "ejection-percent",
  codes: ["FractionalEjectionPercent"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const own = s.policy.outlierDetection;
      const v = own?.maxEjectionPercent;
      if (v !== undefined && !Number.isInteger(v)) {
        ctx.report("FractionalEjectionPercent", s.policy.source ?? ctx.ir.source ?? s.source, ["services", s.name, "policy", "outlierDetection", "maxEjectionPercent"], {
          service: q(s.name),
          value: v,
          suggestion: Math.round(v),
        });
      }
      for (const sub of s.subsets) {
        const od = sub.policy?.outlierDetection;
        const w = od?.maxEjectionPercent;
        if (w === undefined || Number.isInteger(w) || JSON.stringify(od) === JSON.stringify(own)) continue;
        ctx.report("FractionalEjectionPercent", sub.policy!.source ?? s.source, ["services", s.name, "subsets", sub.name, "policy", "outlierDetection", "maxEjectionPercent"], {
          service: `${q(s.name)} (subset ${q(sub.name)})`,
          value: w,
          suggestion: Math.round(w),
        });
      }
    }
  },
};
