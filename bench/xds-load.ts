// xDS load benchmark. Forks the server (bench/xds-server.ts: the 1,000-service synthetic mesh) and opens N ADS
// streams here, each behaving like an Envoy on SotW: node on the first request, wildcard CDS, EDS by the names the
// clusters need, wildcard LDS, RDS by the names the listeners need, an ACK for every response. Measures time to
// full sync, time from a mesh change to the last ACK, and the server's RSS/heap/CPU.
//
//   node --import tsx bench/xds-load.ts [--proxies 1000,2000] [--services 1000] [--port 19280]
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client, credentials } from "@grpc/grpc-js";
import type { NodeInfo } from "../src/xds/wire.js";
import { FakeEnvoy, stats } from "./fake-envoy.js";
import type { ServerCommand } from "./xds-server.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const PROXIES = (args.get("proxies") ?? "1000,2000").split(",").map(Number);
const SERVICES = Number(args.get("services") ?? 1000);
const PORT = Number(args.get("port") ?? 19280);
/** ADS streams sharing one HTTP/2 connection (1 = one connection per proxy, like real sidecars). */
const PER_CONNECTION = Number(args.get("per-connection") ?? 1);
const now = () => performance.timeOrigin + performance.now();

// ---- the server process ----

interface Usage {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  wire: { anyEncodes: number; responses: number; responseBytes: number };
}

class ServerProc {
  private waiters: ((m: Record<string, unknown>) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    child.on("message", (m: Record<string, unknown>) => this.waiters.shift()?.(m));
  }
  request(cmd: ServerCommand | undefined): Promise<Record<string, unknown>> {
    return new Promise((r) => {
      this.waiters.push(r);
      if (cmd) this.child.send(cmd);
    });
  }
  async usage(): Promise<Usage> {
    return (await this.request({ cmd: "usage" })).usage as Usage;
  }
}

// ---- the run ----

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => (b / 1048576).toFixed(1);
const pct = (xs: number[], p: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Waits until no response arrived for `quietMs` (allowing `firstMs` for the first one after `since`). */
async function waitQuiet(since: number, quietMs = 1000, firstMs = 5000, maxMs = 120_000): Promise<void> {
  const end = now() + maxMs;
  while (now() < end) {
    await sleep(100);
    const started = stats.lastResponseAt > since;
    if (started ? now() - stats.lastResponseAt > quietMs : now() - since > firstMs) return;
  }
  throw new Error("no quiet period");
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(new URL("./xds-server.ts", import.meta.url)), [String(PORT), String(SERVICES)], {
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const server = new ServerProc(child);
  const ready = (await server.request(undefined)).ready as { port: number; buildMs: number; services: number; distinctResources: number; usage: Usage };
  console.log(`${PER_CONNECTION} ADS stream(s) per connection`);
  console.log(`server: ${ready.services} services translated in ${ready.buildMs.toFixed(0)} ms, ${ready.distinctResources} distinct resources, RSS ${mib(ready.usage.rss)} MiB, heap ${mib(ready.usage.heapUsed)} MiB`);
  const address = `127.0.0.1:${ready.port}`;
  const rows: string[][] = [];
  let round = 0;

  for (const n of PROXIES) {
    const u0 = await server.usage();
    const prof = process.env.BENCH_PROF;
    if (prof) await server.request({ cmd: "profile", action: "start" });
    const lg0 = process.cpuUsage();
    let synced = 0;
    let allSynced!: () => void;
    const done = new Promise<void>((r) => (allSynced = r));
    const t0 = now();
    const envoys: FakeEnvoy[] = [];
    const clients: Client[] = [];
    for (let i = 0; i < n; i++) {
      // A local subchannel pool per Client forces a connection of its own.
      if (i % PER_CONNECTION === 0) clients.push(new Client(address, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }));
      const svc = `svc-${String(i % SERVICES).padStart(4, "0")}`;
      const node: NodeInfo = { id: `${svc}-${Math.floor(i / SERVICES)}`, cluster: svc, userAgentName: "envoy", userAgentVersion: "1.40.0", clientFeatures: [] };
      const e = new FakeEnvoy(clients.at(-1)!, node, () => ++synced === n && allSynced());
      envoys.push(e);
      e.start();
    }
    await Promise.race([done, sleep(180_000)]);
    const syncMs = Math.max(...envoys.map((e) => e.syncedAt)) - t0;
    if (synced < n) throw new Error(`${n - synced} proxies never synced; e.g. ${envoys.find((e) => !e.syncedAt)?.error}`);
    const perProxy = envoys.map((e) => e.syncedAt - e.startedAt);
    if (prof) await server.request({ cmd: "profile", action: "stop", file: `${prof}/sync-${n}.cpuprofile` });
    await waitQuiet(now(), 500);
    const u1 = await server.usage();

    const changes: Record<string, { ms: number; proxies: number; services: number; setMs: number }> = {};
    let changeCpuUs = 0;
    for (const change of ["one", "all"] as const) {
      round++;
      await server.request({ cmd: "prepare", change, round });
      const ua = await server.usage();
      const before = new Map(envoys.map((e) => [e, e.lastAckAt]));
      const applied = (await server.request({ cmd: "apply" })).applied as { at: number; services: number; setSnapshotMs: number };
      await waitQuiet(applied.at);
      const ub = await server.usage();
      changeCpuUs += ub.cpuUserUs + ub.cpuSystemUs - ua.cpuUserUs - ua.cpuSystemUs;
      const touched = envoys.filter((e) => e.lastAckAt !== before.get(e));
      changes[change] = {
        ms: touched.length ? Math.max(...touched.map((e) => e.lastAckAt)) - applied.at : 0,
        proxies: touched.length,
        services: applied.services,
        setMs: applied.setSnapshotMs,
      };
    }
    const u2 = await server.usage();
    const lg = process.cpuUsage(lg0);
    const cpu = (a: Usage, b: Usage) => ((b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000).toFixed(0);
    rows.push([
      String(n),
      syncMs.toFixed(0),
      `${pct(perProxy, 50).toFixed(0)}/${pct(perProxy, 99).toFixed(0)}`,
      `${changes.one!.ms.toFixed(0)} (${changes.one!.proxies})`,
      `${changes.all!.ms.toFixed(0)} (${changes.all!.proxies})`,
      `${mib(u1.rss)} (+${mib(u1.rss - u0.rss)})`,
      `${(((u1.rss - u0.rss) / n) / 1024).toFixed(1)} / ${(((u1.heapUsed + u1.external - u0.heapUsed - u0.external) / n) / 1024).toFixed(1)}`,
      cpu(u0, u1),
      (changeCpuUs / 1000).toFixed(0),
      String(u2.wire.anyEncodes),
      `${u2.wire.responses} / ${mib(u2.wire.responseBytes)}`,
      ((lg.user + lg.system) / 1000).toFixed(0),
    ]);
    for (const e of envoys) e.close();
    for (const c of clients) c.close();
    await sleep(1500);
  }

  const head = [
    "proxies",
    "full sync ms",
    "per-proxy p50/p99 ms",
    "change one svc -> last ACK ms (proxies)",
    "change all svcs -> last ACK ms (proxies)",
    "server RSS MiB (+sync)",
    "KiB/proxy RSS / heap+ext",
    "server CPU sync ms",
    "server CPU both changes ms",
    "Any encodes (cum.)",
    "responses / MiB sent (cum.)",
    "loadgen CPU ms",
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  console.log(line(head));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of rows) console.log(line(r));
  child.send({ cmd: "exit" } satisfies ServerCommand);
  await new Promise((r) => child.once("exit", r));
  process.exit(0);
}

await main();
