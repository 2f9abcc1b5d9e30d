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

/**
 * Bounds on what the registry may hold (anyone who can write under the prefix controls it): at most this many
 * structurally valid entries are kept (after a list, the first in key order; while watching, the first to arrive);
 * any more is rejected (too_many_entries). Junk (not an entry) does not count toward it.
 */
export const MAX_REGISTRY_ENTRIES = 100_000;
/**
 * Distinct localities (region/zone) per registry service key. Each locality of a service whose upstreams fail over by
 * locality is a proxy variant with its own copy of those upstreams' assignments, so N localities cost N times the
 * upstreams' endpoints: unbounded, 1,000 entries each in its own zone took 1.1 GB. Only entries the mesh can use
 * (a known service key, ports the service has) take a locality. An entry in a locality beyond the first 64 of its
 * service (in the order they were admitted; after a list, key order) is rejected (too_many_localities) until one of
 * those localities empties; an entry re-written in the locality it was admitted in (a lease granted again, a weight
 * change), or moved to another admitted one, keeps its place.
 */
export const MAX_REGISTRY_LOCALITIES = 64;
/**
 * Rejected entries that are not entries (not JSON, a bad key, too large, beyond MAX_REGISTRY_ENTRIES) are counted by
 * reason; only this many of their keys are kept (to report each once, and to count it out when it is fixed or
 * deleted). Junk beyond it costs no memory; it is reported again after a list.
 */
export const MAX_KEPT_REJECTIONS = 1_000;
/** MESH0803 lines logged one by one per reason and minute; the rest are summarised (OverlayEvents.suppressed). */
export const MAX_LOGGED_REJECTIONS = 10;
export const REJECTION_LOG_WINDOW_MS = 60_000;

export interface Rejection {
  key: string;
  reason: RejectReason;
  problem: string;
}

export interface OverlayEvents {
  /**
   * An entry became unusable (or its reason changed): count it; log it when `log` (false once MAX_LOGGED_REJECTIONS
   * of its reason were logged in the current minute: those are summarised by `suppressed`).
   */
  rejected(r: Rejection, log: boolean): void;
  /** `count` rejections of `reason` were not logged one by one since the last summary. */
  suppressed?(reason: RejectReason, count: number): void;
  /** A resource could not be built from entries that passed validation: the base's is served instead. */
  issue(message: string): void;
}

interface Valid {
  service: string;
  id: string;
  entry: RegistryEntry;
}

export class EndpointOverlay {
  private readonly valid = new Map<string, Valid>(); // etcd key -> structurally valid entry (at most MAX_REGISTRY_ENTRIES)
  /** Valid entries the mesh cannot use (unknown_service, bad_port, too_many_localities): bounded like `valid`. */
  private readonly judged = new Map<string, Rejection>();
  /** Registry service key -> its entries the mesh can use but no locality was left for (too_many_localities). */
  private readonly waiting = new Map<string, Set<string>>();
  /** Rejected keys that are not entries (bad_key, bad_json, bad_entry, too_large, bad_port, too_many_entries): at most MAX_KEPT_REJECTIONS. */
  private readonly structural = new Map<string, Rejection>();
  /** How many of those are rejected, by reason: the kept ones and the others. */
  private readonly structuralCounts = new Map<RejectReason, number>();
  /** Rejected keys not kept in `structural`, by reason (the reason of one that leaves is not known: see dropUnkept). */
  private readonly unkept = new Map<RejectReason, number>();
  private unkeptTotal = 0;
  /** Services whose set of admitted localities changed: their waiting entries may fit now. */
  private readonly dirty = new Set<string>();
  /** Services whose entries' use changed outside of put/delete/reset (a re-judgement): bumped at the end. */
  private readonly touched = new Set<string>();
  private readonly logWindows = new Map<RejectReason, { start: number; logged: number; suppressed: number }>();
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

  constructor(
    private readonly prefix: string,
    private readonly events: OverlayEvents,
    private readonly now: () => number = Date.now,
  ) {}

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
    // The IR decides which entries the mesh can use (keys in use, port names): every valid entry is judged again.
    // First what stays admitted and what no longer takes a locality; then the freed places, in key order.
    for (const [key, v] of this.valid) {
      const bad = this.meshProblem(v);
      if (bad) {
        this.unadmit(key, v);
        this.unwait(key, v);
        this.rejectJudged({ key, ...bad });
      } else if (this.admitted.has(key)) this.clearJudged(key, v);
      else this.wait(key, v);
    }
    for (const s of this.waiting.keys()) this.dirty.add(s);
    this.settle();
    for (const s of this.touched) this.bump(s);
    this.touched.clear();
    this.flushLogs(false);
  }

  /** Replaces every entry (a registry list). Returns the registry service keys that changed. */
  reset(entries: readonly RawEntry[]): Set<string> {
    const changed = new Set<string>([...this.byService.keys()]);
    // Reported before: not reported again (the kept rejections only; junk beyond them is reported again).
    const before = new Map([...this.structural, ...this.judged]);
    this.valid.clear();
    this.judged.clear();
    this.waiting.clear();
    this.byService.clear();
    this.localities.clear();
    this.admitted.clear();
    this.structural.clear();
    this.structuralCounts.clear();
    this.unkept.clear();
    this.unkeptTotal = 0;
    // The cap counts structurally valid entries, as put does: junk under keys sorting first takes no valid entry's place.
    for (const e of entries) this.add(e.key, e.value, changed, before.get(e.key), e.oversized, e.restored);
    this.settle();
    for (const s of [...changed, ...this.touched]) this.bump(s);
    this.touched.clear();
    this.flushLogs(true);
    return changed;
  }

  /**
   * `created`: the key did not exist before (etcd: version 1); absent, a key not known here is taken as new. It tells
   * a junk key re-written (still one rejected key) from a new one when the junk's keys are not all kept.
   */
  put(key: string, value: Buffer, oversized?: RawEntry["oversized"], created?: boolean): Set<string> {
    const changed = new Set<string>();
    const prev = this.judged.get(key) ?? this.structural.get(key);
    const old = this.valid.get(key);
    const p = old ? parseEntry(this.prefix, key, value, oversized) : undefined;
    if (old && p?.ok) {
      // An update of a valid entry (same key: same service and id): it keeps its locality's place when it stays in
      // an admitted locality; only a locality that really empties admits waiting entries.
      const v: Valid = { service: p.service, id: p.id, entry: p.entry };
      this.valid.set(key, v);
      changed.add(v.service);
      this.judge(key, v, prev);
    } else {
      this.remove(key, changed, created === false);
      this.add(key, value, changed, prev, oversized);
    }
    this.settle();
    for (const s of [...changed, ...this.touched]) this.bump(s);
    this.touched.clear();
    this.flushLogs(false);
    return changed;
  }

  delete(key: string): Set<string> {
    const changed = new Set<string>();
    this.remove(key, changed, true);
    this.settle();
    for (const s of [...changed, ...this.touched]) this.bump(s);
    this.touched.clear();
    this.flushLogs(false);
    return changed;
  }

  /** Entries in use, and rejected entries, for /readyz and metrics. */
  counts(): { entries: number; rejected: number } {
    let entries = 0;
    for (const [key, v] of this.valid) if (this.keysInUse.has(v.service) && !this.judged.has(key)) entries++;
    return { entries, rejected: this.judged.size + this.structural.size + this.unkeptTotal };
  }

  /**
   * Rejected entries by reason, and (for reporting) the kept rejections: every one of valid entries, at most
   * MAX_KEPT_REJECTIONS of the others (junk beyond them is counted only).
   */
  rejections(): { byReason: Partial<Record<RejectReason, number>>; kept: Rejection[] } {
    const byReason: Partial<Record<RejectReason, number>> = {};
    for (const [reason, n] of this.structuralCounts) if (n > 0) byReason[reason] = n;
    for (const r of this.judged.values()) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    return { byReason, kept: [...this.structural.values(), ...this.judged.values()] };
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
    for (const [key, v] of this.valid) if (this.keysInUse.has(v.service) && !this.judged.has(key)) out.push([key, v.entry]);
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
      if (!target.service.policy.localityFailover?.length) return r; // no failover: the caller's place does not matter
      const registry = target.service.registry?.key;
      const service = registry !== undefined ? this.liveService(target.service) : target.service;
      // From the live entries: which localities a bare name denotes depends on them (resolveFailoverEntry).
      const order = failoverOrder(service, loc)!;
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
      if (!v || this.judged.has(etcdKey)) continue;
      const ep = toEndpoint(s, v.entry);
      if (ep) extra.push(ep);
    }
    const statics = s.instances.kind === "static" ? s.instances.endpoints : [];
    const service: ServiceIR = { ...s, instances: { kind: "static", endpoints: [...statics, ...extra] } };
    this.live.set(s.name, { gen, service });
    return service;
  }

  /** A key not held as a valid entry any more (removed before): validated, capped, then judged against the mesh. */
  private add(key: string, value: Buffer, changed: Set<string>, prev: Rejection | undefined, oversized?: RawEntry["oversized"], restored?: boolean): void {
    const p = parseEntry(this.prefix, key, value, oversized, restored);
    if (!p.ok) {
      this.rejectStructural({ key, reason: p.reason, problem: p.problem }, prev);
      return;
    }
    if (this.valid.size >= MAX_REGISTRY_ENTRIES) {
      this.rejectStructural({ key, reason: "too_many_entries", problem: `more than ${MAX_REGISTRY_ENTRIES} valid entries under the prefix` }, prev);
      return;
    }
    const v: Valid = { service: p.service, id: p.id, entry: p.entry };
    this.valid.set(key, v);
    let ids = this.byService.get(v.service);
    if (!ids) this.byService.set(v.service, (ids = new Map()));
    ids.set(v.id, key);
    changed.add(v.service);
    this.judge(key, v, prev);
  }

  /**
   * Forgets whatever the key held. `existed`: the key is known to have existed (a delete, a re-write), so a key not
   * held here is one of the rejected keys not kept.
   */
  private remove(key: string, changed: Set<string>, existed: boolean): void {
    const v = this.valid.get(key);
    if (!v) {
      if (!this.dropStructural(key) && existed) this.dropUnkept();
      return;
    }
    this.valid.delete(key);
    this.judged.delete(key);
    this.unwait(key, v);
    this.unadmit(key, v);
    const ids = this.byService.get(v.service);
    ids?.delete(v.id);
    if (ids?.size === 0) this.byService.delete(v.service);
    changed.add(v.service);
  }

  /** What keeps the mesh from using a valid entry: a key no service uses, a port the service does not have. */
  private meshProblem(v: Valid): { reason: RejectReason; problem: string } | undefined {
    const services = this.ir!.services.filter((s) => s.registry?.key === v.service);
    if (services.length === 0) return { reason: "unknown_service", problem: `no service of the mesh takes instances from registry key "${v.service}"` };
    for (const s of services) {
      const problem = portProblem(s, v.entry);
      if (problem) return { reason: "bad_port", problem: `${problem} (service "${s.name}")` };
    }
    return undefined;
  }

  /** Judges a valid entry (new or updated) against the mesh, then gives it a locality's place if it can have one. */
  private judge(key: string, v: Valid, prev = this.judged.get(key)): void {
    if (!this.ir) return;
    const bad = this.meshProblem(v);
    if (bad) {
      // Rejected entries take no locality (they would count toward the bound without being served).
      this.unadmit(key, v);
      this.unwait(key, v);
      this.rejectJudged({ key, ...bad }, prev);
    } else if (this.admit(key, v)) {
      this.unwait(key, v);
      this.clearJudged(key, v);
    } else {
      this.wait(key, v);
      this.rejectJudged(tooManyLocalities(key), prev);
    }
  }

  /**
   * Counts the entry in its locality: it keeps its place if it is already there; it moves if its new locality is
   * admitted, or if there is room for one more, or if it was alone in its old one (one place given up, one taken).
   * Otherwise (a locality more than the bound) it is not admitted (and gives up any place it had).
   */
  private admit(key: string, v: Valid): boolean {
    const l = localityVariantKey(v.entry.locality);
    const cur = this.admitted.get(key);
    if (cur === l) return true;
    let counts = this.localities.get(v.service);
    if (!counts) this.localities.set(v.service, (counts = new Map()));
    const alone = cur !== undefined && counts.get(cur) === 1;
    if (!counts.has(l) && counts.size >= MAX_REGISTRY_LOCALITIES && !alone) {
      this.unadmit(key, v);
      return false;
    }
    if (cur !== undefined) this.uncount(v.service, counts, cur);
    if (!counts.has(l)) this.dirty.add(v.service); // a newly admitted locality: entries waiting in it fit now
    counts.set(l, (counts.get(l) ?? 0) + 1);
    this.admitted.set(key, l);
    return true;
  }

  /** Uncounts an entry; a locality that empties makes room (settle() admits entries waiting for one). */
  private unadmit(key: string, v: Valid): void {
    const l = this.admitted.get(key);
    if (l === undefined) return;
    this.admitted.delete(key);
    const counts = this.localities.get(v.service)!;
    this.uncount(v.service, counts, l);
    if (counts.size === 0) this.localities.delete(v.service);
  }

  private uncount(service: string, counts: Map<string, number>, l: string): void {
    const n = counts.get(l)! - 1;
    if (n > 0) counts.set(l, n);
    else {
      counts.delete(l);
      this.dirty.add(service);
    }
  }

  private wait(key: string, v: Valid): void {
    let w = this.waiting.get(v.service);
    if (!w) this.waiting.set(v.service, (w = new Set()));
    w.add(key);
  }

  private unwait(key: string, v: Valid): void {
    const w = this.waiting.get(v.service);
    if (w?.delete(key) && w.size === 0) this.waiting.delete(v.service);
  }

  /**
   * For every service whose admitted localities changed: its waiting entries, in key order, take what fits (one pass
   * suffices: the number of localities only grows here, so an entry passed over could not fit later in the pass).
   */
  private settle(): void {
    const services = [...this.dirty];
    this.dirty.clear();
    for (const service of services) {
      const w = this.waiting.get(service);
      if (!w) continue;
      for (const key of [...w].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        const v = this.valid.get(key)!;
        if (this.admit(key, v)) {
          this.unwait(key, v);
          this.clearJudged(key, v);
        } else this.rejectJudged(tooManyLocalities(key));
      }
    }
    this.dirty.clear();
  }

  private clearJudged(key: string, v: Valid): void {
    if (this.judged.delete(key)) this.touched.add(v.service);
  }

  private rejectJudged(r: Rejection, prev = this.judged.get(r.key)): void {
    const had = this.judged.get(r.key);
    this.judged.set(r.key, r);
    const v = this.valid.get(r.key);
    if (v && (!had || had.reason !== r.reason)) this.touched.add(v.service);
    this.report(r, had ?? prev);
  }

  /** A rejected key that is not an entry: counted by reason; its key kept while fewer than MAX_KEPT_REJECTIONS are. */
  private rejectStructural(r: Rejection, prev: Rejection | undefined): void {
    const had = this.structural.get(r.key);
    if (had) {
      this.structuralCounts.set(had.reason, this.structuralCounts.get(had.reason)! - 1);
      this.structural.set(r.key, r);
    } else if (this.structural.size < MAX_KEPT_REJECTIONS) this.structural.set(r.key, r);
    else {
      this.unkept.set(r.reason, (this.unkept.get(r.reason) ?? 0) + 1);
      this.unkeptTotal++;
    }
    this.structuralCounts.set(r.reason, (this.structuralCounts.get(r.reason) ?? 0) + 1);
    this.report(r, had ?? prev);
  }

  private dropStructural(key: string): boolean {
    const had = this.structural.get(key);
    if (!had) return false;
    this.structural.delete(key);
    this.structuralCounts.set(had.reason, this.structuralCounts.get(had.reason)! - 1);
    return true;
  }

  /**
   * A rejected key that was not kept left (deleted or re-written): the total stays exact; its reason is not known,
   * so the count of the reason with most such keys goes down (the counts by reason are exact again after a list).
   */
  private dropUnkept(): void {
    if (this.unkeptTotal === 0) return;
    let top: RejectReason | undefined;
    for (const [reason, n] of this.unkept) if (n > 0 && (top === undefined || n > this.unkept.get(top)!)) top = reason;
    this.unkept.set(top!, this.unkept.get(top!)! - 1);
    this.structuralCounts.set(top!, this.structuralCounts.get(top!)! - 1);
    this.unkeptTotal--;
  }

  /** Reports a rejection unless it is the one reported before; logs at most MAX_LOGGED_REJECTIONS per reason a minute. */
  private report(r: Rejection, prev: Rejection | undefined): void {
    if (prev && prev.reason === r.reason && prev.problem === r.problem) return;
    const now = this.now();
    let w = this.logWindows.get(r.reason);
    if (!w || now - w.start >= REJECTION_LOG_WINDOW_MS) {
      if (w && w.suppressed > 0) this.events.suppressed?.(r.reason, w.suppressed);
      this.logWindows.set(r.reason, (w = { start: now, logged: 0, suppressed: 0 }));
    }
    const log = w.logged < MAX_LOGGED_REJECTIONS;
    if (log) w.logged++;
    else w.suppressed++;
    this.events.rejected(r, log);
  }

  /** Summaries of the rejections not logged: of windows that ended, or (after a list) all of them so far. */
  private flushLogs(all: boolean): void {
    const now = this.now();
    for (const [reason, w] of this.logWindows) {
      if (w.suppressed > 0 && (all || now - w.start >= REJECTION_LOG_WINDOW_MS)) {
        this.events.suppressed?.(reason, w.suppressed);
        w.suppressed = 0;
      }
    }
  }

  private bump(service: string): void {
    this.generation.set(service, ++this.gen);
  }
}

function tooManyLocalities(key: string): Rejection {
  return { key, reason: "too_many_localities", problem: `the service's entries are already in ${MAX_REGISTRY_LOCALITIES} localities (region/zone), the most used; this entry's is another` };
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
