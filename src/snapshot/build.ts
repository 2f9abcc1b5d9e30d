// Content hashing and snapshot assembly shared by every producer of snapshots.
import { sha256 } from "./sha256.js";
import { PUSH_ORDER, type EncodedResource, type ProxySnapshot, type ResourceKind } from "./types.js";

export function contentHash(bytes: Uint8Array): string {
  return sha256(bytes, "hex").slice(0, 16);
}

/** Version of a set of resources: stable across processes and restarts, different whenever content differs (P-34). */
export function versionOf(resources: readonly EncodedResource[]): string {
  if (resources.length === 0) return "";
  // One update of the joined text (the same digest as one update per piece): a build directory's 4,000 files each
  // have their version computed twice on a read, and 60,000 small update() calls cost ~0.25 s (issue 12).
  let text = "";
  for (const r of resources) text += `${r.name}\0${r.hash}\n`;
  return sha256(text, "hex").slice(0, 16);
}

/** Sorts each kind by name and computes versions. Duplicate names within a kind are a bug in the producer. */
export function makeProxySnapshot(service: string, byKind: Partial<Record<ResourceKind, EncodedResource[]>>): ProxySnapshot {
  const resources = {} as Record<ResourceKind, EncodedResource[]>;
  const versions = {} as Record<ResourceKind, string>;
  for (const kind of PUSH_ORDER) {
    resources[kind] = sortedByName(service, kind, byKind[kind] ?? []);
    versions[kind] = versionOf(resources[kind]);
  }
  return { service, resources, versions };
}

/**
 * makeProxySnapshot(p.service, { ...p.resources, [kind]: list }) for a snapshot `p` that makeProxySnapshot made:
 * only `kind` is sorted and hashed again (a locality variant differs from its service's snapshot in its
 * assignments alone; 3,000 of them in the 1,000-service mesh).
 */
export function withResources(p: ProxySnapshot, kind: ResourceKind, list: readonly EncodedResource[]): ProxySnapshot {
  const sorted = sortedByName(p.service, kind, list);
  return { service: p.service, resources: { ...p.resources, [kind]: sorted }, versions: { ...p.versions, [kind]: versionOf(sorted) } };
}

function sortedByName(service: string, kind: ResourceKind, list: readonly EncodedResource[]): EncodedResource[] {
  const out = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.name === out[i - 1]!.name) throw new Error(`proxy ${service}: two ${kind} resources named "${out[i]!.name}"`);
  }
  return out;
}
