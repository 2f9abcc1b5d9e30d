// Questions about the IR the Envoy translators share (which ports, which endpoints, where the caller is).
// Nothing here builds Envoy messages.
import type { EndpointIR, LocalityIR, MeshIR, PortIR, ServiceIR, UpstreamPolicyIR } from "../../ir/types.js";

export class MeshIndex {
  private readonly byName: Map<string, ServiceIR>;
  constructor(readonly ir: MeshIR) {
    this.byName = new Map(ir.services.map((s) => [s.name, s]));
  }
  service(name: string): ServiceIR | undefined {
    return this.byName.get(name);
  }
}

export function isHttpFamily(p: PortIR): boolean {
  return p.protocol !== "tcp";
}

export function isHttp2(p: PortIR): boolean {
  return p.protocol === "http2" || p.protocol === "grpc";
}

/** The service's ports in declaration order (see ServiceIR.declaredPorts; name order when the IR lacks it). */
export function declaredOrder(s: ServiceIR): PortIR[] {
  const order = s.declaredPorts;
  if (!order) return s.ports;
  const rank = (p: PortIR) => {
    const i = order.indexOf(p.name);
    return i < 0 ? order.length : i;
  };
  return [...s.ports].sort((a, b) => rank(a) - rank(b));
}

/** The port a bare `<service>` Host reaches: the first declared HTTP-family port. */
export function defaultHttpPort(s: ServiceIR): PortIR | undefined {
  return declaredOrder(s).find(isHttpFamily);
}

export function httpPorts(s: ServiceIR): PortIR[] {
  return s.ports.filter(isHttpFamily);
}

export function tcpPorts(s: ServiceIR): PortIR[] {
  return s.ports.filter((p) => !isHttpFamily(p));
}

/**
 * The port a backend of a route is reached on when the route was written for `from`: the port with the same
 * number and family if the backend has one (always true within one service), else the backend's first declared
 * port of that family.
 */
export function backendPort(backend: ServiceIR, from: PortIR): PortIR | undefined {
  const family = isHttpFamily(from);
  return (
    backend.ports.find((p) => p.port === from.port && isHttpFamily(p) === family) ??
    declaredOrder(backend).find((p) => isHttpFamily(p) === family)
  );
}

/**
 * The port an instance serves `port` on: looked up by the port's name in the instance's per-port numbers, which
 * the front end fills for every service port (a given number, else the port's own). Never computed from the
 * position of a port in a list or object. Undefined only for an IR that skipped lowering.
 */
export function endpointPort(e: { ports: Record<string, number> }, port: PortIR): number | undefined {
  return Object.hasOwn(e.ports, port.name) ? e.ports[port.name] : undefined;
}

function labelsMatch(have: Record<string, string>, want: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) return false;
  return true;
}

/** The policy of a service's clusters, or of one subset's clusters when mesh.policy(svc.subset(…)) set one. */
export function clusterPolicy(s: ServiceIR, subset: string | undefined): UpstreamPolicyIR {
  return (subset !== undefined ? s.subsets.find((x) => x.name === subset)?.policy : undefined) ?? s.policy;
}

/** Static endpoints of a service, or of one subset of it (label selection). */
export function subsetEndpoints(s: ServiceIR, subset: string | undefined): EndpointIR[] {
  if (s.instances.kind !== "static") return [];
  if (subset === undefined) return s.instances.endpoints;
  const def = s.subsets.find((x) => x.name === subset);
  if (!def) return [];
  return s.instances.endpoints.filter((e) => labelsMatch(e.labels, def.labels));
}

/**
 * Where a caller runs, for locality failover: the locality all its static instances share (zone and region when
 * they agree on both, region alone when only that is common). A proxy's config is per service, not per instance,
 * so a service spread over zones has no single locality and gets the failover list in its written order.
 */
export function callerLocality(s: ServiceIR): LocalityIR | undefined {
  if (s.instances.kind !== "static" || s.instances.endpoints.length === 0) return undefined;
  const locs = s.instances.endpoints.map((e) => e.locality ?? {});
  const same = (k: keyof LocalityIR) => {
    const v = locs[0]![k];
    return v !== undefined && locs.every((l) => l[k] === v) ? v : undefined;
  };
  const region = same("region");
  const zone = same("zone");
  if (region === undefined && zone === undefined) return undefined;
  return { ...(region !== undefined && { region }), ...(zone !== undefined && { zone }) };
}

export function localityKey(l: LocalityIR | undefined): string {
  // JSON, not "/"-joined: {region "a", zone "b/c"} and {region "a/b", zone "c"} are two localities.
  return JSON.stringify([l?.region ?? "", l?.zone ?? "", l?.subZone ?? ""]);
}
