// Lowers an instance's own `sidecar` (issue 13: several sidecars of one service on one host) to a fully resolved
// InstanceSidecarIR: every field holds the instance's value or the service's. TCP upstreams keep the service's
// local ports unless the instance moves its outbound listener; then each gets the next free port after the
// instance's outboundPort, in "<service>:<port>" order (the rule the service-level sidecar follows).
import type { EndpointIR, InstanceSidecarIR, SidecarIR } from "../ir/types.js";
import type { EndpointModel, ServiceModel } from "../dsl/model.js";

export function instanceSidecarIR(s: ServiceModel, e: EndpointModel | string, ir: EndpointIR, service: SidecarIR): InstanceSidecarIR | undefined {
  if (typeof e === "string" || !e.sidecar) return undefined;
  const sc = e.sidecar;
  const adminPort = sc.adminPort ?? service.adminPort;
  const outboundPort = sc.outboundPort ?? service.outboundPort;
  const appPorts: Record<string, number> = {};
  for (const [name, p] of Object.entries(s.ports)) appPorts[name] = sc.app?.[name] ?? p.app ?? p.port;
  for (const [name, n] of Object.entries(sc.app ?? {})) if (!(name in appPorts)) appPorts[name] = n;
  let tcpOutbound = service.tcpOutbound;
  if (sc.outboundPort !== undefined && Object.keys(service.tcpOutbound).length > 0) {
    const used = new Set<number>([outboundPort, adminPort, ...Object.values(ir.ports), ...Object.values(appPorts)]);
    tcpOutbound = {};
    let next = outboundPort + 1;
    for (const key of Object.keys(service.tcpOutbound).sort()) {
      while (used.has(next)) next++;
      tcpOutbound[key] = next;
      used.add(next);
    }
  }
  return { adminPort, outboundPort, appPorts: sorted(appPorts), tcpOutbound };
}

function sorted(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}
