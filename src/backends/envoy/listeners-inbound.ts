// Inbound: one listener per service port on <inboundAddress>:<port>, leading to the local app through the
// `inbound|<port>` cluster. HTTP ports go through an HttpConnectionManager (the service's rate limit, then the
// router) with its one-route table inlined; TCP ports through tcp_proxy. Each listener has a single named filter
// chain with no match and no transport socket: mTLS later adds the TLS transport_socket (and, for permissive
// mode, a tls_inspector-matched chain) without reshaping the listener.
import type { PortIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { inboundHttpFilters } from "./filters.js";
import { isHttpFamily } from "./model.js";
import { FILTER, inboundClusterName, inboundListenerName, statPrefix } from "./names.js";
import { duration, socketAddress } from "./values.js";
import type { FilterChain, Listener } from "./xds-types.js";

export const PLAINTEXT_CHAIN = "plaintext";

export function buildInboundListener(service: ServiceIR, port: PortIR): Listener {
  return {
    name: inboundListenerName(port.port),
    address: socketAddress(service.sidecar.inboundAddress, port.port),
    traffic_direction: "INBOUND",
    filter_chains: [isHttpFamily(port) ? httpChain(service, port) : tcpChain(port)],
  };
}

function httpChain(service: ServiceIR, port: PortIR): FilterChain {
  const cluster = inboundClusterName(port.port);
  const hcm = pack("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
    stat_prefix: statPrefix("inbound", port.port),
    route_config: {
      name: inboundListenerName(port.port),
      virtual_hosts: [
        {
          name: "inbound",
          domains: ["*"],
          // No timeout here: the caller's sidecar enforces the route's timeout, and long gRPC streams must live.
          routes: [{ name: "inbound", match: { prefix: "/" }, route: { cluster, timeout: duration(0) } }],
        },
      ],
    },
    http_filters: inboundHttpFilters(service),
  });
  return { name: PLAINTEXT_CHAIN, filters: [{ name: FILTER.hcm, typed_config: hcm }] };
}

function tcpChain(port: PortIR): FilterChain {
  const tcp = pack("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", {
    stat_prefix: statPrefix("inbound", port.port),
    cluster: inboundClusterName(port.port),
  });
  return { name: PLAINTEXT_CHAIN, filters: [{ name: FILTER.tcpProxy, typed_config: tcp }] };
}
