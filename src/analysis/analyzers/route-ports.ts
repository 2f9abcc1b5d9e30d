// MESH0109 UnknownRoutePort, MESH0314 RoutePortProtocolMismatch: ports named by routes. A route's `match.port`
// must be a declared HTTP-family port of the routed service, and a target `svc.port(name)` a declared port of the
// target service of the route's kind (HTTP routes: http/http2/grpc; TCP routes: tcp).
import type { ServiceIR, SourceLoc } from "../../ir/types.js";
import type { AnalysisContext, Analyzer, ModelPath } from "../context.js";
import { didYouMean, listing, q } from "../format.js";

export const routePorts: Analyzer = {
  name: "route-ports",
  codes: ["UnknownRoutePort", "RoutePortProtocolMismatch"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        const where = `Route ${q(r.name)}`;
        const at = r.source ?? s.source;
        if (r.match.port !== undefined) check(ctx, s, r.match.port, "http", where, at, ["services", s.name, "routes", i, "match", "port"]);
        if (r.action.kind !== "forward") return;
        r.action.backends.forEach((b, k) => {
          const target = ctx.service(b.service);
          if (b.port !== undefined && target) check(ctx, target, b.port, "http", where, at, ["services", s.name, "routes", i, "action", "backends", k, "port"]);
        });
      });
      s.tcpRoute?.backends.forEach((b, k) => {
        const target = ctx.service(b.service);
        const where = `The TCP route of service ${q(s.name)}`;
        if (b.port !== undefined && target) check(ctx, target, b.port, "tcp", where, s.tcpRoute!.source ?? s.source, ["services", s.name, "tcpRoute", "backends", k, "port"]);
      });
    }
  },
};

function check(ctx: AnalysisContext, s: ServiceIR, name: string, want: "http" | "tcp", where: string, at: SourceLoc | undefined, path: ModelPath): void {
  const p = s.ports.find((x) => x.name === name);
  const names = s.ports.map((x) => x.name);
  if (!p) {
    ctx.report("UnknownRoutePort", at, path, {
      where,
      port: q(name),
      service: q(s.name),
      suggestion: didYouMean(name, names),
      known: names.length ? listing(names.map(q)) : "none",
    });
    return;
  }
  const isTcp = p.protocol === "tcp";
  if (isTcp === (want === "tcp")) return;
  ctx.report("RoutePortProtocolMismatch", at, path, {
    where,
    port: q(name),
    service: q(s.name),
    protocol: p.protocol,
    expected: want === "http" ? "HTTP routes apply to http, http2 and grpc ports only" : "TCP routes send to tcp ports only",
  });
}
