// `meshc prometheus-config`: a Prometheus configuration that scrapes every sidecar's metrics endpoint (telemetry
// metrics: <instance address>:<metrics port>/stats/prometheus, one target per distinct address) and `meshc serve`'s
// /metrics. Targets carry `mesh` and `sidecar` labels (not `service`, which Envoy's own labels could shadow).
// Gateways serve their metrics like sidecars. Deterministic: services and targets are sorted. Proxyless clients have
// no sidecar and are left out (MESH0605), as are services no meshc proxy runs for (mesh.external, nonMesh), whose
// addresses would otherwise be listed with the mesh-wide metrics port.
import type { MeshIR } from "../../ir/types.js";

export interface ScrapeConfigOptions {
  /** host:port of `meshc serve --admin`; omitted means no job for the control plane. */
  serve?: string;
  /** Prometheus duration, e.g. "15s". */
  scrapeInterval: string;
}

export interface StaticConfig {
  targets: string[];
  labels: Record<string, string>;
}

export interface ScrapeJob {
  job_name: string;
  metrics_path: string;
  static_configs: StaticConfig[];
}

export interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  scrape_configs: ScrapeJob[];
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

export function sidecarTargets(ir: MeshIR): StaticConfig[] {
  const out: StaticConfig[] = [];
  for (const s of [...ir.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const m = s.telemetry?.metrics;
    // Only proxies meshc runs serve metrics: sidecars and gateways, not proxyless clients, external or nonMesh services.
    if (!m || s.proxyless || s.nonMesh) continue;
    const hosts = s.instances.kind === "dns" ? [s.instances.hostname] : s.instances.endpoints.map((e) => e.address);
    const targets = [...new Set(hosts.map((h) => hostPort(h, m.port)))].sort();
    if (targets.length) out.push({ targets, labels: { mesh: ir.name, sidecar: s.name } });
  }
  return out;
}

export function prometheusConfig(ir: MeshIR, o: ScrapeConfigOptions): PrometheusConfig {
  const jobs: ScrapeJob[] = [];
  if (o.serve) jobs.push({ job_name: "meshc-serve", metrics_path: "/metrics", static_configs: [{ targets: [o.serve], labels: { mesh: ir.name } }] });
  jobs.push({ job_name: "meshc-sidecars", metrics_path: "/stats/prometheus", static_configs: sidecarTargets(ir) });
  return { global: { scrape_interval: o.scrapeInterval, evaluation_interval: o.scrapeInterval }, scrape_configs: jobs };
}
