// MESH0350 UnknownRouteCaller, MESH0351 RouteCallerNeverCalls: caller-based routing (`r.match({ from: [web] })`,
// issue 13). A route with `from` is compiled into the route tables of the callers it names only, so a name that is
// no service, or a service that never calls the routed one, leaves the route in nobody's table.
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";

export const routeCallers: Analyzer = {
  name: "route-callers",
  codes: ["UnknownRouteCaller", "RouteCallerNeverCalls"],
  run(ctx) {
    const byName = new Map(ctx.ir.services.map((s) => [s.name, s]));
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        (r.match.from ?? []).forEach((caller, k) => {
          const path = ["services", s.name, "routes", i, "match", "from", k];
          const c = byName.get(caller);
          const params = { route: q(r.name), service: q(s.name), caller: q(caller) };
          if (!c) ctx.report("UnknownRouteCaller", routeSource(s, r), path, params);
          else if (!c.calls.includes(s.name)) ctx.report("RouteCallerNeverCalls", routeSource(s, r), path, params);
        });
      });
    }
  },
};
