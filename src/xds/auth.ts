// Authenticated ADS (issue 9, R9/R10). With TLS on, every connection must present a client certificate that chains
// to the mesh's trust bundle; the SPIFFE ID in it is the verified identity. node.cluster is only a claim: a stream
// may bind to a service only when that service runs as the verified identity (several services may share one).
// Otherwise the stream ends with UNAUTHENTICATED (no verified certificate) or PERMISSION_DENIED (another identity),
// the refusal is logged with the claimed and the verified identity and counted in meshc_xds_auth_denied_total.
// Because a proxy only ever receives its own service's snapshot, SDS secrets reach only their owning identity.
// The server knows snapshots, not the DSL: whoever publishes a snapshot also says which identity each service runs
// as (setIdentities); a service with no known identity is refused (fail closed).
import { X509Certificate } from "node:crypto";
import type { SecureContextOptions } from "node:tls";
import { Status as GrpcStatus } from "./grpc-frame.js";
import { Counter, type Registry } from "prom-client";

/** A call's TLS peer (./grpc-transport.ts AdsCall.getAuthContext, shaped as grpc-js's: empty unless the chain verified). */
export interface PeerAuth {
  transportSecurityType?: string;
  sslPeerCertificate?: { raw?: Buffer };
}

/** What the xDS server needs to authenticate clients. */
export interface XdsAuthOptions {
  /** The TLS server's certificate, key and trust bundle; undefined while none is ready (connections close). */
  secureContext(): SecureContextOptions | undefined;
}

export type AuthDenyReason = "no_client_certificate" | "no_spiffe_id" | "unknown_service_identity" | "identity_mismatch";

export type AuthDecision =
  | { ok: true; verified: string }
  | { ok: false; code: GrpcStatus; reason: AuthDenyReason; verified?: string; expected?: string; details: string };

/** The one SPIFFE ID (URI SAN starting spiffe://) of a DER certificate, or undefined. */
export function spiffeIdOf(der: Buffer): string | undefined {
  let san: string | undefined;
  try {
    san = new X509Certificate(der).subjectAltName;
  } catch {
    return undefined;
  }
  if (!san) return undefined;
  // Node prints URIs as `URI:<value>`, quoting (JSON) values that hold a comma or quote.
  const uris: string[] = [];
  for (const m of san.matchAll(/(?:^|, )URI:("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[1]!;
    try {
      uris.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
    } catch {
      return undefined;
    }
  }
  const spiffe = uris.filter((u) => u.startsWith("spiffe://"));
  return spiffe.length === 1 ? spiffe[0] : undefined; // an X509-SVID carries exactly one
}

export class XdsAuthenticator {
  private identities: ReadonlyMap<string, string> = new Map();
  readonly denied: Counter<"reason" | "api">;

  constructor(readonly options: XdsAuthOptions, registry: Registry) {
    const name = "meshc_xds_auth_denied_total";
    this.denied =
      (registry.getSingleMetric(name) as Counter<"reason" | "api"> | undefined) ??
      new Counter({ name, help: "ADS streams refused by client authentication (R9/R10), by reason", labelNames: ["reason", "api"], registers: [registry] });
  }

  /** Which identity each service runs as (from the compiled mesh). */
  setIdentities(identities: ReadonlyMap<string, string>): void {
    this.identities = new Map(identities);
  }

  identityOf(service: string): string | undefined {
    return this.identities.get(service);
  }

  /**
   * The peer alone: a verified client certificate with exactly one SPIFFE ID. The server asks this when a stream
   * opens (its HEADERS), before the stream is admitted or reads anything, so an unauthenticated connection's streams
   * cost nothing but their refusal.
   */
  checkPeer(auth: PeerAuth): { ok: true; verified: string } | (AuthDecision & { ok: false }) {
    const cert = auth.sslPeerCertificate;
    if (auth.transportSecurityType !== "ssl" || !cert?.raw) {
      return { ok: false, code: GrpcStatus.UNAUTHENTICATED, reason: "no_client_certificate", details: "ADS needs a client certificate from the mesh CA (meshc bootstrap --ca)" };
    }
    const verified = spiffeIdOf(cert.raw);
    if (!verified) {
      return { ok: false, code: GrpcStatus.UNAUTHENTICATED, reason: "no_spiffe_id", details: "the client certificate carries no single SPIFFE ID (URI SAN)" };
    }
    return { ok: true, verified };
  }

  /**
   * Decides whether a stream whose TLS peer is `auth` may receive `service`'s configuration. `shown` is the service
   * name as statuses may quote it (the caller clips a client's string, R6).
   */
  check(auth: PeerAuth, service: string, shown = service): AuthDecision {
    const peer = this.checkPeer(auth);
    if (!peer.ok) return peer;
    const { verified } = peer;
    const expected = this.identities.get(service);
    if (expected === undefined) {
      return { ok: false, code: GrpcStatus.PERMISSION_DENIED, reason: "unknown_service_identity", verified, details: `no identity is known for service "${shown}"; refused` };
    }
    if (expected !== verified) {
      return { ok: false, code: GrpcStatus.PERMISSION_DENIED, reason: "identity_mismatch", verified, expected, details: `identity ${verified} may not receive the configuration of service "${shown}"` };
    }
    return { ok: true, verified };
  }
}
