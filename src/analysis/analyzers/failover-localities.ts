// MESH0107 UnknownFailoverLocality: each locality failover entry should name a region, zone or sub-zone that at
// least one instance of the service declares; otherwise it never matches and the failover order is not what the
// author wrote.
import type { Analyzer } from "../context.js";
import { listing, q } from "../format.js";

export const failoverLocalities: Analyzer = {
  name: "failover-localities",
  codes: ["UnknownFailoverLocality"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const entries = s.policy.localityFailover ?? [];
      if (entries.length === 0) continue;
      const known = new Set<string>();
      if (s.instances.kind === "static") {
        for (const e of s.instances.endpoints) {
          for (const v of [e.locality?.region, e.locality?.zone, e.locality?.subZone]) if (v) known.add(v);
        }
      }
      const knownText = known.size ? listing([...known].sort().map(q)) : "none";
      entries.forEach((loc, k) => {
        if (known.has(loc)) return;
        ctx.report("UnknownFailoverLocality", s.policy.source ?? s.source, ["services", s.name, "policy", "localityFailover", k], {
          locality: q(loc),
          service: q(s.name),
          known: knownText,
        });
      });
    }
  },
};
