// Certificate benchmark (issue 8): `meshc serve --ca` issuing and serving leaves for N proxies (default 2,000), then
// a mass rotation (`meshc ca rotate`: every leaf re-issued from a new root, the bundle changed). One process holds
// the xDS server with its CertificateManager and N SotW ADS streams that behave like Envoy's SDS subscription (ask
// for "default" and "ROOTCA" by name, ACK every response); streams share HTTP/2 connections (--per-connection).
// Snapshots carry nothing but the secrets, so the numbers are about certificates. Reports time from the mesh load
// to the last SDS ACK, server CPU (process, includes the clients) and RSS, at start and for the rotation (which
// includes the rollout's trust step, its ACKs and the 5 s settle time before leaves are re-issued).
//
//   node --import tsx bench/certs.ts [--proxies 2000] [--key ecdsa-p256|rsa-2048] [--per-connection 50] [--port 19290]
import { Client, credentials, Metadata, type ClientDuplexStream } from "@grpc/grpc-js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { MeshIR, ServiceIR } from "../src/ir/types.js";
import { initCa, rotateCa } from "../src/pki/ca-dir.js";
import { certificatePlan } from "../src/pki/plan.js";
import { CertificateManager, secretsAcked } from "../src/serve/certificates.js";
import { makeProxySnapshot } from "../src/snapshot/build.js";
import { TYPE_URLS, type MeshSnapshot } from "../src/snapshot/types.js";
import { startXdsServer } from "../src/xds/index.js";
import { adsService, type SotwRequest, type SotwResponseIn } from "../src/xds/wire.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const N = Number(args.get("proxies") ?? 2000);
const KEY = (args.get("key") ?? "ecdsa-p256") as "ecdsa-p256" | "rsa-2048";
const PER_CONNECTION = Number(args.get("per-connection") ?? 50);
const PORT = Number(args.get("port") ?? 19290);

const name = (i: number) => `svc-${String(i).padStart(4, "0")}`;
const svc = (i: number): ServiceIR => ({
  name: name(i),
  identity: `spiffe://bench.example/service/${name(i)}`,
  proxyless: false,
  mtls: "strict",
  ports: [{ name: "http", protocol: "http", port: 8080, appPort: 3000, mtls: "strict" }],
  instances: { kind: "static", endpoints: [] },
  subsets: [],
  sidecar: { inboundAddress: "0.0.0.0", outboundPort: 15001, adminPort: 15000, tcpOutbound: {} },
  calls: [],
  policy: { connectTimeoutMs: 1000, loadBalancer: { kind: "round-robin" } },
  routes: [],
});
const ir: MeshIR = {
  name: "bench",
  trustDomain: "bench.example",
  mtls: { mode: "strict", certificates: { leafLifetimeMs: 86_400_000, rotateAtPercent: 50, keyAlgorithm: KEY } },
  services: Array.from({ length: N }, (_, i) => svc(i)),
};
const bare: MeshSnapshot = { proxies: new Map(ir.services.map((s) => [s.name, makeProxySnapshot(s.name, {})])) };

const mb = (b: number) => Math.round(b / 1048576);
const usage = () => ({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
function report(label: string, t0: number, u0: ReturnType<typeof usage>) {
  const cpu = process.cpuUsage(u0.cpu);
  const rss = process.memoryUsage().rss;
  console.log(`${label}: ${Math.round(performance.now() - t0)} ms to the last SDS ACK; CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms; RSS ${mb(rss)} MB (was ${mb(u0.rss)} MB)`);
}

const dir = mkdtempSync(join(tmpdir(), "meshc-bench-ca-"));
await initCa(dir, { trustDomain: "bench.example" });
const xds = await startXdsServer({ address: `127.0.0.1:${PORT}`, logger: pino({ level: "silent" }) });
let pending = 0;
let resolveAll: (() => void) | undefined;
let acked: Set<string>;
const certs = new CertificateManager({
  caDir: dir,
  logger: pino({ level: "silent" }),
  tickMs: 200,
  acked: () => secretsAcked(xds),
  onChange: (s) => xds.setSnapshot(s),
});
await certs.start();

// ---- N fake Envoys, each with an SDS subscription ----
const clients: Client[] = [];
const calls: ClientDuplexStream<SotwRequest, SotwResponseIn>[] = [];
// Per proxy, the "default" secret (its leaf) held at the start of the phase: a phase ends for a proxy when it ACKed
// another one (a CA rollout first pushes the grown bundle with the old leaves, which does not count).
let phaseStart = new Map<number, string>();
const leafOf = new Map<number, string>();
function openStream(i: number, client: Client): void {
  const m = adsService.StreamAggregatedResources;
  const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata());
  const node = { id: `${name(i)}-1`, cluster: name(i), userAgentName: "bench", userAgentVersion: "0", clientFeatures: [] };
  call.on("data", (r: SotwResponseIn) => {
    call.write({ versionInfo: r.versionInfo, resourceNames: ["default", "ROOTCA"], typeUrl: r.typeUrl, responseNonce: r.nonce });
    // SDS is not state-of-the-world per response: a response may carry only the secret that changed.
    const d = r.resources.find((x) => x.name === "default");
    const leaf = d ? Buffer.from(d.bytes).toString("base64") : undefined;
    if (leaf !== undefined) leafOf.set(i, leaf);
    if (leaf !== undefined && phaseStart.get(i) !== leaf) {
      if (!acked.has(name(i))) {
        acked.add(name(i));
        if (--pending === 0) resolveAll?.();
      }
    }
  });
  // Like Envoy: a refused or broken stream (the server admits --stream-rate new streams a second) is retried.
  let retried = false;
  const retry = () => {
    if (retried || closing) return;
    retried = true;
    retries++;
    setTimeout(() => openStream(i, client), 250 + Math.random() * 750);
  };
  call.on("error", retry);
  call.on("end", retry);
  call.write({ versionInfo: "", node, resourceNames: ["default", "ROOTCA"], typeUrl: TYPE_URLS.secret, responseNonce: "" });
  calls.push(call);
}
function openStreams(): void {
  for (let i = 0; i < N; i++) {
    // A local subchannel pool: grpc-js otherwise shares one connection among clients with equal options, and the
    // server's 100-stream cap per connection then leaves every stream past the 100th waiting forever.
    if (i % PER_CONNECTION === 0) clients.push(new Client(`127.0.0.1:${PORT}`, credentials.createInsecure(), { "grpc.max_receive_message_length": 64 << 20, "grpc.use_local_subchannel_pool": 1 }));
    openStream(i, clients[clients.length - 1]!);
  }
}
let closing = false;
let retries = 0;
const phase = () => {
  phaseStart = new Map(leafOf);
  acked = new Set();
  pending = N;
  return new Promise<void>((r) => (resolveAll = r));
};

console.log(`${N} proxies, ${KEY} leaves, ${PER_CONNECTION} streams per connection, one process (server + clients)`);
let done = phase();
let u0 = usage();
let t0 = performance.now();
xds.setSnapshot(await certs.attach(bare, certificatePlan(ir)));
openStreams();
await done;
report("start (issue + serve every leaf)", t0, u0);

done = phase();
u0 = usage();
t0 = performance.now();
await rotateCa(dir); // new root: trust step (bundle grows), then, once every proxy ACKed it, every leaf re-issued
await done;
report("mass rotation (new root, every leaf re-issued)", t0, u0);

console.log(`stream retries (refused by the server's stream rate limit or broken): ${retries}`);
closing = true;
for (const c of calls) c.cancel();
for (const c of clients) c.close();
certs.close();
await xds.close();
rmSync(dir, { recursive: true, force: true });
