// Which mesh.ts line produced a resource change, for `meshc diff`: resource names (src/backends/envoy/names.ts) and
// the field path lead back to an IR element that carries a source location (a route, a service's policy, a port, a
// TCP route, the service itself). Heuristic by design: the backend keeps no per-field provenance, so this names the
// declaration a reviewer should look at, not a proof of causation. Only a side compiled from mesh.ts has an IR.
import type { MeshIR, ServiceIR, SourceLoc } from "../ir/types.js";
import type { ResourceKind } from "../snapshot/types.js";
import type { Segment } from "./fields.js";
import { proxyService } from "./compare.js";

/** The IR's most specific source for a change at `segments` (empty: the resource as a whole) of `kind` `name`. */
export function sourceOf(ir: MeshIR, kind: ResourceKind, name: string, proxy: string, segments: readonly Segment[] = []): SourceLoc | undefined {
  const service = (n: string | undefined) => (n === undefined ? undefined : ir.services.find((s) => s.name === n));
  const parts = name.split("|");
  // outbound|<port>|<subset>|<service> (cluster, endpoints): the upstream's policy for a cluster, else the service.
  if (parts[0] === "outbound" && parts.length === 4) {
    const s = service(parts[3]);
    return (kind === "cluster" ? s?.policy.source : undefined) ?? s?.source;
  }
  // outbound|<port>|tcp|<service>: the TCP route, else the service.
  if (parts[0] === "outbound" && parts[2] === "tcp") {
    const s = service(parts[3]);
    return s?.tcpRoute?.source ?? s?.source;
  }
  const own = service(proxyService(proxy));
  // inbound|<port>: the port declaration of the proxy's own service (its rate limit lives on the service).
  if (parts[0] === "inbound") {
    const port = Number(parts[1]);
    return own?.ports.find((p) => p.port === port)?.source ?? own?.source;
  }
  // Route tables (outbound|<port>|http, <service>:<port>) and proxyless listeners: a virtual host is an upstream.
  const vhost = segments.find((s, i) => i > 0 && "named" in s && segments[i - 1] && "key" in segments[i - 1]! && (segments[i - 1] as { key: string }).key === "virtual_hosts");
  if (kind === "route" && vhost && "named" in vhost) {
    const upstream = service(vhost.named.split(":")[0]);
    return routeSource(upstream, segments) ?? upstream?.source;
  }
  if (kind === "route" && parts.length === 1 && name.includes(":")) return service(name.split(":")[0])?.source;
  if (kind === "listener" && parts.length === 1) return service(name.split(":")[0])?.source;
  return own?.source;
}

function routeSource(upstream: ServiceIR | undefined, segments: readonly Segment[]): SourceLoc | undefined {
  const i = segments.findIndex((s) => "key" in s && s.key === "routes");
  const route = segments[i + 1];
  if (!upstream || i < 0 || !route) return undefined;
  if ("named" in route) return upstream.routes.find((r) => r.name === route.named)?.source;
  if ("index" in route) return upstream.routes[route.index]?.source;
  return undefined;
}
