// The Envoy-like ADS load generator on its own, against any address: N SotW streams (bench/fake-envoy.ts), one
// HTTP/2 connection each, node.cluster = svc-NNNN (i mod services), each ACKing every response. Used by
// bench/peers.ts for meshc and go-control-plane alike; also runnable by hand:
//
//   node --import tsx bench/ads-load.ts --address 127.0.0.1:18000 [--proxies 1000] [--services 1000]
//
// prints the time until every stream holds CDS, EDS, LDS and RDS, then keeps ACKing until interrupted. A stream the
// server refuses or ends before its config is complete is opened again after Envoy's backoff (500 ms base, 30 s cap).
import { Client, credentials } from "@grpc/grpc-js";
import type { NodeInfo } from "../src/xds/wire.js";
import { FakeEnvoy, stats } from "./fake-envoy.js";

export { stats };
export const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Load {
  envoys: FakeEnvoy[];
  /** When the streams were opened and when the last of them had its full config (ms, epoch). */
  startedAt: number;
  syncedAt: number;
  close(): void;
}

/** Opens `n` streams and resolves once all are synced (throws after `timeoutMs`). */
export async function syncProxies(address: string, n: number, services: number, timeoutMs = 300_000): Promise<Load> {
  let synced = 0;
  let allSynced!: () => void;
  const done = new Promise<void>((r) => (allSynced = r));
  const clients: Client[] = [];
  const envoys: FakeEnvoy[] = [];
  const startedAt = now();
  for (let i = 0; i < n; i++) {
    // A local subchannel pool per Client forces a connection of its own.
    const client = new Client(address, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
    clients.push(client);
    const svc = `svc-${String(i % services).padStart(4, "0")}`;
    const node: NodeInfo = { id: `${svc}-${Math.floor(i / services)}`, cluster: svc, userAgentName: "envoy", userAgentVersion: "1.40.0", clientFeatures: [] };
    const e = new FakeEnvoy(client, node, () => ++synced === n && allSynced());
    e.retry = true; // as Envoy does: a refused stream (the server's admission limits) is opened again after a backoff
    envoys.push(e);
    e.start();
  }
  const close = () => {
    for (const e of envoys) e.close();
    for (const c of clients) c.close();
  };
  await Promise.race([done, sleep(timeoutMs)]);
  if (synced < n) {
    close();
    throw new Error(`${n - synced} of ${n} proxies never synced; e.g. ${envoys.find((e) => !e.syncedAt)?.error ?? "no error"}`);
  }
  return { envoys, startedAt, syncedAt: Math.max(...envoys.map((e) => e.syncedAt)), close };
}

/** Resolves when no response arrived for `quietMs` (allowing `firstMs` for the first one after `since`). */
export async function waitQuiet(since: number, quietMs = 1000, firstMs = 5000, maxMs = 300_000): Promise<void> {
  const end = now() + maxMs;
  while (now() < end) {
    await sleep(100);
    const started = stats.lastResponseAt > since;
    if (started ? now() - stats.lastResponseAt > quietMs : now() - since > firstMs) return;
  }
  throw new Error("no quiet period");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1]! : dflt;
  };
  const address = arg("address", "127.0.0.1:18000");
  const n = Number(arg("proxies", "1000"));
  const load = await syncProxies(address, n, Number(arg("services", "1000")));
  console.log(`${n} proxies synced from ${address} in ${((load.syncedAt - load.startedAt) / 1000).toFixed(2)} s; ACKing until interrupted`);
  process.on("SIGINT", () => {
    load.close();
    process.exit(0);
  });
}
