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
} from "./types.js";

export interface Located {
  [SITE]?: SourceSite;
  [FIELD_SITES]?: Readonly<Record<string, SourceSite>>;
}

/** A reference by name: a service, optionally one subset of it. */
export interface RefModel {
  service: string;
  subset?: string;
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
  locality?: { region?: string; zone?: string; subZone?: string };
  labels?: Labels;
  weight?: number;
}

export interface DnsModel extends Located {
  dns: string;
  port: number;
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
  match: MatchOptions;
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
}

export interface TcpRouteModel extends Located {
  split?: BackendModel[];
  connectTimeout?: Duration;
  idleTimeout?: Duration;
}

export type PolicyModel = PolicyOptions & Located;

export interface ServiceModel extends Located {
  name: string;
  /** By port name. */
  ports: Record<string, PortModel>;
  /** Static instances (objects or "address:port" strings) or DNS. */
  instances: (EndpointModel | string)[] | DnsModel;
  subsets: Record<string, Labels>;
  identity?: string;
  calls: RefModel[];
  sidecar?: SidecarModel;
  proxyless?: boolean;
  rateLimit?: RateLimitOptions;
  mtls?: MtlsMode;
  nonMesh?: boolean;
  /** Every mesh.routes() call for this service, concatenated in call order. */
  routes: RouteModel[];
  /** Every mesh.tcpRoute() call (valid: at most one). */
  tcpRoutes: TcpRouteModel[];
  /** Every mesh.policy() call, in call order. */
  policies: PolicyModel[];
}

/** routes/tcpRoute/policy given for a service that is not part of the mesh (never declared or added to it). */
export interface OrphanModel extends Located {
  kind: "calls" | "routes" | "tcpRoute" | "policy" | "authorize";
  service: string;
}

export interface MeshModel extends Located {
  [MESH]: true;
  name: string;
  trustDomain: string;
  defaults?: PolicyModel;
  mtls?: MtlsMode;
  certificates?: CertificateOptions;
  /** In declaration order; a service declared or added twice appears twice. */
  services: ServiceModel[];
  orphans: OrphanModel[];
  /** Every mesh.authorize() / mesh.authorizeDefaults() call, in call order (src/dsl/authorize.ts). */
  authorizations?: import("./authorize.js").AuthorizationModel[];
}
