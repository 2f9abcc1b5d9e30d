// Back-to-back full-sync pairs of two meshc builds (e.g. main's dist/cli.js and a branch's), meshc only: for each
// pair, each build (alternating which goes first) serves the same build directory of the 1,000-service mesh in a
// fresh process, and the load generator (bench/ads-load.ts, in this process, warmed by an unrecorded sync first)
// opens N streams. Per run: full sync wall time, and the server's CPU from ready until the streams are quiet, for
// the whole process and its main thread (from /proc). bench/peers.ts gives the full table against go-control-plane;
// this is the quicker before/after measurement on a shared machine, where CPU is steadier than wall time.
//
//   unshare -n bash -c 'ip link set lo up && node --import tsx bench/sync-pairs.ts --a <base cli.js> --b dist/cli.js \
//     [--proxies 2000] [--pairs 3] [--a-args "..."] [--b-args "..."] [--node-args-a "..."] [--node-args-b "..."]'
//
// Needs .tmp/peers/build-1000-a (bench/peers.ts makes it).
import { spawn } from "node:child_process";
import { cpSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { now, syncProxies, waitQuiet } from "./ads-load.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const root = resolve(import.meta.dirname, "..");
const N = Number(arg("proxies", "2000"));
const PAIRS = Number(arg("pairs", "3"));
const PORT = Number(arg("port", "19400"));
const src = join(root, ".tmp", "peers", "build-1000-a");
if (!existsSync(src)) throw new Error(`${src} is missing: run bench/peers.ts once`);
const builds = {
  a: { cli: resolve(arg("a", join(root, "dist", "cli.js"))), args: arg("a-args", "").split(" ").filter(Boolean), node: arg("node-args-a", "").split(" ").filter(Boolean) },
  b: { cli: resolve(arg("b", join(root, "dist", "cli.js"))), args: arg("b-args", "").split(" ").filter(Boolean), node: arg("node-args-b", "").split(" ").filter(Boolean) },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK = 10; // ms per clock tick (CLK_TCK 100)
const ticks = (path: string) => {
  const f = readFileSync(path, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK;
};

async function run(which: "a" | "b", record: boolean): Promise<Record<string, number> | undefined> {
  const b = builds[which];
  const dir = join(root, ".tmp", "sync-pairs-served");
  rmSync(dir, { recursive: true, force: true });
  cpSync(src, dir, { recursive: true });
  const log = join(root, ".tmp", `sync-pairs-${which}.log`);
  const out = openSync(log, "w");
  const child = spawn(process.execPath, [...b.node, b.cli, "serve", dir, "--xds", `127.0.0.1:${PORT}`, "--admin", `127.0.0.1:${PORT + 1}`, "--log-level", "info", ...b.args], { stdio: ["ignore", out, "inherit"] });
  try {
    for (let i = 0; !readFileSync(log, "utf8").includes("meshc serve ready"); i++) {
      if (i > 600 || child.exitCode !== null) throw new Error(`${which}: not ready`);
      await sleep(50);
    }
    const pid = child.pid!;
    const cpu0 = ticks(`/proc/${pid}/stat`);
    const main0 = ticks(`/proc/${pid}/task/${pid}/stat`);
    const load = await syncProxies(`127.0.0.1:${PORT}`, N, 1000);
    await waitQuiet(now(), 1000);
    const r = { sync: Math.round(load.syncedAt - load.startedAt), cpu: ticks(`/proc/${pid}/stat`) - cpu0, main: ticks(`/proc/${pid}/task/${pid}/stat`) - main0 };
    load.close();
    return record ? r : undefined;
  } finally {
    child.kill("SIGKILL");
    await sleep(1000);
  }
}

await run("a", false); // warms the load generator
const rows: Record<"a" | "b", Record<string, number>[]> = { a: [], b: [] };
for (let p = 0; p < PAIRS; p++) {
  for (const w of (p % 2 ? ["b", "a"] : ["a", "b"]) as ("a" | "b")[]) {
    const r = (await run(w, true))!;
    rows[w].push(r);
    console.log(`pair ${p + 1} ${w}: sync ${r.sync} ms, server CPU ${r.cpu} ms (main thread ${r.main}), load ${loadavg()[0]!.toFixed(1)}`);
  }
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
for (const w of ["a", "b"] as const) {
  const r = rows[w];
  console.log(`${w} (${builds[w].cli} ${builds[w].node.join(" ")} ${builds[w].args.join(" ")}): median sync ${med(r.map((x) => x.sync))} ms, CPU ${med(r.map((x) => x.cpu))} ms, main ${med(r.map((x) => x.main))} ms`);
}
process.exit(0);
