// Service declarations and the typed references to them. A ServiceRef's port and subset names are literal types,
// so `catalog.subset("v3")` or `catalog.port("nope")` fails to compile at the user's line.
import { DECL, DNS, PORT_NAMES, PORT_REF, PORT_SPEC, SERVICE_REF, SITE, SUBSET_REF } from "./brand.js";
import type { DnsModel, PortModel } from "./model.js";
import type { RegistryInstances } from "./discovery.js";
import { captureSite, type SourceSite } from "./site.js";
import type { Labels, MtlsMode, PortNumber, Protocol, RateLimitOptions, SpiffeId } from "./types.js";

/** A service port: the port callers reach the service on (its sidecar's inbound listener) and the app behind it. */
export interface PortSpec<P extends Protocol = Protocol> extends PortModel {
  readonly [PORT_SPEC]: true;
  readonly protocol: P;
}

export interface PortOptions {
  /**
   * Port the application listens on (127.0.0.1) behind the sidecar. Set it whenever the service's sidecar runs:
   * the default collides with the sidecar's own inbound listener on the same host (analysis reports that).
   * @default the service port
   */
  app?: PortNumber;
  /** Mutual TLS on this port's inbound listener. @default the service's `mtls` */
  mtls?: MtlsMode;
}

function portSpec<P extends Protocol>(protocol: P, port: PortNumber, options: PortOptions | undefined, site: SourceSite): PortSpec<P> {
  const spec: PortSpec<P> = { [PORT_SPEC]: true, protocol, port, [SITE]: site };
  if (options?.app !== undefined) spec.app = options.app;
  if (options?.mtls !== undefined) spec.mtls = options.mtls;
  return spec;
}

/** An HTTP/1.1 port. */
export function http(port: PortNumber, options?: PortOptions): PortSpec<"http"> {
  return portSpec("http", port, options, captureSite(http));
}
/** An HTTP/2 (h2c) port. */
export function http2(port: PortNumber, options?: PortOptions): PortSpec<"http2"> {
  return portSpec("http2", port, options, captureSite(http2));
}
/** A gRPC port (HTTP/2; routes may match gRPC services and methods, retries may name gRPC codes). */
export function grpc(port: PortNumber, options?: PortOptions): PortSpec<"grpc"> {
  return portSpec("grpc", port, options, captureSite(grpc));
}
/** A TCP port, proxied as a byte stream. */
export function tcp(port: PortNumber, options?: PortOptions): PortSpec<"tcp"> {
  return portSpec("tcp", port, options, captureSite(tcp));
}

/**
 * Instances found by resolving a DNS name (Envoy resolves it). `P` names the service ports the instances give a
 * number for, so `dns(host, { wrong: 80 })` fails to compile on a service without port "wrong".
 */
export interface DnsInstances<P extends string = string> extends DnsModel {
  readonly [DNS]: true;
  /** Type-level only: the port names `ports` uses. */
  readonly [PORT_NAMES]?: P;
}

/**
 * Instances behind a DNS name, resolved by Envoy. Every resolved address serves each service port on that port's
 * own number, unless numbers are given: `dns(host, 8443)` for a service with one port, or
 * `dns(host, { web: 80, tls: 443 })` per port name (ports left out keep their own number).
 */
export function dns(hostname: string): DnsInstances<never>;
export function dns(hostname: string, port: PortNumber): DnsInstances<never>;
export function dns<const P extends string>(hostname: string, ports: { readonly [K in P]: PortNumber }): DnsInstances<P>;
export function dns(hostname: string, port?: PortNumber | Readonly<Record<string, PortNumber>>): DnsInstances<never> {
  const out: DnsInstances<never> = { [DNS]: true, dns: hostname, [SITE]: captureSite(dns) };
  if (typeof port === "object" && port !== null) out.ports = { ...port };
  else if (port !== undefined) out.port = port;
  return out;
}

/**
 * One static instance: its address and, when it differs from the service's port numbers, the number it serves
 * each port on. By default an instance serves every service port on that port's own number (the number its
 * sidecar's inbound listener binds), which is right whenever meshc runs the instance's sidecar.
 */
export type InstanceOptions<P extends string = string> = InstanceWithPorts<P> | InstanceWithPort<P>;

// Two interfaces over InstanceCommon rather than an intersection with a union: TypeScript relates and
// contextually types interfaces without normalizing an intersection for every instance literal (issue 12: the
// type check of a 1,000-service mesh). Exactly the same values are accepted and refused.
/** An instance on the service's port numbers, or on `port` (a single-port service). */
interface InstanceWithPort<P extends string> extends InstanceCommon {
  /**
   * This instance's own sidecar ports (issue 13), for several sidecars of one service on one host: its admin and
   * outbound listeners, and where its app listens per port name. Its inbound listeners bind the instance's own
   * port numbers (`ports`). What is left out is the service's `sidecar` setting (or the port's `app`).
   * @default the service's sidecar ports
   */
  sidecar?: InstanceSidecarOptions<P>;
  /**
   * The port of a service with a single port (shorthand for `ports: { <its name>: N }`). On a service with
   * several ports it is ambiguous and reported (MESH0208): give `ports` instead.
   * @default the service port's own number
   */
  port?: PortNumber;
  ports?: never;
}

/** An instance serving named service ports on numbers of its own. */
interface InstanceWithPorts<P extends string> extends InstanceCommon {
  /**
   * This instance's own sidecar ports (issue 13), for several sidecars of one service on one host: its admin and
   * outbound listeners, and where its app listens per port name. Its inbound listeners bind the instance's own
   * port numbers (`ports`). What is left out is the service's `sidecar` setting (or the port's `app`).
   * @default the service's sidecar ports
   */
  sidecar?: InstanceSidecarOptions<P>;
  port?: never;
  /** The number this instance serves each named service port on; ports left out keep their own number. */
  ports: { readonly [K in P]?: PortNumber };
}

interface InstanceCommon {
  /**
   * An IP address (IPv4, or IPv6 without brackets): callers' sidecars reach the instance there, and Envoy resolves no
   * name for a static instance. Declare instances by hostname with `dns("<host>", <port>)`.
   */
  address: string;
  locality?: {
    region?: string;
    zone?: string;
    subZone?: string;
  };
  /** Subsets select instances by these labels. @default {} */
  labels?: Labels;
  /** Load-balancing weight among the instances. @default 1 (Envoy) */
  weight?: number;
}

/**
 * A static instance: an InstanceOptions object, or `"address:port"` / `"[ipv6]:port"` (the port of a single-port
 * service, like `port`). The address is an IP address; a hostname is declared with `dns()`.
 */
export type Instance<P extends string = string> = InstanceOptions<P> | `${string}:${number}` | `[${string}]:${number}`;

/** One instance's own sidecar ports (docs/dsl.md, "Several sidecars of one service on one host"). */
export interface InstanceSidecarOptions<P extends string = string> {
  /** Envoy's admin interface on 127.0.0.1. @default the service's sidecar.adminPort */
  adminPort?: PortNumber;
  /** The outbound HTTP listener on 127.0.0.1; this instance's TCP upstreams get the next free ports after it. @default the service's */
  outboundPort?: PortNumber;
  /** Where this instance's app listens on 127.0.0.1, by service port name. @default the port's `app` */
  app?: { readonly [K in P]?: PortNumber };
}

/** Ports a service's sidecar binds; set them so that several sidecars can share one host. */
export interface SidecarOptions {
  /** Envoy's admin interface on 127.0.0.1. @default 15000 */
  adminPort?: PortNumber;
  /** The outbound HTTP listener on 127.0.0.1 through which the app calls its upstreams. @default 15001 */
  outboundPort?: PortNumber;
  /** Address the inbound listeners bind: an IP address (e.g. `"127.0.0.1"`, `"::"`), not a hostname. @default "0.0.0.0" */
  inboundAddress?: string;
  /**
   * Local 127.0.0.1 port for each TCP upstream port this service calls. TCP ports of called services that are not
   * listed get the next free port after outboundPort, in order of "<service>:<port>".
   */
  tcpOutbound?: readonly { upstream: PortRef; port: PortNumber }[];
}

/** Everything about a service except its name. */
export interface ServiceOptions<Ports extends Record<string, PortSpec>, Subsets extends Record<string, Labels>> {
  /** Named ports, e.g. `{ web: http(8080, { app: 3000 }) }`. */
  ports: Ports;
  /**
   * Static instances, or `dns(hostname)` / `dns(hostname, port)` / `dns(hostname, { <port name>: number })`, or
   * `registry({ key })` (live instances from the mesh's `discovery` registry), alone or in the list of static ones.
   */
  instances:
    | readonly (Instance<NoInfer<keyof Ports & string>> | RegistryInstances)[]
    | DnsInstances<NoInfer<keyof Ports & string>>
    | RegistryInstances;
  /** Named subsets (versions), each selecting instances by labels, e.g. `{ v1: { version: "v1" } }`. @default {} */
  subsets?: Subsets;
  /**
   * The SPIFFE ID the service runs as: a full `spiffe://…` ID or a path under the mesh's trust domain (`"/ns/shop/sa/web"`).
   * @default "spiffe://<trustDomain>/service/<name>"
   */
  identity?: SpiffeId | `/${string}`;
  /** Services this service calls; its sidecar gets configuration for these (and their route targets) only. @default [] */
  calls?: readonly ServiceRef[];
  /** Ports its sidecar binds. */
  sidecar?: SidecarOptions;
  /**
   * A proxyless gRPC client: gets xDS API listeners instead of a sidecar. `{ grpc }` names the gRPC implementation
   * its calls use, so analysis reports every setting that implementation ignores or fails on (docs/dsl.md, "Proxyless
   * gRPC capabilities"); `true` is `{ grpc: "any" }`: what both implementations support.
   * @default false
   */
  proxyless?: boolean | { grpc: "go" | "js" | "any" };
  /** Inbound rate limit on this service's own sidecar. @default none */
  rateLimit?: RateLimitOptions;
  /**
   * Mutual TLS on this service's ports (each port may override it). For a proxyless client, whether it uses gRPC's
   * xDS security (gRFC A29, `XdsChannelCredentials`): `"off"` means it can only call in plaintext.
   * @default the mesh's `mtls`; `"off"` for a `nonMesh` service
   */
  mtls?: MtlsMode;
  /**
   * A workload declared in the mesh that runs without a meshc proxy or mesh identity (a legacy job, a load balancer's
   * health checker): it calls and is called in plaintext. Analysis reports a `calls` entry to a strict port.
   * @default false
   */
  nonMesh?: boolean;
}

/** Service options of any ports and subsets (the untyped view the builders store). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServiceOptions = ServiceOptions<any, any>;

/** The declaration behind a reference: what mesh.service()/defineService() was given. */
export interface ServiceDecl {
  readonly name: string;
  readonly options: AnyServiceOptions;
  readonly site: SourceSite;
}

/** A typed reference to a declared service. Pass it to `calls`, routes, policies and splits. */
export interface ServiceRef<N extends string = string, P extends string = string, S extends string = string> {
  readonly [SERVICE_REF]: true;
  readonly name: N;
  /** One of the service's ports, by name (e.g. for `sidecar.tcpOutbound`). */
  port(name: P): PortRef<N, P>;
  /** One of the service's subsets, by name (e.g. for a weighted split). */
  subset(name: S): SubsetRef<N, S>;
}

/** A subset of a service (a route target). */
export interface SubsetRef<N extends string = string, S extends string = string> {
  readonly [SUBSET_REF]: true;
  readonly service: N;
  readonly subset: S;
}

/** A named port of a service. */
export interface PortRef<N extends string = string, P extends string = string> {
  readonly [PORT_REF]: true;
  readonly service: N;
  readonly port: P;
}

/**
 * Where a route can send traffic: a whole service, one subset, or one port of a service (`svc.port("https")`:
 * that port, whatever port the caller used; otherwise the port with the caller's port number, else the target's
 * first declared port of the same kind).
 */
export type Target = ServiceRef | SubsetRef | PortRef;

/** The ServiceRef type of a declaration with these ports and subsets. */
export type RefOf<N extends string, Ports, Subsets> = ServiceRef<N, keyof Ports & string, keyof Subsets & string>;

export function makeServiceRef(decl: ServiceDecl): ServiceRef {
  return {
    [SERVICE_REF]: true,
    [DECL]: decl,
    name: decl.name,
    port: (port: string): PortRef => ({ [PORT_REF]: true, [DECL]: decl, service: decl.name, port }) as PortRef,
    subset: (subset: string): SubsetRef => ({ [SUBSET_REF]: true, [DECL]: decl, service: decl.name, subset }) as SubsetRef,
  } as ServiceRef;
}

export function declOf(ref: unknown): ServiceDecl | undefined {
  return typeof ref === "object" && ref !== null ? ((ref as Record<symbol, unknown>)[DECL] as ServiceDecl | undefined) : undefined;
}

/**
 * Declares a service outside any mesh, e.g. in a team's module, so other modules can import its reference.
 * It joins a mesh with `mesh.add(ref)`; a reference to a service never added stays a dangling name (reported).
 */
export function defineService<N extends string, Ports extends Record<string, PortSpec>, Subsets extends Record<string, Labels> = {}>(name: N, options: ServiceOptions<Ports, Subsets>): RefOf<N, Ports, Subsets> {
  return declareService(name, options, captureSite(defineService)) as RefOf<N, Ports, Subsets>;
}

export function declareService(name: string, options: AnyServiceOptions, site: SourceSite): ServiceRef {
  return makeServiceRef({ name, options, site });
}

