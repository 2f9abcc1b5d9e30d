// Valid Envoy resources of each kind meshc emits, built from the generated typings; validate.test.ts breaks them on
// purpose and codec.test.ts round-trips them. Each call returns a fresh object, so tests may mutate their copy.
import { pack, type EnvoyTypes } from "../../src/backends/envoy/api/codec.js";

type T<K extends keyof EnvoyTypes> = EnvoyTypes[K];

export const HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
export const ROUTER = "envoy.extensions.filters.http.router.v3.Router";

export function edsCluster(name = "payments"): T<"envoy.config.cluster.v3.Cluster"> {
  return {
    name,
    type: "EDS",
    connect_timeout: { seconds: 1, nanos: 500_000_000 },
    lb_policy: "ROUND_ROBIN",
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: "V3" } },
  };
}

export function loadAssignment(): T<"envoy.config.endpoint.v3.ClusterLoadAssignment"> {
  return {
    cluster_name: "payments",
    endpoints: [
      {
        locality: { zone: "z1" },
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: "10.0.0.1", port_value: 8080 } } } },
          { endpoint: { address: { socket_address: { address: "10.0.0.2", port_value: 8080 } } }, load_balancing_weight: { value: 2 } },
        ],
      },
    ],
  };
}

export function routeConfig(): T<"envoy.config.route.v3.RouteConfiguration"> {
  return {
    name: "http.8080",
    virtual_hosts: [
      {
        name: "payments",
        domains: ["payments", "payments.mesh:8080"],
        routes: [
          {
            match: { prefix: "/api" },
            route: {
              weighted_clusters: {
                clusters: [
                  { name: "payments-v1", weight: { value: 90 } },
                  { name: "payments-v2", weight: { value: 10 } },
                ],
              },
              timeout: { seconds: 15 },
            },
          },
          { match: { prefix: "/" }, route: { cluster: "payments-v1" } },
        ],
      },
    ],
  };
}

export function httpConnectionManager(): T<typeof HCM> {
  return {
    stat_prefix: "ingress_http",
    codec_type: "AUTO",
    rds: { route_config_name: "http.8080", config_source: { ads: {}, resource_api_version: "V3" } },
    http_filters: [{ name: "envoy.filters.http.router", typed_config: pack(ROUTER, {}) }],
  };
}

export function listener(hcm: T<typeof HCM> = httpConnectionManager()): T<"envoy.config.listener.v3.Listener"> {
  return {
    name: "http.8080",
    address: { socket_address: { address: "0.0.0.0", port_value: 8080 } },
    filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: pack(HCM, hcm) }] }],
  };
}

export function bootstrap(): T<"envoy.config.bootstrap.v3.Bootstrap"> {
  return {
    node: { id: "sidecar~10.0.0.1~payments", cluster: "payments" },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } },
    dynamic_resources: {
      ads_config: { api_type: "GRPC", transport_api_version: "V3", grpc_services: [{ envoy_grpc: { cluster_name: "xds" } }] },
      cds_config: { ads: {}, resource_api_version: "V3" },
      lds_config: { ads: {}, resource_api_version: "V3" },
    },
    static_resources: {
      clusters: [
        {
          name: "xds",
          type: "STATIC",
          connect_timeout: { seconds: 1 },
          load_assignment: {
            cluster_name: "xds",
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 18000 } } } }] }],
          },
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": pack("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", {
              explicit_http_config: { http2_protocol_options: {} },
            }),
          },
        },
      ],
    },
  };
}

/** Every sample with its message type and resource label. */
export function samples(): { typeName: keyof EnvoyTypes; label: string; msg: unknown }[] {
  return [
    { typeName: "envoy.config.cluster.v3.Cluster", label: 'Cluster "payments"', msg: edsCluster() },
    { typeName: "envoy.config.endpoint.v3.ClusterLoadAssignment", label: 'ClusterLoadAssignment "payments"', msg: loadAssignment() },
    { typeName: "envoy.config.listener.v3.Listener", label: 'Listener "http.8080"', msg: listener() },
    { typeName: "envoy.config.route.v3.RouteConfiguration", label: 'RouteConfiguration "http.8080"', msg: routeConfig() },
    { typeName: "envoy.config.bootstrap.v3.Bootstrap", label: "Bootstrap", msg: bootstrap() },
  ];
}
