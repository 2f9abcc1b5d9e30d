// Reconnect storm (R1): N ADS streams, one per connection, opening spread over a window (default 5,000 within 10 s)
// against the 1,000-service synthetic mesh (bench/xds-server.ts in its own process). Each client is a fake Envoy
// (bench/fake-envoy.ts) that retries a refused stream with Envoy's jittered backoff. Reports the time from each
// client's first attempt to its full config (CDS, EDS, LDS, RDS) as p50/p99/max, the time until all are answered,
// the new-stream limiter's refusals (server metric and as the clients saw them) and the server's peak RSS.
//
//   unshare -n bash -c 'ip link set lo up && node --import tsx bench/reconnect-storm.ts [--streams 5000] [--window 10] [--rates 500,0]'
//
// --rates lists new-stream limiter settings to compare (streams per second, burst equal to the rate; 0 = no
// limiter); each runs against a fresh server process.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client, credentials } from "@grpc/grpc-js";
import type { NodeInfo } from "../src/xds/wire.js";
import { FakeEnvoy } from "./fake-envoy.js";
import type { ServerCommand } from "./xds-server.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const STREAMS = Number(args.get("streams") ?? 5000);
const WINDOW_S = Number(args.get("window") ?? 10);
const SERVICES = Number(args.get("services") ?? 1000);
const RATES = (args.get("rates") ?? "500,0").split(",").map(Number);
const PORT = Number(args.get("port") ?? 19281);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => (b / 1048576).toFixed(0);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

interface Usage {
  rss: number;
  maxRss: number;
  peakRssServing: number;
}

async function run(rate: number): Promise<string[]> {
  const limits = { streamsPerSecond: rate, streamBurst: rate, maxConnections: Math.max(10_000, STREAMS * 2) };
  const child = fork(fileURLToPath(new URL("./xds-server.ts", import.meta.url)), [String(PORT), String(SERVICES)], {
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, BENCH_LIMITS: JSON.stringify(limits) },
  });
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  child.on("message", (m: Record<string, unknown>) => waiters.shift()?.(m));
  const request = (cmd?: ServerCommand) =>
    new Promise<Record<string, unknown>>((r) => {
      waiters.push(r);
      if (cmd) child.send(cmd);
    });
  const ready = (await request()).ready as { port: number; usage: Usage };
  const address = `127.0.0.1:${ready.port}`;

  let synced = 0;
  let allSynced!: () => void;
  const done = new Promise<void>((r) => (allSynced = r));
  const envoys: FakeEnvoy[] = [];
  const clients: Client[] = [];
  const t0 = now();
  const gap = (WINDOW_S * 1000) / STREAMS;
  for (let i = 0; i < STREAMS; i++) {
    // Spread the openings evenly over the window (batched per timer tick).
    const due = t0 + i * gap;
    if (due > now() + 1) await sleep(due - now());
    const client = new Client(address, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
    clients.push(client);
    const svc = `svc-${String(i % SERVICES).padStart(4, "0")}`;
    const node: NodeInfo = { id: `${svc}-${Math.floor(i / SERVICES)}`, cluster: svc, userAgentName: "envoy", userAgentVersion: "1.40.0", clientFeatures: [] };
    const e = new FakeEnvoy(client, node, () => ++synced === STREAMS && allSynced());
    e.retry = true;
    envoys.push(e);
    e.start();
  }
  const openedMs = now() - t0;
  await Promise.race([done, sleep(300_000)]);
  const allMs = Math.max(...envoys.map((e) => e.syncedAt || Infinity)) - t0;
  const unanswered = envoys.filter((e) => !e.syncedAt).length;
  const perClient = envoys.filter((e) => e.syncedAt).map((e) => e.syncedAt - e.startedAt);
  const usage = (await request({ cmd: "usage" })).usage as Usage;
  const metrics = (await request({ cmd: "metrics" })).metrics as { name: string; values: { value: number; labels: Record<string, string> }[] }[];
  const refused = metrics.find((m) => m.name === "xds_streams_refused_total")?.values.filter((v) => v.labels.reason === "rate_limit").reduce((n, v) => n + v.value, 0) ?? 0;
  const seen = envoys.reduce((n, e) => n + e.refusals, 0);
  const refusedClients = envoys.filter((e) => e.refusals > 0).length;
  for (const e of envoys) e.close();
  for (const c of clients) c.close();
  child.send({ cmd: "exit" } satisfies ServerCommand);
  await new Promise((r) => child.once("exit", r));
  return [
    rate ? `${rate}/s, burst ${rate}` : "off",
    String(STREAMS),
    (openedMs / 1000).toFixed(1),
    `${(pct(perClient, 50) / 1000).toFixed(2)} / ${(pct(perClient, 99) / 1000).toFixed(2)} / ${(Math.max(...perClient) / 1000).toFixed(2)}`,
    unanswered ? `${unanswered} unanswered` : (allMs / 1000).toFixed(1),
    `${refused} (${refusedClients} clients saw UNAVAILABLE ${seen}x)`,
    `${mib(ready.usage.rss)} -> ${mib(usage.peakRssServing)}`,
  ];
}

const rows: string[][] = [];
for (const rate of RATES) {
  rows.push(await run(rate));
  await sleep(1000);
}
const head = ["limiter", "streams", "opened within s", "per-client time to full config p50 / p99 / max s", "all answered after s", "limiter refusals (UNAVAILABLE as clients saw it: limiter or failed connects)", "server RSS MiB: ready -> peak while serving"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
console.log(line(head));
console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
for (const r of rows) console.log(line(r));
process.exit(0);
