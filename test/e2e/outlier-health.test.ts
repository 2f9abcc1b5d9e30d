// End-to-end: outlier detection and active health checks on a real Envoy, from `meshc bootstrap --static` (one
// Envoy, small in-process upstreams, short intervals). What docs/dsl.md promises:
// - a host failing as configured is ejected even in a pool of 3 (Envoy's 10 % cap alone would never eject one);
// - outlierDetection without consecutive5xx ejects after 5 consecutive 5xx (the documented default);
// - health checks run at their interval before the upstream has had traffic (Envoy's own no-traffic interval is
//   60 s), and when every host fails them callers get 503 "no healthy upstream" (UH), not the failing hosts;
// - an external service is health-checked with its declared host as Host.
// The waits below are bounds far above the configured intervals (500 ms), not timings under test.
// Ports 24000-24499.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { envoySkipReason, envoyPath } from "../helpers/envoy.js";
import { envoyStats } from "./lib/envoy-admin.js";
import { getText, send } from "./lib/http.js";
import { eventually, Procs, runMeshc } from "./lib/procs.js";

const P = { inbound: 24000, app: 24090, admin: 24010, outbound: 24011, few: 24100, dflt: 24200, checked: 24300, partner: 24400 };
const PARTNER_HOST = "api.partner.test";
const hosts = (base: number, n: number) => Array.from({ length: n }, (_, i) => base + 1 + i);

const MESH = `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "rel", trustDomain: "rel.local" }, (mesh) => {
  const pool = (name: string, base: number, n: number) =>
    mesh.service(name, {
      ports: { web: http(base, { app: base + 90 }) },
      nonMesh: true,
      instances: Array.from({ length: n }, (_, i) => ({ address: "127.0.0.1", ports: { web: base + 1 + i } })),
    });
  const few = pool("few", ${P.few}, 3);
  const dflt = pool("dflt", ${P.dflt}, 3);
  const checked = pool("checked", ${P.checked}, 3);
  const partner = mesh.external("partner", {
    hosts: ["${PARTNER_HOST}"],
    ports: { api: http(${P.partner}) },
    resolution: "static",
    endpoints: ${JSON.stringify(hosts(P.partner, 2).map((p) => ({ address: "127.0.0.1", ports: { api: p } })))},
  });
  mesh.service("web", {
    ports: { web: http(${P.inbound}, { app: ${P.app} }) },
    instances: ["127.0.0.1:${P.inbound}"],
    calls: [few, dflt, checked, partner],
    sidecar: { inboundAddress: "127.0.0.1", adminPort: ${P.admin}, outboundPort: ${P.outbound} },
  });
  // maxEjectionPercent unset: Envoy's 10 %, which one host of 3 already exceeds.
  mesh.policy(few, { outlierDetection: { consecutive5xx: 2, interval: "500ms", baseEjection: "60s" } });
  // consecutive5xx unset: the documented default, 5.
  mesh.policy(dflt, { outlierDetection: { interval: "500ms", baseEjection: "60s", maxEjectionPercent: 100 } });
  const hc = { http: "/healthz", interval: "500ms", timeout: "250ms", healthy: 1, unhealthy: 1 } as const;
  mesh.policy(checked, { healthCheck: hc });
  mesh.policy(partner, { healthCheck: hc });
});
`;

/** A small upstream: answers with its port; /healthz per `hc`; optionally only for one Host (a virtual-hosted API). */
interface Upstream {
  port: number;
  mode: "ok" | "500";
  hc: "ok" | "fail";
  requireHost?: string;
  hits: number;
  hcHosts: string[];
  server: Server;
}

function startUpstream(port: number, requireHost?: string): Promise<Upstream> {
  const u: Upstream = { port, mode: "ok", hc: "ok", requireHost, hits: 0, hcHosts: [], server: undefined as unknown as Server };
  u.server = createServer((req, res) => {
    const host = req.headers.host ?? "";
    if (req.url === "/healthz") {
      u.hcHosts.push(host);
      res.statusCode = u.requireHost && host !== u.requireHost ? 421 : u.hc === "ok" ? 200 : 503;
      res.end();
      return;
    }
    u.hits++;
    res.statusCode = u.mode === "500" ? 500 : 200;
    res.setHeader("x-port", String(port));
    res.end(`port ${port} ${u.mode}\n`);
  });
  return new Promise((resolve, reject) => {
    u.server.once("error", reject);
    u.server.listen(port, "127.0.0.1", () => resolve(u));
  });
}

/** health_flags of each host of a cluster, from Envoy's /clusters ("healthy" or "/failed_active_hc/…"). */
async function healthFlags(cluster: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await getText(P.admin, "/clusters")).split("\n")) {
    const m = /^(.+?)::(.+?)::health_flags::(.*)$/.exec(line);
    if (m && m[1] === cluster) out[m[2]!] = m[3]!;
  }
  return out;
}

/** The non-zero counters matching `filter`, for a failure message. */
async function nonZero(filter: string): Promise<string> {
  return JSON.stringify(Object.fromEntries(Object.entries(await envoyStats(P.admin, filter)).filter(([, v]) => v !== 0)));
}

const via = (host: string) => send({ port: P.outbound, host, path: "/x", timeoutMs: 5000 });
async function calls(host: string, n: number) {
  const replies = [];
  for (let i = 0; i < n; i++) replies.push(await via(host));
  return replies;
}

/**
 * Waits until `bad` gets no more calls to `host` (a round of 3 all 200, none reaching it). Envoy merges host health
 * changes for up to 1 s (update_merge_window) before its workers see them, so the first calls after an ejection
 * shown on /clusters may still reach the host.
 */
async function untilAvoided(host: string, bad: Upstream): Promise<void> {
  await eventually(async () => {
    const before = bad.hits;
    const rs = await calls(host, 3);
    return rs.every((r) => r.status === 200) && bad.hits === before;
  }, `calls to ${host} to avoid :${bad.port}`, 10_000, 100);
}

describe("e2e: outlier detection and health checks on a real Envoy", { skip: envoySkipReason(), timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "meshc-e2e-outlier-"));
  const procs = new Procs(dir);
  const up = new Map<number, Upstream>();
  let passed = 0;

  before(async () => {
    for (const base of [P.few, P.dflt, P.checked]) for (const p of hosts(base, 3)) up.set(p, await startUpstream(p));
    for (const p of hosts(P.partner, 2)) up.set(p, await startUpstream(p, PARTNER_HOST));
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    const boot = join(dir, "web.json");
    const r = await runMeshc(["bootstrap", meshPath, "--service", "web", "--static", "--out", boot]);
    assert.equal(r.status, 0, r.stderr);
    const envoy = procs.start({
      name: "envoy-web",
      cmd: envoyPath(),
      args: ["-c", boot, "--concurrency", "1", "--use-dynamic-base-id", "--disable-hot-restart", "--log-level", "warn"],
    });
    await eventually(async () => {
      if (!envoy.running) throw new Error(`envoy exited:\n${envoy.tail(20)}`);
      return (await getText(P.admin, "/ready")).trim() === "LIVE";
    }, "Envoy to be LIVE", 30_000, 150);
  });

  after(async () => {
    await procs.stopAll();
    await Promise.all([...up.values()].map((u) => new Promise<void>((r) => u.server.close(() => r()))));
    if (passed === 4) rmSync(dir, { recursive: true, force: true });
    else console.error(`outlier-health e2e: logs kept in ${dir}\n${procs.tails()}`);
  });

  test("an external service is health-checked with its declared host, so its hosts are healthy", async () => {
    const cluster = `outbound|${P.partner}||partner`;
    for (const p of hosts(P.partner, 2)) await eventually(() => up.get(p)!.hcHosts.length > 0, `a health check of :${p}`, 10_000);
    for (const p of hosts(P.partner, 2)) assert.deepEqual([...new Set(up.get(p)!.hcHosts)], [PARTNER_HOST], `Host of the checks of :${p}`);
    const flags = await healthFlags(cluster);
    assert.deepEqual(flags, { "127.0.0.1:24401": "healthy", "127.0.0.1:24402": "healthy" });
    const r = await via(PARTNER_HOST);
    assert.equal(r.status, 200, `${r.status} ${r.body}`);
    passed++;
  });

  test("a host failing consecutive5xx is ejected from a pool of 3 with maxEjectionPercent unset", async () => {
    const cluster = `outbound|${P.few}||few`;
    const bad = up.get(P.few + 1)!;
    bad.mode = "500";
    await calls("few", 12); // round robin (one worker): the bad host gets 4 in a row
    const stats = await eventually(async () => {
      const s = await envoyStats(P.admin, `^cluster\\.outbound\\|${P.few}\\|\\|few\\.outlier_detection\\.`);
      return (s[`cluster.${cluster}.outlier_detection.ejections_enforced_total`] ?? 0) >= 1 ? s : undefined;
    }, "an enforced ejection", 10_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}; ${await nonZero(`few\\.outlier_detection`)}`);
    });
    assert.equal(stats[`cluster.${cluster}.outlier_detection.ejections_active`], 1);
    assert.match((await healthFlags(cluster))[`127.0.0.1:${bad.port}`] ?? "", /failed_outlier_check/);
    await untilAvoided("few", bad);
    const hitsBefore = bad.hits;
    const after = await calls("few", 9);
    assert.deepEqual([...new Set(after.map((r) => r.status))], [200], "the ejected host gets no calls");
    assert.equal(bad.hits, hitsBefore);
    passed++;
  });

  test("outlierDetection without consecutive5xx ejects after 5 consecutive 5xx (the documented default)", async () => {
    const cluster = `outbound|${P.dflt}||dflt`;
    const bad = up.get(P.dflt + 1)!;
    bad.mode = "500";
    await calls("dflt", 18); // the bad host gets 6 in a row
    await eventually(async () => {
      const s = await envoyStats(P.admin, `^cluster\\.outbound\\|${P.dflt}\\|\\|dflt\\.outlier_detection\\.`);
      return (s[`cluster.${cluster}.outlier_detection.ejections_enforced_consecutive_5xx`] ?? 0) >= 1;
    }, "an enforced consecutive-5xx ejection", 10_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}; ${await nonZero(`dflt\\.outlier_detection`)}`);
    });
    assert.match((await healthFlags(cluster))[`127.0.0.1:${bad.port}`] ?? "", /failed_outlier_check/);
    await untilAvoided("dflt", bad);
    const hitsBefore = bad.hits;
    const after = await calls("dflt", 9);
    assert.deepEqual([...new Set(after.map((r) => r.status))], [200]);
    assert.equal(bad.hits, hitsBefore);
    passed++;
  });

  test("health checks run at their interval before any traffic, and with every host failing callers get 503 UH", async () => {
    const cluster = `outbound|${P.checked}||checked`;
    const pool = hosts(P.checked, 3).map((p) => up.get(p)!);
    assert.deepEqual(new Set(Object.values(await healthFlags(cluster))), new Set(["healthy"]), "healthy at start");
    // No request has gone to `checked` yet: Envoy's no-traffic interval (60 s by default) would apply.
    for (const u of pool) u.hc = "fail";
    await eventually(async () => {
      const flags = Object.values(await healthFlags(cluster));
      return flags.length === 3 && flags.every((f) => f.includes("failed_active_hc"));
    }, "every host of checked to be marked failed_active_hc", 15_000, 200);
    // Without panic mode the failing hosts leave the load balancer (after Envoy's merge window, see untilAvoided).
    await eventually(async () => (await via("checked")).status === 503, "calls to checked to get 503", 10_000, 100);
    const hitsBefore = pool.reduce((n, u) => n + u.hits, 0);
    const replies = await calls("checked", 6);
    for (const r of replies) {
      assert.equal(r.status, 503, `${r.status} ${r.body}`);
      assert.equal(r.body, "no healthy upstream");
    }
    assert.equal(pool.reduce((n, u) => n + u.hits, 0), hitsBefore, "no call reached a host failing its health checks");
    const s = await envoyStats(P.admin, `^cluster\\.outbound\\|${P.checked}\\|\\|checked\\.(upstream_cx_none_healthy|lb_healthy_panic)$`);
    assert.ok((s[`cluster.${cluster}.upstream_cx_none_healthy`] ?? 0) >= 6, JSON.stringify(s));
    assert.equal(s[`cluster.${cluster}.lb_healthy_panic`] ?? 0, 0);
    passed++;
  });
});
