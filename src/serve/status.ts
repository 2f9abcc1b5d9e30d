// The sync status of the mesh as `meshc status` and the admin dashboard show it: per connected proxy and per xDS
// type, SYNCED (ACKed the snapshot's version), STALE (sent, not yet ACKed, for how long), NACKED (with Envoy's
// message) or NOT SENT; plus every service of the snapshot, connected or not, and the last load's diagnostics.
// Computed on request from what the xDS server already knows (its streams' ACKed/sent versions and NACKs against
// the snapshot); served as JSON at /debug/status and pushed to the dashboard over Server-Sent Events.
import { createHash } from "node:crypto";
import type { Diagnostic } from "../diagnostics/types.js";
import { PUSH_ORDER, type MeshSnapshot, type ResourceKind } from "../snapshot/types.js";
import { wantedProxy } from "../snapshot/variants.js";
import type { ProxyStatus } from "../xds/index.js";

export type SyncState = "SYNCED" | "STALE" | "NACKED" | "NOT SENT";
/** A service's colour on the dashboard: its worst proxy, or NO PROXY when none is connected. */
export type ServiceState = SyncState | "NO PROXY";

/** xDS names of the resource kinds, as operators know them. */
export const XDS_NAME: Record<ResourceKind, string> = { cluster: "CDS", endpoint: "EDS", listener: "LDS", route: "RDS", secret: "SDS" };

export interface TypeSync {
  type: ResourceKind;
  xds: string;
  state: SyncState;
  /** The version the snapshot says this proxy should have. */
  want: string;
  acked?: string;
  sent?: string;
  /** STALE: milliseconds since the version it has not ACKed was sent. */
  staleMs?: number;
  /** NACKED: what the proxy said. */
  nack?: { version: string; message: string; at: string };
}

export interface ProxyRow {
  service: string;
  node: string;
  /** The proxy's address as the server sees its connection. */
  address: string;
  api: "sotw" | "delta";
  connectedSince: string;
  /** Short digest of the per-type versions this proxy should have (the same for every proxy of a service). */
  version: string;
  state: SyncState;
  types: TypeSync[];
  nacks: number;
  lastNackAt?: string;
}

export interface ServiceRow {
  service: string;
  state: ServiceState;
  proxies: number;
  version: string;
  /** NACKs counted on this service's connected streams. */
  nacks: number;
}

export interface LoadSummary {
  ok: boolean;
  at: string;
  source: string;
  diagnostics: Diagnostic[];
}

export interface StatusReport {
  /** Digest of every proxy's versions; null before the first snapshot. */
  snapshot: { version: string; changedAt: string; services: number } | null;
  services: ServiceRow[];
  proxies: ProxyRow[];
  /** The newest load of the source (its diagnostics), null before the first one finished. */
  load: LoadSummary | null;
  /** True when every connected proxy is SYNCED (what `meshc status` exits 0 on); services without a proxy do not count. */
  allSynced: boolean;
}

const RANK: Record<ServiceState, number> = { SYNCED: 0, "NO PROXY": 1, "NOT SENT": 2, STALE: 3, NACKED: 4 };

const short = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);

/** Per versions object (shared by every proxy of a service, kept while the snapshot is): computed once. */
const versionCache = new WeakMap<object, string>();

export function proxyVersion(versions: Record<ResourceKind, string>): string {
  let v = versionCache.get(versions);
  if (v === undefined) {
    v = short(PUSH_ORDER.map((k) => `${k}=${versions[k] ?? ""}`).join("\n"));
    versionCache.set(versions, v);
  }
  return v;
}

export function snapshotVersion(snap: MeshSnapshot): string {
  return short([...snap.proxies.keys()].sort().map((s) => `${s}:${proxyVersion(snap.proxies.get(s)!.versions)}`).join("\n"));
}

function typeSync(p: ProxyStatus, kind: ResourceKind, want: string, now: number): TypeSync | undefined {
  const acked = p.acked[kind];
  const sent = p.sent[kind];
  // A type this proxy has nothing of and was never sent (e.g. SDS without --ca) is not a row.
  if (want === "" && acked === undefined && sent === undefined) return undefined;
  const base = { type: kind, xds: XDS_NAME[kind], want, ...(acked !== undefined && { acked }), ...(sent !== undefined && { sent }) };
  if (acked === want) return { ...base, state: "SYNCED" };
  const nack = p.nacked?.[kind];
  if (nack && (sent === undefined || nack.version === sent)) {
    return { ...base, state: "NACKED", nack: { version: nack.version, message: nack.message, at: nack.at } };
  }
  if (sent !== undefined) {
    const at = p.sentAt?.[kind];
    return { ...base, state: "STALE", ...(at && { staleMs: Math.max(0, now - Date.parse(at)) }) };
  }
  return { ...base, state: "NOT SENT" };
}

export function worst<S extends ServiceState>(states: S[], none: S): S {
  return states.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), none);
}

export function buildStatus(
  snap: MeshSnapshot | undefined,
  streams: ProxyStatus[],
  o: { changedAt?: string; load?: LoadSummary | null; now?: number } = {},
): StatusReport {
  const now = o.now ?? Date.now();
  const proxies: ProxyRow[] = [];
  for (const p of streams) {
    const want = wantedProxy(snap?.proxies, p.service, p.variant);
    if (!want) continue; // between a snapshot without its service and the stream's end
    const types = PUSH_ORDER.flatMap((k) => typeSync(p, k, want.versions[k] ?? "", now) ?? []);
    proxies.push({
      service: p.service,
      node: p.node.id,
      address: p.peer,
      api: p.api,
      connectedSince: p.connectedSince,
      version: proxyVersion(want.versions),
      state: worst(types.map((t) => t.state), "SYNCED" as SyncState),
      types,
      nacks: p.nacks,
      ...(p.lastNack && { lastNackAt: p.lastNack.at }),
    });
  }
  const byService = new Map<string, ProxyRow[]>();
  for (const p of proxies) {
    const list = byService.get(p.service);
    if (list) list.push(p);
    else byService.set(p.service, [p]);
  }
  const services: ServiceRow[] = [...(snap?.proxies.keys() ?? [])].sort().map((service) => {
    const mine = byService.get(service) ?? [];
    return {
      service,
      state: mine.length ? worst(mine.map((p) => p.state as ServiceState), "SYNCED") : "NO PROXY",
      proxies: mine.length,
      version: proxyVersion(snap!.proxies.get(service)!.versions),
      nacks: mine.reduce((n, p) => n + p.nacks, 0),
    };
  });
  return {
    snapshot: snap ? { version: snapshotVersion(snap), changedAt: o.changedAt ?? new Date(now).toISOString(), services: snap.proxies.size } : null,
    services,
    proxies,
    load: o.load ?? null,
    allSynced: proxies.every((p) => p.state === "SYNCED"),
  };
}
