// MESH0329 EmptyMatchPrefix: Envoy's StringMatcher requires a prefix of at least one character (PGV min_len 1) in
// header and query parameter matches; an empty one would match every value. (A path prefix "" is RouteMatch.prefix,
// which may be empty, and is not reported.)
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";

export const emptyMatchPrefix: Analyzer = {
  name: "empty-match-prefix",
  codes: ["EmptyMatchPrefix"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        const base = ["services", s.name, "routes", i, "match"];
        r.match.headers.forEach((h, k) => {
          if ("prefix" in h.match && h.match.prefix === "") {
            ctx.report("EmptyMatchPrefix", routeSource(s, r), [...base, "headers", k, "match", "prefix"], { field: `header ${q(h.name)} prefix match`, route: q(r.name) });
          }
        });
        r.match.query.forEach((x, k) => {
          if ("prefix" in x.match && x.match.prefix === "") {
            ctx.report("EmptyMatchPrefix", routeSource(s, r), [...base, "query", k, "match", "prefix"], { field: `query parameter ${q(x.name)} prefix match`, route: q(r.name) });
          }
        });
      });
    }
  },
};
