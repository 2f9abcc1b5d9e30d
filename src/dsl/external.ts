// mesh.external(): a dependency outside the mesh (a partner API on HTTPS, a managed database by DNS) that callers
// reach through their own sidecar, by name. It is a service without a meshc proxy: its reference is typed like a
// service's, so routes, policies and `calls` apply to it, and with `tls` the caller's sidecar originates TLS and
// verifies the peer (the app speaks plain HTTP or TCP to its sidecar). See docs/dsl.md, "External services".
import type { EndpointModel, ExternalModel } from "./model.js";
import type { InstanceOptions, PortSpec } from "./service.js";

/** TLS from the caller's sidecar to the external service. The peer is always verified. */
export interface ExternalTlsOptions {
  /** Server name sent (SNI) and required in the peer certificate's DNS SANs. @default the first of `hosts` */
  sni?: string;
  /**
   * PEM CA bundle on the proxy's host that must have issued the peer's certificate (an absolute path: Envoy reads it
   * at run time). @default the system bundle, /etc/ssl/certs/ca-certificates.crt
   */
  ca?: string;
  /** Verification cannot be turned off. @default true */
  verify?: true;
}

/** Everything about an external service except its name. */
export interface ExternalOptions<Ports extends Record<string, PortSpec>> {
  /** Names callers use for it (`Host: api.partner.example`), e.g. `["api.partner.example"]`. */
  hosts: readonly [string, ...string[]];
  /** Its ports, e.g. `{ https: http(443) }` (the protocol the caller's app speaks to its sidecar). */
  ports: Ports;
  /** `"dns"`: Envoy resolves a name (the first of `hosts`, or the one endpoint given); `"static"`: the `endpoints` addresses. @default "dns" */
  resolution?: "dns" | "static";
  /**
   * Where it is: for `"static"`, addresses (`"203.0.113.7"`, `"203.0.113.7:8443"` for a single-port service, or
   * instance objects); for `"dns"`, at most one hostname to resolve instead of the first host.
   * @default none ("dns": the first host)
   */
  endpoints?: readonly (string | InstanceOptions<NoInfer<keyof Ports & string>>)[];
  /** TLS origination from the caller's sidecar, with certificate verification. @default plaintext */
  tls?: ExternalTlsOptions;
}

/** The ServiceOptions-shaped model of an external service: no proxy (nonMesh), instances from its endpoints. */
export function externalServiceOptions(options: ExternalOptions<Record<string, PortSpec>>): Record<string, unknown> {
  const o = (options ?? {}) as ExternalOptions<Record<string, PortSpec>>;
  const external: ExternalModel = { hosts: o.hosts as unknown as string[], resolution: o.resolution ?? "dns" };
  if (o.endpoints !== undefined) external.endpoints = o.endpoints as ExternalModel["endpoints"];
  if (o.tls !== undefined) external.tls = (typeof o.tls === "object" && o.tls !== null ? { ...o.tls } : o.tls) as ExternalModel["tls"];
  return { ports: o.ports, instances: instancesOf(o, external.resolution), nonMesh: true, external };
}

function instancesOf(o: ExternalOptions<Record<string, PortSpec>>, resolution: string): unknown {
  const endpoints = Array.isArray(o.endpoints) ? o.endpoints : [];
  if (resolution === "static") {
    // A bare address serves every port on its own number; "address:port" and objects are instances as for services.
    // "address:port" has one colon, or brackets around an IPv6 address: a bare IPv6 address ("2001:db8::1") is bare.
    return endpoints.map((e) => (typeof e === "string" && !/^(?:[^:]*|\[[^\]]*\]):\d+$/.test(e) ? ({ address: e } satisfies EndpointModel) : e));
  }
  const host = typeof endpoints[0] === "string" ? endpoints[0] : Array.isArray(o.hosts) ? o.hosts[0] : undefined;
  return { dns: host };
}
