// The messages between `meshc serve --workers N`'s primary process and its xDS serving workers (Node's cluster IPC,
// "advanced" serialization, so resource bytes travel as byte arrays, not JSON). A published snapshot goes to each
// worker once as an immutable message relative to what that worker already holds: every distinct resource (type
// URL, name, content hash) has a number; a resource travels (with its bytes) only to a worker that does not hold
// it, and only the services whose entry changed travel (their versions and resource numbers, per kind, for the
// service and for each of its variants: instance and locality variants, src/snapshot/variants.ts). Versions are
// content hashes, so a worker needs nothing else to serve exactly what the single-process server serves: it
// rebuilds the same MeshSnapshot, keeping the ProxySnapshot object of every service that did not change (its
// streams are not even woken) and one object per distinct resource (the encoder's per-resource caches in
// src/xds/wire.ts stay hits across reloads), and drops the resources no service uses any more.
import type { SecureContextOptions } from "node:tls";
import type { EncodedResource, MeshSnapshot, ProxySnapshot, ResourceKind } from "../../snapshot/types.js";
import { PUSH_ORDER } from "../../snapshot/types.js";
import type { XdsLimits } from "../../xds/limits.js";
import type { ProxyStatus } from "../../xds/stream.js";

/** What a worker needs to start serving (sent once, right after it is forked). */
export interface WorkerInit {
  t: "init";
  slot: number;
  /** host:port to listen on (the port the first worker bound, once known; every worker shares it). */
  address: string;
  limits: Partial<XdsLimits>;
  /** Authenticated ADS over TLS: the context arrives in a "tls" message. */
  tls: boolean;
  logLevel: string;
  logFormat: "json" | "pretty";
  /** How often the worker reports its streams' status to the primary (ms). */
  statusEveryMs: number;
}

/** [id, name, typeUrl, hash, bytes]: a resource the worker does not hold yet. */
export type WireResource = [number, string, string, string, Uint8Array];

/** Versions and resource numbers per kind (in PUSH_ORDER) of a proxy snapshot. */
export type WireProxyBody = [Record<ResourceKind, string>, number[][]];

/** [service, default body, variants as [variant key, body]]. */
export type WireProxy = [string, WireProxyBody, [string, WireProxyBody][]];

export interface SnapshotMessage {
  t: "snapshot";
  seq: number;
  /** Resources new to this worker (a worker holds exactly the resources its current snapshot uses). */
  resources: WireResource[];
  /** Services added or changed since the worker's snapshot (a full snapshot for a worker holding none). */
  proxies: WireProxy[];
  /** Services no longer in the mesh. */
  removed: string[];
}

export type ToWorker =
  | WorkerInit
  | SnapshotMessage
  | { t: "identities"; entries: [string, string][] }
  | { t: "tls"; context: SecureContextOptions | null }
  | { t: "metrics"; id: number }
  | { t: "close"; graceMs: number };

export type FromWorker =
  /** The worker's message handler is installed (messages sent before this could be lost while its modules load). */
  | { t: "ready" }
  | { t: "listening"; port: number }
  | { t: "applied"; seq: number }
  /** Stream status changes since the last report: rows by stream id, ids of streams that ended, open connections. */
  | { t: "status"; upsert: ProxyStatus[]; removed: number[]; connections: number }
  | { t: "metrics"; id: number; json: unknown[] };

const key = (r: EncodedResource) => `${r.typeUrl}\0${r.name}\0${r.hash}`;

interface Numbered {
  id: number;
  key: string;
  /** The last indexing round that saw this object. */
  round: number;
}

/** What one worker holds, as the primary tracks it: resource numbers and the entry last sent per service. */
export interface WorkerHoldings {
  held: Set<number>;
  sent: Map<string, WireProxy>;
}

export const emptyHoldings = (): WorkerHoldings => ({ held: new Set(), sent: new Map() });

/**
 * Primary side: numbers distinct resources and builds each worker's message from what it holds. Numbers are kept
 * while a resource stays in consecutive snapshots (by object identity, else by its key), so an unchanged resource
 * keeps its number and never travels again; the wire entry of a proxy snapshot object is built once.
 */
export class SnapshotEncoder {
  private ids = new Map<string, number>();
  private next = 1;
  private round = 0;
  private readonly numbered = new WeakMap<EncodedResource, Numbered>();
  private readonly entries = new WeakMap<ProxySnapshot, { round: number; entry: WireProxy }>();
  private table = new Map<number, EncodedResource>();
  private current: WireProxy[] = [];

  /** Numbers every distinct resource of `mesh` (variants included) and builds every service's wire entry. */
  index(mesh: MeshSnapshot): void {
    const round = ++this.round;
    const byKey = new Map<string, number>();
    const table = new Map<number, EncodedResource>();
    const idOf = (r: EncodedResource): number => {
      let n = this.numbered.get(r);
      if (!n) this.numbered.set(r, (n = { id: 0, key: key(r), round: -1 }));
      if (n.round === round) return n.id;
      const kept = n.round === round - 1 ? n.id : undefined; // numbers of the previous round are all still valid
      const id = byKey.get(n.key) ?? kept ?? this.ids.get(n.key) ?? this.next++;
      n.id = id;
      n.round = round;
      if (!byKey.has(n.key)) {
        byKey.set(n.key, id);
        table.set(id, r);
      }
      return id;
    };
    const body = (p: ProxySnapshot): WireProxyBody => [p.versions, PUSH_ORDER.map((kind) => (p.resources[kind] ?? []).map(idOf))];
    const current: WireProxy[] = [];
    for (const [service, p] of mesh.proxies) {
      const cached = this.entries.get(p);
      let entry: WireProxy;
      if (cached && cached.round === round - 1) {
        // The same object as in the previous snapshot: its resources keep their numbers; mark them seen.
        entry = cached.entry;
        forEachResource(p, idOf);
      } else {
        entry = [service, body(p), [...(p.variants ?? [])].map(([k, v]) => [k, body(v)])];
      }
      this.entries.set(p, { round, entry });
      current.push(entry);
    }
    this.ids = byKey;
    this.table = table;
    this.current = current;
  }

  /** Distinct resources of the indexed snapshot. */
  get size(): number {
    return this.table.size;
  }

  /** The message for one worker given what it holds, which is updated to what it holds once it applied it. */
  message(seq: number, holdings: WorkerHoldings): SnapshotMessage {
    const resources: WireResource[] = [];
    const proxies: WireProxy[] = [];
    const services = new Set<string>();
    for (const entry of this.current) {
      services.add(entry[0]);
      const before = holdings.sent.get(entry[0]);
      if (before !== undefined && (before === entry || sameEntry(before, entry))) continue;
      proxies.push(entry);
      holdings.sent.set(entry[0], entry);
    }
    const removed = [...holdings.sent.keys()].filter((s) => !services.has(s));
    for (const s of removed) holdings.sent.delete(s);
    for (const [id, r] of this.table) if (!holdings.held.has(id)) resources.push([id, r.name, r.typeUrl, r.hash, r.bytes]);
    holdings.held = new Set(this.table.keys());
    return { t: "snapshot", seq, resources, proxies, removed };
  }
}

function forEachResource(p: ProxySnapshot, f: (r: EncodedResource) => unknown): void {
  for (const kind of PUSH_ORDER) for (const r of p.resources[kind] ?? []) f(r);
  for (const v of p.variants?.values() ?? []) for (const kind of PUSH_ORDER) for (const r of v.resources[kind] ?? []) f(r);
}

function sameBody(a: WireProxyBody, b: WireProxyBody): boolean {
  for (const kind of PUSH_ORDER) if (a[0][kind] !== b[0][kind]) return false;
  if (a[1].length !== b[1].length) return false;
  for (let i = 0; i < a[1].length; i++) {
    const x = a[1][i]!;
    const y = b[1][i]!;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

function sameEntry(a: WireProxy, b: WireProxy): boolean {
  if (a[0] !== b[0] || !sameBody(a[1], b[1]) || a[2].length !== b[2].length) return false;
  for (let i = 0; i < a[2].length; i++) if (a[2][i]![0] !== b[2][i]![0] || !sameBody(a[2][i]![1], b[2][i]![1])) return false;
  return true;
}

/** Worker side: applies messages, keeping unchanged proxy snapshots and one object per distinct resource. */
export class SnapshotDecoder {
  private held = new Map<number, EncodedResource>();
  private services = new Map<string, { entry: WireProxy; proxy: ProxySnapshot }>();

  decode(m: SnapshotMessage): MeshSnapshot {
    for (const [id, name, typeUrl, hash, bytes] of m.resources) this.held.set(id, { name, typeUrl, hash, bytes });
    const resource = (id: number): EncodedResource => {
      const r = this.held.get(id);
      if (!r) throw new Error(`snapshot ${m.seq}: resource #${id} was neither sent nor held`);
      return r;
    };
    const build = (service: string, [versions, ids]: WireProxyBody): ProxySnapshot => {
      const resources = {} as Record<ResourceKind, EncodedResource[]>;
      PUSH_ORDER.forEach((kind, i) => (resources[kind] = (ids[i] ?? []).map(resource)));
      return { service, versions, resources };
    };
    for (const service of m.removed) this.services.delete(service);
    for (const entry of m.proxies) {
      const [service, body, variants] = entry;
      const proxy = build(service, body);
      if (variants.length) proxy.variants = new Map(variants.map(([k, b]) => [k, { ...build(service, b), variant: k }]));
      this.services.set(service, { entry, proxy });
    }
    // Resources no service uses any more are dropped (the primary assumes the same).
    const used = new Set<number>();
    const proxies = new Map<string, ProxySnapshot>();
    for (const [service, { entry, proxy }] of this.services) {
      proxies.set(service, proxy);
      for (const ids of entry[1][1]) for (const id of ids) used.add(id);
      for (const [, b] of entry[2]) for (const ids of b[1]) for (const id of ids) used.add(id);
    }
    for (const id of this.held.keys()) if (!used.has(id)) this.held.delete(id);
    return { proxies };
  }
}
