// defineMesh and the Mesh builder handed to its callback. Building records the user's options as given; when the
// callback returns, the model is finalized and returned as plain data.
import { MESH, PORT_REF, SITE, SUBSET_REF, hasBrand } from "./brand.js";
import type {
  BackendModel,
  MeshModel,
  OrphanModel,
  PolicyModel,
  RouteModel,
  SubsetPolicyModel,
  ServiceModel,
  SidecarModel,
  TcpRouteModel,
} from "./model.js";
import { routeFactory, routeModelOf, toRef, type Route, type RouteFactory } from "./routes.js";
import {
  type AnyServiceOptions,
  declOf,
  declareService,
  type PortSpec,
  type RefOf,
  type ServiceDecl,
  type ServiceOptions,
  type ServiceRef,
  type SubsetRef,
  type Target,
} from "./service.js";
import { captureSite, type SourceSite } from "./site.js";
import { authorizationModel, type AuthorizationModel, type AuthorizeOptions, type MeshAuthorizeOptions } from "./authorize.js";
import type { CertificateOptions, Duration, Labels, MtlsMode, Percent, PolicyOptions, SubsetPolicyOptions } from "./types.js";
import { telemetryModel, type TelemetryOptions } from "./telemetry.js";
import type { TelemetryModel } from "./model.js";
import { externalServiceOptions, type ExternalOptions } from "./external.js";
import type { CorsOptions } from "./cors.js";
import { gatewayServiceOptions, type GatewayListeners, type GatewayOptions, type GatewayPortName } from "./gateway.js";
import type { DiscoveryOptions } from "./discovery.js";
import type { PatchFunction, PatchKind, PatchTarget } from "./patch.js";
import type { PatchModel } from "./model.js";

/** Mesh-wide settings. */
export interface MeshOptions {
  /** The mesh's name (outbound hosts may be addressed as `<service>.<name>`). */
  name: string;
  /** SPIFFE trust domain, e.g. `"shop.example"`; identities are `spiffe://<trustDomain>/…`. */
  trustDomain: string;
  /** Policy for every service; a service's mesh.policy() overrides it option by option. @default {} */
  defaults?: PolicyOptions;
  /** Access logs, Prometheus metrics and traces of every sidecar; mesh.telemetry() overrides them per service. @default all off */
  telemetry?: TelemetryOptions;
  /**
   * Mutual TLS for every service and port that sets none. `"strict"` is the recommended setting for a new mesh
   * (it needs `meshc serve --ca <dir>`). @default "off" (a mesh.ts written before mTLS keeps compiling to the
   * same plaintext configuration; see docs/dsl.md)
   */
  mtls?: MtlsMode;
  /** Leaf certificates issued by the mesh CA. @default { leafLifetime: "24h", rotateAt: 50, keyAlgorithm: "ecdsa-p256" } */
  certificates?: CertificateOptions;
  /**
   * Requests a sidecar's app sends to a Host no declared service or external service claims: `"registry-only"`
   * answers 502 and counts them (cluster `egress-blocked`), `"allow-any"` forwards them to that Host.
   * @default unset: no catch-all, Envoy answers 404 (as before this option existed)
   */
  egress?: "registry-only" | "allow-any";
  /** A registry of live instances for services declared with `instances: registry({ key })`, e.g. `etcd({ endpoints, prefix })`. */
  discovery?: DiscoveryOptions;
}

/** TCP routing of calls to a service's TCP ports. */
export interface TcpRouteOptions {
  /** Weighted split across services/subsets. @default all traffic to the service itself */
  split?: readonly (readonly [Target, Percent])[];
  /** @default the service policy's connectTimeout */
  connectTimeout?: Duration;
  /** Close idle TCP sessions after this long. @default Envoy's (1h) */
  idleTimeout?: Duration;
}

/** The builder handed to defineMesh's callback (and to mesh parts included with mesh.include). */
export interface Mesh {
  readonly name: string;
  readonly trustDomain: string;
  /** Declares a service in this mesh and returns its typed reference. */
  service<N extends string, Ports extends Record<string, PortSpec>, Subsets extends Record<string, Labels> = {}>(
    name: N,
    options: ServiceOptions<Ports, Subsets>,
  ): RefOf<N, Ports, Subsets>;
  /**
   * Declares a dependency outside the mesh (a partner API, a managed database) and returns its typed reference:
   * callers list it in `calls` and reach it through their sidecar by its `hosts`; routes and policies apply to it.
   */
  external<N extends string, Ports extends Record<string, PortSpec>>(name: N, options: ExternalOptions<Ports>): RefOf<N, Ports, {}>;
  /**
   * Declares an ingress gateway: an Envoy of its own whose listeners accept traffic from outside the mesh. Give it
   * routes with mesh.routes(gateway, ...) (targets are mesh services; `match: { host }` picks a listener host) and
   * route defaults (timeout, retries) with mesh.policy(gateway, ...). Run it with `meshc run --service <name>`.
   * The reference is not a target: a route to a gateway or a `calls` entry naming one is MESH0241.
   */
  gateway<N extends string, const L extends GatewayListeners>(name: N, options: GatewayOptions<L>): ServiceRef<N, GatewayPortName<L[number]>, never>;
  /** CORS for every route of `service` (Envoy's virtual-host policy); a route's own `.cors()` replaces it. Once per service. */
  cors(service: ServiceRef, options: CorsOptions): void;
  /** Adds services declared elsewhere with defineService(). */
  add(...services: readonly ServiceRef[]): void;
  /** Runs a mesh part, e.g. a team's module `export const payments = (mesh: Mesh) => {...}`, and returns its result. */
  include<T>(part: (mesh: Mesh) => T): T;
  /** Declares that `service` calls `targets`, like its `calls` option (use this when services call each other). */
  calls(service: ServiceRef, targets: readonly ServiceRef[]): void;
  /** HTTP/gRPC routes for calls to `service`, in match order (first match wins). Calls for one service accumulate. */
  routes<P extends string>(service: ServiceRef<string, P>, build: (r: RouteFactory<P>) => readonly Route[]): void;
  /** TCP routing for calls to `service`'s TCP ports. */
  tcpRoute(service: ServiceRef, options: TcpRouteOptions): void;
  /**
   * How callers reach `service`: timeouts, retries, circuit breaking, health, balancing. Set each option once.
   * Given a subset (`svc.subset("v2")`), cluster settings for that subset's clusters only (SubsetPolicyOptions).
   */
  policy<T extends ServiceRef | SubsetRef>(target: T, options: T extends SubsetRef ? SubsetPolicyOptions : PolicyOptions): void;
  /** Telemetry of `service`'s sidecar: each section given (accessLog, metrics, tracing) replaces the mesh's. */
  telemetry(service: ServiceRef, options: TelemetryOptions): void;
  /** Who may call `service`, on which ports, methods, paths and headers (docs/dsl.md, "Authorization"). Once per service. */
  authorize<N extends string, P extends string, S extends string>(service: ServiceRef<N, P, S>, options: AuthorizeOptions<NoInfer<P>>): void;
  /** Mesh-wide authorization: the default for services that set none, and rules every sidecar enforces. Once per mesh. */
  authorizeDefaults(options: MeshAuthorizeOptions): void;
  /**
   * The escape hatch, a last resort (docs/dsl.md, "Patches"): `patch` receives each generated resource of `kind`
   * named by `target` on the proxies listed, typed as Envoy's message, and returns the resource to ship (or edits
   * it in place). meshc checks the result like everything it generates; `meshc build` reports every patch.
   */
  patch<K extends PatchKind>(target: PatchTarget<K>, patch: PatchFunction<K>): void;
}

/** What defineMesh returns: the mesh model, plain data (the default export of mesh.ts). */
export type MeshDefinition = MeshModel;

interface Extras {
  calls: unknown[];
  routes: RouteModel[];
  tcpRoutes: TcpRouteModel[];
  policies: PolicyModel[];
  telemetry: TelemetryModel[];
  subsetPolicies: SubsetPolicyModel[];
  orphanSites: OrphanModel[];
  cors: CorsOptions[];
}

function located<T extends object>(value: T, site: SourceSite): T {
  (value as Record<symbol, unknown>)[SITE] = site;
  return value;
}

function splitModel(split: unknown): BackendModel[] | undefined {
  if (split === undefined) return undefined;
  if (!Array.isArray(split)) return split as never;
  return split.map((b) => (Array.isArray(b) ? { target: toRef(b[0]), weight: b[1] } : b));
}

function sidecarModel(sidecar: ServiceOptions<never, never>["sidecar"]): SidecarModel | undefined {
  if (sidecar === undefined || sidecar === null || typeof sidecar !== "object") return sidecar as undefined;
  const model: SidecarModel = { ...sidecar } as SidecarModel;
  if (Array.isArray(sidecar.tcpOutbound)) {
    model.tcpOutbound = sidecar.tcpOutbound.map((e) =>
      e && hasBrand(e.upstream, PORT_REF)
        ? { ...e, upstream: { service: e.upstream.service, port: e.upstream.port } }
        : (e as never),
    );
  }
  return model;
}

function serviceModel(decl: ServiceDecl, extras: Extras | undefined): ServiceModel {
  const o = decl.options ?? ({} as ServiceDecl["options"]);
  const model: ServiceModel = {
    ...(o as object),
    name: decl.name,
    ports: o.ports as ServiceModel["ports"],
    instances: o.instances as ServiceModel["instances"],
    subsets: (o.subsets ?? {}) as ServiceModel["subsets"],
    // Non-arrays are kept as given for validation to report.
    calls:
      o.calls === undefined || Array.isArray(o.calls)
        ? [...((o.calls as readonly unknown[] | undefined) ?? []), ...(extras?.calls ?? [])].map(toRef)
        : (o.calls as never),
    routes: extras?.routes ?? [],
    tcpRoutes: extras?.tcpRoutes ?? [],
    policies: extras?.policies ?? [],
    subsetPolicies: extras?.subsetPolicies ?? [],
  };
  if (extras?.telemetry.length) model.telemetry = extras.telemetry;
  if (extras?.cors.length) model.cors = extras.cors;
  const sidecar = sidecarModel(o.sidecar);
  if (sidecar !== undefined) model.sidecar = sidecar;
  else delete model.sidecar;
  return located(model, decl.site);
}

/**
 * Defines a mesh. `build` declares its services, routes and policies through the Mesh builder; the result is the
 * mesh model, which mesh.ts must `export default`.
 *
 * ```ts
 * export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
 *   const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: dns("api", 8080) });
 * });
 * ```
 */
export function defineMesh(options: MeshOptions, build: (mesh: Mesh) => void): MeshDefinition;
export function defineMesh(options: MeshOptions, build: (mesh: Mesh) => Promise<void>): Promise<MeshDefinition>;
export function defineMesh(options: MeshOptions, build: (mesh: Mesh) => void | Promise<void>): MeshDefinition | Promise<MeshDefinition> {
  const site = captureSite(defineMesh);
  const members: ServiceDecl[] = [];
  const extras = new Map<ServiceDecl, Extras>();
  let finalized = false;
  const authorizations: AuthorizationModel[] = [];
  const patches: PatchModel[] = [];

  const live = (what: string) => {
    if (finalized) throw new Error(`mesh.${what}() called after defineMesh() returned: call it inside the defineMesh callback`);
  };
  const extrasOf = (ref: ServiceRef, kind: OrphanModel["kind"], at: SourceSite): Extras => {
    const decl = declOf(ref);
    if (!decl) throw new TypeError(`mesh.${kind}() expects a service reference (the value mesh.service() returned)`);
    let e = extras.get(decl);
    if (!e) extras.set(decl, (e = { calls: [], routes: [], tcpRoutes: [], policies: [], subsetPolicies: [], telemetry: [], orphanSites: [], cors: [] }));
    e.orphanSites.push(located({ kind, service: decl.name }, at));
    return e;
  };

  const mesh: Mesh = {
    name: options?.name,
    trustDomain: options?.trustDomain,
    service(name: string, serviceOptions: AnyServiceOptions) {
      live("service");
      const ref = declareService(name, serviceOptions, captureSite(mesh.service));
      members.push(declOf(ref)!);
      return ref as never;
    },
    external(name: string, externalOptions: ExternalOptions<Record<string, PortSpec>>) {
      live("external");
      const ref = declareService(name, externalServiceOptions(externalOptions) as unknown as AnyServiceOptions, captureSite(mesh.external));
      members.push(declOf(ref)!);
      return ref as never;
    },
    gateway(name: string, gatewayOptions: GatewayOptions) {
      live("gateway");
      const ref = declareService(name, gatewayServiceOptions(gatewayOptions) as unknown as AnyServiceOptions, captureSite(mesh.gateway));
      members.push(declOf(ref)!);
      return ref as never;
    },
    cors(service: ServiceRef, corsOptions: CorsOptions) {
      live("cors");
      const at = captureSite(mesh.cors);
      extrasOf(service, "cors", at).cors.push(located({ ...(corsOptions as object) } as CorsOptions, at));
    },
    add(...services: readonly ServiceRef[]) {
      live("add");
      for (const ref of services) {
        const decl = declOf(ref);
        if (!decl) throw new TypeError("mesh.add() expects service references (from defineService())");
        members.push(decl);
      }
    },
    include<T>(part: (mesh: Mesh) => T): T {
      live("include");
      return part(mesh);
    },
    calls(service: ServiceRef, targets: readonly ServiceRef[]) {
      live("calls");
      const e = extrasOf(service, "calls", captureSite(mesh.calls));
      if (Array.isArray(targets)) e.calls.push(...targets);
      else e.calls.push(targets);
    },
    routes(service: ServiceRef, buildRoutes: (r: RouteFactory<string>) => readonly Route[]) {
      live("routes");
      const e = extrasOf(service, "routes", captureSite(mesh.routes));
      const list: unknown = buildRoutes(routeFactory);
      if (Array.isArray(list)) for (const r of list) e.routes.push(routeModelOf(r));
      else e.routes.push(list as never);
    },
    tcpRoute(service: ServiceRef, tcpOptions: TcpRouteOptions) {
      live("tcpRoute");
      const at = captureSite(mesh.tcpRoute);
      const e = extrasOf(service, "tcpRoute", at);
      const model: TcpRouteModel = { ...(tcpOptions as object) } as TcpRouteModel;
      const split = splitModel(tcpOptions?.split);
      if (split !== undefined) model.split = split;
      e.tcpRoutes.push(located(model, at));
    },
    policy(target: ServiceRef | SubsetRef, policyOptions: PolicyOptions | SubsetPolicyOptions) {
      live("policy");
      const at = captureSite(mesh.policy);
      if (hasBrand(target, SUBSET_REF)) {
        const subset = (target as SubsetRef).subset;
        extrasOf(target as never, "policy", at).subsetPolicies.push(located({ ...(policyOptions as object), subset } as SubsetPolicyModel, at));
        return;
      }
      extrasOf(target as ServiceRef, "policy", at).policies.push(located({ ...(policyOptions as object) }, at));
    },
    telemetry(service: ServiceRef, telemetryOptions: TelemetryOptions) {
      live("telemetry");
      const at = captureSite(mesh.telemetry);
      extrasOf(service, "telemetry", at).telemetry.push(located(telemetryModel(telemetryOptions) as TelemetryModel, at));
    },
    authorize(service: ServiceRef, authzOptions: AuthorizeOptions) {
      live("authorize");
      const at = captureSite(mesh.authorize);
      extrasOf(service, "authorize", at);
      authorizations.push(located(authorizationModel(declOf(service)!.name, authzOptions), at));
    },
    authorizeDefaults(authzOptions: MeshAuthorizeOptions) {
      live("authorizeDefaults");
      authorizations.push(located(authorizationModel(undefined, authzOptions as AuthorizeOptions), captureSite(mesh.authorizeDefaults)));
    },
    patch(target: PatchTarget, fn: PatchFunction<PatchKind>) {
      live("patch");
      const at = captureSite(mesh.patch);
      const t = (target ?? {}) as PatchTarget;
      const proxies: unknown = t.proxies;
      const model: PatchModel = {
        kind: t.kind,
        proxies: Array.isArray(proxies) ? proxies.map(toRef) : (proxies as never),
        patch: fn,
      };
      if (t.name !== undefined) model.name = (Array.isArray(t.name) ? [...t.name] : t.name) as never;
      patches.push(located(model, at));
    },
  };

  const finish = (): MeshDefinition => {
    finalized = true;
    const memberSet = new Set(members);
    const orphans: OrphanModel[] = [];
    for (const [decl, e] of extras) if (!memberSet.has(decl)) orphans.push(...e.orphanSites);
    const model: MeshModel = {
      [MESH]: true,
      name: options?.name,
      trustDomain: options?.trustDomain,
      services: members.map((decl) => serviceModel(decl, extras.get(decl))),
      orphans,
      ...(authorizations.length > 0 ? { authorizations } : {}),
      ...(patches.length > 0 ? { patches } : {}),
      [SITE]: site,
    };
    if (options?.defaults !== undefined) model.defaults = located({ ...options.defaults }, site);
    if (options?.telemetry !== undefined) model.telemetry = located(telemetryModel(options.telemetry) as TelemetryModel, site);
    if (options?.mtls !== undefined) model.mtls = options.mtls;
    if (options?.egress !== undefined) model.egress = options.egress;
    if (options?.discovery !== undefined) model.discovery = options.discovery as never;
    if (options?.certificates !== undefined) model.certificates = (typeof options.certificates === "object" && options.certificates !== null ? { ...options.certificates } : options.certificates) as never;
    return model;
  };

  const result = build(mesh);
  if (result && typeof (result as Promise<void>).then === "function") return (result as Promise<void>).then(finish);
  return finish();
}
