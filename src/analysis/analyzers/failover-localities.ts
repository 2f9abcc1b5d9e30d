// MESH0107 UnknownFailoverLocality: each locality failover entry should name a region, zone or sub-zone that at
// least one instance of the service declares (a bare name), or a "region/zone/subZone" path one declares;
// otherwise it never matches and the failover order is not what the author wrote.
// MESH0807 AmbiguousFailoverLocality: a bare name that denotes several localities (zone "a" in regions "us" and
// "ap") is resolved from each caller (resolveFailoverEntry in src/backends/envoy/endpoints.ts): the nearest one,
// and none for a caller near none of them. Never all of them: that sent traffic across regions.
import { localityNames } from "../../backends/envoy/endpoints.js";
import type { Analyzer } from "../context.js";
import { listing, q } from "../format.js";

const path = (p: string[]) => p.join("/");

export const failoverLocalities: Analyzer = {
  name: "failover-localities",
  codes: ["UnknownFailoverLocality", "AmbiguousFailoverLocality"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const entries = s.policy.localityFailover ?? [];
      if (entries.length === 0) continue;
      const names = localityNames(s);
      const paths = new Set([...names.values()].flat().map(path));
      entries.forEach((loc, k) => {
        const where = ["services", s.name, "policy", "localityFailover", k];
        const source = s.policy.source ?? s.source;
        const qualified = loc.includes("/");
        if (qualified ? !paths.has(loc) : !names.has(loc)) {
          const known = qualified ? [...paths] : [...names.keys()];
          ctx.report("UnknownFailoverLocality", source, where, {
            locality: q(loc),
            service: q(s.name),
            known: known.length ? listing(known.sort().map(q)) : "none",
          });
          return;
        }
        const found = qualified ? [] : names.get(loc)!;
        if (found.length > 1) {
          ctx.report("AmbiguousFailoverLocality", source, where, {
            locality: q(loc),
            service: q(s.name),
            count: String(found.length),
            paths: listing(found.map((p) => q(path(p)))),
            example: q(path(found[0]!)),
          });
        }
      });
    }
  },
};
