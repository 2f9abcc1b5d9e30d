// Hot-reload latency of `meshc serve <mesh.ts>` (issue 12: a one-line edit of the 1,000-service mesh reaches every
// affected proxy within a second). Generates the synthetic mesh (bench/synthetic-mesh.ts), starts `meshc serve` on it
// in its own process (dist/cli.js, no warm-start state), syncs one fake Envoy per service (bench/ads-load.ts), then
// saves one-line edits (a different address for one instance of one service: the EDS of that service's callers
// changes) and measures, per edit, save -> the last ACK of a response after the save, and which proxies got one.
// Also prints the server's own load time for each reload (its "snapshot loaded" log line).
// Usage: npm run build && unshare -n bash -c 'ip link set lo up && node --import tsx bench/hot-reload.ts [--services 1000] [--edits 5] [--style data|statements]'
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
const loads: { at: number; seconds: number }[] = [];
let ready!: () => void;
const isReady = new Promise<void>((r) => (ready = r));
createInterface({ input: server.stdout! }).on("line", (line) => {
  try {
    const m = JSON.parse(line) as { msg?: string; seconds?: number };
    if (m.msg === "snapshot loaded") loads.push({ at: now(), seconds: m.seconds ?? NaN });
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
const results: { ms: number; proxies: number; server: number }[] = [];
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
  const server = loads[loads.length - 1]!.seconds;
  results.push({ ms, proxies: acked.length, server });
  console.log(`edit ${e + 1}: svc-${String(k).padStart(4, "0")}'s address -> save to last ACK ${(ms / 1000).toFixed(3)} s (${acked.length} proxies got the change; server load ${server.toFixed(3)} s)`);
  await sleep(1000);
}
console.log(`\nsave -> last ACK of the affected proxies over ${edits} edits: median ${(median(results.map((r) => r.ms)) / 1000).toFixed(3)} s, max ${(Math.max(...results.map((r) => r.ms)) / 1000).toFixed(3)} s; server load median ${median(results.map((r) => r.server)).toFixed(3)} s`);
load.close();
stop();
process.exit(0);
