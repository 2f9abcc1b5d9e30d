// MESH0304 HttpRouteToTcpService, MESH0305 TcpRouteToNonTcpService, MESH0306 GrpcMatchOnNonGrpcService: a route's
// kind must fit the ports of what it targets. HTTP routes (and their backends and mirrors) need an http, http2 or
// grpc port; a TCP route (and its backends) needs a tcp port; a gRPC service/method match needs a grpc port.
// A service whose own routes are reported is not reported again as a backend of those routes.
import type { ServiceIR } from "../../ir/types.js";
import { isHttpPort, portsText, routeSource, tcpRouteSource, type Analyzer } from "../context.js";
import { q } from "../format.js";
import { refPath, refSource, refWhere, type ServiceRef } from "../refs.js";

const hasHttp = (s: ServiceIR) => s.ports.some(isHttpPort);
const hasTcp = (s: ServiceIR) => s.ports.some((p) => p.protocol === "tcp");
const hasGrpc = (s: ServiceIR) => s.ports.some((p) => p.protocol === "grpc");

export const protocolMismatch: Analyzer = {
  name: "protocol-mismatch",
  codes: ["HttpRouteToTcpService", "TcpRouteToNonTcpService", "GrpcMatchOnNonGrpcService"],
  run(ctx) {
    const httpReported = new Set<ServiceIR>();
    const tcpReported = new Set<ServiceIR>();
    for (const s of ctx.ir.services) {
      const first = s.routes[0];
      if (first && !hasHttp(s)) {
        httpReported.add(s);
        ctx.report("HttpRouteToTcpService", routeSource(s, first), ["services", s.name, "routes", 0], {
          where: `Route ${q(first.name)}`,
          service: q(s.name),
          ports: portsText(s),
        });
      }
      if (s.tcpRoute && !hasTcp(s)) {
        tcpReported.add(s);
        ctx.report("TcpRouteToNonTcpService", tcpRouteSource(s), ["services", s.name, "tcpRoute"], {
          where: `The TCP route of service ${q(s.name)}`,
          service: q(s.name),
          ports: portsText(s),
        });
      }
      if (httpReported.has(s)) continue;
      s.routes.forEach((r, i) => {
        if (!r.match.grpc || hasGrpc(s)) return;
        const method = r.match.grpc.method ? `${r.match.grpc.service}/${r.match.grpc.method}` : r.match.grpc.service;
        ctx.report("GrpcMatchOnNonGrpcService", routeSource(s, r), ["services", s.name, "routes", i, "match", "grpc"], {
          route: q(r.name),
          method: q(method),
          service: q(s.name),
          ports: portsText(s),
        });
      });
    }

    for (const ref of ctx.refs()) {
      const target = ctx.service(ref.service);
      if (!target) continue; // MESH0101
      if (ref.kind === "tcp-backend") {
        if (hasTcp(target) || (target === ref.owner && tcpReported.has(target))) continue;
        ctx.report("TcpRouteToNonTcpService", refSource(ref), [...refPath(ref), "service"], {
          where: phrase(ref),
          service: q(target.name),
          ports: portsText(target),
        });
      } else {
        if (hasHttp(target) || (target === ref.owner && httpReported.has(target))) continue;
        ctx.report("HttpRouteToTcpService", refSource(ref), [...refPath(ref), "service"], {
          where: phrase(ref),
          service: q(target.name),
          ports: portsText(target),
        });
      }
    }
  },
};

function phrase(ref: ServiceRef): string {
  return ref.kind === "mirror" ? capitalize(refWhere(ref)) : `Backend ${q(ref.service)} of ${refWhere(ref)}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
