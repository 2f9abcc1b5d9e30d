// Proxy variants (issue 13): which snapshot a proxy of a service gets. A service's snapshot (ProxySnapshot) is the
// default; it may carry variants for some of its proxies:
//   instance:<node id>          an instance with its own sidecar ports (its own listeners, clusters, routes)
//   locality:<region>,<zone>    the proxies in one locality of a service whose instances span several, when some
//                               upstream's locality failover makes their ClusterLoadAssignments differ
// Parts are encodeURIComponent-ed, so keys are also safe as path segments (build directories). A proxy is matched by
// node.id first, then by node.locality (region and zone; sub_zone does not change priorities), else it gets the
// default: a locality the service does not declare, or none, is a fallback (logged and counted by the server).
import type { ProxySnapshot } from "./types.js";

export function instanceVariantKey(nodeId: string): string {
  return `instance:${encodeURIComponent(nodeId)}`;
}

export function localityVariantKey(l: { region?: string | undefined; zone?: string | undefined } | undefined): string {
  return `locality:${encodeURIComponent(l?.region ?? "")},${encodeURIComponent(l?.zone ?? "")}`;
}

/** The build-directory path of a variant under its service's folder: "instance/<id>" or "locality/<region>,<zone>". */
export function variantDir(key: string): string {
  return key.replace(":", "/");
}

/** The key of a variant folder ("locality/<r>,<z>"), undefined when it is not one. */
export function variantKeyOfDir(dir: string): string | undefined {
  const m = /^(instance|locality)\/([^/]+)$/.exec(dir);
  if (!m || m[2] === "." || m[2] === "..") return undefined;
  return `${m[1]}:${m[2]}`;
}

export interface NodeSelector {
  id: string;
  locality?: { region?: string; zone?: string } | undefined;
}

export interface ResolvedProxy {
  proxy: ProxySnapshot;
  /** The variant key used; undefined for the default. */
  variant?: string;
  /** The service has locality variants and the node matched none of them (it gets the default). */
  fallback: boolean;
}

/** The snapshot a node of this service gets: its instance's, else its locality's, else the service's default. */
export function resolveProxy(proxy: ProxySnapshot, node: NodeSelector): ResolvedProxy {
  const variants = proxy.variants;
  if (!variants || variants.size === 0) return { proxy, fallback: false };
  const byInstance = variants.get(instanceVariantKey(node.id));
  if (byInstance) return { proxy: byInstance, variant: byInstance.variant!, fallback: false };
  const byLocality = variants.get(localityVariantKey(node.locality));
  if (byLocality) return { proxy: byLocality, variant: byLocality.variant!, fallback: false };
  return { proxy, fallback: hasLocalityVariants(proxy) };
}

export function hasLocalityVariants(proxy: ProxySnapshot): boolean {
  for (const k of proxy.variants?.keys() ?? []) if (k.startsWith("locality:")) return true;
  return false;
}

/** The same proxy with each variant rebuilt by `f` (secrets, registry endpoints: whatever the default gets). */
export function mapVariants(proxy: ProxySnapshot, out: ProxySnapshot, f: (variant: ProxySnapshot) => ProxySnapshot): ProxySnapshot {
  if (!proxy.variants || proxy.variants.size === 0) return out;
  const variants = new Map<string, ProxySnapshot>();
  for (const [k, v] of proxy.variants) variants.set(k, { ...f(v), variant: k });
  return { ...out, variants };
}

/** The snapshot a connected proxy should be running: its variant of the service's, else the service's. */
export function wantedProxy(proxies: ReadonlyMap<string, ProxySnapshot> | undefined, service: string, variant: string | undefined): ProxySnapshot | undefined {
  const p = proxies?.get(service);
  return (variant !== undefined ? p?.variants?.get(variant) : undefined) ?? p;
}
