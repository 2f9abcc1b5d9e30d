// The server side of the xDS load benchmark, in its own process (forked by bench/xds-load.ts with an IPC channel):
// the synthetic mesh (bench/synthetic-ir.ts through the Envoy backend) served by startXdsServer. Commands arrive
// as IPC messages; usage figures (RSS, heap after GC, CPU) are reported back.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { pino } from "pino";
import { Registry } from "prom-client";
import { syntheticMesh } from "./synthetic-ir.js";
import { translateMesh } from "../src/backends/envoy/translate.js";
import type { MeshIR } from "../src/ir/types.js";
import type { MeshSnapshot } from "../src/snapshot/types.js";
import { startXdsServer } from "../src/xds/server.js";
import { wireStats } from "../src/xds/wire.js";

export type ServerCommand =
  | { cmd: "usage" }
  | { cmd: "prepare"; change: "one" | "all"; round: number }
  | { cmd: "apply" }
  | { cmd: "profile"; action: "start" | "stop"; file?: string }
  | { cmd: "metrics" }
  | { cmd: "exit" };

const port = Number(process.argv[2] ?? 19280);
const services = Number(process.argv[3] ?? 1000);

function build(ir: MeshIR): MeshSnapshot {
  const r = translateMesh(ir);
  if (r.issues.length) throw new Error(`synthetic mesh has ${r.issues.length} backend issues, e.g. ${JSON.stringify(r.issues[0])}`);
  return r.snapshot;
}

// Changes accumulate on one IR, so each one differs from the previous snapshot only as described.
const ir = syntheticMesh({ services });

/** A change: "one" = one service's instances move (its callers' EDS); "all" = every service's connect timeout (every proxy's CDS, then EDS by P-29). */
function changed(change: "one" | "all", round: number): MeshIR {
  if (change === "all") for (const s of ir.services) s.policy.connectTimeoutMs = 250 + round;
  else {
    const s = ir.services[0]!;
    // Backends read `ports` (one per service port), not the single `port` as written.
    if (s.instances.kind === "static") for (const e of s.instances.endpoints) for (const k of Object.keys(e.ports)) e.ports[k] = 8080 + round;
  }
  return ir;
}

// Peak RSS while serving (sampled every 50 ms once ready), apart from the translation's own peak (maxRss).
let peakRssServing = 0;

function usage() {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  // maxRSS: the process's peak resident set (KiB), as the kernel counts it.
  return { rss: m.rss, maxRss: process.resourceUsage().maxRSS * 1024, peakRssServing, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, cpuUserUs: c.user, cpuSystemUs: c.system, wire: { ...wireStats } };
}

// Optional CPU profile of a phase (BENCH_PROF=dir on the load generator): the inspector, not --cpu-prof, so the
// translation of the synthetic mesh stays out of it.
const session = new Session();
async function profile(action: "start" | "stop", file?: string): Promise<void> {
  const post = (method: string, params?: object) =>
    new Promise<unknown>((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
  if (action === "start") {
    session.connect();
    await post("Profiler.enable");
    await post("Profiler.start");
  } else {
    const { profile: p } = (await post("Profiler.stop")) as { profile: object };
    writeFileSync(file!, JSON.stringify(p));
    session.disconnect();
  }
}

const t0 = performance.now();
const snapshot = build(ir);
const buildMs = performance.now() - t0;
let distinct = new Set<unknown>();
for (const p of snapshot.proxies.values()) for (const list of Object.values(p.resources)) for (const r of list) distinct.add(r);
const distinctResources = distinct.size;
distinct = new Set();
// BENCH_LIMITS: JSON of XdsLimits overrides (bench/reconnect-storm.ts passes the limiter settings under test).
const registry = new Registry();
const limits = process.env.BENCH_LIMITS ? (JSON.parse(process.env.BENCH_LIMITS) as object) : undefined;
const server = await startXdsServer({ address: `127.0.0.1:${port}`, logger: pino({ level: "warn" }), snapshot, registry, limits });
let next: MeshSnapshot | undefined;

process.on("message", (m: ServerCommand) => {
  if (m.cmd === "usage") process.send!({ usage: usage() });
  else if (m.cmd === "metrics") void registry.getMetricsAsJSON().then((metrics) => process.send!({ metrics }));
  else if (m.cmd === "profile") void profile(m.action, m.file).then(() => process.send!({ profiled: true }));
  else if (m.cmd === "prepare") {
    next = build(changed(m.change, m.round));
    process.send!({ prepared: true });
  } else if (m.cmd === "apply") {
    const at = performance.timeOrigin + performance.now();
    const change = server.setSnapshot(next!);
    process.send!({ applied: { at, services: change.changed.length, setSnapshotMs: performance.timeOrigin + performance.now() - at } });
  } else if (m.cmd === "exit") {
    void server.close(500).then(() => process.exit(0));
  }
});
setInterval(() => (peakRssServing = Math.max(peakRssServing, process.memoryUsage.rss())), 50).unref();
process.send!({ ready: { port: server.port, buildMs, services: snapshot.proxies.size, distinctResources, usage: usage() } });
