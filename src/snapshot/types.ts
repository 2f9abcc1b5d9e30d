// The contract between a backend (which builds and encodes proxy config) and the xDS server / build writer
// (which ship it). Plain data: names, type URLs and protobuf bytes. Neither side needs the other's internals.

/** Type URLs of the resource types meshc serves, in ADS push order (CDS -> EDS -> LDS -> RDS -> SDS, P-28/P-30). */
export const TYPE_URLS = {
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
  secret: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
} as const;
export type ResourceKind = keyof typeof TYPE_URLS;
export const PUSH_ORDER: ResourceKind[] = ["cluster", "endpoint", "listener", "route", "secret"];

/** One encoded resource. Equal content => the same object, shared by every proxy that receives it. */
export interface EncodedResource {
  name: string;
  typeUrl: string;
  /** Protobuf encoding of the resource message (not wrapped in Any). */
  bytes: Uint8Array;
  /** Content hash of `bytes` (hex sha256, first 16 chars): the per-resource version (Delta xDS). */
  hash: string;
}

/** Everything one proxy (one service; every instance of it) receives, per kind, each list sorted by name. */
export interface ProxySnapshot {
  service: string;
  resources: Record<ResourceKind, EncodedResource[]>;
  /** Per-kind version: hash over the sorted (name, hash) pairs; "" for an empty kind. */
  versions: Record<ResourceKind, string>;
  /**
   * Variants of this proxy for some of the service's proxies (issue 13, ./variants.ts), by variant key:
   * `instance:<node id>` (an instance with its own sidecar ports: its own listeners) and `locality:<region>,<zone>`
   * (instances in one locality of a service that spans several: only the ClusterLoadAssignments differ). Each is a
   * whole ProxySnapshot sharing the EncodedResource objects it has in common with this one. Absent on a variant.
   */
  variants?: ReadonlyMap<string, ProxySnapshot>;
  /** On a variant: its key. */
  variant?: string;
}

/** A whole compiled mesh: the proxies by service name, published atomically. */
export interface MeshSnapshot {
  proxies: Map<string, ProxySnapshot>;
}
