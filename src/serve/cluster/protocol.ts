// The messages between `meshc serve --workers N`'s primary process and its xDS serving workers (Node's cluster IPC,
// "advanced" serialization, so resource bytes travel as byte arrays, not JSON). A published snapshot goes to each
// worker once as an immutable message of encoded resources: every distinct resource (type URL, name, content hash)
// gets a number; the bytes of a resource travel only to a worker that does not hold it from the snapshot before, and
// each proxy lists its resources by number. Versions are content hashes, so a worker needs nothing else to serve
// exactly what the single-process server serves: it rebuilds the same MeshSnapshot, sharing one object per distinct
// resource (the encoder's per-resource caches in src/xds/wire.ts stay hits across reloads).
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

/** [id, name, typeUrl, hash, bytes]: bytes only when the worker does not hold the resource already. */
export type WireResource = [number, string, string, string, Uint8Array | null];

export interface SnapshotMessage {
  t: "snapshot";
  seq: number;
  resources: WireResource[];
  /** [service, versions, resource ids per kind in PUSH_ORDER]. */
  proxies: [string, Record<ResourceKind, string>, number[][]][];
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

/** Primary side: numbers distinct resources and remembers what each worker holds. */
export class SnapshotEncoder {
  private ids = new Map<string, number>();
  private next = 1;

  /** Numbers every distinct resource of `mesh` (new ones get new numbers; ones no longer used are forgotten). */
  index(mesh: MeshSnapshot): { byKey: Map<string, number>; table: Map<number, EncodedResource> } {
    const byKey = new Map<string, number>();
    const table = new Map<number, EncodedResource>();
    for (const proxy of mesh.proxies.values()) {
      for (const kind of PUSH_ORDER) {
        for (const r of proxy.resources[kind] ?? []) {
          const k = key(r);
          if (byKey.has(k)) continue;
          let id = this.ids.get(k);
          if (id === undefined) id = this.next++;
          byKey.set(k, id);
          table.set(id, r);
        }
      }
    }
    this.ids = byKey;
    return { byKey, table };
  }

  /** The message for one worker, given the resource ids it holds (from the last snapshot it received). */
  message(seq: number, mesh: MeshSnapshot, indexed: { byKey: Map<string, number>; table: Map<number, EncodedResource> }, held: ReadonlySet<number>): SnapshotMessage {
    const resources: WireResource[] = [];
    for (const [id, r] of indexed.table) resources.push([id, r.name, r.typeUrl, r.hash, held.has(id) ? null : r.bytes]);
    const proxies: SnapshotMessage["proxies"] = [];
    for (const [service, p] of mesh.proxies) {
      proxies.push([service, p.versions, PUSH_ORDER.map((kind) => (p.resources[kind] ?? []).map((r) => indexed.byKey.get(key(r))!))]);
    }
    return { t: "snapshot", seq, resources, proxies };
  }
}

/** Worker side: rebuilds snapshots from messages, keeping one object per distinct resource across snapshots. */
export class SnapshotDecoder {
  private held = new Map<number, EncodedResource>();

  decode(m: SnapshotMessage): MeshSnapshot {
    const next = new Map<number, EncodedResource>();
    for (const [id, name, typeUrl, hash, bytes] of m.resources) {
      const old = this.held.get(id);
      if (bytes === null) {
        if (!old) throw new Error(`snapshot ${m.seq}: resource #${id} (${name}) was neither sent nor held`);
        next.set(id, old);
      } else {
        next.set(id, { name, typeUrl, hash, bytes });
      }
    }
    const proxies = new Map<string, ProxySnapshot>();
    for (const [service, versions, ids] of m.proxies) {
      const resources = {} as Record<ResourceKind, EncodedResource[]>;
      PUSH_ORDER.forEach((kind, i) => (resources[kind] = (ids[i] ?? []).map((id) => next.get(id)!)));
      proxies.set(service, { service, versions, resources });
    }
    this.held = next;
    return { proxies };
  }
}
