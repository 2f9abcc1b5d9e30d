// Telemetry resources a sidecar gets over xDS besides its traffic config: the Prometheus endpoint (as Istio serves
// :15090, a listener whose only route forwards /stats/prometheus to a static cluster pointing at the admin
// interface, so nothing else of the admin API is exposed) and the cluster of the OTLP/gRPC collector.
import type { CollectorIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { endpointPort, type MeshIndex } from "./model.js";
import { FILTER, HTTP_PROTOCOL_OPTIONS } from "./names.js";
import { clusterStatName, collectorClusterName, PROMETHEUS_ADMIN_CLUSTER, prometheusListenerName } from "./telemetry-names.js";
import { isIpAddress, socketAddress } from "./values.js";
import type { Cluster, Listener } from "./xds-types.js";

export function buildPrometheusListener(svc: ServiceIR): Listener | undefined {
  const m = svc.telemetry?.metrics;
  if (!m) return undefined;
  const hcm = pack("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
    stat_prefix: "prometheus",
    route_config: {
      name: "prometheus",
      virtual_hosts: [
        {
          name: "prometheus",
          domains: ["*"],
          routes: [{ name: "prometheus", match: { path: m.path }, route: { cluster: PROMETHEUS_ADMIN_CLUSTER } }],
        },
      ],
    },
    http_filters: [{ name: FILTER.router, typed_config: pack("envoy.extensions.filters.http.router.v3.Router", {}) }],
  });
  return {
    name: prometheusListenerName(m.port),
    address: socketAddress(svc.sidecar.inboundAddress, m.port),
    filter_chains: [{ name: "prometheus", filters: [{ name: FILTER.hcm, typed_config: hcm }] }],
  };
}

export function buildPrometheusCluster(svc: ServiceIR): Cluster | undefined {
  if (!svc.telemetry?.metrics) return undefined;
  return {
    name: PROMETHEUS_ADMIN_CLUSTER,
    type: "STATIC",
    connect_timeout: { seconds: 1 },
    load_assignment: {
      cluster_name: PROMETHEUS_ADMIN_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress("127.0.0.1", svc.sidecar.adminPort) } }] }],
    },
  };
}

export interface CollectorTarget {
  cluster: string;
  /** :authority of the export calls (Envoy's default, the cluster name, has "|", which HTTP/2 servers refuse). */
  authority: string;
  addresses: { host: string; port: number }[];
}

/** Where a collector is: its cluster name and addresses; undefined when analysis reported it (MESH0601/0602). */
export function collectorTarget(mesh: MeshIndex, c: CollectorIR): CollectorTarget | undefined {
  if (c.kind === "address") {
    const authority = c.host.includes(":") ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;
    return { cluster: collectorClusterName(c.host, c.port), authority, addresses: [{ host: c.host, port: c.port }] };
  }
  const svc = mesh.service(c.service);
  if (!svc) return undefined;
  const port = c.port !== undefined ? svc.ports.find((p) => p.name === c.port) : svc.ports.find((p) => p.protocol === "grpc" || p.protocol === "http2");
  if (!port) return undefined;
  const inst = svc.instances;
  // Ports by name, never by position (issue 18): an instance without a number for this port cannot be a target.
  const listed = inst.kind === "dns" ? [{ host: inst.hostname, port: endpointPort(inst, port) }] : inst.endpoints.map((e) => ({ host: e.address, port: endpointPort(e, port) }));
  const addresses = listed.filter((a): a is { host: string; port: number } => a.port !== undefined);
  if (addresses.length === 0) return undefined;
  return { cluster: collectorClusterName(svc.name, port.port), authority: `${svc.name}:${port.port}`, addresses };
}

export function buildCollectorCluster(target: CollectorTarget): Cluster {
  const dns = target.addresses.some((a) => !isIpAddress(a.host));
  const statName = clusterStatName(target.cluster);
  return {
    name: target.cluster,
    ...(statName && { alt_stat_name: statName }),
    type: dns ? "STRICT_DNS" : "STATIC",
    ...(dns && { dns_lookup_family: "V4_PREFERRED" as const }),
    connect_timeout: { seconds: 1 },
    load_assignment: {
      cluster_name: target.cluster,
      endpoints: [{ lb_endpoints: target.addresses.map((a) => ({ endpoint: { address: socketAddress(a.host, a.port) } })) }],
    },
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS]: pack("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", { explicit_http_config: { http2_protocol_options: {} } }),
    },
  };
}
