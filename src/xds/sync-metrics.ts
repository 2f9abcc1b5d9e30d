// Per-proxy sync state as Prometheus gauges, computed when /metrics is scraped from what the server already knows
// (every stream's ACKed versions against the snapshot it should be running):
//   meshc_proxy_acked{service,node,type}          1 when the proxy ACKed the snapshot's current version of that type
//   meshc_proxy_stale_seconds{service,node,type}  seconds since the change it has not ACKed was published (0 in sync)
// (NACKs by service and type are a counter kept where they arrive: meshc_xds_nacks_total in metrics.ts.)
// A small tracker notes when each service's per-type version changed (polled every 250 ms: publishing a snapshot
// does not call back), which is what staleness is measured from.
import { Gauge, type Registry } from "prom-client";
import type { MeshSnapshot, ResourceKind } from "../snapshot/types.js";
import type { ProxyStatus } from "./stream.js";
import { wantedProxy } from "../snapshot/variants.js";

export interface SyncSource {
  proxies(): ProxyStatus[];
  snapshot(): MeshSnapshot | undefined;
}

const KINDS: ResourceKind[] = ["cluster", "endpoint", "listener", "route", "secret"];

export interface SyncMetrics {
  /** Stops the change tracker. */
  stop(): void;
}

export function registerProxySyncMetrics(registry: Registry, source: SyncSource, now: () => number = () => Date.now()): SyncMetrics {
  /** "<service>\0<type>" -> [version, when it became the current one]. */
  const changedAt = new Map<string, [string, number]>();
  let lastSnapshot: MeshSnapshot | undefined;

  const track = () => {
    const snap = source.snapshot();
    if (snap !== lastSnapshot) {
      lastSnapshot = snap;
      const t = now();
      for (const [service, proxy] of snap?.proxies ?? []) {
        for (const [id, p] of [["", proxy] as const, ...[...(proxy.variants ?? [])].map(([k, v]) => [`@${k}`, v] as const)]) {
          for (const kind of KINDS) {
            const v = p.versions[kind] ?? "";
            const key = `${service}${id}\0${kind}`;
            if (changedAt.get(key)?.[0] !== v) changedAt.set(key, [v, t]);
          }
        }
      }
    }
  };
  const timer = setInterval(track, 250);
  timer.unref();
  track();

  const existing = registry.getSingleMetric("meshc_proxy_acked");
  if (existing) return { stop: () => clearInterval(timer) };

  type States = { labels: { service: string; node: string; type: string }; acked: boolean; stale: number }[];
  /**
   * Both gauges are collected in one scrape: the proxies' states are computed once for it (kept until the event
   * loop's next turn; a scrape collects its metrics without waiting for I/O), not once per gauge.
   */
  let scraped: States | undefined;
  const states = (): States => {
    if (scraped) return scraped;
    scraped = computeStates();
    setImmediate(() => (scraped = undefined));
    return scraped;
  };
  const computeStates = (): States => {
    track();
    const snap = source.snapshot();
    const out: States = [];
    const t = now();
    for (const p of source.proxies()) {
      const want = wantedProxy(snap?.proxies, p.service, p.variant)?.versions;
      if (!want) continue;
      for (const kind of KINDS) {
        const v = want[kind] ?? "";
        if (v === "" && p.acked[kind] === undefined) continue; // a type this proxy has nothing of
        const acked = p.acked[kind] === v;
        const since = changedAt.get(`${p.service}${p.variant ? `@${p.variant}` : ""}\0${kind}`)?.[1] ?? t;
        out.push({ labels: { service: p.service, node: p.node.id, type: kind }, acked, stale: acked ? 0 : Math.max(0, (t - since) / 1000) });
      }
    }
    return out;
  };

  new Gauge({
    name: "meshc_proxy_acked",
    help: "1 when the proxy has ACKed the current snapshot version of this resource type, else 0",
    labelNames: ["service", "node", "type"],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of states()) this.set(s.labels, s.acked ? 1 : 0);
    },
  });
  new Gauge({
    name: "meshc_proxy_stale_seconds",
    help: "Seconds since the change of this resource type that the proxy has not ACKed was published (0 when in sync)",
    labelNames: ["service", "node", "type"],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of states()) this.set(s.labels, s.stale);
    },
  });
  return { stop: () => clearInterval(timer) };
}
