// Hand-built snapshots for the xDS server tests: real Envoy resources encoded through the codec, assembled with
// the snapshot contract (no DSL, no backend).
import { encodeOrThrow, pack } from "../../src/backends/envoy/api/codec.js";
import { contentHash, makeProxySnapshot } from "../../src/snapshot/build.js";
import { TYPE_URLS, type EncodedResource, type MeshSnapshot, type ProxySnapshot, type ResourceKind } from "../../src/snapshot/types.js";

const KIND_BY_URL = new Map<string, ResourceKind>(Object.entries(TYPE_URLS).map(([k, url]) => [url, k as ResourceKind]));

function encoded(typeName: Parameters<typeof encodeOrThrow>[0], msg: unknown, label: string): EncodedResource {
  const m = encodeOrThrow(typeName as string, msg, label);
  return { name: (msg as { name?: string; cluster_name?: string }).name ?? (msg as { cluster_name: string }).cluster_name, typeUrl: m.typeUrl, bytes: m.bytes, hash: contentHash(m.bytes) };
}

const ADS = { ads: {}, resource_api_version: "V3" as const };

export function cluster(name: string, opts: { connectTimeoutMs?: number; edsServiceName?: string } = {}): EncodedResource {
  const ms = opts.connectTimeoutMs ?? 1000;
  return encoded(
    "envoy.config.cluster.v3.Cluster",
    {
      name,
      type: "EDS",
      eds_cluster_config: { eds_config: ADS, ...(opts.edsServiceName ? { service_name: opts.edsServiceName } : {}) },
      connect_timeout: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
      lb_policy: "ROUND_ROBIN",
    },
    `Cluster "${name}"`,
  );
}

/** A ClusterLoadAssignment with one locality (weighted, as gRPC requires) of IP endpoints. */
export function cla(name: string, endpoints: { host?: string; port: number }[]): EncodedResource {
  return encoded(
    "envoy.config.endpoint.v3.ClusterLoadAssignment",
    {
      cluster_name: name,
      endpoints: [
        {
          locality: { region: "local" },
          load_balancing_weight: { value: 1 },
          lb_endpoints: endpoints.map((e) => ({
            endpoint: { address: { socket_address: { address: e.host ?? "127.0.0.1", port_value: e.port } } },
          })),
        },
      ],
    },
    `ClusterLoadAssignment "${name}"`,
  );
}

export type RouteSpec =
  | { direct: { status?: number; body: string }; prefix?: string }
  | { split: { cluster: string; weight: number }[]; prefix?: string };

export function routeConfig(name: string, routes: RouteSpec[], opts: { validateClusters?: boolean } = {}): EncodedResource {
  return encoded(
    "envoy.config.route.v3.RouteConfiguration",
    {
      name,
      ...(opts.validateClusters !== undefined ? { validate_clusters: { value: opts.validateClusters } } : {}),
      virtual_hosts: [
        {
          name: "all",
          domains: ["*"],
          routes: routes.map((r) =>
            "direct" in r
              ? { match: { prefix: r.prefix ?? "/" }, direct_response: { status: r.direct.status ?? 200, body: { inline_string: r.direct.body } } }
              : {
                  match: { prefix: r.prefix ?? "" },
                  route:
                    r.split.length === 1
                      ? { cluster: r.split[0]!.cluster, timeout: { seconds: 5 } }
                      : { weighted_clusters: { clusters: r.split.map((c) => ({ name: c.cluster, weight: { value: c.weight } })) }, timeout: { seconds: 5 } },
                },
          ),
        },
      ],
    },
    `RouteConfiguration "${name}"`,
  );
}

type HttpFilterName = "router" | "fault";
function httpFilters(order: HttpFilterName[]) {
  return order.map((f) =>
    f === "router"
      ? { name: "envoy.filters.http.router", typed_config: pack("envoy.extensions.filters.http.router.v3.Router", {}) }
      : { name: "envoy.filters.http.fault", typed_config: pack("envoy.extensions.filters.http.fault.v3.HTTPFault", {}) },
  );
}

function hcm(routeName: string, filters: HttpFilterName[]) {
  return pack("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
    stat_prefix: routeName.replace(/[^a-zA-Z0-9_]/g, "_"),
    rds: { route_config_name: routeName, config_source: ADS },
    http_filters: httpFilters(filters),
  });
}

/**
 * An Envoy HTTP listener on 127.0.0.1:port using RDS over ADS. `filters` defaults to [router]; putting the fault
 * filter after the router passes our schema layer but Envoy rejects it (terminal filter not last): a NACK.
 */
export function httpListener(name: string, port: number, routeName: string, filters: HttpFilterName[] = ["router"]): EncodedResource {
  return encoded(
    "envoy.config.listener.v3.Listener",
    {
      name,
      address: { socket_address: { address: "127.0.0.1", port_value: port } },
      filter_chains: [
        {
          filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm(routeName, filters) }],
        },
      ],
    },
    `Listener "${name}"`,
  );
}

/** A gRPC API listener (gRFC A27) named like the xds:/// target. */
export function apiListener(name: string, routeName: string, filters: HttpFilterName[] = ["router"]): EncodedResource {
  return encoded("envoy.config.listener.v3.Listener", { name, api_listener: { api_listener: hcm(routeName, filters) } }, `Listener "${name}"`);
}

/** A Secret (SDS), used as a fifth type to show the type registry is not limited to four. */
export function secret(name: string, value: string): EncodedResource {
  return encoded(
    "envoy.extensions.transport_sockets.tls.v3.Secret",
    { name, generic_secret: { secret: { inline_string: value } } },
    `Secret "${name}"`,
  );
}

export function proxy(service: string, resources: EncodedResource[]): ProxySnapshot {
  const byKind: Partial<Record<ResourceKind, EncodedResource[]>> = {};
  for (const r of resources) {
    const kind = KIND_BY_URL.get(r.typeUrl);
    if (!kind) throw new Error(`fixture: unknown type ${r.typeUrl}`);
    (byKind[kind] ??= []).push(r);
  }
  return makeProxySnapshot(service, byKind);
}

export function mesh(...proxies: ProxySnapshot[]): MeshSnapshot {
  return { proxies: new Map(proxies.map((p) => [p.service, p])) };
}

/** A small but complete mesh for service "web": 2 clusters + CLAs, one listener, one route. */
export function webProxy(opts: { body?: string; timeoutMs?: number; extraClusters?: string[] } = {}): ProxySnapshot {
  const clusters = ["api", "db", ...(opts.extraClusters ?? [])];
  return proxy("web", [
    ...clusters.map((c) => cluster(c, c === "api" && opts.timeoutMs ? { connectTimeoutMs: opts.timeoutMs } : {})),
    ...clusters.map((c, i) => cla(c, [{ port: 19000 + i }])),
    httpListener("web-http", 19290, "web-routes"),
    routeConfig("web-routes", [{ direct: { body: opts.body ?? "v1" } }]),
  ]);
}

export const TYPE = TYPE_URLS;
