// ClusterLoadAssignments: the endpoints of one EDS cluster, grouped by locality, each group with a
// load_balancing_weight (gRPC skips a locality without one) and a priority. Priorities come from the upstream's
// localityFailover list *as seen from the caller*: priority 0 is the caller's own zone (within its region), then its
// region, then the rest of the list in its order (each entry a region, zone or sub-zone, resolved from the caller:
// see resolveFailoverEntry), then every endpoint the list does not name. So two callers in different zones can receive different assignments under the same cluster
// name.
import type { EndpointIR, LocalityIR, ServiceIR } from "../../ir/types.js";
import type { EnvoyIssue } from "./api/issues.js";
import { type ClusterRef, clusterRefName } from "./clusters.js";
import { resourceLabel } from "./encode.js";
import { endpointPort, localityKey, subsetEndpoints } from "./model.js";
import { isIpAddress, socketAddress, u32 } from "./values.js";
import type { ClusterLoadAssignment, LocalityLbEndpoints } from "./xds-types.js";

/**
 * The failover order a caller sees, as locality prefixes (JSON arrays `[region]`, `[region, zone]` or
 * `[region, zone, subZone]`, an unset part being ""): the caller's own zone (within its region), then its own
 * region (as Istio's locality load balancing does, whether or not the list names them; an entry within them adds
 * nothing for this caller: a region-only caller spreads over its region's zones), then the list's entries in their
 * written order, each resolved by resolveFailoverEntry. Without a list: no priorities.
 */
export function failoverOrder(upstream: ServiceIR, caller: LocalityIR | undefined): string[] | undefined {
  const list = upstream.policy.localityFailover;
  if (!list || list.length === 0) return undefined;
  const names = localityNames(upstream);
  const resolved = list.map((entry) => resolveFailoverEntry(entry, caller, names)).filter((x): x is string[] => x !== undefined);
  const ownZone = caller?.zone !== undefined ? [caller.region ?? "", caller.zone] : undefined;
  const ownRegion = caller?.region !== undefined ? [caller.region] : undefined;
  const order = [ownZone, ownRegion, ...resolved];
  return [...new Set(order.filter((x): x is string[] => x !== undefined).map((x) => JSON.stringify(x)))];
}

/** The localities a name denotes among a service's instances: region, zone or sub-zone nodes, as prefixes. */
export type LocalityNames = Map<string, string[][]>;

const namesCache = new WeakMap<object, LocalityNames>();

/** Every region, zone and sub-zone of the service's static instances (or registry entries), by name. */
export function localityNames(s: ServiceIR): LocalityNames {
  const eps = s.instances.kind === "static" ? s.instances.endpoints : [];
  const hit = namesCache.get(eps);
  if (hit) return hit;
  const byKey = new Map<string, string[]>();
  for (const e of eps) {
    const l = e.locality;
    if (!l) continue;
    const [r, z, sz] = [l.region ?? "", l.zone ?? "", l.subZone ?? ""];
    if (l.region !== undefined) byKey.set(JSON.stringify([r]), [r]);
    if (l.zone !== undefined) byKey.set(JSON.stringify([r, z]), [r, z]);
    if (l.subZone !== undefined) byKey.set(JSON.stringify([r, z, sz]), [r, z, sz]);
  }
  const out: LocalityNames = new Map();
  for (const p of [...byKey.values()].sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b)))) {
    const name = p.at(-1)!;
    const list = out.get(name);
    if (list) list.push(p);
    else out.set(name, [p]);
  }
  namesCache.set(eps, out);
  return out;
}

/**
 * One localityFailover entry, as a locality prefix for a caller, or undefined when it names nothing:
 * - a path with "/" ("region/zone/subZone", "region/zone"; "" for an unset part) names exactly that locality;
 * - a bare name names the locality of that name nearest the caller: a sub-zone of the caller's zone, else a zone of
 *   the caller's region, else a region, else the one zone or sub-zone of that name anywhere. A name that denotes
 *   several zones or sub-zones none of which is near the caller names none of them (never all: a zone "a" in
 *   region "us" is not zone "a" in region "ap"); analysis reports such names (MESH0807).
 */
export function resolveFailoverEntry(entry: string, caller: LocalityIR | undefined, names: LocalityNames): string[] | undefined {
  if (entry.includes("/")) return entry.split("/");
  const found = names.get(entry) ?? [];
  const cr = caller?.region ?? "";
  const near =
    (caller?.zone !== undefined && found.find((p) => p.length === 3 && p[0] === cr && p[1] === caller.zone)) ||
    (caller !== undefined && found.find((p) => p.length === 2 && p[0] === cr)) ||
    found.find((p) => p.length === 1);
  if (near) return near;
  return found.length === 1 ? found[0] : undefined;
}

/** A locality's priority level in a failover order (failoverOrder's prefixes): its first matching entry. */
export function priorityFn(order: string[] | undefined): (l: LocalityIR | undefined) => number {
  if (!order) return () => 0;
  const prefixes = order.map((x) => JSON.parse(x) as string[]);
  return (l) => {
    const parts = [l?.region ?? "", l?.zone ?? "", l?.subZone ?? ""];
    const i = prefixes.findIndex((p) => p.every((v, k) => parts[k] === v));
    return i < 0 ? prefixes.length : i;
  };
}

export function buildLoadAssignment(ref: ClusterRef, order: string[] | undefined, issues: EnvoyIssue[]): ClusterLoadAssignment {
  const name = clusterRefName(ref);
  const endpoints = subsetEndpoints(ref.service, ref.subset);
  const priorityOf = priorityFn(order);

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
