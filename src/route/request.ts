// One request of the mesh, answered from the compiled snapshot: the caller's sidecar routes it (its outbound HTTP
// listener and route configuration, src/route/evaluate.ts), and the callee's sidecar authorizes it (the RBAC
// filters of the inbound listener for the port the chosen cluster reaches, src/authz/evaluate.ts). The IR is
// read only for names (a service's identity, port numbers); every decision comes from the Envoy resources.
import type { Canonical } from "../backends/envoy/api/canonical.js";
import { canonicalOf as decode } from "../backends/envoy/encode.js";
import type { EncodedResource, ResourceKind } from "../snapshot/types.js";
import { inboundListenerName, outboundHttpListenerName, outboundRouteName } from "../backends/envoy/names.js";
import { gatewayResourceName } from "../backends/envoy/gateway.js";
import { evaluateHcm, type AuthzVerdict } from "../authz/evaluate.js";
import type { MeshIR } from "../ir/types.js";
import type { MeshSnapshot } from "../snapshot/types.js";
import { arr, evaluateRoute, obj, type RouteRequest, type RouteVerdict } from "./evaluate.js";

// Decoding a resource is most of an evaluation's cost; resources are immutable and shared, so decode each once.
const decoded = new WeakMap<EncodedResource, Canonical>();
function canonicalOf(kind: ResourceKind, r: EncodedResource): Canonical {
  let c = decoded.get(r);
  if (!c) decoded.set(r, (c = decode(kind, r)));
  return c;
}

const HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

export interface MeshRequest {
  /**
   * Calling service (its sidecar routes the request), or an ingress gateway: the request then arrives at the
   * gateway from outside the mesh, and the gateway's listener for the authority's port routes it.
   */
  from: string;
  /** Called service: the Host header defaults to its name. Optional when `authority` is given. */
  to?: string;
  /** Port name of `to`: the Host becomes `<to>:<number>`. */
  port?: string;
  /** Host/:authority instead of the one derived from `to` and `port`. */
  authority?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** A gRPC call: content-type application/grpc and method POST unless given. */
  grpc?: boolean;
  /** A TCP connection: the caller's outbound TCP listener for `to` (its tcp_proxy) decides, not HTTP routes. */
  tcp?: boolean;
}

export interface Destination {
  cluster: string;
  percent: number;
  service: string;
  port: number;
  subset?: string;
}

export interface MeshVerdict {
  request: RouteRequest;
  caller: string;
  listener: string;
  route: RouteVerdict;
  destinations: Destination[];
  /** The callee sidecar's decision (the first destination's service and port), when it has one. */
  authz?: { service: string; listener: string; verdict: AuthzVerdict };
  /** The request arrived at an ingress gateway (`caller`) from outside the mesh. */
  atGateway?: true;
  /** From a gateway: its own listener's decision, taken before it routes (a caller from outside has no identity). */
  entryAuthz?: { service: string; listener: string; verdict: AuthzVerdict };
}

export class RequestError extends Error {}

/** outbound|<port>|<subset>|<service> -> its parts. */
export function parseCluster(name: string): { service: string; port: number; subset?: string } | undefined {
  const m = /^outbound\|(\d+)\|([^|]*)\|(.+)$/.exec(name);
  if (!m) return undefined;
  return { service: m[3]!, port: Number(m[1]), ...(m[2] ? { subset: m[2] } : {}) };
}

function hcmOf(listener: Canonical): Canonical | undefined {
  for (const chain of arr(listener.filter_chains)) {
    for (const f of arr(chain.filters)) {
      const c = obj(f.typed_config);
      if (c?.["@type"] === HCM) return c;
    }
  }
  return undefined;
}

export function resolveRequest(ir: MeshIR, req: MeshRequest): RouteRequest {
  if (req.to === undefined && req.authority === undefined) throw new RequestError("give the called service (to) or the Host (authority)");
  const to = req.to === undefined ? undefined : ir.services.find((s) => s.name === req.to);
  if (req.to !== undefined && !to) throw new RequestError(`no service "${req.to}" in mesh "${ir.name}"`);
  let authority = req.authority ?? req.to!;
  if (to && req.port !== undefined && req.authority === undefined) {
    const p = to.ports.find((x) => x.name === req.port);
    if (!p) throw new RequestError(`service "${req.to}" has no port "${req.port}" (ports: ${to.ports.map((x) => x.name).join(", ") || "none"})`);
    authority = `${req.to}:${p.port}`;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  if (req.grpc && headers["content-type"] === undefined) headers["content-type"] = "application/grpc";
  return { authority, method: req.method ?? (req.grpc ? "POST" : "GET"), path: req.path ?? "/", headers };
}

export function evaluateRequest(ir: MeshIR, snapshot: MeshSnapshot, req: MeshRequest): MeshVerdict {
  const from = ir.services.find((s) => s.name === req.from);
  if (!from) throw new RequestError(`no service "${req.from}" in mesh "${ir.name}"`);
  if (from.proxyless) throw new RequestError(`"${req.from}" is a proxyless gRPC client; only sidecar callers are evaluated`);
  const proxy = snapshot.proxies.get(from.name);
  if (!proxy) throw new RequestError(`"${req.from}" has no proxy configuration`);
  const request = resolveRequest(ir, req);
  if (req.tcp) {
    if (from.gateway) throw new RequestError(`"${req.from}" is a gateway: it has no outbound TCP listeners`);
    if (req.to === undefined) throw new RequestError("a TCP connection needs the called service (to)");
    return evaluateTcp(ir, proxy, from.name, req, request);
  }
  const listenerName = from.gateway ? gatewayResourceName(gatewayPort(from, request.authority)) : outboundHttpListenerName(from.sidecar.outboundPort);
  const listener = proxy.resources.listener.find((l) => l.name === listenerName);
  const rc = proxy.resources.route.find((r) => r.name === (from.gateway ? listenerName : outboundRouteName(from.sidecar.outboundPort)));
  if (!listener || !rc) throw new RequestError(from.gateway ? `gateway "${req.from}" has no HTTP listener ${listenerName}` : `"${req.from}" has no outbound HTTP listener (it calls no HTTP service)`);
  const hcm = hcmOf(canonicalOf("listener", listener));
  if (!hcm) throw new RequestError(`listener ${listenerName} has no HTTP connection manager`);
  // At a gateway, its own RBAC filters run before its router, for a caller from outside (no mesh identity).
  const entryVerdict = from.gateway ? evaluateHcm(hcm, { method: request.method, path: request.path, headers: request.headers }) : undefined;
  const entryAuthz = entryVerdict && entryVerdict.filters.length > 0 ? { service: from.name, listener: listenerName, verdict: entryVerdict } : undefined;
  const route = evaluateRoute(hcm, canonicalOf("route", rc), request);
  const destinations: Destination[] = [];
  if (route.outcome.kind === "forward") {
    for (const c of route.outcome.clusters) {
      const p = parseCluster(c.cluster);
      if (p) destinations.push({ cluster: c.cluster, percent: c.percent, ...p });
    }
  }
  const out: MeshVerdict = { request, caller: from.name, listener: listenerName, route, destinations, ...(from.gateway && { atGateway: true as const }), ...(entryAuthz && { entryAuthz }) };
  const first = destinations[0];
  const callee = first && ir.services.find((s) => s.name === first.service);
  const calleeProxy = callee && !callee.nonMesh && !callee.proxyless ? snapshot.proxies.get(callee.name) : undefined;
  // A gateway's listener for the port (gateway|<port>) holds its RBAC filters, as a sidecar's inbound one does.
  const inboundName = first && (callee?.gateway ? gatewayResourceName(first.port) : inboundListenerName(first.port));
  const inbound = calleeProxy?.resources.listener.find((l) => l.name === inboundName);
  const inboundHcm = inbound && hcmOf(canonicalOf("listener", inbound));
  if (inbound && inboundHcm && route.outcome.kind === "forward") {
    // The callee sees the request after the caller's route rewrote it.
    const seen = { ...request.headers };
    for (const r of route.requestHeaders.remove) delete seen[r.toLowerCase()];
    for (const a of [...route.requestHeaders.add, ...route.requestHeaders.set]) seen[a.name.toLowerCase()] = a.value;
    // The callee's RBAC sees the caller's SPIFFE ID only over mTLS: when the caller's cluster has a TLS transport
    // socket (its client certificate); in plaintext the principal is empty and no principal matcher matches.
    const cluster = proxy.resources.cluster.find((c) => c.name === first!.cluster);
    const mtls = cluster !== undefined && obj(canonicalOf("cluster", cluster).transport_socket) !== undefined;
    const principal = mtls && !from.nonMesh ? { principal: from.identity } : {};
    const verdict = evaluateHcm(inboundHcm, { method: request.method, path: route.outcome.upstreamPath, headers: seen, ...principal });
    out.authz = { service: callee!.name, listener: inbound.name, verdict };
  }
  return out;
}

/**
 * The port of the gateway listener a request with `authority` arrives at: the authority's own port, else the
 * gateway's only listener (several need the port in the Host, as a client's would carry it).
 */
function gatewayPort(gw: MeshIR["services"][number], authority: string): number {
  const ports = gw.gateway!.listeners.map((l) => gw.ports.find((p) => p.name === l.port)!.port);
  const m = /:(\d+)$/.exec(authority);
  if (m) {
    if (!ports.includes(Number(m[1]))) throw new RequestError(`gateway "${gw.name}" has no listener on port ${m[1]} (ports: ${ports.join(", ")})`);
    return Number(m[1]);
  }
  if (ports.length !== 1) throw new RequestError(`gateway "${gw.name}" listens on ports ${ports.join(", ")}: give the port in the Host (host:port)`);
  return ports[0]!;
}

const TCP_PROXY = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

/** A TCP connection from `caller` to `req.to`: the tcp_proxy of the caller's outbound TCP listener for it. */
function evaluateTcp(ir: MeshIR, proxy: MeshSnapshot["proxies"] extends Map<string, infer P> ? P : never, caller: string, req: MeshRequest, request: RouteRequest): MeshVerdict {
  const to = ir.services.find((s) => s.name === req.to)!;
  const wantPort = req.port !== undefined ? to.ports.find((p) => p.name === req.port)?.port : undefined;
  const candidates = proxy.resources.listener
    .filter((l) => l.name.endsWith(`|tcp|${req.to}`))
    .map((l) => {
      const c = canonicalOf("listener", l);
      const tp = arr(c.filter_chains).flatMap((ch) => arr(ch.filters)).map((f) => obj(f.typed_config)).find((t) => t?.["@type"] === TCP_PROXY);
      return { name: l.name, tp };
    })
    .filter((x) => x.tp !== undefined);
  const clustersOf = (tp: Canonical) =>
    tp.cluster !== undefined
      ? [{ cluster: String(tp.cluster), weight: 1 }]
      : arr(obj(tp.weighted_clusters)?.clusters).map((c) => ({ cluster: String(c.name), weight: Number(obj(c.weight)?.value ?? c.weight ?? 0) }));
  const hit = candidates.find((x) => wantPort === undefined || clustersOf(x.tp!).some((c) => parseCluster(c.cluster)?.port === wantPort));
  if (!hit) throw new RequestError(`"${caller}" has no outbound TCP listener for "${req.to}"${req.port !== undefined ? ` port "${req.port}"` : ""} (declare it in calls; TCP ports of the callee get a local port)`);
  const list = clustersOf(hit.tp!);
  const total = list.reduce((x, c) => x + c.weight, 0) || 1;
  const clusters = list.map((c) => ({ ...c, percent: Math.round((c.weight / total) * 1e6) / 1e4 }));
  const none = () => ({ add: [], set: [], remove: [] });
  const route = { routeConfig: hit.name, checks: [], outcome: { kind: "forward" as const, clusters, timeoutMs: null, upstreamPath: "" }, requestHeaders: none(), responseHeaders: none() };
  const destinations = clusters.flatMap((c) => {
    const p = parseCluster(c.cluster);
    return p ? [{ cluster: c.cluster, percent: c.percent, ...p }] : [];
  });
  return { request, caller, listener: hit.name, route, destinations };
}
