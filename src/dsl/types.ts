// Value types shared by the DSL's options: durations, percentages, matches, resilience settings.

/**
 * A duration: a number followed by a unit, e.g. `"250ms"`, `"1.5s"`, `"2m"`, `"1h"`. It must come to a whole number
 * of milliseconds. `"2 seconds"` does not compile.
 */
export type Duration = `${number}ms` | `${number}s` | `${number}m` | `${number}h`;

/** A percentage from 0 to 100 (fractions allowed, e.g. `0.5`). */
export type Percent = number;

/** A TCP/UDP port number, 1 to 65535. */
export type PortNumber = number;

/** Labels of an instance; a subset selects the instances whose labels include all of its own. */
export type Labels = { readonly [key: string]: string };

/** Wire protocol of a service port. `grpc` and `http2` speak HTTP/2 to the app; `tcp` is proxied as bytes. */
export type Protocol = "http" | "http2" | "grpc" | "tcp";

/** A SPIFFE ID, `spiffe://<trust domain>/<path>`. */
export type SpiffeId = `spiffe://${string}`;

/** Exactly one of the keys of T. */
type OneOf<T> = { [K in keyof T]: Pick<T, K> & { [O in Exclude<keyof T, K>]?: never } }[keyof T];

/** Match a string exactly, by prefix, or by an RE2 regular expression (whole-string match). */
export type StringMatch = OneOf<{ exact: string; prefix: string; regex: string }>;

/** A header match: a value match or `{ present: true }`; `invert: true` negates it. */
export type HeaderMatch = (OneOf<{ exact: string; prefix: string; regex: string; present: true }>) & {
  /** Match requests that do NOT satisfy the condition. @default false */
  invert?: boolean;
};

/** A query-parameter match: a value match or `{ present: true }`. */
export type QueryMatch = OneOf<{ exact: string; prefix: string; regex: string; present: true }>;

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "CONNECT" | "OPTIONS" | "TRACE" | "PATCH";

/** What a route matches; every given condition must hold. An empty match matches every request. */
export interface MatchOptions<P extends string = string> {
  /**
   * The service port the caller used, by name (Istio's `match.port`): the route applies to calls on that port
   * only. @default every port
   */
  port?: P;
  /** Path match. @default any path */
  path?: StringMatch;
  /** Header matches by header name; a plain string means an exact match. */
  headers?: Readonly<Record<string, string | HeaderMatch>>;
  /** Query-parameter matches by name; a plain string means an exact match. */
  query?: Readonly<Record<string, string | QueryMatch>>;
  /** One method or a list (any of them). @default any method */
  method?: HttpMethod | readonly HttpMethod[];
  /** gRPC service (fully qualified, e.g. `"shop.Payments"`) and optional method: matches `/<service>/<method>`. */
  grpc?: { service: string; method?: string };
  /**
   * Only calls from these services (Istio's `sourceLabels`): the route is compiled into their route tables only;
   * every other caller never sees it. @default every caller
   */
  from?: readonly import("./service.js").ServiceRef[];
  /** Gateway routes only: the listener host (one of a gateway listener's `hosts`) this route serves. @default every host */
  host?: string;
}

/** Envoy retry conditions (`retry_on`). */
export type RetryOn =
  | "5xx"
  | "gateway-error"
  | "reset"
  | "reset-before-request"
  | "connect-failure"
  | "retriable-4xx"
  | "refused-stream"
  | "envoy-ratelimited"
  /** Retry the codes in `statusCodes`, and those a request names in `x-envoy-retriable-status-codes`. */
  | "retriable-status-codes";

/** gRPC status codes a retry policy may name. */
export type GrpcRetryCode = "cancelled" | "deadline-exceeded" | "internal" | "resource-exhausted" | "unavailable";

/** A retry policy. */
export interface RetryOptions {
  /** Retries after the first attempt (Envoy's `num_retries`). */
  attempts: number;
  /** Timeout of each attempt. @default the route timeout */
  perTry?: Duration;
  /**
   * Conditions that trigger a retry. An empty list needs `statusCodes` or `grpcCodes` (else nothing is retried, an
   * error).
   * @default ["5xx", "reset", "connect-failure"] when neither statusCodes nor grpcCodes is given, else []
   */
  on?: readonly RetryOn[];
  /** Further HTTP status codes to retry, e.g. `[409]`. @default [] */
  statusCodes?: readonly number[];
  /** gRPC status codes to retry. @default [] */
  grpcCodes?: readonly GrpcRetryCode[];
  /** Exponential backoff between attempts. @default Envoy's (base 25ms, max 250ms) */
  backoff?: {
    base: Duration;
    /** @default 10 × base */
    max?: Duration;
  };
  /** Retry on other hosts than those already tried (Envoy's `previous_hosts` retry host predicate). @default false */
  otherHosts?: boolean;
  /**
   * How many times the load balancer may pick a host before settling for one the host predicate rejects (Envoy's
   * `host_selection_retry_max_attempts`). @default 1 (Envoy)
   */
  hostSelectionAttempts?: number;
}

/** A token bucket: `tokens` requests per `per`, bursting up to `burst`. */
export interface RateLimitOptions {
  /** Tokens added every `per`. */
  tokens: number;
  /** Fill interval. */
  per: Duration;
  /** Bucket size. @default tokens */
  burst?: number;
}

/** Fault injection on a route (testing resilience). */
export interface FaultOptions {
  /** Delay requests by a fixed time. */
  delay?: {
    fixed: Duration;
    /** @default 100 */
    percent?: Percent;
  };
  /** Fail requests with an HTTP status or a gRPC status code. */
  abort?: OneOf<{ status: number; grpcStatus: number }> & {
    /** @default 100 */
    percent?: Percent;
  };
}

/** Header manipulation. Values may use Envoy's `%VAR%` substitutions. */
export interface HeaderOps {
  /** Append these headers (a header already present gets another value). */
  add?: Readonly<Record<string, string>>;
  /** Set these headers, replacing any value present. */
  set?: Readonly<Record<string, string>>;
  /** Remove these headers. */
  remove?: readonly string[];
}

/** Rewrite the request before forwarding; `prefix` replaces the matched path prefix. */
export type RewriteOptions =
  | { prefix: string; fullPath?: never; host?: string }
  | { fullPath: string; prefix?: never; host?: string }
  | { host: string; prefix?: never; fullPath?: never };

/** An HTTP redirect. Unset parts keep the request's. `path` and `prefix` exclude each other. */
export type RedirectOptions = {
  scheme?: "http" | "https";
  host?: string;
  /** @default 301 */
  status?: 301 | 302 | 303 | 307 | 308;
} & (
  | {
      /** Replace the whole path. */
      path?: string;
      prefix?: never;
    }
  | {
      path?: never;
      /** Replace the matched path prefix. */
      prefix?: string;
    }
);

/** Circuit-breaker thresholds per upstream cluster (Envoy's defaults are 1024 each; retries 3). */
export interface CircuitBreakerOptions {
  maxConnections?: number;
  /** Requests waiting for a connection. */
  maxPending?: number;
  /** Concurrent requests. */
  maxRequests?: number;
  /** Concurrent retries. */
  maxRetries?: number;
  /** Allow retries up to `percent` of active requests (at least `minConcurrency`), instead of maxRetries. */
  retryBudget?: {
    percent: Percent;
    /** @default 3 */
    minConcurrency?: number;
  };
}

/** Passive health checking: eject hosts that keep failing (success-rate ejection stays off). */
export interface OutlierDetectionOptions {
  /** Consecutive 5xx responses before ejection; 0 turns this detector off (e.g. to eject on gateway errors only). @default 5 (Envoy) */
  consecutive5xx?: number;
  /** Consecutive 502/503/504 before ejection. */
  consecutiveGatewayErrors?: number;
  /** How often ejection is evaluated. @default "10s" (Envoy) */
  interval?: Duration;
  /** Base ejection time, multiplied by the number of ejections. @default "30s" (Envoy) */
  baseEjection?: Duration;
  /**
   * At most this share of hosts ejected at once, except that one host can always be ejected (so a pool of fewer
   * than 10 hosts still ejects with the default); 0 ejects none. @default 10 (Envoy): at least one host, then up to 10 %
   */
  maxEjectionPercent?: Percent;
}

/**
 * Active health checking: one of `http`, `grpc`, `tcp`, plus timing. Hosts failing their checks get no calls, even
 * when none is left (callers then get 503, response flag UH). HTTP and gRPC checks name the service as Host
 * (an external service: its first host).
 */
export type HealthCheckOptions = OneOf<{
  /** HTTP GET of this path; 200 is healthy. */
  http: string;
  /** gRPC Health Checking Protocol, optionally for a named service. */
  grpc: { service?: string };
  /** TCP connect. */
  tcp: Record<string, never>;
}> & {
  /** Time between checks, also before the upstream has had any traffic. @default "10s" */
  interval?: Duration;
  /** @default "1s" */
  timeout?: Duration;
  /** Passing checks before a host is healthy again. @default 2 */
  healthy?: number;
  /** Failing checks before a host is unhealthy. @default 3 */
  unhealthy?: number;
};

/** What a consistent hash is computed on. */
export type HashOn =
  | { header: string }
  | { cookie: string; /** Envoy generates the cookie with this lifetime when absent. */ ttl?: Duration }
  | { sourceIp: true }
  | { query: string };

/** Load-balancing algorithm. @default "round-robin" */
export type LoadBalancerOptions =
  | "round-robin"
  | "least-request"
  | "random"
  | { ringHash: { hashOn: HashOn | readonly HashOn[] } }
  | { maglev: { hashOn: HashOn | readonly HashOn[] } };

/**
 * The settings of a policy that apply to one subset's clusters (Istio's subset `trafficPolicy`):
 * `mesh.policy(svc.subset("v2"), { circuitBreaker: { maxRequests: 10 } })`. Route-level settings (timeout,
 * retries, locality failover) stay per service.
 */
export type SubsetPolicyOptions = Pick<PolicyOptions, "connectTimeout" | "idleTimeout" | "circuitBreaker" | "outlierDetection" | "healthCheck" | "loadBalancer">;

/** How callers reach a service: connection, resilience and balancing settings. */
export interface PolicyOptions {
  /** Upstream connect timeout. @default "1s" */
  connectTimeout?: Duration;
  /** Close upstream connections idle this long. @default Envoy's (1h) */
  idleTimeout?: Duration;
  /** Request timeout for routes that set none. @default none (no timeout, as in Istio; not Envoy's 15s) */
  timeout?: Duration;
  /** Retry policy for routes that set none. @default none */
  retries?: RetryOptions;
  circuitBreaker?: CircuitBreakerOptions;
  outlierDetection?: OutlierDetectionOptions;
  healthCheck?: HealthCheckOptions;
  /** @default "round-robin" */
  loadBalancer?: LoadBalancerOptions;
  /**
   * Ordered locality failover: prefer instances in the first locality, then the next, … Each caller's own zone
   * (within its region) comes first and its region next, whether listed or not; instances in no listed locality
   * come last. An entry is a path, `"region/zone"` or `"region/zone/subZone"`, naming exactly that locality, or a
   * bare region, zone or sub-zone name, which means the one of that name nearest the caller (a sub-zone of its zone,
   * else a zone of its region, else a region, else the only zone or sub-zone of that name); a bare name that
   * denotes several localities is warned about (MESH0807) and never matches all of them.
   * @example ["rack2", "rack1", "eu"] // prefer sub-zone rack2, then rack1, then region eu
   * @example ["us/a", "ap/a"] // zone a of region us, then zone a of region ap
   */
  localityFailover?: readonly string[];
}

/**
 * Mutual TLS on a mesh, service or port (issue 8). `strict`: the sidecar's inbound port accepts only mTLS from a
 * client certificate issued by the mesh CA; `permissive`: it accepts mTLS and plaintext (for migrations); `off`:
 * plaintext only. Callers in the mesh send mTLS to every port that is `strict` or `permissive`.
 */
export type MtlsMode = "strict" | "permissive" | "off";

/** Key algorithm of the leaf certificates the mesh CA issues. */
export type KeyAlgorithm = "ecdsa-p256" | "rsa-2048";

/** Workload (leaf) certificates the mesh CA issues to each proxy. */
export interface CertificateOptions {
  /** Validity of a leaf certificate, from 10 seconds to 90 days. @default "24h" */
  leafLifetime?: Duration;
  /** A leaf is re-issued once this share of its lifetime has passed, 10 to 90. @default 50 */
  rotateAt?: Percent;
  /** @default "ecdsa-p256" */
  keyAlgorithm?: KeyAlgorithm;
}
