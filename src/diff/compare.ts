// What changes between two compiled meshes, proxy by proxy and resource by resource: the data behind every
// `meshc diff` format. Resources are matched by proxy, type and name; equal content hashes (the per-resource
// version both sides compute from the strict encoding) short-cut the comparison, so an unchanged resource costs one
// string compare. A change shared by several proxies (e.g. the cluster every caller of a service holds) is one
// ResourceChange listing those proxies, computed once. Version hashes never appear: they are not content.
// Snapshot variants (src/snapshot/variants.ts) are proxies of their own, named like their build-directory folder
// (`api/locality/eu,eu-a`, `api/instance/api-0`): a change only some zone or instance sees is still a change.
import { variantDir } from "../snapshot/variants.js";
import { PUSH_ORDER, type EncodedResource, type MeshSnapshot, type ProxySnapshot, type ResourceKind } from "../snapshot/types.js";
import { fieldChanges, type FieldChange } from "./fields.js";

export type ChangeKind = "added" | "removed" | "changed";
export type Counts = { added: number; removed: number; changed: number };

export interface ProxyImpact {
  proxy: string;
  /** added/removed: the whole proxy is new or gone; changed: some of its resources differ. */
  change: ChangeKind;
  /** Per resource type that differs. */
  kinds: Partial<Record<ResourceKind, Counts>>;
}

export interface ResourceChange {
  kind: ResourceKind;
  name: string;
  change: ChangeKind;
  /** Every proxy that sees exactly this change (sorted). */
  proxies: string[];
  /** For a changed resource: each differing field. Empty for added/removed resources. */
  fields: FieldChange[];
  /** The resources themselves (not rendered; for locating sources). */
  before?: EncodedResource;
  after?: EncodedResource;
}

export interface DiffResult {
  /** Proxies on either side, and how many of them change. */
  proxyCount: { base: number; head: number };
  /** Only proxies that change, sorted by name. */
  proxies: ProxyImpact[];
  /** Sorted by type (push order), name, then first proxy. */
  resources: ResourceChange[];
  totals: Counts;
}

export function compareSnapshots(baseSnapshot: MeshSnapshot, headSnapshot: MeshSnapshot): DiffResult {
  const base = everyProxy(baseSnapshot);
  const head = everyProxy(headSnapshot);
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  const proxies: ProxyImpact[] = [];
  const groups = new Map<string, ResourceChange>();
  for (const proxy of names) {
    const b = base.get(proxy);
    const h = head.get(proxy);
    const kinds: ProxyImpact["kinds"] = {};
    for (const kind of PUSH_ORDER) {
      const before = byName(b?.resources[kind]);
      const after = byName(h?.resources[kind]);
      const counts: Counts = { added: 0, removed: 0, changed: 0 };
      for (const name of [...new Set([...before.keys(), ...after.keys()])]) {
        const x = before.get(name);
        const y = after.get(name);
        if (x && y && x.hash === y.hash) continue;
        const change: ChangeKind = !x ? "added" : !y ? "removed" : "changed";
        counts[change]++;
        const key = `${kind}\u0000${name}\u0000${x?.hash ?? ""}\u0000${y?.hash ?? ""}`;
        let group = groups.get(key);
        if (!group) {
          group = { kind, name, change, proxies: [], fields: x && y ? fieldChanges(kind, x, y) : [] };
          if (x) group.before = x;
          if (y) group.after = y;
          groups.set(key, group);
        }
        group.proxies.push(proxy);
      }
      if (counts.added + counts.removed + counts.changed > 0) kinds[kind] = counts;
    }
    if (Object.keys(kinds).length > 0 || !b || !h) proxies.push({ proxy, change: !b ? "added" : !h ? "removed" : "changed", kinds });
  }
  const order = (k: ResourceKind) => PUSH_ORDER.indexOf(k);
  const resources = [...groups.values()].sort(
    (x, y) => order(x.kind) - order(y.kind) || cmp(x.name, y.name) || cmp(x.proxies[0]!, y.proxies[0]!),
  );
  const totals: Counts = { added: 0, removed: 0, changed: 0 };
  for (const r of resources) totals[r.change]++;
  return { proxyCount: { base: base.size, head: head.size }, proxies, resources, totals };
}

/** Each service's default snapshot under its name, and each of its variants under `<service>/<variant folder>`. */
export function everyProxy(snapshot: MeshSnapshot): Map<string, ProxySnapshot> {
  const out = new Map<string, ProxySnapshot>();
  for (const [name, proxy] of snapshot.proxies) {
    out.set(name, proxy);
    for (const [key, variant] of proxy.variants ?? []) out.set(`${name}/${variantDir(key)}`, variant);
  }
  return out;
}

/** The service a proxy name of everyProxy belongs to. */
export function proxyService(proxy: string): string {
  const i = proxy.indexOf("/");
  return i < 0 ? proxy : proxy.slice(0, i);
}

function byName(list: readonly EncodedResource[] | undefined): Map<string, EncodedResource> {
  return new Map((list ?? []).map((r) => [r.name, r]));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
