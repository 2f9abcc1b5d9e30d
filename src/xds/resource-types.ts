// The resource types the xDS server serves, as data: adding a type (SDS today, more later) is one entry here plus
// resources of that kind in the snapshots. Nothing else in src/xds hard-codes a type URL.
import protobuf from "protobufjs";
import { PUSH_ORDER, TYPE_URLS, type EncodedResource, type ResourceKind } from "../snapshot/types.js";

export interface XdsResourceType {
  kind: ResourceKind;
  typeUrl: string;
  /** Short label for logs ("CDS"). Metrics use `kind`. */
  short: string;
  /** SotW responses list every subscribed resource; absence means deletion (P-24). Otherwise P-25. */
  sotwFullState: boolean;
  /** Accepts wildcard subscriptions, legacy (empty first request) or "*" (P-17). */
  wildcard: boolean;
  /** Resources of another kind a client waits for (warming) whenever one of these is (re)sent (P-29). */
  warms?: { kind: ResourceKind; names(resource: EncodedResource): string[] };
}

const SHORT: Record<ResourceKind, string> = { cluster: "CDS", endpoint: "EDS", listener: "LDS", route: "RDS", secret: "SDS" };
const FULL_STATE: ReadonlySet<ResourceKind> = new Set(["cluster", "listener"]);

/** In ADS push order (P-28/P-30): CDS, EDS, LDS, RDS, SDS. */
export const XDS_TYPES: readonly XdsResourceType[] = PUSH_ORDER.map((kind) => ({
  kind,
  typeUrl: TYPE_URLS[kind],
  short: SHORT[kind],
  sotwFullState: FULL_STATE.has(kind),
  wildcard: FULL_STATE.has(kind),
  ...(kind === "cluster" ? { warms: { kind: "endpoint" as const, names: (r: EncodedResource) => [edsServiceName(r)] } } : {}),
}));

const byUrl = new Map(XDS_TYPES.map((t) => [t.typeUrl, t]));
const byKind = new Map(XDS_TYPES.map((t) => [t.kind, t]));

export function typeByUrl(url: string): XdsResourceType | undefined {
  return byUrl.get(url);
}

export function typeByKind(kind: ResourceKind): XdsResourceType {
  const t = byKind.get(kind);
  if (!t) throw new Error(`no xDS type for kind ${kind}`);
  return t;
}

const edsNames = new WeakMap<EncodedResource, string>();

/**
 * The ClusterLoadAssignment name an EDS cluster waits for: `eds_cluster_config.service_name`, else the cluster name.
 * Read straight from the encoded bytes (Cluster.name = 1, eds_cluster_config = 3, EdsClusterConfig.service_name = 2),
 * once per distinct resource.
 */
export function edsServiceName(cluster: EncodedResource): string {
  const cached = edsNames.get(cluster);
  if (cached !== undefined) return cached;
  let serviceName = "";
  try {
    const r = protobuf.Reader.create(cluster.bytes);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === ((3 << 3) | 2)) {
        const end = r.uint32() + r.pos;
        while (r.pos < end) {
          const t2 = r.uint32();
          if (t2 === ((2 << 3) | 2)) serviceName = r.string();
          else r.skipType(t2 & 7);
        }
      } else r.skipType(tag & 7);
    }
  } catch {
    serviceName = ""; // malformed bytes: fall back to the cluster name
  }
  const name = serviceName || cluster.name;
  edsNames.set(cluster, name);
  return name;
}
