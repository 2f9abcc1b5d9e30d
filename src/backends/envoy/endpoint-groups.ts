// The locality groups of one EDS cluster, built once per cluster and shared by every caller's assignment (issue 12
// item 5). A cluster whose upstream has a localityFailover list gets one ClusterLoadAssignment per caller locality
// (8,000 for the 1,000-service bench mesh over 3,000 clusters), and they differ only in the groups' priorities and
// order: the groups themselves (locality, endpoints, weight) depend on the cluster alone. buildLoadAssignment
// (endpoints.ts) rebuilt them for every caller locality and the encoder keyed each by its JSON; here they are
// built once, each assignment takes the very same group object (or a copy with its priority, remembered in
// groupBase), and ResourceEncoder.loadAssignment finds its encoded group by that object before any JSON.
// The result equals buildLoadAssignment's, field for field and in key order (test/backend/endpoint-groups.test.ts);
// a cluster whose endpoints raise issues (a missing port number, a host name) takes buildLoadAssignment itself, so
// the issues and their order stay exactly as they were.
import type { LocalityIR } from "../../ir/types.js";
import type { EnvoyIssue } from "./api/issues.js";
import { type ClusterRef, clusterRefName } from "./clusters.js";
import { buildLoadAssignment, cmp, locality, priorityFn } from "./endpoints.js";
import { endpointPort, localityKey, subsetEndpoints } from "./model.js";
import { isIpAddress, socketAddress, u32 } from "./values.js";
import type { ClusterLoadAssignment, LocalityLbEndpoints } from "./xds-types.js";

interface Group {
  locality: LocalityIR | undefined;
  key: string;
  base: LocalityLbEndpoints;
}

/** A group with a priority -> the same group without it (the object ClusterGroups built once). */
const bases = new WeakMap<object, LocalityLbEndpoints>();
/** Group objects ClusterGroups built (without a priority). */
const built = new WeakSet<object>();

/** The priority-free group object `g` was made from, when ClusterGroups made it; undefined for any other object. */
export function groupBase(g: object): LocalityLbEndpoints | undefined {
  return built.has(g) ? (g as LocalityLbEndpoints) : bases.get(g);
}

/** One cluster's groups, by locality; assignment() gives the ClusterLoadAssignment a caller's failover order sees. */
export class ClusterGroups {
  private readonly groups: Group[] | undefined;

  constructor(private readonly ref: ClusterRef) {
    const endpoints = subsetEndpoints(ref.service, ref.subset);
    const byKey = new Map<string, Group & { weight: number; list: typeof endpoints }>();
    for (const e of endpoints) {
      const port = endpointPort(e, ref.port);
      if (port === undefined || !isIpAddress(e.address)) {
        this.groups = undefined; // issues: buildLoadAssignment reports them, in its order
        return;
      }
      const key = localityKey(e.locality);
      let g = byKey.get(key);
      if (!g) byKey.set(key, (g = { locality: e.locality, key, base: undefined as never, weight: 0, list: [] }));
      g.list.push(e);
      g.weight += e.weight ?? 1;
    }
    this.groups = [...byKey.values()].map((g) => {
      const base: LocalityLbEndpoints = {
        locality: locality(g.locality),
        lb_endpoints: g.list.map((e) => ({
          endpoint: { address: socketAddress(e.address, endpointPort(e, ref.port)!) },
          ...(e.weight !== undefined && { load_balancing_weight: u32(e.weight) }),
        })),
        load_balancing_weight: u32(g.weight),
      };
      built.add(base);
      return { locality: g.locality, key: g.key, base };
    });
  }

  /** Equal to buildLoadAssignment(ref, order, issues). */
  assignment(order: string[] | undefined, issues: EnvoyIssue[]): ClusterLoadAssignment {
    if (!this.groups) return buildLoadAssignment(this.ref, order, issues);
    const name = clusterRefName(this.ref);
    const priorityOf = priorityFn(order);
    const withPriority = this.groups.map((g) => ({ g, priority: priorityOf(g.locality) }));
    const levels = [...new Set(withPriority.map((x) => x.priority))].sort((a, b) => a - b);
    withPriority.sort((a, b) => a.priority - b.priority || cmp(a.g.key, b.g.key));
    const endpoints = withPriority.map(({ g, priority }) => {
      const level = levels.indexOf(priority);
      if (level === 0) return g.base;
      const p: LocalityLbEndpoints = { ...g.base, priority: level };
      bases.set(p, g.base);
      return p;
    });
    return { cluster_name: name, endpoints };
  }
}
