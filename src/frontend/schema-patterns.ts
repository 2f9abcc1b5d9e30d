// The formats and enumerations of the mesh model's values, shared by schema.ts (zod) and schema-fast.ts (the fast
// acceptor), kept apart from zod so that a build whose model schema-fast.ts accepts need not load zod at all.

// RFC 1123 label: service names become hostnames and Envoy resource names.
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
export const HEADER = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
export const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
export const IP_OR_HOST = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)$/;
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
