// Inbound: one listener per service port on <inboundAddress>:<port>, leading to the local app through the
// `inbound|<port>` cluster. HTTP ports go through an HttpConnectionManager (the service's rate limit, then the
// router) with its one-route table inlined; TCP ports through tcp_proxy. Filter chains by the port's mTLS mode:
//   off         one chain "plaintext", no transport socket
//   strict      one chain "mtls": TLS requiring a client certificate from the trust bundle (./tls.ts)
//   permissive  the TLS inspector picks "mtls" (transport_protocol "tls") or "plaintext" ("raw_buffer")
// The chains' stat prefixes differ (inbound_<port>_mtls vs inbound_<port>), so stats count each kind of caller.
// On the mTLS chain the HCM sets x-forwarded-client-cert to the caller's SPIFFE ID (SANITIZE_SET, URI); on a
// plaintext chain Envoy's default (SANITIZE) strips any x-forwarded-client-cert an outside caller sent.
import type { PortIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { inboundHttpFilters } from "./filters.js";
import { isHttpFamily } from "./model.js";
import { FILTER, inboundClusterName, inboundListenerName, statPrefix } from "./names.js";
import { downstreamTlsSocket, inboundMtls, tlsInspector } from "./tls.js";
import { duration, socketAddress } from "./values.js";
import type { FilterChain, Listener } from "./xds-types.js";

export const PLAINTEXT_CHAIN = "plaintext";
export const MTLS_CHAIN = "mtls";

export function buildInboundListener(service: ServiceIR, port: PortIR): Listener {
  const chain = (tls: boolean) => (isHttpFamily(port) ? httpChain(service, port, tls) : tcpChain(port, tls));
  const listener: Listener = {
    name: inboundListenerName(port.port),
    address: socketAddress(service.sidecar.inboundAddress, port.port),
    traffic_direction: "INBOUND",
    filter_chains: [chain(false)],
  };
  if (!inboundMtls(port)) return listener;
  const mtls: FilterChain = { ...chain(true), transport_socket: downstreamTlsSocket() };
  if (port.mtls === "strict") return { ...listener, filter_chains: [mtls] };
  return {
    ...listener,
    listener_filters: [tlsInspector()],
    filter_chains: [
      { ...mtls, filter_chain_match: { transport_protocol: "tls" } },
      { ...chain(false), filter_chain_match: { transport_protocol: "raw_buffer" } },
    ],
  };
}

function httpChain(service: ServiceIR, port: PortIR, tls: boolean): FilterChain {
  const cluster = inboundClusterName(port.port);
  const hcm = pack("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
    stat_prefix: tls ? statPrefix("inbound", port.port, MTLS_CHAIN) : statPrefix("inbound", port.port),
    ...(tls && { forward_client_cert_details: "SANITIZE_SET" as const, set_current_client_cert_details: { uri: true } }),
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
  return { name: tls ? MTLS_CHAIN : PLAINTEXT_CHAIN, filters: [{ name: FILTER.hcm, typed_config: hcm }] };
}

function tcpChain(port: PortIR, tls: boolean): FilterChain {
  const tcp = pack("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", {
    stat_prefix: tls ? statPrefix("inbound", port.port, MTLS_CHAIN) : statPrefix("inbound", port.port),
    cluster: inboundClusterName(port.port),
  });
  return { name: tls ? MTLS_CHAIN : PLAINTEXT_CHAIN, filters: [{ name: FILTER.tcpProxy, typed_config: tcp }] };
}
