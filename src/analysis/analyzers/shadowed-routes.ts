// MESH0303 ShadowedRoute: routes match in order, so a route whose requests all match an earlier route never runs.
// Reported once per shadowed route, naming the first earlier route that covers it.
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";
import { matchCovers } from "../route-match.js";

export const shadowedRoutes: Analyzer = {
  name: "shadowed-routes",
  codes: ["ShadowedRoute"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        const j = s.routes.slice(0, i).findIndex((earlier) => matchCovers(earlier.match, r.match));
        if (j < 0) return;
        ctx.report("ShadowedRoute", routeSource(s, r), ["services", s.name, "routes", i, "match"], {
          route: q(r.name),
          earlier: q(s.routes[j]!.name),
          index: j,
        });
      });
    }
  },
};
