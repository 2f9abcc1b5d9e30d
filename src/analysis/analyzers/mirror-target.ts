// MESH0307 MirrorToSameTarget: a mirror that points at one of the route's own backends (same service, same subset
// or both without subset) sends every mirrored request to that backend a second time, side effects included.
// (A mirror to a missing service or subset is MESH0101/MESH0102.)
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";

export const mirrorTarget: Analyzer = {
  name: "mirror-target",
  codes: ["MirrorToSameTarget"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        if (r.action.kind !== "forward" || !r.action.mirror) return;
        const m = r.action.mirror;
        if (!r.action.backends.some((b) => b.weight > 0 && b.service === m.service && b.subset === m.subset)) return;
        ctx.report("MirrorToSameTarget", routeSource(s, r), ["services", s.name, "routes", i, "action", "mirror"], {
          route: q(r.name),
          target: q(m.subset === undefined ? m.service : `${m.service}/${m.subset}`),
        });
      });
    }
  },
};
