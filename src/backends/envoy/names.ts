// Stable resource names. They are part of meshc's output contract (goldens, `meshc build` diffs, the xDS server's
// subscriptions), so they derive only from names and ports in the IR, never from positions or counters.
//
//   Cluster / ClusterLoadAssignment   outbound|<port>|<subset>|<service>   (subset empty for the whole service)
//                                     inbound|<port>                        (the local app behind a sidecar port)
//   Listener                          inbound|<port>                        (one per service port)
//                                     outbound|<port>|http                  (the one outbound HTTP listener)
//                                     outbound|<port>|tcp|<service>         (one per TCP upstream port)
//                                     <service>, <service>:<port>           (proxyless API listeners, gRFC A27)
//   RouteConfiguration                outbound|<port>|http                  (RDS of the outbound HTTP listener)
//                                     inbound|<port>                        (inlined in the inbound listener)
//                                     <service>:<port>                      (RDS of proxyless API listeners)
//   VirtualHost                       <service>:<port>
// "|" never occurs in service names (DNS labels), so names cannot collide across kinds of use.

export function outboundClusterName(service: string, port: number, subset?: string): string {
  return `outbound|${port}|${subset ?? ""}|${service}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}`;
}

export function inboundListenerName(port: number): string {
  return `inbound|${port}`;
}

export function outboundHttpListenerName(port: number): string {
  return `outbound|${port}|http`;
}

/** The outbound HTTP listener's RDS route configuration: named like the listener it serves. */
export function outboundRouteName(port: number): string {
  return outboundHttpListenerName(port);
}

export function outboundTcpListenerName(localPort: number, service: string): string {
  return `outbound|${localPort}|tcp|${service}`;
}

export function virtualHostName(service: string, port: number): string {
  return `${service}:${port}`;
}

/** gRPC dials `xds:///<service>` or `xds:///<service>:<port>`; the listener name is that target (gRFC A27). */
export function proxylessListenerNames(service: string, port: number, isDefaultPort: boolean): string[] {
  return isDefaultPort ? [service, `${service}:${port}`] : [`${service}:${port}`];
}

export function proxylessRouteName(service: string, port: number): string {
  return `${service}:${port}`;
}

/** Key of `SidecarIR.tcpOutbound`: "<service>:<port name>". */
export function tcpOutboundKey(service: string, portName: string): string {
  return `${service}:${portName}`;
}

/** Stats prefixes may not contain ":" or "|" readably; Envoy's stats use "." as the separator. */
export function statPrefix(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(/[^A-Za-z0-9_-]/g, "_")).join("_");
}

/** Typed filter names: also the keys of per-route `typed_per_filter_config`. */
export const FILTER = {
  hcm: "envoy.filters.network.http_connection_manager",
  tcpProxy: "envoy.filters.network.tcp_proxy",
  fault: "envoy.filters.http.fault",
  localRateLimit: "envoy.filters.http.local_ratelimit",
  router: "envoy.filters.http.router",
} as const;

/** Key of Cluster.typed_extension_protocol_options for upstream HTTP settings. */
export const HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
