// MESH0233 HostMatchOutsideGateway, MESH0234 UnknownGatewayHost: `match.host` (issue 13) picks the listener host a
// gateway route serves. On a service's routes it means nothing (callers' sidecars pick the service by Host before
// its routes run); on a gateway it must be one of its listeners' hosts, or the route is in no route table.
// MESH0239 DuplicateGatewayHost: every host of the listeners on one port becomes a virtual host of that port's
// route table (domains host and host:port), and Envoy lowercases domains before it checks that each appears once:
// "Shop.example" and "shop.example" make it refuse the whole table ("Duplicate entry of domain shop.example in
// route gateway|<port>").
import { routeSource, type Analyzer } from "../context.js";
import { listing, q } from "../format.js";

export const gatewayHosts: Analyzer = {
  name: "gateway-hosts",
  codes: ["HostMatchOutsideGateway", "UnknownGatewayHost", "DuplicateGatewayHost"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      // Per port number (one route table each): the first listener host of each lowercased name.
      const seen = new Map<string, string>();
      s.gateway?.listeners.forEach((l, li) => {
        const number = s.ports.find((p) => p.name === l.port)?.port;
        l.hosts.forEach((host, hi) => {
          const key = `${number ?? l.port}\0${host.toLowerCase()}`;
          const first = seen.get(key);
          if (first === undefined) return void seen.set(key, host);
          ctx.report("DuplicateGatewayHost", s.source, ["services", s.name, "gateway", "listeners", li, "hosts", hi], {
            host: q(host),
            first: q(first),
            service: q(s.name),
            port: number ?? l.port,
          });
        });
      });
      // Lowercased, as Envoy compares domains (and as the backend picks a host's routes).
      const served = new Set((s.gateway?.listeners ?? []).flatMap((l) => l.hosts.map((h) => h.toLowerCase())));
      s.routes.forEach((r, i) => {
        const host = r.match.host;
        if (host === undefined) return;
        const path = ["services", s.name, "routes", i, "match", "host"];
        const params = { route: q(r.name), service: q(s.name), host: q(host) };
        if (!s.gateway) ctx.report("HostMatchOutsideGateway", routeSource(s, r), path, params);
        else if (!served.has(host.toLowerCase())) ctx.report("UnknownGatewayHost", routeSource(s, r), path, { ...params, known: listing([...new Set((s.gateway?.listeners ?? []).flatMap((l) => l.hosts))].sort().map(q)) });
      });
    }
  },
};
