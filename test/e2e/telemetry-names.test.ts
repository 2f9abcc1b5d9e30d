// End-to-end telemetry of gateways and the labels Envoy derives from meshc's names, one real Envoy at a time
// (static bootstraps, `meshc bootstrap --static`):
//   - an ingress gateway gets the mesh-wide telemetry like a sidecar: an access-log line (direction "ingress") for a
//     request through it, a span from its listener, and a Prometheus endpoint at the address
//     `meshc prometheus-config` lists for it;
//   - on a sidecar's /stats/prometheus: an OTLP collector given as "host:port" and a subset with a "." keep their
//     whole cluster name in envoy_cluster_name (Envoy's default tag ends a cluster name at its first "."); the `route`
//     label is the route's name, dots included, and routes "check.out" and "check_out" stay apart; the egress route
//     stats docs/dsl.md promises exist; the access log still names the cluster itself (`outbound|…|v1.2|api`).
// Ports 30400-30459.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { getText, send } from "./lib/http.js";
import { startOtlpReceiver } from "./lib/otlp-receiver.js";
import { eventually, runMeshc, StopPolling, type Procs } from "./lib/procs.js";
import { scrape, sumBy } from "./lib/prom-text.js";
import { inWorkspace } from "./lib/workspace.js";

const P = {
  otlp: 30400,
  api: { inbound: 30410, app: 30411, admin: 30412, outbound: 30413, metrics: 30414 },
  edge: { listener: 30420, admin: 30422, metrics: 30424 },
  web: { inbound: 30430, app: 30431, admin: 30432, outbound: 30433, metrics: 30434 },
};

function meshSource(accessLog: string): string {
  const sc = (s: { admin: number; outbound: number }) => `sidecar: { adminPort: ${s.admin}, outboundPort: ${s.outbound}, inboundAddress: "127.0.0.1" }`;
  return `import { defineMesh, http } from "meshc";

export default defineMesh(
  {
    name: "tn", trustDomain: "tn.example", egress: "registry-only",
    telemetry: {
      accessLog: { format: "json", to: { file: ${JSON.stringify(accessLog)} } },
      metrics: { port: ${P.web.metrics} },
      tracing: { collector: "127.0.0.1:${P.otlp}" },
    },
  },
  (mesh) => {
    // No app runs behind api: every request to it is a 503 (UF), which must be logged and counted all the same.
    const api = mesh.service("api", {
      ports: { http: http(${P.api.inbound}, { app: ${P.api.app} }) },
      instances: [{ address: "127.0.0.1", labels: { version: "v1.2" } }, { address: "127.0.0.2", labels: { version: "v1.3" } }],
      subsets: { "v1.2": { version: "v1.2" }, "v1.3": { version: "v1.3" } },
      ${sc(P.api)},
    });
    mesh.telemetry(api, { metrics: { port: ${P.api.metrics} } });
    const web = mesh.service("web", { ports: { http: http(${P.web.inbound}, { app: ${P.web.app} }) }, instances: ["127.0.0.1:${P.web.inbound}"], calls: [api], ${sc(P.web)} });
    mesh.routes(api, (r) => [
      r.match({ path: { prefix: "/v12" } }).to(api.subset("v1.2")).named("check.out"),
      r.match({ path: { prefix: "/v13" } }).to(api.subset("v1.3")).named("check_out"),
      r.match().to(api).named("api-all"),
    ]);
    const edge = mesh.gateway("edge", {
      listeners: [{ port: ${P.edge.listener}, protocol: "http", hosts: ["shop.example"] }],
      instances: [{ address: "127.0.0.1" }],
      sidecar: { adminPort: ${P.edge.admin}, inboundAddress: "127.0.0.1" },
    });
    mesh.routes(edge, (r) => [r.match().to(api).named("shop.all")]);
    mesh.telemetry(edge, { metrics: { port: ${P.edge.metrics} } });
  },
);
`;
}

/** `meshc bootstrap --static` for `service`, run by a real Envoy; resolves once it is ready. */
async function startStatic(procs: Procs, envoy: string, dir: string, mesh: string, service: string, admin: number): Promise<void> {
  const b = await runMeshc(["bootstrap", mesh, "--service", service, "--static"]);
  assert.equal(b.status, 0, b.stderr);
  const file = join(dir, `${service}.yaml`);
  writeFileSync(file, b.stdout);
  const proc = procs.start({ name: `envoy-${service}`, cmd: envoy, args: ["-c", file, "--concurrency", "1", "--use-dynamic-base-id", "--log-level", "warn"] });
  // A static bootstrap has no xDS connection to wait for: ready is LIVE.
  await eventually(async () => {
    if (!proc.running) throw new StopPolling(`envoy ${service} exited:\n${proc.tail(20)}`);
    return (await getText(admin, "/ready", 2000).catch(() => "")).includes("LIVE");
  }, `envoy ${service} (admin :${admin}) to be LIVE`, 30_000, 200);
}

test("e2e telemetry: a gateway logs, traces and serves metrics where prometheus-config says", { timeout: 90_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-telemetry-gw-", async ({ dir, procs, closeLater }) => {
    const accessLog = join(dir, "access.log");
    const mesh = join(dir, "mesh.ts");
    writeFileSync(mesh, meshSource(accessLog));
    const otlp = closeLater(await startOtlpReceiver(P.otlp));
    await startStatic(procs, envoy, dir, mesh, "edge", P.edge.admin);

    const r = await send({ port: P.edge.listener, host: "shop.example", path: "/buy", headers: { "x-test": "gw-1" }, timeoutMs: 10_000 });
    assert.equal(r.status, 503, r.body);

    // The access log: one line for the request, as the gateway saw it.
    const line = await eventually(() => (existsSync(accessLog) ? readFileSync(accessLog, "utf8").split("\n").filter(Boolean)[0] : undefined), "the gateway's access-log line", 15_000, 200);
    const e = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(
      { direction: e.direction, source_service: e.source_service, destination_service: e.destination_service, path: e.path, response_code: e.response_code, response_flags: e.response_flags, route: e.route, upstream_cluster: e.upstream_cluster },
      { direction: "ingress", source_service: "-", destination_service: "api", path: "/buy", response_code: 503, response_flags: "UF", route: "shop.all", upstream_cluster: `outbound|${P.api.inbound}||api` },
    );

    // Its Prometheus endpoint is where `meshc prometheus-config` says, and counts that request.
    const cfg = await runMeshc(["prometheus-config", mesh]);
    assert.equal(cfg.status, 0, cfg.stderr);
    const target = new RegExp(`- (\\S+)\\n\\s+labels:\\n\\s+mesh: tn\\n\\s+sidecar: edge`).exec(cfg.stdout)?.[1];
    assert.equal(target, `127.0.0.1:${P.edge.metrics}`, cfg.stdout);
    const samples = await scrape(P.edge.metrics);
    const byCluster = sumBy(samples, "envoy_cluster_upstream_rq", "envoy_cluster_name", (l) => l.source_service === "edge" && l.response_code === "503");
    assert.deepEqual(byCluster, { [`outbound|${P.api.inbound}||api`]: 1 });

    // A span from the gateway's listener, named after the route.
    const span = await eventually(() => otlp.spans.find((s) => s.service === "edge"), "a span from the gateway (Envoy flushes every 5 s)", 20_000, 250);
    assert.equal(span.name, "shop.all");
    assert.equal(span.attributes.route, "shop.all");
  });
});

test("e2e telemetry: envoy_cluster_name and route labels keep meshc's names; egress route stats exist", { timeout: 90_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-telemetry-names-", async ({ dir, procs }) => {
    const mesh = join(dir, "mesh.ts");
    const accessLog = join(dir, "access.log");
    writeFileSync(mesh, meshSource(accessLog));
    await startStatic(procs, envoy, dir, mesh, "web", P.web.admin);

    const via = (host: string, path: string) => send({ port: P.web.outbound, host, path, timeoutMs: 10_000 });
    for (const path of ["/v12", "/v13", "/v13", "/"]) assert.equal((await via(`api:${P.api.inbound}`, path)).status, 503);
    assert.equal((await via("undeclared.example", "/")).status, 502);

    const samples = await scrape(P.web.metrics);
    // No metric family is named after a piece of a cluster name (envoy_cluster_0_0_1_<port>_upstream_rq…).
    assert.deepEqual([...new Set(samples.map((s) => s.name).filter((n) => /_0_0_1_|_v1_|_2_api|_3_api/.test(n)))], []);
    const clusters = new Set(samples.filter((s) => s.name === "envoy_cluster_upstream_cx_total").map((s) => s.labels.envoy_cluster_name));
    for (const c of [`otlp|127_0_0_1|${P.otlp}`, `outbound|${P.api.inbound}|v1_2|api`, `outbound|${P.api.inbound}|v1_3|api`, `outbound|${P.api.inbound}||api`]) {
      assert.ok(clusters.has(c), `envoy_cluster_name="${c}" among ${JSON.stringify([...clusters])}`);
    }
    const bySubset = sumBy(samples, "envoy_cluster_upstream_rq", "envoy_cluster_name", (l) => l.destination_service === "api" && l.response_code === "503");
    assert.deepEqual(bySubset, { [`outbound|${P.api.inbound}|v1_2|api`]: 1, [`outbound|${P.api.inbound}|v1_3|api`]: 2, [`outbound|${P.api.inbound}||api`]: 1 });

    // The route label is the route's name (as in access logs and spans); dotted and underscored names stay apart.
    const byRoute = sumBy(samples, "envoy_vhost_route_upstream_rq_completed", "route", (l) => l.source_service === "web");
    assert.deepEqual(byRoute, { "check.out": 1, check_out: 2, "api-all": 1, "egress-blocked": 1 });

    // docs/dsl.md (Egress): registry-only blocks are counted in vhost.egress.route.egress-blocked.*.
    const stats = await (await fetch(`http://127.0.0.1:${P.web.admin}/stats?filter=^vhost\\.egress\\.`)).text();
    assert.match(stats, /^vhost\.egress\.route\.egress-blocked\.upstream_rq_503: 1$/m, stats);

    // The access log names the cluster itself, not the name its stats go by.
    const line = await eventually(() => (existsSync(accessLog) ? readFileSync(accessLog, "utf8").split("\n").find((l) => l.includes('"path":"/v12"')) : undefined), "web's access-log line for /v12", 15_000, 200);
    assert.equal((JSON.parse(line) as { upstream_cluster: string }).upstream_cluster, `outbound|${P.api.inbound}|v1.2|api`);
  });
});
