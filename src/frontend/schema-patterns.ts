// The formats and enumerations of the mesh model's values, shared by schema.ts (zod) and schema-fast.ts (the fast
// acceptor), kept apart from zod so that a build whose model schema-fast.ts accepts need not load zod at all.

import { isIP } from "node:net";

// RFC 1123 label: service names become hostnames and Envoy resource names.
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
export const HEADER = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
export const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
/** The HTTP authentication headers (RFC 9110): a value of theirs is a credential (MESH0332, span tags). */
export const AUTH_HEADERS: ReadonlySet<string> = new Set(["authorization", "proxy-authorization"]);
export const IP_OR_HOST = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)$/;

/**
 * An IP address Envoy parses (IPv4 without leading zeros, IPv6 without a zone id) or a hostname. The pattern above
 * alone took 999.1.1.1 or 1::2::3, which Envoy refuses (NACK): what looks numeric must be a real address.
 */
export function isIpOrHost(v: unknown): boolean {
  if (typeof v !== "string" || !IP_OR_HOST.test(v)) return false;
  if (v.includes(":")) return isIP(v) === 6;
  if (/^[\d.]+$/.test(v)) return isIP(v) === 4;
  return true;
}
/**
 * A literal IP address Envoy parses (what isIpOrHost accepts, minus hostnames): what a listener binds and what an
 * EDS or STATIC endpoint needs. Envoy resolves no name there ("malformed IP address: localhost" for a listener,
 * nothing for an endpoint), so a name must be declared where a DNS cluster resolves it (dns(), mesh.external()).
 */
export function isIpAddress(v: unknown): boolean {
  return isIpOrHost(v) && isIP(v as string) !== 0;
}
export const ADDRESS_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/;
export const IDENTITY = /^(spiffe:\/\/[a-z0-9._-]+)?(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/;
export const PROTOCOLS = ["http", "http2", "grpc", "tcp"] as const;
export const RETRY_ON = ["5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream", "envoy-ratelimited", "retriable-status-codes"] as const;
export const GRPC_RETRY_CODES = ["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"] as const;
export const LB_POLICIES = ["round-robin", "least-request", "random"] as const;
export const EGRESS_MODES = ["registry-only", "allow-any"] as const;
export const PROXYLESS_GRPC = ["go", "js", "any"] as const;
export const MTLS_MODES = ["strict", "permissive", "off"] as const;
export const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] as const;

/** "address:port" ("[v6]:port" for IPv6) with a port from 1 to 65535, where an address that looks numeric is real. */
export function isEndpointString(v: string): boolean {
  const m = ADDRESS_PORT.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return false;
  if (m[1]!.startsWith("[")) return isIP(m[1]!.slice(1, -1)) === 6;
  return !/^[\d.]+$/.test(m[1]!) || isIP(m[1]!) === 4;
}

/** "ip:port" or "[ipv6]:port" (isEndpointString without hostnames): a static instance written as a string. */
export function isIpEndpointString(v: string): boolean {
  const m = ADDRESS_PORT.exec(v);
  return m !== null && isEndpointString(v) && isIpAddress(m[1]!.startsWith("[") ? m[1]!.slice(1, -1) : m[1]!);
}
