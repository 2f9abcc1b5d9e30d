// External services and egress in the Envoy output (issue 13).
//
// External services (mesh.external) are upstreams without a meshc proxy: their clusters are ordinary outbound
// clusters (`outbound|<port>||<name>`, STRICT_DNS or EDS), their virtual hosts also answer to the hosts the user
// declared (`api.partner.example`, `api.partner.example:443`), and with `tls` the cluster originates TLS: SNI, the
// peer's chain checked against the given CA file (or the system bundle) and a DNS SAN equal to the SNI, exactly.
//
// Egress (defineMesh({ egress })) adds a catch-all virtual host `egress` (domains ["*"], so it only gets what no
// declared host claims) to every sidecar's outbound route table:
//   registry-only  route `egress-blocked` -> cluster `egress-blocked` (STATIC, no endpoints). The connection
//                  manager's local_reply_config turns that cluster's "no healthy upstream" into 502 with a body
//                  that says why; Envoy counts each request in cluster.egress-blocked.upstream_rq_503 (the code
//                  before the rewrite) and upstream_cx_none_healthy, and in the route's vhost.egress.route stats.
//   allow-any      route `egress-passthrough` -> cluster `egress-passthrough` (dynamic forward proxy): the Host
//                  header is resolved and the request forwarded to it, counted in cluster.egress-passthrough.*.
import type { EgressMode, ExternalIR, PortIR, ServiceIR } from "../../ir/types.js";
import { pack, type EnvoyTypes } from "./api/codec.js";
import { duration } from "./values.js";
import type { Cluster, HttpFilter, VirtualHost } from "./xds-types.js";
import { TLS_SOCKET } from "./tls.js";

type TransportSocket = EnvoyTypes["envoy.config.core.v3.TransportSocket"];
type LocalReplyConfig = EnvoyTypes["envoy.extensions.filters.network.http_connection_manager.v3.LocalReplyConfig"];

/** Debian/Ubuntu's system CA bundle (Istio's default too); an external service's `tls.ca` replaces it. */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export const EGRESS_VHOST = "egress";
export const EGRESS_BLOCKED = "egress-blocked";
export const EGRESS_PASSTHROUGH = "egress-passthrough";
export const EGRESS_BLOCKED_STATUS = 502;
export const EGRESS_BLOCKED_BODY = "meshc: egress to an undeclared destination is blocked (egress: registry-only)\n";
const DNS_CACHE = "meshc_egress";
const DFP_FILTER = "envoy.filters.http.dynamic_forward_proxy";

/** TLS origination to an external service, verifying the peer: chain against the CA, DNS SAN == SNI. */
export function originationTlsSocket(ext: ExternalIR): TransportSocket | undefined {
  if (!ext.tls) return undefined;
  return {
    name: TLS_SOCKET,
    typed_config: pack("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", {
      sni: ext.tls.sni,
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: ext.tls.caFile ?? SYSTEM_CA_BUNDLE },
          match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: ext.tls.sni } }],
        },
      },
    }),
  };
}

/** The declared hosts of an external service as Host/:authority names for one of its ports. */
export function externalDomains(svc: ServiceIR, port: PortIR, isDefault: boolean): string[] {
  const hosts = svc.external?.hosts ?? [];
  return hosts.flatMap((h) => (isDefault ? [h, `${h}:${port.port}`] : [`${h}:${port.port}`]));
}

/** The catch-all virtual host of the outbound route table, for a mesh with an egress mode. */
export function egressVirtualHost(mode: EgressMode): VirtualHost {
  const cluster = mode === "registry-only" ? EGRESS_BLOCKED : EGRESS_PASSTHROUGH;
  return {
    name: EGRESS_VHOST,
    domains: ["*"],
    routes: [
      {
        name: cluster,
        // Route stats vhost.egress.route.<cluster>.* (docs/dsl.md, Egress), with or without telemetry metrics.
        stat_prefix: cluster,
        match: { prefix: "/" },
        route: { cluster, ...(mode === "allow-any" && { timeout: duration(0) }) },
        ...(mode === "registry-only" && { response_headers_to_add: [{ header: { key: "x-meshc-egress", value: "blocked" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" as const }] }),
      },
    ],
  };
}

function dnsCacheConfig() {
  return { name: DNS_CACHE, dns_lookup_family: "V4_PREFERRED" as const };
}

/** The cluster the egress route sends to. */
export function egressCluster(mode: EgressMode, connectTimeoutMs: number): Cluster {
  if (mode === "registry-only") {
    return { name: EGRESS_BLOCKED, type: "STATIC", connect_timeout: duration(connectTimeoutMs), load_assignment: { cluster_name: EGRESS_BLOCKED } };
  }
  return {
    name: EGRESS_PASSTHROUGH,
    connect_timeout: duration(connectTimeoutMs),
    lb_policy: "CLUSTER_PROVIDED",
    cluster_type: {
      name: "envoy.clusters.dynamic_forward_proxy",
      typed_config: pack("envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig", { dns_cache_config: dnsCacheConfig() }),
    },
  };
}

/** allow-any: the dynamic forward proxy filter (before the router) that resolves the Host of passthrough requests. */
export function egressHttpFilters(mode: EgressMode | undefined): HttpFilter[] {
  if (mode !== "allow-any") return [];
  return [{ name: DFP_FILTER, typed_config: pack("envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig", { dns_cache_config: dnsCacheConfig() }) }];
}

/** registry-only: rewrite the blocked cluster's local reply into a 502 that says why. */
export function egressLocalReply(mode: EgressMode | undefined): LocalReplyConfig | undefined {
  if (mode !== "registry-only") return undefined;
  return {
    mappers: [
      {
        filter: {
          extension_filter: {
            name: "envoy.access_loggers.extension_filters.cel",
            typed_config: pack("envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter", { expression: `xds.cluster_name == '${EGRESS_BLOCKED}'` }),
          },
        },
        status_code: { value: EGRESS_BLOCKED_STATUS },
        body: { inline_string: EGRESS_BLOCKED_BODY },
      },
    ],
  };
}
