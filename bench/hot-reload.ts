// Hot-reload latency of `meshc serve <mesh.ts>` (issue 12: a one-line edit of the 1,000-service mesh reaches every
// affected proxy within a second). Generates the synthetic mesh (bench/synthetic-mesh.ts), starts `meshc serve` on it
// in its own process (dist/cli.js, no warm-start state), syncs one fake Envoy per service (bench/ads-load.ts), then
// saves one-line edits (a different address for one instance of one service: the EDS of that service's callers
// changes) and measures, per edit, save -> the last ACK of a response after the save, and which proxies got one.
// Also prints the server's own load time for each reload and where it went, stage by stage, from its "snapshot
// loaded" log line (fingerprint, type check (on its own thread; "wait": how long the result waited for it after the
// rest), bundle, evaluate, validate, lower, analyze, translate, checks, publish), plus save -> change detected (the
// watcher's debounce) and publish -> last ACK, from the server's log times and the fake Envoys' ACKs.
// Usage: npm run build && unshare -n bash -c 'ip link set lo up && node --import tsx bench/hot-reload.ts [--services 1000] [--edits 5] [--style data|statements]'
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { now, syncProxies, stats } from "./ads-load.js";
import { syntheticMeshFiles, type MeshStyle } from "./synthetic-mesh.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const services = Number(arg("services", "1000"));
const edits = Number(arg("edits", "5"));
const style = arg("style", "data") as MeshStyle;
const xds = arg("xds", "127.0.0.1:18600");
const admin = arg("admin", "127.0.0.1:18601");
const root = resolve(import.meta.dirname, "..");
const dir = join(root, ".tmp", `bench-hot-reload-${style}-${services}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(syntheticMeshFiles({ services, style }))) writeFileSync(join(dir, name), text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The server, in its own process, logging JSON lines.
const server = spawn(process.execPath, [join(root, "dist", "cli.js"), "serve", join(dir, "mesh.ts"), "--xds", xds, "--admin", admin, "--no-state", "--stream-rate", "0"], { stdio: ["ignore", "pipe", "inherit"] });
const loads: { at: number; seconds: number; stages?: Record<string, number>; translation?: Record<string, unknown>; published?: number; detected?: number }[] = [];
let detectedAt: number | undefined;
let publishedAt: number | undefined;
let ready!: () => void;
const isReady = new Promise<void>((r) => (ready = r));
createInterface({ input: server.stdout! }).on("line", (line) => {
  try {
    const m = JSON.parse(line) as { msg?: string; seconds?: number; time?: number; stages?: Record<string, number>; translation?: Record<string, unknown> };
    // pino's time (ms since the epoch) is when the server logged it, comparable with now() on this machine.
    if (m.msg === "change detected") detectedAt = m.time;
    if (m.msg === "snapshot published") publishedAt = m.time;
    if (m.msg === "snapshot loaded") loads.push({ at: now(), seconds: m.seconds ?? NaN, ...(m.stages && { stages: m.stages }), ...(m.translation && { translation: m.translation }), ...(publishedAt !== undefined && { published: publishedAt }), ...(detectedAt !== undefined && { detected: detectedAt }) });
    if (m.msg === "meshc serve ready") ready();
    if (process.env.BENCH_VERBOSE) console.error(line.slice(0, 300));
  } catch {
    // not a log line
  }
});
const stop = () => server.kill("SIGKILL"); // the bench is over: no graceful shutdown to wait for
process.on("exit", stop);
const t0 = now();
await isReady;
console.log(`${style} style, ${services} services: serve ready (first compile) after ${((now() - t0) / 1000).toFixed(2)} s`);
const load = await syncProxies(xds, services, services);
console.log(`${services} proxies synced in ${((load.syncedAt - load.startedAt) / 1000).toFixed(2)} s`);
await sleep(3000); // let the first compile's aftermath (GC, state) settle

// Where one instance's address is written, for service k: the data style's table row, the statement style's call.
const file = join(dir, style === "data" ? "services.ts" : "mesh.ts");
const results: { ms: number; proxies: number; server: number; push: number }[] = [];
for (let e = 0; e < edits; e++) {
  const k = (e * 97 + 11) % services;
  const address = `"10.${(k >> 8) & 255}.${k & 255}.1"`;
  const text = readFileSync(file, "utf8");
  if (!text.includes(address)) throw new Error(`${address} is not in ${file}`);
  const loadsBefore = loads.length;
  const saved = now();
  writeFileSync(file, text.replace(address, `"10.${(k >> 8) & 255}.${k & 255}.${101 + e}"`));
  // Done when a reload was logged and no response has arrived for 2 s (allowing 60 s for the first).
  const deadline = saved + 120_000;
  while (now() < deadline) {
    await sleep(50);
    if (loads.length > loadsBefore && stats.lastResponseAt > saved && now() - stats.lastResponseAt > 2000) break;
  }
  const acked = load.envoys.filter((x) => x.lastAckAt > saved);
  if (acked.length === 0) throw new Error(`edit ${e + 1}: no proxy got a response within 120 s`);
  const ms = Math.max(...acked.map((x) => x.lastAckAt)) - saved;
  const l = loads[loads.length - 1]!;
  const server = l.seconds;
  const lastAck = Math.max(...acked.map((x) => x.lastAckAt));
  const push = l.published !== undefined ? lastAck - l.published : NaN;
  results.push({ ms, proxies: acked.length, server, push });
  console.log(`edit ${e + 1}: svc-${String(k).padStart(4, "0")}'s address -> save to last ACK ${(ms / 1000).toFixed(3)} s (${acked.length} proxies got the change; server load ${server.toFixed(3)} s)`);
  const stages = Object.entries(l.stages ?? {}).map(([name, v]) => `${name} ${Math.round(v)}`).join(", ");
  console.log(`  save -> change detected ${l.detected !== undefined ? Math.round(l.detected - saved) : "?"} ms; stages (ms): ${stages}; publish -> last ACK ${Math.round(push)} ms`);
  if (l.translation) console.log(`  translation: ${JSON.stringify(l.translation)}`);
  await sleep(1000);
}
console.log(`\nsave -> last ACK of the affected proxies over ${edits} edits: median ${(median(results.map((r) => r.ms)) / 1000).toFixed(3)} s, max ${(Math.max(...results.map((r) => r.ms)) / 1000).toFixed(3)} s; server load median ${median(results.map((r) => r.server)).toFixed(3)} s; publish -> last ACK median ${Math.round(median(results.map((r) => r.push)))} ms`);
console.log(`measured under load average ${loadavg().map((x) => x.toFixed(1)).join(" ")} (1/5/15 min) on ${cpus().length} cores`);
load.close();
stop();
process.exit(0);
