// `npm run demo`: the bundled mesh (examples/demo/mesh.ts) working on this machine, in about half a minute.
// Builds meshc if needed, starts `meshc serve` on a working copy of the mesh, the demo apps, and an Envoy sidecar
// per service (`meshc run`); sends traffic in rounds through the frontend sidecar and prints what happened
// (successes, the observed split against the configured one, failures that retries turned into successes);
// then edits the working copy (echo split 90/10 -> 50/50) and shows traffic moving without a restart. Stops
// everything and exits 0. Without Envoy it still runs `meshc serve` and prints what it would push.
// Child processes log to .tmp/demo/logs/ (printed); nothing else is written.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { findEnvoy, isEnvoyMissing } from "../src/runtime/envoy-binary.js";
import { startHttpApp, type HttpApp } from "../test/apps/http-app.js";
import { envoyStats, waitEnvoyReady } from "../test/e2e/lib/envoy-admin.js";
import { getJson, sendMany, tally, trafficLoop, type Tally } from "../test/e2e/lib/http.js";
import { snapshotVersions, startServe, startSidecar, waitConverged, waitServeReady } from "../test/e2e/lib/meshc.js";
import { eventually, freshDistCli, meshcCommand, Procs, REPO_ROOT } from "../test/e2e/lib/procs.js";
import { quantile, scrape, sumBy } from "../test/e2e/lib/prom-text.js";

// The ports documented in examples/demo/mesh.ts.
const PORTS = {
  xds: 16100,
  admin: 16101,
  frontend: { admin: 16112, outbound: 16113, metrics: 16114 },
  echo: { admin: 16122, v1App: 16121, v2App: 16131, metrics: 16124 },
  flaky: { inbound: 16140, admin: 16142, app: 16141, metrics: 16144 },
};
const SIDECARS = ["frontend", "echo", "flaky"] as const;
const FLAKY_FAIL_EVERY = 4;
const ECHO_PER_ROUND = 300;
const FLAKY_PER_ROUND = 100;
const WATCHDOG_MS = 120_000;

const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const green = (s: string) => (tty ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s: string) => (tty ? `\x1b[31m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const say = (s = "") => process.stdout.write(`${s}\n`);
const rel = (p: string) => relative(process.cwd(), p) || p;
const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

const demoDir = join(REPO_ROOT, ".tmp", "demo");
const logDir = join(demoDir, "logs");
const meshPath = join(demoDir, "mesh.ts");
const procs = new Procs(logDir);
const apps: HttpApp[] = [];

async function stopAll(): Promise<void> {
  await procs.stopAll();
  await Promise.all(apps.map((a) => a.close()));
}

async function step<T>(label: string, f: () => Promise<T>, done: (v: T) => string = () => "done"): Promise<T> {
  process.stdout.write(`${label} ... `);
  const t0 = performance.now();
  const v = await f();
  say(`${done(v)} ${dim(`(${secs(t0)})`)}`);
  return v;
}

/** Every port examples/demo/mesh.ts uses; a leftover demo (or anything else) on one of them would confuse it. */
const ALL_PORTS = [16100, 16101, 16110, 16112, 16113, 16114, 16120, 16121, 16122, 16123, 16124, 16130, 16131, 16140, 16141, 16142, 16143, 16144];

async function busyPorts(): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ALL_PORTS) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (!free) busy.push(port);
  }
  return busy;
}

/** Builds dist/ when it is missing or older than src/ (what `npm run build` does). */
function buildIfNeeded(): void {
  if (process.env.MESHC_CLI === "tsx" || freshDistCli()) return;
  process.stdout.write("building meshc (dist/cli.js is missing or older than src/) ... ");
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "scripts", "build.mjs")], { cwd: REPO_ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
  say("done");
}

/** The echo split written in the mesh: [v1, v2] percentages. */
function configuredSplit(source: string): [number, number] {
  const v1 = /\[echo\.subset\("v1"\),\s*(\d+)\]/.exec(source);
  const v2 = /\[echo\.subset\("v2"\),\s*(\d+)\]/.exec(source);
  if (!v1 || !v2) throw new Error(`cannot find the echo split ([echo.subset("v1"), N], [echo.subset("v2"), M]) in ${meshPath}`);
  return [Number(v1[1]), Number(v2[1])];
}

function setSplit(source: string, v1: number, v2: number): string {
  return source.replace(/(\[echo\.subset\("v1"\),\s*)\d+\]/, `$1${v1}]`).replace(/(\[echo\.subset\("v2"\),\s*)\d+\]/, `$1${v2}]`);
}

const pct = (n: number, total: number) => `${((100 * n) / Math.max(1, total)).toFixed(1).padStart(5)} %`;

function retryCluster(): string {
  return `cluster.outbound|${PORTS.flaky.inbound}||flaky.`;
}

async function retryStats(): Promise<{ retries: number; succeeded: number }> {
  const c = retryCluster();
  const s = await envoyStats(PORTS.frontend.admin, `^${c.replace(/[|.]/g, "\\$&")}upstream_rq_retry`);
  return { retries: s[`${c}upstream_rq_retry`] ?? 0, succeeded: s[`${c}upstream_rq_retry_success`] ?? 0 };
}

const viaFrontend = (host: string, path: string) => ({ port: PORTS.frontend.outbound, host, path, timeoutMs: 10_000 });

let totals = { sent: 0, failed: 0 };

interface RoundOptions {
  title: string;
  /** The configured echo split, [v1, v2] percent, or a note when a header picks the version. */
  configured: string;
  headers?: Record<string, string>;
}

async function round(o: RoundOptions): Promise<void> {
  const flakyApp = apps[2]!;
  const flakyBefore = flakyApp.stats();
  const retryBefore = await retryStats();
  if (tty) process.stdout.write(dim(`  sending ${ECHO_PER_ROUND} requests to echo and ${FLAKY_PER_ROUND} to flaky …\r`));
  const [echo, flaky] = await Promise.all([
    sendMany(ECHO_PER_ROUND, 6, (i) => ({ ...viaFrontend("echo", `/hello/${i}`), headers: o.headers ?? {} })).then(tally),
    sendMany(FLAKY_PER_ROUND, 2, (i) => viaFrontend("flaky", `/stock/${i}`)).then(tally),
  ]);
  const retryAfter = await retryStats();
  const flakyAfter = flakyApp.stats();
  totals = { sent: totals.sent + echo.total + flaky.total, failed: totals.failed + echo.failed + flaky.failed };

  const tries = flakyAfter.requests - flakyBefore.requests;
  const appFailures = flakyAfter.failures - flakyBefore.failures;
  const retries = retryAfter.retries - retryBefore.retries;
  const saved = retryAfter.succeeded - retryBefore.succeeded;
  const okCell = (t: Tally) => String(t.ok).padStart(5);
  const failCell = (t: Tally) => (t.failed ? red : green)(String(t.failed).padStart(6));
  if (tty) process.stdout.write("\x1b[2K"); // clear the progress line
  say();
  say(bold(o.title));
  say(dim("  calls              sent     ok  failed   observed                 configured"));
  say(
    `  frontend → echo   ${String(echo.total).padStart(5)}  ${okCell(echo)}  ${failCell(echo)}   ` +
      `v1 ${pct(echo.byVersion.v1 ?? 0, echo.ok)}  v2 ${pct(echo.byVersion.v2 ?? 0, echo.ok)}   ${o.configured}`,
  );
  say(`  frontend → flaky  ${String(flaky.total).padStart(5)}  ${okCell(flaky)}  ${failCell(flaky)}   retries on 5xx, up to 3`);
  say(
    `  retries: flaky's app answered 503 to ${appFailures} of ${tries} tries; the frontend sidecar retried ${retries} times, and ` +
      `${green(`${saved} requests that had failed succeeded on a retry`)} ${dim("(Envoy's upstream_rq_retry_success)")}`,
  );
}

/** One line per route of a RouteConfiguration (as /debug/snapshot renders it): match -> action. */
function describeRoutes(rc: any): string[] {
  const out: string[] = [];
  for (const vh of rc.virtual_hosts ?? []) {
    for (const r of vh.routes ?? []) {
      const m = r.match ?? {};
      const cond = [m.prefix !== undefined && `prefix ${m.prefix}`, m.path && `path ${m.path}`, ...(m.headers ?? []).map((h: any) => `header ${h.name}`)].filter(Boolean).join(", ");
      const a = r.route;
      const action = a?.cluster ?? (a?.weighted_clusters?.clusters ?? []).map((c: any) => `${c.name} ${c.weight}%`).join(" + ") ?? (r.direct_response ? `respond ${r.direct_response.status}` : "?");
      out.push(`Host ${vh.domains?.[0]}${cond ? ` (${cond})` : ""} -> ${action || "?"}${a?.retry_policy ? `, retries: ${a.retry_policy.retry_on} x${a.retry_policy.num_retries}` : ""}`);
    }
  }
  return out;
}

async function noEnvoy(hint: string): Promise<void> {
  const serve = startServe(procs, { mesh: meshPath, xdsPort: PORTS.xds, adminPort: PORTS.admin });
  await step(`starting meshc serve on 127.0.0.1:${PORTS.xds}`, () => waitServeReady(PORTS.admin, serve, 60_000), () => "ready");
  const services = await getJson<string[]>(PORTS.admin, "/debug/snapshot");
  say();
  say(bold("What meshc serve would push to each proxy (GET http://127.0.0.1:16101/debug/snapshot/<service>):"));
  for (const s of services) {
    const snap = await getJson<Record<string, any>>(PORTS.admin, `/debug/snapshot/${s}`);
    const names = (kind: string) => ((snap[kind]?.resources ?? []) as { name?: string; cluster_name?: string }[]).map((r) => r.name ?? r.cluster_name ?? "?");
    say(`  ${bold(s)}`);
    for (const [kind, label] of [["listener", "listeners"], ["route", "routes"], ["cluster", "clusters"], ["endpoint", "endpoints"]] as const) {
      const list = names(kind);
      if (list.length) say(`    ${label.padEnd(10)} ${list.join(", ")}  ${dim(`version ${snap.versions[kind]}`)}`);
    }
    for (const rc of snap.route?.resources ?? []) for (const line of describeRoutes(rc)) say(`      ${line}`);
  }
  say();
  say(`Envoy was not found, so no sidecar ran. To see traffic flow through the mesh: ${hint}; then run npm run demo again.`);
}

async function withEnvoy(envoy: string): Promise<void> {
  const source = readFileSync(meshPath, "utf8");
  const split = configuredSplit(source);
  const serve = startServe(procs, { mesh: meshPath, xdsPort: PORTS.xds, adminPort: PORTS.admin });
  await step(`starting meshc serve (xDS 127.0.0.1:${PORTS.xds}, admin http://127.0.0.1:${PORTS.admin})`, () => waitServeReady(PORTS.admin, serve, 60_000), () => "ready");

  const nodes: Record<string, string> = {};
  const sidecars = SIDECARS.map((s) => {
    nodes[`${s}-1`] = s;
    return startSidecar(procs, { mesh: meshPath, service: s, instance: `${s}-1`, xdsPort: PORTS.xds, envoy });
  });
  await step(
    `starting an Envoy sidecar per service (meshc run): ${SIDECARS.join(", ")}`,
    async () => {
      await Promise.all(SIDECARS.map((s, i) => waitEnvoyReady(PORTS[s].admin, `the ${s} sidecar`, 60_000, sidecars[i])));
      await waitConverged(PORTS.admin, nodes, 30_000);
    },
    () => "all connected, configured and in sync",
  );
  const pids = sidecars.map((p) => p.pid);

  say();
  say(`Sending traffic as the frontend app would: to its sidecar at 127.0.0.1:${PORTS.frontend.outbound}, with Host: echo or Host: flaky.`);
  const splitText = (x: [number, number]) => `v1 ${x[0]} %  v2 ${x[1]} %`;
  await round({ title: `Round 1 — mesh.ts as written: echo split ${split[0]}/${split[1]}`, configured: splitText(split) });
  await round({ title: "Round 2 — the same, as a tester opting into the canary (header x-canary: 1)", configured: "v2 (x-canary: 1)", headers: { "x-canary": "1" } });

  // Hot reload: edit the working copy while traffic flows.
  const next: [number, number] = split[0] === 50 ? [90, 10] : [50, 50];
  say();
  say(bold(`Hot reload — editing ${rel(meshPath)}: echo split ${split[0]}/${split[1]} -> ${next[0]}/${next[1]}, with traffic flowing`));
  const oldRoute = (await snapshotVersions(PORTS.admin, "frontend")).route;
  const loop = trafficLoop(() => viaFrontend("echo", "/during-reload"), 2, 5);
  await eventually(() => loop.replies.length >= 20, "traffic before the edit", 10_000);
  const t0 = performance.now();
  writeFileSync(meshPath, setSplit(source, next[0], next[1]));
  const newRoute = await eventually(async () => {
    const v = (await snapshotVersions(PORTS.admin, "frontend")).route;
    return v !== oldRoute ? v : undefined;
  }, "meshc serve to reload the edited mesh", 30_000);
  const acked = await waitConverged(PORTS.admin, nodes, 30_000);
  const took = secs(t0);
  const seen = loop.replies.length;
  await eventually(() => loop.replies.length >= seen + 20, "traffic after the change", 10_000);
  const during = tally(await loop.stop());
  totals = { sent: totals.sent + during.total, failed: totals.failed + during.failed };
  const restarted = sidecars.some((p, i) => !p.running || p.pid !== pids[i]);
  say(`  meshc serve recompiled mesh.ts and the frontend sidecar ACKed route version ${newRoute.slice(0, 8)} (was ${(oldRoute ?? "").slice(0, 8)}) ${dim(`(${took} after the save)`)}`);
  say(`  ${restarted ? red("a sidecar restarted!") : "no process restarted"}; ${during.total} requests sent during the change, ${(during.failed ? red : green)(`${during.failed} failed`)}`);
  if (acked["frontend-1"]?.route !== newRoute) throw new Error("the frontend sidecar did not ACK the new route");

  await round({ title: `Round 3 — after the edit: echo split ${next[0]}/${next[1]}, same processes`, configured: splitText(next) });
  await metricsSummary();
}

/**
 * The closing summary, read back from the sidecars' Prometheus endpoints (telemetry metrics): per destination
 * service, the requests the frontend's sidecar completed and their p99 latency (its histogram, estimated like
 * PromQL's histogram_quantile), and what each service's own sidecar served.
 */
async function metricsSummary(): Promise<void> {
  say();
  say(bold("What the sidecars' metrics say") + dim(` (GET /stats/prometheus on 127.0.0.1:${PORTS.frontend.metrics}, :${PORTS.echo.metrics}, :${PORTS.flaky.metrics})`));
  // Envoy merges histograms into /stats/prometheus on its stats flush (every 5 s): wait for one that has the rounds.
  let front = await scrape(PORTS.frontend.metrics);
  for (const deadline = performance.now() + 7000; performance.now() < deadline; front = await scrape(PORTS.frontend.metrics)) {
    if (["echo", "flaky"].every((svc) => quantile(front, "envoy_cluster_upstream_rq_time", 0.99, (l) => l.destination_service === svc) !== undefined)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const requests = sumBy(front, "envoy_cluster_upstream_rq_completed", "destination_service", (l) => !!l.destination_service);
  for (const svc of Object.keys(requests).sort()) {
    const p99 = quantile(front, "envoy_cluster_upstream_rq_time", 0.99, (l) => l.destination_service === svc);
    const served = sumBy(await scrape(PORTS[svc as "echo" | "flaky"].metrics), "envoy_cluster_upstream_rq_completed", "meshc_service", (l) => (l.envoy_cluster_name ?? "").startsWith("inbound|"));
    say(`  ${svc.padEnd(6)} ${String(requests[svc]).padStart(5)} requests from frontend, p99 ${p99 === undefined ? "-" : `${p99.toFixed(1)} ms`}; its own sidecar served ${served[svc] ?? 0} (retries included)`);
  }
  say(dim(`  the same with Prometheus: meshc prometheus-config examples/demo/mesh.ts --serve 127.0.0.1:${PORTS.admin} (README)`));
}

async function main(): Promise<number> {
  const t0 = performance.now();
  say(bold("meshc demo: a service mesh on this machine"));
  const busy = await busyPorts();
  if (busy.length) {
    say(red(`ports ${busy.join(", ")} on 127.0.0.1 are in use (is another demo still running?); the demo needs 16100-16144 free.`));
    return 1;
  }
  rmSync(demoDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  copyFileSync(join(REPO_ROOT, "examples", "demo", "mesh.ts"), meshPath);
  say(`  the mesh:  ${rel(join(REPO_ROOT, "examples", "demo", "mesh.ts"))} (the demo edits a copy: ${rel(meshPath)})`);
  say(`  logs:      ${rel(logDir)}/ (meshc serve, every sidecar)`);
  say();
  buildIfNeeded();
  const cli = meshcCommand([]);
  say(dim(`  meshc runs as: ${[cli.cmd === process.execPath ? "node" : cli.cmd, ...cli.args.map((a) => rel(a))].join(" ")}`));

  const echoV1 = await startHttpApp({ service: "echo", version: "v1", port: PORTS.echo.v1App });
  const echoV2 = await startHttpApp({ service: "echo", version: "v2", port: PORTS.echo.v2App });
  const flaky = await startHttpApp({ service: "flaky", version: "v1", port: PORTS.flaky.app, failFirstTryEvery: FLAKY_FAIL_EVERY });
  apps.push(echoV1, echoV2, flaky);
  say(`apps started: echo v1 on 127.0.0.1:${PORTS.echo.v1App}, echo v2 on :${PORTS.echo.v2App}, flaky on :${PORTS.flaky.app} (answers 503 to the first try of one request in ${FLAKY_FAIL_EVERY})`);

  const found = findEnvoy();
  if (isEnvoyMissing(found)) {
    await noEnvoy(found.hint);
  } else {
    say(dim(`  Envoy ${found.version ?? ""} at ${rel(found.path)}`));
    await withEnvoy(found.path);
  }
  process.stdout.write(`\nstopping everything ... `);
  await stopAll();
  say(`done ${dim(`(demo took ${secs(t0)})`)}`);
  if (totals.sent) {
    say(totals.failed === 0 ? green(`The mesh worked: ${totals.sent} requests, none failed.`) : red(`${totals.failed} of ${totals.sent} requests failed; see ${rel(logDir)}/`));
  }
  say(`Next: edit ${rel(join(REPO_ROOT, "examples", "demo", "mesh.ts"))} and run it yourself with \`meshc serve\` plus \`meshc run --service <name>\` (README).`);
  return totals.failed === 0 ? 0 : 1;
}

const watchdog = setTimeout(() => {
  say(red(`\nthe demo took longer than ${WATCHDOG_MS / 1000} s; stopping (logs in ${rel(logDir)}/)`));
  void stopAll().then(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    say(`\n${sig}: stopping everything`);
    void stopAll().then(() => process.exit(130));
  });
}

try {
  process.exitCode = await main();
} catch (err) {
  say(red(`\ndemo failed: ${(err as Error).message}`));
  say(`logs: ${rel(logDir)}/`);
  await stopAll();
  process.exitCode = 1;
}
clearTimeout(watchdog);
