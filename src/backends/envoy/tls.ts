// Mutual TLS in the Envoy output (issue 8): transport sockets for inbound filter chains and outbound clusters.
// Certificates are never inlined: contexts name SDS secrets fetched over the ADS stream (`meshc build` stays
// key-free and deterministic), per proxy
//   "default"  the proxy's own leaf certificate and key (its service's SPIFFE ID)
//   "ROOTCA"   the mesh trust bundle (one root, two during a rotation's overlap window)
// (Istio's names, so every proxy's clusters name the same secrets and stay shareable between callers). `meshc serve
// --ca` puts exactly these two into each proxy's snapshot (src/serve/secrets.ts).
// Peer checks are exact URI SAN matches on SPIFFE IDs: never a prefix or regex built from a user's string (R16).
// Proxyless gRPC clients (gRFC A29) get certificate-provider instances instead of SDS.
import type { PortIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { adsConfigSource } from "./values.js";
import type { EnvoyTypes } from "./api/codec.js";

type TransportSocket = EnvoyTypes["envoy.config.core.v3.TransportSocket"];
type CommonTlsContext = EnvoyTypes["envoy.extensions.transport_sockets.tls.v3.CommonTlsContext"];
type ListenerFilter = EnvoyTypes["envoy.config.listener.v3.ListenerFilter"];

export const IDENTITY_SECRET = "default";
export const TRUST_BUNDLE_SECRET = "ROOTCA";
/** The gRPC bootstrap's certificate_providers key meshc writes (src/backends/envoy/bootstrap/grpc.ts). */
export const GRPC_CERT_PROVIDER = "meshc";
export const TLS_SOCKET = "envoy.transport_sockets.tls";
export const TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";

/** A port's inbound listener terminates mTLS (strict or permissive). */
export function inboundMtls(port: PortIR): boolean {
  return port.mtls !== "off";
}

/** Callers in the mesh send mTLS to this upstream port (auto mTLS: whenever it accepts it). */
export function upstreamMtls(upstream: ServiceIR, port: PortIR): boolean {
  return !upstream.nonMesh && port.mtls !== "off";
}

function sds(name: string) {
  return { name, sds_config: adsConfigSource() };
}

/** An exact URI SAN matcher: the SPIFFE ID verbatim, so ".", "*" or "+" in it match only themselves (R16). */
export function spiffeSanMatcher(spiffeId: string) {
  return { san_type: "URI" as const, matcher: { exact: spiffeId } };
}

/** Inbound: require a client certificate from the trust bundle; present the proxy's own leaf. */
export function downstreamTlsSocket(): TransportSocket {
  const ctx: CommonTlsContext = {
    tls_certificate_sds_secret_configs: [sds(IDENTITY_SECRET)],
    validation_context_sds_secret_config: sds(TRUST_BUNDLE_SECRET),
  };
  return {
    name: TLS_SOCKET,
    typed_config: pack("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", {
      common_tls_context: ctx,
      require_client_certificate: { value: true },
    }),
  };
}

export function tlsInspector(): ListenerFilter {
  return { name: TLS_INSPECTOR, typed_config: pack("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector", {}) };
}

/** Istio's SNI form: outbound_.<port>_.<subset>_.<host>, naming service, port and subset. */
export function upstreamSni(service: string, port: number, subset: string | undefined): string {
  return `outbound_.${port}_.${subset ?? ""}_.${service}`;
}

/**
 * Outbound to a mesh service: present the caller's leaf (SDS "default"), trust the bundle (SDS "ROOTCA") and accept
 * only the upstream's SPIFFE ID, exactly.
 */
export function upstreamTlsSocket(upstream: ServiceIR, port: PortIR, subset: string | undefined): TransportSocket {
  return {
    name: TLS_SOCKET,
    typed_config: pack("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", {
      sni: upstreamSni(upstream.name, port.port, subset),
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sds(IDENTITY_SECRET)],
        combined_validation_context: {
          default_validation_context: { match_typed_subject_alt_names: [spiffeSanMatcher(upstream.identity)] },
          validation_context_sds_secret_config: sds(TRUST_BUNDLE_SECRET),
        },
      },
    }),
  };
}

/**
 * Outbound from a proxyless gRPC client (gRFC A29): certificates come from the gRPC bootstrap's file-watcher
 * provider instance; the SAN check is the same exact SPIFFE ID. grpc-js reads `match_subject_alt_names` from the
 * validation context (typed SAN matchers are not part of A29), as an exact match.
 */
export function proxylessUpstreamTlsSocket(upstream: ServiceIR, port: PortIR, subset: string | undefined): TransportSocket {
  return {
    name: TLS_SOCKET,
    typed_config: pack("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", {
      sni: upstreamSni(upstream.name, port.port, subset),
      common_tls_context: {
        tls_certificate_provider_instance: { instance_name: GRPC_CERT_PROVIDER, certificate_name: IDENTITY_SECRET },
        validation_context: {
          ca_certificate_provider_instance: { instance_name: GRPC_CERT_PROVIDER, certificate_name: TRUST_BUNDLE_SECRET },
          match_subject_alt_names: [{ exact: upstream.identity }],
        },
      },
    }),
  };
}
