// Proxyless gRPC clients (gRFC A27): no sidecar, so no inbound or TCP listeners. For each reachable upstream port
// the snapshot holds API listeners named like the targets gRPC dials (`xds:///<service>` and
// `xds:///<service>:<port>`), each an HttpConnectionManager with RDS over ADS and the router last; one route
// configuration per upstream port whose single virtual host matches every authority ("*": the listener already
// chose the target). Clusters are EDS over ADS with lb policies gRPC accepts (see clusters.ts), and every
// locality in the assignments carries a load_balancing_weight (gRPC drops localities without one).
// The HTTP filters are always fault + router (faults are switched on per route): grpc-js-xds does not apply a
// Listener update that changes only the filters while the RDS name stays (dataplane-notes b), so they never change.
import type { PortIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { outboundHttpFilters } from "./filters.js";
import { declaredOrder } from "./model.js";
import { proxylessListenerNames, proxylessRouteName } from "./names.js";
import { adsConfigSource } from "./values.js";
import type { Listener } from "./xds-types.js";

/**
 * The ports a gRPC client can call: grpc and http2 ones (gRPC speaks HTTP/2 only). The bare `<service>` listener
 * goes to the first declared grpc port, else to the first declared http2 port.
 */
export function proxylessPorts(upstream: ServiceIR): PortIR[] {
  return upstream.ports.filter((p) => p.protocol === "grpc" || p.protocol === "http2");
}

function defaultPort(upstream: ServiceIR): PortIR | undefined {
  const ports = declaredOrder(upstream);
  return ports.find((p) => p.protocol === "grpc") ?? ports.find((p) => p.protocol === "http2");
}

export function buildApiListeners(upstream: ServiceIR, port: PortIR): Listener[] {
  const isDefault = defaultPort(upstream)?.name === port.name;
  const hcm = pack("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
    stat_prefix: "proxyless",
    rds: { route_config_name: proxylessRouteName(upstream.name, port.port), config_source: adsConfigSource() },
    http_filters: outboundHttpFilters("proxyless"),
  });
  return proxylessListenerNames(upstream.name, port.port, isDefault).map((name) => ({ name, api_listener: { api_listener: hcm } }));
}

export const PROXYLESS_DOMAINS = ["*"];

