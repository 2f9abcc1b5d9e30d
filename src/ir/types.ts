// The mesh IR: plain, JSON/YAML-printable data between the front end (mesh.ts -> IR) and the backends (IR ->
// proxy config). References are resolved to names, defaults are applied, every list has a fixed order: sorted by
// name where marked "Sorted", otherwise in the order the user wrote it (routes, retry conditions, methods), which
// is deterministic too. Durations are whole milliseconds. Nothing here knows Envoy.

/** Where a model element was declared in the user's sources (path relative to the mesh entry's directory). */
export interface SourceLoc {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

export type Protocol = "http" | "http2" | "grpc" | "tcp";

export interface MeshIR {
  name: string;
  trustDomain: string;
  /** Mutual TLS and workload certificates (issue 8). */
  mtls: MeshMtlsIR;
  /** Sorted by name. */
  services: ServiceIR[];
  /** The defineMesh() call. */
  source?: SourceLoc;
  /** Authorization policies (mesh.authorize / mesh.authorizeDefaults); absent when mesh.ts has none. */
  authorization?: AuthorizationIR;
  /**
   * What sidecars do with requests on their outbound HTTP listener for a Host no declared upstream claims (issue 13):
   * "registry-only" answers 502 and counts them in cluster `egress-blocked`, "allow-any" forwards them to the Host
   * (dynamic forward proxy, cluster `egress-passthrough`). Absent: no catch-all (Envoy's 404, flag NR).
   */
  egress?: EgressMode;
  /** The registry of live instances (defineMesh({ discovery })), issue 16; absent when mesh.ts has none. */
  discovery?: DiscoveryIR;
  /** mesh.patch() calls in call order (issue 13, the escape hatch); absent when mesh.ts has none. */
  patches?: PatchIR[];
}

/**
 * A mesh.patch() call: which resources of which proxies its function (kept in the evaluation worker, by `index`)
 * rewrites after the backend has generated them (src/patch/).
 */
export interface PatchIR {
  /** Position among the mesh's mesh.patch() calls (the worker's handle on the function). */
  index: number;
  kind: "listener" | "cluster" | "route";
  /** Service names, in the order given, without repeats. */
  proxies: string[];
  /** Resource names; absent: every resource of `kind` on those proxies. */
  names?: string[];
  source?: SourceLoc;
}

export type EgressMode = "registry-only" | "allow-any";

/**
 * A CORS policy (issue 13), compiled to envoy.extensions.filters.http.cors.v3.CorsPolicy on the route or virtual
 * host, with the CORS filter in the connection managers that carry it. Lists keep the order given.
 */
export interface CorsIR {
  /** `{ any: true }` for "*". */
  allowOrigins: (StringMatchIR | { suffix: string } | { any: true })[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeS?: number;
  allowCredentials: boolean;
  /** The .cors() or mesh.cors() call. */
  source?: SourceLoc;
}

export interface GatewayIR {
  /** In the order given; `port` names the PortIR (`<protocol>-<number>`). */
  listeners: GatewayListenerIR[];
}

export interface GatewayListenerIR {
  port: string;
  protocol: "http" | "https";
  /** Host names served, in the order given. */
  hosts: string[];
  /** https: absolute paths of the certificate chain and key on the gateway's host (never read by meshc). */
  tls?: { certFile: string; keyFile: string };
}

/**
 * A dependency outside the mesh (mesh.external, issue 13): no meshc proxy runs for it (the ServiceIR is also
 * nonMesh), callers reach it through their sidecar by its `hosts`, and with `tls` their sidecar originates TLS.
 */
export interface ExternalIR {
  /** Names callers use (Host/:authority), in the order given; the first is resolved when resolution is "dns" and no endpoint is given. */
  hosts: string[];
  resolution: "dns" | "static";
  /** TLS origination; the peer certificate is always verified (chain and a DNS SAN equal to `sni`). */
  tls?: {
    sni: string;
    /** Absolute path of a PEM CA bundle on the proxy's host; absent: the system bundle (SYSTEM_CA_BUNDLE). */
    caFile?: string;
  };
  /** The mesh.external() call. */
  source?: SourceLoc;
}

export interface ServiceIR {
  name: string;
  /** SPIFFE ID the service's workloads run as: spiffe://<trustDomain>/<path>. Default spiffe://<td>/service/<name>. */
  identity: string;
  /** A proxyless gRPC client (gRFC A27): its snapshot holds API listeners instead of sidecar listeners. */
  proxyless: boolean;
  /** For a proxyless client: the gRPC implementation its calls use (capabilities: src/proxyless/capabilities.ts). */
  grpcImplementation?: "go" | "js" | "any";
  /**
   * Effective service-level mTLS mode (service's own setting, else the mesh's; "off" for a nonMesh service unless
   * set on it). Ports carry their own effective mode in PortIR.mtls; for a proxyless client this says whether it
   * uses gRPC's xDS security (gRFC A29) when calling.
   */
  mtls: MtlsMode;
  /** Declared in the mesh but runs without a meshc proxy or identity: calls and is called in plaintext. */
  nonMesh?: true;
  /** CORS for every route of this service (mesh.cors; Envoy's virtual-host policy), issue 13. */
  cors?: CorsIR;
  /**
   * An ingress gateway (mesh.gateway, issue 13): a proxy without an app whose ports are its listeners and whose
   * routes (ServiceIR.routes) are what it does with incoming requests; ServiceIR.policy holds its route defaults.
   */
  gateway?: GatewayIR;
  /** A dependency outside the mesh (mesh.external); nonMesh is then true as well. */
  external?: ExternalIR;
  /** Sorted by name. */
  ports: PortIR[];
  /**
   * Port names in the order the user declared them (JavaScript key order: integer-like names come first). Where
   * one port stands for the service (a bare `<service>` Host, a proxyless `xds:///<service>`, a route to a
   * service without a port of the caller's number), it is the first declared one of the right kind, never the
   * first by name. Absent (hand-built IR): name order.
   */
  declaredPorts?: string[];
  instances: InstancesIR;
  /**
   * Live instances from the mesh's registry besides `instances` (which is then static, possibly empty): the entries
   * under `<prefix>/services/<key>/` (issue 16). `meshc serve` overlays them on the EDS resources; build leaves them out.
   */
  registry?: RegistryRefIR;
  /** Sorted by name. */
  subsets: SubsetIR[];
  /** Every mesh.policy(svc.subset(…)) call, in call order (analysis checks the subset exists, MESH0110). */
  subsetPolicyCalls?: { subset: string; source?: SourceLoc }[];
  sidecar: SidecarIR;
  /** Upstream service names this service's proxy gets config for: declared calls plus route targets. Sorted. */
  calls: string[];
  /** How callers reach this service: resilience settings (mesh defaults merged in). */
  policy: UpstreamPolicyIR;
  /** HTTP/gRPC routes for calls to this service, in match order. Empty means one catch-all to the whole service. */
  routes: HttpRouteIR[];
  /** TCP routing for calls to this service's TCP ports; undefined means all traffic to the whole service. */
  tcpRoute?: TcpRouteIR;
  /** Inbound token-bucket rate limit on this service's own sidecar. */
  rateLimit?: RateLimitIR;
  /** Telemetry of this service's sidecar (mesh telemetry with mesh.telemetry() overrides); absent when all off. */
  telemetry?: TelemetryIR;
  source?: SourceLoc;
}

export interface PortIR {
  name: string;
  protocol: Protocol;
  /** Port the service is reached on: the sidecar's inbound listener, and the port callers' endpoints use. */
  port: number;
  /** Local application port behind the sidecar (on 127.0.0.1). */
  appPort: number;
  /**
   * Effective mTLS mode of this port's inbound listener: the port's own setting, else the service's (ServiceIR.mtls).
   * Callers in the mesh send mTLS to this port when it is "strict" or "permissive". Always "off" on a gateway's
   * ports: its listeners take plain HTTP or edge TLS from callers outside the mesh, never a client certificate.
   */
  mtls: MtlsMode;
  /** The port constructor call, e.g. http(8080). */
  source?: SourceLoc;
}

export type InstancesIR = { kind: "static"; endpoints: EndpointIR[] } | DnsInstancesIR;

/**
 * Instance port numbers by service port name, sorted by key: one entry per service port (the number the user gave
 * for it, else the port's own number), plus any name the user gave that the service does not declare (analysis
 * reports those, MESH0108). The backend reads a cluster's port from here by name, never by position.
 */
export type InstancePortsIR = Record<string, number>;

export interface DnsInstancesIR {
  kind: "dns";
  hostname: string;
  ports: InstancePortsIR;
  /** The single number given, `dns(host, N)`, as written; it means the port of a single-port service (MESH0208 otherwise). */
  port?: number;
}

export interface EndpointIR {
  address: string;
  /** The port this instance serves each service port on (its sidecar's inbound listener for that port). */
  ports: InstancePortsIR;
  /**
   * The single number given (`port: N` or `"address:N"`), as written. It means the port of a single-port service,
   * where it is also in `ports`; on a service with several ports it is ambiguous (MESH0208). Backends read `ports`.
   */
  port?: number;
  locality?: LocalityIR;
  /** Sorted by key. */
  labels: Record<string, string>;
  weight?: number;
  /**
   * This instance's own sidecar (issue 13): its proxy gets a snapshot of its own (node.id = the instance id), whose
   * inbound listeners bind `ports`, forward to `appPorts`, and whose outbound/admin/TCP ports are these.
   */
  sidecar?: InstanceSidecarIR;
}

/** Resolved: every field holds the instance's own value or the service's. */
export interface InstanceSidecarIR {
  adminPort: number;
  outboundPort: number;
  /** App port per service port name (plus names the service lacks, MESH0238), sorted by key. */
  appPorts: Record<string, number>;
  /** As SidecarIR.tcpOutbound: every TCP upstream the service calls, numbered after this instance's outboundPort. */
  tcpOutbound: Record<string, number>;
}

export interface LocalityIR {
  region?: string;
  zone?: string;
  subZone?: string;
}

export interface SubsetIR {
  name: string;
  /** Instances whose labels include all of these belong to the subset. */
  labels: Record<string, string>;
  /**
   * The policy of this subset's clusters when mesh.policy(svc.subset(name), …) set cluster settings for it: the
   * service's policy with those settings over it. Absent: the service's policy.
   */
  policy?: UpstreamPolicyIR;
}

export interface SidecarIR {
  /** Address inbound listeners bind; default 0.0.0.0. */
  inboundAddress: string;
  /** Port of the single outbound HTTP listener on 127.0.0.1. */
  outboundPort: number;
  /** Envoy admin port on 127.0.0.1. */
  adminPort: number;
  /** Local 127.0.0.1 port per TCP upstream, keyed "<service>:<port name>". Sorted by key. */
  tcpOutbound: Record<string, number>;
}

export interface UpstreamPolicyIR {
  connectTimeoutMs: number;
  /** Upstream connection idle timeout. */
  idleTimeoutMs?: number;
  circuitBreaker?: CircuitBreakerIR;
  outlierDetection?: OutlierDetectionIR;
  healthCheck?: HealthCheckIR;
  loadBalancer: LoadBalancerIR;
  /** Ordered failover: callers prefer endpoints in the first locality (zone or region name), then the next… */
  localityFailover?: string[];
  /** Mesh/service default for routes that set none. */
  timeoutMs?: number;
  retry?: RetryIR;
  /** The first mesh.policy() call for the service; absent when only mesh defaults apply. */
  source?: SourceLoc;
}

export interface CircuitBreakerIR {
  maxConnections?: number;
  maxPendingRequests?: number;
  maxRequests?: number;
  maxRetries?: number;
  /** Retry budget: at most this percent of active requests may be retries. */
  retryBudgetPercent?: number;
  retryBudgetMinConcurrency?: number;
}

export interface OutlierDetectionIR {
  consecutive5xx?: number;
  consecutiveGatewayErrors?: number;
  intervalMs?: number;
  baseEjectionMs?: number;
  maxEjectionPercent?: number;
}

export type HealthCheckIR = {
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
} & ({ kind: "http"; path: string } | { kind: "grpc"; serviceName?: string } | { kind: "tcp" });

export type HashKeyIR =
  | { kind: "header"; name: string }
  | { kind: "cookie"; name: string; ttlMs?: number }
  | { kind: "source-ip" }
  | { kind: "query"; name: string };

export type LoadBalancerIR =
  | { kind: "round-robin" | "least-request" | "random" }
  | { kind: "ring-hash" | "maglev"; hashOn: HashKeyIR[] };

export type StringMatchIR = { exact: string } | { prefix: string } | { regex: string };

export interface HeaderMatchIR {
  name: string;
  /** exact/prefix/regex value match, or `present` only. */
  match: StringMatchIR | { present: true };
  invert: boolean;
}

export interface QueryMatchIR {
  name: string;
  match: StringMatchIR | { present: true };
}

export interface RouteMatchIR {
  /** Only calls on this service port (by name); absent: every port. */
  port?: string;
  path?: StringMatchIR;
  /** Sorted by name. */
  headers: HeaderMatchIR[];
  query: QueryMatchIR[];
  /** HTTP methods; empty means any. */
  methods: string[];
  /** gRPC service and optional method: becomes a path match on /<service>/<method>. */
  grpc?: { service: string; method?: string };
  /** Gateway routes: the listener host this route serves (absent: every host of the listener). */
  host?: string;
  /**
   * Caller services this route applies to (issue 13), as written (analysis reports unknown ones, MESH0350). Not an
   * Envoy match: the route is compiled into these callers' route tables only. Absent: every caller.
   */
  from?: string[];
}

/** A backend of a forward: a service, optionally one subset of it. */
export interface BackendRefIR {
  service: string;
  subset?: string;
  /** A port of the service by name: traffic goes to that port whatever port the caller used. */
  port?: string;
  /** Share of traffic as the user gave it (0..100 each); analysis reports sums other than 100 (MESH0301/0302). */
  weight: number;
}

export interface RetryIR {
  attempts: number;
  perTryTimeoutMs?: number;
  /** Envoy-style conditions: 5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, … */
  on: string[];
  /** Extra HTTP status codes to retry (retriable-status-codes). */
  statusCodes: number[];
  /** gRPC status names to retry: cancelled, deadline-exceeded, internal, resource-exhausted, unavailable. */
  grpcCodes: string[];
  backoff?: { baseMs: number; maxMs: number };
  /** Prefer hosts not tried yet (previous_hosts predicate). */
  otherHosts?: boolean;
  /** Host-selection attempts per retry (host_selection_retry_max_attempts). */
  hostSelectionAttempts?: number;
}

export interface HeaderOpsIR {
  add: { name: string; value: string }[];
  set: { name: string; value: string }[];
  remove: string[];
}

export interface FaultIR {
  delay?: { ms: number; percent: number };
  abort?: { httpStatus?: number; grpcStatus?: number; percent: number };
}

export interface RateLimitIR {
  /** Bucket size. */
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

export type RouteActionIR =
  | {
      kind: "forward";
      backends: BackendRefIR[];
      mirror?: { service: string; subset?: string; percent: number };
      rewrite?: { prefix?: string; fullPath?: string; host?: string };
      timeoutMs?: number;
      idleTimeoutMs?: number;
      retry?: RetryIR;
    }
  | { kind: "redirect"; scheme?: string; host?: string; path?: string; prefix?: string; status: 301 | 302 | 303 | 307 | 308 }
  | { kind: "direct"; status: number; body?: string };

export interface HttpRouteIR {
  /**
   * Stable name: "<target>-<index>" unless the user named it. A route with a list of matches (an OR) is lowered to
   * one HttpRouteIR per match, in order, all with the same name and `alternative` set: the backend emits one Envoy
   * route each, keeping the name for stats and diagnostics.
   */
  name: string;
  /** 1-based position among the route's matches, when it has more than one. */
  alternative?: number;
  match: RouteMatchIR;
  action: RouteActionIR;
  requestHeaders: HeaderOpsIR;
  responseHeaders: HeaderOpsIR;
  fault?: FaultIR;
  rateLimit?: RateLimitIR;
  /** Trace sampling percent of this route, overriding the caller's tracing samplePercent. */
  traceSamplePercent?: number;
  /** CORS policy of this route (issue 13); replaces the service's ServiceIR.cors on it. */
  cors?: CorsIR;
  source?: SourceLoc;
}

export interface TcpRouteIR {
  backends: BackendRefIR[];
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  source?: SourceLoc;
}

// ---- Telemetry (issue 10): per-sidecar access logs, Prometheus endpoint, OpenTelemetry tracing. ----

export interface TelemetryIR {
  accessLog?: AccessLogIR;
  metrics?: MetricsIR;
  tracing?: TracingIR;
  /** The mesh.telemetry() call for this service, else the defineMesh() call. */
  source?: SourceLoc;
}

export interface AccessLogIR {
  format: "json" | "text";
  /** otel: OpenTelemetry log records over OTLP/gRPC to a collector (as tracing's). */
  destination: { kind: "stdout" } | { kind: "file"; path: string } | { kind: "otel"; collector: CollectorIR };
  /** Log only responses >= 400 or with a response flag (or, with slowerThanMs, slow ones). */
  errorsOnly: boolean;
  slowerThanMs?: number;
  /** 0..100, sampled on x-request-id. */
  samplePercent: number;
}

export interface MetricsIR {
  /** Port of the Prometheus listener on the sidecar's inbound address. */
  port: number;
  /** Always /stats/prometheus. */
  path: string;
  /** Histogram bucket upper bounds in milliseconds, ascending; absent means Envoy's defaults. */
  histogramBucketsMs?: number[];
}

/** An OTLP/gRPC collector: a mesh service's port (by name) or an address outside the mesh. */
export type CollectorIR = { kind: "service"; service: string; port?: string } | { kind: "address"; host: string; port: number };

export interface TracingIR {
  collector: CollectorIR;
  /** 0..100: share of new traces sampled. */
  samplePercent: number;
  /** Span tags from request headers. Sorted by tag. */
  tagsFromHeaders: { tag: string; header: string }[];
}

/** Mutual TLS mode of a mesh, service or port: "strict" (mTLS only), "permissive" (mTLS and plaintext), "off". */
export type MtlsMode = "strict" | "permissive" | "off";

export interface MeshMtlsIR {
  /** Mesh-wide default mode; "off" when mesh.ts sets none. */
  mode: MtlsMode;
  /** Leaf certificates the mesh CA issues (used by `meshc serve --ca` and `meshc certs`, never by `build`). */
  certificates: CertificatesIR;
}

export interface CertificatesIR {
  /** Leaf validity; default 24 h. */
  leafLifetimeMs: number;
  /** Re-issue once this percent of the lifetime has passed; default 50. */
  rotateAtPercent: number;
  /** Default "ecdsa-p256". */
  keyAlgorithm: "ecdsa-p256" | "rsa-2048";
}

// ---- Authorization (issue 9) ----

export type AuthzActionIR = "allow" | "deny";

export interface AuthorizationIR {
  /** mesh.authorizeDefaults(): default for services without their own, rules every sidecar enforces. */
  mesh?: AuthzPolicyIR;
  /** mesh.authorize() per service. Sorted by service (a service given twice appears twice, in call order). */
  services: AuthzPolicyIR[];
}

export interface AuthzPolicyIR {
  /** Protected service; absent for the mesh-wide policy. */
  service?: string;
  /** Absent: inherit (the mesh's default, else "allow"). */
  default?: AuthzActionIR;
  /** The whole policy is dry-run (every rule's dryRun is then true too). */
  dryRun: boolean;
  /** In the order written (order never decides: deny wins). */
  rules: AuthzRuleIR[];
  source?: SourceLoc;
}

export type CallerIR =
  | { kind: "service"; service: string }
  | { kind: "identity"; identity: string }
  | { kind: "trust-domain"; trustDomain: string };

export interface AuthzPathIR {
  kind: "exact" | "prefix" | "suffix";
  value: string;
  ignoreCase: boolean;
}

export interface AuthzHeaderIR {
  /** Lower-cased. */
  name: string;
  match: { kind: "exact" | "prefix" | "suffix"; value: string } | { kind: "present" };
}

export interface AuthzRuleIR {
  /** "<service or mesh>-<index>" unless the user named it; unique within its policy. */
  name: string;
  action: AuthzActionIR;
  /** Effective: the rule's or its policy's dryRun. */
  dryRun: boolean;
  /** Absent: any caller. Empty: no caller (the rule never matches). */
  from?: CallerIR[];
  notFrom?: CallerIR[];
  /** Port names of the protected service; absent: every port. */
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: AuthzPathIR[];
  notPaths?: AuthzPathIR[];
  /** Sorted by name; all must match. */
  headers: AuthzHeaderIR[];
  /** Sorted by name; none may match. */
  notHeaders: AuthzHeaderIR[];
  /** The mesh.authorize() call (rules are plain objects: the call locates them, the path indexes them). */
  source?: SourceLoc;
}

/** A service's registry({ key }) (issue 16). */
export interface RegistryRefIR {
  key: string;
  source?: SourceLoc;
}

/** Where the registry of live instances is: an etcd v3 cluster (a Kubernetes EndpointSlice source may follow). */
export interface DiscoveryIR {
  kind: "etcd";
  /** Client URLs, as written. */
  endpoints: string[];
  /** Key prefix, no trailing "/"; default "/meshc". */
  prefix: string;
  /** File paths (read by serve and register only). */
  tls?: { ca?: string; cert?: string; key?: string };
  source?: SourceLoc;
}
