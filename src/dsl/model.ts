// The plain model a mesh.ts evaluates to: the user's options, copied as given (nothing validated, defaulted or
// dropped), with references turned into names. Call sites ride along on symbol keys (SITE, FIELD_SITES), invisible
// to JSON and to zod. The front end validates this model (src/frontend/schema.ts) and lowers it to the IR.
import type { FIELD_SITES, MESH, SITE } from "./brand.js";
import type { SourceSite } from "./site.js";
import type {
  CertificateOptions,
  Duration,
  MtlsMode,
  FaultOptions,
  HeaderOps,
  Labels,
  MatchOptions,
  Percent,
  PolicyOptions,
  Protocol,
  RateLimitOptions,
  RedirectOptions,
  RetryOptions,
  RewriteOptions,
  SubsetPolicyOptions,
} from "./types.js";
import type { AccessLogOptions, MetricsOptions, TracingOptions } from "./telemetry.js";

export interface Located {
  [SITE]?: SourceSite;
  [FIELD_SITES]?: Readonly<Record<string, SourceSite>>;
}

/** A reference by name: a service, optionally one subset of it. */
export interface RefModel {
  service: string;
  subset?: string;
  /** A port of the service, by name (`svc.port("https")` as a route target). */
  port?: string;
}

export interface PortModel extends Located {
  protocol: Protocol;
  port: number;
  app?: number;
  mtls?: MtlsMode;
}

export interface EndpointModel {
  address: string;
  port?: number;
  ports?: Readonly<Record<string, number>>;
  locality?: { region?: string; zone?: string; subZone?: string };
  labels?: Labels;
  weight?: number;
  /** The instance's own sidecar ports (issue 13). */
  sidecar?: { adminPort?: number; outboundPort?: number; app?: Readonly<Record<string, number>> };
}

export interface DnsModel extends Located {
  dns: string;
  port?: number;
  ports?: Readonly<Record<string, number>>;
}

export interface SidecarModel {
  adminPort?: number;
  outboundPort?: number;
  inboundAddress?: string;
  tcpOutbound?: { upstream: { service: string; port: string }; port: number }[];
}

export interface BackendModel {
  target: RefModel;
  weight: number;
}

export type ActionModel = Located &
  (
    | { kind: "forward"; backends: BackendModel[] }
    | ({ kind: "redirect" } & RedirectOptions)
    | { kind: "respond"; status: number; body?: string }
  );

export interface RouteModel extends Located {
  name?: string;
  /** One match, or a list of alternatives (any of them). */
  match: MatchOptions | MatchOptions[];
  /** Exactly one when valid; a route built without (or with two) actions shows up here. */
  actions: ActionModel[];
  timeout?: Duration;
  idleTimeout?: Duration;
  retries?: RetryOptions;
  mirror?: { target: RefModel; percent: Percent };
  rewrite?: RewriteOptions;
  requestHeaders: HeaderOps[];
  responseHeaders: HeaderOps[];
  fault?: FaultOptions;
  rateLimit?: RateLimitOptions;
  /** Trace sampling percent of this route (overrides the tracing samplePercent). */
  traceSampling?: Percent;
  /** CORS of this route (issue 13). */
  cors?: import("./cors.js").CorsOptions;
}

export interface TcpRouteModel extends Located {
  split?: BackendModel[];
  connectTimeout?: Duration;
  idleTimeout?: Duration;
}

export type PolicyModel = PolicyOptions & Located;

/** A mesh.policy(svc.subset(name), …) call: cluster settings for that subset. */
export type SubsetPolicyModel = SubsetPolicyOptions & Located & { subset: string };

export interface ServiceModel extends Located {
  name: string;
  /** By port name. */
  ports: Record<string, PortModel>;
  /** Static instances (objects or "address:port" strings) or DNS. */
  instances: (EndpointModel | string | RegistryModel)[] | DnsModel | RegistryModel;
  subsets: Record<string, Labels>;
  identity?: string;
  calls: RefModel[];
  sidecar?: SidecarModel;
  proxyless?: boolean | { grpc: "go" | "js" | "any" };
  rateLimit?: RateLimitOptions;
  mtls?: MtlsMode;
  nonMesh?: boolean;
  /** Every mesh.cors() call for this service, in call order (valid: at most one). */
  cors?: (import("./cors.js").CorsOptions & Located)[];
  /** Set by mesh.gateway() (src/dsl/gateway.ts). */
  gateway?: GatewayModel;
  /** Set by mesh.external() (src/dsl/external.ts). */
  external?: ExternalModel;
  /** Every mesh.routes() call for this service, concatenated in call order. */
  routes: RouteModel[];
  /** Every mesh.tcpRoute() call (valid: at most one). */
  tcpRoutes: TcpRouteModel[];
  /** Every mesh.policy() call, in call order. */
  policies: PolicyModel[];
  /** Every mesh.telemetry() call, in call order (absent when there is none). */
  telemetry?: TelemetryModel[];
  /** Every mesh.policy(svc.subset(…)) call, in call order. */
  subsetPolicies: SubsetPolicyModel[];
}

/** What mesh.gateway() records beyond the service-shaped options (issue 13). */
export interface GatewayModel {
  listeners: { port: number; protocol: "http" | "https"; hosts: string[]; tls?: { cert: string; key: string } }[];
}

/** What mesh.external() records beyond the service-shaped options (issue 13). */
export interface ExternalModel {
  hosts: string[];
  resolution: "dns" | "static";
  endpoints?: (string | EndpointModel)[];
  tls?: { sni?: string; ca?: string; verify?: true };
}

/** routes/tcpRoute/policy given for a service that is not part of the mesh (never declared or added to it). */
export interface OrphanModel extends Located {
  kind: "calls" | "routes" | "tcpRoute" | "policy" | "telemetry" | "authorize" | "cors";
  service: string;
}

/** A collector in the model: a service (optionally one of its ports, by name) or "host:port". */
export type CollectorModel = { service: string; port?: string } | string;

/** Telemetry options as given, with the tracing and access-log (`to: { otel }`) collector references turned into CollectorModels. */
export interface TelemetryModel extends Located {
  accessLog?: AccessLogOptions | boolean;
  metrics?: MetricsOptions | boolean;
  tracing?: (Omit<TracingOptions, "collector"> & { collector: CollectorModel }) | false;
}

export interface MeshModel extends Located {
  [MESH]: true;
  name: string;
  trustDomain: string;
  defaults?: PolicyModel;
  /** defineMesh's telemetry option. */
  telemetry?: TelemetryModel;
  mtls?: MtlsMode;
  certificates?: CertificateOptions;
  /** defineMesh's egress option (issue 13). */
  egress?: "registry-only" | "allow-any";
  /** In declaration order; a service declared or added twice appears twice. */
  services: ServiceModel[];
  orphans: OrphanModel[];
  /** Every mesh.authorize() / mesh.authorizeDefaults() call, in call order (src/dsl/authorize.ts). */
  authorizations?: import("./authorize.js").AuthorizationModel[];
  /** defineMesh's discovery option (issue 16). */
  discovery?: DiscoveryModel;
  /** Every mesh.patch() call, in call order (src/dsl/patch.ts); absent when there is none. */
  patches?: PatchModel[];
}

/** A mesh.patch() call: its target as given (references turned into names) and its function (kept in the worker). */
export interface PatchModel extends Located {
  kind: "listener" | "cluster" | "route";
  proxies: RefModel[];
  name?: string | string[];
  patch: Function;
}

/** A registry({ key }) instance source (src/dsl/discovery.ts). */
export interface RegistryModel extends Located {
  registry: string;
}

/** defineMesh({ discovery: etcd({...}) }). */
export interface DiscoveryModel extends Located {
  etcd: { endpoints: string[]; prefix?: string; tls?: { ca?: string; cert?: string; key?: string } };
}
