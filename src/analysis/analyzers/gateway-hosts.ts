// MESH0233 HostMatchOutsideGateway, MESH0234 UnknownGatewayHost: `match.host` (issue 13) picks the listener host a
// gateway route serves. On a service's routes it means nothing (callers' sidecars pick the service by Host before
// its routes run); on a gateway it must be one of its listeners' hosts, or the route is in no route table.
import { routeSource, type Analyzer } from "../context.js";
import { listing, q } from "../format.js";

export const gatewayHosts: Analyzer = {
  name: "gateway-hosts",
  codes: ["HostMatchOutsideGateway", "UnknownGatewayHost"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const served = new Set((s.gateway?.listeners ?? []).flatMap((l) => l.hosts));
      s.routes.forEach((r, i) => {
        const host = r.match.host;
        if (host === undefined) return;
        const path = ["services", s.name, "routes", i, "match", "host"];
        const params = { route: q(r.name), service: q(s.name), host: q(host) };
        if (!s.gateway) ctx.report("HostMatchOutsideGateway", routeSource(s, r), path, params);
        else if (!served.has(host)) ctx.report("UnknownGatewayHost", routeSource(s, r), path, { ...params, known: listing([...served].sort().map(q)) });
      });
    }
  },
};
