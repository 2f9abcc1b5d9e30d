// A real Prometheus for a test: started with a config file (from `meshc prometheus-config`), its own listen port
// and a temporary TSDB, and queried through its HTTP API (/api/v1/query), as an operator's dashboards would.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getJson, getText } from "./http.js";
import { eventually, StopPolling, type Proc, type Procs } from "./procs.js";

export interface PrometheusServer {
  proc: Proc;
  port: number;
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Targets by scrape URL with their health ("up", "down", "unknown"). */
  targets(): Promise<Record<string, string>>;
}

export async function startPrometheus(procs: Procs, o: { bin: string; dir: string; port: number; configYaml: string }): Promise<PrometheusServer> {
  const config = join(o.dir, "prometheus.yml");
  writeFileSync(config, o.configYaml);
  const data = join(o.dir, "prometheus-data");
  mkdirSync(data, { recursive: true });
  const proc = procs.start({
    name: "prometheus",
    cmd: o.bin,
    args: [`--config.file=${config}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${o.port}`, "--log.level=warn"],
  });
  await eventually(
    async () => {
      if (!proc.running) throw new StopPolling(`prometheus exited:\n${proc.tail(20)}`);
      return (await getText(o.port, "/-/ready", 2000)).includes("Ready");
    },
    `Prometheus on :${o.port} to be ready`,
    30_000,
    200,
  );
  return {
    proc,
    port: o.port,
    async query(promql) {
      const r = await getJson<{ status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(
        o.port,
        `/api/v1/query?query=${encodeURIComponent(promql)}`,
      );
      if (r.status !== "success") throw new Error(`query failed: ${JSON.stringify(r)}`);
      return r.data.result;
    },
    async targets() {
      const r = await getJson<{ data: { activeTargets: { scrapeUrl: string; health: string }[] } }>(o.port, "/api/v1/targets");
      return Object.fromEntries(r.data.activeTargets.map((t) => [t.scrapeUrl, t.health]));
    },
  };
}
