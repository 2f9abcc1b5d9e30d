// Endpoint-churn benchmark (issue 16): a real etcd, the registry-fed xDS server in its own process
// (bench/registry-server.ts: 1,000 services, each taking its instances from the registry), N fake Envoys (one ADS
// stream each, bench/fake-envoy.ts) and a writer that registers 3 instances per service, then changes R entries
// per second for S seconds (each change gives one instance a new port, the marker). For each write the latency is
// the time from the etcd put to the moment the last proxy that calls the changed service has ACKed an EDS response
// carrying the marker. Reports p50/p99/max of that, writes that never arrived, server CPU (share of one core) and
// RSS. The etcd process's own CPU is not in the server's figures.
//
//   node --import tsx bench/registry-churn.ts [--services 1000] [--instances 3] [--rate 500] [--seconds 60] [--port 19380] [--etcd-port 22379]
// Needs `etcd` on PATH (scripts/install-etcd.sh); run inside `unshare -n` on a shared machine.
import { fork, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, credentials } from "@grpc/grpc-js";
import { Etcd3 } from "etcd3";
import type { NodeInfo } from "../src/xds/wire.js";
import { TYPE_URLS } from "../src/snapshot/types.js";
import { FakeEnvoy } from "./fake-envoy.js";
import { serviceName, syntheticMesh } from "./synthetic-ir.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const SERVICES = Number(args.get("services") ?? 1000);
const INSTANCES = Number(args.get("instances") ?? 3);
const RATE = Number(args.get("rate") ?? 500);
const SECONDS = Number(args.get("seconds") ?? 60);
const PORT = Number(args.get("port") ?? 19380);
const ETCD_PORT = Number(args.get("etcd-port") ?? 22379);
const PREFIX = "/bench";
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

// etcd
// etcd fsyncs every write: its data lives on tmpfs (/dev/shm) when there is one, so the disk is not what is measured.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "meshc-bench-churn-"));
const etcdUrl = `http://127.0.0.1:${ETCD_PORT}`;
const etcd = spawn("etcd", ["--name", "b", "--data-dir", join(dir, "etcd"), "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl, "--listen-peer-urls", `http://127.0.0.1:${ETCD_PORT + 1}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${ETCD_PORT + 1}`, "--initial-cluster", `b=http://127.0.0.1:${ETCD_PORT + 1}`, "--log-level", "error", "--quota-backend-bytes", String(4 * 1024 ** 3)], { stdio: "ignore" });
const cleanup = () => {
  etcd.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);
const client = new Etcd3({ hosts: etcdUrl });
for (let i = 0; ; i++) {
  if (await client.get("x").string().then(() => true, () => false)) break;
  if (i > 100) throw new Error("etcd did not start");
  await sleep(200);
}

// the initial registry: INSTANCES per service
const entryKey = (svc: string, k: number) => `${PREFIX}/services/${svc}/i${k}`;
const value = (k: number, port: number) => JSON.stringify({ address: `10.${Math.floor(k / 250)}.${k % 250}.1`, port, labels: { version: `v${(k % 2) + 1}` } });
const all: [string, number][] = [];
for (let i = 0; i < SERVICES; i++) for (let k = 0; k < INSTANCES; k++) all.push([serviceName(i), k]);
for (let i = 0; i < all.length; i += 200) await Promise.all(all.slice(i, i + 200).map(([s, k]) => client.put(entryKey(s, k)).value(value(k, 8080))));

// the server
const server = fork(fileURLToPath(new URL("./registry-server.ts", import.meta.url)), [String(PORT), String(SERVICES), etcdUrl, PREFIX], { execArgv: ["--import", "tsx"] });
const waiters: ((m: any) => void)[] = [];
server.on("message", (m) => waiters.shift()?.(m));
const ask = (cmd?: string) => new Promise<any>((r) => { waiters.push(r); if (cmd) server.send({ cmd }); });
await ask(); // ready

// callers of each service (who must receive its change)
const ir = syntheticMesh({ services: SERVICES });
const callers = new Map<string, string[]>();
for (const s of ir.services) for (const c of s.calls) callers.set(c, [...(callers.get(c) ?? []), s.name]);

// pending writes: service -> marker port -> {at, waiting proxies}
const pending = new Map<string, Map<number, { at: number; waiting: Set<string> }>>();
const latencies: number[] = [];
/** How long each etcd put took to be acknowledged (the writer's side). */
const putMs: number[] = [];
const onEds = (proxy: string, r: { typeUrl: string; resources: { name: string; bytes: Uint8Array; typeUrl: string }[] }) => {
  if (r.typeUrl !== TYPE_URLS.endpoint) return;
  for (const res of r.resources) {
    const m = /^outbound\|8080\|\|(.+)$/.exec(res.name);
    const byMarker = m && pending.get(m[1]!);
    if (!byMarker || byMarker.size === 0) continue;
    // The marker is a port: SocketAddress.port_value (field 3, varint) in the CLA's bytes. Searching the bytes keeps
    // this process (1,000 streams) from being the bottleneck; the unit tests check the CLA contents properly.
    const bytes = Buffer.from(res.bytes.buffer, res.bytes.byteOffset, res.bytes.byteLength);
    for (const [marker, p] of byMarker) {
      if (bytes.indexOf(portBytes(marker)) < 0 || !p.waiting.delete(proxy)) continue;
      if (p.waiting.size === 0) {
        latencies.push(now() - p.at);
        byMarker.delete(marker);
      }
    }
  }
};

const portCache = new Map<number, Buffer>();
function portBytes(port: number): Buffer {
  let b = portCache.get(port);
  if (!b) {
    const out = [0x18];
    for (let v = port; ; v >>>= 7) {
      if (v < 0x80) {
        out.push(v);
        break;
      }
      out.push((v & 0x7f) | 0x80);
    }
    portCache.set(port, (b = Buffer.from(out)));
  }
  return b;
}

// the proxies: one per service
const t0 = now();
let synced = 0;
const envoys: FakeEnvoy[] = [];
await new Promise<void>((done) => {
  for (let i = 0; i < SERVICES; i++) {
    const svc = serviceName(i);
    const c = new Client(`127.0.0.1:${PORT}`, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
    const node: NodeInfo = { id: `${svc}-0`, cluster: svc, userAgentName: "envoy", userAgentVersion: "1.40.0", clientFeatures: [] };
    const e = new FakeEnvoy(c, node, () => ++synced === SERVICES && done());
    e.onAck = (r) => onEds(svc, r as never);
    envoys.push(e);
    e.start();
  }
});
console.log(`${SERVICES} proxies synced in ${((now() - t0) / 1000).toFixed(1)} s (${all.length} registry entries)`);
await sleep(2000);

// churn
const before = await ask("usage");
let seq = 0;
let writes = 0;
const end = now() + SECONDS * 1000;
const tickMs = 10;
const churnStart = now();
let rssPeak = 0;
let nextUsage = churnStart + 1000;
while (now() < end) {
  const tickStart = now();
  // Writes keep to the rate by elapsed time (a late tick writes what it owes).
  for (const target = Math.floor(((now() - churnStart) / 1000) * RATE); seq < target; ) {
    const [svc, k] = all[(seq * 7919) % all.length]!;
    const marker = 10_000 + (seq % 50_000);
    seq++;
    const waiting = new Set(callers.get(svc) ?? []);
    if (waiting.size === 0) continue;
    let byMarker = pending.get(svc);
    if (!byMarker) pending.set(svc, (byMarker = new Map()));
    const entry = { at: now(), waiting };
    byMarker.set(marker, entry);
    writes++;
    void client.put(entryKey(svc, k)).value(value(k, marker)).exec().then(() => putMs.push(now() - entry.at), () => undefined);
  }
  if (now() > nextUsage) {
    nextUsage += 1000;
    rssPeak = Math.max(rssPeak, (await ask("usage")).rss);
  }
  await sleep(Math.max(0, tickMs - (now() - tickStart)));
}
await sleep(5000);
const after = await ask("usage");
let lost = 0;
for (const m of pending.values()) lost += m.size;
const cpu = (after.cpuUs - before.cpuUs) / 1e6 / ((SECONDS * 1000 + 5000) / 1000);
console.log(
  JSON.stringify({
    services: SERVICES, instances: all.length, proxies: SERVICES, rate: RATE, seconds: SECONDS,
    writes, arrived: latencies.length, notArrived: lost,
    putMs: { p50: Math.round(pct(putMs, 50)), p99: Math.round(pct(putMs, 99)) },
    latencyMs: { p50: Math.round(pct(latencies, 50)), p99: Math.round(pct(latencies, 99)), max: Math.round(Math.max(...latencies)) },
    serverCpuCores: Number(cpu.toFixed(2)), serverRssMiB: Math.round(Math.max(rssPeak, after.peakRss) / 1048576), publishes: after.publishes - before.publishes, registry: after.status,
  }),
);
for (const e of envoys) e.close();
server.send({ cmd: "exit" });
client.close();
process.exit(0);
