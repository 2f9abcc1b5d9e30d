// IR -> one snapshot per proxy. Best-effort, like Envoy Gateway's translator: analysis has already rejected what
// users can get wrong, so anything odd left here (a dangling name, a message Envoy's schema refuses) becomes an
// EnvoyIssue naming the resource and field, the rest of the mesh is still translated, and the caller decides
// (meshc build fails on any issue). Every message goes through the codec (strict fields, PGV rules); each
// distinct resource is built and encoded once and the same EncodedResource object is shared by every proxy that
// receives it.
import { capability } from "../../proxyless/capabilities.js";
import type { LocalityIR, MeshIR, PortIR, ServiceIR } from "../../ir/types.js";
import { instanceVariantKey, localityVariantKey } from "../../snapshot/variants.js";
import { instanceNodeId, instanceService } from "./instance-sidecar.js";
import { makeProxySnapshot, withResources } from "../../snapshot/build.js";
import type { EncodedResource, MeshSnapshot, ProxySnapshot, ResourceKind } from "../../snapshot/types.js";
import type { EnvoyIssue } from "./api/issues.js";
import { buildInboundCluster, buildOutboundCluster, clusterMtls, type ClusterRef, clusterRefName, type Flavor, usesEds } from "./clusters.js";
import { checkConsistency } from "./consistency.js";
import type { EncodeCarry } from "./encode-carry.js";
import type { DependencyRecorder } from "./translate-deps.js";
import { type EncodedPart, ResourceEncoder, resourceLabel } from "./encode.js";
import { failoverOrder } from "./endpoints.js";
import { ClusterGroups } from "./endpoint-groups.js";
import { buildInboundListener } from "./listeners-inbound.js";
import { withAuthorization } from "./listeners-authz.js";
import { buildOutboundHttpListener, upstreamDomains } from "./listeners-outbound.js";
import { callerLocality, httpPorts, MeshIndex } from "./model.js";
import { inboundClusterName, inboundListenerName, outboundHttpListenerName, outboundRouteName, proxylessRouteName, virtualHostName } from "./names.js";
import { buildApiListeners, PROXYLESS_DOMAINS, proxylessPorts } from "./proxyless.js";
import { buildVirtualHost, type VirtualHostBuild } from "./routes.js";
import { buildTcpListener, tcpUpstreams } from "./tcp.js";
import { callerView } from "./caller-routes.js";
import { meshUsesCors } from "./cors.js";
import { gatewayDomains, gatewayForHost, gatewayListener, gatewayNoRoutes, gatewayResourceName, gatewayVhostName } from "./gateway.js";
import { EGRESS_BLOCKED, EGRESS_PASSTHROUGH, egressCluster, egressVirtualHost } from "./external.js";

/** Connect timeout of the egress passthrough cluster (mesh-wide: no service policy applies to undeclared hosts). */
const DEFAULT_EGRESS_CONNECT_TIMEOUT_MS = 1000;
import type { VirtualHost } from "./xds-types.js";
import { hcmTelemetryKey, telemetryFlags, telemetryResources, withClusterMetadata, withHcmTelemetry, withRouteTelemetry, type TelemetryFlags } from "./telemetry.js";

export interface TranslateStats {
  /** Messages encoded (distinct contents). */
  encodes: number;
  /** Resources handed out per proxy (the services' default snapshots), counting every share. */
  resources: number;
  /** Snapshot variants (instance and locality, src/snapshot/variants.ts), whose resources are the same objects but for what differs. */
  variants: number;
}

export interface TranslateResult {
  snapshot: MeshSnapshot;
  issues: EnvoyIssue[];
  stats: TranslateStats;
}

/** Reuse across translations (`meshc serve` reloads, src/serve/incremental-translate.ts); none for `meshc build`. */
export interface TranslateOptions {
  /** Encoded content kept from earlier translations (encode-carry.ts). */
  carry?: EncodeCarry;
  /** Records which services each proxy's translation reads (translate-deps.ts). */
  deps?: DependencyRecorder;
  /** A proxy (with its variants) to take as it is instead of translating it: its inputs did not change. */
  reuse?: (svc: ServiceIR) => ProxySnapshot | undefined;
  /** Called for each proxy translated, with the services its translation read (when `deps` is given). */
  translated?: (svc: ServiceIR, proxy: ProxySnapshot, reads: ReadonlySet<string>) => void;
}

/**
 * What every proxy's translation reads from the mesh as a whole besides the IR's own mesh-wide fields: the values
 * the Translator derives from all services when it is constructed. Keep in step with its constructor.
 */
export function derivedMeshInputs(ir: MeshIR): string {
  return JSON.stringify([meshUsesCors(ir), telemetryFlags(ir)]);
}

export function translateMesh(ir: MeshIR, options: TranslateOptions = {}): TranslateResult {
  const steps = translateSteps(ir, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** translateMesh one service at a time: yields after each (translate-async.ts runs it with cancellation points). */
export function* translateSteps(ir: MeshIR, options: TranslateOptions = {}): Generator<void, TranslateResult> {
  const t = new Translator(ir, options.carry, options.deps);
  const proxies = new Map<string, ProxySnapshot>();
  const consistency: EnvoyIssue[] = [];
  let resources = 0;
  let variantCount = 0;
  for (const svc of ir.services) {
    if (svc.nonMesh) continue; // no meshc proxy runs for it
    const reused = options.reuse?.(svc);
    if (reused) {
      for (const list of Object.values(reused.resources)) resources += list.length;
      variantCount += reused.variants?.size ?? 0;
      proxies.set(svc.name, reused);
      continue;
    }
    options.deps?.enter();
    options.deps?.read(svc.name);
    const build = (s: ServiceIR) => t.dedupe(svc.name, s.gateway ? t.gateway(s) : s.proxyless ? t.proxyless(s) : t.sidecar(s));
    let proxy = makeProxySnapshot(svc.name, build(svc));
    const variants = t.variants(svc, proxy, build);
    for (const list of Object.values(proxy.resources)) resources += list.length;
    for (const p of [proxy, ...variants.values()]) {
      // A locality variant differs only in assignment contents, under the default's names: nothing new to check.
      if (!p.variant?.startsWith("locality:")) consistency.push(...checkConsistency(p));
    }
    variantCount += variants.size;
    if (variants.size) proxy = { ...proxy, variants };
    proxies.set(svc.name, proxy);
    const reads = options.deps?.leave();
    options.translated?.(svc, proxy, reads ?? new Set());
    yield;
  }
  return { snapshot: { proxies }, issues: [...t.enc.issues, ...t.issues, ...consistency], stats: { encodes: t.enc.encodes, resources, variants: variantCount } };
}

type ByKind = Record<Exclude<ResourceKind, "secret">, EncodedResource[]>;

class Translator {
  readonly mesh: MeshIndex;
  readonly enc: ResourceEncoder;
  readonly ir: MeshIR;
  /** With a recorder: what each cached build read, added to every proxy that takes it from the cache. */
  private readonly deps: DependencyRecorder | undefined;
  private readonly builtReads = new Map<string, Set<string>>();
  private readonly vhostReads = new Map<string, Set<string>>();
  readonly issues: EnvoyIssue[] = [];
  /** Build-input key -> encoded resource: skips even building a resource whose inputs were seen before. */
  private readonly built = new Map<string, EncodedResource | undefined>();
  private readonly vhosts = new Map<string, VirtualHostBuild>();
  /** What shared resources carry for telemetry (mesh-wide, so cache keys need not include it). */
  private readonly telemetry: TelemetryFlags;

  /** The mesh uses CORS somewhere: outbound connection managers carry the CORS filter. */
  private readonly cors: boolean;

  constructor(ir: MeshIR, carry?: EncodeCarry, deps?: DependencyRecorder) {
    this.enc = new ResourceEncoder(carry);
    this.deps = deps;
    this.ir = deps ? deps.trackedIr(ir) : ir;
    this.mesh = deps ? deps.trackedIndex(this.ir) : new MeshIndex(ir);
    // Derived from every service: derivedMeshInputs() must list each such value.
    this.cors = meshUsesCors(ir);
    this.telemetry = telemetryFlags(ir);
  }

  private once(key: string, build: () => EncodedResource | undefined): EncodedResource | undefined {
    const hit = this.built.get(key);
    if (hit !== undefined || this.built.has(key)) {
      this.deps?.merge(this.builtReads.get(key));
      return hit;
    }
    this.deps?.enter();
    const r = build();
    if (this.deps) this.builtReads.set(key, this.deps.leave());
    this.built.set(key, r);
    return r;
  }

  private upstreams(svc: ServiceIR): ServiceIR[] {
    return svc.calls.flatMap((n) => this.mesh.service(n) ?? []);
  }

  private vhost(fullUpstream: ServiceIR, port: PortIR, flavor: Flavor, caller: ServiceIR): VirtualHostBuild {
    // Routes with `from` reach only the callers they name (caller-routes.ts).
    const view = callerView(fullUpstream, caller);
    const upstream = view.upstream;
    const untraced = flavor === "sidecar" && tracesNothing(caller, upstream);
    const key = `${flavor}|${upstream.name}|${port.name}${view.key}${untraced ? "|untraced" : ""}`;
    let v = this.vhosts.get(key);
    if (v) this.deps?.merge(this.vhostReads.get(key));
    else {
      this.deps?.enter();
      const domains = flavor === "proxyless" ? PROXYLESS_DOMAINS : upstreamDomains(this.ir, upstream, port);
      v = buildVirtualHost(this.mesh, upstream, port, domains, flavor, `VirtualHost ${JSON.stringify(virtualHostName(upstream.name, port.port))}`);
      if (flavor === "sidecar") v = { ...v, vhost: withRouteTelemetry(v.vhost, upstream, this.telemetry, untraced) };
      this.issues.push(...v.issues); // once per virtual host, however many callers share it
      this.vhosts.set(key, v);
      if (this.deps) this.vhostReads.set(key, this.deps.leave());
    }
    return v;
  }

  /** Every port and subset of each upstream, plus whatever its routes send traffic to. */
  private upstreamRefs(upstreams: ServiceIR[], refs: Map<string, ClusterRef>, keep: (r: ClusterRef) => boolean = () => true): void {
    for (const u of upstreams) {
      let list = this.serviceRefs.get(u);
      if (!list) {
        list = [];
        for (const port of u.ports) {
          for (const ref of [{ service: u, port }, ...u.subsets.map((s) => ({ service: u, port, subset: s.name }))]) list.push([clusterRefName(ref), ref]);
        }
        this.serviceRefs.set(u, list);
      }
      for (const [name, ref] of list) if (keep(ref)) refs.set(name, ref);
    }
  }

  /** Each upstream's refs with their names (upstreamRefs), made once per service rather than once per caller. */
  private readonly serviceRefs = new WeakMap<ServiceIR, [string, ClusterRef][]>();
  private readonly vhostRefNames = new WeakMap<VirtualHostBuild, [string, ClusterRef][]>();

  /** Adds the clusters a virtual host's routes send traffic to (their names computed once per virtual host). */
  private addVhostRefs(v: VirtualHostBuild, refs: Map<string, ClusterRef>): void {
    let list = this.vhostRefNames.get(v);
    if (!list) this.vhostRefNames.set(v, (list = v.refs.map((r) => [clusterRefName(r), r])));
    for (const [name, ref] of list) refs.set(name, ref);
  }

  /**
   * Snapshot variants of a service's proxies (src/snapshot/variants.ts): one per instance with its own sidecar
   * ports, and, when its instances span localities and that changes some ClusterLoadAssignment, one per locality
   * of the other instances (only their endpoints differ; every other resource is the default's own object).
   */
  variants(svc: ServiceIR, proxy: ProxySnapshot, build: (s: ServiceIR) => ByKind): Map<string, ProxySnapshot> {
    const out = new Map<string, ProxySnapshot>();
    if (svc.instances.kind !== "static") return out;
    const eps = svc.instances.endpoints;
    const ownSidecars = !svc.proxyless && !svc.gateway;
    for (const e of eps) {
      if (!e.sidecar || !ownSidecars) continue;
      const key = instanceVariantKey(instanceNodeId(svc, e));
      if (!out.has(key)) out.set(key, { ...makeProxySnapshot(svc.name, build(instanceService(svc, e))), variant: key });
    }
    const all = new Set(eps.map((e) => localityVariantKey(e.locality)));
    if (all.size < 2) return out;
    const locs = new Map<string, LocalityIR>();
    for (const e of eps) {
      if (e.sidecar && ownSidecars) continue;
      const key = localityVariantKey(e.locality);
      if (!locs.has(key)) locs.set(key, { ...(e.locality?.region !== undefined && { region: e.locality.region }), ...(e.locality?.zone !== undefined && { zone: e.locality.zone }) });
    }
    const lists = [...locs].map(([key, loc]) => [key, this.endpointsAt(svc, loc)] as const);
    const same = (list: EncodedResource[]) => list.length === proxy.resources.endpoint.length && list.every((r, i) => r === proxy.resources.endpoint[i]);
    if (lists.every(([, list]) => same(list))) return out;
    for (const [key, endpoint] of lists) out.set(key, { ...withResources(proxy, "endpoint", endpoint), variant: key });
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** EDS refs (with their cluster names) of each translated proxy (by its ServiceIR object), for locality variants. */
  private readonly edsRefs = new Map<ServiceIR, [string, ClusterRef][]>();

  /** The ClusterLoadAssignments of `caller`'s proxy as seen from locality `loc`. */
  private endpointsAt(caller: ServiceIR, loc: LocalityIR | undefined): EncodedResource[] {
    const out: EncodedResource[] = [];
    const lk = localityCacheKey(loc);
    for (const [name, ref] of this.edsRefs.get(caller) ?? []) {
      const e = this.endpoint(name, ref, loc, lk);
      if (e) out.push(e);
    }
    return out;
  }

  /** Each EDS cluster's locality groups, built once for every caller locality's assignment (endpoint-groups.ts). */
  private readonly clusterGroups = new Map<string, ClusterGroups>();
  /**
   * Assignments by cluster name, then by failover order (joined): the cache of `once`, without building a key per
   * lookup (34,000 lookups for the 1,000-service mesh, most of them hits from the locality variants).
   */
  private readonly assignments = new Map<string, Map<string, { r: EncodedResource | undefined; reads: Set<string> | undefined }>>();
  /** failoverOrder(upstream, loc) joined, by upstream object and localityCacheKey(loc). */
  private readonly orderKeys = new WeakMap<ServiceIR, Map<string, string>>();

  /** The assignment of cluster `name` (of `ref`) as a caller in `loc` (whose localityCacheKey is `lk`) sees it. */
  private endpoint(name: string, ref: ClusterRef, loc: LocalityIR | undefined, lk: string): EncodedResource | undefined {
    let keys = this.orderKeys.get(ref.service);
    if (!keys) this.orderKeys.set(ref.service, (keys = new Map()));
    let orderKey = keys.get(lk);
    if (orderKey === undefined) keys.set(lk, (orderKey = failoverOrder(ref.service, loc)?.join(",") ?? ""));
    let byOrder = this.assignments.get(name);
    if (!byOrder) this.assignments.set(name, (byOrder = new Map()));
    const hit = byOrder.get(orderKey);
    if (hit) {
      this.deps?.merge(hit.reads);
      return hit.r;
    }
    this.deps?.enter();
    // Keyed by name like the resource itself: the cluster's name decides its endpoints within one translation.
    let groups = this.clusterGroups.get(name);
    if (!groups) this.clusterGroups.set(name, (groups = new ClusterGroups(ref)));
    const r = this.enc.loadAssignment(name, groups.assignment(failoverOrder(ref.service, loc), this.issues));
    byOrder.set(orderKey, { r, reads: this.deps?.leave() });
    return r;
  }

  private clustersAndEndpoints(caller: ServiceIR, refs: Map<string, ClusterRef>, flavor: Flavor, out: ByKind): void {
    const loc = callerLocality(caller);
    const lk = localityCacheKey(loc);
    const eds: [string, ClusterRef][] = [];
    this.edsRefs.set(caller, eds);
    for (const name of [...refs.keys()].sort()) {
      const ref = refs.get(name)!;
      const mtls = clusterMtls(ref, flavor, caller.mtls !== "off");
      // Least-request only for proxyless callers whose gRPC implementation has it (capability table).
      const lr = flavor === "proxyless" && capability("leastRequest", caller.grpcImplementation ?? "any").support === "supported";
      const c = this.once(`cluster|${flavor}|${mtls ? "mtls|" : ""}${lr ? "lr|" : ""}${name}`, () => {
        const cluster = buildOutboundCluster(ref, flavor, mtls, lr);
        return this.enc.encode("cluster", name, flavor === "sidecar" ? withClusterMetadata(cluster, ref, this.telemetry) : cluster);
      });
      if (c) out.cluster.push(c);
      if (!usesEds(ref)) continue;
      eds.push([name, ref]);
      const e = this.endpoint(name, ref, loc, lk);
      if (e) out.endpoint.push(e);
    }
  }

  sidecar(svc: ServiceIR): ByKind {
    const out: ByKind = { cluster: [], endpoint: [], listener: [], route: [] };
    const upstreams = this.upstreams(svc);
    const refs = new Map<string, ClusterRef>();
    this.upstreamRefs(upstreams, refs);

    for (const port of svc.ports) {
      const l = this.enc.encode("listener", inboundListenerName(port.port), withAuthorization(this.ir, svc, port, withHcmTelemetry(buildInboundListener(svc, port), this.mesh, svc, "inbound")));
      if (l) out.listener.push(l);
      const c = this.enc.encode("cluster", inboundClusterName(port.port), buildInboundCluster(svc, port));
      if (c) out.cluster.push(c);
    }

    const vhosts: EncodedPart[] = [];
    const seenDomains = new Map<string, string>();
    for (const u of upstreams) {
      for (const port of httpPorts(u)) {
        const v = this.vhost(u, port, "sidecar", svc);
        const view = callerView(u, svc);
        const key = `sidecar|${u.name}|${port.name}${view.key}${tracesNothing(svc, view.upstream) ? "|untraced" : ""}`;
        this.addVhostRefs(v, refs);
        const vh = this.uniqueDomains(svc, v.vhost, seenDomains);
        const part = this.vhostPart(vh === v.vhost ? key : `${key}|${JSON.stringify(vh.domains)}`, vh);
        if (part) vhosts.push(part);
      }
    }
    // With an egress mode every sidecar has an outbound listener, whose catch-all decides on undeclared hosts.
    const egress = this.ir.egress;
    if (egress) {
      const part = this.vhostPart(`egress|${egress}`, egressVirtualHost(egress));
      if (part) vhosts.push(part);
      const c = this.once(`cluster|egress|${egress}`, () => this.enc.encode("cluster", egress === "registry-only" ? EGRESS_BLOCKED : EGRESS_PASSTHROUGH, egressCluster(egress, DEFAULT_EGRESS_CONNECT_TIMEOUT_MS)));
      if (c) out.cluster.push(c);
    }
    if (vhosts.length) {
      const port = svc.sidecar.outboundPort;
      const rc = this.enc.routeConfiguration(outboundRouteName(port), vhosts);
      out.route.push(rc);
      const l = this.once(`listener|outbound|${port}${hcmTelemetryKey(svc)}`, () =>
        this.enc.encode("listener", outboundHttpListenerName(port), withHcmTelemetry(buildOutboundHttpListener(svc, egress, this.cors), this.mesh, svc, "outbound")),
      );
      if (l) out.listener.push(l);
    }

    for (const tu of tcpUpstreams(svc, upstreams)) {
      const b = buildTcpListener(this.mesh, tu);
      this.issues.push(...b.issues);
      for (const r of b.refs) refs.set(clusterRefName(r), r);
      const l = this.enc.encode("listener", b.listener.name!, withHcmTelemetry(b.listener, this.mesh, svc, "outbound"));
      if (l) out.listener.push(l);
    }

    this.telemetryResources(svc, out);
    this.clustersAndEndpoints(svc, refs, "sidecar", out);
    return out;
  }

  /** The Prometheus listener and cluster and the collector clusters of a sidecar's or gateway's telemetry. */
  private telemetryResources(svc: ServiceIR, out: ByKind): void {
    const extra = telemetryResources(this.mesh, svc);
    for (const lis of extra.listeners) {
      const l = this.enc.encode("listener", lis.name!, lis);
      if (l) out.listener.push(l);
    }
    for (const cl of extra.clusters) {
      const c = this.once(`cluster|telemetry|${JSON.stringify(cl)}`, () => this.enc.encode("cluster", cl.name!, cl));
      if (c) out.cluster.push(c);
    }
  }

  /** An ingress gateway (gateway.ts): its listeners, one route table each, and the clusters its routes use. */
  gateway(svc: ServiceIR): ByKind {
    const out: ByKind = { cluster: [], endpoint: [], listener: [], route: [] };
    const refs = new Map<string, ClusterRef>();
    for (const l of svc.gateway!.listeners) {
      const port = svc.ports.find((p) => p.name === l.port);
      if (!port) continue;
      const vhosts: EncodedPart[] = [];
      for (const host of l.hosts) {
        const view = gatewayForHost(svc, host);
        let vh: VirtualHost;
        if (view.routes.length === 0) vh = gatewayNoRoutes(host, port.port);
        else {
          const v = buildVirtualHost(this.mesh, view, port, gatewayDomains(host, port.port), "sidecar", `VirtualHost ${JSON.stringify(gatewayVhostName(host, port.port))}`);
          this.issues.push(...v.issues);
          for (const r of v.refs) refs.set(clusterRefName(r), r);
          // Span names and `route` tags as on a sidecar's routes; no per-route stats: the virtual host is named
          // after the host, whose dots Envoy's stats tags would split (docs/dsl.md, Telemetry).
          vh = withRouteTelemetry({ ...v.vhost, name: gatewayVhostName(host, port.port) }, view, { ...this.telemetry, metrics: false }, tracesNothing(svc, view));
        }
        const part = this.vhostPart(`gateway|${svc.name}|${port.name}|${host}`, vh);
        if (part) vhosts.push(part);
      }
      out.route.push(this.enc.routeConfiguration(gatewayResourceName(port.port), vhosts));
      // Authorization as on a sidecar's inbound port (listeners-authz.ts): RBAC filters first, path normalization.
      // Telemetry as on a sidecar (access log direction "ingress", tracing): a gateway is a proxy of the mesh too.
      const listener = withHcmTelemetry(gatewayListener(svc, l, port, this.cors), this.mesh, svc, "ingress");
      const lis = this.enc.encode("listener", gatewayResourceName(port.port), withAuthorization(this.ir, svc, port, listener));
      if (lis) out.listener.push(lis);
    }
    this.telemetryResources(svc, out);
    this.clustersAndEndpoints(svc, refs, "sidecar", out);
    return out;
  }

  proxyless(svc: ServiceIR): ByKind {
    const out: ByKind = { cluster: [], endpoint: [], listener: [], route: [] };
    const upstreams = this.upstreams(svc);
    const refs = new Map<string, ClusterRef>();
    // Only ports a gRPC client can call (grpc, http2) get clusters, plus whatever their routes send traffic to.
    this.upstreamRefs(upstreams, refs, (p) => proxylessPorts(p.service).includes(p.port));
    for (const u of upstreams) {
      for (const port of proxylessPorts(u)) {
        const v = this.vhost(u, port, "proxyless", svc);
        this.addVhostRefs(v, refs);
        const part = this.vhostPart(`proxyless|${u.name}|${port.name}${callerView(u, svc).key}`, v.vhost);
        if (part) out.route.push(this.enc.routeConfiguration(proxylessRouteName(u.name, port.port), [part]));
        for (const lis of buildApiListeners(u, port)) {
          const l = this.once(`listener|proxyless|${lis.name}|${port.port}`, () => this.enc.encode("listener", lis.name!, lis));
          if (l) out.listener.push(l);
        }
      }
    }
    this.clustersAndEndpoints(svc, refs, "proxyless", out);
    return out;
  }

  private vhostPart(key: string, vh: VirtualHost): EncodedPart | undefined {
    return this.enc.encodePart("envoy.config.route.v3.VirtualHost", key, vh, `VirtualHost ${JSON.stringify(vh.name)}`);
  }

  /**
   * Envoy rejects a route table where two virtual hosts claim one domain, comparing domains in lowercase
   * ("Duplicate entry of domain web.m"); keep the first claim, report the rest.
   */
  private uniqueDomains(caller: ServiceIR, vh: VirtualHost, seen: Map<string, string>): VirtualHost {
    const domains = vh.domains ?? [];
    const keep = domains.filter((d) => {
      const key = d.toLowerCase();
      const owner = seen.get(key);
      if (owner === undefined) {
        seen.set(key, vh.name!);
        return true;
      }
      this.issues.push({
        resource: resourceLabel("route", outboundRouteName(caller.sidecar.outboundPort)),
        path: `virtual_hosts[${JSON.stringify(vh.name)}].domains`,
        message: `proxy "${caller.name}": domain "${d}" already belongs to virtual host "${owner}"; dropped`,
      });
      return false;
    });
    return keep.length === domains.length ? vh : { ...vh, domains: keep };
  }

  /** makeProxySnapshot refuses duplicate names (a producer bug); report them and keep the first. */
  dedupe(service: string, byKind: ByKind): ByKind {
    const out = {} as ByKind;
    for (const [kind, list] of Object.entries(byKind) as [keyof ByKind, EncodedResource[]][]) {
      const seen = new Set<string>();
      out[kind] = list.filter((r) => {
        if (!seen.has(r.name)) return seen.add(r.name), true;
        this.issues.push({ resource: resourceLabel(kind, r.name), path: "", message: `proxy "${service}": two ${kind} resources share this name (conflicting ports?); kept the first` });
        return false;
      });
    }
    return out;
  }
}

/** What of a caller locality failoverOrder reads (zone, region; undefined differs from ""), as a string. */
function localityCacheKey(loc: LocalityIR | undefined): string {
  const part = (v: string | undefined) => (v === undefined ? "-" : `+${v}`);
  return `${part(loc?.zone)}\0${part(loc?.region)}`;
}

/**
 * A caller at samplePercent 0 sends no spans at all, so an upstream's per-route sampling (which would replace the
 * connection manager's 0 % with its own percentages) is left out of that caller's copy of the upstream's routes.
 */
function tracesNothing(caller: ServiceIR, upstream: ServiceIR): boolean {
  return caller.telemetry?.tracing?.samplePercent === 0 && upstream.routes.some((r) => r.traceSamplePercent !== undefined);
}
