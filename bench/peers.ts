// meshc against go-control-plane, side by side (issue 12): the same 1,000-service build directory served by
// `meshc serve <dir>` and by the go-control-plane v0.14 peer (bench/peers/go-control-plane/, SnapshotCache keyed
// by node cluster), one server at a time, against the same load generator (bench/ads-load.ts: N Envoy-like SotW
// ADS streams, one connection each). For each N, `--runs` runs, alternating which server goes first. Per run:
//   start -> ready        spawn until the server says it serves (meshc: "meshc serve ready"; Go: "ready")
//   full sync            N streams opened -> the last of them has CDS, EDS, LDS and RDS
//   RSS after sync       the server's VmRSS once the streams are quiet
//   change -> last ACK   a new build directory (a route timeout changed for every service) swapped in the way
//                        `meshc build` does (rename old aside, rename new in, remove old) -> the last ACK of it;
//                        meshc notices by watching, Go is sent SIGHUP right after the renames
//   published -> ACK     the server's "snapshot published" log line -> that last ACK
//   CPU for the change   the server's user+system CPU from the swap until the streams are quiet
//   CPU for the full sync  the same from ready until the streams are quiet after the sync; "of which: threads
//                        other than the main thread" is V8's compiler and GC helpers (Go: all but the first thread)
//   load generator CPU   this process's CPU (the load generator runs in it) during the full sync, per run, so a
//                        reader can see both servers got an equally warm load generator
// Before the recorded runs of each N, one unrecorded warm-up sync (the first server of run 1, N streams, then
// closed): the load generator is grpc-js in this Node process, and its first sync of a process runs JIT-cold
// (3.6-4.0 s of CPU for 1,000 streams against 2.0-2.5 s later), which would bias whichever server drew it (meshc in
// 2 of 3 runs). Real Envoys are native code, so a warm load generator is the fair model. `--no-warmup` skips it.
// Prints the medians and the ratios meshc/Go (> 1: meshc is slower/larger).
//
//   npm run build && scripts/build-peer-gocp.sh
//   unshare -n bash -c 'ip link set lo up && node --import tsx bench/peers.ts [--proxies 1000,2000] [--runs 3] [--quiet]'
// meshc runs as one process (`--workers 0`, its default) unless `--workers <n>` asks for xDS worker processes
// (src/serve/cluster/). CPU and RSS are summed over the server's processes (meshc's primary and workers); the RSS sum
// counts pages the processes share (the node binary) once per process, so it overstates meshc's memory. With
// workers, each run also logs how the streams spread over them (from /debug/proxies); NODE_CLUSTER_SCHED_POLICY=none
// in the environment makes meshc let the kernel distribute connections instead of the primary's round-robin.
// Each run's figures go to stderr as one line ("meshc N=1000 run 1: {...}"); `--table-from run1.log,run2.log` prints
// the table again from such lines (e.g. runs of N = 1,000 and 2,000 taken separately).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { now, stats, syncProxies, waitQuiet } from "./ads-load.js";
import { syntheticMeshFiles } from "./synthetic-mesh.js";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  // The header comment is the help: print it instead of starting a run.
  const text = readFileSync(new URL(import.meta.url), "utf8");
  process.stdout.write(text.slice(0, text.indexOf("\nimport ")).replace(/^\/\/ ?/gm, "") + "\n");
  process.exit(0);
}
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const PROXIES = arg("proxies", "1000,2000").split(",").map(Number);
const RUNS = Number(arg("runs", "3"));
const SERVICES = Number(arg("services", "1000"));
const PORT = Number(arg("port", "19300"));
const QUIET = process.argv.includes("--quiet");
const WORKERS = arg("workers", "0");
/** Which servers run (e.g. `--servers meshc` for before/after pairs of meshc alone, or a profile). */
/** Extra node options for meshc's processes, e.g. `--node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"` (workers inherit them). */
const NODE_ARGS = arg("node-args", "").split(" ").filter(Boolean);
/** Extra `meshc serve` options, e.g. `--meshc-args "--max-syncing 0"` (what the initial-sync bound costs the sync) or `"--stream-rate 500"` (the old default limiter). */
const MESHC_ARGS = arg("meshc-args", "").split(" ").filter(Boolean);
const SERVERS = arg("servers", "meshc,go").split(",") as ("meshc" | "go")[];
const WARMUP = !process.argv.includes("--no-warmup");
const root = resolve(import.meta.dirname, "..");
const work = join(root, ".tmp", "peers");
/** `--cli <path>`: another build of meshc (e.g. a base commit's dist/cli.js) for back-to-back before/after pairs. */
const cli = resolve(arg("cli", join(root, "dist", "cli.js")));
const goBin = arg("go-binary", join(work, "gocp-peer"));
const log = (...a: unknown[]) => QUIET || console.error(...a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- inputs: two build directories of the synthetic mesh, differing in every service's route timeout ----

function buildDirs(): { a: string; b: string } {
  if (!existsSync(cli)) throw new Error("dist/cli.js is missing: run `npm run build` first");
  if (SERVERS.includes("go") && !existsSync(goBin)) throw new Error(`${goBin} is missing: run scripts/build-peer-gocp.sh first`);
  const out = { a: join(work, `build-${SERVICES}-a`), b: join(work, `build-${SERVICES}-b`) };
  for (const [side, dir] of Object.entries(out)) {
    if (existsSync(join(dir, "manifest.json"))) continue;
    const src = join(work, `mesh-${SERVICES}-${side}`);
    mkdirSync(src, { recursive: true });
    for (const [name, text] of Object.entries(syntheticMeshFiles({ services: SERVICES, style: "data", failover: false }))) {
      writeFileSync(join(src, name), side === "b" ? text.replaceAll('"1500ms"', '"1600ms"') : text);
    }
    log(`compiling ${src} -> ${dir}`);
    const r = spawnSync(process.execPath, [cli, "build", join(src, "mesh.ts"), "--out", dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`meshc build failed:\n${r.stderr}`);
  }
  return out;
}

// ---- a server process ----

/** Calls `onLine` for each line appended to `file` (polled every 50 ms) until `child` exits. */
function followLines(file: string, child: ChildProcess, onLine: (line: string) => void): void {
  const fd = openSync(file, "r");
  const buf = Buffer.alloc(1 << 20);
  let pos = 0;
  let rest = Buffer.alloc(0);
  const poll = () => {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
      let chunk = Buffer.concat([rest, buf.subarray(0, n)]);
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10)) {
        onLine(chunk.toString("utf8", 0, nl));
        chunk = chunk.subarray(nl + 1);
      }
      rest = Buffer.from(chunk);
    }
  };
  const timer = setInterval(poll, 50);
  child.once("exit", () => {
    clearInterval(timer);
    poll();
    closeSync(fd);
  });
}

interface Server {
  name: "meshc" | "go";
  child: ChildProcess;
  ready: Promise<number>;
  /** Resolves with the time (epoch ms) of the next "published" line after the call. */
  nextPublish(): Promise<number>;
  reloadTrigger(): void;
  /** meshc with workers: when each worker applied a snapshot (its "snapshot published" line), epoch ms. */
  workerApplied: number[];
}

function startServer(name: "meshc" | "go", dir: string): Server {
  const xds = `127.0.0.1:${PORT}`;
  // The server's stdout goes to a file that this process reads every 50 ms, not to a pipe: meshc logs a line per
  // proxy ("proxy connected"), and a pipe that this busy process (the load generator) drains late would block the
  // server's synchronous log writes mid-sync (and cost the load generator a read per chunk); Go logs a few lines.
  const logFile = join(work, `${name}-stdout.log`);
  const out = openSync(logFile, "w");
  const child =
    name === "meshc"
      ? spawn(process.execPath, [...NODE_ARGS, cli, "serve", dir, "--xds", xds, "--admin", `127.0.0.1:${PORT + 1}`, "--log-level", "info", "--workers", WORKERS, ...MESHC_ARGS], { stdio: ["ignore", out, "inherit"] })
      : spawn(goBin, ["-dir", dir, "-addr", xds], { stdio: ["ignore", out, "inherit"] });
  closeSync(out);
  let onReady!: (at: number) => void;
  const ready = new Promise<number>((r) => (onReady = r));
  let publishWaiters: ((at: number) => void)[] = [];
  const workerApplied: number[] = [];
  followLines(logFile, child, (line) => {
    let m: { msg?: string; time?: number; at?: number; worker?: number };
    try {
      m = JSON.parse(line);
    } catch {
      return;
    }
    const at = m.at ?? m.time ?? now();
    if (m.msg === "meshc serve ready" || m.msg === "ready") onReady(at);
    else if (m.msg === "snapshot published" && m.worker !== undefined) workerApplied.push(at);
    else if (m.msg === "snapshot loaded" || m.msg === "published") {
      const ws = publishWaiters;
      publishWaiters = [];
      for (const w of ws) w(at);
    } else if (/fail/.test(m.msg ?? "")) log(`${name}: ${line.slice(0, 400)}`);
  });
  return {
    name,
    child,
    ready,
    nextPublish: () => new Promise((r) => publishWaiters.push(r)),
    reloadTrigger: () => name === "go" && child.kill("SIGHUP"),
    workerApplied,
  };
}

const TICK_MS = 1000 / Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);
/** The process and its descendants (meshc's xDS workers). */
function tree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      parents.set(Number(e), Number(readFileSync(`/proc/${e}/stat`, "utf8").split(") ")[1]!.split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [child, parent] of parents) if (parent === out[i]) out.push(child);
  return out;
}
function cpuMs(pid: number): number {
  let sum = 0;
  for (const p of tree(pid)) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
      sum += (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime (fields 14, 15)
    } catch {
      // exited
    }
  }
  return sum;
}
/**
 * CPU of the threads other than each process's main thread (V8's compiler and GC helpers, libuv's pool; Go: all
 * but the first thread), so a run shows what the JIT and the collector cost next to the event loop.
 */
function helperCpuMs(pid: number): number {
  let sum = 0;
  for (const p of tree(pid)) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      if (Number(t) === p) continue;
      try {
        const f = readFileSync(`/proc/${p}/task/${t}/stat`, "utf8").split(") ")[1]!.split(" ");
        sum += (Number(f[11]) + Number(f[12])) * TICK_MS;
      } catch {
        // exited
      }
    }
  }
  return sum;
}
function rssMiB(pid: number): number {
  let sum = 0;
  for (const p of tree(pid)) {
    try {
      sum += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))![1]) / 1024;
    } catch {
      // exited
    }
  }
  return sum;
}
/**
 * Proportional set size summed over the process tree (/proc/PID/smaps_rollup): each shared page (the node binary,
 * libraries, copy-on-write pages of the fork) counted once in all, divided among the processes sharing it. The fair
 * figure for a server of several processes, where the RSS sum counts shared pages once per process.
 */
function pssMiB(pid: number): number {
  let sum = 0;
  for (const p of tree(pid)) {
    try {
      sum += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"))![1]) / 1024;
    } catch {
      // exited
    }
  }
  return sum;
}
/** How the streams spread over meshc's workers (stream count by worker), from /debug/proxies. */
async function spread(): Promise<Record<string, number>> {
  const rows = (await (await fetch(`http://127.0.0.1:${PORT + 1}/debug/proxies`)).json()) as { worker?: number }[];
  const out: Record<string, number> = {};
  for (const r of rows) out[String(r.worker ?? 0)] = (out[String(r.worker ?? 0)] ?? 0) + 1;
  return out;
}

interface Run {
  startReady: number;
  fullSync: number;
  change: number;
  publishedToAck: number;
  changeCpu: number;
  /** Server CPU from ready until the streams are quiet after the full sync (absent in older logs). */
  syncCpu?: number;
  /** Of which threads other than the processes' main threads (absent in older logs). */
  syncCpuHelpers?: number;
  rss: number;
  /** Absent in logs of runs before it was measured. */
  pss?: number;
  /** The load generator's CPU (this process) during the full sync (absent in older logs). */
  loadCpu?: number;
}

/** This process's user+system CPU (ms): the load generator's. */
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function runOnce(name: "meshc" | "go", n: number, dirs: { a: string; b: string }, warmup = false): Promise<Run> {
  const serveDir = join(work, "served", "current");
  rmSync(join(work, "served"), { recursive: true, force: true });
  mkdirSync(join(work, "served"), { recursive: true });
  cpSync(dirs.a, serveDir, { recursive: true });
  cpSync(dirs.b, join(work, "served", "next"), { recursive: true });
  const t0 = now();
  const server = startServer(name, serveDir);
  const exited = new Promise<never>((_, rej) => server.child.once("exit", (c) => rej(new Error(`${name} exited (${c})`))));
  try {
    const readyAt = await Promise.race([server.ready, exited]);
    const syncCpu0 = cpuMs(server.child.pid!);
    const helpers0 = helperCpuMs(server.child.pid!);
    const load0 = selfCpuMs();
    const load = await Promise.race([syncProxies(`127.0.0.1:${PORT}`, n, SERVICES), exited]);
    const loadCpu = selfCpuMs() - load0;
    try {
      await waitQuiet(now(), 1000);
      if (warmup) return { startReady: readyAt - t0, fullSync: load.syncedAt - load.startedAt, change: 0, publishedToAck: 0, changeCpu: 0, rss: 0, loadCpu };
      const syncCpu = cpuMs(server.child.pid!) - syncCpu0;
      const syncCpuHelpers = helperCpuMs(server.child.pid!) - helpers0;
      const rss = rssMiB(server.child.pid!);
      const pss = pssMiB(server.child.pid!);
      const refused = load.envoys.reduce((a, e) => a + e.refusals, 0);
      if (refused) log(`${name} N=${n}: ${refused} streams refused during the sync and opened again after a backoff`);
      if (name === "meshc" && WORKERS !== "0") log(`meshc N=${n}: streams by worker ${JSON.stringify(await spread())} (NODE_CLUSTER_SCHED_POLICY=${process.env.NODE_CLUSTER_SCHED_POLICY ?? "rr (default)"})`);
      const cpu0 = cpuMs(server.child.pid!);
      const before = new Map(load.envoys.map((e) => [e, e.lastAckAt]));
      const published = server.nextPublish();
      const swapAt = now();
      renameSync(serveDir, join(work, "served", "old"));
      renameSync(join(work, "served", "next"), serveDir);
      server.reloadTrigger();
      await rm(join(work, "served", "old"), { recursive: true, force: true });
      const publishedAt = await Promise.race([published, exited, sleep(300_000).then(() => Promise.reject(new Error(`${name}: no reload within 300 s`)))]);
      // Every proxy ACKs the change (RDS of every service changed), then the streams go quiet.
      const acked = () => load.envoys.filter((e) => e.lastAckAt !== before.get(e));
      const deadline = now() + 300_000;
      while (acked().length < n && now() < deadline) await sleep(100);
      await waitQuiet(now(), 1500);
      const changeCpu = cpuMs(server.child.pid!) - cpu0;
      const touched = acked();
      if (touched.length < n) throw new Error(`${name}: only ${touched.length} of ${n} proxies ACKed the change within 300 s`);
      const lastAck = Math.max(...touched.map((e) => e.lastAckAt));
      const applied = server.workerApplied.filter((t) => t >= publishedAt - 5000);
      if (applied.length) log(`${name} N=${n}: the change's snapshot applied by the workers ${applied.map((t) => `${Math.round(t - publishedAt)} ms`).join(", ")} after the primary's publish; last ACK ${Math.round(lastAck - publishedAt)} ms after it`);
      return { startReady: readyAt - t0, fullSync: load.syncedAt - load.startedAt, change: lastAck - swapAt, publishedToAck: lastAck - publishedAt, changeCpu, syncCpu, syncCpuHelpers, rss, pss, loadCpu };
    } finally {
      load.close();
    }
  } finally {
    server.child.kill("SIGTERM");
    await new Promise((r) => (server.child.exitCode !== null ? r(undefined) : server.child.once("exit", r)));
    void exited.catch(() => undefined);
    await sleep(1000);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const results = new Map<number, { meshc: Run[]; go: Run[] }>();
  // --table-from a.log,b.log: only print the table from the per-run lines of earlier runs (their stderr).
  const from = arg("table-from", "");
  if (from) {
    for (const file of from.split(",")) {
      for (const m of readFileSync(file, "utf8").matchAll(/^(meshc|go) N=(\d+) run \d+: (\{.*\})$/gm)) {
        const n = Number(m[2]);
        if (!results.has(n)) results.set(n, { meshc: [], go: [] });
        results.get(n)![m[1] as "meshc" | "go"].push(JSON.parse(m[3]!) as Run);
      }
    }
    printTable(results);
    return;
  }
  const dirs = buildDirs();
  for (const n of PROXIES) {
    const r = { meshc: [] as Run[], go: [] as Run[] };
    results.set(n, r);
    if (WARMUP) {
      // Unrecorded: warms the load generator (this process) up, so no recorded run gets it JIT-cold.
      stats.lastResponseAt = 0;
      const w = await runOnce(SERVERS[0]!, n, dirs, true).catch((err: Error) => void log(`warm-up N=${n} failed: ${err.message}`));
      if (w) log(`warm-up N=${n} (${SERVERS[0]}, not recorded): full sync ${Math.round(w.fullSync)} ms, load generator CPU ${Math.round(w.loadCpu!)} ms`);
    }
    for (let i = 0; i < RUNS; i++) {
      for (const name of ((i % 2 === 0 ? ["meshc", "go"] : ["go", "meshc"]) as ("meshc" | "go")[]).filter((x) => SERVERS.includes(x))) {
        stats.lastResponseAt = 0;
        const run = await runOnce(name, n, dirs).catch((err: Error) => {
          // A failed run is reported and left out of the medians; the other runs go on.
          console.error(`${name} N=${n} run ${i + 1} failed: ${err.message}`);
          return undefined;
        });
        if (!run) continue;
        console.error(`${name} N=${n} run ${i + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(run).map(([k, v]) => [k, Math.round(v)])))}`);
        r[name].push(run);
      }
    }
  }
  printTable(results);
  process.exit(0);
}

function printTable(results: Map<number, { meshc: Run[]; go: Run[] }>): void {
  const rows: [string, keyof Run, (v: number) => string][] = [
    ["full sync", "fullSync", (v) => `${(v / 1000).toFixed(2)} s`],
    ["change to every service (a new build directory) -> last ACK", "change", (v) => `${(v / 1000).toFixed(2)} s`],
    ["of which: new snapshot published -> last ACK", "publishedToAck", (v) => `${(v / 1000).toFixed(2)} s`],
    ["server CPU for the change", "changeCpu", (v) => `${(v / 1000).toFixed(2)} s`],
    ["server CPU for the full sync", "syncCpu", (v) => `${(v / 1000).toFixed(2)} s`],
    ["of which: threads other than the main thread (JIT, GC helpers)", "syncCpuHelpers", (v) => `${(v / 1000).toFixed(2)} s`],
    ["start -> ready", "startReady", (v) => `${(v / 1000).toFixed(2)} s`],
    ["load generator CPU during the full sync (this process, warm)", "loadCpu", (v) => `${(v / 1000).toFixed(2)} s`],
    ["RSS after sync", "rss", (v) => `${v.toFixed(0)} MiB`],
    ["PSS after sync (shared pages divided among the processes)", "pss", (v) => `${v.toFixed(0)} MiB`],
  ];
  // With one server only (--servers), its medians alone.
  const ns = [...results.keys()].filter((n) => results.get(n)!.meshc.length || results.get(n)!.go.length);
  const counts = [...results].map(([n, r]) => `N=${n}: ${r.meshc.length} meshc / ${r.go.length} Go runs`).join(", ");
  console.log(`\nmeshc serve <build dir> --workers ${WORKERS} vs go-control-plane v0.14, ${SERVICES} services, medians (${counts}${WARMUP ? ", each N after an unrecorded warm-up sync of the load generator" : ", no warm-up"}; meshc vs Go (meshc/Go))\n`);
  console.log(`| | ${ns.map((n) => `${n.toLocaleString("en")} proxies`).join(" | ")} |`);
  console.log(`|---|${ns.map(() => "---").join("|")}|`);
  for (const [label, key, fmt] of rows) {
    const cells = ns.map((n) => {
      const of = (runs: Run[]) => {
        const xs = runs.flatMap((x) => (x[key] === undefined ? [] : [x[key]!]));
        return xs.length ? median(xs) : undefined;
      };
      const m = of(results.get(n)!.meshc);
      const g = of(results.get(n)!.go);
      if (m === undefined || g === undefined) return m !== undefined ? `meshc ${fmt(m)}` : g !== undefined ? `Go ${fmt(g)}` : "–";
      return `${fmt(m)} vs ${fmt(g)} (${(m / g).toFixed(2)})`;
    });
    console.log(`| ${label} | ${cells.join(" | ")} |`);
  }
}

await main();
