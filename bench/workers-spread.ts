// How `meshc serve --workers N` spreads ADS streams over its worker processes, and what that does to full sync:
// serves the peers bench's 1,000-service build directory (bench/peers.ts builds it into .tmp/peers/build-1000-a)
// with each configuration given, opens N Envoy-like streams (bench/ads-load.ts, one connection each), and prints
// per configuration: the full sync time, the streams each worker holds (/debug/proxies) and the CPU each process
// of the server spent until the streams were quiet.
//
//   unshare -n bash -c 'ip link set lo up && node --import tsx bench/workers-spread.ts [--proxies 1000] [--configs 0,2:rr,2:none]'
//
// A config is `<workers>[:<policy>]`: policy rr (the primary accepts and deals connections out round-robin, Node's
// default) or none (every worker accepts on the shared socket; the kernel picks), via NODE_CLUSTER_SCHED_POLICY.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { now, syncProxies, waitQuiet } from "./ads-load.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const N = Number(arg("proxies", "1000"));
const CONFIGS = arg("configs", "0,2:rr,2:none").split(",");
const PORT = Number(arg("port", "19320"));
const root = resolve(import.meta.dirname, "..");
const dir = arg("dir", join(root, ".tmp", "peers", "build-1000-a"));
const cli = join(root, "dist", "cli.js");
if (!existsSync(join(dir, "manifest.json"))) throw new Error(`${dir} is not a build directory: run bench/peers.ts once (it builds it) or pass --dir`);

/** GET as JSON on the admin port, retried (a keep-alive connection of an earlier server on the same port resets). */
async function admin<T>(path: string): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return (await (await fetch(`http://127.0.0.1:${PORT + 1}${path}`, { headers: { connection: "close" } })).json()) as T;
    } catch (err) {
      if (i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (Number(readFileSync(`/proc/${e}/stat`, "utf8").split(") ")[1]!.split(" ")[1]) === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

for (const config of CONFIGS) {
  const [workers, policy] = config.split(":");
  const env = { ...process.env, ...(policy ? { NODE_CLUSTER_SCHED_POLICY: policy } : {}) };
  const child = spawn(process.execPath, [cli, "serve", dir, "--xds", `127.0.0.1:${PORT}`, "--admin", `127.0.0.1:${PORT + 1}`, "--workers", workers!], { stdio: ["ignore", "pipe", "inherit"], env });
  await new Promise<void>((r) => createInterface({ input: child.stdout! }).on("line", (l) => l.includes('"meshc serve ready"') && r()));
  // Every worker listening with the snapshot.
  for (;;) {
    const body = await admin<{ workers?: { listening: boolean; current: boolean }[] }>("/readyz");
    if (!body.workers || body.workers.every((w) => w.listening && w.current)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const procs = [child.pid!, ...children(child.pid!)];
  const cpu0 = procs.map(cpuMs);
  const load = await syncProxies(`127.0.0.1:${PORT}`, N, 1000);
  await waitQuiet(now(), 1000);
  const cpu = procs.map((p, i) => Math.round(cpuMs(p) - cpu0[i]!));
  const rows = await admin<{ worker?: number }[]>("/debug/proxies");
  const by: Record<string, number> = {};
  for (const r of rows) by[String(r.worker ?? "-")] = (by[String(r.worker ?? "-")] ?? 0) + 1;
  console.log(`workers ${workers}${policy ? ` (${policy})` : ""}: ${N} proxies in sync after ${((load.syncedAt - load.startedAt) / 1000).toFixed(2)} s; streams by worker ${JSON.stringify(by)}; CPU ms until quiet, primary then workers: ${cpu.join(", ")}`);
  load.close();
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}
process.exit(0);
