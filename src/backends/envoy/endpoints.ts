// ClusterLoadAssignments: the endpoints of one EDS cluster, grouped by locality, each group with a
// load_balancing_weight (gRPC skips a locality without one) and a priority. Priorities come from the upstream's
// localityFailover list *as seen from the caller*: priority 0 is the caller's own zone, then its region, then the
// rest of the list in its order, then every endpoint the list does not name. So two callers in different zones
// can receive different assignments under the same cluster name.
import type { EndpointIR, LocalityIR, ServiceIR } from "../../ir/types.js";
import type { EnvoyIssue } from "./api/issues.js";
import { type ClusterRef, clusterRefName } from "./clusters.js";
import { resourceLabel } from "./encode.js";
import { endpointPort, localityKey, subsetEndpoints } from "./model.js";
import { isIpAddress, socketAddress, u32 } from "./values.js";
import type { ClusterLoadAssignment, LocalityLbEndpoints } from "./xds-types.js";

/**
 * The failover order a caller sees: its own zone first, then its own region (as Istio's locality load balancing
 * does, whether or not the list names them), then the list in its written order. Without a list: no priorities.
 */
export function failoverOrder(upstream: ServiceIR, caller: LocalityIR | undefined): string[] | undefined {
  const list = upstream.policy.localityFailover;
  if (!list || list.length === 0) return undefined;
  const own = [caller?.zone, caller?.region].filter((x): x is string => x !== undefined);
  return [...new Set([...own, ...list])];
}

export function buildLoadAssignment(ref: ClusterRef, order: string[] | undefined, issues: EnvoyIssue[]): ClusterLoadAssignment {
  const name = clusterRefName(ref);
  const endpoints = subsetEndpoints(ref.service, ref.subset);
  const priorityOf = (l: LocalityIR | undefined): number => {
    if (!order) return 0;
    const i = order.findIndex((x) => x === l?.zone || x === l?.region);
    return i < 0 ? order.length : i;
  };

  const portOf = (e: EndpointIR): number => {
    const p = endpointPort(e, ref.port);
    if (p !== undefined) return p;
    issues.push({
      resource: resourceLabel("endpoint", name),
      path: "endpoints",
      message: `instance ${e.address} of service "${ref.service.name}" has no number for port "${ref.port.name}"`,
    });
    return 0;
  };

  const groups = new Map<string, { priority: number; locality: LocalityIR | undefined; weight: number; list: EndpointIR[] }>();
  endpoints.forEach((e, i) => {
    const priority = priorityOf(e.locality);
    const key = `${priority}\0${localityKey(e.locality)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { priority, locality: e.locality, weight: 0, list: [] }));
    g.list.push(e);
    g.weight += e.weight ?? 1;
    if (!isIpAddress(e.address)) {
      issues.push({
        resource: resourceLabel("endpoint", name),
        path: `endpoints[${i}]`,
        message: `instance address "${e.address}" of service "${ref.service.name}" is not an IP address; EDS cannot resolve names (declare the instances by DNS name instead)`,
      });
    }
  });

  // Envoy requires priorities 0..N without gaps: renumber the levels that have endpoints.
  const levels = [...new Set([...groups.values()].map((g) => g.priority))].sort((a, b) => a - b);
  const sorted = [...groups.values()].sort((a, b) => a.priority - b.priority || cmp(localityKey(a.locality), localityKey(b.locality)));

  const out: LocalityLbEndpoints[] = sorted.map((g) => {
    const priority = levels.indexOf(g.priority);
    return {
      locality: locality(g.locality),
      lb_endpoints: g.list.map((e) => ({
        endpoint: { address: socketAddress(e.address, portOf(e)) },
        ...(e.weight !== undefined && { load_balancing_weight: u32(e.weight) }),
      })),
      load_balancing_weight: u32(g.weight),
      ...(priority > 0 && { priority }),
    };
  });
  return { cluster_name: name, endpoints: out };
}

export function locality(l: LocalityIR | undefined): NonNullable<LocalityLbEndpoints["locality"]> {
  return {
    ...(l?.region !== undefined && { region: l.region }),
    ...(l?.zone !== undefined && { zone: l.zone }),
    ...(l?.subZone !== undefined && { sub_zone: l.subZone }),
  };
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
