// `meshc prometheus-config`'s scrape configuration (issue 10): one target per distinct sidecar address on its
// metrics port, labelled with mesh and sidecar; services without metrics and proxyless clients are left out.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { prometheusConfig } from "../../src/backends/prometheus/scrape-config.js";
import { mesh, service, endpoint } from "../analysis/ir-fixtures.js";

test("targets per sidecar on its metrics port, meshc serve as its own job", () => {
  const metrics = (port: number) => ({ metrics: { port, path: "/stats/prometheus" } });
  const ir = mesh(
    service("web", { telemetry: metrics(15090), instances: { kind: "static", endpoints: [endpoint("10.0.0.2"), endpoint("10.0.0.1"), endpoint("10.0.0.1", 9090)] } }),
    service("api", { telemetry: metrics(15099), instances: { kind: "dns", hostname: "api.internal", port: 8080, ports: { web: 8080 } } }),
    service("cli", { proxyless: true, telemetry: metrics(15090) }),
    // No meshc proxy runs for these: nothing serves their metrics port (mesh-wide metrics reach their IR too).
    service("geo", { nonMesh: true, telemetry: metrics(15090), instances: { kind: "static", endpoints: [endpoint("203.0.113.7")] } }),
    service("db"),
  );
  const cfg = prometheusConfig(ir, { serve: "127.0.0.1:18001", scrapeInterval: "5s" });
  assert.deepEqual(cfg.global, { scrape_interval: "5s", evaluation_interval: "5s" });
  assert.deepEqual(cfg.scrape_configs[0], { job_name: "meshc-serve", metrics_path: "/metrics", static_configs: [{ targets: ["127.0.0.1:18001"], labels: { mesh: "test" } }] });
  assert.deepEqual(cfg.scrape_configs[1], {
    job_name: "meshc-sidecars",
    metrics_path: "/stats/prometheus",
    static_configs: [
      { targets: ["api.internal:15099"], labels: { mesh: "test", sidecar: "api" } },
      { targets: ["10.0.0.1:15090", "10.0.0.2:15090"], labels: { mesh: "test", sidecar: "web" } },
    ],
  });
  assert.equal(prometheusConfig(ir, { scrapeInterval: "15s" }).scrape_configs.length, 1, "no serve job without --serve");
});

test("a malformed --scrape-interval or --serve is a usage error (exit 2, one line), not an internal error", () => {
  const cli = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");
  const mesh = join(import.meta.dirname, "..", "..", "examples", "shop", "mesh.ts");
  for (const [flag, value, says] of [["--scrape-interval", "bogus", /--scrape-interval: expected a Prometheus duration/], ["--serve", "nonsense", /--serve: expected host:port/]] as const) {
    const r = spawnSync(process.execPath, ["--import", "tsx", cli, "prometheus-config", mesh, flag, value], { encoding: "utf8" });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, says);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  }
});
