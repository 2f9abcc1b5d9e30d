// mesh.gateway(): an ingress gateway (issue 13), the entry point for traffic from outside the mesh (Istio's Gateway).
// It is an Envoy proxy of its own, run like a sidecar (`meshc run --service <gateway>`, `meshc bootstrap`), with no
// application behind it: its listeners accept HTTP or HTTPS for the listed hosts, and its routes, written with the
// same route builder (`mesh.routes(gateway, (r) => [...])`), send requests to mesh services. See docs/dsl.md.
import type { GatewayModel } from "./model.js";
import type { Instance, SidecarOptions } from "./service.js";
import type { PortNumber } from "./types.js";

export interface GatewayListenerOptions {
  /** Port the gateway listens on (0.0.0.0, or the gateway's sidecar.inboundAddress). */
  port: PortNumber;
  /** `"https"` terminates TLS with `tls`. */
  protocol: "http" | "https";
  /** Host names (Host/:authority) this listener serves; routes may pick one with `match: { host }`. */
  hosts: readonly [string, ...string[]];
  /**
   * The server certificate chain and private key, as absolute paths of PEM files on the gateway's host (Envoy reads
   * them at run time; meshc never reads or copies the key). Required for "https".
   */
  tls?: { cert: string; key: string };
}

export type GatewayListeners = readonly [GatewayListenerOptions, ...GatewayListenerOptions[]];

export interface GatewayOptions<L extends GatewayListeners = GatewayListeners> {
  /** Each listener is a port of the gateway named `<protocol>-<port>` (e.g. `"https-8443"`, for authorization rules). */
  listeners: L;
  /** Where the gateway proxies run (addresses only matter for port-conflict checks). */
  instances: readonly Instance<never>[];
  /** The gateway proxy's admin port and listen address (its outbound port is unused). */
  sidecar?: Pick<SidecarOptions, "adminPort" | "inboundAddress">;
  /** SPIFFE ID of the gateway (it calls mesh services with mTLS like a sidecar). @default spiffe://<td>/service/<name> */
  identity?: string;
}

/** The port names of a gateway's listeners, `<protocol>-<port>` (what gatewayPortName makes at run time). */
export type GatewayPortName<L> = L extends { readonly protocol: infer P extends string; readonly port: infer Q extends number } ? `${P}-${Q}` : never;

/** Listener ports are named `<protocol>-<port>` (the gateway's "ports"). */
export function gatewayPortName(l: { protocol: string; port: number }): string {
  return `${l.protocol}-${l.port}`;
}

/** The ServiceOptions-shaped model of a gateway: one HTTP port per listener, no app behind them. */
export function gatewayServiceOptions(options: GatewayOptions): Record<string, unknown> {
  const o = (options ?? {}) as GatewayOptions;
  const listeners = Array.isArray(o.listeners) ? o.listeners : [];
  const ports: Record<string, unknown> = {};
  for (const l of listeners) if (l && typeof l === "object") ports[gatewayPortName(l)] = { protocol: "http", port: l.port };
  const gateway: GatewayModel = { listeners: listeners.map((l) => ({ ...l, hosts: Array.isArray(l?.hosts) ? [...l.hosts] : (l?.hosts as never) })) as GatewayModel["listeners"] };
  const out: Record<string, unknown> = { ports, instances: o.instances, gateway };
  if (o.sidecar !== undefined) out.sidecar = o.sidecar;
  if (o.identity !== undefined) out.identity = o.identity;
  return out;
}
