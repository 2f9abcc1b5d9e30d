// Reading a running Envoy through its admin interface: counters and gauges from /stats, readiness (server LIVE,
// connected to the control plane, listeners and clusters done warming: R21) and the versions in /config_dump.
import { eventually, StopPolling, type Proc } from "./procs.js";
import { getJson, getText } from "./http.js";

/** Counters and gauges whose names match the regex `filter` (Envoy's /stats?filter=). */
export async function envoyStats(adminPort: number, filter?: string): Promise<Record<string, number>> {
  const q = filter ? `?filter=${encodeURIComponent(filter)}` : "";
  const text = await getText(adminPort, `/stats${q}`);
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const i = line.lastIndexOf(": ");
    if (i < 0) continue;
    const v = line.slice(i + 2).trim();
    if (/^\d+$/.test(v)) out[line.slice(0, i)] = Number(v);
  }
  return out;
}

export interface EnvoyReadiness {
  live: boolean;
  connected: boolean;
  warmingClusters: number;
  warmingListeners: number;
  ldsUpdates: number;
  cdsUpdates: number;
}

export async function envoyReadiness(adminPort: number): Promise<EnvoyReadiness> {
  const ready = await getText(adminPort, "/ready").catch(() => "");
  const s = await envoyStats(adminPort, "^(cluster_manager|listener_manager|control_plane)\\.");
  return {
    live: ready.trim() === "LIVE",
    connected: s["control_plane.connected_state"] === 1,
    warmingClusters: s["cluster_manager.warming_clusters"] ?? -1,
    warmingListeners: s["listener_manager.total_listeners_warming"] ?? -1,
    ldsUpdates: s["listener_manager.lds.update_success"] ?? 0,
    cdsUpdates: s["cluster_manager.cds.update_success"] ?? 0,
  };
}

/** Waits until Envoy is LIVE, connected, has taken CDS and LDS, and nothing is warming (ends early if `proc` exits). */
export async function waitEnvoyReady(adminPort: number, what: string, timeoutMs = 30_000, proc?: Proc): Promise<EnvoyReadiness> {
  let last: EnvoyReadiness | undefined;
  try {
    return await eventually(
      async () => {
        if (proc && !proc.running) throw new StopPolling(`${what} exited:\n${proc.tail(20)}`);
        last = await envoyReadiness(adminPort);
        return last.live && last.connected && last.ldsUpdates > 0 && last.cdsUpdates > 0 && last.warmingClusters === 0 && last.warmingListeners === 0 ? last : undefined;
      },
      `${what} (Envoy admin :${adminPort}) to be ready`,
      timeoutMs,
      150,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last readiness: ${JSON.stringify(last)}`);
  }
}

/** version_info of the dynamic listeners, route configurations and clusters Envoy is running. */
export async function envoyConfigVersions(adminPort: number): Promise<{ listeners: Record<string, string>; routes: Record<string, string>; clusters: Record<string, string> }> {
  const dump = await getJson<{ configs: any[] }>(adminPort, "/config_dump");
  const out = { listeners: {} as Record<string, string>, routes: {} as Record<string, string>, clusters: {} as Record<string, string> };
  for (const c of dump.configs) {
    const type = String(c["@type"]);
    if (type.endsWith("ListenersConfigDump")) for (const l of c.dynamic_listeners ?? []) out.listeners[l.name] = l.active_state?.version_info ?? "";
    if (type.endsWith("RoutesConfigDump")) for (const r of c.dynamic_route_configs ?? []) out.routes[r.route_config?.name] = r.version_info ?? "";
    if (type.endsWith("ClustersConfigDump")) for (const cl of c.dynamic_active_clusters ?? []) out.clusters[cl.cluster?.name] = cl.version_info ?? "";
  }
  return out;
}
