// Ingress gateway (mesh.gateway, issue 13) in the Envoy output. The gateway is a proxy without an app; per listener:
//   Listener            gateway|<port>   on <inboundAddress>:<port>; https: DownstreamTlsContext with the
//                                        certificate chain and key as file names (Envoy reads them; meshc never does)
//   RouteConfiguration  gateway|<port>   (RDS over ADS) one virtual host per listener host, named "<host>:<port>",
//                                        domains [host, host:port], holding the gateway's routes for that host (routes
//                                        without `match.host` in every host), in order; a host without routes answers 404
// Routes are built by the same builder as sidecar routes (routes.ts), with the gateway's policy as route defaults
// (timeout, retries), so every route feature (splits, retries, rewrites, CORS, faults) works at the edge too.
// Authorization (the gateway's own mesh.authorize() policy plus the mesh-wide rules and default) is added by
// translate.ts with withAuthorization (listeners-authz.ts), exactly as on a sidecar's inbound listener: the RBAC
// filters go first in the connection manager (ahead of CORS), with path normalization when a path condition
// applies. Callers of a gateway carry no mesh identity (no client certificate): Envoy's principal is empty there.
import type { GatewayListenerIR, PortIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { corsHttpFilters } from "./cors.js";
import { outboundHttpFilters } from "./filters.js";
import { FILTER, statPrefix } from "./names.js";
import { TLS_SOCKET } from "./tls.js";
import { adsConfigSource, socketAddress } from "./values.js";
import type { Listener, VirtualHost } from "./xds-types.js";

export function gatewayResourceName(port: number): string {
  return `gateway|${port}`;
}

export function gatewayListener(gw: ServiceIR, l: GatewayListenerIR, port: PortIR, cors: boolean): Listener {
  const hcm = pack("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
    stat_prefix: statPrefix("gateway", port.port),
    rds: { route_config_name: gatewayResourceName(port.port), config_source: adsConfigSource() },
    http_filters: [...corsHttpFilters(cors), ...outboundHttpFilters("sidecar")],
    // The gateway is the edge: it sets X-Forwarded-For from the peer and does not trust one a client sent.
    use_remote_address: { value: true },
  });
  const chain: NonNullable<Listener["filter_chains"]>[number] = { name: l.protocol, filters: [{ name: FILTER.hcm, typed_config: hcm }] };
  if (l.tls) {
    chain.transport_socket = {
      name: TLS_SOCKET,
      typed_config: pack("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", {
        common_tls_context: {
          tls_certificates: [{ certificate_chain: { filename: l.tls.certFile }, private_key: { filename: l.tls.keyFile } }],
          alpn_protocols: ["h2", "http/1.1"],
        },
      }),
    };
  }
  return {
    name: gatewayResourceName(port.port),
    address: socketAddress(gw.sidecar.inboundAddress, port.port),
    traffic_direction: "INBOUND",
    filter_chains: [chain],
  };
}

/**
 * The gateway with only the routes that serve `host` (routes without a host serve every host). Host names compare
 * in lowercase, as Envoy compares domains and as analysis (MESH0234, MESH0239) does.
 */
export function gatewayForHost(gw: ServiceIR, host: string): ServiceIR {
  const h = host.toLowerCase();
  return { ...gw, routes: gw.routes.filter((r) => r.match.host === undefined || r.match.host.toLowerCase() === h) };
}

export function gatewayDomains(host: string, port: number): string[] {
  return [host, `${host}:${port}`];
}

export function gatewayVhostName(host: string, port: number): string {
  return `${host}:${port}`;
}

/** A listener host without routes: nothing to forward to, so 404 rather than a loop to the gateway itself. */
export function gatewayNoRoutes(host: string, port: number): VirtualHost {
  return {
    name: gatewayVhostName(host, port),
    domains: gatewayDomains(host, port),
    routes: [{ name: `${host}-none`, match: { prefix: "/" }, direct_response: { status: 404 } }],
  };
}
