// Hostile load (R6, R7 of reliability-cases.md): malformed and oversized requests against the xDS server (the
// synthetic mesh, bench/xds-server.ts, in its own process), one case at a time. Prints a table: case, what the
// client got (gRPC status, or "ignored" when no answer is the right one), and the server's RSS after the case
// (after GC), so unbounded buffering shows. The server must survive every case.
//
//   unshare -n bash -c 'ip link set lo up && node --import tsx bench/hostile.ts [--services 100]'
//
// For the outbound case the server's report threshold (--client-max-message) is lowered to 1 KiB, since the
// synthetic mesh has no response near 4 MiB; the mechanism is the same.
import { fork } from "node:child_process";
import { Client, credentials, Metadata, type StatusObject } from "@grpc/grpc-js";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { messageType } from "../src/backends/envoy/api/registry.js";
import { TYPE_URLS } from "../src/snapshot/types.js";
import { adsService, encodeDeltaRequest, encodeSotwRequest, type NodeInfo, type SotwRequest } from "../src/xds/wire.js";
import { RawGrpcStream } from "../test/xds/raw-h2.js";
import type { ServerCommand } from "./xds-server.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const SERVICES = Number(args.get("services") ?? 100);
const PORT = Number(args.get("port") ?? 19282);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => (b / 1048576).toFixed(0);
const SOTW = adsService.StreamAggregatedResources.path;
const STATUS: Record<string, string> = { "0": "OK", "3": "INVALID_ARGUMENT", "5": "NOT_FOUND", "8": "RESOURCE_EXHAUSTED", "13": "INTERNAL", "14": "UNAVAILABLE" };

const limits = { handshakeTimeoutMs: 2000, clientMaxMessageBytes: 1024 };
const child = fork(fileURLToPath(new URL("./xds-server.ts", import.meta.url)), [String(PORT), String(SERVICES)], {
  execArgv: ["--import", "tsx", "--expose-gc"],
  stdio: ["ignore", "ignore", "inherit", "ipc"],
  env: { ...process.env, BENCH_LIMITS: JSON.stringify(limits) },
});
const waiters: ((m: Record<string, unknown>) => void)[] = [];
child.on("message", (m: Record<string, unknown>) => waiters.shift()?.(m));
let exited = false;
child.on("exit", () => (exited = true));
const request = (cmd?: ServerCommand) =>
  new Promise<Record<string, unknown>>((r) => {
    waiters.push(r);
    if (cmd) child.send(cmd);
  });
const ready = (await request()).ready as { port: number; usage: { rss: number } };
const address = `127.0.0.1:${ready.port}`;
const rss = async () => ((await request({ cmd: "usage" })).usage as { rss: number }).rss;

const node = (o: Partial<NodeInfo> = {}): NodeInfo => ({ id: "svc-0000-0", cluster: "svc-0000", userAgentName: "envoy", userAgentVersion: "1.40.0", clientFeatures: [], ...o });
const sotw = (o: Partial<SotwRequest>) => encodeSotwRequest({ versionInfo: "", resourceNames: [], typeUrl: TYPE_URLS.cluster, responseNonce: "", ...o });

/** Sends messages on one raw stream; the outcome is the status, "answered" (a response, stream open) or "ignored". */
async function outcome(messages: Buffer[], waitMs = 1500): Promise<string> {
  const s = new RawGrpcStream(address, SOTW);
  for (const m of messages) s.send(m);
  const got = await Promise.race([s.ended, s.next(waitMs).then(() => "answered", () => "ignored")]);
  s.close();
  return STATUS[got] ?? got;
}

async function parallel(n: number, messages: () => Buffer[]): Promise<string> {
  const all = await Promise.all(Array.from({ length: n }, () => outcome(messages(), 5000)));
  const counts = new Map<string, number>();
  for (const o of all) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts].map(([o, c]) => `${c}x ${o}`).join(", ");
}

/** Through a real grpc-js client (one connection each): the status each call ended with. */
async function grpcParallel(n: number, req: () => SotwRequest): Promise<string> {
  const m = adsService.StreamAggregatedResources;
  const all = await Promise.all(
    Array.from({ length: n }, () => {
      const client = new Client(address, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
      return new Promise<string>((resolve) => {
        const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata());
        call.on("status", (st: StatusObject) => resolve(STATUS[String(st.code)] ?? String(st.code)));
        call.on("error", () => {});
        call.on("data", () => resolve("answered"));
        call.write(req());
        setTimeout(() => resolve("no answer in 30 s"), 30_000);
      }).finally(() => client.close());
    }),
  );
  const counts = new Map<string, number>();
  for (const o of all) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts].map(([o, c]) => `${c}x ${o}`).join(", ");
}

const DR = messageType("envoy.service.discovery.v3.DiscoveryRequest");
const withMetadata = (bytes: number) =>
  Buffer.from(DR.encode(DR.fromObject({ type_url: TYPE_URLS.cluster, node: { id: "svc-0000-0", cluster: "svc-0000", metadata: { fields: { blob: { stringValue: "m".repeat(bytes) } } } } })).finish());
const invalidUtf8 = () => {
  // node.id and type_url with bytes that are not UTF-8 (hand-built: encoders refuse them).
  const bad = Buffer.from([0xc3, 0x28, 0xff, 0xfe]);
  const id = Buffer.concat([Buffer.from([0x0a, bad.length]), bad]);
  const cluster = Buffer.concat([Buffer.from([0x12, 8]), Buffer.from("svc-0000")]);
  const nodeField = Buffer.concat([Buffer.from([0x12, id.length + cluster.length]), id, cluster]);
  const typeUrl = Buffer.concat([Buffer.from([0x22, bad.length]), bad]);
  return Buffer.concat([nodeField, typeUrl]);
};

const cases: [string, () => Promise<string>][] = [
  ["R6 first request without node", () => outcome([sotw({})])],
  ["R6 empty type_url", () => outcome([sotw({ node: node(), typeUrl: "" })])],
  ["R6 garbage type_url (64 KiB)", () => outcome([sotw({ node: node(), typeUrl: "g".repeat(65536) })])],
  ["R6 unknown type_url (RTDS)", () => outcome([sotw({ node: node(), typeUrl: "type.googleapis.com/envoy.service.runtime.v3.Runtime" })])],
  ["R6 10,000 resource_names (EDS)", () => outcome([sotw({ node: node(), typeUrl: TYPE_URLS.endpoint, resourceNames: Array.from({ length: 10_000 }, (_, i) => `name-${i}`) })])],
  ["R6 invalid UTF-8 in node.id and type_url", () => outcome([invalidUtf8()])],
  ["R6 huge node metadata (1 MiB)", () => outcome([withMetadata(1024 * 1024)])],
  ["R6 Delta request on the SotW method", () => outcome([encodeDeltaRequest({ node: node(), typeUrl: TYPE_URLS.cluster, subscribe: ["x"], unsubscribe: [], initialResourceVersions: { a: "1" }, responseNonce: "" })])],
  ["R6 garbage bytes", () => outcome([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x99])])],
  ["R6 unknown service, 3.9 MB node.id x10", () => parallel(10, () => [sotw({ node: node({ cluster: "nope", id: "i".repeat(3_900_000) }) })])],
  ["R6 1,000 idle TCP connections (no preface)", async () => {
    const socks = Array.from({ length: 1000 }, () => net.connect(ready.port, "127.0.0.1").on("error", () => {}));
    const closed = await Promise.race([Promise.all(socks.map((s) => new Promise((r) => s.once("close", r)))).then(() => "all closed by the server"), sleep(10_000).then(() => "still open after 10 s")]);
    for (const s of socks) s.destroy();
    return closed;
  }],
  ["R7 inbound 15 MB message x30 in parallel", () => {
    const names = Array.from({ length: 15 * 1024 }, (_, i) => `${i}`.padEnd(1024, "x"));
    return grpcParallel(30, () => ({ versionInfo: "", resourceNames: names, typeUrl: TYPE_URLS.endpoint, responseNonce: "", node: node() }));
  }],
  ["R7 outbound over the clients' limit (1 KiB here)", async () => {
    const got = await outcome([sotw({ node: node(), typeUrl: TYPE_URLS.cluster })]);
    const metrics = (await request({ cmd: "metrics" })).metrics as { name: string; values: { value: number }[] }[];
    const n = metrics.find((m) => m.name === "xds_oversized_responses_total")?.values.reduce((a, v) => a + v.value, 0) ?? 0;
    return `${got}; reported ${n}x (log + xds_oversized_responses_total)`;
  }],
];

const rows: string[][] = [["(server ready)", "-", mib(ready.usage.rss)]];
for (const [name, run] of cases) {
  const result = await run().catch((e: Error) => `client error: ${e.message}`);
  await sleep(200);
  if (exited) {
    rows.push([name, result, "SERVER DIED"]);
    break;
  }
  rows.push([name, result, mib(await rss())]);
}
const head = ["case", "client got", "server RSS MiB after"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
console.log(line(head));
console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
for (const r of rows) console.log(line(r));
if (!exited) child.send({ cmd: "exit" } satisfies ServerCommand);
process.exit(exited ? 1 : 0);
