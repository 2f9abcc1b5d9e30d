// The server's one piece of shared state: the current MeshSnapshot. `setSnapshot` swaps it atomically, compares
// each proxy's per-kind versions with the previous snapshot and wakes only the streams of services that changed,
// telling them which kinds changed (unchanged state is never pushed again, P-37).
import { PUSH_ORDER, type EncodedResource, type MeshSnapshot, type ProxySnapshot, type ResourceKind } from "../snapshot/types.js";

export interface SnapshotChange {
  /** Services whose snapshot changed, with the kinds that changed, sorted by service. */
  changed: { service: string; kinds: ResourceKind[] }[];
  added: string[];
  removed: string[];
}

/**
 * Called with the service's new snapshot (undefined: the service left the mesh) and the kinds that changed; an
 * empty set means the same content in new objects (nothing to push).
 */
export type SnapshotListener = (proxy: ProxySnapshot | undefined, kinds: ReadonlySet<ResourceKind>) => void;

export class SnapshotCache {
  private mesh: MeshSnapshot | undefined;
  private readonly listeners = new Map<string, Set<SnapshotListener>>();

  /** True once a snapshot was set: before that every service is unknown for a good reason. */
  get ready(): boolean {
    return this.mesh !== undefined;
  }

  current(): MeshSnapshot | undefined {
    return this.mesh;
  }

  get(service: string): ProxySnapshot | undefined {
    return this.mesh?.proxies.get(service);
  }

  watch(service: string, listener: SnapshotListener): () => void {
    let set = this.listeners.get(service);
    if (!set) this.listeners.set(service, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(service) === set) this.listeners.delete(service);
    };
  }

  setSnapshot(mesh: MeshSnapshot): SnapshotChange {
    const prev = this.mesh;
    this.mesh = mesh;
    const change: SnapshotChange = { changed: [], added: [], removed: [] };
    const services = new Set<string>([...(prev?.proxies.keys() ?? []), ...mesh.proxies.keys()]);
    for (const service of [...services].sort()) {
      const before = prev?.proxies.get(service);
      const after = mesh.proxies.get(service);
      if (!before && after) change.added.push(service);
      if (before && !after) change.removed.push(service);
      const kinds = new Set<ResourceKind>();
      for (const kind of PUSH_ORDER) {
        if ((before?.versions[kind] ?? "") !== (after?.versions[kind] ?? "") || (before && !after)) kinds.add(kind);
      }
      // Variants (instance or locality, src/snapshot/variants.ts): a kind changed for some proxy of the service if
      // it changed in any variant (a missing variant is the default). Each stream then works out its own change.
      for (const key of new Set([...(before?.variants?.keys() ?? []), ...(after?.variants?.keys() ?? [])])) {
        const b = before?.variants?.get(key) ?? before;
        const a = after?.variants?.get(key) ?? after;
        for (const kind of PUSH_ORDER) if ((b?.versions[kind] ?? "") !== (a?.versions[kind] ?? "")) kinds.add(kind);
      }
      if (kinds.size === 0) {
        // Same content, new objects: streams swap to them (no push) so the old snapshot can be collected.
        if (before && after && before !== after) for (const listener of [...(this.listeners.get(service) ?? [])]) listener(after, kinds);
        continue;
      }
      change.changed.push({ service, kinds: [...kinds] });
      for (const listener of [...(this.listeners.get(service) ?? [])]) listener(after, kinds);
    }
    return change;
  }
}

const indexes = new WeakMap<ProxySnapshot, Partial<Record<ResourceKind, Map<string, EncodedResource>>>>();

/** name -> resource for one kind of a proxy snapshot, built once per snapshot object. */
export function resourceIndex(proxy: ProxySnapshot, kind: ResourceKind): Map<string, EncodedResource> {
  let byKind = indexes.get(proxy);
  if (!byKind) indexes.set(proxy, (byKind = {}));
  let idx = byKind[kind];
  if (!idx) {
    // A loop, not `new Map(list.map(...))`: no [name, resource] pair per resource (built for every proxy in a sync).
    idx = new Map();
    for (const r of proxy.resources[kind] ?? []) idx.set(r.name, r);
    byKind[kind] = idx;
  }
  return idx;
}
