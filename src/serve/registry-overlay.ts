// The EDS overlay of `meshc serve` with a registry (issue 16). The compiled snapshot (the base) carries each
// registry service's static instances only; this keeps the registry's validated entries per service key and
// rebuilds, for every proxy, exactly the ClusterLoadAssignments of clusters whose service takes registry
// instances, with the same builder the compiler uses (src/backends/envoy/endpoints.ts). Everything else in a proxy
// snapshot is the base's own objects, so only EDS versions change, and only for proxies that call a changed
// service. Output depends only on (base snapshot, entries): entries are sorted by instance id and resources are
// content-hashed, so replicas that see the same registry serve the same versions without talking to each other.
import type { EndpointIR, LocalityIR, MeshIR, ServiceIR } from "../ir/types.js";
import { type ClusterRef, clusterRefName } from "../backends/envoy/clusters.js";
import { ResourceEncoder } from "../backends/envoy/encode.js";
import { buildLoadAssignment, failoverOrder } from "../backends/envoy/endpoints.js";
import { formatIssue, type EnvoyIssue } from "../backends/envoy/api/issues.js";
import { variantLocality } from "../backends/envoy/instance-sidecar.js";
import { localityVariantKey, mapVariants } from "../snapshot/variants.js";
import { makeProxySnapshot } from "../snapshot/build.js";
import type { EncodedResource, MeshSnapshot, ProxySnapshot } from "../snapshot/types.js";
import { parseEntry, type RegistryEntry, type RejectReason } from "../discovery/layout.js";
import type { RawEntry } from "../discovery/source.js";

/** Bounds on what the registry may hold (anyone who can write under the prefix controls it). */
export const MAX_REGISTRY_ENTRIES = 100_000;
/**
 * Distinct localities (region/zone) per registry service key. Each locality of a service whose upstreams fail over by
 * locality is a proxy variant with its own copy of those upstreams' assignments, so N localities cost N times the
 * upstreams' endpoints: unbounded, 1,000 entries each in its own zone took 1.1 GB. An entry in a locality beyond the
 * first 64 of its service (in the order they were admitted; after a list, key order) is rejected
 * (too_many_localities) until one of those localities empties.
 */
export const MAX_REGISTRY_LOCALITIES = 64;

export interface Rejection {
  key: string;
  reason: RejectReason;
  problem: string;
}

export interface OverlayEvents {
  /** An entry became unusable (or its reason changed): log it and count it. */
  rejected(r: Rejection): void;
  /** A resource could not be built from entries that passed validation: the base's is served instead. */
  issue(message: string): void;
}

interface Valid {
  service: string;
  id: string;
  entry: RegistryEntry;
}

export class EndpointOverlay {
  private readonly valid = new Map<string, Valid>(); // etcd key -> structurally valid entry
  private readonly rejected = new Map<string, Rejection>();
  /** Registry service key -> (instance id -> etcd key); plus a generation bumped on every change of that key. */
  private readonly byService = new Map<string, Map<string, string>>();
  /** Registry service key -> admitted locality (localityVariantKey) -> how many entries are in it. */
  private readonly localities = new Map<string, Map<string, number>>();
  /** Etcd key -> its admitted locality (absent: not admitted, rejected as too_many_localities). */
  private readonly admitted = new Map<string, string>();
  private readonly generation = new Map<string, number>();
  private gen = 0;
  private ir: MeshIR | undefined;
  /** Cluster name -> registry service and port/subset (for the current IR). */
  private refs = new Map<string, { service: ServiceIR; ref: Omit<ClusterRef, "service"> }>();
  /** Cluster name -> service and port/subset, for every service (a new locality variant rebuilds all of its EDS). */
  private allRefs = new Map<string, { service: ServiceIR; ref: Omit<ClusterRef, "service"> }>();
  private keysInUse = new Set<string>();
  private readonly cache = new WeakMap<ProxySnapshot, { sig: string; out: ProxySnapshot }>();
  private readonly live = new Map<string, { gen: string; service: ServiceIR }>();
  /** Cluster name + failover order -> its assignment as last built, valid while its service's generation holds. */
  private readonly assignments = new Map<string, { gen: string; res: EncodedResource | undefined }>();

  constructor(private readonly prefix: string, private readonly events: OverlayEvents) {}

  /** The mesh as last compiled: which services take registry instances, and which clusters they have. */
  setIr(ir: MeshIR): void {
    this.ir = ir;
    this.refs = new Map();
    this.allRefs = new Map();
    this.keysInUse = new Set();
    this.live.clear();
    this.assignments.clear();
    for (const s of ir.services) {
      if (s.registry) this.keysInUse.add(s.registry.key);
      for (const port of s.ports) {
        for (const subset of [undefined, ...s.subsets.map((x) => x.name)]) {
          const ref = { port, ...(subset !== undefined ? { subset } : {}) };
          const name = clusterRefName({ service: s, ...ref });
          this.allRefs.set(name, { service: s, ref });
          if (s.registry) this.refs.set(name, { service: s, ref });
        }
      }
    }
    // Entries under keys no service used before (or uses no longer) are judged again.
    for (const [key, v] of this.valid) this.judgeService(key, v);
    for (const [key, r] of [...this.rejected]) if (r.reason === "unknown_service") this.recheck(key);
  }

  /** Replaces every entry (a registry list). Returns the registry service keys that changed. */
  reset(entries: readonly RawEntry[]): Set<string> {
    const changed = new Set<string>([...this.byService.keys()]);
    this.valid.clear();
    this.byService.clear();
    this.localities.clear();
    this.admitted.clear();
    const before = new Map(this.rejected);
    this.rejected.clear();
    for (const e of entries.slice(0, MAX_REGISTRY_ENTRIES)) this.add(e.key, e.value, changed, before.get(e.key), e.oversized, e.restored);
    for (const e of entries.slice(MAX_REGISTRY_ENTRIES)) this.reject({ key: e.key, reason: "too_large", problem: `more than ${MAX_REGISTRY_ENTRIES} entries under the prefix` }, before.get(e.key));
    for (const s of changed) this.bump(s);
    return changed;
  }

  put(key: string, value: Buffer, oversized?: RawEntry["oversized"]): Set<string> {
    const changed = new Set<string>();
    const prev = this.rejected.get(key);
    this.remove(key, changed);
    if (!this.valid.has(key) && this.valid.size >= MAX_REGISTRY_ENTRIES) {
      this.reject({ key, reason: "too_large", problem: `more than ${MAX_REGISTRY_ENTRIES} entries under the prefix` }, prev);
    } else {
      this.add(key, value, changed, prev, oversized);
    }
    for (const s of changed) this.bump(s);
    return changed;
  }

  delete(key: string): Set<string> {
    const changed = new Set<string>();
    this.remove(key, changed);
    for (const s of changed) this.bump(s);
    return changed;
  }

  /** Entries in use, and rejected entries, for /readyz and metrics. */
  counts(): { entries: number; rejected: number } {
    let entries = 0;
    for (const [key, v] of this.valid) if (this.keysInUse.has(v.service) && !this.rejected.has(key)) entries++;
    return { entries, rejected: this.rejected.size };
  }

  /** Bumped on every change of the entries (a cheap "did anything change since" for storing them). */
  version(): number {
    return this.gen;
  }

  /**
   * The entries in use as [key, entry] (the parsed entries themselves, never modified: no copy), sorted by key: what
   * a warm start keeps. Serialized by the caller, in chunks (src/serve/state.ts saveRegistryState).
   */
  entriesInUse(): [string, RegistryEntry][] {
    const out: [string, RegistryEntry][] = [];
    for (const [key, v] of this.valid) if (this.keysInUse.has(v.service) && !this.rejected.has(key)) out.push([key, v.entry]);
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Which proxies' EDS a change of these registry keys touches (services calling one of their services). */
  services(keys: ReadonlySet<string>): string[] {
    const out = new Set<string>();
    for (const s of this.ir?.services ?? []) if (s.registry && keys.has(s.registry.key)) out.add(s.name);
    return [...out];
  }

  /** The base snapshot with every registry cluster's assignment rebuilt from the current entries. */
  apply(base: MeshSnapshot): MeshSnapshot {
    if (!this.ir || this.refs.size === 0) return base;
    const enc = new ResourceEncoder();
    const callers = new Map(this.ir.services.map((s) => [s.name, s]));
    const proxies = new Map<string, ProxySnapshot>();
    for (const [name, proxy] of base.proxies) {
      const touched = proxy.resources.endpoint.filter((r) => this.refs.has(r.name));
      const own = callers.get(name)?.registry?.key;
      if (touched.length === 0 && own === undefined) {
        proxies.set(name, proxy);
        continue;
      }
      const keys = new Set(touched.map((r) => this.refs.get(r.name)!.service.registry!.key));
      if (own !== undefined) keys.add(own);
      const sig = [...keys].map((k) => `${k}@${this.generation.get(k) ?? 0}`).join(",");
      const hit = this.cache.get(proxy);
      if (hit && hit.sig === sig) {
        proxies.set(name, hit.out);
        continue;
      }
      const caller = callers.get(name) ?? ({ instances: { kind: "static", endpoints: [] } } as unknown as ServiceIR);
      const overlay = (p: ProxySnapshot) =>
        touched.length === 0 ? p : makeProxySnapshot(name, { ...p.resources, endpoint: this.overlayEndpoints(p, variantLocality(caller, p.variant), enc) });
      let out = mapVariants(proxy, overlay(proxy), overlay);
      if (own !== undefined) out = this.withRegistryLocalities(caller, out, enc);
      this.cache.set(proxy, { sig, out });
      proxies.set(name, out);
    }
    return { proxies };
  }

  /**
   * A service whose instances come from the registry gets, like one whose instances are written in the mesh
   * (src/backends/envoy/translate.ts variants()), a variant per locality its instances are in when some upstream's
   * locality failover makes that locality's assignments differ from the default's: a proxy in zone b must prefer
   * zone b's endpoints. The compiler cannot know these localities (the entries say them), so its default was
   * computed without them: even a single locality gets its variant when it differs.
   */
  private withRegistryLocalities(caller: ServiceIR, proxy: ProxySnapshot, enc: ResourceEncoder): ProxySnapshot {
    const live = this.liveService(caller);
    if (live.instances.kind !== "static") return proxy;
    const eps = live.instances.endpoints;
    const added = new Map<string, ProxySnapshot>();
    for (const e of eps) {
      if (e.sidecar) continue; // an instance with its own sidecar ports has its own variant (from the compiler)
      const key = localityVariantKey(e.locality);
      if (proxy.variants?.has(key) || added.has(key)) continue;
      const loc: LocalityIR = { ...(e.locality?.region !== undefined && { region: e.locality.region }), ...(e.locality?.zone !== undefined && { zone: e.locality.zone }) };
      const endpoint = this.endpointsAt(proxy, loc, enc);
      if (endpoint.every((r, i) => r === proxy.resources.endpoint[i])) continue;
      added.set(key, { ...makeProxySnapshot(proxy.service, { ...proxy.resources, endpoint }), variant: key });
    }
    if (added.size === 0) return proxy;
    const variants = new Map([...(proxy.variants ?? []), ...added].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return { ...proxy, variants };
  }

  /** Every ClusterLoadAssignment of `proxy` (the service's default) as seen from `loc`. */
  private endpointsAt(proxy: ProxySnapshot, loc: LocalityIR, enc: ResourceEncoder): EncodedResource[] {
    return proxy.resources.endpoint.map((r) => {
      const target = this.allRefs.get(r.name);
      if (!target) return r;
      const order = failoverOrder(target.service, loc);
      if (!order) return r; // no failover: the assignment does not depend on where the caller is
      const registry = target.service.registry?.key;
      const service = registry !== undefined ? this.liveService(target.service) : target.service;
      const key = `${r.name}|${order.join(",")}`;
      const gen = registry !== undefined ? `${registry}@${this.generation.get(registry) ?? 0}` : "static";
      let hit = this.assignments.get(key);
      if (hit?.gen !== gen) {
        const issues: EnvoyIssue[] = [];
        const cla = buildLoadAssignment({ service, ...target.ref }, order, issues);
        const res = issues.length === 0 ? enc.encode("endpoint", r.name, cla) : undefined;
        for (const i of [...issues, ...enc.issues.splice(0)]) this.events.issue(formatIssue(i));
        this.assignments.set(key, (hit = { gen, res }));
      }
      // Same content as the default's: its very object (shared bytes; the caller's identity test sees no change).
      return hit.res && hit.res.hash !== r.hash ? hit.res : r;
    });
  }

  /** A proxy's ClusterLoadAssignments with every registry cluster rebuilt from the live entries, seen from `loc`. */
  private overlayEndpoints(proxy: ProxySnapshot, loc: LocalityIR | undefined, enc: ResourceEncoder): EncodedResource[] {
    return proxy.resources.endpoint.map((r) => {
      const target = this.refs.get(r.name);
      if (!target) return r;
      const service = this.liveService(target.service);
      const ref: ClusterRef = { service, ...target.ref };
      const order = failoverOrder(service, loc);
      // Kept across applies: a proxy touched by one service's change re-encodes that service's assignments only.
      const key = `${r.name}|${order?.join(",") ?? ""}`;
      const gen = `${target.service.registry!.key}@${this.generation.get(target.service.registry!.key) ?? 0}`;
      let hit = this.assignments.get(key);
      if (hit?.gen !== gen) {
        const issues: EnvoyIssue[] = [];
        const cla = buildLoadAssignment(ref, order, issues);
        const res = issues.length === 0 ? enc.encode("endpoint", r.name, cla) : undefined;
        for (const i of [...issues, ...enc.issues.splice(0)]) this.events.issue(formatIssue(i));
        this.assignments.set(key, (hit = { gen, res }));
      }
      return hit.res && hit.res.hash !== r.hash ? hit.res : r; // same content: keep the base's object
    });
  }

  /** The service with its registry entries appended to its static instances (sorted by instance id). */
  private liveService(s: ServiceIR): ServiceIR {
    const key = s.registry!.key;
    const gen = `${key}@${this.generation.get(key) ?? 0}`;
    const hit = this.live.get(s.name);
    if (hit && hit.gen === gen) return hit.service;
    const ids = [...(this.byService.get(key) ?? new Map<string, string>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const extra: EndpointIR[] = [];
    for (const [, etcdKey] of ids) {
      const v = this.valid.get(etcdKey);
      if (!v || this.rejected.has(etcdKey)) continue;
      const ep = toEndpoint(s, v.entry);
      if (ep) extra.push(ep);
    }
    const statics = s.instances.kind === "static" ? s.instances.endpoints : [];
    const service: ServiceIR = { ...s, instances: { kind: "static", endpoints: [...statics, ...extra] } };
    this.live.set(s.name, { gen, service });
    return service;
  }

  private add(key: string, value: Buffer, changed: Set<string>, prev: Rejection | undefined, oversized?: RawEntry["oversized"], restored?: boolean): void {
    const p = parseEntry(this.prefix, key, value, oversized, restored);
    if (!p.ok) {
      this.reject({ key, reason: p.reason, problem: p.problem }, prev);
      return;
    }
    const v: Valid = { service: p.service, id: p.id, entry: p.entry };
    this.valid.set(key, v);
    let ids = this.byService.get(v.service);
    if (!ids) this.byService.set(v.service, (ids = new Map()));
    ids.set(v.id, key);
    changed.add(v.service);
    this.admit(key, v);
    this.judgeService(key, v, prev);
  }

  /** Counts the entry in its service's localities, unless it would be one locality more than the bound. */
  private admit(key: string, v: Valid): boolean {
    if (this.admitted.has(key)) return true;
    const l = localityVariantKey(v.entry.locality);
    let counts = this.localities.get(v.service);
    if (!counts) this.localities.set(v.service, (counts = new Map()));
    const n = counts.get(l);
    if (n === undefined && counts.size >= MAX_REGISTRY_LOCALITIES) return false;
    counts.set(l, (n ?? 0) + 1);
    this.admitted.set(key, l);
    return true;
  }

  /** Uncounts a removed entry; a locality that empties makes room for entries rejected for lack of it. */
  private release(key: string, v: Valid): void {
    const l = this.admitted.get(key);
    if (l === undefined) return;
    this.admitted.delete(key);
    const counts = this.localities.get(v.service)!;
    const n = counts.get(l)! - 1;
    if (n > 0) {
      counts.set(l, n);
      return;
    }
    counts.delete(l);
    if (counts.size === 0) this.localities.delete(v.service);
    for (const [, k] of [...(this.byService.get(v.service) ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const w = this.valid.get(k);
      if (w && !this.admitted.has(k) && this.admit(k, w)) this.judgeService(k, w);
    }
  }

  private remove(key: string, changed: Set<string>): void {
    this.rejected.delete(key);
    const v = this.valid.get(key);
    if (!v) return;
    this.valid.delete(key);
    this.byService.get(v.service)?.delete(v.id); // before release: it re-admits the service's other entries
    this.release(key, v);
    const ids = this.byService.get(v.service);
    ids?.delete(v.id);
    if (ids?.size === 0) this.byService.delete(v.service);
    changed.add(v.service);
  }

  /** Checks a structurally valid entry against the mesh: a known key, and ports the service has. */
  private judgeService(key: string, v: Valid, prev = this.rejected.get(key)): void {
    if (!this.ir) return;
    const services = this.ir.services.filter((s) => s.registry?.key === v.service);
    if (services.length === 0) {
      this.reject({ key, reason: "unknown_service", problem: `no service of the mesh takes instances from registry key "${v.service}"` }, prev);
      return;
    }
    for (const s of services) {
      const problem = portProblem(s, v.entry);
      if (problem) {
        this.reject({ key, reason: "bad_port", problem: `${problem} (service "${s.name}")` }, prev);
        return;
      }
    }
    if (!this.admitted.has(key)) {
      this.reject({ key, reason: "too_many_localities", problem: `the service's entries are already in ${MAX_REGISTRY_LOCALITIES} localities (region/zone), the most used; this entry's is another` }, prev);
      return;
    }
    if (this.rejected.delete(key)) this.bump(v.service);
  }

  private recheck(key: string): void {
    const v = this.valid.get(key);
    if (v) this.judgeService(key, v);
  }

  private reject(r: Rejection, prev: Rejection | undefined): void {
    const had = this.rejected.get(r.key);
    this.rejected.set(r.key, r);
    if (!(had ?? prev) || (had ?? prev)!.reason !== r.reason || (had ?? prev)!.problem !== r.problem) this.events.rejected(r);
  }

  private bump(service: string): void {
    this.generation.set(service, ++this.gen);
  }
}

function portProblem(s: ServiceIR, e: RegistryEntry): string | undefined {
  if (e.ports) for (const n of Object.keys(e.ports)) if (!s.ports.some((p) => p.name === n)) return `port name "${n}" is not a port of the service`;
  if (e.port !== undefined && s.ports.length > 1) return "a single port is ambiguous on a service with several ports; give ports: { <name>: number }";
  return undefined;
}

function toEndpoint(s: ServiceIR, e: RegistryEntry): EndpointIR | undefined {
  const ports: Record<string, number> = {};
  for (const p of [...s.ports].sort((a, b) => (a.name < b.name ? -1 : 1))) ports[p.name] = e.ports?.[p.name] ?? e.port ?? p.port;
  const labels: Record<string, string> = {};
  for (const k of Object.keys(e.labels ?? {}).sort()) labels[k] = e.labels![k]!;
  const loc = e.locality;
  const locality = loc && (loc.region ?? loc.zone ?? loc.subZone) !== undefined
    ? { ...(loc.region !== undefined && { region: loc.region }), ...(loc.zone !== undefined && { zone: loc.zone }), ...(loc.subZone !== undefined && { subZone: loc.subZone }) }
    : undefined;
  return { address: e.address, ports, labels, ...(locality ? { locality } : {}), ...(e.weight !== undefined ? { weight: e.weight } : {}) };
}
